"""Évaluation: the indicator library, who follows which indicator, the protocols' progress (projects by progress,
what is still to complete), the replicability index and the questionnaire results, each with its source."""

import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt
from qmi_metrics.metrics import reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import figures, formatting, headlines, protocol, vocabulary
from qmi_metrics.present.i18n import N_, _
from qmi_metrics.reads import programme

MATRIX_MAX_PROJECTS = 60  # beyond, a heatmap is unreadable: the page shows the table only
RANKING_MAX_BARS = 40
RESPONDENTS = {"communes": N_("communes"), "porteurs de projet": N_("porteurs de projet")}  # survey_results.respondents


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


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def progress_by_project(version: str, view: Filters, statuses: tuple[str, ...]) -> pd.DataFrame:
    return programme.progress_by_project(database.connection(), view, statuses)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def to_complete(version: str, view: Filters, statuses: tuple[str, ...]) -> pd.DataFrame:
    return programme.to_complete(database.connection(), view, statuses)


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
    st.header(_(language.lang(), "Bibliothèque d'indicateurs"))
    frame = library(version, view.filters, view.statuses)
    left, right = st.columns([1, 2])
    with left:
        widgets.kpi_row(results, headlines.EVALUATION_LIBRARY, columns=1)
    with right:
        result = results.get("indicators_count")
        published = result.published[0] if result is not None and result.published else None
        shipped = len(frame)
        if published is not None:
            st.write(_(language.lang(),
                "Le tableau de bord livre **{shipped} indicateurs** ; le rapport en annonce "
                "**{qualifier} {fmt_value}** (« {markdown_quote} », "
                "{document_name_document}, {markdown_section}). "
                "**La bibliothèque complète n'est pas publique** : celle-ci ne contient que les mesures que nomment "
                "les descriptions des projets (et le champ « retours usagers » que cite le rapport), chacune avec sa "
                "phrase. Leur unité, leur sens souhaité et leur domaine sont modélisés par le tableau de bord.",
                shipped=shipped, qualifier=published.qualifier or '', fmt_value=fmt(published.value),
                markdown_quote=escape.markdown(published.quote),
                document_name_document=reconcile.document_name(published.document, 'fr'),
                markdown_section=escape.markdown(published.section),
                qualifier_2='more than ' if published.qualifier == 'plus de' else '',
                document_name_document_2=reconcile.document_name(published.document, 'en')))
        else:
            st.write(_(language.lang(), "La bibliothèque contient **{shipped} indicateurs**.", shipped=shipped))
    by_domain = {slug: frame[frame["domain"] == slug] for slug in vocabulary.DOMAINS}
    tabs = st.tabs([f"{vocabulary.domain_label(slug, language.lang())} ({len(by_domain[slug])})" for slug in vocabulary.DOMAINS])
    for tab, slug in zip(tabs, vocabulary.DOMAINS):
        with tab:
            rows = by_domain[slug]
            if rows.empty:
                st.write(_(language.lang(), "Aucun indicateur dans ce domaine."))
                continue
            widgets.table(indicator_table(rows), f"qmi_indicateurs_{slug.replace(' ', '_')}", key=f"indicators-{slug}",
                          column_config=widgets.basis_config())
            widgets.basis_note(zip(rows["basis"], rows["basis_rule"]), vocabulary.indicator_model_note(language.lang()))


def indicator_table(rows: pd.DataFrame) -> pd.DataFrame:
    directions = {key: vocabulary.words(vocabulary.DIRECTIONS, key, language.lang()) for key in vocabulary.DIRECTIONS}
    return pd.DataFrame({
        _(language.lang(), "indicateur"): [label(r) for _ignored, r in rows.iterrows()],
        _(language.lang(), "unité"): rows["unit"].values,
        _(language.lang(), "sens souhaité"): [directions.get(d, d) for d in rows["direction"]],
        _(language.lang(), "projets qui le suivent (vue)"): rows["projects_following"].astype(int).values,
        _(language.lang(), "base"): widgets.basis_column(rows["basis"]),
        _(language.lang(), "phrase du rapport"): [f"« {q} »" if q else vocabulary.not_known(language.lang())
                                                                 for q in rows["source_quote"]],
        "source": [t or "" for t in rows["source_title"]],
    })


# --- 2. who follows what ------------------------------------------------------------------------

