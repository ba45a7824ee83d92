"""What the programme is made of and how it is evaluated: défis, families and solution types of the
projects, the indicator library, who follows what, the replicability index and the questionnaires.

Plain Python for the Thématiques and Évaluation pages; filters pushed into SQL through the macros of
views.sql, every value bound as a parameter.
"""

from __future__ import annotations

import pandas as pd

from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import vocabulary
from qmi_metrics.store import db

# The report's shares of APPLICATIONS per theme use its own words; this is the défi each one names
# (our reading: « mobilités » is the flows-and-mobility défi, « services urbains dans l'espace public »
# the public-spaces-and-urban-services défi).
APPLICATION_FIGURES = {
    "rapport_candidatures_mobilites": "flux-mobilites",
    "rapport_candidatures_services_urbains": "espaces-publics",
    "rapport_candidatures_economie_circulaire": "economie-circulaire",
}

SURVEY_TOPICS = ("motif", "frein", "compétences", "perspectives")


def _project_figures() -> dict[str, str]:
    """figure_id -> défi of the report's shares of PROJECTS, as the KPI registry declares them."""
    family = kpis.BY_ID["theme_share"]
    return {ref.figure_id: slug for slug, refs in family.figures_by_key.items() for ref in refs}


# --- défis -------------------------------------------------------------------------------------

def theme_shares(con, view: Filters = Filters()) -> pd.DataFrame:
    """One row per défi: projects and applications of the view attached to it, and their share among
    the rows whose défi is known. The défi filter is ignored (a share is taken over all défis).
    projects_bases, applications_bases: (basis, rule) of the rows with a known défi their sources do not state."""
    return db.fetch_df(con, """
        WITH p AS (SELECT theme_slug, basis, basis_rule FROM f_projects($edition, $commune, NULL)),
             a AS (SELECT theme_slug, basis, basis_rule FROM f_candidatures($edition, $commune, NULL, 'projects')),
             totals AS (
                 SELECT (SELECT count(*) FROM p) AS projects_total,
                        (SELECT count(theme_slug) FROM p) AS projects_known,
                        (SELECT count(*) FROM a) AS applications_rows,
                        (SELECT count(theme_slug) FROM a) AS applications_known,
                        -- the published number of applications speaks of whole calls, not of communes
                        CASE WHEN $commune IS NULL
                             THEN published_call_total($edition, 'projects', 'applications') END
                            AS applications_published,
                        (SELECT coalesce(list(DISTINCT [basis, basis_rule] ORDER BY [basis, basis_rule])
                                FILTER (WHERE theme_slug IS NOT NULL AND basis <> 'stated'), []) FROM p)
                            AS projects_bases,
                        (SELECT coalesce(list(DISTINCT [basis, basis_rule] ORDER BY [basis, basis_rule])
                                FILTER (WHERE theme_slug IS NOT NULL AND basis <> 'stated'), []) FROM a)
                            AS applications_bases)
        SELECT t.theme_slug, t.label_fr, t.label_en, t.rank,
               (SELECT count(*) FROM p WHERE p.theme_slug = t.theme_slug) AS projects,
               totals.projects_known, totals.projects_total,
               (SELECT count(*) FROM p WHERE p.theme_slug = t.theme_slug) / nullif(totals.projects_known, 0)
                   AS projects_share,
               (SELECT count(*) FROM a WHERE a.theme_slug = t.theme_slug) AS applications,
               totals.applications_known, totals.applications_rows, totals.applications_published,
               totals.projects_bases, totals.applications_bases,
               (SELECT count(*) FROM a WHERE a.theme_slug = t.theme_slug) / nullif(totals.applications_known, 0)
                   AS applications_share
        FROM themes t, totals
        ORDER BY t.rank
    """, view.params())


