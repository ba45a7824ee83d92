"""Déploiement: how many projects reach deployment, how fast, per commune and per défi, where each
project stands, and how long deployments take — saying each time how much of the view the figures rest on."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt, fmt_date, tr
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import figures, headlines, vocabulary
from qmi_metrics.present.vocabulary import plural
from qmi_metrics.reads import projects

BOARD_TITLES = {
    "selected": ("Sélectionnés, pas encore déployés", "Selected, not yet deployed"),
    "deployed": ("Déployés ou testés", "Deployed or tested"),
    "evaluated": ("Évalués", "Evaluated"),
    "continued": ("Poursuivis", "Continued"),
    "stopped": ("Arrêtés", "Stopped"),
}
GROUPINGS = {"commune": ("Par commune", "By commune", "commune", "commune"),
             "theme": ("Par défi", "By challenge", "défi", "challenge")}


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def deployment_by(version: str, filters: Filters, by: str) -> pd.DataFrame:
    return projects.deployment_by(database.connection(), filters, by)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def delays(version: str, filters: Filters) -> pd.DataFrame:
    return projects.delays(database.connection(), filters)


def not_known() -> str:
    return vocabulary.NOT_KNOWN[language.lang()]


# --- per commune, per défi ---------------------------------------------------------------------------

def group_labels(groups: pd.DataFrame, by: str) -> list[str]:
    return figures.group_labels(groups, by, language.lang())


def coverage_sentence(totals: dict) -> str:
    n, known, deployed, measured = totals["projects"], totals["outcome_known"], totals["deployed"], totals["measured"]
    sentence = tr(
        f"Issue connue (déployé ou arrêté) pour {known} {plural(known, 'projet', 'projets')} sur {n}",
        f"Outcome known (deployed or stopped) for {known} of {n} projects")
    if totals["outcome_missing"]:
        sentence += tr(f" : {totals['outcome_missing']} sans issue connue ne comptent pas dans les taux",
                       f": {totals['outcome_missing']} without a known outcome are left out of the rates")
    sentence += tr(
        f". Délai mesurable (début et déploiement datés au mois près) pour {measured} des {deployed} projets déployés",
        f". Time to deployment measurable (start and deployment dated to the month) for {measured} of the "
        f"{deployed} deployed projects")
    if totals["date_missing"]:
        sentence += tr(f" : {totals['date_missing']} sans date assez précise",
                       f": {totals['date_missing']} without a precise enough date")
    return sentence + "."


def group_table(groups: pd.DataFrame, labels: list[str], by: str) -> pd.DataFrame:
    return pd.DataFrame({
        tr(GROUPINGS[by][2], GROUPINGS[by][3]): labels,
        tr("projets", "projects"): groups["projects"],
        tr("issue connue", "outcome known"): groups["outcome_known"],
        tr("déployés", "deployed"): groups["deployed"],
        tr("délai mesuré", "delay measured"): groups["measured"],
        tr("taux de déploiement (%)", "deployment rate (%)"): (groups["rate"] * 100).round(1),
        tr("délai moyen (mois)", "mean time (months)"): groups["mean_months"].round(1),
    })


def group_chart(groups: pd.DataFrame, labels: list[str], by: str) -> go.Figure:
    # The same figure as the reports (qmi_metrics.present.figures).
    return figures.deployment(groups, labels, language.lang())


def group_summary(groups: pd.DataFrame, labels: list[str]) -> str:
    return figures.deployment_summary(groups, labels, language.lang())


def render_grouping(version: str, filters: Filters, by: str) -> None:
    groups = deployment_by(version, filters, by)
    labels = group_labels(groups, by)
    table = group_table(groups, labels, by)
    percent = tr("taux de déploiement (%)", "deployment rate (%)")
    months = tr("délai moyen (mois)", "mean time (months)")
    config = {percent: st.column_config.NumberColumn(format="%.0f %%"),
              months: st.column_config.NumberColumn(format="%.0f")}
    widgets.table(table, f"qmi_deploiement_par_{by}", key=f"by-{by}-table", column_config=config,
                  placeholder=not_known())
    if groups["outcome_known"].sum() == 0:
        st.write(tr("Aucune issue connue dans cette vue : pas de graphique.",
                    "No known outcome in this view: no chart."))
        return
    figure = group_chart(groups, labels, by)
    widgets.chart(figure, table, group_summary(groups, labels), f"qmi_deploiement_par_{by}",
                  key=f"by-{by}", height=figure.layout.height)


# --- status board -------------------------------------------------------------------------------------

def render_board(frame: pd.DataFrame) -> None:
    st.header(tr("Où en sont les projets", "Where the projects stand"))
    board = projects.board(frame)
    for column, key in zip(st.columns(len(board)), board):
        names = board[key]
        with column:
            st.markdown(f"**{vocabulary.STATUS_SYMBOLS[key]} "
                        f"{tr(*BOARD_TITLES[key])} ({len(names)})**")
            listing = "\n".join(f"- {escape.markdown(name)}" for name in names) if names else tr("_aucun_", "_none_")
            (st.container(height=320, border=False) if len(names) > 10 else st.container()).markdown(listing)
    reached = projects.reached(frame)
    st.caption(tr(
        f"Chaque projet figure dans la colonne de l'étape la plus avancée qu'il a atteinte. Au total, "
        f"{reached['deployed']} ont été déployés ou testés, {reached['evaluated']} évalués, "
        f"{reached['continued']} poursuivis et {reached['stopped']} arrêtés.",
        f"Each project sits in the column of the furthest stage it reached. In all, {reached['deployed']} were "
        f"deployed or tested, {reached['evaluated']} evaluated, {reached['continued']} continued and "
        f"{reached['stopped']} stopped."))


# --- distribution of delays ---------------------------------------------------------------------------

def render_delays(version: str, filters: Filters, total: int) -> None:
    st.header(tr("Délais de déploiement", "Time to deployment"))
    known = delays(version, filters)
    n = len(known)
    if n < projects.MIN_DELAYS_FOR_HISTOGRAM:
        st.write(tr(f"Délais connus pour {n} {plural(n, 'projet', 'projets')} sur {total} : "
                    "pas de distribution significative.",
                    f"Time to deployment known for {n} of {total} projects: no meaningful distribution."))
        if n:
            st.markdown("\n".join(f"- {escape.markdown(row.name)} ({escape.markdown(row.commune)}){tr(' : ', ': ')}"
                                  f"{fmt(round(row.deployment_months, 1), 'months')}"
                                  f" — {fmt_date(row.started_on, 'month')} → {fmt_date(row.deployed_on, 'month')}"
                                  for row in known.itertuples()))
        return
    bins = projects.delay_bins(known["deployment_months"])
    figure = figures.delay_histogram(bins, language.lang())
    busiest = bins.loc[bins["projects"].idxmax()]
    months = known["deployment_months"]
    summary = tr(
        f"{n} délais mesurés sur {total} projets, de {fmt(round(months.min(), 1), 'months')} à "
        f"{fmt(round(months.max(), 1), 'months')} (médiane {fmt(round(months.median(), 1), 'months')}) ; "
        f"classe la plus fréquente : {int(busiest['start'])}–{int(busiest['end'])} mois ({int(busiest['projects'])} projets).",
        f"{n} measured delays out of {total} projects, from {fmt(round(months.min(), 1), 'months')} to "
        f"{fmt(round(months.max(), 1), 'months')} (median {fmt(round(months.median(), 1), 'months')}); "
        f"most frequent class: {int(busiest['start'])}–{int(busiest['end'])} months ({int(busiest['projects'])} projects).")
    data = pd.DataFrame({tr("classe", "class"): figures.delay_labels(bins, language.lang()),
                         tr("projets", "projects"): bins["projects"]})
    widgets.chart(figure, data, summary, "qmi_delais_deploiement", key="delays", height=figure.layout.height)
    with st.expander(tr("Délai de chaque projet", "Each project's delay")):
        widgets.table(pd.DataFrame({
            tr("projet", "project"): known["name"], "commune": known["commune"],
            tr("début", "start"): known["started_on"], tr("déploiement", "deployment"): known["deployed_on"],
            tr("délai (mois)", "months"): known["deployment_months"].round(1)}),
            "qmi_delais_par_projet", key="delays-per-project")


# --- page -------------------------------------------------------------------------------------------

view = sidebar.page("Déploiement", "Deployment",
                    "Combien de projets passent de l'expérimentation au déploiement, en combien de temps, et où.",
                    "How many projects move from experimentation to deployment, how fast, and where.")
version = caches.data_version()
widgets.kpi_row(caches.kpi_results(version, view.filters), headlines.DEPLOYMENT)

frame = caches.projects(version, view.filters)
if view.statuses:  # a rate over the projects of one status would say nothing
    st.caption(tr("Le filtre « Statut des projets » ne s'applique pas à cette page : elle porte sur tous les "
                  "projets de la vue.", "The “Project status” filter does not apply to this page: it covers "
                  "every project of the view."))
if frame.empty:
    st.info(tr("Aucun projet dans cette vue (édition, communes, défis choisis).",
               "No project in this view (chosen edition, communes, challenges)."))
else:
    st.header(tr("Déploiement par commune et par défi", "Deployment by commune and by challenge"))
    st.write(coverage_sentence(projects.coverage(deployment_by(version, view.filters, "commune"))))
    for by, tab in zip(GROUPINGS, st.tabs([tr(g[0], g[1]) for g in GROUPINGS.values()])):
        with tab:
            render_grouping(version, view.filters, by)
    render_board(frame)
    render_delays(version, view.filters, len(frame))
