"""Reads behind the Projets and Déploiement pages: a project's detail (other spellings, sites, indicators,
values, replicability) and deployment aggregated per commune or per défi. Filters go into SQL through
`f_projects($edition, $commune, $theme)`; values are bound, never formatted into the text."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from qmi_metrics.metrics.filters import Filters
from qmi_metrics.store import db

# Board columns of the Déploiement page: each project sits in the column of its current status.
BOARD_COLUMNS = ("selected", "deployed", "evaluated", "continued", "stopped")
BOARD_OF_STATUS = {"selected": "selected", "started": "selected", "agreement_signed": "selected",
                   "deployed": "deployed", "tested": "deployed", "evaluated": "evaluated",
                   "continued": "continued", "stopped": "stopped"}

# A histogram of a handful of delays would suggest a distribution that is not there.
MIN_DELAYS_FOR_HISTOGRAM = 5

_PRECISION_RANK = "list_position(['day', 'month', 'season', 'year'], e.date_precision)"


# --- project list ---------------------------------------------------------------------------------

def deployment_dates(con, view: Filters = Filters(), project_id: str | None = None) -> pd.DataFrame:
    """First dated deployment (deployed or tested event) of each project of the view, at any precision.

    `project_status.deployed_on` keeps only day- or month-precise dates (they measure a delay); a list
    still wants to say « été 2024 ». Ties on the date keep the most precise event."""
    return db.fetch_df(con, f"""
        SELECT e.project_id, e.date_start AS deployment_date, e.date_end AS deployment_date_end,
               e.date_precision AS deployment_precision
        FROM project_events e
        JOIN f_projects($edition, $commune, $theme) p USING (project_id)
        WHERE e.kind IN ('deployed', 'tested') AND e.date_start IS NOT NULL
          AND ($project_id IS NULL OR e.project_id = $project_id)
        QUALIFY row_number() OVER (PARTITION BY e.project_id ORDER BY e.date_start, {_PRECISION_RANK}) = 1
        ORDER BY e.project_id
    """, {**view.params(), "project_id": project_id})


def with_deployment_dates(projects: pd.DataFrame, dates: pd.DataFrame) -> pd.DataFrame:
    """The project list with its deployment date columns (NULL where no dated deployment)."""
    columns = ["project_id", "deployment_date", "deployment_date_end", "deployment_precision"]
    merged = projects.merge(dates[columns], on="project_id", how="left")
    for column in ("deployment_date", "deployment_date_end"):  # plain dates, None where unknown (not NaT)
        merged[column] = pd.Series([_plain_date(day) for day in merged[column]], index=merged.index, dtype=object)
    merged["deployment_precision"] = merged["deployment_precision"].astype(object).where(
        merged["deployment_precision"].notna(), None)
    return merged


def _plain_date(day):
    if day is None or pd.isna(day):
        return None
    return day.date() if isinstance(day, pd.Timestamp) else day


def search(projects: pd.DataFrame, text: str | None) -> pd.DataFrame:
    """Rows whose name, other spellings, operator or description contain every word typed (accents and case
    ignored): « Pélican Cycles » finds Pelican."""
    words = [_fold(word) for word in (text or "").split()]
    if not words or projects.empty:
        return projects
    haystack = (projects["name"].fillna("") + " " + projects["aliases"].fillna("") + " "
                + projects["operator"].fillna("") + " " + projects["description_fr"].fillna("")).map(_fold)
    keep = haystack.map(lambda row: all(word in row for word in words))
    return projects[keep]


def _fold(text: str) -> str:
    """Lower case without accents, so « velo » finds « vélo »."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# --- one project ------------------------------------------------------------------------------------

def exists(con, project_id: str | None) -> bool:
    if not project_id:
        return False
    return db.fetch_value(con, "SELECT count(*) FROM projects WHERE project_id = $project_id",
                          {"project_id": project_id}) > 0


def aliases(con, project_id: str) -> pd.DataFrame:
    """The other spellings of a project's name, each with the document that writes it so (oldest document first)."""
    return db.fetch_df(con, """
        SELECT a.name_as_written, a.source_id, src.file AS document, src.published_on, a.source_section, a.source_quote
        FROM aliases a JOIN sources src USING (source_id)
        WHERE a.entity_kind = 'project' AND a.entity_id = $project_id
        ORDER BY src.published_on, a.source_id, a.name_as_written
    """, {"project_id": project_id})


def _ids(project_id: str | list[str]) -> list[str]:
    """One project id, or several: the static site reads every project's rows in one query."""
    return [project_id] if isinstance(project_id, str) else list(project_id)


