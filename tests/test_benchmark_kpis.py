"""The KPI benchmark's pandas baseline (benchmarks/kpis.py) gives what the registry gives: an independent
reading of every KPI's SQL, checked on every view the benchmark times (unfiltered, each commune)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest

from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.store import db

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "kpis.py"


def _load_benchmark():
    # By path and under its own name: "kpis" alone would be ambiguous beside qmi_metrics.metrics.kpis.
    spec = importlib.util.spec_from_file_location("benchmark_kpis", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


@pytest.mark.parametrize("database", ["reference_db_path", "demo_db_path"])
def test_baseline_equals_registry_for_every_view(database, request):
    con = db.connect(request.getfixturevalue(database))
    try:
        tables = bench.load_tables(con)
        expanded = kpis.expand(con)
        views, _ = bench.views(con, sample=None)
        run = bench.Run(tables)  # derived frames shared across views: same values, a faster test
        problems = []
        for view in views:
            got = bench.compute_baseline(tables, expanded, view, run)
            assert set(got) == {kpi.id for kpi in expanded}
            problems += bench.disagreements(kpis.compute_all(con, view), got, ",".join(view.communes))
    finally:
        con.close()
    assert len(views) == 131  # unfiltered + the Métropole's 130 communes
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("database", ["reference_db_path", "demo_db_path"])
def test_baseline_equals_registry_where_it_runs_the_sql(database, request):
    """An edition, a défi, several communes: views kpi_values cannot answer, so compute_all runs each KPI's SQL."""
    con = db.connect(request.getfixturevalue(database))
    try:
        tables = bench.load_tables(con)
        expanded = kpis.expand(con)
        edition, theme = con.execute("SELECT min(edition_id), min(theme_slug) FROM projects").fetchall()[0]
        hosts = tuple(r[0] for r in con.execute("SELECT DISTINCT insee FROM projects ORDER BY insee LIMIT 2").fetchall())
        run = bench.Run(tables)
        problems = []
        for view in (Filters(edition=edition), Filters(themes=(theme,)), Filters(edition=edition, communes=hosts)):
            problems += bench.disagreements(kpis.compute_all(con, view), bench.compute_baseline(tables, expanded, view, run),
                                            str(view))
    finally:
        con.close()
    assert not problems, "\n".join(problems[:40])


def test_measurements_read_the_raw_series(demo_con):
    """The two series KPIs, from indicator_values itself, whatever the registry does."""
    tables = bench.load_tables(demo_con)
    expanded = [kpis.Kpi(id=i, label_fr="", label_en="", unit="count", definition_fr="", definition_en="", sql="")
                for i in ("measurements_count", "measured_projects_share")]
    got = bench.compute_baseline(tables, expanded)
    rows, measured, projects = demo_con.execute(
        "SELECT (SELECT count(*) FROM indicator_values), (SELECT count(DISTINCT project_id) FROM indicator_values),"
        " (SELECT count(*) FROM projects)").fetchall()[0]
    assert got["measurements_count"] == (rows, measured, projects)
    assert got["measured_projects_share"] == (measured / projects, projects, projects)
    nowhere = bench.compute_baseline(tables, expanded, Filters(communes=("00000",)))
    assert nowhere == {"measurements_count": (0, 0, 0), "measured_projects_share": (None, 0, 0)}


def test_a_kpi_without_baseline_fails_loudly(reference_con):
    unknown = replace(kpis.BY_ID["communes_count"], id="brand_new_kpi")
    with pytest.raises(NotImplementedError, match="brand_new_kpi"):
        bench.compute_baseline(bench.load_tables(reference_con), kpis.expand(reference_con) + [unknown])
