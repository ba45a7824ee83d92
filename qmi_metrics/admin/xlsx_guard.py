"""Bounded checks of an xlsx archive before openpyxl opens it (docs/IMPORT.md, « Limites »).

openpyxl, even in read-only mode, builds a whole row (3 million cells: 2 GB) and every shared string
before a row is seen. Here every part is read in bounded chunks and scanned at C speed (zlib, regular
expressions over bytes): a zip bomb, a huge row or a huge string is refused after reading little.
The byte patterns over-count only inside XML comments or CDATA, which spreadsheets never write in a
sheet: the error is on the side of refusing.
"""

from __future__ import annotations

import bisect
import html
import io
import re
import struct
import zipfile
from dataclasses import dataclass

CHUNK = 1 << 20
_NAME = rb"(?:[A-Za-z_][\w.-]*:)?"        # an optional namespace prefix (x:row)
ROW = re.compile(rb"<" + _NAME + rb"row[\s/>]")
CELL = re.compile(rb"<" + _NAME + rb"c[\s/>]")
SI = re.compile(rb"<" + _NAME + rb"si[\s/>]")
ATTR_R = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{0,8})(\d{0,9})["']""")
ATTR_T = re.compile(rb"""\st\s*=\s*["']([A-Za-z]{0,12})["']""")
FORMULA_TAG = re.compile(rb"<" + _NAME + rb"f[\s/>]")
# A <v> whose text is not a plain finite-looking number: looked at in Python (rare in a sheet).
SUSPECT_VALUE = re.compile(rb"<" + _NAME + rb"v>(?!\s*[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})(?:[eE][+-]?\d{1,3})?\s*<)"
                           rb"([^<]{0,80})")
ISO_DATE = re.compile(rb"^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?Z?\s*$")
TEXT_RUN = re.compile(rb"<" + _NAME + rb"t(?:\s[^>]*)?>([^<]*)<")


@dataclass(frozen=True)
class Limits:
    parts: int                  # members of the zip
    sheet_part_bytes: int       # one worksheet, uncompressed
    shared_strings_bytes: int   # xl/sharedStrings.xml, uncompressed
    other_part_bytes: int       # any other member (styles, workbook…), uncompressed
    total_bytes: int            # all members, uncompressed
    ratio: int                  # uncompressed / compressed, for members over 1 MB
    rows: int                   # data rows (the header is row 1)
    columns: int                # cells per row, counted up to the last one
    cells: int                  # cells per sheet
    text: int                   # characters of the longest text any column accepts


@dataclass
class Finding:
    fr: str
    en: str
    part: str | None = None
    row: int | None = None
    column: int | None = None   # 1 = A
    value: str | None = None
    sheet: str | None = None
    header: dict | None = None  # column index -> header text of that sheet, when it could be read


class _Stop(Exception):
    def __init__(self, finding: Finding):
        super().__init__(finding.en)
        self.finding = finding


def column_index(letters: bytes | str) -> int:
    index = 0
    for ch in (letters.decode() if isinstance(letters, bytes) else letters).upper():
        index = index * 26 + ord(ch) - 64
    return index


def column_letters(index: int) -> str:
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f}"


def _entry_count(data: bytes) -> int | None:
    """Members announced by the end-of-central-directory record, read before zipfile builds one object each."""
    tail = data[-(22 + 65535):]
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or position + 22 > len(tail):
        return None
    return struct.unpack("<H", tail[position + 10:position + 12])[0]