def published_theme_shares(con, edition: int | None = None) -> pd.DataFrame:
    """The shares per défi the documents publish, for projects and for applications, with their source.
    `scope` is 'projects' or 'applications'; edition None keeps every edition."""
    scopes = {**{fid: "projects" for fid in _project_figures()}, **{fid: "applications" for fid in APPLICATION_FIGURES}}
    slugs = {**_project_figures(), **APPLICATION_FIGURES}
    frame = db.fetch_df(con, """
        SELECT f.figure_id, f.edition_id, f.value, f.qualifier, f.document, f.section, f.quote,
               t.theme_slug, t.label_fr AS theme_fr, t.label_en AS theme_en, t.rank
        FROM published_figures f
        JOIN (SELECT unnest($ids) AS figure_id, unnest($slugs) AS theme_slug) m USING (figure_id)
        JOIN themes t USING (theme_slug)
        WHERE $edition IS NULL OR f.edition_id = $edition
        ORDER BY t.rank, f.figure_id
    """, {"ids": list(slugs), "slugs": list(slugs.values()), "edition": edition})
    frame.insert(1, "scope", frame["figure_id"].map(scopes))
    return frame


# --- families, solution types, digital --------------------------------------------------------

def family_counts(con, view: Filters = Filters()) -> pd.DataFrame:
    """Projects of the view per family (every family, in the report's order; unknown last)."""
    frame = db.fetch_df(con, """
        SELECT f.family_slug AS slug, f.label_fr, f.label_en, f.rank, count(p.project_id) AS projects
        FROM project_families f
        LEFT JOIN f_projects($edition, $commune, $theme) p USING (family_slug)
        GROUP BY ALL
        ORDER BY f.rank
    """, view.params())
    return _with_unknown(con, view, frame, "family_slug")


def type_counts(con, view: Filters = Filters()) -> pd.DataFrame:
    """Projects of the view per solution type (most frequent first; unknown last), with is_digital."""
    frame = db.fetch_df(con, """
        SELECT t.type_slug AS slug, t.label_fr, t.label_en, t.is_digital, count(p.project_id) AS projects
        FROM solution_types t
        LEFT JOIN f_projects($edition, $commune, $theme) p USING (type_slug)
        GROUP BY ALL
        ORDER BY projects DESC, t.label_fr
    """, view.params())
    return _with_unknown(con, view, frame, "type_slug")


