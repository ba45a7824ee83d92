"""Synthetic databases: deterministic, labelled synthetic, consistent, shaped by the scale."""

from __future__ import annotations

import csv
import math

import duckdb
import pytest
from helpers import source_columns

from qmi_metrics.store import loader, synthetic

# ---------------------------------------------------------------- the dimension tables

# A tiny vocabulary, used only when data/ does not hold every dimension CSV yet.
_FAKE_DIMENSIONS = {
    "sources": [{"source_id": "test_ref", "kind": "reference", "title": "Vocabulaire de test"}],
    "themes": [{"theme_slug": slug, "label_fr": f"Défi {i}", "label_en": f"Challenge {i}", "rank": i,
                "source_id": "test_ref"}
               for i, slug in enumerate(("espaces-publics", "adaptation-climat", "flux-mobilites",
                                         "animation-commerces", "renouvellement-urbain", "habitat-usages",
                                         "economie-circulaire", "sport-en-ville"), start=1)],
    "project_families": [{"family_slug": f"famille-{i}", "label_fr": f"Famille {i}", "label_en": f"Family {i}",
                          "rank": i, "source_id": "test_ref"} for i in range(1, 4)],
    "solution_types": [{"type_slug": f"type-{i}", "label_fr": f"TYPE {i}", "label_en": f"TYPE {i}",
                        "is_digital": str(i == 1).lower(), "source_id": "test_ref"} for i in range(1, 4)],
    "communes": [{"insee": f"{dept}{i:03d}", "name": f"Commune {dept}-{i}", "departement": dept,
                  "population": 10_000 + i, "source_id": "test_ref"}
                 for dept in ("92", "93", "94") for i in range(1, 7)],
    "indicators": [{"indicator_id": f"ind-{i}", "label_fr": f"Indicateur {i}", "label_en": f"Indicator {i}",
                    "domain": "social", "unit": unit, "direction": direction, "source_id": "test_ref"}
                   for i, (unit, direction) in enumerate((("%", "hausse"), ("€", "baisse"), ("kg", "hausse"),
                                                          ("note /10", "hausse"), ("°C", "neutre")), start=1)],
    "replicability_criteria": [{"criterion_id": f"critere-{i}", "label_fr": f"Critère {i}",
                                "label_en": f"Criterion {i}", "rank": i, "source_id": "test_ref"}
                               for i in range(1, 6)],
}
for _rows in _FAKE_DIMENSIONS.values():  # every row says how it stands to its source (schema.sql, basis)
    for _row in _rows:
        _row["basis"] = "stated"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """data/ when it holds every dimension CSV, else a temporary tiny vocabulary."""
    if all((loader.DATA_DIR / f"{t}.csv").exists() for t in loader.DIMENSION_TABLES):
        yield loader.DATA_DIR
        return
    directory = tmp_path_factory.mktemp("dimensions")
    for table, rows in _FAKE_DIMENSIONS.items():
        with open(directory / f"{table}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(loader, "DATA_DIR", directory)
        yield directory


@pytest.fixture(scope="module")
def build(data_dir, tmp_path_factory):
    """build(scale, seed) -> path of a synthetic database, built once per (scale, seed, copy)."""
    built = {}

    def _build(scale, seed=0, copy=0):
        key = (scale, seed, copy)
        if key not in built:
            path = tmp_path_factory.mktemp("synthetic") / f"synth_{scale}_{seed}_{copy}.duckdb"
            loader.build_synthetic(path, scale, seed)
            built[key] = path
        return built[key]

    return _build


def _connect(path):
    return duckdb.connect(str(path), read_only=True)


def _value(con, sql, params=None):
    return con.execute(sql, params or {}).fetchone()[0]


def _content(path) -> dict[str, list[tuple]]:
    with _connect(path) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in loader.TABLES + ("meta",)}


# ---------------------------------------------------------------- scales