def check(data: bytes, limits: Limits) -> list[Finding]:
    """What makes the archive too big or unreadable for openpyxl; [] when it may be opened."""
    count = _entry_count(data)
    if count is not None and count > limits.parts:  # 0xFFFF: zip64, never an xlsx
        return [Finding(f"archive de {count} fichiers internes (limite : {limits.parts}) : ce n'est pas un classeur"
                        " Excel ordinaire", f"archive of {count} members (limit: {limits.parts}): not an ordinary"
                        " Excel workbook")]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _check_archive(archive, limits)
    except _Stop as stop:
        return [stop.finding]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError,
            RuntimeError) as error:  # zlib.error is an Exception subclass too
        return [Finding(f"classeur Excel illisible ({type(error).__name__})",
                        f"unreadable Excel workbook ({type(error).__name__})")]
    except Exception as error:  # noqa: BLE001 - zlib.error and the like: a damaged archive, never a traceback
        return [Finding(f"classeur Excel illisible ({type(error).__name__})",
                        f"unreadable Excel workbook ({type(error).__name__})")]


def _check_archive(archive: zipfile.ZipFile, limits: Limits) -> list[Finding]:
    infos = archive.infolist()
    if len(infos) > limits.parts:
        raise _Stop(Finding(f"archive de {len(infos)} fichiers internes (limite : {limits.parts})",
                            f"archive of {len(infos)} members (limit: {limits.parts})"))
    names = _sheet_names(archive, limits)
    shared = next((i for i in infos if i.filename.lower().endswith("sharedstrings.xml")), None)
    first_strings: list[str] = []
    if shared is not None:
        first_strings, long_index, long_value = _scan_shared_strings(archive, shared, limits)
        if long_index is not None:
            located = _find_shared_cell(archive, infos, long_index, limits)
            finding = Finding(f"un texte d'au plus {limits.text} caractères (la plus longue des limites des"
                              " colonnes) : ce texte est plus long", f"a text of at most {limits.text} characters"
                              " (the longest any column accepts): this text is longer", part=shared.filename,
                              value=long_value)
            if located:
                finding.part, finding.row, finding.column = located
                finding.sheet = names.get(located[0])
                finding.header = _header(archive, located[0], first_strings, limits)
            raise _Stop(finding)
    total = 0
    for info in infos:
        total += info.file_size
        name = info.filename
        limit = (limits.shared_strings_bytes if info is shared else
                 limits.sheet_part_bytes if "worksheets/" in name.lower() else limits.other_part_bytes)
        if info.file_size > limit:
            raise _Stop(Finding(f"partie « {name} » de {_megabytes(info.file_size)} Mo une fois décompressée (limite :"
                                f" {_megabytes(limit)} Mo)", f"part '{name}' is {_megabytes(info.file_size)} MB"
                                f" uncompressed (limit: {_megabytes(limit)} MB)", part=name))
    if total > limits.total_bytes:
        raise _Stop(Finding(f"{_megabytes(total)} Mo une fois décompressé (limite : {_megabytes(limits.total_bytes)} Mo)",
                            f"{_megabytes(total)} MB uncompressed (limit: {_megabytes(limits.total_bytes)} MB)"))
    findings: list[Finding] = []
    for info in infos:
        if info is not shared and not info.is_dir():
            _scan_rows(archive, info, limits, findings, names.get(info.filename), first_strings)
            if findings:
                return findings
    for info in infos:  # after the scans, which name a row and a column when they can
        name = info.filename
        if info.file_size > 2**20 and info.file_size > limits.ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise _Stop(Finding(f"partie « {name} » compressée {ratio} fois (limite : {limits.ratio}) : archive"
                                " suspecte (bombe de décompression)", f"part '{name}' compressed {ratio} times (limit:"
                                f" {limits.ratio}): suspicious archive (decompression bomb)", part=name))
    return findings


def _read_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int):
    """The member's bytes, chunk by chunk; never more than `limit` in all (zipfile also stops at the declared size)."""
    read = 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                return
            read += len(chunk)
            if read > limit:
                raise _Stop(Finding(f"partie « {info.filename} » de plus de {_megabytes(limit)} Mo une fois décompressée",
                                    f"part '{info.filename}' is over {_megabytes(limit)} MB uncompressed",
                                    part=info.filename))
            yield chunk


