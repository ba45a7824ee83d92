"""The CLI contract: exit codes and output shapes, error paths included."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from qmi_metrics import cli

REPO = Path(__file__).resolve().parent.parent


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "qmi_metrics", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env=env)


def test_build_prints_what_it_loaded(tmp_path):
    target = tmp_path / "built.duckdb"
    done = run("build", "--db", target)
    assert done.returncode == 0, done.stderr
    assert target.exists()
    assert "projects" in done.stdout and "28" in done.stdout and "communes" in done.stdout


def test_kpis_json_shape(reference_db_path):
    done = run("kpis", "--db", reference_db_path, "--edition", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert {"id", "label", "value", "unit", "coverage", "published_value", "source"} <= set(results[0])
    by_id = {r["id"]: r for r in results}
    assert by_id["communes_count"]["value"] == 4
    assert by_id["deployment_rate"]["published_value"] == 0.7
    assert by_id["deployment_rate"]["coverage"] == {"covered": 7, "total": 28, "complete": False}


def test_edition_2_kpis_are_numbers_with_coverage_or_unknown_never_a_zero_over_nothing(reference_db_path):
    """Edition 2 has no project, candidature, deployment or meeting row yet: those KPIs are null (unknown),
    what is shown rests on rows (covered > 0) or on published figures, and the selection rate's published
    quotient stays edition 1's."""
    results = json.loads(run("kpis", "--db", reference_db_path, "--edition", "2", "--format", "json").stdout)
    for result in results:
        shown = result["shown"]
        if shown["value"] is None:
            continue
        assert shown["basis"] in ("published", "computed_from_published") or result["coverage"]["covered"] > 0, result
    by_id = {r["id"]: r for r in results}
    for kpi_id in ("candidatures_count", "projects_deployed_count", "community_events_count", "evaluation_sheets_count",
                   "measurements_count", "selection_rate"):
        assert by_id[kpi_id]["value"] is None and by_id[kpi_id]["shown"]["basis"] == "unknown", kpi_id
    assert by_id["communes_count"]["shown"] == {"value": 6, "basis": "computed"}
    assert by_id["projects_selected_count"]["shown"] == {"value": 19, "basis": "published"}
    edition_1 = {r["id"]: r for r in json.loads(run("kpis", "--db", reference_db_path, "--edition", "1", "--format", "json").stdout)}
    assert edition_1["selection_rate"]["shown"] == {"value": pytest.approx(30 / 168), "basis": "computed_from_published"}
    assert edition_1["selection_rate"]["from_published"][1] == {
        "value": pytest.approx(30 / 170), "numerator": "cp_solutions_e1", "denominator": "cp_candidatures_aap"}


def test_kpis_accept_a_commune_name_or_code(reference_db_path):
    by_name = json.loads(run("kpis", "--db", reference_db_path, "--commune", "noisy le grand", "--format", "json").stdout)
    by_code = json.loads(run("kpis", "--db", reference_db_path, "--commune", "93051", "--format", "json").stdout)
    assert by_name == by_code
    assert {r["id"]: r["value"] for r in by_name}["projects_selected_count"] == 8


def test_kpis_table_is_french(reference_db_path):
    done = run("kpis", "--db", reference_db_path, "--edition", "1")
    assert done.returncode == 0
    assert "Taux de déploiement" in done.stdout and "70\u202f%" in done.stdout


@pytest.mark.parametrize("flag, value, listed", [
    ("--commune", "Gotham", "Aulnay-sous-Bois"),
    ("--theme", "aviation", "economie-circulaire"),
    ("--edition", "9", "1, 2"),
    ("--edition", "un", "1, 2"),
    ("--commune", "'; DROP TABLE projects; --", "Sceaux"),
])
def test_unknown_filter_values_exit_non_zero_listing_valid_ones(reference_db_path, flag, value, listed):
    done = run("kpis", "--db", reference_db_path, flag, value)
    assert done.returncode == 2
    assert listed in done.stderr and "inconnue" in done.stderr and "Unknown" in done.stderr
    assert "Traceback" not in done.stderr


