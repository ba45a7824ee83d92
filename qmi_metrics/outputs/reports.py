"""Reports of the dashboard's figures, for reading away from it: a project's evaluation sheet (« fiche
évaluation »), a commune's and an edition's report (PDF or self-contained HTML), and an edition's slide
deck (PowerPoint) in the order of the event mode.

Each report is first a plain document model (headings, facts, tables, charts, sentences) built from
qmi_metrics' own reads and KPI registry, then written as HTML (`sheet_html`), as PDF by printing that same
HTML (`sheet_pdf`, WeasyPrint), or as PPTX (python-pptx): the numbers are the dashboard's numbers,
formatted by `formatting`, and the charts are the pages' plotly figures (`figures`) made into images
offline (`render`). No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go

from qmi_metrics.metrics import kpis, reconcile
from qmi_metrics.metrics.filters import Filters, UnknownFilterValue, resolve_commune, resolve_edition
from qmi_metrics.metrics.filters import editions as list_editions
from qmi_metrics.outputs import render
from qmi_metrics.present import figures, formatting, vocabulary
from qmi_metrics.present.vocabulary import known, plural, tr
from qmi_metrics.reads import community, geo, programme, projects, queries
from qmi_metrics.store import db

# The Vue d'ensemble's cards: the headline numbers of a view.
HEADLINE = ("communes_count", "candidatures_count", "projects_selected_count", "selection_rate",
            "deployment_rate", "mean_deployment_months", "community_participants_total", "indicators_count")
COMMUNITY = ("community_events_count", "community_participants_total", "community_participants_min",
             "community_participants_max")
FILTER_WORDS = {"edition": ("édition", "edition"), "commune": ("commune", "commune"), "theme": ("défi", "challenge")}
PRECISION_WORDS = {"day": ("jour", "day"), "month": ("mois", "month"), "season": ("saison", "season"),
                   "year": ("année", "year")}
SITE_PRECISIONS = {"approximate": ("position approximative (≈ 300 m)", "approximate position (≈ 300 m)"),
                   "landmark": ("repère public", "public landmark"), "computed": ("position calculée", "computed position"),
                   "unknown": ("position inconnue", "unknown position")}
QUOTE_MAX = 280  # characters of a source quote kept in a report (the full sentence is in the database)
DEFAULT_URL = "http://localhost:8501"


class UnknownProject(ValueError):
    """A project id the database does not know; carries the valid ones."""

    def __init__(self, value: str, valid: list[str]):
        self.value, self.valid = value, valid
        super().__init__(f"Projet inconnu : {value!r}. Valeurs possibles : {', '.join(valid)}"
                         f" / Unknown project: {value!r}. Valid values: {', '.join(valid)}")


class CommuneNotInView(UnknownFilterValue):
    """A commune of the Métropole that was not a laureate (of the edition asked); carries those that were."""

    def __init__(self, value: str, valid: list[str], edition: int | None):
        super().__init__("commune", value, valid)
        where = f"de l'édition {edition}" if edition else "d'aucune édition"
        where_en = f"of edition {edition}" if edition else "of any edition"
        Exception.__init__(self, f"{value!r} n'est pas une commune lauréate {where}. Valeurs possibles : "
                                 f"{', '.join(valid)} / {value!r} is not a laureate commune {where_en}. "
                                 f"Valid values: {', '.join(valid)}")


# --- the document model ------------------------------------------------------------------------------

@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Text:
    text: str
    style: str = "body"  # body | note | warning


@dataclass
class Facts:
    rows: list[tuple[str, str]]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    whole: tuple[int, ...] = ()  # columns whose short values (names) are kept on one line


@dataclass
class Chart:
    figure: go.Figure
    summary: str  # the one-sentence summary: the chart's alternative text and caption
    width: int = 900  # CSS pixels of the image; the PDF scales it to the text width
    height: int | None = None  # CSS pixels; None: the figure's own height


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Report:
    kind: str  # project | commune | edition
    name: str  # file stem
    title: str
    subtitle: str
    lang: str
    synthetic: bool
    blocks: list = field(default_factory=list)
    footer: str = ""


# --- small helpers ------------------------------------------------------------------------------------------

def _nk(lang: str) -> str:
    return vocabulary.NOT_KNOWN[lang]


def _text(value, lang: str) -> str:
    """The value as text, « non renseigné » when NULL."""
    return str(value) if known(value) else _nk(lang)


def _quote(text, limit: int = QUOTE_MAX) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _edition_label(con, edition: int | None, lang: str) -> str:
    if edition is None:
        return tr(lang, "toutes éditions", "all editions")
    for row in list_editions(con):
        if row["edition_id"] == edition:
            return row["label_en"] if lang == "en" else row["label_fr"]
    return str(edition)


def _footer(con, lang: str) -> str:
    meta = db.meta(con)
    version = (meta.get("data_version") or "")[:12]
    today = formatting.date(dt.date.today(), "day", lang)
    text = tr(lang, f"QMI — tableau de bord · produit le {today}", f"QMI dashboard · produced on {today}")
    return text + (tr(lang, f" · version des données {version}", f" · data version {version}") if version else "")


def _synthetic_notice(lang: str) -> Text:
    return Text(tr(lang, "DONNÉES SYNTHÉTIQUES : ces chiffres sont générés pour la démonstration, aucun n'est réel.",
                   "SYNTHETIC DATA: these figures are generated for demonstration, none is real."), "warning")


# --- KPIs ----------------------------------------------------------------------------------------------------

def view_kpis(con, view: Filters) -> list[kpis.KpiResult]:
    """Every KPI of the view, as `kpis.compute_all` gives it; per-project replicability indices are left to
    the project sheets."""
    return [r for r in kpis.compute_all(con, view) if not r.id.startswith("replicability_index:")]


def card(result: kpis.KpiResult, lang: str = "fr") -> dict:
    """A KPI as the dashboard's card shows it: the computed value when complete, else the published one,
    and the words saying which (the same rule as dashboard/common.kpi_card)."""
    shown, basis, lower_bound = result.shown()
    note = tr(lang, *kpis.BASIS_LABELS[basis])
    qualifier = tr(lang, "plus de ", "over ") if lower_bound else ""  # « +60 indicateurs »: a lower bound
    published = result.published[0] if result.published else None
    return {
        "label": result.kpi.label(lang),
        "value": qualifier + formatting.value(shown, result.unit, lang),
        "note": note,
        "coverage": coverage_text(result, lang),
        "source": source_text(published, lang) if published else "",
        "quote": published.quote if published else "",
        "definition": result.kpi.definition(lang),
    }


def coverage_text(result: kpis.KpiResult, lang: str = "fr") -> str:
    text = f"{result.covered if result.covered is not None else '?'}/{result.total if result.total is not None else '?'}"
    if result.ignored_filters:
        words = ", ".join(tr(lang, *FILTER_WORDS[name]) for name in result.ignored_filters)
        text += tr(lang, f" · filtre non applicable : {words}", f" · filter not applicable: {words}")
    return text


def source_text(figure: kpis.PublishedFigure, lang: str = "fr") -> str:
    return f"{reconcile.document_name(figure.document, lang)} — {figure.section}"


def kpi_table(results: list[kpis.KpiResult], lang: str = "fr") -> Table:
    """Every KPI: computed value, coverage, published value, source — as `python -m qmi_metrics kpis`."""
    rows = [[r.kpi.label(lang), formatting.value(r.value, r.unit, lang), coverage_text(r, lang),
             formatting.value(r.published_value, r.unit, lang) if r.published else "—",
             source_text(r.published[0], lang) if r.published else "—"] for r in results]
    return Table([tr(lang, "Indicateur", "Indicator"), tr(lang, "Calculé", "Computed"),
                  tr(lang, "Couverture", "Coverage"), tr(lang, "Publié", "Published"), "Source"],
                 rows)


def headline_table(results: dict, lang: str = "fr", ids: tuple[str, ...] = HEADLINE) -> Table:
    rows = []
    for kpi_id in ids:
        if kpi_id in results:
            shown = card(results[kpi_id], lang)
            rows.append([shown["label"], shown["value"], f"{shown['note']} · {tr(lang, 'couverture', 'coverage')} "
                         f"{shown['coverage']}", shown["source"] or "—"])
    return Table([tr(lang, "Indicateur", "Indicator"), tr(lang, "Valeur", "Value"),
                  tr(lang, "Nature · couverture", "Basis · coverage"), "Source"], rows)


KPI_NOTE = ("« Calculé » : la valeur que donnent les lignes de la base ; « couverture » : les lignes sur lesquelles "
            "elle repose / les lignes qui existent. Une valeur à couverture partielle n'est pas comparable au chiffre "
            "publié. Les chiffres clés reprennent la règle du tableau de bord : la valeur calculée quand les lignes "
            "sont complètes, sinon le chiffre publié.",
            "“Computed”: the value the database's rows give; “coverage”: the rows it rests on / the rows there are. "
            "A value with partial coverage is not comparable with the published figure. The key figures follow the "
            "dashboard's rule: the computed value when the rows are complete, else the published figure.")


# --- the project evaluation sheet ------------------------------------------------------------------------------

def project_ids(con, edition: int | None = None) -> list[str]:
    return [row["project_id"] for row in db.fetch_rows(con, """
        SELECT project_id FROM projects WHERE $edition IS NULL OR edition_id = $edition ORDER BY project_id
    """, {"edition": edition})]


def _check_project(con, project_id: str) -> None:
    if not projects.exists(con, project_id):
        raise UnknownProject(project_id, project_ids(con))


def _quartier(con, edition: int, insee: str | None) -> str | None:
    if insee is None:
        return None
    return db.fetch_value(con, """
        SELECT quartier_name FROM commune_editions WHERE edition_id = $edition AND insee = $insee
    """, {"edition": edition, "insee": insee})


def _deployment_text(project: dict, deployment: pd.DataFrame, lang: str) -> str:
    if deployment.empty:
        return tr(lang, "déployé, date non renseignée", "deployed, date not available") if project["is_deployed"] \
            else _nk(lang)
    row = deployment.iloc[0]
    text = formatting.date(row["deployment_date"], row["deployment_precision"], lang)
    months = project.get("deployment_months")
    if known(months):
        started = formatting.date(project["started_on"], "month", lang)
        text += tr(lang, f" ({formatting.value(months, 'months', lang)} après le début de l'accompagnement, {started})",
                   f" ({formatting.value(months, 'months', lang)} after support started, {started})")
    return text


def _localised(project: dict, column: str, lang: str):
    if lang == "en" and project.get(f"{column}_en") is not None:
        return project.get(f"{column}_en")
    return project.get(f"{column}_fr")


def _event_date(events: pd.DataFrame, kinds: tuple[str, ...], lang: str) -> str:
    """The first event of these kinds, at its precision; « non daté » when recorded without a date."""
    rows = events[events["kind"].isin(kinds)]
    if rows.empty:
        return _nk(lang)
    dated = rows[rows["date_start"].notna()]
    if dated.empty:
        return tr(lang, "oui, non daté", "yes, undated")
    return figures.event_when(next(dated.itertuples()), lang)


def _identity(project: dict, deployment: pd.DataFrame, edition_label: str, quartier, lang: str) -> Facts:
    kind = _localised(project, "type", lang)
    if kind is not None and project.get("subtype_fr"):
        kind = f"{kind} ({project['subtype_fr']})"
    return Facts([
        (tr(lang, "Projet", "Project"), project["name"]),
        (tr(lang, "Identifiant", "Identifier"), project["project_id"]),
        (tr(lang, "Porteur", "Operator"), _text(project.get("operator"), lang)),
        ("Commune", _text(project.get("commune"), lang)),
        ("Quartier", _text(quartier, lang)),
        (tr(lang, "Édition", "Edition"), edition_label),
        (tr(lang, "Défi", "Challenge"), _text(_localised(project, "theme", lang), lang)),
        (tr(lang, "Famille", "Family"), _text(_localised(project, "family", lang), lang)),
        ("Type", _text(kind, lang)),
        (tr(lang, "Statut actuel", "Current status"), figures.status_label(project.get("current_status"), lang, symbol=False)),
        (tr(lang, "Déploiement", "Deployment"), _deployment_text(project, deployment, lang)),
    ])


def _protocol(events: pd.DataFrame, sites: pd.DataFrame, indicators: pd.DataFrame, values: pd.DataFrame,
              scores: pd.DataFrame, lang: str) -> Facts:
    """The experimental protocol as far as the data describe it: where, when, what is measured."""
    places = "; ".join(f"{row.name} ({tr(lang, *SITE_PRECISIONS.get(row.precision, (row.precision, row.precision)))})"
                       for row in sites.itertuples()) or _nk(lang)
    followed = len(indicators)
    count, first, last = int(values["measurements"].sum()), values["first_on"].min(), values["last_on"].max()
    measured = (tr(lang, f"{count} mesure(s), du {formatting.date(first, 'day', lang)} "
                   f"au {formatting.date(last, 'day', lang)}",
                   f"{count} measurement(s), from {formatting.date(first, 'day', lang)} "
                   f"to {formatting.date(last, 'day', lang)}")
                if not values.empty else tr(lang, "aucune mesure publiée", "no measurement published"))
    scored = int(scores["score"].notna().sum())
    return Facts([
        (tr(lang, "Lieu(x) d'expérimentation", "Experimentation site(s)"), places),
        (tr(lang, "Début de l'accompagnement", "Support started"), _event_date(events, ("started",), lang)),
        (tr(lang, "Convention signée", "Agreement signed"), _event_date(events, ("agreement_signed",), lang)),
        (tr(lang, "Déploiement ou test sur le terrain", "Deployed or tested on site"),
         _event_date(events, ("deployed", "tested"), lang)),
        (tr(lang, "Évaluation", "Evaluation"), _event_date(events, ("evaluated",), lang)),
        (tr(lang, "Suite donnée", "Outcome"),
         _outcome(events, lang)),
        (tr(lang, "Indicateurs suivis", "Indicators followed"),
         tr(lang, f"{followed} {plural(followed, 'indicateur', 'indicateurs')}",
            f"{followed} indicator{'s' if followed != 1 else ''}") if followed else _nk(lang)),
        (tr(lang, "Mesures", "Measurements"), measured),
        (tr(lang, "Critères de répliquabilité notés", "Replicability criteria scored"), f"{scored}/{len(scores)}"),
    ])


def _outcome(events: pd.DataFrame, lang: str) -> str:
    parts = []
    for kind in ("continued", "stopped"):
        if (events["kind"] == kind).any():
            parts.append(f"{figures.status_label(kind, lang, symbol=False)} ({_event_date(events, (kind,), lang)})")
    return ", ".join(parts) or _nk(lang)


def _timeline_blocks(project: dict, events: pd.DataFrame, lang: str) -> list:
    blocks: list = [Heading(tr(lang, "Historique des statuts", "Status history"), 2)]
    if events.empty:
        return blocks + [Text(tr(lang, "Aucun événement renseigné.", "No event recorded."))]
    figure = figures.project_timeline(events, lang)
    dated = events[events["date_start"].notna()]
    if figure is not None:
        labels = [figures.status_label(kind, lang, symbol=False) for kind in dated["kind"]]
        whens = [figures.event_when(row, lang) for row in dated.itertuples()]
        summary = f"{project['name']}{tr(lang, ' : ', ': ')}" + tr(lang, " ; ", "; ").join(
            f"{label} ({when})" for label, when in zip(labels, whens)) + "."
        rows = len(set(dated["kind"]))
        blocks.append(Chart(figure, summary, height=90 + 45 * rows))  # a sheet keeps to two pages
    undated = len(events) - len(dated)
    if undated:
        blocks.append(Text(tr(lang, f"{undated} {plural(undated, 'événement non daté', 'événements non datés')}.",
                              f"{undated} undated {plural(undated, 'event', 'events')}."), "note"))
    rows = [[figures.status_label(row.kind, lang, symbol=False), figures.event_when(row, lang),
             tr(lang, *PRECISION_WORDS[row.date_precision]) if known(row.date_precision) else "—",
             " — ".join(str(p) for p in (row.source_title, row.source_section) if known(p)) or _nk(lang)]
            for row in events.itertuples()]
    blocks.append(Table([tr(lang, "Statut", "Status"), "Date", tr(lang, "Précision", "Precision"), "Source"], rows))
    return blocks


def _indicator_blocks(indicators: pd.DataFrame, values: pd.DataFrame, lang: str) -> list:
    blocks: list = [Heading(tr(lang, "Indicateurs suivis", "Indicators followed"), 2)]
    if indicators.empty:
        return blocks + [Text(tr(lang, "Aucun indicateur rattaché à ce projet : non renseigné.",
                                 "No indicator attached to this project: not available."))]
    rows = []
    for row in indicators.itertuples():
        last = (tr(lang, "aucune mesure publiée", "no measurement published") if row.values_count == 0
                else f"{formatting.value(row.last_value, 'count', lang, decimals=None)} "
                     f"({formatting.date(row.last_measured_on, 'day', lang)})")
        rows.append([row.label_en if lang == "en" else row.label_fr, row.domain, row.unit,
                     tr(lang, *figures.DIRECTIONS.get(row.direction, (row.direction, row.direction))),
                     str(row.values_count), last])
    blocks.append(Table([tr(lang, "Indicateur", "Indicator"), tr(lang, "Domaine", "Domain"), tr(lang, "Unité", "Unit"),
                         tr(lang, "Sens souhaité", "Desired direction"), tr(lang, "Mesures", "Measurements"),
                         tr(lang, "Dernière valeur", "Latest value")], rows))
    series = indicators[indicators["values_count"] >= 2]
    if series.empty:
        missing = int((indicators["values_count"] == 0).sum())
        blocks.append(Text(tr(lang, f"Pas de courbe : aucune série de mesures publiée ({missing} indicateur(s) "
                                    f"sur {len(indicators)} sans aucune mesure).",
                              f"No chart: no series of measurements published ({missing} of {len(indicators)} "
                              "indicator(s) without any measurement)."), "note"))
        return blocks
    points = values[values["indicator_id"].isin(series["indicator_id"])]
    blocks.append(Chart(figures.indicator_series(series, points, lang, row_height=110),
                        figures.indicator_summary(series, points, lang)))
    return blocks


def _replicability_blocks(scores: pd.DataFrame, lang: str) -> list:
    blocks: list = [Heading(tr(lang, "Critères de répliquabilité", "Replicability criteria"), 2)]
    not_scored = tr(lang, "non noté", "not scored")
    rows = [[row.label_en if lang == "en" else row.label_fr,
             f"{formatting.number(row.score, 0 if float(row.score).is_integer() else 1, lang)}/5" if known(row.score)
             else not_scored,
             formatting.date(row.scored_on, "day", lang) if known(row.scored_on) else "—"]
            for row in scores.itertuples()]
    blocks.append(Table([tr(lang, "Critère", "Criterion"), tr(lang, "Note (0 à 5)", "Score (0 to 5)"),
                         tr(lang, "Noté le", "Scored on")], rows))
    scored = scores[scores["score"].notna()]
    if scored.empty:
        blocks.append(Text(tr(lang, "Répliquabilité : non noté (aucune note publiée pour ce projet).",
                              "Replicability: not scored (no score published for this project)."), "note"))
    elif len(scored) == len(scores):
        index = scored["score"].mean() / 5
        blocks.append(Text(tr(lang, f"Indice de répliquabilité : {formatting.value(index, 'index', lang)} "
                                    f"(moyenne des {len(scores)} critères, ramenée entre 0 et 1).",
                              f"Replicability index: {formatting.value(index, 'index', lang)} "
                              f"(mean of the {len(scores)} criteria, scaled to 0–1).")))
    else:
        blocks.append(Text(tr(lang, f"{len(scored)} critère(s) noté(s) sur {len(scores)} : pas d'indice.",
                              f"{len(scored)} of {len(scores)} criteria scored: no index."), "note"))
    return blocks


def _project_sources(project: dict, events: pd.DataFrame, sites: pd.DataFrame, indicators: pd.DataFrame,
                     lang: str) -> list[str]:
    """Each document passage once, with what it backs: « accompagné (juin 2023), testé (été 2024) : <document> »."""
    colon = tr(lang, " : ", ": ")
    cited: dict[tuple[str, str], list[str]] = {}

    def cite(what: str, title, section=None, quote=None) -> None:
        where = " — ".join(str(p) for p in (title, section) if known(p)) or _nk(lang)
        cited.setdefault((where, _quote(quote) if known(quote) else ""), []).append(what)

    cite(tr(lang, "fiche du projet", "project facts"), project.get("source_title"), project.get("source_section"))
    for row in events.itertuples():
        cite(f"{figures.status_label(row.kind, lang, symbol=False)} ({figures.event_when(row, lang)})",
             row.source_title, row.source_section, row.source_quote)
    for row in sites.itertuples():
        cite(f"{tr(lang, 'lieu', 'site')} {row.name}", row.source_title, quote=row.source_quote)
    for row in indicators.itertuples():
        if known(row.source_quote):
            cite(f"{tr(lang, 'indicateur', 'indicator')} {row.label_en if lang == 'en' else row.label_fr}",
                 row.source_title, quote=row.source_quote)
    return [f"{', '.join(whats)}{colon}{where}" + (f"{colon}« {quote} »" if quote else "")
            for (where, quote), whats in cited.items()]


def project_sheet(con, project_id: str, lang: str = "fr") -> Report:
    """The evaluation sheet of one project (« fiche évaluation »)."""
    _check_project(con, project_id)
    project = queries.project(con, project_id)
    events = queries.project_events(con, project_id)
    deployment = projects.deployment_dates(con, Filters(), project_id)
    sites = projects.sites(con, project_id)
    indicators = projects.indicators(con, project_id)
    values = projects.indicator_values(con, project_id)
    scores = projects.replicability(con, project_id)
    edition_label = _edition_label(con, project["edition_id"], lang)
    synthetic = db.is_synthetic(con)
    report = Report("project", f"fiche_{project_id}", project["name"],
                    tr(lang, f"Fiche évaluation · {edition_label} · {_text(project.get('commune'), lang)}",
                       f"Evaluation sheet · {edition_label} · {_text(project.get('commune'), lang)}"),
                    lang, synthetic, footer=_footer(con, lang))
    blocks = report.blocks
    if synthetic:
        blocks.append(_synthetic_notice(lang))
    blocks += [Heading(tr(lang, "Identité du projet", "Project identity"), 2),
               _identity(project, deployment, edition_label, _quartier(con, project["edition_id"], project["insee"]), lang),
               Text(tr(lang, "Description : ", "Description (in French): ") + _text(project.get("description_fr"), lang)),
               Heading(tr(lang, "Protocole expérimental", "Experimental protocol"), 2),
               _protocol(events, sites, indicators, values, scores, lang)]
    blocks += _timeline_blocks(project, events, lang)
    blocks += _indicator_blocks(indicators, values, lang)
    blocks += _replicability_blocks(scores, lang)
    blocks += [Heading(tr(lang, "Enseignements", "Lessons learnt (in French)"), 2),
               Text(_text(project.get("lessons_fr"), lang)),
               Heading("Sources", 2), Bullets(_project_sources(project, events, sites, indicators, lang))]
    return report


# --- commune and edition reports ------------------------------------------------------------------------------

def resolve_report_commune(con, value: str, edition: int | None) -> str:
    """An INSEE code for a commune that took part (in the edition, when one is given); else UnknownFilterValue
    listing the communes that did."""
    try:
        insee = resolve_commune(con, value)
    except UnknownFilterValue:  # no commune of that name: the valid values are the laureates all the same
        insee = None
    laureates = db.fetch_rows(con, """
        SELECT DISTINCT insee, name FROM f_laureate_communes($edition, NULL) ORDER BY name
    """, {"edition": edition})
    if insee not in {row["insee"] for row in laureates}:
        raise CommuneNotInView(value, [row["name"] for row in laureates], edition)
    return insee


def _commune_name(con, insee: str) -> str:
    return db.fetch_value(con, "SELECT name FROM communes WHERE insee = $insee", {"insee": insee}) or insee


def _map_frames(con, view: Filters) -> dict:
    return {"communes": geo.laureate_communes(con, view), "quartiers": geo.quartiers(con, view),
            "sites": geo.experimentation_sites(con, view), "metropole": geo.metropole_centroids(con)}


def map_figure(con, view: Filters, lang: str = "fr") -> tuple[go.Figure, str, dict]:
    """The static map of the view: the whole Métropole for an edition, the commune's surroundings for a commune.
    Contours only from the disk cache: a report never waits for the network."""
    frames = _map_frames(con, view)
    figure = figures.laureate_map(frames["communes"], frames["quartiers"], frames["sites"], frames["metropole"], lang,
                                  contours=geo.read_cache(geo.default_cache_path()),
                                  focus="laureates" if view.communes else "metropole")
    return figure, figures.map_summary(frames["communes"], frames["sites"], lang), frames


def _map_blocks(con, view: Filters, lang: str) -> list:
    figure, summary, frames = map_figure(con, view, lang)
    blocks: list = [Heading(tr(lang, "Carte des quartiers", "Map of the quartiers"), 2), Chart(figure, summary, 900)]
    quartiers = frames["quartiers"]
    if not quartiers.empty:
        counts = dict(zip(frames["communes"]["insee"], frames["communes"]["projects"]))
        rows = [[row.commune, str(row.edition_id), _text(row.quartier_name, lang), str(counts.get(row.insee, 0))]
                for row in quartiers.itertuples()]
        blocks.append(Table(["Commune", tr(lang, "Édition", "Edition"), "Quartier", tr(lang, "Projets", "Projects")],
                            rows))
    return blocks


def funnel_stages(con, view: Filters, results: dict) -> list[dict]:
    return [s for s in queries.funnel(con, view, results) if s["value"] is not None]


def _funnel_blocks(stages: list[dict], lang: str) -> list:
    blocks: list = [Heading(tr(lang, "Entonnoir du programme", "Programme funnel"), 2)]
    if not stages:
        return blocks + [Text(tr(lang, "Aucune donnée d'entonnoir pour cette vue.", "No funnel data for this view."))]
    blocks.append(Chart(figures.funnel(stages, lang), figures.funnel_summary(stages, lang)))
    rows = [[tr(lang, s["label_fr"], s["label_en"]), formatting.value(s["value"], "count", lang),
             tr(lang, *figures.FUNNEL_BASIS[s["basis"]]),
             "" if s["covered"] is None else f"{s['covered']}/{s['total'] if s['total'] is not None else '?'}"]
            for s in stages]
    blocks.append(Table([tr(lang, "Étape", "Stage"), tr(lang, "Valeur", "Value"), tr(lang, "Nature", "Basis"),
                         tr(lang, "Couverture", "Coverage")], rows))
    return blocks


def project_rows(con, view: Filters, lang: str = "fr") -> list[list[str]]:
    frame = projects.with_deployment_dates(queries.projects(con, view), projects.deployment_dates(con, view))
    en = lang == "en"
    return [[row.name, _text(row.commune, lang), _text(row.family_en if en else row.family_fr, lang),
             _text(row.type_en if en else row.type_fr, lang), _text(row.theme_en if en else row.theme_fr, lang),
             figures.status_label(row.current_status, lang, symbol=False),
             formatting.date(row.deployment_date, row.deployment_precision, lang) if known(row.deployment_date)
             else _nk(lang)]
            for row in frame.itertuples()]


def _project_blocks(con, view: Filters, lang: str) -> list:
    rows = project_rows(con, view, lang)
    blocks: list = [Heading(tr(lang, "Projets", "Projects"), 2)]
    if not rows:
        return blocks + [Text(tr(lang, "Aucun projet dans cette vue.", "No project in this view."))]
    blocks.append(Text(tr(lang, f"{len(rows)} {plural(len(rows), 'projet', 'projets')}.", f"{len(rows)} project(s).")))
    blocks.append(Table([tr(lang, "Projet", "Project"), "Commune", tr(lang, "Famille", "Family"), "Type",
                         tr(lang, "Défi", "Challenge"), tr(lang, "Statut", "Status"),
                         tr(lang, "Déploiement", "Deployment")], rows, whole=(0, 1)))
    return blocks


def theme_figure(con, view: Filters, lang: str = "fr") -> tuple[go.Figure | None, str]:
    """The projects' shares per défi, published (edition-wide views only) next to computed, and the sentence
    saying how far they compare."""
    shares = programme.theme_shares(con, Filters(edition=view.edition, communes=view.communes))
    published = programme.published_theme_shares(con, view.edition)
    published = published[published["scope"] == "projects"] if not view.communes else published.iloc[0:0]
    first = shares.iloc[0]
    known_rows, total = int(first["projects_known"]), int(first["projects_total"])
    if total == 0 and published.empty:
        return None, tr(lang, "Aucun projet dans cette vue.", "No project in this view.")
    if known_rows == 0:
        sentence = tr(lang, f"Aucun défi n'est renseigné pour les projets de cette vue ({total} listés).",
                      f"No challenge is known for the projects in this view ({total} listed).")
    elif known_rows >= total:
        sentence = tr(lang, f"Calculé sur les {known_rows} projets de la vue : le défi est renseigné pour chacun.",
                      f"Computed over the {known_rows} projects in the view: every one has a known challenge.")
    else:
        sentence = tr(lang, f"Calculé sur {known_rows} projets sur {total} listés : le défi n'est renseigné que pour "
                            "ces lignes. Les parts calculées ne sont donc PAS comparables aux parts publiées.",
                      f"Computed over {known_rows} of {total} listed projects: the challenge is known for those rows "
                      "only. The computed shares are therefore NOT comparable with the published ones.")
    if view.communes:
        sentence += " " + tr(lang, "Les parts publiées portent sur toute l'édition : voir le rapport d'édition.",
                             "The published shares cover the whole edition: see the edition report.")
    elif not published.empty:
        listed = ", ".join(f"{r['theme_en'] if lang == 'en' else r['theme_fr']} {figures.pct(r['value'], lang)}"
                           for _, r in published.iterrows())
        sentence += " " + tr(lang, f"Parts publiées : {listed}.", f"Published shares: {listed}.")
    if known_rows == 0 and published.empty:
        return None, sentence
    return figures.theme_shares(shares, published, "projects", lang), sentence


def _theme_blocks(con, view: Filters, lang: str) -> list:
    figure, sentence = theme_figure(con, view, lang)
    blocks: list = [Heading(tr(lang, "Défis des projets", "Challenges of the projects"), 2)]
    return blocks + ([Chart(figure, sentence)] if figure is not None else [Text(sentence)])


def _deployment_blocks(con, view: Filters, lang: str) -> list:
    groups = projects.deployment_by(con, view, "commune")
    blocks: list = [Heading(tr(lang, "Déploiement par commune", "Deployment by commune"), 2)]
    if groups.empty:
        return blocks + [Text(tr(lang, "Aucun projet dans cette vue.", "No project in this view."))]
    totals = projects.coverage(groups)
    blocks.append(Text(tr(
        lang,
        f"Issue connue (déployé ou arrêté) pour {totals['outcome_known']} projet(s) sur {totals['projects']} ; "
        f"délai mesurable (dates au mois près) pour {totals['measured']} des {totals['deployed']} projet(s) déployé(s).",
        f"Outcome known (deployed or stopped) for {totals['outcome_known']} of {totals['projects']} project(s); "
        f"time to deployment measurable (month-precise dates) for {totals['measured']} of the {totals['deployed']} "
        "deployed project(s).")))
    if totals["outcome_known"] == 0:
        return blocks + [Text(tr(lang, "Aucune issue connue : pas de graphique.", "No known outcome: no chart."), "note")]
    labels = figures.group_labels(groups, "commune", lang)
    blocks.append(Chart(figures.deployment(groups, labels, lang), figures.deployment_summary(groups, labels, lang)))
    return blocks


def community_summary(events: pd.DataFrame, lang: str = "fr") -> str:
    counted = events.dropna(subset=["participants"])
    sentence = tr(lang, f"{len(events)} rencontre(s)", f"{len(events)} meeting(s)")
    if len(counted) == 1:
        sentence += f", {formatting.value(counted['participants'].iloc[0], 'people', lang)}"
    elif len(counted) > 1:
        low = formatting.value(counted["participants"].min(), "count", lang)
        high = formatting.value(counted["participants"].max(), "people", lang)
        total = formatting.value(counted["participants"].sum(), "people", lang)
        sentence += tr(lang, f", de {low} à {high} par rencontre, {total} au total",
                       f", {low} to {high} per meeting, {total} in all")
    missing = len(events) - len(counted)
    if missing:
        sentence += tr(lang, f" ; participants non renseignés pour {missing} rencontre(s)",
                       f"; participants not available for {missing} meeting(s)")
    return sentence + "."


def _community_blocks(con, view: Filters, results: dict, lang: str) -> list:
    blocks: list = [Heading(tr(lang, "Communauté des Expérimentateurs", "Community of Experimenters"), 2),
                    headline_table(results, lang, COMMUNITY)]
    events = community.events(con, Filters(edition=view.edition, communes=view.communes))
    if events.empty:
        return blocks + [Text(tr(lang, "Aucune rencontre de la Communauté dans cette vue.",
                                 "No Community meeting in this view."))]
    figure = figures.community_events(events, lang)
    if figure is not None:
        blocks.append(Chart(figure, community_summary(events, lang)))
    else:
        blocks.append(Text(community_summary(events, lang)))
    rows = [[figures.date_text(row.date_start, row.date_precision, lang), _text(row.commune, lang),
             _text(row.format_en if lang == "en" else row.format_fr, lang),
             formatting.value(row.participants, "count", lang) if known(row.participants) else _nk(lang),
             " — ".join(str(p) for p in (row.source, row.source_section) if known(p))]
            for row in events.itertuples()]
    blocks.append(Table(["Date", "Commune", "Format", "Participants", "Source"], rows))
    return blocks


def _view_sources(con, view: Filters, results: list[kpis.KpiResult], lang: str) -> list:
    """The documents the view's rows come from, and the published sentences its KPIs are compared with."""
    rows = db.fetch_rows(con, """
        SELECT s.title, s.publisher, s.published_on, s.file
        FROM sources s
        WHERE s.source_id IN (
            SELECT pr.source_id FROM f_projects($edition, $commune, $theme) p JOIN projects pr USING (project_id)
            UNION SELECT e.source_id FROM project_events e JOIN f_projects($edition, $commune, $theme) p USING (project_id)
            UNION SELECT source_id FROM f_community_events($edition, $commune)
            UNION SELECT ce.source_id FROM commune_editions ce
                  WHERE ce.role = 'lauréate' AND ($edition IS NULL OR ce.edition_id = $edition)
                    AND ($commune IS NULL OR list_contains($commune, ce.insee)))
        ORDER BY s.title
    """, view.params())
    documents = [", ".join(str(p) for p in (r["title"], r["publisher"], r["published_on"]) if known(p)) for r in rows]
    quotes, seen = [], set()
    for result in results:
        for figure in result.published:
            if figure.figure_id in seen:
                continue
            seen.add(figure.figure_id)
            quotes.append(f"{result.kpi.label(lang)}{tr(lang, ' : ', ': ')}"
                          f"« {_quote(figure.quote)} » ({source_text(figure, lang)})")
    blocks: list = [Heading("Sources", 2),
                    Text(tr(lang, "Documents dont viennent les lignes de cette vue :",
                            "Documents the rows of this view come from:"))]
    blocks.append(Bullets(documents or [_nk(lang)]))
    if quotes:
        blocks += [Text(tr(lang, "Chiffres publiés auxquels les indicateurs sont comparés :",
                           "Published figures the indicators are compared with:")), Bullets(quotes)]
    return blocks