def test_spec_for_numeric_scales():
    one = synthetic.spec_for(1)
    assert (one.n_editions, one.n_communes, one.n_projects, one.n_candidatures) == (2, 4, 28, 168)
    assert one.n_indicator_values == 28 * 3 * 18
    three = synthetic.spec_for("3")
    assert (three.n_editions, three.n_communes, three.n_projects, three.n_candidatures) == (2, 12, 84, 504)
    assert synthetic.spec_for(20).n_editions == 4
    assert synthetic.spec_for(500).n_editions == 10
    assert synthetic.spec_for(500).n_communes == 130
    tiny = synthetic.spec_for(0.1)
    assert tiny.n_projects >= tiny.n_editions and tiny.n_communes >= tiny.n_editions
    assert tiny.n_candidatures >= tiny.n_projects


def test_spec_for_named_scales():
    m, big = synthetic.spec_for("M"), synthetic.spec_for("l")
    assert (m.n_editions, m.n_communes, m.n_candidatures, m.n_projects, m.n_indicator_values) == (
        10, 130, 10_000, 2_000, 2_000_000)
    assert big.n_indicator_values == 20_000_000 and big.n_projects == 2_000
    with pytest.raises(ValueError, match="reference database"):
        synthetic.spec_for("S")
    for bad in (0.05, -1, "X", float("nan"), None, True):
        with pytest.raises(ValueError):
            synthetic.spec_for(bad)


def test_large_scale_series_fit_the_measurement_window():
    """L reaches 20M daily values within ~18 months by following more indicators per project."""
    import numpy as np

    spec = synthetic.spec_for("L")
    k = synthetic._indicators_per_project(spec, spec.n_projects, 21, np.random.default_rng(0))
    assert k.min() >= 1 and k.max() <= 21
    assert math.ceil(spec.n_indicator_values / k.sum()) <= spec.series_window
    m = synthetic.spec_for("M")
    k = synthetic._indicators_per_project(m, m.n_projects, 21, np.random.default_rng(0))
    assert k.sum() == 3 * m.n_projects and k.min() >= 2 and k.max() <= 4


# ---------------------------------------------------------------- builds

def test_same_seed_same_content(build):
    assert _content(build(1, 0, copy=0)) == _content(build(1, 0, copy=1))


def test_other_seed_other_content(build):
    first, other = _content(build(1, 0)), _content(build(1, 1))
    for table in ("projects", "candidatures", "project_events", "indicator_values"):
        assert first[table] != other[table], table


def test_counts_follow_the_scale(build):
    counts = {}
    for k in (1, 3):
        spec = synthetic.spec_for(k)
        with _connect(build(k)) as con:
            projects = _value(con, "SELECT count(*) FROM projects")
            aap = _value(con, "SELECT count(*) FROM candidatures JOIN calls USING (call_id) WHERE calls.kind = 'projects'")
            values = _value(con, "SELECT count(*) FROM indicator_values")
            assert projects == spec.n_projects == round(28 * k)
            assert aap == spec.n_candidatures == round(168 * k)
            assert values == spec.n_indicator_values
            assert _value(con, "SELECT count(*) FROM editions") == spec.n_editions
            assert _value(con, "SELECT count(DISTINCT insee) FROM commune_editions") == min(
                spec.n_communes, _value(con, "SELECT count(*) FROM communes"))
            counts[k] = (projects, aap, values)
    for a, b in zip(counts[1], counts[3]):
        assert b == pytest.approx(3 * a, rel=0.05)


@pytest.mark.parametrize("scale", [1, 3])
def test_every_foreign_key_resolves(build, scale):
    with _connect(build(scale)) as con:
        fks = con.execute(
            "SELECT table_name, constraint_column_names, referenced_table, referenced_column_names"
            " FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'").fetchall()
        assert fks
        for table, columns, ref_table, ref_columns in fks:
            on = " AND ".join(f"t.{c} = r.{rc}" for c, rc in zip(columns, ref_columns))
            not_null = " AND ".join(f"t.{c} IS NOT NULL" for c in columns)
            dangling = _value(con, f"SELECT count(*) FROM {table} t WHERE {not_null}"
                                   f" AND NOT EXISTS (SELECT 1 FROM {ref_table} r WHERE {on})")
            assert dangling == 0, (table, columns, ref_table)


