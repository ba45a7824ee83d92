import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.ui import access, database, language, sidebar, widgets
from qmi_metrics.admin import auth, catalogue, importing, publishing, readers, roles, rules, templates
from qmi_metrics.admin.problems import Problem
from qmi_metrics.present import vocabulary
from qmi_metrics.present.i18n import _

view = sidebar.page(_(language.lang(), "Administration"))
config = access.access_config()
db_path = Path(database.path())


if not config["oidc"] and not config["declared"].accounts:
    st.warning(_(language.lang(),
        "L'administration est désactivée : aucune connexion n'est configurée. Pour l'activer, ajoutez à "
        "`.streamlit/secrets.toml` soit une section `[auth]` (connexion OIDC de Streamlit, `st.login`), soit "
        "`[admin] password_hash = \"…\"` obtenu par `python -m qmi_metrics hash-password`."))
    st.stop()

me = access.identity()  # from who signed in, on every run (roles.py): never from the session or the URL
if me is None:
    st.info(_(language.lang(), "Connectez-vous pour importer des données."))
    access.login_form()
    st.stop()

user = me.name
role = vocabulary.words(vocabulary.ROLE_LABELS, me.role, language.lang())
if me.scope is None:
    st.caption(_(language.lang(), "Connecté : {user} ({role})", user=user, role=role))
else:
    st.caption(_(language.lang(), "Connecté : {user} ({role} : {communes})", user=user, role=role,
                 communes=roles.commune_names(database.connection(), me.scope)))
if st.button(_(language.lang(), "Se déconnecter")):
    access.sign_out()
    st.rerun()
if not me.may_import:
    st.warning(_(language.lang(), "Ce compte peut lire le tableau de bord, pas importer de données : demandez un rôle "
                                  "à l'administrateur."))
    st.stop()
password_hash = config["declared"].password_hash(access.password_account() or "")
if password_hash and auth.needs_rehash(password_hash):
    st.info(_(language.lang(),
        "L'empreinte du mot de passe de ce compte (`password_hash` de `[{section}]`) est d'un format plus ancien "
        "(PBKDF2) ou plus faible : elle reste valable, mais remplacez-la par celle que donne "
        "`python -m qmi_metrics hash-password` (argon2id).",
        section="admin" if me.name == roles.ADMIN_ACCOUNT else f"accounts.{me.name}"),
        icon=":material/key:")

# A commune editor's tables are those with communes' rows; the others', every importable one.
tables = catalogue.IMPORTABLE_TABLES if me.scope is None else rules.commune_tables()
st.header(_(language.lang(), "Modèles à remplir"))
template_table = st.selectbox(_(language.lang(), "Table"), tables, key="template_table")
if me.scope is not None:
    st.caption(_(language.lang(), "Le modèle est prérempli avec les lignes de vos communes : corrigez-les ou "
                                  "complétez-les, puis importez-le en mode « ajouter ou mettre à jour »."))


def template_bytes(table: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"modele_{table}.xlsx"
        templates.write_template(table, out, database.connection(), me.scope)
        return out.read_bytes()


st.download_button(_(language.lang(), "Télécharger le modèle Excel"),
                   lambda: template_bytes(template_table), f"modele_{template_table}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="template_download")

st.header(_(language.lang(), "Importer un fichier"))
left, right = st.columns(2)
table = left.selectbox(_(language.lang(), "Table à compléter"), tables, key="import_table")
modes = importing.MODES if me.scope is None else tuple(m for m in importing.MODES if m != "replace")
mode = right.selectbox(_(language.lang(), "Mode"), modes, key="import_mode", format_func=lambda m: {
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
    prepared = importing.prepare(database.connection(), parsed, table, mode, me.scope)
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
                result = publishing.publish_import(db_path, parsed, table, mode, by=user, source_name=upload.name,
                                                   role=me.role, scope=me.scope)
            except publishing.PublishError as error:
                st.error(str(error))
            else:
                st.success(_(language.lang(), "Publié : version {version}. Les pages affichent désormais ces données.",
                                              version=result.version))
                published_notices(result)

st.header(_(language.lang(), "Historique des versions"))
# A commune editor sees the imports whose every row was of its communes, and no other version (roles.sees_entry).
history = [row for row in publishing.history(db_path) if roles.sees_entry(me, row["communes"])]
if not history:
    st.write(_(language.lang(), "Aucun import pour l'instant.") if me.scope is None else
             _(language.lang(), "Aucun import de vos communes pour l'instant."))
else:
    widgets.table(pd.DataFrame(history), "qmi_historique", key="history")
    kept = publishing.archived_versions(db_path) if me.may_roll_back else []
    if kept:
        with st.form("rollback"):
            version = st.selectbox(_(language.lang(), "Revenir à la version"), kept)
            confirmed = st.checkbox(_(language.lang(), "Je confirme le retour à cette version"))
            if st.form_submit_button(_(language.lang(), "Revenir en arrière")) and confirmed:
                try:
                    result = publishing.rollback(db_path, version, by=user, role=me.role)
                except publishing.PublishError as error:
                    st.error(str(error))
                else:
                    st.success(_(language.lang(), "Version {version} rétablie.", version=version))
                    published_notices(result)

if me.may_see_access:
    st.header(_(language.lang(), "Accès"))
    st.caption(_(language.lang(), "Les rôles se déclarent dans `.streamlit/secrets.toml` (`[roles]` par adresse e-mail, "
                                  "`[accounts.NOM]` par compte à mot de passe, `[admin]`) : voir le README."))
    access_rows = config["declared"].table()
    if access_rows:
        st.dataframe(pd.DataFrame([{
            _(language.lang(), "qui"): row["who"],
            _(language.lang(), "connexion"): "OIDC" if row["sign_in"] == "oidc"
            else _(language.lang(), "mot de passe"),
            _(language.lang(), "rôle"): vocabulary.words(vocabulary.ROLE_LABELS, row["role"], language.lang()),
            _(language.lang(), "communes"): row["scope"] or _(language.lang(), "toutes"),
        } for row in access_rows]), hide_index=True, key="access")
    else:
        st.write(_(language.lang(), "Aucun rôle déclaré : toute personne connectée par OIDC administre."))