def view_report(con, view: Filters, kind: str, name: str, title: str, subtitle: str, lang: str = "fr") -> Report:
    results = view_kpis(con, view)
    by_id = {r.id: r for r in results}
    synthetic = db.is_synthetic(con)
    report = Report(kind, name, title, subtitle, lang, synthetic, footer=_footer(con, lang))
    blocks = report.blocks
    if synthetic:
        blocks.append(_synthetic_notice(lang))
    blocks += [Heading(tr(lang, "Chiffres clés", "Key figures"), 2), headline_table(by_id, lang)]
    blocks += _map_blocks(con, view, lang)
    blocks += _funnel_blocks(funnel_stages(con, view, by_id), lang)
    blocks += _project_blocks(con, view, lang)
    blocks += _theme_blocks(con, view, lang)
    blocks += _deployment_blocks(con, view, lang)
    blocks += _community_blocks(con, view, by_id, lang)
    blocks += [Heading(tr(lang, "Tous les indicateurs de la vue", "Every indicator of the view"), 2),
               kpi_table(results, lang), Text(tr(lang, *KPI_NOTE), "note")]
    blocks += _view_sources(con, view, results, lang)
    return report


def commune_report(con, commune: str, edition: int | None = None, lang: str = "fr") -> Report:
    """The report of one laureate commune (name or INSEE code), for an edition or all of them."""
    edition = resolve_edition(con, edition)
    insee = resolve_report_commune(con, commune, edition)
    name = _commune_name(con, insee)
    edition_label = _edition_label(con, edition, lang)
    return view_report(con, Filters(edition=edition, communes=(insee,)), "commune",
                       f"rapport_commune_{insee}" + (f"_edition_{edition}" if edition else ""),
                       tr(lang, f"Rapport commune — {name}", f"Commune report — {name}"),
                       tr(lang, f"Quartiers Métropolitains d'Innovation · {edition_label}",
                          f"Metropolitan Innovation Districts · {edition_label}"), lang)


