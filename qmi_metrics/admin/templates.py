"""Empty templates a manager fills in: .xlsx (the table's sheet, « Colonnes », « Références ») or .csv
(with <name>.colonnes.csv beside it)."""

from __future__ import annotations

import csv
from pathlib import Path

from qmi_metrics.admin.catalogue import IMPORTABLE_TABLES, PROVENANCE_COLUMNS, REFERENCE_LABELS, table_schema
from qmi_metrics.admin.columns import column_descriptions, doc, is_required
from qmi_metrics.admin.problems import readable
from qmi_metrics.admin.rules import commune_tables, place
from qmi_metrics.outputs.spreadsheet import neutralise
from qmi_metrics.store import db

EXAMPLE_MARK = "EXEMPLE —"
COLUMNS_SHEET = "Colonnes"
REFERENCES_SHEET = "Références"


def example_row(table: str) -> list:
    """The template's example row: its first cell starts with EXEMPLE — so the import skips it."""
    spec = table_schema(table)
    values = [doc(table, c.name).example for c in spec.columns]
    values[0] = f"{EXAMPLE_MARK} {values[0]}"
    return ["" if v is None else v for v in values]


def write_template(table: str, out: Path, con=None, scope: frozenset[str] | None = None) -> list[Path]:
    """An empty template for a table: .xlsx (data + Colonnes sheets) or .csv (+ <name>.colonnes.csv).

    With a connection, the xlsx also lists the identifiers the foreign keys accept (Références). With a commune
    editor's scope (and a connection) the xlsx is pre-filled with its communes' rows, to correct and import again
    in upsert mode, and its Références list only its communes and their projects."""
    out = Path(out)
    if table not in IMPORTABLE_TABLES:
        raise ValueError(f"table non importable / table not importable: {table}")
    if scope is not None and table not in commune_tables():
        raise ValueError(f"table de tout le programme, sans ligne de commune / a table of the whole programme, with"
                         f" no commune's rows: {table}")
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx_template(table, out, con, scope)
        return [out]
    if scope is not None:
        raise ValueError("un modèle prérempli est un .xlsx / a pre-filled template is an .xlsx")
    if suffix == ".csv":
        return _write_csv_template(table, out)
    raise ValueError("extension attendue : .xlsx ou .csv / expected extension: .xlsx or .csv")


def _write_csv_template(table: str, out: Path) -> list[Path]:
    # UTF-8 with BOM and ';': what French Excel opens in columns, accents intact.
    spec = table_schema(table)
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(spec.names)
        writer.writerow([neutralise(readable(v) or "") for v in example_row(table)])
    columns_path = out.with_name(out.stem + ".colonnes.csv")
    descriptions = column_descriptions(table)
    with columns_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(descriptions[0]), delimiter=";")
        writer.writeheader()
        writer.writerows({k: neutralise(v) for k, v in row.items()} for row in descriptions)
    return [out, columns_path]


def scoped_rows(con, table: str, scope: frozenset[str]) -> list[dict]:
    """The table's rows of these communes, by the rule the import checks (rules.place), in key order."""
    spec = table_schema(table)
    projects = dict(db.fetch_columns(con, "projects", ("project_id", "insee")))
    rows = db.fetch_table(con, table, order_by=spec.primary_key)
    return [row for row in rows if place(table, row, projects)[1] in scope]


def _write_xlsx_template(table: str, out: Path, con=None, scope: frozenset[str] | None = None) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = table_schema(table)
    book = Workbook()
    sheet = book.active
    sheet.title = table
    sheet.append(list(spec.names))
    sheet.append([neutralise(v) for v in example_row(table)])
    sheet.freeze_panes = "A2"
    grey = PatternFill("solid", fgColor="EEEEEE")
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        header, example = sheet.cell(1, index), sheet.cell(2, index)
        header.font = Font(bold=True, color="FFFFFF" if is_required(table, column.name) else "000000")
        header.fill = PatternFill("solid", fgColor="1F4E79" if is_required(table, column.name) else "BDD7EE")
        header.comment = Comment(doc(table, column.name).description_fr, "QMI")
        example.font, example.fill = Font(italic=True, color="666666"), grey
        sheet.column_dimensions[letter].width = max(14, min(40, len(column.name) + 6))
        if column.sql_type == "VARCHAR":  # codes like 92048 stay text, not numbers (a column style: no empty cells)
            sheet.column_dimensions[letter].number_format = "@"
        documented = doc(table, column.name)
        if documented.allowed:
            validation = DataValidation(type="list", formula1='"' + ",".join(documented.allowed) + '"',
                                        allow_blank=True, showErrorMessage=False)
            validation.add(f"{letter}3:{letter}1000")
            sheet.add_data_validation(validation)
    sheet.cell(2, 1).comment = Comment("Ligne d'exemple : l'import l'ignore tant que la première cellule commence"
                                       f" par « {EXAMPLE_MARK} ». Remplacez-la ou laissez-la.", "QMI")
    if scope is not None and con is not None:
        # Provenance left empty: a row imported back unchanged keeps its own, a corrected one is this file's.
        for row in scoped_rows(con, table, scope):
            sheet.append([None if c in PROVENANCE_COLUMNS else neutralise(row[c]) for c in spec.names])
    _write_columns_sheet(book.create_sheet(COLUMNS_SHEET), table)
    if con is not None:
        _write_references_sheet(book.create_sheet(REFERENCES_SHEET), table, con, scope)
    book.save(out)


def _write_columns_sheet(sheet, table: str) -> None:
    from openpyxl.styles import Alignment, Font

    descriptions = column_descriptions(table)
    sheet.append(list(descriptions[0]))
    for row in descriptions:
        sheet.append([neutralise(v) for v in row.values()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (18, 70, 28, 22, 50, 22)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.append([])
    sheet.append(["Dates : JJ/MM/AAAA ou AAAA-MM-JJ. Nombres : virgule décimale, espaces entre les milliers"
                  " (1 234,5). Les formules sont refusées : saisissez les valeurs."])


def _write_references_sheet(sheet, table: str, con, scope: frozenset[str] | None = None) -> None:
    """The identifiers each foreign key accepts today, so a manager can copy them (a commune editor: its communes
    and their projects only)."""
    from openpyxl.styles import Font

    column_index = 1
    for column, ref_table, ref_column in table_schema(table).foreign_keys:
        if ref_table == "sources" and column == "source_id":
            continue
        labels = REFERENCE_LABELS.get(ref_table, ())[:1]
        rows = db.fetch_columns(con, ref_table, (ref_column, *labels), ordered=True)
        if scope is not None and ref_table in ("communes", "projects"):
            mine = {row[ref_column] for row in scoped_rows(con, ref_table, scope)}
            rows = [row for row in rows if row[0] in mine]
        sheet.cell(1, column_index, f"{column} ({ref_table})").font = Font(bold=True)
        for row_index, row in enumerate(rows, start=2):
            for offset, value in enumerate(row):
                sheet.cell(row_index, column_index + offset, neutralise(value))  # data text: never a formula
        column_index += len(labels) + 2
