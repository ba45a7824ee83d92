import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.ui import access, database, language, sidebar, widgets
from dashboard.ui.language import tr
from qmi_metrics.admin import auth, catalogue, importing, publishing, readers, templates
from qmi_metrics.admin.problems import Problem

view = sidebar.page("Administration", "Administration")
config = access.access_config()
db_path = Path(database.path())


if not config["oidc"] and not config["password_hash"]:
    st.warning(tr(
        "L'administration est désactivée : aucune connexion n'est configurée. Pour l'activer, ajoutez à "
        "`.streamlit/secrets.toml` soit une section `[auth]` (connexion OIDC de Streamlit, `st.login`), soit "
        "`[admin] password_hash = \"…\"` obtenu par `python -m qmi_metrics hash-password`.",
        "Administration is disabled: no sign-in is configured. To enable it, add to `.streamlit/secrets.toml` "
        "either an `[auth]` section (Streamlit's OIDC sign-in, `st.login`) or `[admin] password_hash = \"…\"` "
        "made by `python -m qmi_metrics hash-password`."))
    st.stop()

if not access.is_admin():
    st.info(tr("Connectez-vous pour importer des données.", "Sign in to import data."))
    access.login_form()
    st.stop()

user = access.signed_in_user()
st.caption(tr(f"Connecté : {user}", f"Signed in: {user}"))
if config["password_hash"] and auth.needs_rehash(config["password_hash"]):
    st.info(tr(
        "L'empreinte du mot de passe administrateur (`[admin] password_hash`) est d'un format plus ancien (PBKDF2) ou "
        "plus faible : elle reste valable, mais remplacez-la par celle que donne `python -m qmi_metrics hash-password` "
        "(argon2id).", "The administrator password hash (`[admin] password_hash`) is in an older (PBKDF2) or weaker "
        "format: it still works, but replace it with the one `python -m qmi_metrics hash-password` gives (argon2id)."),
        icon=":material/key:")
if st.button(tr("Se déconnecter", "Sign out")):
    st.session_state.pop("admin_user", None)
    if access.oidc_user():
        st.logout()
    st.rerun()

st.header(tr("Modèles à remplir", "Templates to fill in"))
template_table = st.selectbox(tr("Table", "Table"), catalogue.IMPORTABLE_TABLES, key="template_table")


def template_bytes(table: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"modele_{table}.xlsx"
        templates.write_template(table, out, database.connection())
        return out.read_bytes()


st.download_button(tr("Télécharger le modèle Excel", "Download the Excel template"),
                   lambda: template_bytes(template_table), f"modele_{template_table}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="template_download")

st.header(tr("Importer un fichier", "Import a file"))
left, right = st.columns(2)
table = left.selectbox(tr("Table à compléter", "Table to complete"), catalogue.IMPORTABLE_TABLES, key="import_table")
mode = right.selectbox(tr("Mode", "Mode"), importing.MODES, key="import_mode", format_func=lambda m: {
    "append": tr("ajouter (nouvelles lignes)", "append (new rows)"),
    "upsert": tr("ajouter ou mettre à jour", "insert or update"),
    "replace": tr("remplacer la table", "replace the table")}[m])
upload = st.file_uploader(tr("Fichier (.xlsx ou .csv)", "File (.xlsx or .csv)"), type=["xlsx", "csv"],
                          key="import_file")

def report(problems: list[Problem], message: str) -> pd.DataFrame:
    """Errors or warnings of a file, one row each, where the spreadsheet shows them."""
    return pd.DataFrame([{
        tr("feuille", "sheet"): p.sheet, tr("ligne", "row"): p.row, tr("colonne", "column"): p.column,
        tr("valeur", "value"): p.value, message: p.expected_en if language.lang() == "en" else p.expected_fr,
    } for p in problems])


if upload is not None:
    parsed = readers.read_file(upload.getvalue(), upload.name, table)
    prepared = importing.prepare(database.connection(), parsed, table, mode)
    if not prepared.ok:
        st.error(tr(f"{len(prepared.problems)} problème(s) : rien ne sera écrit. Corrigez le fichier et recommencez.",
                    f"{len(prepared.problems)} problem(s): nothing will be written. Fix the file and try again."))
        widgets.table(report(prepared.problems, tr("attendu", "expected")), "qmi_import_problemes", key="problems")
    else:
        counts = pd.DataFrame([{"table": name, **c.as_dict()} for name, c in prepared.counts.items()])
        st.success(tr("Fichier valide. Voici ce que l'import changerait :", "Valid file. This is what the import would change:"))
        st.dataframe(counts, hide_index=True)
        for notice in prepared.notices:
            st.caption(notice)
        if prepared.warnings:  # accepted rows worth a look (docs/IMPORT.md, « Règles de cohérence »)
            count = len(prepared.warnings)
            st.warning(tr(f"{count} avertissement(s) : l'import est accepté, vérifiez ces lignes.",
                          f"{count} warning(s): the import is accepted, check these rows."))
            widgets.table(report(prepared.warnings, tr("avertissement", "warning")), "qmi_import_avertissements",
                          key="warnings")
        if st.button(tr("Publier cette version", "Publish this version"), type="primary"):
            try:
                result = publishing.publish_import(db_path, parsed, table, mode, by=user, source_name=upload.name)
            except publishing.PublishError as error:
                st.error(str(error))
            else:
                st.success(tr(f"Publié : version {result.version}. Les pages affichent désormais ces données.",
                              f"Published: version {result.version}. The pages now show these data."))
                if result.audit_error:
                    st.warning(result.audit_error)

st.header(tr("Historique des versions", "Version history"))
history = publishing.history(db_path)
if not history:
    st.write(tr("Aucun import pour l'instant.", "No import yet."))
else:
    widgets.table(pd.DataFrame(history), "qmi_historique", key="history")
    kept = publishing.archived_versions(db_path)
    if kept:
        with st.form("rollback"):
            version = st.selectbox(tr("Revenir à la version", "Roll back to version"), kept)
            confirmed = st.checkbox(tr("Je confirme le retour à cette version", "I confirm the rollback"))
            if st.form_submit_button(tr("Revenir en arrière", "Roll back")) and confirmed:
                try:
                    result = publishing.rollback(db_path, version, by=user)
                except publishing.PublishError as error:
                    st.error(str(error))
                else:
                    st.success(tr(f"Version {version} rétablie.", f"Version {version} restored."))
