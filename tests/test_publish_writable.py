"""Publishing when a file beside the database cannot be written: a clear refusal before anything is published,
or, if the audit log fails after the swap, a published version that is recorded and a next import that catches
the log up. Tests run as root, where chmod stops nothing: files are made immutable (chattr +i) instead."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qmi_metrics.admin import publishing, readers
from qmi_metrics.store import db

REPO = Path(__file__).resolve().parent.parent
EVENTS = "project_id,kind,date_start,date_precision\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*args):
    return subprocess.run([sys.executable, "-m", "qmi_metrics", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def database(reference_db_path, tmp_path) -> Path:
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "qmi.duckdb"
    shutil.copyfile(reference_db_path, path)
    return path


@pytest.fixture
def unwritable():
    """Make a path really unwritable for this process (root included); undone after the test."""
    made = []

    def make(path: Path) -> None:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
        made.append(path)
        with pytest.raises(OSError):  # the point of the test: writing there does fail
            if path.is_dir():
                (path / "probe").write_text("x")
            else:
                path.open("a").close()
    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)


def event_file(folder: Path, name: str, project: str, month: str) -> Path:
    path = folder / name
    path.write_text(EVENTS + f"{project},deployed,2024-{month}-01,month\n", encoding="utf-8")
    return path


def publish(db_path: Path, path: Path) -> publishing.Result:
    return publishing.publish_import(db_path, readers.read_file(path, table="project_events"), "project_events",
                                     "append", by="test")


def state(db_path: Path) -> tuple:
    folder = db_path.parent
    return (sha256(db_path), sorted(p.name for p in (folder / "versions").glob("*")) if (folder / "versions").is_dir()
            else None, sorted(p.name for p in folder.iterdir()))


def assert_refused(done, db_path: Path, before: tuple, what_fr: str, path: Path) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert f"impossible d'écrire {what_fr} {path}" in done.stderr and "rien n'a été publié" in done.stderr
    assert "nothing was published" in done.stderr
    assert state(db_path) == before  # nothing published, no file left behind


def test_a_read_only_audit_log_refuses_before_publishing_then_the_import_works(database, tmp_path, unwritable):
    publish(database, event_file(tmp_path, "first.csv", "faradae", "02"))
    audit = publishing.audit_path(database)
    unwritable(audit)
    before = state(database)
    done = run("import", event_file(tmp_path, "second.csv", "soy-pv", "09"), "--table", "project_events",
               "--db", database)
    assert_refused(done, database, before, "le journal d'audit", audit)
    assert "Operation not permitted" in done.stderr or "Permission denied" in done.stderr
    assert "rendez-le accessible en écriture à l'utilisateur" in done.stderr and "make it writable" in done.stderr
    subprocess.run(["chattr", "-i", str(audit)], check=False, capture_output=True)
    audit.chmod(0o644)
    again = run("import", tmp_path / "second.csv", "--table", "project_events", "--db", database)
    assert again.returncode == 0, again.stderr
    assert [e["file"] for e in publishing._read_audit_file(database)] == ["first.csv", "second.csv"]


def test_an_audit_log_that_is_a_folder_is_named(database, tmp_path):
    audit = publishing.audit_path(database)
    audit.mkdir()
    before = state(database)
    done = run("import", event_file(tmp_path, "first.csv", "faradae", "02"), "--table", "project_events",
               "--db", database)
    assert_refused(done, database, before, "le journal d'audit", audit)
    assert "(c'est un dossier) : rien n'a été publié ; remplacez-le par un fichier ou supprimez-le" in done.stderr
    # history still answers, from the database's own audit table, and says why the log was not read
    shown = run("history", "--db", database, "--format", "json")
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    assert "journal d'audit illisible" in shown.stderr and json.loads(shown.stdout)


def test_a_read_only_versions_folder_refuses_before_publishing(database, tmp_path, unwritable):
    publish(database, event_file(tmp_path, "first.csv", "faradae", "02"))
    versions = publishing.versions_dir(database)
    unwritable(versions)
    before = state(database)
    done = run("import", event_file(tmp_path, "second.csv", "soy-pv", "09"), "--table", "project_events",
               "--db", database)
    assert_refused(done, database, before, "le dossier des versions gardées", versions)


def test_a_read_only_lock_file_refuses_before_publishing(database, tmp_path, unwritable):
    lock = publishing.lock_path(database)
    lock.write_text("")
    unwritable(lock)
    before = state(database)
    done = run("import", event_file(tmp_path, "first.csv", "faradae", "02"), "--table", "project_events",
               "--db", database)
    assert_refused(done, database, before, "le verrou des imports", lock)


def test_a_read_only_database_folder_refuses_before_publishing(database, tmp_path, unwritable):
    unwritable(database.parent)
    before = state(database)
    done = run("import", event_file(tmp_path, "first.csv", "faradae", "02"), "--table", "project_events",
               "--db", database)
    assert_refused(done, database, before, "le dossier de la base", database.parent)


def test_a_rollback_with_a_read_only_audit_log_is_refused(database, tmp_path, unwritable):
    first = publish(database, event_file(tmp_path, "first.csv", "faradae", "02"))
    publish(database, event_file(tmp_path, "second.csv", "soy-pv", "09"))
    audit = publishing.audit_path(database)
    unwritable(audit)
    before = state(database)
    done = run("rollback", first.version, "--db", database)
    assert_refused(done, database, before, "le journal d'audit", audit)


def test_an_audit_append_failing_after_the_swap_is_reported_and_caught_up(database, tmp_path, monkeypatch):
    """The version is live and its entry inside it: said so, no exception, and the next import fills the log."""
    real_append = publishing._append_audit

    def failing(db_path, entry):
        raise PermissionError(errno.EACCES, "Permission denied", str(publishing.audit_path(db_path)))
    monkeypatch.setattr(publishing, "_append_audit", failing)
    first = publish(database, event_file(tmp_path, "first.csv", "faradae", "02"))
    assert first.audit_error and "publiée et enregistrée dans la base (table audit_log)" in first.audit_error
    assert "the next import or rollback will catch it up" in first.audit_error
    with db.connect(database) as con:
        assert db.meta(con)["version"] == first.version
        assert db.fetch_value(con, "SELECT count(*) FROM audit_log WHERE version = $v", {"v": first.version}) == 1
    assert not publishing._read_audit_file(database)  # the file is behind the database

    monkeypatch.setattr(publishing, "_append_audit", real_append)
    second = publish(database, event_file(tmp_path, "second.csv", "soy-pv", "09"))
    assert second.audit_error is None and second.previous_version == first.version
    lines = [json.loads(line) for line in publishing.audit_path(database).read_text(encoding="utf-8").splitlines()]
    assert [(e["file"], e["version"]) for e in lines] == [("first.csv", first.version), ("second.csv", second.version)]
