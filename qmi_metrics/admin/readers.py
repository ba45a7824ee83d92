"""Reading a CSV or xlsx file into rows of raw cells; a hostile file is refused after reading little."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qmi_metrics.admin import xlsx_guard
from qmi_metrics.admin.catalogue import schema_tables, table_schema
from qmi_metrics.admin.cells import is_blank
from qmi_metrics.admin.columns import LONG_TEXT
from qmi_metrics.admin.problems import Problem, readable
from qmi_metrics.admin.templates import COLUMNS_SHEET, REFERENCES_SHEET

# What a file may hold, checked while reading so that a hostile file costs little (docs/IMPORT.md, « Limites »).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200                         # cells per row (the widest table has 13 columns)
MAX_CELLS = 2_000_000                     # cells per sheet or CSV (10 per row at MAX_ROWS)
XLSX_LIMITS = xlsx_guard.Limits(
    parts=1000,                           # members of the zip (a workbook has ~15)
    sheet_part_bytes=200 * 2**20,         # one sheet's XML, uncompressed (read as a stream)
    shared_strings_bytes=64 * 2**20,      # xl/sharedStrings.xml: openpyxl keeps every string
    other_part_bytes=10 * 2**20,          # styles, workbook…: parsed whole by openpyxl
    total_bytes=300 * 2**20,              # every member, uncompressed
    ratio=200,                            # uncompressed / compressed, for members over 1 MB
    rows=MAX_ROWS, columns=MAX_COLUMNS, cells=MAX_CELLS,
    text=LONG_TEXT)                       # the longest text any column accepts


@dataclass
class Row:
    number: int                 # as the spreadsheet shows it: the header is row 1
    values: dict[str, Any]      # header name -> cell value (None when empty)


@dataclass
class Parsed:
    filename: str
    table: str | None
    sheet: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    formulas: set = field(default_factory=set)      # (row, header) of cells holding an Excel formula
    problems: list[Problem] = field(default_factory=list)   # the file cannot be read as a table
    notices: list[str] = field(default_factory=list)        # "fr / en" remarks that are not errors
    sha256: str = ""
    size: int = 0
    file_format: str = ""

    def problem(self, expected_fr: str, expected_en: str, row=None, column=None, value=None) -> None:
        self.problems.append(Problem(self.filename, row, column, value, expected_fr, expected_en, self.sheet))


def read_file(source, filename: str | None = None, table: str | None = None) -> Parsed:
    """Read a CSV or xlsx file (a path, bytes or a binary file object, with its file name) into rows of raw cells.

    Never raises for a bad file: what makes it unreadable is in `parsed.problems`."""
    if hasattr(source, "read"):  # an uploaded file
        filename = filename or getattr(source, "name", None)
        source = source.read(MAX_FILE_BYTES + 1)
    path = None if isinstance(source, (bytes, bytearray, memoryview)) else Path(source)
    parsed = Parsed(filename=filename or (path.name if path else "fichier"), table=table)
    data = _load_bytes(parsed, source, path)
    if data is None:
        return parsed
    parsed.size, parsed.sha256 = len(data), hashlib.sha256(data).hexdigest()
    kind = _sniff_kind(parsed, data)
    if kind == "xlsx":
        _read_xlsx(parsed, data)
    elif kind == "csv":
        _read_csv(parsed, data)
    if not parsed.problems:
        _skip_example_rows(parsed)
    return parsed


# What a path that is not a regular file is, for the message (st_mode test, French, English).
_NOT_REGULAR = ((stat.S_ISDIR, "un dossier", "a directory"), (stat.S_ISFIFO, "un tube nommé (FIFO)", "a named pipe (FIFO)"),
                (stat.S_ISCHR, "un périphérique (caractères)", "a character device"),
                (stat.S_ISBLK, "un périphérique (blocs)", "a block device"), (stat.S_ISSOCK, "une socket", "a socket"))


def _too_large(parsed: Parsed, size: int, more: bool = False) -> None:
    megabytes, limit = size / 2**20, MAX_FILE_BYTES / 2**20
    over_fr, over_en = ("plus de ", "over ") if more else ("", "")
    parsed.problem(f"fichier trop volumineux : {over_fr}{megabytes:.1f} Mo (limite : {limit:.0f} Mo) ;".replace(".", ",")
                   + " découpez-le en plusieurs fichiers",
                   f"file too large: {over_en}{megabytes:.1f} MB (limit: {limit:.0f} MB); split it into several files")


def _read_path(parsed: Parsed, path: Path) -> bytes | None:
    """A regular file's bytes, at most MAX_FILE_BYTES + 1 read; anything else is named, never read or waited on."""
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once; fstat then says what was opened.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        parsed.problem(f"fichier introuvable : {path}", f"file not found: {path}")
        return None
    except PermissionError:
        parsed.problem(f"fichier illisible (accès refusé) : {path}", f"file cannot be read (permission denied): {path}")
        return None
    except OSError as error:
        parsed.problem(f"fichier illisible ({error.strerror}) : {path}", f"file cannot be read ({error.strerror}): {path}")
        return None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        kind_fr, kind_en = next(((fr, en) for test, fr, en in _NOT_REGULAR if test(mode)), ("autre chose", "something else"))
        parsed.problem(f"{path} n'est pas un fichier ordinaire : c'est {kind_fr} ; donnez le chemin d'un fichier"
                       " .xlsx ou .csv", f"{path} is not a regular file: it is {kind_en}; give the path of an .xlsx"
                       " or .csv file")
        return None
    with os.fdopen(descriptor, "rb", buffering=0) as handle:
        size = os.fstat(descriptor).st_size
        if size > MAX_FILE_BYTES:  # before reading a byte of it
            _too_large(parsed, size)
            return None
        os.set_blocking(descriptor, True)
        chunks, read = [], 0
        while read <= MAX_FILE_BYTES:  # the file may grow after the fstat
            chunk = handle.read(min(2**20, MAX_FILE_BYTES + 1 - read))
            if not chunk:
                break
            chunks.append(chunk)
            read += len(chunk)
    if read > MAX_FILE_BYTES:
        _too_large(parsed, read, more=True)
        return None
    return b"".join(chunks)