def follow_section(view: sidebar.View, version: str) -> None:
    st.header(_(language.lang(), "Qui suit quel indicateur"))
    counts = coverage(version, view.filters, view.statuses)
    if not counts["projects"]:
        st.info(_(language.lang(), "Aucun projet dans cette vue."))
        return
    following = _(language.lang(), "{following} projets sur {projects} suivent au moins un indicateur ; {others} "
                                   "n'en suivent aucun connu.", following=counts["following"],
                  projects=counts["projects"], others=counts["projects"] - counts["following"])
    values = (_(language.lang(), "{values_count} valeurs mesurées sont enregistrées.",
                values_count=fmt(counts["values_count"])) if counts["values_count"]
              else _(language.lang(), "Aucune valeur mesurée n'est publiée : seuls les indicateurs suivis sont connus."))
    st.write(f"{following} {values}")
    frame = links(version, view.filters, view.statuses)
    if frame.empty:
        return
    # Who follows what: the measures each project's description names (a link not stated says so, with its rule).
    widgets.basis_note(zip(frame["basis"], frame["basis_rule"]))
    matrix = indicator_matrix(version, view.filters, view.statuses, language.lang())
    if len(matrix) > MATRIX_MAX_PROJECTS:
        st.caption(_(language.lang(), "{len_matrix} projets : trop pour une matrice lisible, le tableau suit (✓ = suivi).",
                                      len_matrix=len(matrix)))
        widgets.table(matrix.reset_index().rename(columns={"project": _(language.lang(), "projet")}),
                      "qmi_projets_indicateurs", key="follow-table")
        return
    widgets.chart(follow_chart(version, view.filters, view.statuses, language.lang()), "qmi_projets_indicateurs",
                  key="follow")


@st.cache_data(max_entries=64, max_size=caches.CACHE_BYTES, show_spinner=False)
def indicator_matrix(version: str, view: Filters, statuses: tuple[str, ...], lang: str) -> pd.DataFrame:
    return programme.indicator_matrix(links(version, view, statuses), lang)


@widgets.cached_chart
def follow_chart(version: str, view: Filters, statuses: tuple[str, ...], lang: str) -> widgets.Chart:
    frame = links(version, view, statuses)
    matrix = indicator_matrix(version, view, statuses, lang)
    data = pd.DataFrame({
        _(lang, "projet"): frame["project"],
        "commune": frame["commune"],
        _(lang, "indicateur"): frame["indicator_en" if lang == "en" else "indicator_fr"],
        _(lang, "domaine"): frame["domain"].map(figures.domain_labels(lang)).fillna(frame["domain"]).values,
        _(lang, "base"): widgets.basis_column(frame["basis"]),
        _(lang, "phrase du rapport"): [f"« {q} »" if q else "" for q in frame["source_quote"]],
    })
    summary = _(lang,
        "Matrice projets × indicateurs : {len_frame} suivis pour {len_matrix} projets et {shape_1} indicateurs ; "
        "✓ marque un indicateur suivi.",
        len_frame=len(frame), len_matrix=len(matrix), shape_1=matrix.shape[1])
    return widgets.Chart(figures.indicator_matrix(matrix, lang), data, summary)


def domain_labels() -> dict[str, str]:
    """Domain labels in the reader's language, looked up once for a whole column (not per row)."""
    return figures.domain_labels(language.lang())


# --- 2b. measurements over time -------------------------------------------------------------------

def measurements_section(view: sidebar.View, version: str, results: dict) -> None:
    frame = measurements(version, view.filters, view.statuses)
    if frame.empty:
        return  # the follow section already says no measurement is published
    st.header(_(language.lang(), "Mesures dans le temps"))
    widgets.kpi_row(results, headlines.EVALUATION_MEASURES, columns=2)
    widgets.chart(measurements_chart(version, view.filters, view.statuses, language.lang()), "qmi_mesures_par_mois",
                  key="measurements")