def _sheet_names(archive: zipfile.ZipFile, limits: Limits) -> dict[str, str]:
    """Part name -> sheet name, best effort (for messages only)."""
    try:
        workbook = _small_part(archive, "xl/workbook.xml", limits)
        rels = _small_part(archive, "xl/_rels/workbook.xml.rels", limits)
    except KeyError:
        return {}
    targets = {m.group(1): m.group(2) for m in re.finditer(
        rb"""<(?:\w+:)?Relationship\b[^>]*?\bId\s*=\s*["']([^"']*)["'][^>]*?\bTarget\s*=\s*["']([^"']*)["']""", rels)}
    names = {}
    for m in re.finditer(rb"""<(?:\w+:)?sheet\b[^>]*?\bname\s*=\s*["']([^"']*)["'][^>]*?\bid\s*=\s*["']([^"']*)["']""",
                         workbook):
        target = targets.get(m.group(2))
        if target:
            target = target.decode("utf-8", "replace").lstrip("/")
            names[target if target.startswith("xl/") else "xl/" + target] = html.unescape(m.group(1).decode("utf-8", "replace"))
    return names


def _small_part(archive: zipfile.ZipFile, name: str, limits: Limits) -> bytes:
    info = archive.getinfo(name)
    return b"".join(_read_chunks(archive, info, limits.other_part_bytes))


def _scan_shared_strings(archive, info, limits: Limits) -> tuple[list[str], int | None, str | None]:
    """The first strings (for header names), and the index of the first string over the text limit, if any.

    A string over the limit has a run of more than `limit` bytes without '<' (a character is at least a byte):
    found at C speed; only such a run is decoded, and only its first bytes."""
    long_run = re.compile(rb"[^<>]{%d}" % (limits.text + 1))
    carry, counted, first = b"", 0, b""
    chunks = _read_chunks(archive, info, limits.shared_strings_bytes)
    for chunk in chunks:
        buffer = carry + chunk
        if len(first) < 65536:
            first += chunk[:65536 - len(first)]
        start = 0
        while True:
            found = long_run.search(buffer, start)
            if found is None:
                break
            index = counted + _count_new(buffer, len(carry), found.start()) - 1
            run = buffer[found.start():]
            cut = run.find(b"<")
            while cut < 0 and len(run) <= 12 * limits.text:  # a run longer than this is too long in any encoding
                more = next(chunks, b"")
                if not more:
                    break
                run += more
                cut = run.find(b"<")
            run = run[:cut] if cut >= 0 else run[:12 * limits.text + 1]
            text = html.unescape(run[:12 * limits.text].decode("utf-8", "replace"))
            if len(text) > limits.text or len(run) > 12 * limits.text:
                return _first_strings(first), max(index, 0), text[:80]
            if cut < 0:
                break
            start = found.start() + cut
            if start >= len(buffer):
                break
        counted += _count_new(buffer, len(carry), len(buffer))
        carry = buffer[-(limits.text + 1):]
    return _first_strings(first), None, None


def _count_new(buffer: bytes, carried: int, end: int) -> int:
    """<si> tags ending after the carried-over bytes and starting before `end` (each counted once)."""
    start = max(0, carried - 8)
    return sum(1 for m in SI.finditer(buffer, start, end) if m.end() > carried)


def _first_strings(head: bytes) -> list[str]:
    strings = []
    for item in re.finditer(rb"<(?:\w+:)?si[\s>](.*?)</(?:\w+:)?si>", head, re.S):
        strings.append(html.unescape("".join(m.group(1).decode("utf-8", "replace") for m in TEXT_RUN.finditer(item.group(1)))))
        if len(strings) >= 1000:
            break
    return strings


