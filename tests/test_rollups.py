"""The derived tables: the monthly roll-up of the series and the KPI values stored for every view,
each checked against what the raw tables and the KPIs' own SQL give."""

from __future__ import annotations

import pytest

from qmi_metrics.metrics import filters, kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.reads import projects
from qmi_metrics.store import db, rollups


def test_monthly_rollup_matches_the_raw_series(demo_con):
    raw = db.fetch_df(demo_con, "SELECT * FROM indicator_values")
    assert len(raw) > 1000  # a series worth rolling up
    raw["month"] = raw["measured_on"].dt.to_period("M").dt.to_timestamp()
    ordered = raw.sort_values("measured_on")
    expected = ordered.groupby(["project_id", "indicator_id", "month"]).agg(
        measurements=("value", "size"), mean=("value", "mean"), min=("value", "min"), max=("value", "max"),
        first_on=("measured_on", "min"), last_on=("measured_on", "max"), last_value=("value", "last"))
    stored = db.fetch_df(demo_con, "SELECT * FROM indicator_monthly").astype({"month": "datetime64[ns]"})
    stored = stored.set_index(["project_id", "indicator_id", "month"]).sort_index()
    assert len(stored) == len(expected)
    assert stored["measurements"].sum() == len(raw)
    for column in ("measurements", "mean", "min", "max", "last_value"):
        assert stored[column].to_numpy() == pytest.approx(expected[column].to_numpy()), column
    assert (stored["first_on"].astype("datetime64[ns]").to_numpy() == expected["first_on"].to_numpy()).all()


def test_reference_database_has_no_measurement_and_says_so(reference_con):
    assert db.fetch_value(reference_con, "SELECT count(*) FROM indicator_monthly") == 0
    result = {r.id: r for r in kpis.compute_all(reference_con, Filters(edition=1))}
    # No measurement at all for the edition: unknown, not « 0 mesure ».
    assert (result["measurements_count"].value, result["measurements_count"].covered) == (None, 0)


def views(con, communes_beyond_laureates: int = 3) -> list[Filters]:
    laureates = [row["insee"] for row in filters.communes(con, participating_only=True)]
    others = [row["insee"] for row in filters.communes(con) if row["insee"] not in laureates][:communes_beyond_laureates]
    editions = [None] + [row["edition_id"] for row in filters.editions(con)]
    return [Filters(edition=e, communes=c) for e in editions for c in [()] + [(i,) for i in laureates + others]]


def same(stored: kpis.KpiResult, live: kpis.KpiResult) -> bool:
    close = (stored.value == live.value if stored.value is None or live.value is None
             else stored.value == pytest.approx(live.value))
    return close and (stored.covered, stored.total, stored.published, stored.bases) == (
        live.covered, live.total, live.published, live.bases)


@pytest.mark.parametrize("which", ["reference", "demo"])
def test_stored_kpi_values_equal_each_kpis_own_sql(which, reference_con, demo_con):
    con = reference_con if which == "reference" else demo_con
    checked = inferred = 0
    for view in views(con):
        for result in kpis.compute_all(con, view):
            live = kpis.compute(con, result.kpi, view)  # without stored values: the declared SQL
            assert same(result, live), (result.id, view, result, live)
            checked += 1
            inferred += bool(result.bases)
    assert checked > 1000
    assert inferred > 100  # the stored bases (kpi_bases) are the declared basis_sql's, view by view


def test_every_view_of_a_filter_is_stored(demo_con):
    """A single commune or none, any edition: the lookup answers every KPI, no SQL runs."""
    for view in views(demo_con)[:40]:
        stored = {**kpis.catalog(demo_con)[2], **kpis.stored_values(demo_con, view)}
        for kpi in kpis.expand(demo_con):
            assert kpis._view_key(kpi, view) in stored, (kpi.id, view)


@pytest.mark.parametrize("view", [
    Filters(communes=("93005", "92048")),
    Filters(edition=1, themes=("flux-mobilites",)),
    Filters(edition=1, communes=("93051",), themes=("espaces-publics", "adaptation-climat")),
])
def test_views_the_table_does_not_hold_run_the_sql(reference_con, view):
    for result in kpis.compute_all(reference_con, view):
        assert same(result, kpis.compute(reference_con, result.kpi, view)), result.id
    # e.g. the four laureate communes of edition 1 hold 7 + 7 = 14 projects in Aulnay and Meudon
    if view.communes == ("93005", "92048"):
        selected = next(r for r in kpis.compute_all(reference_con, view) if r.id == "projects_selected_count")
        assert selected.value == 14


def test_writes_show_only_after_a_refresh(writable_reference):
    """The contract: whoever writes the source tables refreshes the derived ones (build and publish do)."""
    con = writable_reference
    con.execute("INSERT INTO indicator_values VALUES"
                " ('purple', 'qualite-air-exterieur', DATE '2024-03-02', 120, 'cp_2023', 'stated', NULL),"
                " ('purple', 'qualite-air-exterieur', DATE '2024-03-20', 80, 'cp_2023', 'stated', NULL),"
                " ('pelican', 'qualite-air-exterieur', DATE '2024-04-01', 10, 'cp_2023', 'stated', NULL)")
    before = {r.id: r for r in kpis.compute_all(con, Filters(edition=1))}
    assert before["measurements_count"].value is None  # the roll-up still holds none: unknown
    rollups.refresh(con)
    after = {r.id: r for r in kpis.compute_all(con, Filters(edition=1))}
    assert (after["measurements_count"].value, after["measurements_count"].covered) == (3, 2)
    assert after["measured_projects_share"].value == pytest.approx(2 / 28)
    series = projects.indicator_values(con, "purple")
    assert list(series["value"]) == [100.0] and list(series["measurements"]) == [2]
    assert (series["min"].iloc[0], series["max"].iloc[0]) == (80, 120)


def test_refresh_is_deterministic(reference_db_path, tmp_path):
    import shutil

    copy = tmp_path / "copy.duckdb"
    shutil.copy(reference_db_path, copy)
    with db.connect(copy, read_only=False) as con:
        before = db.fetch_rows(con, "SELECT * FROM kpi_values ORDER BY ALL")
        token = db.meta(con)["catalog_token"]
        rollups.refresh(con)
        assert db.fetch_rows(con, "SELECT * FROM kpi_values ORDER BY ALL") == before
        assert db.meta(con)["catalog_token"] == token
