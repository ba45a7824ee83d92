"""The Parquet export: same KPIs over the files as over the database, written atomically, clear refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers import as_filters, participating_communes, views

from qmi_metrics import cli
from qmi_metrics.metrics import kpis, reconcile
from qmi_metrics.store import db, parquet

REPO = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run([sys.executable, "-m", "qmi_metrics", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def same_results(left, right) -> None:
    assert [r.id for r in left] == [r.id for r in right]
    for a, b in zip(left, right):
        da, db_ = a.as_dict(), b.as_dict()
        value_a, value_b = da.pop("value"), db_.pop("value")
        assert da == db_, a.id
        assert (value_a is None) == (value_b is None), a.id
        if value_a is not None:
            assert value_a == pytest.approx(value_b, rel=1e-12, abs=1e-12), a.id


@pytest.fixture(scope="module", params=["reference", "demo"])
def exported(request, tmp_path_factory):
    db_path = request.getfixturevalue(f"{request.param}_db_path")
    out = tmp_path_factory.mktemp(f"parquet-{request.param}") / "export"
    result = run("export-parquet", "--db", db_path, "--out", out)
    assert result.returncode == 0, result.stderr
    return db_path, out


def test_kpis_over_parquet_equal_kpis_over_the_file(exported):
    db_path, out = exported
    with db.connect(db_path) as file_con, parquet.connect_parquet(out) as parquet_con:
        # The unfiltered view, every edition, and every participating commune (all editions).
        checked = [as_filters(*view) for view in views(db_path, participating_communes(db_path))]
        assert len(checked) >= 4
        assert kpis.expand(parquet_con) == kpis.expand(file_con)
        for view in checked:
            same_results(kpis.compute_all(parquet_con, view), kpis.compute_all(file_con, view))


def test_reconciliation_over_parquet_equals_the_file(exported):
    db_path, out = exported
    with db.connect(db_path) as file_con, parquet.connect_parquet(out) as parquet_con:
        left, right = reconcile.reconcile(parquet_con), reconcile.reconcile(file_con)
        assert [r.as_dict() for r in left] == [r.as_dict() for r in right]


def test_every_table_is_exported_with_its_rows(exported):
    db_path, out = exported
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    with db.connect(db_path) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        assert set(manifest["tables"]) >= set(tables)
        for table in tables:
            assert manifest["tables"][table]["rows"] == con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            assert (out / f"{table}.parquet").is_file()
        assert manifest["data_version"] == db.meta(con)["data_version"]
        assert manifest["synthetic"] == db.is_synthetic(con)
    assert sorted(p.name for p in out.iterdir()) == sorted([*(t["file"] for t in manifest["tables"].values()), "manifest.json"])


def test_a_new_export_replaces_the_previous_one_whole(reference_db_path, demo_db_path, tmp_path):
    out = tmp_path / "export"
    parquet.export(reference_db_path, out)
    (out / "stale.parquet").write_bytes(b"from before")
    manifest = parquet.export(demo_db_path, out)
    assert not (out / "stale.parquet").exists()
    assert parquet.read_manifest(out)["data_version"] == manifest["data_version"]
    with parquet.connect_parquet(out) as con:
        assert db.is_synthetic(con)
    assert [p.name for p in tmp_path.iterdir()] == ["export"]  # no temporary folder left


def test_a_failed_export_leaves_the_previous_one(reference_db_path, demo_db_path, tmp_path, monkeypatch):
    out = tmp_path / "export"
    before = parquet.export(reference_db_path, out)

    def broken(con):
        return [("projects", "table"), ("no_such_table", "table")]

    monkeypatch.setattr(parquet, "exported_relations", broken)
    with pytest.raises(duckdb.Error):
        parquet.export(demo_db_path, out)
    assert parquet.read_manifest(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


def test_missing_database_exits_2_with_a_clear_message(tmp_path):
    result = run("export-parquet", "--db", tmp_path / "absent.duckdb", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "database not found" in result.stderr and "absent.duckdb" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_out_dir_that_is_a_file_exits_2(reference_db_path, tmp_path):
    target = tmp_path / "out"
    target.write_text("not a folder")
    result = run("export-parquet", "--db", reference_db_path, "--out", target)
    assert result.returncode == 2
    assert "is a file, not a directory" in result.stderr
    assert target.read_text() == "not a folder"


def test_a_folder_that_is_not_an_export_is_never_replaced(reference_db_path, tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = run("export-parquet", "--db", reference_db_path, "--out", target)
    assert result.returncode == 2
    assert "not an export" in result.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_a_file_that_is_not_a_database_exits_2(tmp_path):
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("hello")
    result = run("export-parquet", "--db", bogus, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "cannot read the database" in result.stderr


def test_connect_parquet_refuses_a_folder_without_manifest(tmp_path):
    with pytest.raises(parquet.ExportError, match="no manifest.json"):
        parquet.connect_parquet(tmp_path)


def test_motherduck_string_is_passed_to_duckdb_unchanged(tmp_path, monkeypatch, capsys):
    """No network nor token here: only checks that `md:<db>` reaches duckdb.connect as it is."""
    seen = []

    def fake_connect(database, *args, **kwargs):
        seen.append(database)
        raise duckdb.IOException("no network in this test")

    monkeypatch.setattr(parquet.duckdb, "connect", fake_connect)
    monkeypatch.setenv("motherduck_token", "not-a-real-token")
    code = cli.main(["export-parquet", "--db", "md:qmi", "--out", str(tmp_path / "out")])
    assert seen == ["md:qmi"]
    assert code == 2
    assert "MotherDuck" in capsys.readouterr().err
    assert not (tmp_path / "md:qmi").exists()


def test_motherduck_without_a_token_is_refused_before_connecting(tmp_path, monkeypatch, capsys):
    """Without a token, MotherDuck would start a browser sign-in: the command says what is missing instead."""
    monkeypatch.delenv("motherduck_token", raising=False)
    monkeypatch.delenv("MOTHERDUCK_TOKEN", raising=False)
    monkeypatch.setattr(parquet.duckdb, "connect", lambda *a, **k: pytest.fail("duckdb.connect was called"))
    assert cli.main(["export-parquet", "--db", "md:qmi", "--out", str(tmp_path / "out")]) == 2
    assert "motherduck_token" in capsys.readouterr().err


def test_the_command_line_computes_the_kpis_over_a_parquet_export(reference_db_path, tmp_path):
    import json
    import subprocess
    import sys

    out = tmp_path / "export"
    command = [sys.executable, "-m", "qmi_metrics"]
    assert subprocess.run([*command, "export-parquet", "--db", str(reference_db_path), "--out", str(out)],
                          capture_output=True).returncode == 0
    over_file, over_parquet = (
        json.loads(subprocess.run([*command, "kpis", "--db", str(source), "--edition", "1", "--commune", "Meudon",
                                   "--format", "json"], capture_output=True, text=True, check=True).stdout)
        for source in (reference_db_path, out))
    assert over_parquet == over_file and len(over_file) > 30
    no_token = subprocess.run([*command, "kpis", "--db", "md:qmi"], capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin"})
    assert no_token.returncode == 2 and "MotherDuck" in no_token.stderr and "Traceback" not in no_token.stderr