def _find_shared_cell(archive, infos, index: int, limits: Limits):
    """(part, row, column) of a cell showing shared string `index`, else None."""
    pattern = re.compile(rb"<" + _NAME + rb"c\b([^>]*)>\s*<" + _NAME + rb"v>\s*0*" + str(index).encode() + rb"\s*<")
    for info in infos:
        if "worksheets/" not in info.filename.lower() or info.file_size > limits.sheet_part_bytes:
            continue
        carry, rows_before = b"", 0
        for chunk in _read_chunks(archive, info, limits.sheet_part_bytes):
            buffer = carry + chunk
            for found in pattern.finditer(buffer):
                attrs = found.group(1)
                kind = ATTR_T.search(b" " + attrs)
                if not kind or kind.group(1) != b"s":
                    continue
                where = ATTR_R.search(b" " + attrs)
                if where and where.group(1) and where.group(2):
                    return info.filename, int(where.group(2)), column_index(where.group(1))
                return info.filename, rows_before + len(ROW.findall(buffer, 0, found.start())), None
            carry = buffer[-4096:]
            rows_before += len(ROW.findall(buffer, 0, len(buffer) - len(carry)))
    return None


def _header(archive, part: str, first_strings: list[str], limits: Limits) -> dict:
    """Column index -> text of row 1 of a sheet, best effort (names the column of a message)."""
    head = b""
    for chunk in _read_chunks(archive, archive.getinfo(part), limits.sheet_part_bytes):
        head += chunk
        if len(head) > 4 * CHUNK or len(ROW.findall(head)) > 1:
            break
    rows = [m.start() for m in ROW.finditer(head)]
    if not rows:
        return {}
    segment = head[rows[0]:rows[1] if len(rows) > 1 else len(head)]
    return {index: text for index, text, _ in _cells(segment, first_strings)}


def _cells(segment: bytes, first_strings: list[str]):
    """(column index, text, kind) of each cell of a row segment, texts resolved as far as known."""
    starts = [m.start() for m in CELL.finditer(segment)]
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(segment)
        cell = segment[start:end]
        tag = cell[:cell.find(b">") + 1]
        where, kind = ATTR_R.search(tag), ATTR_T.search(tag)
        index = column_index(where.group(1)) if where and where.group(1) else position + 1
        kind = kind.group(1).decode() if kind else "n"
        value = re.search(rb"<" + _NAME + rb"v>([^<]*)<", cell)
        text = html.unescape(value.group(1).decode("utf-8", "replace")) if value else ""
        if kind == "s" and text.strip().isdigit():
            number = int(text)
            text = first_strings[number] if number < len(first_strings) else ""
        elif kind == "inlineStr":
            text = html.unescape("".join(m.group(1).decode("utf-8", "replace") for m in TEXT_RUN.finditer(cell)))
        yield index, text, kind


