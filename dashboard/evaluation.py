"""Évaluation: the indicator library, who follows which indicator, the replicability index and the
questionnaire results, each with its source."""

import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt, fmt_date, tr
from qmi_metrics.metrics import reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import figures, formatting, headlines, vocabulary
from qmi_metrics.reads import programme

MATRIX_MAX_PROJECTS = 60  # beyond, a heatmap is unreadable: the page shows the table only
RANKING_MAX_BARS = 40
RESPONDENTS = {"communes": ("communes", "communes"), "porteurs de projet": ("porteurs de projet", "project holders")}


# --- cached reads -----------------------------------------------------------------------------

@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def library(version: str, view: Filters, statuses: tuple[str, ...]) -> pd.DataFrame:
    return programme.indicators(database.connection(), view, statuses)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def links(version: str, view: Filters, statuses: tuple[str, ...]) -> pd.DataFrame:
    return programme.project_indicators(database.connection(), view, statuses)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def coverage(version: str, view: Filters, statuses: tuple[str, ...]) -> dict:
    return programme.indicator_coverage(database.connection(), view, statuses)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def measurements(version: str, view: Filters, statuses: tuple[str, ...]) -> pd.DataFrame:
    return programme.measurements_by_month(database.connection(), view, statuses)


@st.cache_data(max_entries=16, show_spinner=False)
def criteria(version: str) -> pd.DataFrame:
    return programme.replicability_criteria(database.connection())


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def ranking(version: str, view: Filters, statuses: tuple[str, ...]) -> pd.DataFrame:
    return programme.replicability_ranking(database.connection(), view, statuses)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def projects_count(version: str, view: Filters, statuses: tuple[str, ...]) -> int:
    return programme.projects_in_view(database.connection(), view, statuses)


@st.cache_data(max_entries=16, show_spinner=False)
def surveys(version: str, edition: int | None) -> pd.DataFrame:
    return programme.survey_results(database.connection(), edition)


# --- helpers ----------------------------------------------------------------------------------

def label(row, fr: str = "label_fr", en: str = "label_en") -> str:
    return row[en] if language.lang() == "en" else row[fr]


def document_text(document, section) -> str:
    if document is None or pd.isna(document):
        return ""
    return f"{reconcile.document_name(document, language.lang())} — {section}"


# --- 1. the indicator library -------------------------------------------------------------------

def library_section(view: sidebar.View, version: str, results: dict) -> None:
    st.header(tr("Bibliothèque d'indicateurs", "Indicator library"))
    frame = library(version, view.filters, view.statuses)
    left, right = st.columns([1, 2])
    with left:
        widgets.kpi_row(results, headlines.EVALUATION_LIBRARY, columns=1)
    with right:
        result = results.get("indicators_count")
        published = result.published[0] if result is not None and result.published else None
        shipped = len(frame)
        if published is not None:
            st.write(tr(
                f"Le tableau de bord livre **{shipped} indicateurs** ; le rapport en annonce "
                f"**{published.qualifier or ''} {fmt(published.value)}** (« {escape.markdown(published.quote)} », "
                f"{reconcile.document_name(published.document, 'fr')}, {escape.markdown(published.section)}). "
                "**La bibliothèque complète n'est pas publique** : celle-ci ne contient que les mesures que le rapport "
                "cite, chacune avec sa phrase. Leur unité et leur sens souhaité sont notre modélisation.",
                f"The dashboard ships **{shipped} indicators**; the report announces "
                f"**{'more than ' if published.qualifier == 'plus de' else ''}{fmt(published.value)}** "
                f"(“{escape.markdown(published.quote)}”, "
                f"{reconcile.document_name(published.document, 'en')}, {escape.markdown(published.section)}). "
                "**The full library is not public**: this one holds only the measures the report names, each with "
                "its sentence. Their unit and wanted direction are our modelling."))
        else:
            st.write(tr(f"La bibliothèque contient **{shipped} indicateurs**.",
                        f"The library holds **{shipped} indicators**."))
    by_domain = {slug: frame[frame["domain"] == slug] for slug, _fr, _en in vocabulary.DOMAINS}
    tabs = st.tabs([f"{tr(fr, en)} ({len(by_domain[slug])})" for slug, fr, en in vocabulary.DOMAINS])
    for tab, (slug, fr, en) in zip(tabs, vocabulary.DOMAINS):
        with tab:
            rows = by_domain[slug]
            if rows.empty:
                st.write(tr("Aucun indicateur dans ce domaine.", "No indicator in this domain."))
                continue
            widgets.table(indicator_table(rows), f"qmi_indicateurs_{slug.replace(' ', '_')}", key=f"indicators-{slug}")