def _load_bytes(parsed: Parsed, source, path: Path | None) -> bytes | None:
    if path is None:
        if len(source) > MAX_FILE_BYTES:
            _too_large(parsed, len(source))
            return None
        data = bytes(source)
    else:
        data = _read_path(parsed, path)
        if data is None:
            return None
    if not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        parsed.problem("fichier vide", "empty file")
        return None
    return data


def _sniff_kind(parsed: Parsed, data: bytes) -> str | None:
    """What the bytes are, whatever the extension says."""
    extension = Path(parsed.filename).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        parsed.problem("classeur Excel 97-2003 (.xls) non pris en charge : enregistrez-le en .xlsx ou en CSV",
                       "Excel 97-2003 workbook (.xls) not supported: save it as .xlsx or CSV")
        return None
    if extension in (".xlsx", ".xlsm"):
        parsed.problem("ce fichier n'est pas un classeur Excel .xlsx valide", "this file is not a valid .xlsx workbook")
        return None
    if _looks_binary(data):
        parsed.problem("fichier binaire : ni un CSV (texte) ni un classeur Excel (.xlsx)",
                       "binary file: neither a CSV (text) nor an Excel workbook (.xlsx)")
        return None
    return "csv"


def _looks_binary(data: bytes) -> bool:
    head = data[:65536]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return b"\x00" in head or controls > len(head) / 100


def _decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"), else Windows-1252 (French Excel)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return data.decode("latin-1"), "latin-1"


def _header_key(text) -> str:
    return str(text or "").replace("\ufeff", "").strip().lower().replace(" ", "_")


def _sniff_delimiter(text: str, table: str | None) -> tuple[str, list[str]]:
    """The separator whose header names the most known columns (then gives the most columns)."""
    known = set(table_schema(table).names) if table in schema_tables() else set()
    best = None
    for delimiter in (";", ",", "\t"):
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
        score = (sum(_header_key(h) in known for h in header), len(header))
        if best is None or score > best[0]:
            best = (score, delimiter, header)
    return best[1], best[2]