def test_reconcile_json_shape(reference_db_path):
    done = run("reconcile", "--db", reference_db_path, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"figure_id", "published_value", "computed_value", "status", "explanation", "source"} <= set(report[0])
    assert {r["status"] for r in report} == {"agrees", "differs", "not computable"}
    ept = next(r for r in report if r["figure_id"] == "rapport_ept")
    assert ept["status"] == "differs" and "Paris Terres d'Envol" in ept["explanation"]


def test_reconcile_table_ends_with_counts(reference_db_path):
    done = run("reconcile", "--db", reference_db_path)
    assert done.returncode == 0
    assert "chiffres publiés" in done.stdout.splitlines()[-1]


def test_contradictions_json_and_table(reference_db_path, capsys):
    assert cli.main(["contradictions", "--db", str(reference_db_path), "--format", "json", "--lang", "en"]) == 0
    found = {c["contradiction_id"]: c for c in json.loads(capsys.readouterr().out)}
    applications = found["candidatures-168-ou-170"]
    assert {"topic", "kind", "shown", "page", "kpi_id", "figure_ids", "a", "b"} <= set(applications)
    assert "170 candidatures" in applications["a"]["quote"] and "168 CANDIDATURES" in applications["b"]["quote"]
    assert applications["a"]["document_name"] == "the press release of 26 October 2023"
    assert cli.main(["contradictions", "--db", str(reference_db_path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["contradiction", "nature", "sujet", "page"]
    assert len(table) == 2 + len(found)
    assert any("candidatures-168-ou-170" in line and "entre deux documents" in line for line in table)


def test_demo_builds_a_marked_synthetic_database(tmp_path):
    target = tmp_path / "demo.duckdb"
    done = run("demo", "--scale", "1", "--seed", "3", "--db", target)
    assert done.returncode == 0, done.stderr
    assert "SYNTHÉTIQUE" in done.stdout
    results = json.loads(run("kpis", "--db", target, "--format", "json").stdout)
    assert {r["id"]: r["value"] for r in results}["projects_selected_count"] > 0


def test_demo_refuses_the_reference_database():
    done = run("demo", "--scale", "1", "--db", REPO / "data" / "qmi.duckdb")
    assert done.returncode == 2 and "refusing" in done.stderr


@pytest.mark.parametrize("scale", ["zero", "-1", "0"])
def test_demo_rejects_a_bad_scale(tmp_path, scale):
    done = run("demo", "--scale", scale, "--db", tmp_path / "x.duckdb")
    assert done.returncode == 2 and "scale" in done.stderr


def test_missing_database_is_a_clear_error(tmp_path):
    done = run("kpis", "--db", tmp_path / "nowhere.duckdb")
    assert done.returncode == 2 and "introuvable" in done.stderr


def test_build_refuses_to_drop_managers_imports(tmp_path):
    import duckdb

    target = tmp_path / "live.duckdb"
    assert run("build", "--db", target).returncode == 0
    with duckdb.connect(str(target)) as con:
        con.execute("""INSERT INTO audit_log (entry_id, action, logged_at, by_user, version)
                       VALUES ('x', 'import', now()::TIMESTAMP, 'test', 'v1')""")
    before = target.read_bytes()
    refused = run("build", "--db", target)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert target.read_bytes() == before
    assert run("build", "--db", target, "--force").returncode == 0


def test_build_over_an_unreadable_file_asks_for_force_then_rebuilds(tmp_path):
    target = tmp_path / "live.duckdb"
    target.write_bytes(b"not a database at all\n" * 100)
    refused = run("build", "--db", target)
    assert refused.returncode == 2 and "illisible" in refused.stderr and "Traceback" not in refused.stderr
    assert target.read_bytes() == b"not a database at all\n" * 100
    rebuilt = run("build", "--db", target, "--force")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Base construite" in rebuilt.stdout


def test_progress_bar_on_a_terminal_only_unless_asked():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, always, drawn in ((io.StringIO(), False, False), (io.StringIO(), True, True), (Terminal(), False, True)):
        assert list(cli._with_progress(["alpha", "beta"], always, stream)) == ["alpha", "beta"]
        text = stream.getvalue()
        if drawn:  # each file counted and named
            assert "[1/2]" in text and "alpha" in text and "[2/2]" in text and "beta" in text, text
        else:
            assert text == ""
