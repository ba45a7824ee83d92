"""Importing managers' data: templates, validation of whole files, atomic publishing, audit, rollback.

The CLI runs in subprocesses (as a manager would run it); the big, binary and xlsx files are made
here, in tmp_path. Every rejected file must leave the database byte-for-byte as it was."""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from qmi_metrics.admin import catalogue, columns, importing, publishing, readers, templates
from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.store import db, loader

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "import_corpus"
DAYS_PER_MONTH = 30.4375  # views.sql: months between two dates = days / 30.4375


# --- helpers ----------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "qmi_metrics", *map(str, args)]


def run(*args, env=None, timeout=120):
    return subprocess.run(cli(*args), cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def start(*args, env=None):
    return subprocess.Popen(cli(*args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def fresh_db(reference_db_path: Path, folder: Path) -> Path:
    """A private copy of a database loader.build made, alone in its folder (versions/, audit.jsonl)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "qmi.duckdb"
    shutil.copyfile(reference_db_path, path)
    return path


def kpi_values(db_path: Path, edition: int | None = 1) -> dict[str, tuple]:
    with db.connect(db_path) as con:
        return {r.id: (r.value, r.covered, r.total) for r in kpis.compute_all(con, Filters(edition=edition))}


def meta(db_path: Path) -> dict:
    with db.connect(db_path) as con:
        return db.meta(con)


def fetch(db_path: Path, sql: str, params=None) -> list[dict]:
    with db.connect(db_path) as con:
        return db.fetch_rows(con, sql, params)


def stderr_problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " / " in line and " — " in line]


# --- the bad-file corpus: all run at once, each against its own copy of the database ----------

BAD_FILES = {
    # name: (table, mode, substrings the report must contain)
    "wrong_delimiter.csv": ("project_events", "append", ["toutes les valeurs sont dans une seule colonne",
                                                         "everything is in one column"]),
    "missing_column.csv": ("project_events", "append", ["missing_column.csv, ligne 1, colonne « project_id »",
                                                        "colonne obligatoire absente", "required column missing"]),
    "extra_column.csv": ("project_events", "append", ["ligne 1, colonne « couleur » : valeur « couleur »",
                                                      "colonne inconnue", "unknown column"]),
    "bad_date.csv": ("project_events", "append", ["bad_date.csv, ligne 3, colonne « date_start » : valeur « 31/02/2024 »",
                                                  "une date qui existe", "row 3, column 'date_start'"]),
    "bad_number.csv": ("indicator_values", "append", ["ligne 2, colonne « value » : valeur « 12,3,4 »", "un nombre",
                                                      "a number"]),
    "unknown_commune.csv": ("projects", "append", ["ligne 2, colonne « insee » : valeur « Gotham »", "commune inconnue",
                                                   "unknown commune"]),
    "duplicate_key.csv": ("project_events", "append", ["ligne 3, colonne « event_id » : valeur « faradae-deployed »",
                                                       "figure déjà à la ligne 2", "already on row 2"]),
    "empty.csv": ("project_events", "append", ["empty.csv — fichier vide / empty.csv — empty file"]),
    "sql_injection.csv": ("project_events", "append", ["ligne 2, colonne « project_id » : valeur « '; DROP TABLE projects; -- »",
                                                       "projet inconnu", "unknown project"]),
    "formula.csv": ("project_events", "append", ["ligne 2, colonne « source_quote »", "pas une formule", "not a formula"]),
    "out_of_range.csv": ("replicability_scores", "append", [
        "ligne 2, colonne « score » : valeur « 7 » — une valeur d'au plus 5",
        "ligne 3, colonne « scored_on » : valeur « 15/05/2019 » — une date à partir du 01/01/2022",
        "ligne 4, colonne « scored_on » : valeur « 01/01/2099 » — une date passée"]),
    "ratio_above_one.csv": ("indicator_values", "append", ["ligne 2, colonne « value » : valeur « 1,35 »",
                                                           "un taux entre 0 et 1"]),
    # consistency rules (docs/IMPORT.md, « Règles de cohérence »)
    "deployed_before_started.csv": ("project_events", "append", [
        "ligne 2, colonne « date_start » : valeur « 01/03/2023 » — une date qui ne précède pas l'étape « démarré »"
        " (started, dans la base : faradae-started) datée du 01/06/2023", "row 2, column 'date_start'"]),
    "history_backwards.csv": ("project_events", "upsert", [
        "ligne 3, colonne « date_start » : valeur « 15/05/2024 » — une date qui ne précède pas l'étape « déployé »"
        " (deployed, ligne 2) datée du 01/09/2024", "a project's stages follow each other"]),
    "implausible_participants.csv": ("community_events", "append", [
        "ligne 2, colonne « participants » : valeur « 2147483647 » — une valeur plausible, d'au plus 10 000",
        "at most 10,000"]),
    "negative_energy.csv": ("indicator_values", "append", [
        "ligne 2, colonne « value » : valeur « -1 200,5 » — une valeur positive ou nulle : l'unité de l'indicateur"
        " (kWh) ne peut pas être négative", "cannot be negative"]),
    "edition_ended_in_future.csv": ("editions", "append", [
        "ligne 2, colonne « last_year » : valeur « 2100 » — une année au plus égale à", "une édition « terminée »"
        " ne finit pas dans le futur", "does not end in the future"]),
    # made at test time, in tmp_path
    "binary.csv": ("project_events", "append", ["fichier binaire", "binary file"]),
    "big.csv": ("project_events", "append", ["fichier trop volumineux", "limite : 20 Mo", "file too large"]),
    "formula.xlsx": ("project_events", "append", ["feuille « project_events », ligne 3, colonne « date_start »",
                                                  "pas une formule Excel", "not an Excel formula"]),
    "many_errors.csv": ("project_events", "append", ["… et 10 autres erreurs / … and 10 more errors"]),
    "replace_orphans.csv": ("projects", "replace", ["valeur « boucl-energie »", "le mode replace ne peut pas la supprimer"]),
    "append_existing.csv": ("project_events", "append", ["valeur « faradae-started »", "--mode upsert"]),
}


def make_generated_files(folder: Path) -> None:
    # A PNG renamed .csv: NUL bytes and binary noise.
    (folder / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64)
    # 50 MB of otherwise valid rows: refused on its size, before any parsing.
    row = b"faradae-deployed,faradae,deployed,2024-02-01,month\n"
    with (folder / "big.csv").open("wb") as handle:
        handle.write(b"event_id,project_id,kind,date_start,date_precision\n")
        handle.write(row * (50 * 1024 * 1024 // len(row) + 1))
    # An xlsx from the template, one cell of which is a formula.
    templates.write_template("project_events", folder / "formula.xlsx")
    book = openpyxl.load_workbook(folder / "formula.xlsx")
    sheet = book["project_events"]
    sheet.append([None, "faradae", "deployed", "=DATE(2024,2,1)", None, "month"])
    book.save(folder / "formula.xlsx")
    # 60 bad dates: the report stops at 50 and counts the rest.
    lines = ["event_id,project_id,kind,date_start,date_precision"] + [
        f"e{i},faradae,deployed,99/99/{2000 + i},day" for i in range(60)]
    (folder / "many_errors.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Replacing projects by a single one would orphan every other project's events.
    (folder / "replace_orphans.csv").write_text("project_id,edition_id,name\nfaradae,1,Faradae\n", encoding="utf-8")
    (folder / "append_existing.csv").write_text("event_id,project_id,kind,date_start,date_precision\n"
                                                "faradae-started,faradae,started,2023-06-01,month\n", encoding="utf-8")


@pytest.fixture(scope="module")
def bad_runs(reference_db_path, tmp_path_factory):
    """Run the CLI on every bad file at the same time; each result: (process, sha before, sha after, folder)."""
    base = tmp_path_factory.mktemp("bad")
    generated = base / "generated"
    generated.mkdir()
    make_generated_files(generated)
    started = {}
    for name, (table, mode, _) in BAD_FILES.items():
        path = CORPUS / "bad" / name if (CORPUS / "bad" / name).exists() else generated / name
        db_path = fresh_db(reference_db_path, base / name.replace(".", "_"))
        started[name] = (start("import", path, "--table", table, "--mode", mode, "--db", db_path, "--by", "test"),
                         sha256(db_path), db_path)
    results = {}
    for name, (process, before, db_path) in started.items():
        stdout, stderr = process.communicate(timeout=120)
        results[name] = (process.returncode, stdout, stderr, before, sha256(db_path), db_path)
    return results


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_is_rejected_and_nothing_is_written(bad_runs, name):
    returncode, stdout, stderr, before, after, db_path = bad_runs[name]
    assert returncode == 2, (stdout, stderr)
    assert "Traceback" not in stderr
    assert "rien n'a été écrit" in stderr and "nothing was written" in stderr
    for expected in BAD_FILES[name][2]:
        assert expected in stderr, (expected, stderr)
    assert after == before  # byte for byte
    assert not (db_path.parent / "versions").exists() and not (db_path.parent / "audit.jsonl").exists()
    assert not list(db_path.parent.glob("*.tmp*"))


def test_a_report_shows_at_most_50_problems_then_a_count(bad_runs):
    stderr = bad_runs["many_errors.csv"][2]
    assert len(stderr_problem_lines(stderr)) == 50
    assert "ligne 2, colonne « date_start »" in stderr and "ligne 51, colonne « date_start »" in stderr
    assert "ligne 52," not in stderr


def test_the_injection_attempt_left_every_table_in_place(bad_runs):
    db_path = bad_runs["sql_injection.csv"][5]
    assert fetch(db_path, "SELECT count(*) AS n FROM projects") == [{"n": 28}]


# --- good files -------------------------------------------------------------------------------

# Started in June 2023 (month precision) for every edition-1 project; the files date three outcomes.
STARTED = date(2023, 6, 1)
REFERENCE_DEPLOYED = {"purple": date(2024, 11, 1), "source-urbaine": date(2024, 5, 1)}  # month-precise already
IMPORTED_DEPLOYED = {"faradae": date(2024, 2, 1), "soy-pv": date(2024, 9, 1)}


def expected_mean_months(deployed: dict[str, date]) -> float:
    return sum((d - STARTED).days for d in deployed.values()) / len(deployed) / DAYS_PER_MONTH


def make_xlsx_from_template(folder: Path) -> Path:
    """What a manager does: take the template, type the rows under the example, save."""
    path = folder / "project_events.xlsx"
    templates.write_template("project_events", path)
    book = openpyxl.load_workbook(path)
    sheet = book["project_events"]
    for project, kind, day, precision in (("faradae", "déployé", date(2024, 2, 1), "mois"),
                                          ("soy-pv", "deployed", date(2024, 9, 1), "month"),
                                          ("boucl-energie", "arrêté", date(2024, 3, 15), "jour")):
        sheet.append([None, project, kind, day, None, precision, None, None, "Saisi par l'équipe"])
    book.save(path)
    return path


HOSTILE = "'; DROP TABLE projects; --"


def make_upsert_file(folder: Path) -> Path:
    path = folder / "projects.csv"
    path.write_text("project_id;edition_id;name;insee;theme_slug;description_fr\n"
                    "faradae;1;Faradae;Meudon;Adaptation au changement climatique;\n"
                    f"nouveau-projet;2;Nouveau projet;noisy le grand;economie-circulaire;\"{HOSTILE}\"\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def good_runs(reference_db_path, tmp_path_factory):
    """Every good file imported at the same time, each into its own copy of the database."""
    base = tmp_path_factory.mktemp("good")
    good = CORPUS / "good"
    files = {  # name: (path, table, mode)
        "project_events.utf8.csv": (good / "project_events.utf8.csv", "project_events", "append"),
        "project_events.utf8-bom.csv": (good / "project_events.utf8-bom.csv", "project_events", "append"),
        "project_events.cp1252.csv": (good / "project_events.cp1252.csv", "project_events", "append"),
        "project_events.xlsx": (make_xlsx_from_template(base), "project_events", "append"),
        "replicability_scores.cp1252.csv": (good / "replicability_scores.cp1252.csv", "replicability_scores", "append"),
        "indicator_values.nbsp.csv": (good / "indicator_values.nbsp.csv", "indicator_values", "append"),
        "projects.csv": (make_upsert_file(base), "projects", "upsert"),
    }
    started = {}
    for name, (path, table, mode) in files.items():
        db_path = fresh_db(reference_db_path, base / name.replace(".", "_"))
        started[name] = (start("import", path, "--table", table, "--mode", mode, "--db", db_path, "--by", "Camille"),
                         db_path)
    return {name: (process, *process.communicate(timeout=120), db_path) for name, (process, db_path) in started.items()}


def imported(good_runs, name) -> tuple[str, Path]:
    process, stdout, stderr, db_path = good_runs[name]
    assert process.returncode == 0, stderr
    return stdout, db_path


def test_reference_deployment_kpis_before_any_import(reference_db_path):
    values = kpi_values(reference_db_path)
    assert values["deployment_rate"] == (1.0, 7, 28)
    value, covered, total = values["mean_deployment_months"]
    assert (covered, total) == (2, 7) and value == pytest.approx(expected_mean_months(REFERENCE_DEPLOYED))


@pytest.mark.parametrize("name", ["project_events.utf8.csv", "project_events.utf8-bom.csv",
                                  "project_events.cp1252.csv", "project_events.xlsx"])
def test_good_file_imports_and_the_deployment_kpis_move(good_runs, name):
    stdout, db_path = imported(good_runs, name)
    assert re.search(r"project_events\s+3\s+0\s+0\s+0", stdout), stdout
    values = kpi_values(db_path)
    # 7 known outcomes + faradae and soy-pv deployed + boucl-energie stopped: 9 deployed of 10.
    assert values["deployment_rate"] == (pytest.approx(9 / 10), 10, 28)
    assert values["projects_deployed_count"][:2] == (9, 10)
    # Month-precise deployments: purple (17.1 months), source-urbaine (11.0), faradae (8.0), soy-pv (15.0).
    value, covered, total = values["mean_deployment_months"]
    assert (covered, total) == (4, 9)
    assert value == pytest.approx(expected_mean_months({**REFERENCE_DEPLOYED, **IMPORTED_DEPLOYED}))
    assert value == pytest.approx(1557 / 4 / DAYS_PER_MONTH)  # (519 + 335 + 245 + 458) days
    event = fetch(db_path, "SELECT * FROM project_events WHERE event_id = 'faradae-deployed'")[0]
    assert (event["kind"], event["date_start"], event["date_precision"]) == ("deployed", date(2024, 2, 1), "month")
    assert event["source_quote"] in ("Mise en service en février 2024", "Saisi par l'équipe")  # accents intact
    source = fetch(db_path, "SELECT * FROM sources WHERE source_id = $id", {"id": event["source_id"]})[0]
    assert source["kind"] == "import" and source["publisher"] == "Camille" and source["file"] == name


def test_example_row_of_the_template_is_skipped_and_said_so(good_runs):
    stdout, db_path = imported(good_runs, "project_events.xlsx")
    assert "ligne 2 ignorée : ligne d'exemple du modèle" in stdout
    assert not fetch(db_path, "SELECT * FROM project_events WHERE event_id LIKE 'EXEMPLE%'")


def test_decimal_commas_and_labels_in_french_excel_csv(good_runs):
    _, db_path = imported(good_runs, "replicability_scores.cp1252.csv")
    scores = {r["criterion_id"]: r["score"] for r in fetch(db_path, "SELECT * FROM replicability_scores")}
    assert scores == {"ampleur-deploiement": 3.5, "facilite-operationnelle": 4.0, "solidite-financiere": 2.5,
                      "industrialisation": 5.0, "traction-commerciale": 1.0}
    values = kpi_values(db_path, edition=None)
    assert values["replicability_index:faradae"] == (pytest.approx(16 / 5 / 5), 5, 5)  # mean 3.2 out of 5


def test_non_breaking_spaces_in_numbers_are_accepted_and_normalised(good_runs):
    _, db_path = imported(good_runs, "indicator_values.nbsp.csv")
    stored = {(r["project_id"], r["measured_on"]): r["value"] for r in fetch(db_path, "SELECT * FROM indicator_values")}
    assert stored == {("faradae", date(2024, 3, 31)): 1234.5, ("faradae", date(2024, 4, 30)): 2000.0,
                      ("circular-place", date(2024, 3, 31)): 0.35}
    # The publish refreshed the roll-up and the stored KPIs in the same version.
    assert fetch(db_path, "SELECT sum(measurements) AS n FROM indicator_monthly")[0]["n"] == 3
    values = kpi_values(db_path, edition=None)
    assert values["measurements_count"] == (3, 2, 28)


def test_upsert_updates_changed_rows_and_stores_a_hostile_string_verbatim(good_runs):
    stdout, db_path = imported(good_runs, "projects.csv")
    assert re.search(r"projects\s+1\s+1\s+0\s+0", stdout), stdout
    rows = {r["project_id"]: r for r in fetch(db_path, "SELECT * FROM projects")}
    assert len(rows) == 29
    # Names and labels resolved to codes; columns absent from the file kept their values, empty cells emptied them.
    assert rows["faradae"]["theme_slug"] == "adaptation-climat" and rows["faradae"]["operator"] == "Faradae"
    assert rows["faradae"]["description_fr"] is None
    assert rows["nouveau-projet"]["insee"] == "93051" and rows["nouveau-projet"]["operator"] is None
    # A free-text cell is a value, bound as a parameter: stored as typed, nothing else touched.
    assert rows["nouveau-projet"]["description_fr"] == HOSTILE
    assert publishing.verify(db_path) == []
    # The changed rows now come from the imported file; the reference rows keep their own source.
    assert rows["faradae"]["source_id"].startswith("import-") and rows["soy-pv"]["source_id"] == "rapport_2025"


# --- round trip of an export ------------------------------------------------------------------


def test_an_exported_table_imports_back_without_loss(reference_db_path, tmp_path):
    """A page's Excel export (pandas to_excel, same columns as the table) comes back unchanged."""
    db_path = fresh_db(reference_db_path, tmp_path / "roundtrip")
    with db.connect(db_path) as con:
        frame = db.fetch_df(con, "SELECT * FROM projects")
    path = tmp_path / "projets.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="données")
    parsed = readers.read_file(path, table="projects")
    result = publishing.publish_import(db_path, parsed, "projects", "upsert", by="test")
    assert result.counts["projects"].as_dict() == {"added": 0, "updated": 0, "unchanged": 28, "removed": 0}
    assert "sources" not in result.counts
    with db.connect(db_path) as con:
        assert db.fetch_df(con, "SELECT * FROM projects").equals(frame)


# --- crash safety, locking, history, rollback -------------------------------------------------


def wait_for_pause(process) -> str:
    line = process.stderr.readline()
    assert "QMI_TEST_PAUSED" in line, line + process.stderr.read()
    return line


@pytest.mark.parametrize("pause", ["QMI_TEST_PAUSE_AFTER_COPY", "QMI_TEST_PAUSE_BEFORE_REPLACE"])
def test_sigkill_mid_import_leaves_the_previous_version_intact(reference_db_path, tmp_path, pause):
    db_path = fresh_db(reference_db_path, tmp_path / "kill")
    before_sha, before_version = sha256(db_path), meta(db_path)["data_version"]
    process = start("import", CORPUS / "good" / "project_events.utf8.csv", "--table", "project_events",
                    "--db", db_path, env={pause: "60"})
    wait_for_pause(process)
    assert list(db_path.parent.glob("qmi.duckdb.*.tmp"))  # the import was building beside the live file
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    # The live file is the previous version, whole and consistent.
    assert sha256(db_path) == before_sha
    assert meta(db_path)["data_version"] == before_version
    assert publishing.verify(db_path) == []
    # The next import cleans what the killed one left and succeeds.
    done = run("import", CORPUS / "good" / "project_events.utf8.csv", "--table", "project_events", "--db", db_path)
    assert done.returncode == 0, done.stderr
    assert not list(db_path.parent.glob("*.tmp*")) and not list((db_path.parent / "versions").glob("*.tmp"))
    assert meta(db_path)["data_version"] != before_version
    assert kpi_values(db_path)["deployment_rate"][1] == 10


def test_two_imports_at_once_are_serialised_and_the_later_one_wins(reference_db_path, tmp_path):
    db_path = fresh_db(reference_db_path, tmp_path / "concurrent")
    files = {}
    for month in ("02", "04"):
        files[month] = tmp_path / f"faradae-{month}.csv"
        files[month].write_text(f"project_id,kind,date_start,date_precision\nfaradae,deployed,2024-{month}-01,month\n",
                                encoding="utf-8")
    # Each pauses one second while holding the lock, so the two overlap for sure.
    processes = [start("import", path, "--table", "project_events", "--mode", "upsert", "--db", db_path,
                       "--by", f"manager-{month}", env={"QMI_TEST_PAUSE_AFTER_COPY": "1"})
                 for month, path in files.items()]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    entries = publishing.audit_entries(db_path)
    assert [e["action"] for e in entries] == ["import", "import"]
    first, second = entries
    assert second["previous_version"] == first["version"]  # one after the other, not side by side
    assert second["at"] >= first["at"]
    later_month = "02" if second["file"] == "faradae-02.csv" else "04"
    stored = fetch(db_path, "SELECT date_start FROM project_events WHERE event_id = 'faradae-deployed'")
    assert stored == [{"date_start": date(2024, int(later_month), 1)}]
    assert meta(db_path)["data_version"] == second["version"]


def test_an_import_waiting_too_long_for_the_lock_fails_clearly(reference_db_path, tmp_path):
    db_path = fresh_db(reference_db_path, tmp_path / "locked")
    before = sha256(db_path)
    with open(publishing.lock_path(db_path), "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.write("import de test")
        handle.flush()
        done = run("import", CORPUS / "good" / "project_events.utf8.csv", "--table", "project_events",
                   "--db", db_path, "--wait", "0.5")
    assert done.returncode == 3, done.stderr
    assert "un autre import est en cours" in done.stderr and "another import is running" in done.stderr
    assert sha256(db_path) == before


def test_history_and_rollback(reference_db_path, tmp_path):
    db_path = fresh_db(reference_db_path, tmp_path / "history")
    built_version = publishing.current_version(db_path)
    first_file, second_file = tmp_path / "first.csv", tmp_path / "second.csv"
    first_file.write_text("project_id,kind,date_start,date_precision\nfaradae,deployed,2024-02-01,month\n", "utf-8")
    second_file.write_text("project_id,kind,date_start,date_precision\nsoy-pv,stopped,2024-09-01,month\n", "utf-8")

    first = publishing.publish_import(db_path, readers.read_file(first_file, table="project_events"),
                                      "project_events", "append", by="Alice")
    after_first = (meta(db_path), kpi_values(db_path))
    second = publishing.publish_import(db_path, readers.read_file(second_file, table="project_events"),
                                       "project_events", "append", by="Bob", keep=1)  # the build is pruned
    assert built_version < first.version < second.version  # version ids sort in time
    assert first.previous_version == built_version and second.previous_version == first.version
    assert meta(db_path)["data_version"] == second.version and meta(db_path)["synthetic"] == "false"
    assert kpi_values(db_path)["deployment_rate"] != after_first[1]

    listed = run("history", "--db", db_path)
    assert listed.returncode == 0, listed.stderr
    assert first.version in listed.stdout and second.version in listed.stdout and "Alice" in listed.stdout
    versions = publishing.history(db_path)
    assert [v["version"] for v in versions] == [second.version, first.version, built_version]
    assert versions[0]["current"] and versions[0]["by"] == "Bob" and versions[0]["file"] == "second.csv"
    assert versions[1]["changes"]["project_events"] == {"added": 1, "updated": 0, "unchanged": 0, "removed": 0}
    assert versions[2]["action"] == "build"
    assert [v["available"] for v in versions] == [True, True, False]
    assert publishing.archived_versions(db_path) == [first.version]

    done = run("rollback", first.version, "--db", db_path, "--by", "Chloé")
    assert done.returncode == 0, done.stderr
    assert meta(db_path)["data_version"] == after_first[0]["data_version"] == first.version
    restored = kpi_values(db_path)
    assert restored.keys() == after_first[1].keys()
    for kpi_id, (value, covered, total) in after_first[1].items():  # DuckDB may sum in another order
        assert restored[kpi_id] == (pytest.approx(value), covered, total), kpi_id
    assert publishing.current_version(db_path) == first.version
    # The rollback is on the record, in the file and in the restored database.
    entries = publishing.audit_entries(db_path)
    assert [(e["action"], e["by"]) for e in entries] == [("import", "Alice"), ("import", "Bob"), ("rollback", "Chloé")]
    assert entries[-1]["version"] == first.version and entries[-1]["previous_version"] == second.version
    in_database = fetch(db_path, "SELECT action, by_user FROM audit_log ORDER BY logged_at")
    assert [(r["action"], r["by_user"]) for r in in_database] == [("import", "Alice"), ("import", "Bob"),
                                                                    ("rollback", "Chloé")]
    # The replaced version is kept, so the rollback itself can be undone.
    assert second.version in publishing.archived_versions(db_path)
    unknown = run("rollback", "20000101T000000Z-deadbeef", "--db", db_path)
    assert unknown.returncode == 2 and "version inconnue" in unknown.stderr


# --- schema, templates, documentation ---------------------------------------------------------


def test_build_creates_the_audit_table_empty_and_loads_no_csv_into_it(reference_db_path):
    assert "audit_log" not in loader.TABLES
    assert fetch(reference_db_path, "SELECT count(*) AS n FROM audit_log") == [{"n": 0}]


def test_every_column_of_every_importable_table_is_described():
    for table in catalogue.IMPORTABLE_TABLES:
        spec = catalogue.table_schema(table)
        assert set(columns.DOCS[table]) == set(spec.names), table
        for column in spec.names:
            assert len(columns.doc(table, column).description_fr) > 10, (table, column)


def test_documented_allowed_values_are_the_schema_checks():
    for table in catalogue.IMPORTABLE_TABLES:
        checks = {}
        for expression in catalogue.table_schema(table).checks:
            for column, values in re.findall(r"\(?(\w+) IN \(([^)]*)\)", expression):
                checks[column] = tuple(re.findall(r"'((?:[^']|'')*)'", values))
        documented = {c: columns.doc(table, c).allowed for c in columns.DOCS[table] if columns.doc(table, c).allowed}
        assert documented == checks, table


@pytest.mark.parametrize("table", catalogue.IMPORTABLE_TABLES)
def test_xlsx_template_has_the_columns_an_example_and_their_explanations(table, tmp_path, reference_con):
    path = tmp_path / f"{table}.xlsx"
    templates.write_template(table, path, reference_con)
    book = openpyxl.load_workbook(path)
    data, explained = book[table], book["Colonnes"]
    names = list(catalogue.table_schema(table).names)
    assert [c.value for c in data[1]] == names
    assert str(data["A2"].value).startswith("EXEMPLE —")
    explanations = {row[0].value: row for row in explained.iter_rows(min_row=2) if row[0].value in names}
    assert set(explanations) == set(names)
    header = [c.value for c in explained[1]]
    assert header[:5] == ["colonne", "description", "type", "obligatoire", "valeurs possibles"]
    # The template as written imports cleanly: only its example row, which is skipped.
    parsed = readers.read_file(path, table=table)
    assert parsed.notices and not parsed.rows


def test_csv_template_and_its_explanations(tmp_path):
    written = templates.write_template("project_events", tmp_path / "evenements.csv")
    assert [p.name for p in written] == ["evenements.csv", "evenements.colonnes.csv"]
    lines = written[0].read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].split(";") == list(catalogue.table_schema("project_events").names)
    assert lines[1].startswith("EXEMPLE — ")
    explained = written[1].read_text(encoding="utf-8-sig")
    assert "date_precision" in explained and "day (jour), month (mois)" in explained


def test_template_command(tmp_path, reference_db_path):
    done = run("template", "--table", "indicator_values", "--out", tmp_path / "mesures.xlsx", "--db", reference_db_path)
    assert done.returncode == 0, done.stderr
    references = openpyxl.load_workbook(tmp_path / "mesures.xlsx")["Références"]
    assert "faradae" in [c.value for c in next(references.iter_cols(min_col=1, max_col=1))]
    wrong = run("template", "--table", "indicator_values", "--out", tmp_path / "mesures.ods")
    assert wrong.returncode == 2 and ".xlsx ou .csv" in wrong.stderr


def test_a_project_named_by_another_spelling_of_the_documents_lands_on_its_id(reference_con):
    """« Pélican Cycles » (the press release) and « Végétalisation 2e vie » are the projects pelican and
    vegetalisation-2nde-vie (data/aliases.csv); a spelling no document uses is still refused."""
    text = ("project_id;kind;date_start;date_precision\n"
            "Pélican Cycles;déployé;2024-07-01;mois\n"
            "végétalisation 2E VIE;déployé;2024-05-01;mois\n")
    prepared = importing.prepare(reference_con, readers.read_file(text.encode("utf-8"), "saisie.csv", "project_events"),
                                 "project_events")
    assert prepared.ok, [p.message_fr for p in prepared.problems]
    assert [r["project_id"] for r in prepared.records] == ["pelican", "vegetalisation-2nde-vie"]
    assert [r["event_id"] for r in prepared.records] == ["pelican-deployed", "vegetalisation-2nde-vie-deployed"]
    unknown = readers.read_file("project_id;kind\nPelikan Zyklus;déployé\n".encode("utf-8"), "saisie.csv",
                                "project_events")
    refused = importing.validate(reference_con, unknown, "project_events")
    assert [(p.row, p.column) for p in refused] == [(2, "project_id")]
    described = {d["colonne"]: d["valeurs possibles"] for d in columns.column_descriptions("project_events")}
    assert "autre graphie publiée" in described["project_id"]


def test_validation_api_for_the_admin_page(reference_con):
    """What the admin page calls: bytes in, a list of problems with their parts, nothing written."""
    parsed = readers.read_file("project_id;kind;date_start\nGotham;déployé;2024-02-30\n".encode("cp1252"),
                                 "saisie.csv", "project_events")
    problems = importing.validate(reference_con, parsed, "project_events", "append")
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "project_id", "Gotham"), (2, "date_start", "2024-02-30")]
    assert all(p.message_fr and p.message_en and p.expected_fr and p.expected_en for p in problems)
    assert problems[0].as_dict()["message_fr"].startswith("saisie.csv, ligne 2, colonne « project_id »")


def test_a_page_export_imports_back_without_loss(tmp_path, reference_db_path):
    """What the Projets page exports in the template's format comes back unchanged (issue 4, round trip)."""
    import shutil

    import pandas as pd

    from dashboard.ui import widgets
    from qmi_metrics.admin import importing, readers
    from qmi_metrics.metrics.filters import Filters
    from qmi_metrics.reads import queries
    from qmi_metrics.store import db as qdb

    live = tmp_path / "live.duckdb"
    shutil.copy(reference_db_path, live)
    for table in ("projects", "project_events"):
        with qdb.connect(live) as con:
            rows = queries.importable_rows(con, table, Filters(edition=1))
            exported = widgets.to_excel(rows, table)
            parsed = readers.read_file(exported, f"export_{table}.xlsx", table)
            prepared = importing.prepare(con, parsed, table, "upsert")
        assert prepared.ok, [p.message_fr for p in prepared.problems]
        counts = prepared.counts[table].as_dict()
        assert counts == {"added": 0, "updated": 0, "unchanged": len(rows), "removed": 0}, (table, counts)
        assert len(pd.read_excel(io.BytesIO(exported))) == len(rows)
    # An edit made in Excel comes back as exactly one update.
    with qdb.connect(live) as con:
        rows = queries.importable_rows(con, "projects", Filters(edition=1))
        rows.loc[rows["project_id"] == "soy-pv", "theme_slug"] = "Économie circulaire"
        parsed = readers.read_file(widgets.to_excel(rows, "projects"), "export_projects.xlsx", "projects")
        prepared = importing.prepare(con, parsed, "projects", "upsert")
    assert prepared.ok and prepared.counts["projects"].as_dict()["updated"] == 1