def edition_report(con, edition, lang: str = "fr") -> Report:
    edition = resolve_edition(con, edition)
    if edition is None:
        raise UnknownFilterValue("edition", edition, [str(r["edition_id"]) for r in list_editions(con)])
    label = _edition_label(con, edition, lang)
    return view_report(con, Filters(edition=edition), "edition", f"rapport_edition_{edition}",
                       tr(lang, f"Rapport d'édition — {label}", f"Edition report — {label}"),
                       tr(lang, "Quartiers Métropolitains d'Innovation", "Metropolitan Innovation Districts"), lang)


# --- writing a report ------------------------------------------------------------------------------------

def _unavailable(error: Exception, lang: str) -> str:
    return tr(lang, f"Graphique non disponible (image impossible à produire ici : {error}).",
              f"Chart not available (no image could be made here: {error}).")


def render_report(report: Report, fmt: str) -> bytes:
    """The report as PDF (its HTML printed, sheet_pdf) or as the self-contained HTML file (sheet_html)."""
    from qmi_metrics.outputs import sheet_html, sheet_pdf  # here, not above: they import this module's model

    if fmt == "pdf":
        return sheet_pdf.to_pdf(report)
    if fmt == "html":
        return sheet_html.to_html(report).encode("utf-8")
    raise ValueError(f"format {fmt!r}: pdf or html")