def sites(con, project_id: str | list[str]) -> pd.DataFrame:
    """The places where a project (or each of several) is experimented, with how precise their coordinates are;
    the basis of the link (basis, basis_rule) and of the position (site_basis, site_rule)."""
    return db.fetch_df(con, """
        SELECT ps.project_id, s.site_id, s.name, s.kind, c.name AS commune, s.lat, s.lon, s.precision,
               ps.source_id, src.title AS source_title, ps.source_section, ps.source_quote, ps.basis, ps.basis_rule,
               s.basis AS site_basis, s.basis_rule AS site_rule
        FROM project_sites ps
        JOIN sites s USING (site_id)
        LEFT JOIN communes c ON c.insee = s.insee
        LEFT JOIN sources src ON src.source_id = ps.source_id
        WHERE list_contains($ids, ps.project_id)
        ORDER BY ps.project_id, s.name
    """, {"ids": _ids(project_id)})


def indicators(con, project_id: str | list[str]) -> pd.DataFrame:
    """The indicators a project follows, with how many values are published and the latest one
    (from the monthly roll-up: a series may hold an hourly sensor's values); the basis of the indicator
    (basis, basis_rule: its unit and direction are modelled) and of the link (link_basis, link_rule)."""
    return db.fetch_df(con, """
        SELECT pi.project_id, i.indicator_id, i.label_fr, i.label_en, i.domain, i.unit, i.direction,
               coalesce(sum(m.measurements), 0)::BIGINT AS values_count,
               arg_max(m.last_value, m.last_on) AS last_value, max(m.last_on) AS last_measured_on,
               src.title AS source_title, pi.source_section, pi.source_quote, i.basis, i.basis_rule,
               pi.basis AS link_basis, pi.basis_rule AS link_rule
        FROM project_indicators pi
        JOIN indicators i USING (indicator_id)
        LEFT JOIN indicator_monthly m ON m.project_id = pi.project_id AND m.indicator_id = pi.indicator_id
        LEFT JOIN sources src ON src.source_id = pi.source_id
        WHERE list_contains($ids, pi.project_id)
        GROUP BY ALL
        ORDER BY pi.project_id, i.domain, i.label_fr
    """, {"ids": _ids(project_id)})


def indicator_values(con, project_id: str | list[str]) -> pd.DataFrame:
    """A project's indicator series, one point per month, oldest first: the month's mean `value`
    (the value itself for a single measurement, dated `measured_on`), its range and count."""
    return db.fetch_df(con, """
        SELECT m.project_id, m.indicator_id, i.label_fr, i.label_en, i.unit,
               CASE WHEN m.measurements = 1 THEN m.first_on ELSE m.month END AS measured_on,
               m.mean AS value, m.min, m.max, m.measurements, m.first_on, m.last_on, m.source_ids AS source_id
        FROM indicator_monthly m JOIN indicators i USING (indicator_id)
        WHERE list_contains($ids, m.project_id)
        ORDER BY m.project_id, i.label_fr, m.month
    """, {"ids": _ids(project_id)})


def progress(con, project_id: str | list[str]) -> pd.DataFrame:
    """Each indicator a project follows against its protocol (indicator_progress: baseline, target, latest value,
    progress, trend, on track, or why not computable), with the protocol's author, direction reason and provenance."""
    return db.fetch_df(con, """
        SELECT g.*, i.label_fr, i.label_en, i.unit, i.direction AS indicator_direction,
               pr.direction_reason, pr.author, src.title AS source_title, pr.source_section, pr.source_quote,
               pr.basis, pr.basis_rule
        FROM indicator_progress g
        JOIN indicators i USING (indicator_id)
        LEFT JOIN indicator_protocols pr USING (project_id, indicator_id)
        LEFT JOIN sources src ON src.source_id = pr.source_id
        WHERE list_contains($ids, g.project_id)
        ORDER BY g.project_id, i.domain, i.label_fr
    """, {"ids": _ids(project_id)})


def replicability(con, project_id: str | list[str]) -> pd.DataFrame:
    """The five criteria in their order, with the project's score where there is one (else NULL); for several
    projects, the criteria of each."""
    return db.fetch_df(con, """
        SELECT t.project_id, c.criterion_id, c.label_fr, c.label_en, c.rank, s.score, s.scored_on, s.source_id
        FROM unnest($ids) AS t(project_id) CROSS JOIN replicability_criteria c
        LEFT JOIN replicability_scores s ON s.criterion_id = c.criterion_id AND s.project_id = t.project_id
        ORDER BY t.project_id, c.rank, c.criterion_id
    """, {"ids": _ids(project_id)})


# --- deployment -----------------------------------------------------------------------------------

