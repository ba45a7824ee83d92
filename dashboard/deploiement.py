"""Déploiement: how many projects reach deployment, how fast, per commune and per défi, where each
project stands, and how long deployments take — saying each time how much of the view the figures rest on."""

import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt, fmt_date
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import figures, formatting, headlines, vocabulary
from qmi_metrics.present.i18n import N_, _, _n
from qmi_metrics.reads import projects

BOARD_TITLES = {
    "selected": N_("Sélectionnés, pas encore déployés"),
    "deployed": N_("Déployés ou testés"),
    "evaluated": N_("Évalués"),
    "continued": N_("Poursuivis"),
    "stopped": N_("Arrêtés"),
}
# Each grouping's tab, and the heading of its column of names.
GROUPINGS = {"commune": {"tab": N_("Par commune"), "column": N_("commune")},
             "theme": {"tab": N_("Par défi"), "column": N_("défi")}}


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def deployment_by(version: str, filters: Filters, by: str) -> pd.DataFrame:
    return projects.deployment_by(database.connection(), filters, by)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def delays(version: str, filters: Filters) -> pd.DataFrame:
    return projects.delays(database.connection(), filters)


def not_known() -> str:
    return vocabulary.not_known(language.lang())


# --- per commune, per défi ---------------------------------------------------------------------------

def group_labels(groups: pd.DataFrame, by: str) -> list[str]:
    return figures.group_labels(groups, by, language.lang())


def coverage_sentence(totals: dict) -> str:
    n, known, deployed, measured = totals["projects"], totals["outcome_known"], totals["deployed"], totals["measured"]
    sentence = _n(language.lang(),
        "Issue connue (déployé ou arrêté) pour {known} projet sur {n}",
        "Issue connue (déployé ou arrêté) pour {known} projets sur {n}", known, known=known, n=n)
    if totals["outcome_missing"]:
        sentence += _(language.lang(), " : {outcome_missing} sans issue connue ne comptent pas dans les taux",
                                       outcome_missing=totals['outcome_missing'])
    sentence += _(language.lang(),
        ". Délai mesurable (début et déploiement datés au mois près) pour {measured} des {deployed} projets déployés",
        measured=measured, deployed=deployed)
    if totals["date_missing"]:
        sentence += _(language.lang(), " : {date_missing} sans date assez précise", date_missing=totals['date_missing'])
    return sentence + "."


def group_table(groups: pd.DataFrame, labels: list[str], by: str) -> pd.DataFrame:
    return pd.DataFrame({
        _(language.lang(), GROUPINGS[by]["column"]): labels,
        _(language.lang(), "projets"): groups["projects"],
        _(language.lang(), "issue connue"): groups["outcome_known"],
        _(language.lang(), "déployés"): groups["deployed"],
        _(language.lang(), "délai mesuré"): groups["measured"],
        _(language.lang(), "taux de déploiement (%)"): (groups["rate"] * 100).round(1),
        _(language.lang(), "délai moyen (mois)"): groups["mean_months"].round(1),
        _(language.lang(), "base du délai"): [vocabulary.basis_label(b, language.lang()) if vocabulary.known(b) else ""
                                              for b in groups["delay_basis"]],
    })


def delay_rules(groups: pd.DataFrame) -> list[tuple]:
    """(basis, rule) of the delays the groups' means rest on that their sources do not state."""
    return [(basis, rule) for basis, rules in zip(groups["delay_basis"], groups["delay_rules"])
            for rule in (rules if isinstance(rules, (list, tuple)) else list(rules))]


@widgets.cached_chart
def group_chart(version: str, filters: Filters, by: str, lang: str) -> widgets.Chart:
    groups = deployment_by(version, filters, by)
    labels = figures.group_labels(groups, by, lang)
    # The same figure as the reports (qmi_metrics.present.figures).
    return widgets.Chart(figures.deployment(groups, labels, lang), group_table(groups, labels, by),
                         figures.deployment_summary(groups, labels, lang))


def render_grouping(version: str, filters: Filters, by: str) -> None:
    groups = deployment_by(version, filters, by)
    labels = group_labels(groups, by)
    table = group_table(groups, labels, by)
    percent = _(language.lang(), "taux de déploiement (%)")
    months = _(language.lang(), "délai moyen (mois)")
    config = {percent: st.column_config.NumberColumn(format="%.0f %%"),
              months: st.column_config.NumberColumn(format="%.0f"),
              _(language.lang(), "base du délai"): st.column_config.TextColumn(
                  help=vocabulary.basis_help(language.lang()))}
    widgets.table(table, f"qmi_deploiement_par_{by}", key=f"by-{by}-table", column_config=config,
                  placeholder=not_known())
    widgets.basis_note(delay_rules(groups))
    if groups["outcome_known"].sum() == 0:
        st.write(_(language.lang(), "Aucune issue connue dans cette vue : pas de graphique."))
        return
    widgets.chart(group_chart(version, filters, by, language.lang()), f"qmi_deploiement_par_{by}", key=f"by-{by}")


# --- status board -------------------------------------------------------------------------------------

