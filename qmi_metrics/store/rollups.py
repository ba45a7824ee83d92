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


def refresh(con) -> None:
    """Recompute every derived table from the source tables (the KPIs read the series' roll-up)."""
    for table in DERIVED_TABLES:
        con.execute(f"DELETE FROM {table}")
    con.execute(INDICATOR_MONTHLY)
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
