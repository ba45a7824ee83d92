"""Derived tables, refilled whenever a database is built or a version is published.

Pages and KPIs read these instead of the raw tables: a month of an hourly sensor series is one
row of `indicator_monthly`, and a page's whole KPI registry is one lookup in `kpi_values`.
Whoever writes the source tables calls `refresh` in the same transaction (build, publish).
"""

from __future__ import annotations

from qmi_metrics.metrics import kpis
from qmi_metrics.store import db

DERIVED_TABLES = db.DERIVED_TABLES

INDICATOR_MONTHLY = """
    INSERT INTO indicator_monthly
    SELECT project_id, indicator_id, date_trunc('month', measured_on)::DATE AS month,
           count(*), avg(value), min(value), max(value), min(measured_on), max(measured_on),
           arg_max(value, measured_on), string_agg(DISTINCT source_id, ',' ORDER BY source_id)
    FROM indicator_values
    GROUP BY ALL
    ORDER BY project_id, indicator_id, month
"""

# Each followed indicator against its protocol (README « Protocole et avancement »). A measurement dated before
# the baseline is ignored: the baseline is where the experiment starts, what came before is not its progress.
# current = the last measurement since the baseline (a month's last value in the roll-up); previous = the last
# measurement of the month before it, else the baseline itself. Stable: a change under 1 % of the way to the target
# (exactly none when there is no way to go).
INDICATOR_PROGRESS = """
    INSERT INTO indicator_progress
    WITH followed AS (
        SELECT pi.project_id, pi.indicator_id, p.project_id IS NOT NULL AS has_protocol,
               coalesce(p.status, 'à définir') AS status, coalesce(p.direction, i.direction) AS direction,
               p.baseline_value, p.baseline_on, p.target_value, p.target_on,
               p.target_value - p.baseline_value AS gap
        FROM project_indicators pi
        JOIN indicators i USING (indicator_id)
        LEFT JOIN indicator_protocols p USING (project_id, indicator_id)
    ), months AS (
        SELECT f.project_id, f.indicator_id, m.last_value, m.last_on,
               row_number() OVER (PARTITION BY f.project_id, f.indicator_id ORDER BY m.month DESC) AS recency
        FROM followed f JOIN indicator_monthly m USING (project_id, indicator_id)
        WHERE f.baseline_on IS NULL OR m.last_on >= f.baseline_on
    ), latest AS (
        SELECT project_id, indicator_id,
               max(last_value) FILTER (WHERE recency = 1) AS current_value,
               max(last_on) FILTER (WHERE recency = 1) AS current_on,
               max(last_value) FILTER (WHERE recency = 2) AS previous_value,
               max(last_on) FILTER (WHERE recency = 2) AS previous_on
        FROM months WHERE recency <= 2 GROUP BY ALL
    ), older AS (
        SELECT v.project_id, v.indicator_id, count(*) AS older_ignored
        FROM indicator_values v JOIN followed f USING (project_id, indicator_id)
        WHERE v.measured_on < f.baseline_on GROUP BY ALL
    ), judged AS (
        SELECT f.*, l.current_value, l.current_on,
               CASE WHEN l.previous_on IS NOT NULL THEN l.previous_value
                    WHEN l.current_on > f.baseline_on THEN f.baseline_value END AS previous_value,
               CASE WHEN l.previous_on IS NOT NULL THEN l.previous_on
                    WHEN l.current_on > f.baseline_on THEN f.baseline_on END AS previous_on,
               coalesce(o.older_ignored, 0) AS older_ignored,
               CASE WHEN NOT f.has_protocol THEN 'no_protocol'
                    WHEN f.baseline_value IS NULL OR f.baseline_on IS NULL THEN 'no_baseline'
                    WHEN f.target_value IS NULL THEN 'no_target'
                    WHEN f.gap = 0 THEN 'target_is_baseline'
                    WHEN l.current_value IS NULL AND o.older_ignored > 0 THEN 'only_older_measurements'
                    WHEN l.current_value IS NULL THEN 'no_measurement' END AS reason
        FROM followed f
        LEFT JOIN latest l USING (project_id, indicator_id)
        LEFT JOIN older o USING (project_id, indicator_id)
    ), computed AS (
        SELECT *, CASE WHEN reason IS NULL THEN (current_value - baseline_value) / gap END AS progress_raw,
               current_value - previous_value AS change
        FROM judged
    ), clamped AS (  -- greatest and least skip a NULL: the CASE keeps it NULL
        SELECT *, CASE WHEN progress_raw IS NOT NULL THEN greatest(0.0, least(1.0, progress_raw)) END AS progress,
               CASE WHEN progress_raw IS NOT NULL AND target_on > baseline_on
                    THEN greatest(0.0, least(1.0, date_diff('day', baseline_on, current_on)
                                                  / date_diff('day', baseline_on, target_on))) END AS elapsed
        FROM computed
    )
    SELECT project_id, indicator_id, has_protocol, status, direction, baseline_value, baseline_on, target_value,
           target_on, current_value, current_on, previous_value, previous_on, older_ignored, progress_raw,
           progress, elapsed, progress >= elapsed AS on_track,
           CASE WHEN change IS NULL THEN NULL
                WHEN abs(change) <= CASE WHEN coalesce(gap, 0) <> 0 THEN 0.01 * abs(gap) ELSE 0 END THEN 'stable'
                WHEN change > 0 THEN 'up' ELSE 'down' END AS trend,
           reason,
           NOT has_protocol OR baseline_value IS NULL OR baseline_on IS NULL OR target_value IS NULL
               OR target_on IS NULL AS incomplete
    FROM clamped
    ORDER BY project_id, indicator_id
"""


def refresh(con) -> None:
    """Recompute every derived table from the source tables (the KPIs read the series' roll-up and the
    indicators' progress)."""
    for table in DERIVED_TABLES:
        con.execute(f"DELETE FROM {table}")
    con.execute(INDICATOR_MONTHLY)
    con.execute(INDICATOR_PROGRESS)
    kpis.store_all(con)
    # Readers keep the expanded registry, the published figures and the values that take no filter
    # (kpis.catalog) under a digest
    # of what they are made of: the same content, the same token, whatever the file.
    con.execute("""
        INSERT OR REPLACE INTO meta
        SELECT 'catalog_token', md5(
            coalesce((SELECT string_agg(concat_ws('|', family, key, label_fr, label_en), chr(10) ORDER BY family, position)
                      FROM kpi_keys), '')
            || coalesce((SELECT string_agg(CAST(f AS VARCHAR), chr(10) ORDER BY figure_id) FROM published_figures f), '')
            || coalesce((SELECT string_agg(CAST(v AS VARCHAR), chr(10) ORDER BY kpi_id) FROM kpi_values v WHERE fixed), ''))
    """)