def project_sheet_pdf(con, project_id: str, lang: str = "fr") -> bytes:
    return render_report(project_sheet(con, project_id, lang), "pdf")


def project_sheet_html(con, project_id: str, lang: str = "fr") -> bytes:
    return render_report(project_sheet(con, project_id, lang), "html")


# --- slides (python-pptx) ----------------------------------------------------------------------------------------

def dashboard_link(url: str, edition: int, lang: str = "fr") -> str:
    """The dashboard's address with the deck's filters, as the app writes them in its URL."""
    params = {"edition": str(edition)}
    if lang == "en":
        params["lang"] = "en"
    return f"{url.rstrip('/')}/?{urlencode(params)}"


def qr_png(text: str) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=12, border=2)
    return buffer.getvalue()


@dataclass
class Slide:
    title: str
    kind: str  # title | numbers | image | map | commune | link
    subtitle: str = ""
    numbers: list[dict] = field(default_factory=list)  # card() dicts
    figure: go.Figure | None = None
    summary: str = ""
    items: list[str] = field(default_factory=list)
    notes: str = ""
    link: str = ""


def _notes_for(cards: list[dict], lang: str) -> str:
    lines = []
    for shown in cards:
        line = f"{shown['label']} : {shown['value']} ({shown['note']}, {tr(lang, 'couverture', 'coverage')} {shown['coverage']})"
        if shown["source"]:
            line += f" — {tr(lang, 'source', 'source')} : {shown['source']} « {_quote(shown['quote'], 200)} »"
        lines.append(line)
    return "\n".join(lines)