def _with_unknown(con, view: Filters, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Add a 'non renseigné' row when some projects lack the value, and each share among known values."""
    # column is one of this module's constants, never user input.
    unknown = db.fetch_value(con, f"SELECT count(*) FROM f_projects($edition, $commune, $theme) WHERE {column} IS NULL",
                             view.params())
    known = int(frame["projects"].sum())
    frame["share"] = [n / known if known else None for n in frame["projects"]]
    if unknown:
        row = {"slug": None, "label_fr": "non renseigné", "label_en": "not available", "projects": unknown, "share": None}
        frame = pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
    frame["projects"] = frame["projects"].astype(int)
    return frame


def digital_split(con, view: Filters = Filters()) -> dict:
    """Digital (type NUMÉRIQUE) vs non-digital projects of the view, and the names of the digital ones."""
    return db.fetch_one(con, """
        SELECT count(*) FILTER (WHERE is_digital) AS digital,
               count(*) FILTER (WHERE NOT is_digital) AS not_digital,
               count(*) FILTER (WHERE is_digital IS NULL) AS unknown,
               count(*) AS total,
               avg(CASE WHEN is_digital THEN 1.0 ELSE 0.0 END) FILTER (WHERE is_digital IS NOT NULL) AS share,
               coalesce(list(name ORDER BY name) FILTER (WHERE is_digital), []) AS digital_names
        FROM f_projects($edition, $commune, $theme)
    """, view.params())


# --- indicator library ------------------------------------------------------------------------

def indicators(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """The whole indicator library, in the order of DOMAINS, with how many projects of the view follow each."""
    return db.fetch_df(con, """
        WITH p AS (
            SELECT project_id FROM f_projects($edition, $commune, $theme)
            WHERE $statuses IS NULL OR list_contains($statuses, current_status))
        SELECT i.indicator_id, i.label_fr, i.label_en, i.domain, i.unit, i.direction, i.source_quote,
               i.basis, i.basis_rule, s.title AS source_title, s.file AS source_file,
               (SELECT count(*) FROM project_indicators pi JOIN p USING (project_id)
                WHERE pi.indicator_id = i.indicator_id) AS projects_following
        FROM indicators i LEFT JOIN sources s USING (source_id)
        ORDER BY list_position($domains, i.domain), i.label_fr
    """, {**view.params(), "statuses": list(statuses) or None, "domains": list(vocabulary.DOMAINS)})


def project_indicators(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """Who follows what: one row per (project of the view, indicator), with the sentence behind it."""
    return db.fetch_df(con, """
        SELECT p.project_id, p.name AS project, c.name AS commune, i.indicator_id,
               i.label_fr AS indicator_fr, i.label_en AS indicator_en, i.domain, pi.source_quote, pi.basis,
               pi.basis_rule
        FROM f_projects($edition, $commune, $theme) p
        JOIN project_indicators pi USING (project_id)
        JOIN indicators i USING (indicator_id)
        LEFT JOIN communes c ON c.insee = p.insee
        WHERE $statuses IS NULL OR list_contains($statuses, p.current_status)
        ORDER BY p.name, list_position($domains, i.domain), i.label_fr
    """, {**view.params(), "statuses": list(statuses) or None, "domains": list(vocabulary.DOMAINS)})


def indicator_coverage(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> dict:
    """How many projects of the view follow at least one indicator, and how many measurements they have."""
    return db.fetch_one(con, """
        WITH p AS (
            SELECT project_id FROM f_projects($edition, $commune, $theme)
            WHERE $statuses IS NULL OR list_contains($statuses, current_status))
        SELECT (SELECT count(*) FROM p) AS projects,
               (SELECT count(DISTINCT project_id) FROM project_indicators JOIN p USING (project_id)) AS following,
               (SELECT coalesce(sum(measurements), 0)::BIGINT FROM indicator_monthly JOIN p USING (project_id)) AS values_count
    """, {**view.params(), "statuses": list(statuses) or None})


def indicator_matrix(links: pd.DataFrame, lang: str = "fr") -> pd.DataFrame:
    """The project × indicator matrix of `project_indicators` rows, '✓' where followed, '' elsewhere."""
    label = "indicator_en" if lang == "en" else "indicator_fr"
    if links.empty:
        return pd.DataFrame()
    marks = links.assign(mark="✓").pivot_table(index="project", columns=label, values="mark", aggfunc="first")
    domain_rank = {slug: rank for rank, slug in enumerate(vocabulary.DOMAINS)}
    columns = (links[[label, "domain"]].drop_duplicates()
               .assign(rank=lambda f: f["domain"].map(domain_rank)).sort_values(["rank", label])[label])
    return marks.reindex(columns=list(columns)).fillna("")


# --- replicability ----------------------------------------------------------------------------

def progress_by_project(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """The view's projects that follow an indicator, by mean progress towards their targets (highest first, those
    with none computable last): indicators followed, with a computable progress, on track, and protocols missing."""
    return db.fetch_df(con, """
        SELECT p.project_id, p.name AS project, c.name AS commune, p.edition_id,
               count(*) AS followed, count(g.progress) AS computable, avg(g.progress) AS progress,
               count(*) FILTER (WHERE g.on_track) AS on_track, count(g.on_track) AS on_track_known,
               count(*) FILTER (WHERE NOT g.has_protocol) AS without_protocol
        FROM f_projects($edition, $commune, $theme) p
        JOIN indicator_progress g USING (project_id)
        LEFT JOIN communes c ON c.insee = p.insee
        WHERE $statuses IS NULL OR list_contains($statuses, p.current_status)
        GROUP BY ALL
        ORDER BY progress DESC NULLS LAST, p.name
    """, {**view.params(), "statuses": list(statuses) or None})


def to_complete(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """What a protocol still lacks, one row per followed indicator of the view whose protocol is incomplete
    (indicator_progress.incomplete): no protocol, no baseline, no target or no target date; by commune, project and
    indicator."""
    return db.fetch_df(con, """
        SELECT p.project_id, p.name AS project, c.name AS commune, i.indicator_id, i.label_fr, i.label_en,
               g.status, CASE WHEN g.reason IN ('no_protocol', 'no_baseline', 'no_target') THEN g.reason
                              ELSE 'no_target_date' END AS missing
        FROM f_projects($edition, $commune, $theme) p
        JOIN indicator_progress g USING (project_id)
        JOIN indicators i USING (indicator_id)
        LEFT JOIN communes c ON c.insee = p.insee
        WHERE ($statuses IS NULL OR list_contains($statuses, p.current_status)) AND g.incomplete
        ORDER BY c.name NULLS LAST, p.name, i.label_fr
    """, {**view.params(), "statuses": list(statuses) or None})


def replicability_criteria(con) -> pd.DataFrame:
    return db.fetch_df(con, """
        SELECT c.criterion_id, c.label_fr, c.label_en, c.rank, c.source_quote, c.basis, c.basis_rule,
               s.title AS source_title, s.file AS source_file
        FROM replicability_criteria c LEFT JOIN sources s USING (source_id)
        ORDER BY c.rank
    """)


def replicability_ranking(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """Scored projects of the view, best index first, with their score on each criterion (0–5)."""
    return db.fetch_df(con, """
        SELECT p.project_id, p.name AS project, c.name AS commune, p.edition_id,
               r.index_ratio, r.criteria_scored, r.criteria_total,
               map_from_entries(list((s.criterion_id, s.score) ORDER BY s.criterion_id)) AS scores
        FROM f_projects($edition, $commune, $theme) p
        JOIN replicability_index r USING (project_id)
        JOIN replicability_scores s USING (project_id)
        LEFT JOIN communes c ON c.insee = p.insee
        WHERE $statuses IS NULL OR list_contains($statuses, p.current_status)
        GROUP BY ALL
        ORDER BY r.index_ratio DESC, p.name
    """, {**view.params(), "statuses": list(statuses) or None})


def measurements_by_month(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """Measurements per month and indicator domain for the view's projects, from the monthly roll-up."""
    return db.fetch_df(con, """
        SELECT m.month, i.domain, sum(m.measurements)::BIGINT AS measurements, count(DISTINCT m.project_id) AS projects
        FROM indicator_monthly m
        JOIN f_projects($edition, $commune, $theme) p USING (project_id)
        JOIN indicators i USING (indicator_id)
        WHERE $statuses IS NULL OR list_contains($statuses, p.current_status)
        GROUP BY m.month, i.domain
        ORDER BY m.month, list_position($domains, i.domain)
    """, {**view.params(), "statuses": list(statuses) or None, "domains": list(vocabulary.DOMAINS)})


def projects_in_view(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> int:
    return int(db.fetch_value(con, """
        SELECT count(*) FROM f_projects($edition, $commune, $theme)
        WHERE $statuses IS NULL OR list_contains($statuses, current_status)
    """, {**view.params(), "statuses": list(statuses) or None}))


# --- questionnaires ---------------------------------------------------------------------------

def survey_results(con, edition: int | None = None) -> pd.DataFrame:
    """Questionnaire results of the edition (None: every edition) with the published sentence behind each."""
    return db.fetch_df(con, """
        SELECT s.result_id, s.edition_id, s.respondents, s.topic, s.rank, s.label_fr, s.label_en, s.value, s.unit,
               s.figure_id, f.document, f.section, f.quote, s.source_id, src.title AS source_title
        FROM surveys s
        LEFT JOIN published_figures f USING (figure_id)
        LEFT JOIN sources src ON src.source_id = s.source_id
        WHERE $edition IS NULL OR s.edition_id = $edition
        ORDER BY s.edition_id, list_position($topics, s.topic), s.respondents, s.rank NULLS LAST, s.value DESC
    """, {"edition": edition, "topics": list(SURVEY_TOPICS)})