@pytest.mark.parametrize("scale", [1, 3])
def test_everything_generated_is_labelled_synthetic(build, scale):
    with _connect(build(scale)) as con:
        assert dict(con.execute("SELECT key, value FROM meta").fetchall())["synthetic"] == "true"
        title, kind = con.execute("SELECT title, kind FROM sources WHERE source_id = 'synthetic'").fetchone()
        assert kind == "synthetic" and "synthétiques" in title and "aucune valeur réelle" in title
        for table in loader.TABLES:
            if table in loader.DIMENSION_TABLES:
                continue
            for column in source_columns(table):
                not_synthetic = f"SELECT count(*) FROM {table} WHERE {column} IS DISTINCT FROM 'synthetic'"
                assert _value(con, not_synthetic) == 0, (table, column)
        # Nothing synthetic is published, and nothing the documents say about the real projects is copied.
        assert _value(con, "SELECT count(*) FROM published_figures") == 0
        for table in ("partners", "awards", "aliases", "contradictions"):
            assert _value(con, f"SELECT count(*) FROM {table}") == 0, table
        assert _value(con, "SELECT count(*) FROM call_figures WHERE figure_id IS NOT NULL") == 0
        assert _value(con, "SELECT count(*) FROM projects WHERE description_fr NOT ILIKE '%synthétique%'") == 0


def test_every_generated_row_says_how_it_stands_to_its_source(build):
    with _connect(build(3)) as con:
        for table in loader.TABLES:
            assert _value(con, f"SELECT count(*) FROM {table} WHERE basis NOT IN ('stated', 'inferred', 'modelled')"
                               " OR (basis <> 'stated' AND basis_rule IS NULL)") == 0, table
        # Each selection is dated at its edition's announcement, as the reference dates each start at a milestone.
        selected = con.execute("SELECT DISTINCT basis, basis_rule FROM project_events WHERE kind = 'selected'").fetchall()
        assert selected == [("inferred", synthetic.SELECTION_RULE)]
        assert _value(con, "SELECT count(*) FROM project_events WHERE kind <> 'selected' AND basis <> 'stated'") == 0
        delays = con.execute("SELECT DISTINCT delay_basis FROM project_status WHERE deployment_months IS NOT NULL"
                             ).fetchall()
        assert delays == [("inferred",)]