def edition_slides(con, edition, lang: str = "fr", url: str = DEFAULT_URL) -> list[Slide]:
    """The event mode's sequence: title, headline KPIs, funnel, map, défis, one slide per commune, community, link."""
    edition = resolve_edition(con, edition)
    if edition is None:
        raise UnknownFilterValue("edition", edition, [str(r["edition_id"]) for r in list_editions(con)])
    view = Filters(edition=edition)
    results = {r.id: r for r in view_kpis(con, view)}
    label = _edition_label(con, edition, lang)
    slides = [Slide(tr(lang, "Quartiers Métropolitains d'Innovation", "Metropolitan Innovation Districts"), "title",
                    subtitle=f"{label} · {formatting.date(dt.date.today(), 'day', lang)}")]
    headline = [card(results[i], lang) for i in HEADLINE if i in results]
    slides.append(Slide(tr(lang, "Chiffres clés", "Key figures"), "numbers", numbers=headline,
                        notes=_notes_for(headline, lang)))
    stages = funnel_stages(con, view, results)
    slides.append(Slide(tr(lang, "Entonnoir du programme", "Programme funnel"), "image",
                        figure=figures.funnel(stages, lang) if stages else None,
                        summary=figures.funnel_summary(stages, lang) if stages else
                        tr(lang, "Aucune donnée d'entonnoir pour cette édition.", "No funnel data for this edition.")))
    map_fig, map_text, frames = map_figure(con, view, lang)
    slides.append(Slide(tr(lang, "Carte des quartiers", "Map of the quartiers"), "map", figure=map_fig,
                        summary=map_text))
    theme_fig, theme_text = theme_figure(con, view, lang)
    slides.append(Slide(tr(lang, "Défis des projets", "Challenges of the projects"), "image", figure=theme_fig,
                        summary=theme_text))
    for row in frames["communes"].itertuples():
        commune_view = Filters(edition=edition, communes=(row.insee,))
        project_list = project_rows(con, commune_view, lang)
        quartier = frames["quartiers"][frames["quartiers"]["insee"] == row.insee]["quartier_name"].dropna()
        subtitle = f"Quartier : {quartier.iloc[0]}" if not quartier.empty else f"Quartier : {_nk(lang)}"
        items = [f"{p[0]} — {p[5]}" for p in project_list] or [
            tr(lang, "Aucun projet renseigné pour cette commune dans cette édition.",
               "No project recorded for this commune in this edition.")]
        count = len(project_list)
        # A long commune name is cut so that the count stays on the title's one line.
        slides.append(Slide(f"{_quote(row.commune, 27)} — {count} {tr(lang, plural(count, 'projet', 'projets'), 'project' if count == 1 else 'projects')}",
                            "commune", subtitle=subtitle, items=items))
    community_cards = [card(results[i], lang) for i in COMMUNITY if i in results]
    events = community.events(con, view)
    slides.append(Slide(tr(lang, "Communauté des Expérimentateurs", "Community of Experimenters"), "numbers",
                        numbers=community_cards, figure=figures.community_events(events, lang) if not events.empty else None,
                        summary=community_summary(events, lang) if not events.empty else "",
                        notes=_notes_for(community_cards, lang)))
    link = dashboard_link(url, edition, lang)
    slides.append(Slide(tr(lang, "Le tableau de bord", "The dashboard"), "link", link=link,
                        subtitle=tr(lang, "Les chiffres de cette présentation, avec leurs sources, en direct :",
                                    "This deck's figures, with their sources, live:")))
    return slides