@widgets.cached_chart
def measurements_chart(version: str, view: Filters, statuses: tuple[str, ...], lang: str) -> widgets.Chart:
    frame = measurements(version, view, statuses)
    per_month = frame.groupby("month")["measurements"].sum()
    first, last, busiest = (formatting.date(day, "month", lang) for day in
                            (per_month.index.min(), per_month.index.max(), per_month.idxmax()))
    total, most = formatting.value(int(per_month.sum()), "count", lang), formatting.value(int(per_month.max()), "count", lang)
    summary = _(lang,
        "{total} mesures de {first} à {last} ; le mois le plus fourni : {busiest} ({most} mesures).", total=total,
        first=first, last=last, busiest=busiest, most=most)
    data = pd.DataFrame({
        _(lang, "mois"): frame["month"],
        _(lang, "domaine"): frame["domain"].map(figures.domain_labels(lang)).fillna(frame["domain"]).values,
        _(lang, "mesures"): frame["measurements"],
        _(lang, "projets mesurés"): frame["projects"],
    })
    return widgets.Chart(figures.measurements_by_month(frame, lang), data, summary)


# --- 2c. protocols and progress -------------------------------------------------------------------

def progress_section(view: sidebar.View, version: str, results: dict) -> None:
    lang = language.lang()
    st.header(_(lang, "Protocoles et avancement"))
    frame = progress_by_project(version, view.filters, view.statuses)
    if frame.empty:
        st.info(_(lang, "Aucun indicateur suivi dans cette vue : pas de protocole à suivre."))
        return
    widgets.kpi_row(results, headlines.EVALUATION_PROGRESS, columns=3)
    st.caption(f"{protocol.formula_note(lang)} {protocol.on_track_note(lang)}")
    st.subheader(_(lang, "Projets par avancement"))
    ranked = frame[frame["computable"] > 0]
    if ranked.empty:
        st.write(_(lang, "Aucun projet de la vue n'a d'avancement calculable : aucun protocole ne donne à la fois une"
                         " valeur de départ, une cible et une mesure depuis."))
    else:
        widgets.table(pd.DataFrame({
            _(lang, "projet"): ranked["project"].values,
            "commune": ranked["commune"].map(lambda name: name if vocabulary.known(name) else
                                             vocabulary.not_known(lang)).values,
            _(lang, "avancement moyen"): [formatting.value(v, "ratio", lang) for v in ranked["progress"]],
            _(lang, "indicateurs calculables"): [f"{c}/{f}" for c, f in zip(ranked["computable"], ranked["followed"])],
            _(lang, "dans les temps"): [f"{n}/{k}" for n, k in zip(ranked["on_track"], ranked["on_track_known"])],
        }), "qmi_avancement_projets", key="progress-projects")
    st.subheader(_(lang, "À compléter"))
    missing = to_complete(version, view.filters, view.statuses)
    no_protocol = frame[frame["without_protocol"] == frame["followed"]]
    st.write(_(lang, "{projects} projet(s) sans aucun protocole ; {indicators} indicateur(s) suivi(s) sans valeur de"
                     " départ, cible ou date de cible.", projects=len(no_protocol), indicators=len(missing)))
    if not missing.empty:
        widgets.table(pd.DataFrame({
            "commune": missing["commune"].map(lambda name: name if vocabulary.known(name) else
                                              vocabulary.not_known(lang)).values,
            _(lang, "projet"): missing["project"].values,
            _(lang, "indicateur"): missing["label_en" if lang == "en" else "label_fr"].values,
            _(lang, "protocole"): [protocol.status_text(status, lang) for status in missing["status"]],
            _(lang, "manque"): [protocol.reason_text(reason, lang) for reason in missing["missing"]],
        }), "qmi_protocoles_a_completer", key="progress-missing")


# --- 3. replicability ---------------------------------------------------------------------------

def replicability_section(view: sidebar.View, version: str, results: dict) -> None:
    st.header(_(language.lang(), "Indice de répliquabilité"))
    crit = criteria(version)
    st.write(_(language.lang(),
        "L'indice est la moyenne de {len_crit} critères notés de 0 à 5, ramenée entre 0 et 1 :", len_crit=len(crit)))
    st.markdown("\n".join(f"{i}. {escape.markdown(label(row))}" for i, (_ignored, row) in enumerate(crit.iterrows(), start=1)))
    quotes = crit.dropna(subset=["source_quote"]).drop_duplicates("source_quote")
    for _ignored, row in quotes.iterrows():
        st.markdown(f"> « {escape.markdown(row['source_quote'])} »")
        st.caption(f"{_(language.lang(), 'Source :')} {escape.markdown(row['source_title'] or '')}")
    scored_anywhere = [k for k in results if k.startswith("replicability_index:")]
    if not scored_anywhere:
        st.info(_(language.lang(), "Aucun projet n'est encore noté : les documents publics ne donnent pas les notes."), icon="ℹ️")
        return
    frame = ranking(version, view.filters, view.statuses)
    total = projects_count(version, view.filters, view.statuses)
    if frame.empty:
        st.info(_(language.lang(), "Aucun des {total} projets de cette vue n'est noté ({len_scored_anywhere} le sont dans la base).",
                                   total=total, len_scored_anywhere=len(scored_anywhere)))
        return
    widgets.chart(ranking_chart(version, view.filters, view.statuses, language.lang()), "qmi_repliquabilite",
                  key="replicability")