def render_board(frame: pd.DataFrame) -> None:
    st.header(_(language.lang(), "Où en sont les projets"))
    board = projects.board(frame)
    marks = {name: vocabulary.basis_mark(basis, language.lang())
             for name, basis in zip(frame["name"], frame["status_basis"])}
    for column, key in zip(st.columns(len(board)), board):
        names = board[key]
        with column:
            st.markdown(f"**{vocabulary.STATUS_SYMBOLS[key]} "
                        f"{_(language.lang(), BOARD_TITLES[key])} ({len(names)})**")
            listing = "\n".join(f"- {escape.markdown(name + marks.get(name, ''))}" for name in names) \
                if names else _(language.lang(), "_aucun_")
            st.markdown(listing)  # not a scrolled box: one the keyboard cannot reach (axe's scrollable-region-focusable)
    reached = projects.reached(frame)
    st.caption(_(language.lang(),
        "Chaque projet figure dans la colonne de l'étape la plus avancée qu'il a atteinte. Au total, "
        "{deployed} ont été déployés ou testés, {evaluated} évalués, "
        "{continued} poursuivis et {stopped} arrêtés.",
        deployed=reached['deployed'], evaluated=reached['evaluated'], continued=reached['continued'],
        stopped=reached['stopped']))
    widgets.basis_note(zip(frame["status_basis"], frame["status_rule"]),
                       _(language.lang(), "Un projet marqué « inféré » est à cette étape par une ligne que sa"
                                          " source n'énonce pas :"))


# --- distribution of delays ---------------------------------------------------------------------------

def render_delays(version: str, filters: Filters, total: int) -> None:
    st.header(_(language.lang(), "Délais de déploiement"))
    known = delays(version, filters)
    n = len(known)
    if n < projects.MIN_DELAYS_FOR_HISTOGRAM:
        st.write(_n(language.lang(), "Délais connus pour {n} projet sur {total} : "
                                     "pas de distribution significative.",
                                     "Délais connus pour {n} projets sur {total} : "
                                     "pas de distribution significative.",
                                     n, total=total))
        if n:
            st.markdown("\n".join(f"- {escape.markdown(row.name)} ({escape.markdown(row.commune)}){_(language.lang(), ' : ')}"
                                  f"{fmt(round(row.deployment_months, 1), 'months')}"
                                  f"{vocabulary.basis_mark(row.delay_basis, language.lang())}"
                                  f" — {fmt_date(row.started_on, 'month')} → {fmt_date(row.deployed_on, 'month')}"
                                  for row in known.itertuples()))
            widgets.basis_note(zip(known["delay_basis"], known["delay_rule"]))
        return
    widgets.chart(delays_chart(version, filters, total, language.lang()), "qmi_delais_deploiement", key="delays")
    widgets.basis_note(zip(known["delay_basis"], known["delay_rule"]))
    with st.expander(_(language.lang(), "Délai de chaque projet")):
        widgets.table(pd.DataFrame({
            _(language.lang(), "projet"): known["name"], "commune": known["commune"],
            _(language.lang(), "début"): known["started_on"], _(language.lang(), "déploiement"): known["deployed_on"],
            _(language.lang(), "délai (mois)"): known["deployment_months"].round(1),
            _(language.lang(), "base"): widgets.basis_column(known["delay_basis"])}),
            "qmi_delais_par_projet", key="delays-per-project", column_config=widgets.basis_config())


@widgets.cached_chart
def delays_chart(version: str, filters: Filters, total: int, lang: str) -> widgets.Chart:
    known = delays(version, filters)
    bins = projects.delay_bins(known["deployment_months"])
    busiest = bins.loc[bins["projects"].idxmax()]
    months = known["deployment_months"]

    def fmt_months(value) -> str:
        return formatting.value(round(value, 1), "months", lang)

    summary = _(lang,
        "{n} délais mesurés sur {total} projets, de {fmt_round_months_min} à "
        "{fmt_round_months_max} (médiane {fmt_round_months_median}) ; "
        "classe la plus fréquente : {int_start}–{int_end} mois ({int_projects} projets).",
        n=len(known), total=total, fmt_round_months_min=fmt_months(months.min()),
        fmt_round_months_max=fmt_months(months.max()), fmt_round_months_median=fmt_months(months.median()),
        int_start=int(busiest['start']), int_end=int(busiest['end']), int_projects=int(busiest['projects']))
    data = pd.DataFrame({_(lang, "classe"): figures.delay_labels(bins, lang), _(lang, "projets"): bins["projects"]})
    unstated = int(known["delay_basis"].isin(vocabulary.ROW_BASES[1:]).sum())
    if unstated:
        summary += " " + _n(lang, "{n} de ces délais repose sur une date que sa source n'énonce pas.",
                            "{n} de ces délais reposent sur des dates que leurs sources n'énoncent pas.", unstated)
    return widgets.Chart(figures.delay_histogram(bins, lang), data, summary)


# --- page -------------------------------------------------------------------------------------------

view = sidebar.page(_(language.lang(), "Déploiement"),
                    _(language.lang(), "Combien de projets passent de l'expérimentation au déploiement, en combien de "
                                       "temps, et où."))
version = caches.data_version()
widgets.kpi_row(caches.kpi_results(version, view.filters), headlines.DEPLOYMENT)

frame = caches.projects(version, view.filters)
if view.statuses:  # a rate over the projects of one status would say nothing
    st.caption(_(language.lang(), "Le filtre « Statut des projets » ne s'applique pas à cette page : elle porte sur tous les "
                                  "projets de la vue."))
if frame.empty:
    st.info(_(language.lang(), "Aucun projet dans cette vue (édition, communes, défis choisis)."))
else:
    st.header(_(language.lang(), "Déploiement par commune et par défi"))
    st.write(coverage_sentence(projects.coverage(deployment_by(version, view.filters, "commune"))))
    for by, tab in zip(GROUPINGS, st.tabs([_(language.lang(), g["tab"]) for g in GROUPINGS.values()])):
        with tab:
            render_grouping(version, view.filters, by)
    render_board(frame)
    render_delays(version, view.filters, len(frame))