def indicator_table(rows: pd.DataFrame) -> pd.DataFrame:
    directions = {key: tr(*pair) for key, pair in vocabulary.DIRECTIONS.items()}
    return pd.DataFrame({
        tr("indicateur", "indicator"): [label(r) for _, r in rows.iterrows()],
        tr("unité", "unit"): rows["unit"].values,
        tr("sens souhaité", "wanted direction"): [directions.get(d, d) for d in rows["direction"]],
        tr("projets qui le suivent (vue)", "projects following it (view)"): rows["projects_following"].astype(int).values,
        tr("phrase du rapport", "sentence of the report"): [f"« {q} »" if q else vocabulary.NOT_KNOWN[language.lang()]
                                                                 for q in rows["source_quote"]],
        "source": [t or "" for t in rows["source_title"]],
    })


# --- 2. who follows what ------------------------------------------------------------------------

def follow_section(view: sidebar.View, version: str) -> None:
    st.header(tr("Qui suit quel indicateur", "Who follows which indicator"))
    counts = coverage(version, view.filters, view.statuses)
    if not counts["projects"]:
        st.info(tr("Aucun projet dans cette vue.", "No project in this view."))
        return
    st.write(tr(
        f"{counts['following']} projets sur {counts['projects']} suivent au moins un indicateur ; "
        f"{counts['projects'] - counts['following']} n'en suivent aucun connu. "
        + (f"{fmt(counts['values_count'])} valeurs mesurées sont enregistrées." if counts["values_count"]
           else "Aucune valeur mesurée n'est publiée : seuls les indicateurs suivis sont connus."),
        f"{counts['following']} of {counts['projects']} projects follow at least one indicator; "
        f"{counts['projects'] - counts['following']} follow none that is known. "
        + (f"{fmt(counts['values_count'])} measured values are recorded." if counts["values_count"]
           else "No measured value is published: only which indicators are followed is known.")))
    frame = links(version, view.filters, view.statuses)
    if frame.empty:
        return
    matrix = programme.indicator_matrix(frame, language.lang())
    data = pd.DataFrame({
        tr("projet", "project"): frame["project"],
        "commune": frame["commune"],
        tr("indicateur", "indicator"): frame["indicator_en" if language.lang() == "en" else "indicator_fr"],
        tr("domaine", "domain"): frame["domain"].map(domain_labels()).fillna(frame["domain"]).values,
        tr("phrase du rapport", "sentence of the report"): [f"« {q} »" if q else "" for q in frame["source_quote"]],
    })
    if len(matrix) > MATRIX_MAX_PROJECTS:
        st.caption(tr(f"{len(matrix)} projets : trop pour une matrice lisible, le tableau suit (✓ = suivi).",
                      f"{len(matrix)} projects: too many for a readable matrix, the table follows (✓ = followed)."))
        widgets.table(matrix.reset_index().rename(columns={"project": tr("projet", "project")}),
                      "qmi_projets_indicateurs", key="follow-table")
        return
    summary = tr(
        f"Matrice projets × indicateurs : {len(frame)} suivis pour {len(matrix)} projets et {matrix.shape[1]} indicateurs ; "
        "✓ marque un indicateur suivi.",
        f"Projects × indicators matrix: {len(frame)} links for {len(matrix)} projects and {matrix.shape[1]} indicators; "
        "✓ marks a followed indicator.")
    figure = figures.indicator_matrix(matrix, language.lang())
    widgets.chart(figure, data, summary, "qmi_projets_indicateurs", key="follow", height=figure.layout.height)


def domain_labels() -> dict[str, str]:
    """Domain labels in the reader's language, looked up once for a whole column (not per row)."""
    return figures.domain_labels(language.lang())


# --- 2b. measurements over time -------------------------------------------------------------------

def measurements_section(view: sidebar.View, version: str, results: dict) -> None:
    frame = measurements(version, view.filters, view.statuses)
    if frame.empty:
        return  # the follow section already says no measurement is published
    st.header(tr("Mesures dans le temps", "Measurements over time"))
    widgets.kpi_row(results, headlines.EVALUATION_MEASURES, columns=2)
    figure = figures.measurements_by_month(frame, language.lang())
    per_month = frame.groupby("month")["measurements"].sum()
    first, last, busiest = (fmt_date(day, "month") for day in
                            (per_month.index.min(), per_month.index.max(), per_month.idxmax()))
    total, most = fmt(int(per_month.sum())), fmt(int(per_month.max()))
    summary = tr(
        f"{total} mesures de {first} à {last} ; le mois le plus fourni : {busiest} ({most} mesures).",
        f"{total} measurements from {first} to {last}; the busiest month: {busiest} ({most} measurements).")
    data = pd.DataFrame({
        tr("mois", "month"): frame["month"],
        tr("domaine", "domain"): frame["domain"].map(domain_labels()).fillna(frame["domain"]).values,
        tr("mesures", "measurements"): frame["measurements"],
        tr("projets mesurés", "projects measured"): frame["projects"],
    })
    widgets.chart(figure, data, summary, "qmi_mesures_par_mois", key="measurements", height=figure.layout.height)