class _RowScan:
    def __init__(self, part: str, sheet: str | None, limits: Limits, findings: list[Finding], first_strings):
        self.part, self.sheet, self.limits, self.findings = part, sheet, limits, findings
        self.first_strings = first_strings
        self.last_row, self.cells, self.header = 0, 0, None

    def stop(self, fr, en, row=None, column=None, value=None):
        raise _Stop(Finding(fr, en, self.part, row, column, value, self.sheet, self.header))

    def row(self, segment: bytes) -> None:
        tag = segment[:segment.find(b">") + 1] if b">" in segment[:4096] else segment[:4096]
        where = ATTR_R.search(tag)
        number = int(where.group(2)) if where and where.group(2) else self.last_row + 1
        self.last_row = number
        if number > self.limits.rows + 1:
            self.stop(f"trop de lignes : la ligne {number} est au-delà de la limite de {self.limits.rows} lignes de"
                      " données", f"too many rows: row {number} is beyond the limit of {self.limits.rows} data rows",
                      row=number)
        starts = [m.start() for m in CELL.finditer(segment)]
        width = len(starts)
        if starts:
            last = segment[starts[-1]:segment.find(b">", starts[-1]) + 1]
            place = ATTR_R.search(last)
            if place and place.group(1):
                width = max(width, column_index(place.group(1)) if len(place.group(1)) <= 3 else 10**6)
        if width > self.limits.columns:
            self.stop(f"au plus {self.limits.columns} colonnes par ligne : cette ligne en a {width}",
                      f"at most {self.limits.columns} columns per row: this row has {width}", row=number,
                      column=self.limits.columns + 1)
        self.cells += width
        if self.cells > self.limits.cells:
            self.stop(f"au plus {self.limits.cells} cellules par feuille : la limite est dépassée à cette ligne",
                      f"at most {self.limits.cells} cells per sheet: the limit is passed on this row", row=number)
        if number == 1:
            self.header = {index: text for index, text, _ in _cells(segment, self.first_strings)}
        for suspect in SUSPECT_VALUE.finditer(segment):
            self.check_value(segment, starts, suspect, number)

    def check_value(self, segment, starts, suspect, number) -> None:
        position = bisect.bisect_right(starts, suspect.start()) - 1
        if position < 0:
            return
        start = starts[position]
        cell = segment[start:suspect.start()]
        if FORMULA_TAG.search(cell):
            return  # a formula: refused as such, its cached value is never used
        tag = cell[:cell.find(b">") + 1]
        kind, where = ATTR_T.search(tag), ATTR_R.search(tag)
        kind = kind.group(1) if kind else b"n"
        column = column_index(where.group(1)) if where and where.group(1) else position + 1
        text = suspect.group(1).decode("utf-8", "replace")
        if kind in (b"str", b"e", b"inlineStr"):
            return
        if kind == b"d" and ISO_DATE.match(suspect.group(1)):
            return
        if kind == b"n":
            self.stop("un nombre fini (ni NaN, ni infini, ni un nombre illisible)",
                      "a finite number (not NaN, not infinite, not an unreadable number)", number, column, text)
        self.stop(f"une cellule lisible : valeur illisible pour son type Excel « {kind.decode()} »",
                  f"a readable cell: unreadable value for its Excel type '{kind.decode()}'", number, column, text)


def _scan_rows(archive, info, limits: Limits, findings: list[Finding], sheet: str | None, first_strings) -> None:
    """Rows, cells per row (up to the last one) and cells per sheet, aborting at the first limit passed."""
    scan = _RowScan(info.filename, sheet, limits, findings, first_strings)
    limit = limits.sheet_part_bytes if "worksheets/" in info.filename.lower() else limits.other_part_bytes
    max_row_bytes = limits.columns * (12 * limits.text + 512)
    buffer, in_row, counted_to, pending = b"", False, 0, 0
    for chunk in _read_chunks(archive, info, limit):
        buffer += chunk
        if not in_row:
            found = ROW.search(buffer)
            if found is None:
                buffer = buffer[-64:]
                continue
            buffer, in_row, counted_to, pending = buffer[found.start():], True, 0, 0
        begin = 0
        while True:
            found = ROW.search(buffer, begin + 1)
            if found is None:
                break
            scan.row(buffer[begin:found.start()])
            begin, counted_to, pending = found.start(), found.start(), 0
        buffer, counted_to = buffer[begin:], counted_to - begin  # one copy per chunk, not per row
        # An unfinished row: bound its width and size before reading more of it.
        pending += len(CELL.findall(buffer, max(0, counted_to - 8)))
        counted_to = len(buffer)
        if pending > limits.columns + 1 or len(buffer) > max_row_bytes:
            scan.last_row += 1
            number = scan.last_row
            where = ATTR_R.search(buffer[:buffer.find(b">") + 1] if b">" in buffer[:4096] else b"")
            number = int(where.group(2)) if where and where.group(2) else number
            scan.stop(f"au plus {limits.columns} colonnes par ligne (et une ligne de moins de {_megabytes(max_row_bytes)}"
                      " Mo) : cette ligne est plus large", f"at most {limits.columns} columns per row (and a row under"
                      f" {_megabytes(max_row_bytes)} MB): this row is wider", row=number, column=limits.columns + 1)
    if in_row:
        scan.row(buffer)
