"""Faults: a missing, cut, foreign or corrupt database file gives a clear page (no traceback) and the app
recovers by itself when a good file is published at the path; DuckDB is opened read-only, with the
configured memory limit and threads (AppTest and qmi_metrics.store.db, no browser)."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pytest
from helpers import app_test

from dashboard import registry
from qmi_metrics.store import db, loader


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def publish(good: Path, live: Path) -> None:
    """Put a good file at the live path the way imports do: a full copy beside it, renamed over it."""
    partial = live.with_name(live.name + ".publishing")
    shutil.copyfile(good, partial)
    os.replace(partial, live)


def corrupt_data_blocks(path: Path, spare: str = "meta") -> None:
    """Overwrite part of every block holding rows, but `spare`'s: the file opens, reading rows fails its checksum."""
    with duckdb.connect(str(path), read_only=True) as con:
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        blocks = {r[0] for t in tables for r in con.execute(
            f"SELECT DISTINCT block_id FROM pragma_storage_info('{t}') WHERE block_id >= 0").fetchall()}
        blocks -= {r[0] for r in con.execute(
            f"SELECT DISTINCT block_id FROM pragma_storage_info('{spare}') WHERE block_id >= 0").fetchall()}
    with open(path, "r+b") as handle:
        for block in blocks:
            handle.seek(3 * 4096 + block * block_size + 64)  # after the file's three headers and the block's checksum
            handle.write(b"\xff" * 512)


def make_broken(kind: str, path: Path, good: Path) -> None:
    """A database path that cannot be served, of the given kind."""
    if kind == "missing":
        return
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("Ceci n'est pas une base de données.\n" * 50, encoding="utf-8")
    elif kind == "random":
        path.write_bytes(os.urandom(300_000))
    elif kind == "truncated_start":
        path.write_bytes(good.read_bytes()[:50_000])
    elif kind == "truncated_end":  # the last blocks lost: every header is there
        data = good.read_bytes()
        path.write_bytes(data[:len(data) - 1000])
    elif kind == "sqlite":
        with sqlite3.connect(path) as con:
            con.execute("CREATE TABLE projects (project_id TEXT)")
    elif kind == "foreign_duckdb":
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE clients (id INTEGER, nom VARCHAR)")
            con.execute("INSERT INTO clients VALUES (1, 'Dupont')")
    else:
        raise ValueError(kind)


# kind: what the French page says
BROKEN = {
    "missing": "introuvable",
    "empty": "vide",
    "text": "pas une base DuckDB",
    "random": "pas une base DuckDB",
    "truncated_start": "tronqué",
    "truncated_end": "tronqué",
    "sqlite": "pas une base DuckDB",
    "foreign_duckdb": "pas celle du tableau de bord",
}


@pytest.fixture
def app(monkeypatch):
    def start(db_path, page: str | None = None, **url):
        """The session's first run on `page` (a name in dashboard/registry.py), or on app.py's default page."""
        at = app_test(monkeypatch, db_path, **url)
        if page:
            at.switch_page(registry.page(page).file)
        return at.run()
    return start


def unavailable(at, language: str = "fr") -> str:
    """The unavailable page's message; fails if the run raised or drew the dashboard instead."""
    assert not at.exception, [e.value for e in at.exception]
    title = {"fr": "Tableau de bord indisponible", "en": "Dashboard unavailable"}[language]
    assert [t.value for t in at.title] == [title]
    assert not at.metric and not at.sidebar.selectbox  # no half-drawn dashboard, no filters
    return " ".join(e.value for e in at.error)


