"""Reports of the dashboard's figures, for reading away from it: a project's evaluation sheet (« fiche
évaluation »), a commune's and an edition's report (PDF or self-contained HTML); an edition's slide deck is outputs/pptx.py.

Each report is first a plain document model (outputs/document: headings, facts, tables, charts, sentences) built from
qmi_metrics' own reads and KPI registry, then written as HTML (`sheet_html`) or as PDF by printing that same
HTML (`sheet_pdf`, WeasyPrint): the numbers are the dashboard's numbers, formatted by `formatting`, and the
charts are the pages' plotly figures (`figures`) made into images offline (`render`). No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from qmi_metrics.metrics import kpis, reconcile
from qmi_metrics.metrics.filters import Filters, UnknownFilterValue, resolve_commune, resolve_edition
from qmi_metrics.metrics.filters import editions as list_editions
from qmi_metrics.outputs import graphics, sheet_html, sheet_pdf
from qmi_metrics.outputs.document import Bullets, Chart, Facts, Heading, Report, Table, Text, shorten
from qmi_metrics.present import cards, figures, findings, formatting, headlines, narratives, protocol, vocabulary
from qmi_metrics.present.i18n import N_, _, _n
from qmi_metrics.present.vocabulary import known, not_known
from qmi_metrics.reads import community, geo, programme, projects, queries
from qmi_metrics.store import db

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


# --- small helpers ------------------------------------------------------------------------------------------

def _text(value, lang: str) -> str:
    """The value as text, « non renseigné » when NULL."""
    return str(value) if known(value) else not_known(lang)


def _edition_label(con, edition: int | None, lang: str) -> str:
    if edition is None:
        return _(lang, "toutes éditions")
    for row in list_editions(con):
        if row["edition_id"] == edition:
            return row["label_en"] if lang == "en" else row["label_fr"]
    return str(edition)


def _footer(publication: db.Publication, lang: str) -> str:
    today = formatting.date(dt.date.today(), "day", lang)
    return (_(lang, "QMI — tableau de bord · produit le {today}", today=today) + " · "
            + narratives.published_line(publication, lang))


def _basis_notes(pairs, lang: str, lead: str = "") -> list:
    """Under a table: the rule of each of its rows that its source does not state (and `lead`, said first)."""
    notes = vocabulary.basis_notes(pairs, lang)
    return [Text(" ".join(filter(None, [lead, _(lang, " ; ").join(notes)])), "note")] if notes or lead else []


def _synthetic_notice(lang: str) -> Text:
    return Text(vocabulary.synthetic_banner(lang), "warning")


# --- KPIs ----------------------------------------------------------------------------------------------------

def view_kpis(con, view: Filters) -> list[kpis.KpiResult]:
    """Every KPI of the view, as `kpis.compute_all` gives it; per-project replicability indices are left to
    the project sheets."""
    return [r for r in kpis.compute_all(con, view) if not r.id.startswith("replicability_index:")]


def source_text(figure: kpis.PublishedFigure, lang: str = "fr") -> str:
    return f"{reconcile.document_name(figure.document, lang)} — {figure.section}"


def kpi_table(results: list[kpis.KpiResult], lang: str = "fr") -> Table:
    """Every KPI: computed value, coverage, published value, source — as `python -m qmi_metrics kpis`."""
    rows = []
    for result in results:
        shown = cards.card(result, lang)
        # The computed column rests on the rows it says, whatever the card shows.
        coverage = " · ".join(filter(None, [shown.coverage, cards.rests_on_text(result, lang), shown.ignored]))
        rows.append([shown.label, formatting.value(result.value, result.unit, lang), coverage,
                     cards.published_text(result.published[0], lang) if result.published else "—", shown.source or "—"])
    return Table([_(lang, "Indicateur"), _(lang, "Calculé"),
                  _(lang, "Couverture"), _(lang, "Publié"), "Source"],
                 rows)


def headline_table(results: dict, lang: str = "fr", ids: tuple[str, ...] = headlines.OVERVIEW) -> Table:
    shown = [cards.card(results[kpi_id], lang) for kpi_id in ids if kpi_id in results]
    return Table([_(lang, "Indicateur"), _(lang, "Valeur"),
                  _(lang, "Nature · couverture"), "Source"],
                 [[c.label, c.text, c.note, c.source or "—"] for c in shown])


KPI_NOTE = N_("« Calculé » : la valeur que donnent les lignes de la base ; « couverture » : les lignes sur lesquelles "
              "elle repose / les lignes qui existent. Une valeur à couverture partielle n'est pas comparable au "
              "chiffre publié. Les chiffres clés reprennent la règle du tableau de bord : la valeur calculée quand les "
              "lignes sont complètes, sinon le chiffre publié.")


# --- the project evaluation sheet ------------------------------------------------------------------------------

def project_ids(con, edition: int | None = None) -> list[str]:
    return [row["project_id"] for row in db.fetch_rows(con, """
        SELECT project_id FROM projects WHERE $edition IS NULL OR edition_id = $edition ORDER BY project_id
    """, {"edition": edition})]


def _check_project(con, project_id: str) -> None:
    if not projects.exists(con, project_id):
        raise UnknownProject(project_id, project_ids(con))


def _deployment_text(project: dict, deployment: pd.DataFrame, lang: str) -> str:
    if deployment.empty:
        return _(lang, "déployé, date non renseignée") if project["is_deployed"] \
            else not_known(lang)
    row = deployment.iloc[0]
    text = formatting.date(row["deployment_date"], row["deployment_precision"], lang)
    months = project.get("deployment_months")
    if known(months):
        started = formatting.date(project["started_on"], "month", lang)
        text += _(lang, " ({value_months} après le début de l'accompagnement, {started})",
                        value_months=formatting.value(months, 'months', lang), started=started)
        text += vocabulary.basis_mark(project.get("delay_basis"), lang, _(lang, "délai"))
    return text


def _localised(project: dict, column: str, lang: str):
    if lang == "en" and project.get(f"{column}_en") is not None:
        return project.get(f"{column}_en")
    return project.get(f"{column}_fr")


def _event_date(events: list, kinds: tuple[str, ...], lang: str) -> str:
    """The first event of these kinds (`events`: the rows as tuples, oldest first), at its precision;
    « non daté » when recorded without a date."""
    rows = [row for row in events if row.kind in kinds]
    if not rows:
        return not_known(lang)
    dated = [row for row in rows if known(row.date_start)]
    if not dated:
        return _(lang, "oui, non daté")
    return figures.event_when(dated[0], lang)


def _identity(project: dict, deployment: pd.DataFrame, edition_label: str, quartier, lang: str) -> Facts:
    kind = _localised(project, "type", lang)
    if kind is not None and project.get("subtype_fr"):
        kind = f"{kind} ({project['subtype_fr']})"
    theme = _localised(project, "theme", lang)
    if known(theme) and project.get("theme_source_title"):  # the défi comes from another document
        theme += _(lang, " (source : {title})", title=project["theme_source_title"])
    return Facts([
        (_(lang, "Projet"), project["name"]),
        (_(lang, "Identifiant"), project["project_id"]),
        (_(lang, "Porteur"), _text(project.get("operator"), lang)),
        ("Commune", _text(project.get("commune"), lang)),
        ("Quartier", _text(quartier, lang)),
        (_(lang, "Édition"), edition_label),
        (_(lang, "Défi"), _text(theme, lang)),
        (_(lang, "Famille"), _text(_localised(project, "family", lang), lang)),
        ("Type", _text(kind, lang)),
        (_(lang, "Statut actuel"), vocabulary.status_label(project.get("current_status"), lang, symbol=False)
         + vocabulary.basis_mark(project.get("status_basis"), lang)),
        (_(lang, "Déploiement"), _deployment_text(project, deployment, lang)),
    ])


def _protocol(events: pd.DataFrame, sites: pd.DataFrame, indicators: pd.DataFrame, values: pd.DataFrame,
              scores: pd.DataFrame, lang: str) -> Facts:
    """The experimental protocol as far as the data describe it: where, when, what is measured."""
    places = "; ".join(f"{row.name} ({vocabulary.site_precision(row.precision, lang)})"
                       for row in sites.itertuples()) or not_known(lang)
    followed = len(indicators)
    count, first, last = int(values["measurements"].sum()), values["first_on"].min(), values["last_on"].max()
    measured = (_(lang, "{count} mesure(s), du {date_first} "
                  "au {date_last}",
                        count=count, date_first=formatting.date(first, 'day', lang),
                        date_last=formatting.date(last, 'day', lang))
                if not values.empty else _(lang, "aucune mesure publiée"))
    scored = int(scores["score"].notna().sum())
    events = list(events.itertuples())  # read six times below: tuples, not six filters of the frame
    return Facts([
        (_(lang, "Lieu(x) d'expérimentation"), places),
        (_(lang, "Début de l'accompagnement"), _event_date(events, ("started",), lang)),
        (_(lang, "Convention signée"), _event_date(events, ("agreement_signed",), lang)),
        (_(lang, "Déploiement ou test sur le terrain"),
         _event_date(events, ("deployed", "tested"), lang)),
        (_(lang, "Évaluation"), _event_date(events, ("evaluated",), lang)),
        (_(lang, "Suite donnée"),
         _outcome(events, lang)),
        (_(lang, "Indicateurs suivis"),
         _n(lang, "{n} indicateur", "{n} indicateurs", followed) if followed else not_known(lang)),
        (_(lang, "Mesures"), measured),
        (_(lang, "Critères de répliquabilité notés"), f"{scored}/{len(scores)}"),
    ])


def _outcome(events: list, lang: str) -> str:
    parts = []
    for kind in ("continued", "stopped"):
        if any(row.kind == kind for row in events):
            parts.append(f"{vocabulary.status_label(kind, lang, symbol=False)} ({_event_date(events, (kind,), lang)})")
    return ", ".join(parts) or not_known(lang)


def _timeline_blocks(project: dict, events: pd.DataFrame, lang: str) -> list:
    blocks: list = [Heading(_(lang, "Historique des statuts"), 2)]
    if events.empty:
        return blocks + [Text(_(lang, "Aucun événement renseigné."))]
    dated = events[events["date_start"].notna()]
    if not dated.empty:  # figures.project_timeline draws the dated events
        labels = [vocabulary.status_label(kind, lang, symbol=False) for kind in dated["kind"]]
        whens = [figures.event_when(row, lang) for row in dated.itertuples()]
        summary = f"{project['name']}{_(lang, ' : ')}" + _(lang, " ; ").join(
            f"{label} ({when})" for label, when in zip(labels, whens)) + "."
        rows = len(set(dated["kind"]))
        blocks.append(Chart(lambda: figures.project_timeline(events, lang), summary,  # a sheet keeps to two pages
                            height=90 + 45 * rows, svg=lambda: graphics.timeline_svg(events, lang)))
    undated = len(events) - len(dated)
    if undated:
        blocks.append(Text(_n(lang, "{n} événement non daté.", "{n} événements non datés.", undated), "note"))
    rows = [[vocabulary.status_label(row.kind, lang, symbol=False), figures.event_when(row, lang),
             vocabulary.date_precision(row.date_precision, lang) if known(row.date_precision) else "—",
             vocabulary.basis_label(row.basis, lang),
             " — ".join(str(p) for p in (row.source_title, row.source_section) if known(p)) or not_known(lang)]
            for row in events.itertuples()]
    # The rule of each event not stated is in the sheet's Sources, with its passage (a sheet keeps to two pages).
    blocks.append(Table([_(lang, "Statut"), "Date", _(lang, "Précision"), _(lang, "Base"), "Source"], rows))
    return blocks


def _indicator_blocks(indicators: pd.DataFrame, values: pd.DataFrame, progress: pd.DataFrame, lang: str) -> list:
    """The followed indicators with their protocol and progress (one table: a sheet keeps to two pages)."""
    blocks: list = [Heading(_(lang, "Indicateurs suivis"), 2)]
    if indicators.empty:
        return blocks + [Text(_(lang, "Aucun indicateur rattaché à ce projet : non renseigné."))]
    protocols = {row["indicator_id"]: row for row in progress.to_dict("records")}
    rows = []
    for row in indicators.itertuples():
        last = (_(lang, "aucune mesure publiée") if row.values_count == 0
                else f"{formatting.value(row.last_value, 'count', lang, decimals=None)} "
                     f"({formatting.date(row.last_measured_on, 'day', lang)})")
        plan = protocols.get(row.indicator_id, {})
        rows.append([f"{row.label_en if lang == 'en' else row.label_fr} ({protocol.status_text(plan.get('status'), lang)})",
                     row.unit, vocabulary.words(vocabulary.DIRECTIONS, row.direction, lang), last,
                     protocol.plan_cell(plan, lang), protocol.progress_cell(plan, lang),
                     vocabulary.basis_label(vocabulary.weakest_basis(row.basis, row.link_basis), lang)])
    blocks.append(Table([_(lang, "Indicateur (protocole)"), _(lang, "Unité"), _(lang, "Sens souhaité"),
                         _(lang, "Dernière valeur"), _(lang, "Départ → cible"), _(lang, "Avancement"), _(lang, "Base")],
                        rows))
    remarks = [f"{protocol.label_of(plan, lang)}{_(lang, ' : ')}{' · '.join(found)}." for plan in protocols.values()
               if (found := protocol.remarks(plan, lang))]
    lead = " ".join([vocabulary.indicator_model_note(lang), protocol.formula_note(lang), protocol.on_track_note(lang),
                     *remarks])
    blocks += _basis_notes([pair for row in indicators.itertuples()
                            for pair in ((row.basis, row.basis_rule), (row.link_basis, row.link_rule))]
                           + [(plan.get("basis"), plan.get("basis_rule")) for plan in protocols.values()], lang, lead)
    series = indicators[indicators["values_count"] >= 2]
    if series.empty:
        missing = int((indicators["values_count"] == 0).sum())
        blocks.append(Text(_(lang, "Pas de courbe : aucune série de mesures publiée ({missing} indicateur(s) "
                                   "sur {len_indicators} sans aucune mesure).",
                                   missing=missing, len_indicators=len(indicators)), "note"))
        return blocks
    points = values[values["indicator_id"].isin(series["indicator_id"])]
    blocks.append(Chart(lambda: figures.indicator_series(series, points, lang, row_height=110),
                        figures.indicator_summary(series, points, lang), svg=lambda: graphics.series_svg(series, points, lang)))
    return blocks


def _replicability_blocks(scores: pd.DataFrame, lang: str) -> list:
    blocks: list = [Heading(_(lang, "Critères de répliquabilité"), 2)]
    not_scored = _(lang, "non noté")
    rows = [[row.label_en if lang == "en" else row.label_fr,
             f"{formatting.number(row.score, 0 if float(row.score).is_integer() else 1, lang)}/5" if known(row.score)
             else not_scored,
             formatting.date(row.scored_on, "day", lang) if known(row.scored_on) else "—"]
            for row in scores.itertuples()]
    blocks.append(Table([_(lang, "Critère"), _(lang, "Note (0 à 5)"),
                         _(lang, "Noté le")], rows))
    scored = scores[scores["score"].notna()]
    if scored.empty:
        blocks.append(Text(_(lang, "Répliquabilité : non noté (aucune note publiée pour ce projet)."), "note"))
    elif len(scored) == len(scores):
        index = scored["score"].mean() / 5
        blocks.append(Text(_(lang, "Indice de répliquabilité : {value_index} "
                                   "(moyenne des {len_scores} critères, ramenée entre 0 et 1).",
                                   value_index=formatting.value(index, 'index', lang), len_scores=len(scores))))
    else:
        blocks.append(Text(_(lang, "{len_scored} critère(s) noté(s) sur {len_scores} : pas d'indice.",
                                   len_scored=len(scored), len_scores=len(scores)), "note"))
    return blocks


def _project_sources(project: dict, events: pd.DataFrame, sites: pd.DataFrame, indicators: pd.DataFrame,
                     lang: str) -> list[str]:
    """Each document passage once, with what it backs: « accompagné (juin 2023), testé (été 2024) : <document> »."""
    colon = _(lang, " : ")
    cited: dict[tuple[str, str], list[str]] = {}

    def cite(what: str, title, section=None, quote=None, basis=None, rule=None) -> None:
        where = " — ".join(str(p) for p in (title, section) if known(p)) or not_known(lang)
        how = _(lang, " ; ").join(vocabulary.basis_notes([(basis, rule)], lang))
        cited.setdefault((where, shorten(quote) if known(quote) else "", how), []).append(what)

    cite(_(lang, "fiche du projet"), project.get("source_title"), project.get("source_section"),
         basis=project.get("basis"), rule=project.get("basis_rule"))
    if known(project.get("lessons_section")):
        cite(_(lang, "enseignements"), project.get("source_title"), project.get("lessons_section"))
    for row in events.itertuples():
        cite(f"{vocabulary.status_label(row.kind, lang, symbol=False)} ({figures.event_when(row, lang)})",
             row.source_title, row.source_section, row.source_quote, row.basis, row.basis_rule)
    for row in sites.itertuples():
        cite(f"{_(lang, 'lieu')} {row.name}", row.source_title, row.source_section, row.source_quote,
             row.basis, row.basis_rule)
    for row in indicators.itertuples():
        if known(row.source_quote):
            cite(f"{_(lang, 'indicateur')} {row.label_en if lang == 'en' else row.label_fr}",
                 row.source_title, row.source_section, row.source_quote, row.link_basis, row.link_rule)
    return [f"{', '.join(whats)}{colon}{where}" + (f"{colon}« {quote} »" if quote else "")
            + (f" — {how}" if how else "") for (where, quote, how), whats in cited.items()]


@dataclass(frozen=True)
class SheetRows:
    """What a project's sheet is made of: the project, its rows, and the database's labels and marks."""

    project: dict
    events: pd.DataFrame
    deployment: pd.DataFrame
    sites: pd.DataFrame
    indicators: pd.DataFrame
    values: pd.DataFrame
    scores: pd.DataFrame
    progress: pd.DataFrame  # projects.progress: each followed indicator against its protocol
    quartier: str | None
    editions: tuple[dict, ...]  # filters.editions: the edition labels
    meta: dict  # db.meta: synthetic, data_version
    publication: db.Publication  # the data version and when it was published (every page's footer)


def sheet_rows(con, project_ids: list[str]) -> dict[str, SheetRows]:
    """The rows of the sheets of these projects, read in one query per kind of row (the static site reads every
    project's at once: a query per project and kind would take minutes at scale M)."""
    ids = list(project_ids)
    parts = {"events": queries.project_events(con, ids), "deployment": projects.deployment_dates(con, Filters()),
             "sites": projects.sites(con, ids), "indicators": projects.indicators(con, ids),
             "values": projects.indicator_values(con, ids), "scores": projects.replicability(con, ids),
             "progress": projects.progress(con, ids)}
    grouped = {name: dict(tuple(frame.groupby("project_id", sort=False))) for name, frame in parts.items()}
    quartiers = {(r["edition_id"], r["insee"]): r["quartier_name"] for r in db.fetch_rows(
        con, "SELECT edition_id, insee, quartier_name FROM commune_editions")}
    editions, meta, publication = tuple(list_editions(con)), db.meta(con), db.publication(con)

    def own(name: str, project_id: str) -> pd.DataFrame:
        found = grouped[name].get(project_id)
        return (parts[name].iloc[0:0] if found is None else found).reset_index(drop=True)

    return {project["project_id"]: SheetRows(
        project, *(own(name, project["project_id"]) for name in parts),
        quartier=quartiers.get((project["edition_id"], project["insee"])), editions=editions, meta=meta,
        publication=publication)
        for project in queries.project_details(con, ids)}


def project_sheet(con, project_id: str, lang: str = "fr") -> Report:
    """The evaluation sheet of one project (« fiche évaluation »)."""
    _check_project(con, project_id)
    return sheet(sheet_rows(con, [project_id])[project_id], lang)


def sheet(rows: SheetRows, lang: str = "fr") -> Report:
    """The evaluation sheet made of a project's rows (`sheet_rows`)."""
    project, events, sites, indicators, values, scores = (rows.project, rows.events, rows.sites, rows.indicators,
                                                          rows.values, rows.scores)
    labels = {row["edition_id"]: row["label_en" if lang == "en" else "label_fr"] for row in rows.editions}
    edition_label = labels.get(project["edition_id"], str(project["edition_id"]))
    synthetic = db.marks_synthetic(rows.meta)
    report = Report("project", f"fiche_{project['project_id']}", project["name"],
                    _(lang, "Fiche évaluation · {edition_label} · {text_get_commune}", edition_label=edition_label,
                            text_get_commune=_text(project.get('commune'), lang)),
                    lang, synthetic, footer=_footer(rows.publication, lang))
    blocks = report.blocks
    if synthetic:
        blocks.append(_synthetic_notice(lang))
    blocks += [Heading(_(lang, "Identité du projet"), 2),
               _identity(project, rows.deployment, edition_label, rows.quartier, lang),
               Text(_(lang, "Description : ") + _text(project.get("description_fr"), lang)),
               Heading(_(lang, "Protocole expérimental"), 2),
               _protocol(events, sites, indicators, values, scores, lang)]
    blocks += _timeline_blocks(project, events, lang)
    blocks += _indicator_blocks(indicators, values, rows.progress, lang)
    blocks += _replicability_blocks(scores, lang)
    blocks += [Heading(_(lang, "Enseignements"), 2),
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
    Contours only from the disk (shipped, or a refreshed copy): a report never waits for the network."""
    frames = _map_frames(con, view)
    figure = figures.laureate_map(frames["communes"], frames["quartiers"], frames["sites"], frames["metropole"], lang,
                                  contours=geo.contours_on_disk(),
                                  focus="laureates" if view.communes else "metropole")
    return figure, figures.map_summary(frames["communes"], frames["sites"], lang), frames


def _map_blocks(con, view: Filters, lang: str) -> list:
    figure, summary, frames = map_figure(con, view, lang)
    blocks: list = [Heading(_(lang, "Carte des quartiers"), 2), Chart(figure, summary, 900)]
    quartiers = frames["quartiers"]
    if not quartiers.empty:
        counts = dict(zip(frames["communes"]["insee"], frames["communes"]["projects"]))
        rows = [[row.commune, str(row.edition_id), _text(row.quartier_name, lang), str(counts.get(row.insee, 0))]
                for row in quartiers.itertuples()]
        blocks.append(Table(["Commune", _(lang, "Édition"), "Quartier", _(lang, "Projets")],
                            rows))
    return blocks


def funnel_stages(con, view: Filters, results: dict) -> list[dict]:
    return [s for s in queries.funnel(con, view, results) if s["value"] is not None]


def _funnel_blocks(stages: list[dict], lang: str) -> list:
    blocks: list = [Heading(_(lang, "Entonnoir du programme"), 2)]
    if not stages:
        return blocks + [Text(_(lang, "Aucune donnée d'entonnoir pour cette vue."))]
    blocks.append(Chart(figures.funnel(stages, lang), figures.funnel_summary(stages, lang)))
    rows = [[vocabulary.funnel_label(s["stage"], lang), formatting.value(s["value"], "count", lang),
             vocabulary.words(vocabulary.BASES, s["basis"], lang),
             "" if s["covered"] is None else f"{s['covered']}/{s['total'] if s['total'] is not None else '?'}"]
            for s in stages]
    blocks.append(Table([_(lang, "Étape"), _(lang, "Valeur"), _(lang, "Nature"),
                         _(lang, "Couverture")], rows))
    return blocks


def project_frame(con, view: Filters) -> pd.DataFrame:
    """The projects of the view with their deployment dates, in the order of the reports' list."""
    return projects.with_deployment_dates(queries.projects(con, view), projects.deployment_dates(con, view))


def project_rows(frame: pd.DataFrame, lang: str = "fr") -> list[list[str]]:
    """The report's project list (`project_frame`): name, commune, family, type, défi, status, deployment, basis."""
    en = lang == "en"
    return [[row.name, _text(row.commune, lang), _text(row.family_en if en else row.family_fr, lang),
             _text(row.type_en if en else row.type_fr, lang), _text(row.theme_en if en else row.theme_fr, lang),
             vocabulary.status_label(row.current_status, lang, symbol=False),
             formatting.date(row.deployment_date, row.deployment_precision, lang) if known(row.deployment_date)
             else not_known(lang),
             vocabulary.basis_label(vocabulary.weakest_basis(row.basis, row.status_basis, row.delay_basis), lang)]
            for row in frame.itertuples()]


def project_bases(con, view: Filters) -> list[tuple]:
    """(basis, rule) of what each project's line of the report rests on: its row, its status, its delay."""
    return [pair for row in queries.projects(con, view).itertuples()
            for pair in ((row.basis, row.basis_rule), (row.status_basis, row.status_rule),
                         (row.delay_basis, row.delay_rule))]


def _project_blocks(con, view: Filters, lang: str) -> list:
    rows = project_rows(project_frame(con, view), lang)
    blocks: list = [Heading(_(lang, "Projets"), 2)]
    if not rows:
        return blocks + [Text(_(lang, "Aucun projet dans cette vue."))]
    blocks.append(Text(_n(lang, "{n} projet.", "{n} projets.", len(rows))))
    blocks.append(Table([_(lang, "Projet"), "Commune", _(lang, "Famille"), "Type",
                         _(lang, "Défi"), _(lang, "Statut"),
                         _(lang, "Déploiement"), _(lang, "Base")], rows, whole=(0, 1)))
    return blocks + _basis_notes(project_bases(con, view), lang,
                                 _(lang, "Base : la plus faible de la ligne, de son statut et de son délai."))


def theme_figure(con, view: Filters, lang: str = "fr") -> tuple[go.Figure | None, str]:
    """The projects' shares per défi, published next to computed, and the sentences saying how far they compare."""
    shares = programme.theme_shares(con, Filters(edition=view.edition, communes=view.communes))
    published = programme.published_theme_shares(con, view.edition)
    published = published[published["scope"] == "projects"]
    story = narratives.theme_story(shares, published, "projects", view, lang, reference=not db.is_synthetic(con))
    sentence = " ".join([story.coverage, story.published, *story.notes])
    if story.known == 0 and published.empty:
        return None, sentence
    return figures.theme_shares(shares, published, "projects", lang), sentence


def _theme_blocks(con, view: Filters, lang: str) -> list:
    figure, sentence = theme_figure(con, view, lang)
    blocks: list = [Heading(_(lang, "Défis des projets"), 2)]
    return blocks + ([Chart(figure, sentence)] if figure is not None else [Text(sentence)])


def _deployment_blocks(con, view: Filters, lang: str) -> list:
    groups = projects.deployment_by(con, view, "commune")
    blocks: list = [Heading(_(lang, "Déploiement par commune"), 2)]
    if groups.empty:
        return blocks + [Text(_(lang, "Aucun projet dans cette vue."))]
    totals = projects.coverage(groups)
    blocks.append(Text(_(lang,
        "Issue connue (déployé ou arrêté) pour {outcome_known} projet(s) sur {projects} ; "
        "délai mesurable (dates au mois près) pour {measured} des {deployed} projet(s) déployé(s).",
        outcome_known=totals['outcome_known'], projects=totals['projects'], measured=totals['measured'],
        deployed=totals['deployed'])))
    if totals["outcome_known"] == 0:
        return blocks + [Text(_(lang, "Aucune issue connue : pas de graphique."), "note")]
    labels = figures.group_labels(groups, "commune", lang)
    blocks.append(Chart(figures.deployment(groups, labels, lang), figures.deployment_summary(groups, labels, lang)))
    return blocks + _basis_notes([(basis, rule) for basis, rules in zip(groups["delay_basis"], groups["delay_rules"])
                                  for rule in list(rules)], lang)


def _community_blocks(con, view: Filters, results: dict, lang: str) -> list:
    blocks: list = [Heading(_(lang, "Communauté des Expérimentateurs"), 2),
                    headline_table(results, lang, headlines.COMMUNITY)]
    events = community.events(con, Filters(edition=view.edition, communes=view.communes))
    if events.empty:
        return blocks + [Text(_(lang, "Aucune rencontre de la Communauté dans cette vue."))]
    figure = figures.community_events(events, lang)
    if figure is not None:
        blocks.append(Chart(figure, narratives.community_summary(events, lang)))
    else:
        blocks.append(Text(narratives.community_summary(events, lang)))
    rows = [[figures.date_text(row.date_start, row.date_precision, lang), _text(row.commune, lang),
             _text(row.format_en if lang == "en" else row.format_fr, lang),
             formatting.value(row.participants, "count", lang) if known(row.participants) else not_known(lang),
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
            quotes.append(f"{result.kpi.label(lang)}{_(lang, ' : ')}"
                          f"« {shorten(figure.quote)} » ({source_text(figure, lang)})")
    blocks: list = [Heading("Sources", 2),
                    Text(_(lang, "Documents dont viennent les lignes de cette vue :"))]
    blocks.append(Bullets(documents or [not_known(lang)]))
    if quotes:
        blocks += [Text(_(lang, "Chiffres publiés auxquels les indicateurs sont comparés :")), Bullets(quotes)]
    return blocks


def _findings_blocks(con, view: Filters, lang: str) -> list:
    """The findings of the edition, in the sentences of the Sources et écarts page (present/findings): the
    contradictions and the figures the data do not confirm in full, the other groups counted."""
    found = findings.collect(con, lang, view.edition)
    groups = findings.by_group(found)
    blocks: list = [Heading(_(lang, "Ce que disent les documents, et où ils se contredisent"), 2),
                    Text(findings.summary(found, lang))]
    for group in (findings.CONTRADICTION, reconcile.DIFFERS):
        if groups[group]:
            blocks += [Heading(findings.group_title(group, lang), 3),
                       Bullets([f"{f.title} — {f.sentence}" + (f" {f.shown}" if f.shown else "") for f in groups[group]])]
    blocks.append(Text(_(lang, "Chaque chiffre confirmé ou non vérifiable est détaillé, avec sa citation, sur la page "
                               "« Sources et écarts » du tableau de bord."), "note"))
    return blocks


def view_report(con, view: Filters, kind: str, name: str, title: str, subtitle: str, lang: str = "fr") -> Report:
    results = view_kpis(con, view)
    by_id = {r.id: r for r in results}
    synthetic = db.is_synthetic(con)
    report = Report(kind, name, title, subtitle, lang, synthetic, footer=_footer(db.publication(con), lang))
    blocks = report.blocks
    if synthetic:
        blocks.append(_synthetic_notice(lang))
    blocks += [Heading(_(lang, "Chiffres clés"), 2), headline_table(by_id, lang)]
    blocks += _map_blocks(con, view, lang)
    blocks += _funnel_blocks(funnel_stages(con, view, by_id), lang)
    blocks += _project_blocks(con, view, lang)
    blocks += _theme_blocks(con, view, lang)
    blocks += _deployment_blocks(con, view, lang)
    blocks += _community_blocks(con, view, by_id, lang)
    if kind == "edition":
        blocks += _findings_blocks(con, view, lang)
    blocks += [Heading(_(lang, "Tous les indicateurs de la vue"), 2),
               kpi_table(results, lang), Text(_(lang, KPI_NOTE), "note")]
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
                       _(lang, "Rapport commune — {name}", name=name),
                       _(lang, "Quartiers Métropolitains d'Innovation · {edition_label}", edition_label=edition_label), lang)


def edition_report(con, edition, lang: str = "fr") -> Report:
    edition = resolve_edition(con, edition)
    if edition is None:
        raise UnknownFilterValue("edition", edition, [str(r["edition_id"]) for r in list_editions(con)])
    label = _edition_label(con, edition, lang)
    return view_report(con, Filters(edition=edition), "edition", f"rapport_edition_{edition}",
                       _(lang, "Rapport d'édition — {label}", label=label),
                       _(lang, "Quartiers Métropolitains d'Innovation"), lang)


# --- writing a report ------------------------------------------------------------------------------------

def render_report(report: Report, fmt: str) -> bytes:
    """The report as PDF (its HTML printed, sheet_pdf) or as the self-contained HTML file (sheet_html)."""
    if fmt == "pdf":
        return sheet_pdf.to_pdf(report)
    if fmt == "html":
        return sheet_html.to_html(report).encode("utf-8")
    raise ValueError(f"format {fmt!r}: pdf or html")


def project_sheet_pdf(con, project_id: str, lang: str = "fr") -> bytes:
    return render_report(project_sheet(con, project_id, lang), "pdf")


def project_sheet_html(con, project_id: str, lang: str = "fr") -> bytes:
    return render_report(project_sheet(con, project_id, lang), "html")
