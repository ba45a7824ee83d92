"""À mettre à jour, for a programme manager on Monday morning: per commune, the projects whose data are late or
stale, what they lack (no measurement since…, no status since…), and who last imported for them: who to call.
Thresholds: QMI_LATE_AFTER_DAYS / QMI_STALE_AFTER_DAYS (reads/freshness)."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.ui import access, caches, configuration, database, language, sidebar, widgets
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import formatting, vocabulary
from qmi_metrics.present import freshness as words
from qmi_metrics.present.i18n import _
from qmi_metrics.reads import freshness
from qmi_metrics.store import settings


@st.cache_data(max_entries=64, show_spinner=False)
def freshness_rows(version: str, view: Filters, statuses: tuple[str, ...], today: dt.date,
                   limits: freshness.Thresholds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The view's projects and communes with their last update and state on `today`."""
    con = database.connection()
    projects = freshness.projects(con, today, view, statuses, limits)
    return projects, freshness.communes(con, today, view, statuses, limits, per_project=projects)


@st.cache_data(max_entries=8, show_spinner=False)
def any_import(version: str) -> bool:
    return freshness.any_import(database.connection())


lang = language.lang()
view = sidebar.page(_(lang, "À mettre à jour"),
                    _(lang, "Les projets dont les données n'ont pas été mises à jour depuis longtemps, commune par "
                            "commune, avec ce qui manque et qui les a mis à jour en dernier : qui appeler."))
try:
    limits = freshness.thresholds(configuration.secrets())
except settings.SettingError as error:
    st.error(vocabulary.localized(lang, error.fr, error.en))
    st.stop()
today = dt.datetime.now(dt.timezone.utc).date()  # the page's clock; qmi_metrics takes the day as an argument
version = caches.data_version()
projects, communes = freshness_rows(version, view.filters, view.statuses, today, limits)
st.caption(words.thresholds_text(limits, lang))
# « qui » holds the importers' names or e-mail addresses: shown to those who import, not to every reader.
who = _(lang, "qui")
signed_in = access.identity()
if signed_in is None or not signed_in.may_import:
    st.caption(_(lang, "La colonne « qui » (qui a importé en dernier) est montrée aux personnes connectées qui "
                       "importent des données."))


def shown(table: pd.DataFrame) -> pd.DataFrame:
    return table if signed_in is not None and signed_in.may_import else table.drop(columns=[who])


states = projects["state"]
for column, (label, count) in zip(st.columns(4), [
        (_(lang, "Projets en retard"), (states == freshness.LATE).sum()),
        (_(lang, "Projets obsolètes"), (states == freshness.STALE).sum()),
        (_(lang, "Projets à jour"), (states == freshness.CURRENT).sum()),
        (_(lang, "Projets sans date"), states.isna().sum())]):
    column.metric(label, formatting.number(int(count), lang=lang), border=True)

st.header(_(lang, "Les communes"))
if communes.empty:
    st.info(_(lang, "Aucun projet dans cette vue."))
else:
    widgets.table(shown(words.commune_table(communes, lang)), "qmi_a_mettre_a_jour_communes", key="communes")

st.header(_(lang, "Les projets en retard ou obsolètes, commune par commune"))
late = words.to_update(projects)
if late.empty:
    st.success(_(lang, "Aucun projet en retard ni obsolète dans cette vue."))
else:
    widgets.table(shown(words.project_table(late, today, limits, lang)), "qmi_a_mettre_a_jour", key="projects")
widgets.basis_note(zip(late["last_update_basis"], late["last_update_rule"]),
                   words.what_the_dates_rest_on(any_import(version), caches.is_synthetic(), lang))