def test_shape_and_consistency(build):
    with _connect(build(3)) as con:
        q = lambda sql: _value(con, sql)  # noqa: E731
        # Every call's published-style figures agree with the rows.
        mismatches = q("""
            WITH rows AS (
                SELECT call_id, count(*) AS applications, count(*) FILTER (WHERE status = 'lauréate') AS selected,
                       avg(is_international::INT) AS international_share
                FROM candidatures GROUP BY call_id)
            SELECT count(*) FROM call_figures f JOIN rows r USING (call_id)
            WHERE (f.measure = 'applications' AND f.value <> r.applications)
               OR (f.measure = 'selected' AND f.value <> r.selected)
               OR (f.measure = 'marks_of_interest' AND f.value < r.applications)
               OR (f.measure = 'international_share' AND abs(f.value - r.international_share) > 1e-3)""")
        assert mismatches == 0
        assert q("SELECT count(*) FROM calls") == 2 * q("SELECT count(*) FROM editions")
        assert q("SELECT count(*) FROM call_figures WHERE measure = 'applications'") == q("SELECT count(*) FROM calls")
        # Selected projects are exactly the laureate project applications.
        assert q("SELECT count(*) FROM candidatures WHERE status = 'lauréate' AND project_id IS NOT NULL") == q(
            "SELECT count(*) FROM projects")
        assert q("SELECT count(*) FROM candidatures WHERE status = 'non retenue' AND project_id IS NOT NULL") == 0
        # Laureate communes applied to their edition's AMI; projects sit in their edition's communes.
        assert q("""SELECT count(*) FROM commune_editions ce WHERE NOT EXISTS (
                      SELECT 1 FROM candidatures c WHERE c.call_id = 'e' || ce.edition_id || '_ami_communes'
                      AND c.insee = ce.insee AND c.status = 'lauréate')""") == 0
        assert q("""SELECT count(*) FROM projects p WHERE NOT EXISTS (
                      SELECT 1 FROM commune_editions ce WHERE ce.edition_id = p.edition_id AND ce.insee = p.insee)""") == 0
        share = q("SELECT avg(is_international::INT) FROM candidatures WHERE is_international IS NOT NULL")
        assert 0.1 < share < 0.3
        # Project histories: selected at the announcement, deployed 3 to 20 months later.
        assert q("SELECT count(DISTINCT project_id) FROM project_events WHERE kind = 'selected'") == q(
            "SELECT count(*) FROM projects")
        delays = con.execute("""SELECT min(deployment_months), max(deployment_months), avg(is_deployed::INT)
                                FROM project_status""").fetchone()
        assert delays[0] >= 2.9 and delays[1] <= 20.5 and 0.4 < delays[2] < 0.95
        assert q("""SELECT count(*) FROM project_events e JOIN project_events d USING (project_id)
                    WHERE e.kind = 'evaluated' AND d.kind = 'deployed' AND e.date_start <= d.date_start""") == 0
        # Indicator series follow the projects' indicators.
        assert q("""SELECT count(*) FROM (SELECT DISTINCT project_id, indicator_id FROM indicator_values)
                    v ANTI JOIN project_indicators USING (project_id, indicator_id)""") == 0
        per_project = con.execute("SELECT min(n), max(n) FROM (SELECT count(*) n FROM project_indicators GROUP BY project_id)").fetchone()
        assert per_project[0] >= 1 and per_project[1] <= 4
        # Scores for about half the projects, 5 criteria each.
        scored = q("SELECT count(DISTINCT project_id) FROM replicability_scores")
        assert scored == round(0.5 * q("SELECT count(*) FROM projects")) or scored > 0.4 * q("SELECT count(*) FROM projects")
        assert q("SELECT count(*) FROM replicability_index WHERE criteria_scored <> criteria_total") == 0
        # Community, diagnostics, surveys, sites.
        assert q("SELECT min(participants) FROM community_events") >= 40
        assert q("SELECT max(participants) FROM community_events") <= 100
        assert q("SELECT count(*) FROM diagnostics") == 3 * q("SELECT count(*) FROM commune_editions")
        assert q("SELECT count(*) FROM surveys WHERE unit = 'ratio' AND value NOT BETWEEN 0 AND 1") == 0
        assert q("SELECT count(*) FROM surveys WHERE unit = 'score_10' AND value NOT BETWEEN 0 AND 10") == 0
        assert q("SELECT count(*) FROM sites WHERE lat NOT BETWEEN 48.75 AND 48.95 OR lon NOT BETWEEN 2.2 AND 2.6") == 0
        assert q("SELECT count(*) FROM sites WHERE kind = 'quartier'") == q("SELECT count(DISTINCT insee) FROM commune_editions")
        assert q("SELECT count(*) FROM project_sites") == q("SELECT count(*) FROM projects")
        # Nothing has happened after the dataset's "today" (mid-year of the last edition's last year).
        today = q("SELECT make_date(max(last_year), 6, 30) FROM editions")
        for table, column in (("project_events", "date_start"), ("community_events", "date_start"),
                              ("indicator_values", "measured_on"), ("replicability_scores", "scored_on")):
            assert q(f"SELECT max({column}) FROM {table}") <= today, table
        assert q(f"SELECT count(*) FROM milestones WHERE planned <> (date_start > DATE '{today}')") == 0
        assert q("SELECT count(*) FROM editions WHERE status = 'en cours'") == 1


def test_refuses_the_reference_database(data_dir):
    with pytest.raises(ValueError, match="reference database"):
        loader.build_synthetic(loader.DEFAULT_DB_PATH, 1, 0)


def test_generate_refuses_a_database_with_facts(build, tmp_path):
    path = tmp_path / "copy.duckdb"
    path.write_bytes(build(1).read_bytes())
    with duckdb.connect(str(path)) as con:
        with pytest.raises(ValueError):
            synthetic.generate(con, scale=1, seed=0)
        con.execute("DELETE FROM meta")
        with pytest.raises(ValueError, match="synthetic data|not empty"):
            synthetic.generate(con, scale=1, seed=0)
