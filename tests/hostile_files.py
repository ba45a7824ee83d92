"""Hostile import files, made by code (deterministic) in a temporary folder: never committed.

Each entry: name -> (table, substrings the refusal must contain). Zip bombs are small on disk thanks
to deflate; the sizes in the comments are what a naive reader would build."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER = ["event_id", "project_id", "kind", "date_start", "date_precision"]

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                 'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
                 'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+'
                 'xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                 'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
                 '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
             '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="project_events" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2"'
                 ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"'
                 ' Target="sharedStrings.xml"/></Relationships>')


def _letters(index: int) -> str:
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    return '<row r="1">' + "".join(inline(f"{_letters(i)}1", h) for i, h in enumerate(HEADER, 1)) + "</row>"


def good_row(number: int, date_cell: str | None = None) -> str:
    cells = [inline(f"A{number}", f"e{number}"), inline(f"B{number}", "faradae"), inline(f"C{number}", "deployed"),
             date_cell or inline(f"D{number}", "2024-02-01"), inline(f"E{number}", "month")]
    return f'<row r="{number}">' + "".join(cells) + "</row>"


def write_xlsx(path: Path, sheet_parts, shared_parts=None, extra_members: int = 0, compresslevel: int = 9) -> Path:
    """An xlsx whose sheet (and shared strings) XML is written piece by piece from iterables of str."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode())
            for part in sheet_parts:
                sheet.write(part.encode() if isinstance(part, str) else part)
            sheet.write(b"</sheetData></worksheet>")
        if shared_parts is None:
            shared_parts = []  # the workbook's relationships name the part: it must exist
        if True:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as shared:
                shared.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {NS}>'.encode())
                for part in shared_parts:
                    shared.write(part.encode() if isinstance(part, str) else part)
                shared.write(b"</sst>")
        for index in range(extra_members):
            archive.writestr(f"xl/media/junk{index}.xml", "")
    return path