@widgets.cached_chart
def ranking_chart(version: str, view: Filters, statuses: tuple[str, ...], lang: str) -> widgets.Chart:
    frame = ranking(version, view, statuses)
    total = projects_count(version, view, statuses)
    mean = formatting.value(float(frame["index_ratio"].mean()), "index", lang)
    summary = _(lang,
        "{len_frame} projets notés sur {total} dans la vue (indice moyen des projets notés : {mean}) ; le mieux noté : {iloc_0} "
        "({fmt_iloc_0}), le moins bien : {iloc_1} "
        "({fmt_iloc_1}).",
        len_frame=len(frame), total=total, mean=mean, iloc_0=frame['project'].iloc[0],
        fmt_iloc_0=formatting.value(frame['index_ratio'].iloc[0], 'index', lang), iloc_1=frame['project'].iloc[-1],
        fmt_iloc_1=formatting.value(frame['index_ratio'].iloc[-1], 'index', lang))
    if len(frame) > RANKING_MAX_BARS:
        summary += _(lang, " Le graphique montre les {ranking_max_bars} premiers ; le tableau les montre tous.",
                     ranking_max_bars=RANKING_MAX_BARS)
    figure = figures.replicability_ranking(frame.head(RANKING_MAX_BARS), lang)
    return widgets.Chart(figure, ranking_table(frame, criteria(version)), summary)


def ranking_table(frame: pd.DataFrame, crit: pd.DataFrame) -> pd.DataFrame:
    lang = language.lang()  # read once: a thousand scored projects at the Métropole's scale
    table = pd.DataFrame({
        _(language.lang(), "rang"): range(1, len(frame) + 1),
        _(language.lang(), "projet"): frame["project"].values,
        "commune": frame["commune"].values,
        _(language.lang(), "édition"): frame["edition_id"].values,
        _(language.lang(), "indice"): [formatting.value(v, "index", lang) for v in frame["index_ratio"]],
        _(language.lang(), "critères notés"): [f"{s}/{t}" for s, t in zip(frame["criteria_scored"], frame["criteria_total"])],
    })
    for _ignored, row in crit.iterrows():
        table[f"{label(row)} (0–5)"] = [scores.get(row["criterion_id"]) if isinstance(scores, dict) else None
                                        for scores in frame["scores"]]
    return table


# --- 4. questionnaires --------------------------------------------------------------------------

def survey_section(view: sidebar.View, version: str, results: dict) -> None:
    st.header(_(language.lang(), "Questionnaires"))
    if view.filters.communes or view.filters.themes:
        st.caption(_(language.lang(), "Les résultats de questionnaires sont des agrégats publiés par édition : les filtres "
                                      "« Communes » et « Défis » ne s'y appliquent pas."))
    frame = surveys(version, view.filters.edition)
    if frame.empty:
        st.info(_(language.lang(), "Aucun résultat de questionnaire pour cette vue."))
        return
    several_editions = frame["edition_id"].nunique() > 1
    st.subheader(_(language.lang(), "Motifs de candidature"))
    ratio_charts(frame[frame["topic"] == "motif"], "motifs", version, view.filters.edition)
    st.subheader(_(language.lang(), "Freins"))
    brake = results.get("financing_brake_score")
    if brake is not None and (brake.value is not None or brake.published):
        widgets.kpi_row(results, headlines.EVALUATION_SURVEY, columns=2)
    ratio_charts(frame[frame["topic"] == "frein"], "freins", version, view.filters.edition)
    score_lines(frame[frame["topic"] == "frein"], several_editions)
    st.subheader(_(language.lang(), "Compétences et perspectives"))
    later = frame[frame["topic"].isin(["compétences", "perspectives"])]
    ratio_charts(later, "perspectives", version, view.filters.edition)
    score_lines(later, several_editions)