def _csv_too_wide(parsed: Parsed, text: str, delimiter: str) -> bool:
    """A record of more than MAX_COLUMNS fields, found before the csv module builds it (20 MB of ';')."""
    if text.count(delimiter) <= MAX_COLUMNS:
        return False
    d = re.escape(delimiter)
    # Quoted fields (a quote opening a field, as the csv module reads it) may hold separators and line breaks.
    unquoted = re.sub(rf'(?:\A|(?<=[{d}\r\n]))"(?:[^"]|"")*"?', "", text) if '"' in text else text
    wide = re.search(rf"(?:\A|(?<=[\r\n]))(?:[^\r\n{d}]*{d}){{{MAX_COLUMNS}}}", unquoted)
    if wide is None:
        return False
    row = len(re.findall(r"\r\n|\r|\n", unquoted[:wide.start()])) + 1
    parsed.problem(f"au plus {MAX_COLUMNS} colonnes par ligne : cette ligne en a davantage",
                   f"at most {MAX_COLUMNS} columns per row: this row has more", row=row, column=f"#{MAX_COLUMNS + 1}")
    return True


def _read_csv(parsed: Parsed, data: bytes) -> None:
    text, encoding = _decode(data)
    delimiter, header = _sniff_delimiter(text[:65536], parsed.table)  # the header line is enough
    parsed.file_format = f"csv ({encoding}, {'tab' if delimiter == chr(9) else delimiter})"
    if len(header) <= 1 and parsed.table in schema_tables() and len(table_schema(parsed.table).columns) > 1:
        parsed.problem(
            f"toutes les valeurs sont dans une seule colonne (« {readable(header[0] if header else '')} ») :"
            " séparateur non reconnu ; enregistrez le fichier en « CSV (séparateur : point-virgule) »"
            " ou « CSV UTF-8 (délimité par des virgules) »",
            f"everything is in one column ('{readable(header[0] if header else '')}'): separator not recognised;"
            " save the file as CSV separated by semicolons or commas")
        return
    if _csv_too_wide(parsed, text, delimiter):
        return
    # A field may be as long as the file: _take_records refuses it with its row and column.
    previous = csv.field_size_limit(MAX_FILE_BYTES)
    try:
        _take_records(parsed, csv.reader(_lines(text), delimiter=delimiter))
    except csv.Error as error:
        parsed.problem(f"CSV illisible : {error}", f"unreadable CSV: {error}")
    finally:
        csv.field_size_limit(previous)


def _lines(text: str):
    """The text's lines, line ends kept, one at a time: io.StringIO would hold a second, wider copy of the file."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _xlsx_finding(parsed: Parsed, finding: xlsx_guard.Finding) -> None:
    column = None
    if finding.column:
        named = _header_key((finding.header or {}).get(finding.column))
        column = named or xlsx_guard.column_letters(finding.column)
    parsed.problems.append(Problem(parsed.filename, finding.row, column, finding.value, finding.fr, finding.en,
                                   finding.sheet or (finding.part if finding.row else None)))


def _read_xlsx(parsed: Parsed, data: bytes) -> None:
    from openpyxl import load_workbook

    # Sizes inside the archive, rows, cells, shared strings, number cells: checked before openpyxl reads any.
    findings = xlsx_guard.check(data, XLSX_LIMITS)
    for finding in findings:
        _xlsx_finding(parsed, finding)
    if findings:
        return
    try:
        # data_only=False: a formula stays a formula (rejected), it is never evaluated.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - whatever openpyxl trips on, the file is refused, never a traceback
        parsed.problem(f"classeur Excel illisible ({type(error).__name__})",
                       f"unreadable Excel workbook ({type(error).__name__})")
        return
    records, number = [], 0
    try:
        sheet = _data_sheet(book, parsed.table)
        parsed.sheet, parsed.file_format = sheet.title, "xlsx"
        sheet.reset_dimensions()  # a <dimension> of A1:XFD1048576 would pad every row to 16 384 cells
        for number, cells in enumerate(sheet.iter_rows(min_row=1), start=1):
            if number > MAX_ROWS + 1:
                parsed.problem(f"trop de lignes (plus de {MAX_ROWS})", f"too many rows (more than {MAX_ROWS})")
                return
            records.append([_xlsx_value(cell) for cell in cells])
    except Exception as error:  # noqa: BLE001 - a cell openpyxl cannot convert (bad shared-string index…)
        parsed.problem(f"classeur Excel illisible après la ligne {number} ({type(error).__name__})",
                       f"unreadable Excel workbook after row {number} ({type(error).__name__})")
        return
    finally:
        book.close()
    _take_records(parsed, records)


def _data_sheet(book, table: str | None):
    """The sheet named after the table, else the first one that is not the template's explanations."""
    names = {name.lower(): name for name in book.sheetnames}
    if table and table.lower() in names:
        return book[names[table.lower()]]
    for name in book.sheetnames:
        if name not in (COLUMNS_SHEET, REFERENCES_SHEET):
            return book[name]
    return book[book.sheetnames[0]]