def _repeat(piece: str, times: int, batch: int = 10_000):
    block = piece * batch
    for _ in range(times // batch):
        yield block
    yield piece * (times % batch)


def make_all(folder: Path) -> dict[str, tuple[str, list[str]]]:
    """Write every hostile file into `folder`; name -> (table, substrings the refusal must contain)."""
    folder = Path(folder)
    cases: dict[str, tuple[str, list[str]]] = {}

    # 3. A 104 MB project name in the shared strings (~100 KB on disk), used by cell B2.
    write_xlsx(folder / "huge_shared_string.xlsx",
               [header_row(), '<row r="2">', inline("A2", "e2"), '<c r="B2" t="s"><v>0</v></c>', "</row>"],
               ["<si><t>", *_repeat("a", 104 * 2**20, 2**20), "</t></si>"])
    cases["huge_shared_string.xlsx"] = ("project_events", ["ligne 2, colonne « project_id »", "5000 caractères",
                                                           "row 2, column 'project_id'"])
    # 4. One row of 3 million cells (~160 KB on disk; openpyxl: 2.2 GB).
    write_xlsx(folder / "wide_row_3m.xlsx", [header_row(), '<row r="2">', *_repeat("<c><v>1</v></c>", 3_000_000), "</row>"])
    cases["wide_row_3m.xlsx"] = ("project_events", ["ligne 2, colonne « GS »", "au plus 200 colonnes", "row 2"])
    # 4. A bigger bomb: 8 rows of 2 million cells each, 16 M cells (past 5 GB for openpyxl).
    write_xlsx(folder / "bomb_16m_cells.xlsx",
               [header_row(), *(part for r in range(2, 10) for part in
                                (f'<row r="{r}">', *_repeat("<c><v>7</v></c>", 2_000_000), "</row>"))])
    cases["bomb_16m_cells.xlsx"] = ("project_events", ["xl/worksheets/sheet1.xml", "229 Mo une fois décompressée"])
    # One cell far to the right: openpyxl pads the row to 16 384 cells.
    write_xlsx(folder / "far_right_cell.xlsx", [header_row(), '<row r="2"><c r="XFD2"><v>1</v></c></row>'])
    cases["far_right_cell.xlsx"] = ("project_events", ["ligne 2", "au plus 200 colonnes", "cette ligne en a 16384"])
    # A row numbered past the limit: openpyxl yields every empty row before it.
    write_xlsx(folder / "far_down_row.xlsx", [header_row(), good_row(2), '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'])
    cases["far_down_row.xlsx"] = ("project_events", ["ligne 1048576", "trop de lignes", "too many rows"])
    # 300 000 small rows: past MAX_ROWS.
    write_xlsx(folder / "many_rows.xlsx", [header_row(), *(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
                                                          for r in range(2, 300_003))])
    cases["many_rows.xlsx"] = ("project_events", ["trop de lignes", "200000"])
    # Sizes inside the archive: 400 MB of blanks in a sheet (deflate ratio ~1000).
    write_xlsx(folder / "deep_ratio.xlsx", [header_row(), *_repeat(" ", 400 * 2**20, 2**24)], compresslevel=1)
    cases["deep_ratio.xlsx"] = ("project_events", ["xl/worksheets/sheet1.xml", "Mo une fois décompressée", "MB uncompressed"])
    # 5 000 members.
    write_xlsx(folder / "many_members.xlsx", [header_row(), good_row(2)], extra_members=5000)
    cases["many_members.xlsx"] = ("project_events", ["fichiers internes (limite : 1000)", "members (limit: 1000)"])
    # 5. Number cells: NaN (openpyxl: traceback), inf, and 1e400 (read as infinity).
    for name, text in (("nan_number", "NaN"), ("inf_number", "inf"), ("overflow_number", "1e400")):
        write_xlsx(folder / f"{name}.xlsx", [header_row(), good_row(2), '<row r="3">', inline("A3", "e3"),
                                              inline("B3", "faradae"), inline("C3", "deployed"),
                                              f'<c r="D3"><v>{text}</v></c>', inline("E3", "month"), "</row>"])
        cases[f"{name}.xlsx"] = ("project_events", ["ligne 3, colonne « date_start »" if text != "1e400" else
                                                    "ligne 3, colonne « date_start »", "row 3, column 'date_start'"])
    # 5. An xlsx text cell holding a control character as a character reference.
    write_xlsx(folder / "control_char.xlsx",
               ['<row r="1">' + "".join(inline(f"{_letters(i)}1", h) for i, h in
                                        enumerate([*HEADER, "source_quote"], 1)) + "</row>",
                '<row r="2">', inline("A2", "e2"), inline("B2", "faradae"), inline("C2", "deployed"),
                inline("D2", "2024-02-01"), inline("E2", "month"), inline("F2", "bip&#7;bip"), "</row>"])
    # XML 1.0 forbids the character itself: the sheet is unreadable (openpyxl writes none; Excel writes _x0007_).
    cases["control_char.xlsx"] = ("project_events", ["classeur Excel illisible", "unreadable Excel workbook"])

    head = ",".join(HEADER) + "\n"
    # CSV: one 19 MB field (the csv module's own limit is 128 KB).
    with (folder / "giant_field.csv").open("w", encoding="utf-8") as handle:
        handle.write(head + "e1,faradae,deployed,2024-02-01,month\ne2,")
        for _ in range(19):
            handle.write("b" * 2**20)
        handle.write(",deployed,2024-02-01,month\n")
    cases["giant_field.csv"] = ("project_events", ["ligne 3, colonne « project_id »", "5000 caractères",
                                                   "row 3, column 'project_id'"])
    # CSV: 19 million empty columns on one line.
    with (folder / "million_columns.csv").open("w", encoding="utf-8") as handle:
        handle.write(head + "e1,faradae,deployed,2024-02-01,month")
        for _ in range(19):
            handle.write("," * 2**20)
        handle.write("\n")
    cases["million_columns.csv"] = ("project_events", ["ligne 2, colonne « #201 »", "au plus 200 colonnes"])
    # CSV: 19 million line breaks (empty rows).
    with (folder / "million_blank_rows.csv").open("w", encoding="utf-8") as handle:
        handle.write(head + "e1,faradae,deployed,2024-02-01,month\n")
        for _ in range(19):
            handle.write("\n" * 2**20)
    cases["million_blank_rows.csv"] = ("project_events", ["trop de lignes", "200000"])
    # CSV: text limits per column (a 201-character event id), a control character, numbers that overflow.
    (folder / "long_identifier.csv").write_text(head + f"{'e' * 201},faradae,deployed,2024-02-01,month\n", encoding="utf-8")
    cases["long_identifier.csv"] = ("project_events", ["ligne 2, colonne « event_id »", "au plus 200 caractères",
                                                       "at most 200 characters"])
    (folder / "control_char.csv").write_text(head.strip() + ",source_quote\n"
                                             "e1,faradae,deployed,2024-02-01,month,bip\x07bip\n", encoding="utf-8")
    cases["control_char.csv"] = ("project_events", ["ligne 2, colonne « source_quote »", "U+0007",
                                                    "row 2, column 'source_quote'"])
    (folder / "infinite_value.csv").write_text("project_id,indicator_id,measured_on,value\n"
                                               f"faradae,energie-partagee,2024-03-31,1{'0' * 400}\n", encoding="utf-8")
    cases["infinite_value.csv"] = ("indicator_values", ["ligne 2, colonne « value »", "un nombre fini", "a finite number"])
    (folder / "infinite_population.csv").write_text(
        "insee,name,departement,population\n92999,Nulle-part,92,9" + "9" * 400 + "\n", encoding="utf-8")
    cases["infinite_population.csv"] = ("communes", ["ligne 2, colonne « population »", "un nombre fini"])

    # 7. Not regular files: a FIFO (must not hang), a directory, /dev/zero (must not be read forever).
    os.mkfifo(folder / "pipe.csv")
    cases["pipe.csv"] = ("project_events", ["n'est pas un fichier ordinaire", "tube nommé (FIFO)", "named pipe"])
    (folder / "a_folder.csv").mkdir()
    cases["a_folder.csv"] = ("project_events", ["n'est pas un fichier ordinaire", "un dossier", "a directory"])
    return cases


SPECIAL_PATHS = {"/dev/zero": ("project_events", ["n'est pas un fichier ordinaire", "périphérique", "character device"])}