EMU_PER_POINT = 12700


def box_capacity(box_width: int, box_height: int, size: float, partial_line: bool = True) -> tuple[int, int]:
    """(characters a line, lines) a text box of that size in EMU holds at a font size in points: 0.5 em an average
    character, 1.2 em a line; a last line partly below the box counts unless partial_line is False (titles)."""
    per_line = max(4, int(box_width / EMU_PER_POINT / (0.5 * size)))
    lines = box_height / EMU_PER_POINT / (1.2 * size)
    return per_line, max(1, math.ceil(lines - 0.05) if partial_line else int(lines))


def fit_lines(lines: list[str], box_width: int, box_height: int, size: float, partial_line: bool = True) -> list[str]:
    """The lines cut with « … » (the longest first) until they fit the box; PowerPoint never shrinks a text box."""
    per_line, room = box_capacity(box_width, box_height, size, partial_line)
    if len(lines) > room:  # more items than lines: the last line says how many are left out
        lines = lines[:room - 1] + [f"… (+{len(lines) - room + 1})"]
    needs = [max(1, -(-len(line) // per_line)) for line in lines]
    while sum(needs) > room:
        needs[needs.index(max(needs))] -= 1
    return [line if len(line) <= need * per_line else line[:need * per_line - 2].rstrip() + " …"
            for line, need in zip(lines, needs)]


def to_pptx(slides: list[Slide], synthetic: bool, lang: str = "fr", footer: str = "") -> bytes:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    layout = deck.slide_layouts[5]  # "Title Only": the title is a real title (outline, screen readers)
    width, height = deck.slide_width, deck.slide_height
    dark, grey, red, blue = RGBColor(0x1A, 0x1A, 0x1A), RGBColor(0x55, 0x55, 0x55), RGBColor(0xC0, 0, 0), \
        RGBColor(0x0B, 0x4F, 0x7C)

    def text_box(slide, left, top, box_width, box_height, text, size, bold=False, colour=dark, align=None):
        box = slide.shapes.add_textbox(left, top, box_width, box_height)
        frame = box.text_frame
        frame.word_wrap = True
        lines = fit_lines(text if isinstance(text, list) else [text], box_width - frame.margin_left - frame.margin_right,
                          box_height - frame.margin_top - frame.margin_bottom, size)
        for i, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = line.replace(formatting.NARROW_NBSP, formatting.NBSP)
            run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, colour
            if align is not None:
                paragraph.alignment = align
        return box

    def number_box(slide, left, top, box_width, box_height, value: str):
        """A headline number, its qualifier and unit smaller on the same line: « plus de » « 60 », « 280 » « personnes »."""
        digits = [i for i, ch in enumerate(value) if ch.isdigit()]
        box = slide.shapes.add_textbox(left, top, box_width, box_height)
        box.text_frame.word_wrap = True  # the no-break space keeps a number with its unit
        box.text_frame.margin_left = box.text_frame.margin_right = 0
        paragraph = box.text_frame.paragraphs[0]
        paragraph.alignment = PP_ALIGN.LEFT
        if digits:
            prefix, rest = value[:digits[0]], value[digits[0]:]
            number, _, unit = rest.partition(formatting.NBSP)
            big = 44 if len(value) <= 9 else 38
            parts = ((prefix, 16), (number, big), ((formatting.NBSP + unit) if unit else "", 16))
        else:
            parts = ((value, 26),)
        for text, size in parts:
            if text:
                run = paragraph.add_run()
                run.text = text.replace(formatting.NARROW_NBSP, formatting.NBSP)
                run.font.size, run.font.bold, run.font.color.rgb = Pt(size), True, dark

    def picture(slide, png: bytes, left, top, max_width, max_height, pixel_width, pixel_height):
        ratio = min(max_width / pixel_width, max_height / pixel_height)
        shown_width, shown_height = int(pixel_width * ratio), int(pixel_height * ratio)
        slide.shapes.add_picture(io.BytesIO(png), left + (max_width - shown_width) // 2, top, shown_width, shown_height)

    def chart(slide, figure, left, top, max_width, max_height, summary, pixel_width=1200):
        try:
            pixel_height = int(pixel_width * max_height / max_width)
            static = figures.print_style(figure, lang, width=pixel_width, height=pixel_height, font_size=18)
            png = render.figure_png(static, width=pixel_width, height=pixel_height)
            picture(slide, png, left, top, max_width, max_height, pixel_width, pixel_height)
        except render.RenderUnavailable as error:
            text_box(slide, left, top, max_width, Inches(1), _unavailable(error, lang), 16, colour=grey)

    margin = Inches(0.6)
    inner = width - 2 * margin
    for spec in slides:
        slide = deck.slides.add_slide(layout)
        title = slide.shapes.title
        title.left, title.top, title.width, title.height = margin, Inches(0.3), inner, Inches(1.0)
        if spec.kind == "title":
            title.top, title.height = Inches(2.3), Inches(1.6)
        title.text = "\n".join(fit_lines([spec.title], title.width, title.height, 36 if spec.kind != "title" else 44,
                                         partial_line=False))
        for paragraph in title.text_frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
            for run in paragraph.runs:
                run.font.size, run.font.bold, run.font.color.rgb = Pt(36 if spec.kind != "title" else 44), True, blue
        if spec.kind == "title":
            text_box(slide, margin, Inches(4.0), inner, Inches(1.0), spec.subtitle, 28, colour=grey)
        elif spec.kind == "numbers":
            per_row = 4
            top = Inches(1.5)
            cell_width = inner // per_row
            rows_height = Inches(2.3)
            for i, shown in enumerate(spec.numbers):
                left = margin + (i % per_row) * cell_width
                row_top = top + (i // per_row) * rows_height
                number_box(slide, left + Inches(0.1), row_top, cell_width - Inches(0.2), Inches(0.9), shown["value"])
                text_box(slide, left, row_top + Inches(0.9), cell_width - Inches(0.2), Inches(0.8), shown["label"], 15)
                text_box(slide, left, row_top + Inches(1.75), cell_width - Inches(0.2), Inches(0.35), shown["note"], 11,
                         colour=grey)
            if spec.figure is not None:
                chart_top = top + rows_height * ((len(spec.numbers) + per_row - 1) // per_row)
                chart(slide, spec.figure, margin, chart_top, inner, height - chart_top - Inches(0.9), spec.summary)
        elif spec.kind == "map":  # the map keeps its proportions: tall on the left, its legend in words on the right
            chart(slide, spec.figure, margin, Inches(1.25), Inches(8.0), Inches(5.6), spec.summary, pixel_width=900)
            text_box(slide, margin + Inches(8.3), Inches(1.6), inner - Inches(8.3), Inches(4.5), spec.summary, 16,
                     colour=grey)
        elif spec.kind == "image":
            if spec.figure is not None:
                chart(slide, spec.figure, margin, Inches(1.3), inner, Inches(4.9), spec.summary)
            text_box(slide, margin, Inches(6.25), inner, Inches(0.7), spec.summary, 13, colour=grey)
        elif spec.kind == "commune":
            text_box(slide, margin, Inches(1.3), inner, Inches(0.6), spec.subtitle, 20, colour=grey)
            half = (len(spec.items) + 1) // 2 if len(spec.items) > 8 else len(spec.items)
            columns = [spec.items[:half], spec.items[half:]] if half < len(spec.items) else [spec.items]
            size = 20 if len(spec.items) <= 8 else 16
            for i, column in enumerate(columns):
                text_box(slide, margin + i * (inner // 2), Inches(2.1), inner // len(columns) - Inches(0.2),
                         Inches(4.6), ["• " + item for item in column], size)
        elif spec.kind == "link":
            text_box(slide, margin, Inches(1.5), Inches(7.4), Inches(0.8), spec.subtitle, 22, colour=grey)
            text_box(slide, margin, Inches(2.5), Inches(7.4), Inches(1.2), spec.link, 28, bold=True, colour=blue)
            qr_size = Inches(4.6)
            slide.shapes.add_picture(io.BytesIO(qr_png(spec.link)), width - margin - qr_size, Inches(1.5), qr_size,
                                     qr_size)
        if spec.notes or spec.summary:
            slide.notes_slide.notes_text_frame.text = "\n".join(t for t in (spec.summary, spec.notes) if t) \
                .replace(formatting.NARROW_NBSP, formatting.NBSP)
        if footer:
            text_box(slide, margin, height - Inches(0.5), inner - Inches(3), Inches(0.35), footer, 10, colour=grey)
        if synthetic:
            text_box(slide, width - margin - Inches(3.2), height - Inches(0.55), Inches(3.2), Inches(0.4),
                     tr(lang, "DONNÉES SYNTHÉTIQUES", "SYNTHETIC DATA"), 14, bold=True, colour=red, align=PP_ALIGN.RIGHT)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def edition_deck(con, edition, lang: str = "fr", url: str = DEFAULT_URL) -> bytes:
    slides = edition_slides(con, edition, lang, url)
    today = formatting.date(dt.date.today(), "day", lang)
    footer = tr(lang, f"Sources des chiffres : notes de la diapositive · QMI — tableau de bord, {today}",
                f"Sources of the figures: the slide's notes · QMI dashboard, {today}")
    return to_pptx(slides, db.is_synthetic(con), lang, footer)