# --- 3. replicability ---------------------------------------------------------------------------

def replicability_section(view: sidebar.View, version: str, results: dict) -> None:
    st.header(tr("Indice de répliquabilité", "Replicability index"))
    crit = criteria(version)
    st.write(tr(
        f"L'indice est la moyenne de {len(crit)} critères notés de 0 à 5, ramenée entre 0 et 1 :",
        f"The index is the mean of {len(crit)} criteria scored 0 to 5, scaled to 0–1:"))
    st.markdown("\n".join(f"{i}. {escape.markdown(label(row))}" for i, (_, row) in enumerate(crit.iterrows(), start=1)))
    quotes = crit.dropna(subset=["source_quote"]).drop_duplicates("source_quote")
    for _, row in quotes.iterrows():
        st.markdown(f"> « {escape.markdown(row['source_quote'])} »")
        st.caption(f"{tr('Source :', 'Source:')} {escape.markdown(row['source_title'] or '')}")
    scored_anywhere = [k for k in results if k.startswith("replicability_index:")]
    if not scored_anywhere:
        st.info(tr("Aucun projet n'est encore noté : les documents publics ne donnent pas les notes.",
                   "No project is scored yet: the public documents do not give the scores."), icon="ℹ️")
        return
    frame = ranking(version, view.filters, view.statuses)
    total = projects_count(version, view.filters, view.statuses)
    if frame.empty:
        st.info(tr(f"Aucun des {total} projets de cette vue n'est noté ({len(scored_anywhere)} le sont dans la base).",
                   f"None of the {total} projects in this view is scored ({len(scored_anywhere)} are in the database)."))
        return
    shown = frame.head(RANKING_MAX_BARS)
    mean = fmt(float(frame["index_ratio"].mean()), "index")
    summary = tr(
        f"{len(frame)} projets notés sur {total} dans la vue (indice moyen des projets notés : {mean}) ; le mieux noté : {frame['project'].iloc[0]} "
        f"({fmt(frame['index_ratio'].iloc[0], 'index')}), le moins bien : {frame['project'].iloc[-1]} "
        f"({fmt(frame['index_ratio'].iloc[-1], 'index')}).",
        f"{len(frame)} projects scored of {total} in the view (mean index of the scored projects: {mean}); best: {frame['project'].iloc[0]} "
        f"({fmt(frame['index_ratio'].iloc[0], 'index')}), lowest: {frame['project'].iloc[-1]} "
        f"({fmt(frame['index_ratio'].iloc[-1], 'index')}).")
    if len(frame) > RANKING_MAX_BARS:
        summary += tr(f" Le graphique montre les {RANKING_MAX_BARS} premiers ; le tableau les montre tous.",
                      f" The chart shows the top {RANKING_MAX_BARS}; the table shows them all.")
    figure = figures.replicability_ranking(shown, language.lang())
    widgets.chart(figure, ranking_table(frame, crit), summary, "qmi_repliquabilite", key="replicability",
                  height=figure.layout.height)


def ranking_table(frame: pd.DataFrame, crit: pd.DataFrame) -> pd.DataFrame:
    lang = language.lang()  # read once: a thousand scored projects at the Métropole's scale
    table = pd.DataFrame({
        tr("rang", "rank"): range(1, len(frame) + 1),
        tr("projet", "project"): frame["project"].values,
        "commune": frame["commune"].values,
        tr("édition", "edition"): frame["edition_id"].values,
        tr("indice", "index"): [formatting.value(v, "index", lang) for v in frame["index_ratio"]],
        tr("critères notés", "criteria scored"): [f"{s}/{t}" for s, t in zip(frame["criteria_scored"], frame["criteria_total"])],
    })
    for _, row in crit.iterrows():
        table[f"{label(row)} (0–5)"] = [scores.get(row["criterion_id"]) if isinstance(scores, dict) else None
                                        for scores in frame["scores"]]
    return table


# --- 4. questionnaires --------------------------------------------------------------------------

