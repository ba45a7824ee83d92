import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.ui import access, database, language, sidebar, widgets
from qmi_metrics.admin import auth, catalogue, importing, publishing, readers, templates
from qmi_metrics.admin.problems import Problem
from qmi_metrics.present.i18n import _

view = sidebar.page(_(language.lang(), "Administration"))
config = access.access_config()
db_path = Path(database.path())


if not config["oidc"] and not config["password_hash"]:
    st.warning(_(language.lang(),
        "L'administration est désactivée : aucune connexion n'est configurée. Pour l'activer, ajoutez à "
        "`.streamlit/secrets.toml` soit une section `[auth]` (connexion OIDC de Streamlit, `st.login`), soit "
        "`[admin] password_hash = \"…\"` obtenu par `python -m qmi_metrics hash-password`."))
    st.stop()

if not access.is_admin():
    st.info(_(language.lang(), "Connectez-vous pour importer des données."))
    access.login_form()
    st.stop()

user = access.signed_in_user()
st.caption(_(language.lang(), "Connecté : {user}", user=user))
if config["password_hash"] and auth.needs_rehash(config["password_hash"]):
    st.info(_(language.lang(),
        "L'empreinte du mot de passe administrateur (`[admin] password_hash`) est d'un format plus ancien (PBKDF2) ou "
        "plus faible : elle reste valable, mais remplacez-la par celle que donne `python -m qmi_metrics hash-password` "
        "(argon2id)."),
        icon=":material/key:")
if st.button(_(language.lang(), "Se déconnecter")):
    st.session_state.pop("admin_user", None)
    if access.oidc_user():
        st.logout()
    st.rerun()

st.header(_(language.lang(), "Modèles à remplir"))
template_table = st.selectbox(_(language.lang(), "Table"), catalogue.IMPORTABLE_TABLES, key="template_table")


def template_bytes(table: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"modele_{table}.xlsx"
        templates.write_template(table, out, database.connection())
        return out.read_bytes()


st.download_button(_(language.lang(), "Télécharger le modèle Excel"),
                   lambda: template_bytes(template_table), f"modele_{template_table}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="template_download")

st.header(_(language.lang(), "Importer un fichier"))
left, right = st.columns(2)
table = left.selectbox(_(language.lang(), "Table à compléter"), catalogue.IMPORTABLE_TABLES, key="import_table")
mode = right.selectbox(_(language.lang(), "Mode"), importing.MODES, key="import_mode", format_func=lambda m: {
    "append": _(language.lang(), "ajouter (nouvelles lignes)"),
    "upsert": _(language.lang(), "ajouter ou mettre à jour"),
    "replace": _(language.lang(), "remplacer la table")}[m])
upload = st.file_uploader(_(language.lang(), "Fichier (.xlsx ou .csv)"), type=["xlsx", "csv"],
                          key="import_file")

def published_notices(result: publishing.Result) -> None:
    """What followed a publish or a rollback: the audit log or the showcase may have failed to follow."""
    if result.audit_error:
        st.warning(result.audit_error)
    if result.site_error:
        st.warning(result.site_error)
    elif result.site:
        st.caption(_(language.lang(), "Vitrine régénérée : {rendered} pages sur {pages}.",
                     rendered=len(result.site.rendered), pages=result.site.pages))


def report(problems: list[Problem], message: str) -> pd.DataFrame:
    """Errors or warnings of a file, one row each, where the spreadsheet shows them."""
    return pd.DataFrame([{
        _(language.lang(), "feuille"): p.sheet, _(language.lang(), "ligne"): p.row, _(language.lang(), "colonne"): p.column,
        _(language.lang(), "valeur"): p.value, message: p.expected_en if language.lang() == "en" else p.expected_fr,
    } for p in problems])


if upload is not None:
    parsed = readers.read_file(upload.getvalue(), upload.name, table)
    prepared = importing.prepare(database.connection(), parsed, table, mode)
    if not prepared.ok:
        st.error(_(language.lang(), "{len_problems} problème(s) : rien ne sera écrit. Corrigez le fichier et recommencez.",
                                    len_problems=len(prepared.problems)))
        widgets.table(report(prepared.problems, _(language.lang(), "attendu")), "qmi_import_problemes", key="problems")
    else:
        counts = pd.DataFrame([{"table": name, **c.as_dict()} for name, c in prepared.counts.items()])
        st.success(_(language.lang(), "Fichier valide. Voici ce que l'import changerait :"))
        st.dataframe(counts, hide_index=True)
        for notice in prepared.notices:
            st.caption(notice)
        if prepared.warnings:  # accepted rows worth a look (docs/IMPORT.md, « Règles de cohérence »)
            count = len(prepared.warnings)
            st.warning(_(language.lang(), "{count} avertissement(s) : l'import est accepté, vérifiez ces lignes.",
                                          count=count))
            widgets.table(report(prepared.warnings, _(language.lang(), "avertissement")), "qmi_import_avertissements",
                          key="warnings")
        if st.button(_(language.lang(), "Publier cette version"), type="primary"):
            try:
                result = publishing.publish_import(db_path, parsed, table, mode, by=user, source_name=upload.name)
            except publishing.PublishError as error:
                st.error(str(error))
            else:
                st.success(_(language.lang(), "Publié : version {version}. Les pages affichent désormais ces données.",
                                              version=result.version))
                published_notices(result)

st.header(_(language.lang(), "Historique des versions"))
history = publishing.history(db_path)
if not history:
    st.write(_(language.lang(), "Aucun import pour l'instant."))
else:
    widgets.table(pd.DataFrame(history), "qmi_historique", key="history")
    kept = publishing.archived_versions(db_path)
    if kept:
        with st.form("rollback"):
            version = st.selectbox(_(language.lang(), "Revenir à la version"), kept)
            confirmed = st.checkbox(_(language.lang(), "Je confirme le retour à cette version"))
            if st.form_submit_button(_(language.lang(), "Revenir en arrière")) and confirmed:
                try:
                    result = publishing.rollback(db_path, version, by=user)
                except publishing.PublishError as error:
                    st.error(str(error))
                else:
                    st.success(_(language.lang(), "Version {version} rétablie.", version=version))
                    published_notices(result)
