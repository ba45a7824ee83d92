"""Open data (issue 15, part 2): `export-opendata` writes the public tables as a Frictionless data package that
frictionless validates (every resource against its Table Schema, keys and references included), that reads back
into DuckDB as the same rows, that says nothing about people, and that a synthetic database never produces; the
Sources page offers it as a zip."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import frictionless
import openpyxl
import pytest
from helpers import open_page

from qmi_metrics import cli
from qmi_metrics.admin import catalogue, columns, publishing, readers
from qmi_metrics.outputs import opendata
from qmi_metrics.store import db, loader

DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE", "boolean": "BOOLEAN"}
IMPORTER = "alice.secrete@example.org"


@pytest.fixture(scope="module")
def package(reference_db_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("opendata") / "paquet"
    assert cli.main(["export-opendata", "--db", str(reference_db_path), "--out", str(out)]) == 0
    return out


def test_every_table_is_declared_open_data_or_withheld_once():
    tables = set(catalogue.schema_tables())
    public, withheld = set(catalogue.OPEN_DATA_TABLES), set(catalogue.WITHHELD_TABLES)
    assert public | withheld == tables and not public & withheld
    assert {"audit_log", "meta"} <= withheld
    # Load order, so that a table comes after those it references.
    assert list(catalogue.OPEN_DATA_TABLES) == [t for t in loader.TABLES if t in public]


def test_every_public_column_has_a_french_title_and_description_from_the_column_docs():
    for table in catalogue.OPEN_DATA_TABLES:
        schema = opendata.table_schema(table)
        assert [f["name"] for f in schema["fields"]] == list(catalogue.table_schema(table).names), table
        for spec in schema["fields"]:
            documented = columns.doc(table, spec["name"])
            assert spec["title"] == documented.title_fr and len(spec["title"]) >= 3, (table, spec["name"])
            assert spec["description"].startswith(documented.published_fr or documented.description_fr)
    # What the import accepts is not what is published: the published description says what the cell holds.
    assert "ou nom" in columns.doc("projects", "insee").description_fr
    assert "ou nom" not in opendata.field("projects", catalogue.table_schema("projects").column("insee"))["description"]


def test_every_public_column_s_allowed_values_are_its_schema_check():
    """The schema's enum is the column docs' `allowed`: it must be schema.sql's CHECK, value for value."""
    for table in catalogue.OPEN_DATA_TABLES:
        checks = {}
        for expression in catalogue.table_schema(table).checks:
            for column, values in re.findall(r'"?(\w+)"? IN \(([^)]*)\)', expression):
                checks[column] = tuple(v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", values))
        enums = {f["name"]: tuple(f["constraints"]["enum"]) for f in opendata.table_schema(table)["fields"]
                 if "enum" in f.get("constraints", {})}
        assert enums == checks, table


def test_frictionless_validates_the_package_of_the_reference_database(package, reference_con):
    report = frictionless.validate(package / "datapackage.json")
    assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "note"])[:10]
    assert [task.name for task in report.tasks] == list(catalogue.OPEN_DATA_TABLES)
    # Every row was read and checked (an empty table reports no count).
    assert {task.name: task.stats.get("rows", 0) for task in report.tasks} == {
        table: db.count_rows(reference_con, table) for table in catalogue.OPEN_DATA_TABLES}


def test_frictionless_catches_a_broken_reference_and_a_broken_constraint(package, tmp_path):
    """The validation is real: a value outside its schema, or pointing at no row, makes the package invalid."""
    broken = tmp_path / "paquet"
    shutil.copytree(package, broken)
    projects = (broken / "projects.csv").read_text(encoding="utf-8").replace(",rapport_2025,", ",inconnue,", 1)
    (broken / "projects.csv").write_text(projects, encoding="utf-8")
    communes = (broken / "communes.csv").read_text(encoding="utf-8").replace(",2103778,", ",-3,", 1)
    (broken / "communes.csv").write_text(communes, encoding="utf-8")
    report = frictionless.validate(broken / "datapackage.json")
    errors = {(task.name, error.type) for task in report.tasks for error in task.errors}
    assert errors == {("projects", "foreign-key"), ("communes", "constraint-error")}