def survey_section(view: sidebar.View, version: str, results: dict) -> None:
    st.header(tr("Questionnaires", "Questionnaires"))
    if view.filters.communes or view.filters.themes:
        st.caption(tr("Les résultats de questionnaires sont des agrégats publiés par édition : les filtres "
                      "« Communes » et « Défis » ne s'y appliquent pas.",
                      "Questionnaire results are aggregates published per edition: the “Communes” and "
                      "“Challenges” filters do not apply to them."))
    frame = surveys(version, view.filters.edition)
    if frame.empty:
        st.info(tr("Aucun résultat de questionnaire pour cette vue.", "No questionnaire result for this view."))
        return
    several_editions = frame["edition_id"].nunique() > 1
    st.subheader(tr("Motifs de candidature", "Reasons for applying"))
    ratio_charts(frame[frame["topic"] == "motif"], several_editions, "motifs")
    st.subheader(tr("Freins", "Brakes"))
    brake = results.get("financing_brake_score")
    if brake is not None and (brake.value is not None or brake.published):
        widgets.kpi_row(results, headlines.EVALUATION_SURVEY, columns=2)
    ratio_charts(frame[frame["topic"] == "frein"], several_editions, "freins")
    score_lines(frame[frame["topic"] == "frein"], several_editions)
    st.subheader(tr("Compétences et perspectives", "Skills and outlook"))
    later = frame[frame["topic"].isin(["compétences", "perspectives"])]
    ratio_charts(later, several_editions, "perspectives")
    score_lines(later, several_editions)


def survey_label(row, several_editions: bool) -> str:
    return figures.survey_label(row, several_editions, language.lang())


def survey_table(rows: pd.DataFrame, several_editions: bool) -> pd.DataFrame:
    return pd.DataFrame({
        tr("résultat", "result"): [survey_label(r, several_editions) for _, r in rows.iterrows()],
        tr("valeur", "value"): [fmt(v, u) for v, u in zip(rows["value"], rows["unit"])],
        tr("répondants", "respondents"): [tr(*RESPONDENTS.get(r, (r, r))) for r in rows["respondents"]],
        tr("édition", "edition"): rows["edition_id"].values,
        "source": [document_text(d, s) or (t or "") for d, s, t in zip(rows["document"], rows["section"], rows["source_title"])],
        tr("citation", "quote"): [f"« {q} »" if isinstance(q, str) else "" for q in rows["quote"]],
        tr("chiffre", "figure"): [f if isinstance(f, str) else "" for f in rows["figure_id"]],
    })


def ratio_charts(rows: pd.DataFrame, several_editions: bool, name: str) -> None:
    """One ranked bar chart of percentages per group of respondents."""
    ratios = rows[rows["unit"] == "ratio"]
    for respondents, group in ratios.groupby("respondents", sort=True):
        group = group.sort_values(["edition_id", "value"], ascending=[True, False])
        who = tr(*RESPONDENTS.get(respondents, (respondents, respondents)))
        figure = figures.survey_ratios(group, several_editions, language.lang())
        top = group.loc[group["value"].idxmax()]
        summary = tr(
            f"Réponses des {who} : en tête, « {label(top)} » ({fmt(top['value'], 'ratio')}) ; "
            f"{len(group)} résultats.",
            f"Answers of the {who}: first, “{label(top)}” ({fmt(top['value'], 'ratio')}); "
            f"{len(group)} results.")
        st.markdown(f"**{tr('Répondants', 'Respondents')} : {escape.markdown(who)}**")
        widgets.chart(figure, survey_table(group, several_editions), summary,
                      f"qmi_questionnaire_{name}_{respondents.replace(' ', '_')}",
                      key=f"survey-{name}-{respondents}", height=figure.layout.height)


def score_lines(rows: pd.DataFrame, several_editions: bool) -> None:
    """Scores out of 10, each with its source; a brake's score is already on the card above."""
    scored = rows[rows["unit"] == "score_10"]
    if scored.empty:
        return
    for _, row in scored[scored["topic"] != "frein"].iterrows():
        who = tr(*RESPONDENTS.get(row["respondents"], (row["respondents"],) * 2))
        st.markdown(f"- **{fmt(row['value'], 'score_10')}** — {escape.markdown(survey_label(row, several_editions))}"
                    f" ({escape.markdown(who)})")
    widgets.table(survey_table(scored, several_editions), "qmi_questionnaire_notes",
                  key=f"survey-scores-{rows['topic'].iloc[0]}")


# --- page ---------------------------------------------------------------------------------------

view = sidebar.page(
    "Évaluation", "Evaluation",
    "Comment les expérimentations sont évaluées : la bibliothèque d'indicateurs, qui suit quoi, l'indice de "
    "répliquabilité et ce que disent les questionnaires des communes et des porteurs de projet.",
    "How the experimentations are evaluated: the indicator library, who follows what, the replicability index and "
    "what the questionnaires of communes and project holders say.")
data_version = caches.data_version()
kpi_results = caches.kpi_results(data_version, view.filters)
library_section(view, data_version, kpi_results)
follow_section(view, data_version)
measurements_section(view, data_version, kpi_results)
replicability_section(view, data_version, kpi_results)
survey_section(view, data_version, kpi_results)