_GROUPINGS = {
    # Unknown commune or défi keeps its own row (key NULL): those projects count too.
    "commune": """
        SELECT p.insee AS key, c.name AS label_fr, c.name AS label_en, NULL AS rank,""",
    "theme": """
        SELECT p.theme_slug AS key, th.label_fr, th.label_en, th.rank,""",
}
_JOINS = {
    "commune": "LEFT JOIN communes c ON c.insee = p.insee",
    "theme": "LEFT JOIN themes th ON th.theme_slug = p.theme_slug",
}


def deployment_by(con, view: Filters, by: str) -> pd.DataFrame:
    """Deployment per commune or per défi: projects, known outcome, deployed, measured delay, rate, mean.

    rate = deployed / projects with a known outcome (deployed or stopped), as the KPI;
    mean_months = mean months to deployment over projects dated to the month (NULL when none);
    delay_basis = the weakest basis of those delays, delay_rules the rules of the ones not stated."""
    if by not in _GROUPINGS:
        raise ValueError(f"deployment_by: by must be one of {sorted(_GROUPINGS)}, not {by!r}")
    return db.fetch_df(con, f"""
        SELECT * FROM (
            {_GROUPINGS[by]}
                   count(*) AS projects,
                   count(*) FILTER (WHERE p.outcome_known) AS outcome_known,
                   count(*) FILTER (WHERE p.is_deployed) AS deployed,
                   count(p.deployment_months) AS measured,
                   count(*) FILTER (WHERE p.is_deployed) / nullif(count(*) FILTER (WHERE p.outcome_known), 0) AS rate,
                   avg(p.deployment_months) AS mean_months,
                   CASE WHEN bool_or(p.delay_basis = 'modelled') THEN 'modelled'
                        WHEN bool_or(p.delay_basis = 'inferred') THEN 'inferred'
                        WHEN count(p.deployment_months) > 0 THEN 'stated' END AS delay_basis,
                   coalesce(list(DISTINCT p.delay_rule ORDER BY p.delay_rule)
                            FILTER (WHERE p.delay_rule IS NOT NULL), []) AS delay_rules
            FROM f_projects($edition, $commune, $theme) p
            {_JOINS[by]}
            GROUP BY ALL
        )
        ORDER BY key IS NULL, rank NULLS LAST, label_fr
    """, view.params())


def coverage(groups: pd.DataFrame) -> dict:
    """Totals over the groups of `deployment_by`: how much of the view the rates and means rest on."""
    totals = {column: int(groups[column].sum()) if not groups.empty else 0
              for column in ("projects", "outcome_known", "deployed", "measured")}
    totals["outcome_missing"] = totals["projects"] - totals["outcome_known"]
    totals["date_missing"] = totals["deployed"] - totals["measured"]
    return totals


def delays(con, view: Filters) -> pd.DataFrame:
    """The measured months to deployment of the view's projects, shortest first."""
    return db.fetch_df(con, """
        SELECT p.project_id, p.name, c.name AS commune, p.started_on, p.deployed_on, p.deployment_months,
               p.delay_basis, p.delay_rule
        FROM f_projects($edition, $commune, $theme) p
        LEFT JOIN communes c ON c.insee = p.insee
        WHERE p.deployment_months IS NOT NULL
        ORDER BY p.deployment_months, p.name
    """, view.params())


def board(projects: pd.DataFrame) -> dict[str, list[str]]:
    """Project names per board column (selected, deployed, evaluated, continued, stopped), by current status."""
    columns: dict[str, list[str]] = {column: [] for column in BOARD_COLUMNS}
    for row in projects.sort_values("name", key=lambda names: names.map(_natural)).itertuples():
        columns[BOARD_OF_STATUS.get(row.current_status, "selected")].append(row.name)
    return columns


def _natural(name: str) -> tuple:
    """Sort « Projet 5 » before « Projet 15 », and ignore case and accents."""
    return tuple(int(part) if part.isdigit() else _fold(part) for part in re.split(r"(\d+)", str(name)))


def reached(projects: pd.DataFrame) -> dict[str, int]:
    """How many projects reached each stage at some point (a project deployed then stopped counts in both)."""
    if projects.empty:
        return {"deployed": 0, "evaluated": 0, "continued": 0, "stopped": 0}
    return {stage: int(projects[f"is_{stage}"].sum()) for stage in ("deployed", "evaluated", "continued", "stopped")}


def delay_bins(months: pd.Series, width: int = 3) -> pd.DataFrame:
    """Counts of delays per class of `width` months, empty classes included: [start, end) in months."""
    values = months.dropna()
    if values.empty:
        return pd.DataFrame({"start": [], "end": [], "projects": []}, dtype=int)
    first, last = int(values.min() // width), int(values.max() // width)
    starts = [k * width for k in range(first, last + 1)]
    counts = [int(((values >= start) & (values < start + width)).sum()) for start in starts]
    return pd.DataFrame({"start": starts, "end": [start + width for start in starts], "projects": counts})