def test_the_package_descriptor_says_licence_sources_and_version(package, reference_con):
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["licenses"] == [{"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence version 2.0",
                                       "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}]
    assert descriptor["title"] and descriptor["description"]
    assert descriptor["version"] == db.publication(reference_con).version
    titles = [s["title"] for s in descriptor["sources"]]
    assert len(titles) == db.count_rows(reference_con, "sources")
    assert any(t.startswith("Retours d'expérimentations") and "2025" in t for t in titles)
    for resource in descriptor["resources"]:
        assert json.loads((package / resource["schema"]).read_text(encoding="utf-8"))["fields"]
        assert resource["title"] == catalogue.OPEN_DATA_TABLES[resource["name"]][0]


def test_the_csv_files_follow_the_french_open_data_conventions(package):
    communes = (package / "communes.csv").read_bytes()
    assert not communes.startswith(b"\xef\xbb\xbf") and communes.decode("utf-8").startswith("insee,name,")
    assert ",75001|75002|75003|" in communes.decode("utf-8")  # several values: | between them
    milestones = (package / "milestones.csv").read_text(encoding="utf-8")
    assert ",2023-04-04,," in milestones and ",false," in milestones  # ISO 8601 dates, booleans as words
    surveys = (package / "surveys.csv").read_text(encoding="utf-8")
    assert ",0.8,ratio," in surveys  # a decimal point, never a comma


def test_the_csv_read_back_with_its_schema_gives_the_database_rows(package, reference_con):
    with duckdb.connect() as back:
        for table in catalogue.OPEN_DATA_TABLES:
            schema = json.loads((package / "schemas" / f"{table}.json").read_text(encoding="utf-8"))
            types = {f["name"]: DUCKDB_TYPES[f["type"]] for f in schema["fields"]}
            back.execute(f"CREATE TABLE {db.quote_identifier(table)} AS SELECT * FROM read_csv($path, header = true,"
                         " columns = $types, delim = ',', quote = '\"', escape = '\"')",
                         {"path": str(package / f"{table}.csv"), "types": types})
            spec = catalogue.table_schema(table)
            separators = {c: columns.doc(table, c).separator for c in spec.names if columns.doc(table, c).separator}
            read = [tuple(v.replace(opendata.SEPARATOR, separators[c]) if c in separators and v else v
                          for c, v in zip(spec.names, row))
                    for row in db.fetch_columns(back, table, spec.names)]
            stored = db.fetch_columns(reference_con, table, spec.names)
            assert sorted(read, key=repr) == sorted(stored, key=repr), table
            assert len(read) == db.count_rows(reference_con, table)


def test_a_synthetic_database_is_refused(demo_db_path, tmp_path, capsys):
    out = tmp_path / "paquet"
    assert cli.main(["export-opendata", "--db", str(demo_db_path), "--out", str(out)]) == cli.EXIT_BAD_INPUT
    error = capsys.readouterr().err
    assert "Base synthétique" in error and "pas des données ouvertes" in error and "rien n'est écrit" in error
    assert not out.exists()


def test_a_folder_that_is_not_an_export_is_not_overwritten(reference_db_path, tmp_path, capsys):
    out = tmp_path / "mes documents"
    out.mkdir()
    (out / "lettre.txt").write_text("à garder")
    assert cli.main(["export-opendata", "--db", str(reference_db_path), "--out", str(out)]) == cli.EXIT_BAD_INPUT
    assert "n'est pas un export" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["lettre.txt"]


def _texts(folder: Path) -> dict[str, str]:
    """Every file of the package as text, the workbook's XML parts included."""
    found = {}
    for path in folder.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                found |= {f"{path.name}:{n}": book.read(n).decode("utf-8") for n in book.namelist()}
        elif path.is_file():
            found[path.name] = path.read_text(encoding="utf-8")
    return found


def test_nothing_about_people_in_any_file(reference_db_path, tmp_path):
    """After a manager's import (the audit log and the import's source row name who), the package holds neither
    that name, nor the audit log, nor any column of it, nor anything about accounts."""
    path = tmp_path / "qmi.duckdb"
    shutil.copyfile(reference_db_path, path)
    publishing.publish_import(path, readers.read_file(
        b"project_id;indicator_id;measured_on;value\npelican;marchandises-transportees;2024-03-15;800\n",
        "mesures.csv", "indicator_values"), "indicator_values", by=IMPORTER)
    with db.connect(path) as con:
        assert db.fetch_value(con, "SELECT count(*) FROM sources WHERE publisher = $who", {"who": IMPORTER}) == 1
    out = tmp_path / "paquet"
    assert cli.main(["export-opendata", "--db", str(path), "--out", str(out)]) == 0
    texts = _texts(out)
    for name, text in texts.items():
        lowered = text.lower()
        for word in (IMPORTER, "alice", "audit_log", "by_user", "by_role", "by_scope", "password", "mot de passe",
                     "argon2", "signin"):
            assert word not in lowered, (name, word)
    # No column of a withheld table is published under its name (the ones public tables share aside).
    withheld_columns = {c for t in catalogue.WITHHELD_TABLES for c in catalogue.table_schema(t).names} - {
        c for t in catalogue.OPEN_DATA_TABLES for c in catalogue.table_schema(t).names}
    published = {f["name"] for path in (out / "schemas").iterdir()
                 for f in json.loads(path.read_text(encoding="utf-8"))["fields"]}
    assert {"by_user", "logged_at", "file_sha256"} <= withheld_columns and not withheld_columns & published
    # The import itself is open data: its measurement and its file's source row, without who imported it.
    assert "pelican,marchandises-transportees,2024-03-15,800.0,import-" in texts["indicator_values.csv"]
    source = next(line for line in texts["sources.csv"].splitlines() if line.startswith("import-"))
    assert ",import,Import « mesures.csv » (indicator_values),," in source


def test_excel_fr_has_one_sheet_per_table_real_dates_and_inert_texts(package, reference_con):
    book = openpyxl.load_workbook(package / opendata.EXCEL_FR)
    assert book.sheetnames == [*catalogue.OPEN_DATA_TABLES, "colonnes", "à propos"]
    milestones = book["milestones"]
    header = [c.value for c in milestones[1]]
    walk = next(row for row in milestones.iter_rows(min_row=2) if row[0].value == "e1_balade_urbaine")
    day = walk[header.index("date_start")]
    assert day.is_date and day.value.date() == date(2023, 4, 4) and day.number_format == "DD/MM/YYYY"
    surveys = book["surveys"]
    motive = next(row for row in surveys.iter_rows(min_row=2) if row[0].value == "e1_motif_1_innovations_locales")
    assert motive[[c.value for c in surveys[1]].index("value")].value == 0.8  # a number, not a text
    # A quote that starts with + (« +360 marques d'intérêt … ») is written as text, never as a formula.
    figures = book["published_figures"]
    quotes = [row[0].value for row in figures.iter_rows(min_row=2, min_col=[c.value for c in figures[1]].index("quote") + 1)]
    assert "'+360 marques d'intérêt pour 170 candidatures" in " ".join(q for q in quotes if q)
    assert not any(cell.data_type == "f" for sheet in book for row in sheet.iter_rows() for cell in row)
    # The CSV keeps the quote as it is: programs read it, and the schema describes it.
    assert ',"+360 marques' in (package / "published_figures.csv").read_text(encoding="utf-8")
    assert [r[0].value for r in book["à propos"].iter_rows()][2].startswith("Licence : Licence Ouverte")




def test_the_sources_page_offers_the_package(monkeypatch, reference_db_path, downloads):
    at = open_page(monkeypatch, reference_db_path, "sources")
    assert not at.exception, at.exception
    assert "Données ouvertes" in [h.value for h in at.header]
    data = downloads["qmi-donnees-ouvertes.zip"]
    assert callable(data)  # built on click, not on every run of the page
    with zipfile.ZipFile(io.BytesIO(data())) as archive:
        names = set(archive.namelist())
        assert {"datapackage.json", opendata.EXCEL_FR} <= names
        assert {f"{t}.csv" for t in catalogue.OPEN_DATA_TABLES} | {
            f"schemas/{t}.json" for t in catalogue.OPEN_DATA_TABLES} <= names
        with db.connect(reference_db_path) as con:
            assert archive.read("projects.csv") == opendata.files(con)["projects.csv"]


def test_the_sources_page_of_a_synthetic_database_offers_no_package(monkeypatch, demo_db_path, downloads):
    at = open_page(monkeypatch, demo_db_path, "sources")
    assert not at.exception, at.exception
    assert "qmi-donnees-ouvertes.zip" not in downloads
    assert any("ce ne sont pas des données ouvertes" in i.value for i in at.info)
