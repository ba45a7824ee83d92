"""Row-level reads the pages share (projects, calendar, communes), filters pushed into SQL."""

from __future__ import annotations

import pandas as pd

from qmi_metrics.metrics.filters import Filters
from qmi_metrics.store import db

STATUSES = ("selected", "started", "agreement_signed", "deployed", "tested", "evaluated", "continued", "stopped")

def projects(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per project of the view, with labels, status, deployment dates and its other spellings
    (`aliases`: the names the documents also write it with, « ; »-separated, NULL when none)."""
    return db.fetch_df(con, """
        SELECT p.project_id, p.edition_id, p.name, p.operator, p.insee, c.name AS commune,
               (SELECT string_agg(DISTINCT a.name_as_written, ' ; ' ORDER BY a.name_as_written) FROM aliases a
                WHERE a.entity_kind = 'project' AND a.entity_id = p.project_id) AS aliases,
               p.family_slug, f.label_fr AS family_fr, f.label_en AS family_en,
               p.type_slug, ty.label_fr AS type_fr, ty.label_en AS type_en, pr.subtype_fr,
               p.theme_slug, th.label_fr AS theme_fr, th.label_en AS theme_en,
               p.is_digital, p.is_deployed, p.is_evaluated, p.is_continued, p.is_stopped, p.current_status,
               p.status_basis, p.status_rule, p.started_on, p.deployed_on, p.deployment_months, p.delay_basis,
               p.delay_rule, pr.description_fr, pr.source_id, p.basis, p.basis_rule
        FROM f_projects($edition, $commune, $theme) p
        JOIN projects pr USING (project_id)
        LEFT JOIN communes c ON c.insee = p.insee
        LEFT JOIN project_families f ON f.family_slug = p.family_slug
        LEFT JOIN solution_types ty ON ty.type_slug = p.type_slug
        LEFT JOIN themes th ON th.theme_slug = p.theme_slug
        WHERE $statuses IS NULL OR list_contains($statuses, p.current_status)
        ORDER BY c.name, p.name
    """, {**view.params(), "statuses": list(statuses) or None})


def project(con, project_id: str) -> dict | None:
    """Everything known about one project, for its detail view."""
    found = project_details(con, [project_id])
    return found[0] if found else None


def project_details(con, project_ids: list[str]) -> list[dict]:
    """`project` for several projects at once (the static site reads them all in one query), in id order."""
    return db.fetch_rows(con, """
        SELECT pr.*, c.name AS commune, f.label_fr AS family_fr, f.label_en AS family_en,
               ty.label_fr AS type_fr, ty.label_en AS type_en, th.label_fr AS theme_fr, th.label_en AS theme_en,
               ps.current_status, ps.status_basis, ps.status_rule, ps.is_deployed, ps.started_on, ps.deployed_on,
               ps.deployment_months, ps.delay_basis, ps.delay_rule, s.title AS source_title, s.file AS source_file,
               ts.title AS theme_source_title
        FROM projects pr
        JOIN project_status ps USING (project_id)
        LEFT JOIN communes c ON c.insee = pr.insee
        LEFT JOIN project_families f ON f.family_slug = pr.family_slug
        LEFT JOIN solution_types ty ON ty.type_slug = pr.type_slug
        LEFT JOIN themes th ON th.theme_slug = pr.theme_slug
        LEFT JOIN sources s ON s.source_id = pr.source_id
        LEFT JOIN sources ts ON ts.source_id = pr.theme_source_id
        WHERE list_contains($ids, pr.project_id)
        ORDER BY pr.project_id
    """, {"ids": list(project_ids)})


def project_events(con, project_id: str | list[str]) -> pd.DataFrame:
    """A project's status history (or each of several projects'), oldest first; undated events last."""
    return db.fetch_df(con, """
        SELECT e.project_id, e.kind, e.date_start, e.date_end, e.date_precision, e.source_id, e.source_section, e.source_quote,
               e.basis, e.basis_rule, s.title AS source_title, s.file AS source_file
        FROM project_events e LEFT JOIN sources s USING (source_id)
        WHERE list_contains($ids, e.project_id)
        ORDER BY e.project_id, e.date_start NULLS LAST,
                 list_position(['selected', 'started', 'agreement_signed', 'deployed', 'tested', 'evaluated',
                                'continued', 'stopped'], e.kind)
    """, {"ids": [project_id] if isinstance(project_id, str) else list(project_id)})


def milestones(con, edition: int | None = None) -> pd.DataFrame:
    return db.fetch_df(con, """
        SELECT m.*, s.title AS source_title, s.file AS source_file
        FROM milestones m LEFT JOIN sources s USING (source_id)
        WHERE $edition IS NULL OR m.edition_id = $edition
        ORDER BY m.date_start NULLS LAST, m.milestone_id
    """, {"edition": edition})


def laureate_communes(con, view: Filters = Filters()) -> pd.DataFrame:
    """The laureate communes of the view with their quartier and its coordinates."""
    return db.fetch_df(con, """
        SELECT lc.edition_id, lc.insee, lc.name, lc.departement, lc.ept_name, lc.population, lc.phase,
               lc.quartier_name, ce.theme_slug, th.label_fr AS theme_fr, th.label_en AS theme_en,
               q.name AS quartier_site, q.lat AS quartier_lat, q.lon AS quartier_lon, q.precision AS quartier_precision,
               cc.lat AS centroid_lat, cc.lon AS centroid_lon
        FROM f_laureate_communes($edition, $commune) lc
        JOIN commune_editions ce ON ce.edition_id = lc.edition_id AND ce.insee = lc.insee
        LEFT JOIN themes th ON th.theme_slug = ce.theme_slug
        LEFT JOIN sites q ON q.site_id = ce.quartier_site_id
        LEFT JOIN sites cc ON cc.insee = lc.insee AND cc.kind = 'commune_centroid'
        ORDER BY lc.edition_id, lc.name
    """, view.params())


def source_label(con, source_id: str, lang: str = "fr") -> str:
    row = db.fetch_one(con, "SELECT title, file FROM sources WHERE source_id = $id", {"id": source_id})
    if row is None:
        return source_id
    return f"{row['title']} ({row['file']})" if row["file"] else row["title"]


FUNNEL_STAGES = ("marks_of_interest", "applications", "selected", "deployed", "evaluated")  # words: vocabulary.FUNNEL_LABELS


def funnel(con, view: Filters, results: dict) -> list[dict]:
    """The programme funnel of the view. Each stage says whether it is computed from rows or published.

    `results` are the view's KPI results (id -> KpiResult). A published figure is only used for a
    programme-wide view of one edition, and only where the rows are incomplete.
    """
    marks = None
    if view.is_programme_wide() and view.edition is not None:
        marks = db.fetch_value(con, "SELECT published_call_total($edition, 'projects', 'marks_of_interest')",
                               {"edition": view.edition})
    by_stage = {
        "applications": results.get("candidatures_count"),
        "selected": results.get("projects_selected_count"),
        "deployed": results.get("projects_deployed_count"),
        "evaluated": results.get("evaluation_sheets_count"),
    }
    stages = []
    for stage in FUNNEL_STAGES:
        result = by_stage.get(stage)
        if stage == "marks_of_interest":
            value, basis, covered, total = marks, ("published" if marks is not None else "unknown"), None, None
        elif result is None:
            continue
        elif not result.is_complete and result.published:
            value, basis, covered, total = result.published_value, "published", result.covered, result.total
        else:
            value = result.value
            basis = "computed" if result.is_complete else ("partial" if result.covered else "unknown")
            covered, total = result.covered, result.total
        if basis == "unknown":
            value = None  # a count of zero known rows is not a zero
        stages.append({"stage": stage, "value": value, "basis": basis, "covered": covered, "total": total})
    return stages


# Importable tables a page can export row for row, and how the view selects their rows.
_IMPORTABLE_VIEW_SQL = {
    "projects": "SELECT t.* FROM projects t WHERE t.project_id IN (SELECT project_id FROM f_projects($edition, $commune, $theme)) ORDER BY t.project_id",
    "project_events": "SELECT t.* FROM project_events t WHERE t.project_id IN (SELECT project_id FROM f_projects($edition, $commune, $theme)) ORDER BY t.event_id",
    "community_events": "SELECT t.* FROM f_community_events($edition, $commune) t ORDER BY t.event_id",
}


def importable_rows(con, table: str, view: Filters = Filters()) -> pd.DataFrame:
    """The view's rows of an importable table with the table's own columns: what the import template takes back."""
    return db.fetch_df(con, _IMPORTABLE_VIEW_SQL[table], view.params())