def serves_data(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    cards = {m.label: m.value for m in at.metric}
    # 4 for edition 1 (app.py's sidebar picks it), 10 over both (a page run on its own shows all editions)
    assert cards["Communes lauréates"] in ("4", "10"), cards


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_broken_database_gives_a_clear_page_then_recovers_when_a_good_file_is_published(
        app, reference_db_path, tmp_path, kind):
    live = tmp_path / "qmi.duckdb"
    make_broken(kind, live, reference_db_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    at = app(live)
    message = unavailable(at)
    assert BROKEN[kind] in message, message
    codes = [c.value for c in at.code]
    assert str(live) in codes  # which file, for the administrator
    assert any("python -m qmi_metrics build --db" in c for c in codes), codes
    assert not any("Traceback" in c.value for c in at.code)
    # Every address shows the same page, not an exception.
    for page in ("projets", "sources", "administration"):
        at.switch_page(registry.page(page).file).run()
        assert BROKEN[kind] in unavailable(at)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created or built at a configured path
    # A good version published at the path: the next run serves it, no restart.
    publish(reference_db_path, live)
    at.switch_page(registry.page("vue_ensemble").file).run()
    serves_data(at)


def test_every_page_shows_the_unavailable_page_in_english_too(app, tmp_path):
    live = tmp_path / "qmi.duckdb"
    live.write_text("pas une base", encoding="utf-8")
    for page in registry.NAMES:
        at = app(live, page, lang="en")
        assert "not a DuckDB database" in unavailable(at, "en"), page
    at = app(live, "projets", present="1", projet="faradae", edition="1")
    assert "pas une base DuckDB" in unavailable(at)


def test_the_page_says_which_kept_version_to_restore(app, reference_db_path, tmp_path):
    live = tmp_path / "qmi.duckdb"
    (tmp_path / "versions").mkdir()
    for version in ("20250101T000000Z-0000aaaa", "20250301T000000Z-0000bbbb"):
        shutil.copyfile(reference_db_path, tmp_path / "versions" / f"qmi.{version}.duckdb")
    make_broken("truncated_start", live, reference_db_path)
    at = app(live)
    assert "tronqué" in unavailable(at)
    restore = next(c.value for c in at.code if "cp " in c.value)
    assert "versions/qmi.20250301T000000Z-0000bbbb.duckdb" in restore and restore.splitlines()[-1].startswith("mv ")
    # The commands given work: run them as an administrator would.
    import subprocess
    subprocess.run(["bash", "-ec", restore], check=True, cwd=tmp_path)
    at.run()
    serves_data(at)


def test_a_file_replaced_by_a_broken_one_while_served(app, reference_db_path, tmp_path):
    live = tmp_path / "qmi.duckdb"
    publish(reference_db_path, live)
    at = app(live)
    serves_data(at)
    broken = tmp_path / "broken.duckdb"
    make_broken("random", broken, reference_db_path)
    os.replace(broken, live)
    assert "pas une base DuckDB" in unavailable(at.run())
    publish(reference_db_path, live)
    serves_data(at.run())


def test_a_corrupt_block_found_while_reading_gives_the_page_not_a_traceback(app, reference_db_path, tmp_path):
    live = tmp_path / "qmi.duckdb"
    shutil.copyfile(reference_db_path, live)
    corrupt_data_blocks(live)
    db.open_for_reading(live).close()  # the file opens: the damage shows only when a page reads the rows
    import streamlit

    # Same data_version as the reference: its cached results and charts would hide the damage.
    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()
    at = app(live)  # through app.py, which catches what a page's read raises
    assert "abîmé" in unavailable(at)
    assert any("Corrupt database file" in c.value for c in at.code)
    at.switch_page(registry.page("sources").file).run()  # remembered for this file: no page is half drawn
    assert "abîmé" in unavailable(at)
    publish(reference_db_path, live)
    at.switch_page(registry.page("vue_ensemble").file).run()
    serves_data(at)


def test_the_default_database_is_built_on_first_start_when_missing(monkeypatch, tmp_path):
    from dashboard.ui import database

    default = tmp_path / "data" / "qmi.duckdb"
    default.parent.mkdir()
    monkeypatch.setattr(loader, "DEFAULT_DB_PATH", default)
    monkeypatch.setattr(database, "configured_path", lambda: None)  # whatever secrets.toml a developer has
    at = app_test(monkeypatch, None, timeout=120).run()  # no QMI_DB: the default path
    serves_data(at)
    assert default.is_file()


# --- DuckDB settings and read-only ---------------------------------------------------------------------

def settings(con) -> tuple[str, int]:
    return tuple(db.fetch_one(con, "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t").values())


def test_default_limits_are_applied(reference_db_path):
    with db.open_for_reading(reference_db_path) as con:
        assert settings(con) == ("953.6 MiB", 2)  # 1GB, as DuckDB prints it
    assert db.configured_limits({}, environ={}) == db.Limits("1GB", 2)


def test_limits_from_the_environment_win_over_secrets():
    secrets = {"duckdb": {"memory_limit": "300MB", "threads": 1}}
    assert db.configured_limits(secrets, environ={}) == db.Limits("300MB", 1)
    environ = {"QMI_DUCKDB_MEMORY_LIMIT": "700MiB", "QMI_DUCKDB_THREADS": "3"}
    assert db.configured_limits(secrets, environ=environ) == db.Limits("700MiB", 3)


@pytest.mark.parametrize("memory, threads", [("beaucoup", "deux"), ("-1GB", "0"), ("10KB", "1000"), ("80%", "2.5"),
                                             ("1GB; DROP TABLE projects", "1; SELECT 1")])
def test_invalid_limits_fall_back_to_the_defaults_with_a_message(memory, threads):
    limits = db.limits(memory, threads)
    assert (limits.memory_limit, limits.threads) == ("1GB", 2)
    fr = " ".join(p[0] for p in limits.problems)
    en = " ".join(p[1] for p in limits.problems)
    assert f"« {memory} »" in fr and f"« {threads} »" in fr and "1GB utilisé" in fr
    assert f"“{memory}”" in en and "using 2" in en


def test_the_app_opens_the_database_with_the_configured_limits(monkeypatch, reference_db_path, tmp_path):
    from dashboard.ui import database

    live = tmp_path / "limits.duckdb"  # a path of its own: the server's connection is per path
    shutil.copyfile(reference_db_path, live)
    monkeypatch.setenv("QMI_DUCKDB_MEMORY_LIMIT", "700MiB")
    monkeypatch.setenv("QMI_DUCKDB_THREADS", "3")
    at = app_test(monkeypatch, live).run()
    serves_data(at)
    assert settings(database.connection()) == ("700.0 MiB", 3)


def test_limits_from_secrets_and_a_bad_value_is_logged(monkeypatch, reference_db_path, tmp_path, caplog):
    from dashboard.ui import database

    live = tmp_path / "secrets.duckdb"
    shutil.copyfile(reference_db_path, live)
    monkeypatch.delenv("QMI_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("QMI_DUCKDB_THREADS", raising=False)
    at = app_test(monkeypatch, live, secrets={"duckdb": {"memory_limit": "600MiB", "threads": "beaucoup"}})
    with caplog.at_level(logging.WARNING, logger="qmi"):
        at.run()
    serves_data(at)
    with database._open_connections()["lock"]:
        con = database._open_connections()["by_path"][str(live)][1]
    assert settings(con) == ("600.0 MiB", 2)
    assert "nombre de threads DuckDB « beaucoup » non compris" in caplog.text
    assert "DuckDB thread count “beaucoup” not understood" in caplog.text


@pytest.mark.parametrize("statement", [
    "CREATE TABLE intrus (i INTEGER)",
    "INSERT INTO meta VALUES ('intrus', 'oui')",
    "UPDATE projects SET name = 'x'",
    "DELETE FROM projects",
    "DROP TABLE projects",
    "ALTER TABLE projects ADD COLUMN intrus INTEGER",
    "CREATE VIEW intrus AS SELECT 1",
])
def test_a_write_through_the_apps_connection_is_refused(monkeypatch, reference_db_path, tmp_path, statement):
    from dashboard.ui import database

    live = tmp_path / "qmi.duckdb"
    shutil.copyfile(reference_db_path, live)
    before = (sha256(live), live.stat().st_mtime_ns)
    monkeypatch.setenv("QMI_DB", str(live))
    con = database.connection()
    with pytest.raises(duckdb.Error, match="read-only|read only"):
        db.execute(con, statement)
    with pytest.raises(duckdb.Error, match="read-only|read only"):
        con.execute(statement)  # the connection itself, not only its cursors
    for flush in ("CHECKPOINT", "FORCE CHECKPOINT", "CHECKPOINT qmi"):  # nothing to write: refused or a no-op
        try:
            db.execute(con, flush)
        except duckdb.Error:
            pass
    assert db.fetch_value(con, "SELECT count(*) FROM projects") == 28
    assert (sha256(live), live.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qmi.duckdb"]


def test_every_page_leaves_the_file_as_it_was(app, reference_db_path, tmp_path):
    live = tmp_path / "qmi.duckdb"
    shutil.copyfile(reference_db_path, live)
    before = (sha256(live), live.stat().st_mtime_ns)
    at = app(live, edition="1")
    for page in registry.FILES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
    assert (sha256(live), live.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qmi.duckdb"]  # no .wal, no .tmp folder


def test_a_new_version_does_not_break_a_query_running_on_the_old_one(reference_db_path, demo_db_path, tmp_path):
    """The old version's connection is left to finish its queries, not closed under them."""
    live = tmp_path / "qmi.duckdb"
    shutil.copyfile(reference_db_path, live)
    old = db.open_for_reading(live)
    cursor = old.cursor()
    running = cursor.execute("SELECT count(*) FROM projects")
    publish(demo_db_path, live)
    new = db.open_for_reading(live)
    assert running.fetchone()[0] == 28  # still the old version's answer
    assert db.fetch_value(old, "SELECT value FROM meta WHERE key = 'synthetic'") == "false"
    assert db.fetch_value(new, "SELECT value FROM meta WHERE key = 'synthetic'") == "true"
    old.close()
    new.close()


def test_a_database_built_before_the_rollups_asks_for_a_rebuild(reference_db_path, tmp_path):
    import shutil

    import duckdb

    old = tmp_path / "ancienne.duckdb"
    shutil.copy(reference_db_path, old)
    with duckdb.connect(str(old)) as con:
        for table in ("indicator_monthly", "kpi_values", "kpi_keys"):
            con.execute(f"DROP TABLE {table}")
    with pytest.raises(db.DatabaseUnavailable) as raised:
        db.open_for_reading(old)
    assert raised.value.reason == "outdated" and "indicator_monthly" in raised.value.detail


def test_a_database_built_before_the_documents_tables_asks_for_a_rebuild(reference_db_path, tmp_path):
    import shutil

    import duckdb

    old = tmp_path / "ancienne.duckdb"
    shutil.copy(reference_db_path, old)
    with duckdb.connect(str(old)) as con:
        for table in ("aliases", "contradictions"):  # the Projets page reads aliases: fail here, not there
            con.execute(f"DROP TABLE {table}")
    with pytest.raises(db.DatabaseUnavailable) as raised:
        db.open_for_reading(old)
    assert raised.value.reason == "outdated" and raised.value.detail == "aliases, contradictions"
