-- Derived views and filtered table macros shared by the KPI registry.
-- A NULL filter argument means "no filter"; commune and theme are lists (any of).

-- One row per project: where it stands, and when it was deployed; with the basis of its own row (basis) and of
-- the events that say so (status_basis, delay_basis: the weaker of its start's and its deployment's), with rules.
CREATE VIEW project_status AS
WITH ranked AS (
    SELECT project_id, kind, date_start, date_precision, basis, basis_rule,
           CASE kind WHEN 'selected' THEN 1 WHEN 'started' THEN 2 WHEN 'agreement_signed' THEN 3
                     WHEN 'deployed' THEN 4 WHEN 'tested' THEN 4 WHEN 'evaluated' THEN 5
                     WHEN 'continued' THEN 6 WHEN 'stopped' THEN 7 END AS stage_rank,
           -- Only day- or month-precise dates measure a delay in months.
           date_precision IN ('day', 'month') AS month_precise,
           basis <> 'stated' AS unstated  -- of two events that say the same, the stated one speaks
    FROM project_events
), per_project AS (
    SELECT project_id,
           bool_or(kind IN ('deployed', 'tested', 'evaluated', 'continued')) AS is_deployed,
           bool_or(kind = 'stopped') AS is_stopped,
           bool_or(kind = 'evaluated') AS is_evaluated,
           bool_or(kind = 'continued') AS is_continued,
           min(date_start) FILTER (WHERE kind IN ('selected', 'started', 'agreement_signed') AND month_precise)
               AS started_on,
           arg_min({'basis': basis, 'rule': basis_rule}, (date_start, unstated))
               FILTER (WHERE kind IN ('selected', 'started', 'agreement_signed') AND month_precise) AS started_by,
           min(date_start) FILTER (WHERE kind IN ('deployed', 'tested') AND month_precise) AS deployed_on,
           arg_min({'basis': basis, 'rule': basis_rule}, (date_start, unstated))
               FILTER (WHERE kind IN ('deployed', 'tested') AND month_precise) AS deployed_by,
           arg_max({'kind': kind, 'basis': basis, 'rule': basis_rule}, (stage_rank, NOT unstated)) AS current
    FROM ranked
    GROUP BY project_id
), measured AS (
    SELECT *,
           CASE WHEN deployed_on >= started_on
                THEN date_diff('day', started_on, deployed_on) / 30.4375 END AS deployment_months
    FROM per_project
)
SELECT p.project_id, p.edition_id, p.name, p.operator, p.insee, p.family_slug, p.type_slug,
       p.theme_slug, p.basis, p.basis_rule, t.is_digital,
       coalesce(s.is_deployed, false) AS is_deployed,
       coalesce(s.is_stopped, false) AS is_stopped,
       coalesce(s.is_evaluated, false) AS is_evaluated,
       coalesce(s.is_continued, false) AS is_continued,
       coalesce(s.is_deployed, false) OR coalesce(s.is_stopped, false) AS outcome_known,
       s.started_on, s.deployed_on, s.deployment_months,
       coalesce(s.current.kind, 'selected') AS current_status,
       s.current.basis AS status_basis, s.current.rule AS status_rule,
       CASE WHEN s.deployment_months IS NOT NULL THEN
           CASE WHEN 'modelled' IN (s.started_by.basis, s.deployed_by.basis) THEN 'modelled'
                WHEN 'inferred' IN (s.started_by.basis, s.deployed_by.basis) THEN 'inferred'
                ELSE 'stated' END END AS delay_basis,
       CASE WHEN s.deployment_months IS NOT NULL THEN
           nullif(concat_ws(' ', s.started_by.rule, s.deployed_by.rule), '') END AS delay_rule
FROM projects p
LEFT JOIN measured s USING (project_id)
LEFT JOIN solution_types t USING (type_slug);

CREATE MACRO f_projects(edition, commune, theme) AS TABLE
    SELECT * FROM project_status
    WHERE (edition IS NULL OR edition_id = edition)
      AND (commune IS NULL OR list_contains(commune, insee))
      AND (theme IS NULL OR list_contains(theme, theme_slug));

-- Laureate communes of the editions, with their commune facts.
CREATE MACRO f_laureate_communes(edition, commune) AS TABLE
    SELECT ce.edition_id, ce.phase, ce.quartier_name, ce.theme_slug, c.*
    FROM commune_editions ce JOIN communes c USING (insee)
    WHERE ce.role = 'lauréate'
      AND (edition IS NULL OR ce.edition_id = edition)
      AND (commune IS NULL OR list_contains(commune, ce.insee));

CREATE MACRO f_candidatures(edition, commune, theme, call_kind) AS TABLE
    SELECT cd.*, ca.edition_id, ca.kind AS call_kind
    FROM candidatures cd JOIN calls ca USING (call_id)
    WHERE ca.kind = call_kind
      AND (edition IS NULL OR ca.edition_id = edition)
      AND (commune IS NULL OR list_contains(commune, cd.insee))
      AND (theme IS NULL OR list_contains(theme, cd.theme_slug));

-- A call's published aggregate: the largest figure when documents disagree.
CREATE MACRO published_call_total(edition, call_kind, what) AS (
    SELECT sum(value) FROM (
        SELECT max(cf.value) AS value
        FROM call_figures cf JOIN calls ca USING (call_id)
        WHERE ca.kind = call_kind AND cf.measure = what
          AND (edition IS NULL OR ca.edition_id = edition)
        GROUP BY cf.call_id
    )
);

CREATE MACRO f_community_events(edition, commune) AS TABLE
    SELECT * FROM community_events
    WHERE (edition IS NULL OR edition_id = edition)
      AND (commune IS NULL OR list_contains(commune, insee));

CREATE MACRO f_diagnostics(edition, commune) AS TABLE
    SELECT * FROM diagnostics
    WHERE (edition IS NULL OR edition_id = edition)
      AND (commune IS NULL OR list_contains(commune, insee));

-- Replicability index of each scored project: mean score over 5, in [0, 1].
CREATE VIEW replicability_index AS
SELECT s.project_id, avg(s.score) / 5 AS index_ratio, count(*) AS criteria_scored,
       (SELECT count(*) FROM replicability_criteria) AS criteria_total
FROM replicability_scores s
GROUP BY s.project_id;