class _Formula(str):
    """The text of a cell that holds a formula: kept only to be reported."""


def _xlsx_value(cell):
    # "f": a formula; "e": an error such as #N/A. Both are reported, never evaluated.
    if getattr(cell, "data_type", None) in ("f", "e"):
        return _Formula(str(cell.value))
    return cell.value


def _take_records(parsed: Parsed, records) -> None:
    """Header from the first record; one Row per non-empty record, numbered as the spreadsheet shows it.

    `records` may be a stream (the csv reader): read one at a time, stopped at the first limit passed."""
    records = iter(records)
    first = next(records, None)
    if not first or all(is_blank(v) for v in first):
        parsed.problem("la première ligne doit contenir les noms des colonnes",
                       "the first row must hold the column names")
        return
    header = [_header_key(h) if not is_blank(h) else "" for h in first]
    width = max(i + 1 for i, h in enumerate(header) if h)  # Excel often adds empty columns on the right
    header = header[:width]
    unnamed_with_values = set()
    cells = len(first)
    for number, record in enumerate(records, start=2):
        cells += len(record)
        if number > MAX_ROWS + 1 or cells > MAX_CELLS:  # empty rows count: 20 MB of line breaks is 20 M rows
            what_fr, what_en, limit = (("lignes", "rows", MAX_ROWS) if number > MAX_ROWS + 1
                                       else ("cellules", "cells", MAX_CELLS))
            parsed.problem(f"trop de {what_fr} : au plus {limit} (limite dépassée à la ligne {number})",
                           f"too many {what_en}: at most {limit} (limit passed on row {number})")
            return
        if all(is_blank(v) for v in record):
            continue  # spreadsheets keep empty rows at the end
        if len(parsed.rows) >= MAX_ROWS:
            parsed.problem(f"trop de lignes (plus de {MAX_ROWS})", f"too many rows (more than {MAX_ROWS})")
            return
        long = next((i for i, v in enumerate(record) if isinstance(v, str) and len(v) > LONG_TEXT), None)
        if long is not None:  # before it is kept: the column's own limit is checked in validation
            name = header[long] if long < width and header[long] else f"#{long + 1}"
            parsed.problem(f"un texte d'au plus {LONG_TEXT} caractères (la plus longue des limites des colonnes) :"
                           f" celui-ci en a {len(record[long])}", f"a text of at most {LONG_TEXT} characters (the longest"
                           f" any column accepts): this one has {len(record[long])}", row=number, column=name,
                           value=record[long][:80])
            continue
        extra = [v for v in record[width:] if not is_blank(v)]
        if extra:
            parsed.problem(f"{len(extra)} valeur(s) après la dernière colonne (« {header[-1]} ») : une valeur de trop,"
                           " ou un séparateur dans une valeur sans guillemets",
                           f"{len(extra)} value(s) after the last column ('{header[-1]}'): one value too many, or a"
                           " separator inside an unquoted value", row=number, value=extra[0])
            continue
        values = {}
        for index, name in enumerate(header):
            value = record[index] if index < len(record) else None
            if not name:
                if not is_blank(value):
                    unnamed_with_values.add(index)
                continue
            if isinstance(value, _Formula):
                parsed.formulas.add((number, name))
            values[name] = None if is_blank(value) else value
        parsed.rows.append(Row(number, values))
    for index in sorted(unnamed_with_values):
        parsed.problem("un nom de colonne : cette colonne a des valeurs mais pas d'en-tête",
                       "a column name: this column has values but no header", row=1, column=f"#{index + 1}")
    parsed.header = [h for h in header if h]


def _skip_example_rows(parsed: Parsed) -> None:
    kept = []
    for row in parsed.rows:
        first = next(iter(row.values.values()), None) if row.values else None
        if isinstance(first, str) and first.strip().startswith("EXEMPLE"):
            parsed.notices.append(f"ligne {row.number} ignorée : ligne d'exemple du modèle"
                                  f" / row {row.number} skipped: template example row")
            continue
        kept.append(row)
    parsed.rows = kept