def survey_label(row, several_editions: bool) -> str:
    return figures.survey_label(row, several_editions, language.lang())


def survey_table(rows: pd.DataFrame, several_editions: bool) -> pd.DataFrame:
    return pd.DataFrame({
        _(language.lang(), "résultat"): [survey_label(r, several_editions) for _ignored, r in rows.iterrows()],
        _(language.lang(), "valeur"): [fmt(v, u) for v, u in zip(rows["value"], rows["unit"])],
        _(language.lang(), "répondants"): [vocabulary.words(RESPONDENTS, r, language.lang()) for r in rows["respondents"]],
        _(language.lang(), "édition"): rows["edition_id"].values,
        "source": [document_text(d, s) or (t or "") for d, s, t in zip(rows["document"], rows["section"], rows["source_title"])],
        _(language.lang(), "citation"): [f"« {q} »" if isinstance(q, str) else "" for q in rows["quote"]],
        _(language.lang(), "chiffre"): [f if isinstance(f, str) else "" for f in rows["figure_id"]],
    })


def ratio_charts(rows: pd.DataFrame, name: str, version: str, edition: int | None) -> None:
    """One ranked bar chart of percentages per group of respondents."""
    ratios = rows[rows["unit"] == "ratio"]
    for respondents in sorted(ratios["respondents"].dropna().unique()):
        who = vocabulary.words(RESPONDENTS, respondents, language.lang())
        st.markdown(f"**{_(language.lang(), 'Répondants')} : {escape.markdown(who)}**")
        widgets.chart(survey_chart(version, edition, tuple(sorted(set(rows["topic"]))), respondents, language.lang()),
                      f"qmi_questionnaire_{name}_{respondents.replace(' ', '_')}", key=f"survey-{name}-{respondents}")


@widgets.cached_chart
def survey_chart(version: str, edition: int | None, topics: tuple[str, ...], respondents: str,
                 lang: str) -> widgets.Chart:
    frame = surveys(version, edition)
    several_editions = frame["edition_id"].nunique() > 1
    group = frame[frame["topic"].isin(topics) & (frame["unit"] == "ratio") & (frame["respondents"] == respondents)]
    group = group.sort_values(["edition_id", "value"], ascending=[True, False])
    top = group.loc[group["value"].idxmax()]
    summary = _(lang,
        "Réponses des {who} : en tête, « {label_top} » ({fmt_value}) ; "
        "{len_group} résultats.",
        who=vocabulary.words(RESPONDENTS, respondents, lang), label_top=label(top),
        fmt_value=formatting.value(top['value'], 'ratio', lang), len_group=len(group))
    return widgets.Chart(figures.survey_ratios(group, several_editions, lang), survey_table(group, several_editions),
                         summary)


def score_lines(rows: pd.DataFrame, several_editions: bool) -> None:
    """Scores out of 10, each with its source; a brake's score is already on the card above."""
    scored = rows[rows["unit"] == "score_10"]
    if scored.empty:
        return
    for _ignored, row in scored[scored["topic"] != "frein"].iterrows():
        who = vocabulary.words(RESPONDENTS, row["respondents"], language.lang())
        st.markdown(f"- **{fmt(row['value'], 'score_10')}** — {escape.markdown(survey_label(row, several_editions))}"
                    f" ({escape.markdown(who)})")
    widgets.table(survey_table(scored, several_editions), "qmi_questionnaire_notes",
                  key=f"survey-scores-{rows['topic'].iloc[0]}")


# --- page ---------------------------------------------------------------------------------------

view = sidebar.page(_(language.lang(), "Évaluation"),
                    _(language.lang(), "Comment les expérimentations sont évaluées : la bibliothèque d'indicateurs, "
                                       "qui suit quoi, l'indice de répliquabilité et ce que disent les questionnaires "
                                       "des communes et des porteurs de projet."))
data_version = caches.data_version()
kpi_results = caches.kpi_results(data_version, view.filters)
library_section(view, data_version, kpi_results)
follow_section(view, data_version)
measurements_section(view, data_version, kpi_results)
progress_section(view, data_version, kpi_results)
replicability_section(view, data_version, kpi_results)
survey_section(view, data_version, kpi_results)
