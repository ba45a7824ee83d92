"""Checking a parsed file against the current database: header, cells, keys, rows merged with the database, the
consistency rules (rules.py) and the rows other tables point at. Every problem is collected, none raised."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from qmi_metrics.admin.catalogue import ALIAS_KINDS, PROVENANCE_COLUMNS, REFERENCE_LABELS, TableSchema, referencing
from qmi_metrics.admin.cells import (PARSERS, CellError, check_text_length, is_blank, parse_allowed, parse_number,
                                     reject_formula_text)
from qmi_metrics.admin.columns import INDICATOR_UNIT_COLUMNS, Doc, doc, is_required, reference_name, text_limit
from qmi_metrics.admin.problems import MAX_PROBLEMS, Problem, readable
from qmi_metrics.admin.readers import Parsed, Row
from qmi_metrics.admin.rules import EVERY_ROW_CHECKS, ROW_CHECKS, TABLE_CHECKS, check_plausible, check_scope_mode
from qmi_metrics.metrics.filters import normalise
from qmi_metrics.outputs.spreadsheet import unneutralise
from qmi_metrics.store import db

IMPORT_SOURCE_PREFIX = "import-"
_INVALID = object()  # a cell that failed its check: the row is reported, not written


@dataclass
class Counts:
    """What an import changes in one table, in rows."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed}


class _Lookup:
    """Valid values of a foreign key, by identifier and, where people use them, by name."""

    def __init__(self, table: str, key_column: str, keys: list, labels: list[tuple]):
        self.table, self.key_column, self.keys = table, key_column, set(keys)
        self.by_name: dict[str, set] = {}
        for key, *names in labels:
            for name in (key, *names):
                if name is not None:
                    self.by_name.setdefault(normalise(str(name)), set()).add(key)

    def resolve(self, value):
        if value in self.keys:
            return value
        found = self.by_name.get(normalise(str(value)), set())
        if len(found) == 1:
            return next(iter(found))
        fr, en, feminine = reference_name(self.table)
        if found:
            raise CellError(f"{fr} {'ambiguë' if feminine else 'ambigu'} : plusieurs correspondances ({', '.join(sorted(map(str, found)))}) ;"
                            " donnez l'identifiant", f"ambiguous {en}: several matches; give the identifier")
        close = difflib.get_close_matches(normalise(str(value)), list(self.by_name), n=1, cutoff=0.75)
        hint_fr = f" ; vouliez-vous dire « {sorted(self.by_name[close[0]])[0]} » ?" if close else ""
        hint_en = f"; did you mean '{sorted(self.by_name[close[0]])[0]}'?" if close else ""
        named = f" ({self.key_column}) ni un nom" if self.table in REFERENCE_LABELS else f" ({self.key_column})"
        raise CellError(
            f"{fr} {'inconnue' if feminine else 'inconnu'} : ni un identifiant{named} de la table {self.table}{hint_fr}",
            f"unknown {en}: not an identifier ({self.key_column}){' or a name' if self.table in REFERENCE_LABELS else ''}"
            f" in table {self.table}{hint_en}")


class _Context:
    """What the checks need from the current database: foreign keys, editions' first years, units."""

    def __init__(self, con, spec: TableSchema, import_source_id: str):
        self.lookups = {}
        for column, ref_table, ref_column in spec.foreign_keys:
            labels = REFERENCE_LABELS.get(ref_table, ()) if column != "source_id" else ()
            rows = db.fetch_columns(con, ref_table, (ref_column, *labels))
            keys = [r[0] for r in rows] + ([import_source_id] if ref_table == "sources" else [])
            if labels and ref_table in ALIAS_KINDS:  # « Pélican Cycles » names the project pelican too
                known = set(keys)
                rows += [r for r in db.fetch_tuples(con, "SELECT entity_id, name_as_written FROM aliases"
                                                         " WHERE entity_kind = $kind", {"kind": ALIAS_KINDS[ref_table]})
                         if r[0] in known]
            self.lookups[column] = _Lookup(ref_table, ref_column, keys, rows if labels else [])
        self.first_year = dict(db.fetch_tuples(con, "SELECT edition_id, first_year FROM editions"))
        self.project_edition = dict(db.fetch_tuples(con, "SELECT project_id, edition_id FROM projects"))
        self.project_commune = dict(db.fetch_tuples(con, "SELECT project_id, insee FROM projects"))
        self.commune_names = dict(db.fetch_tuples(con, "SELECT insee, name FROM communes"))
        self.call_edition = dict(db.fetch_tuples(con, "SELECT call_id, edition_id FROM calls"))
        self.indicator_unit = dict(db.fetch_tuples(con, "SELECT indicator_id, unit FROM indicators"))
        self.indicator_direction = dict(db.fetch_tuples(con, "SELECT indicator_id, direction FROM indicators"))
        if spec.name == "indicator_protocols":  # a protocol is for an indicator the project follows
            self.followed = set(db.fetch_tuples(con, "SELECT project_id, indicator_id FROM project_indicators"))
        self.laureates = set(db.fetch_tuples(con, "SELECT edition_id, insee FROM commune_editions"
                                                  " WHERE role = 'lauréate'"))
        self.today = datetime.now(timezone.utc).date()


def import_source_id(parsed: Parsed) -> str:
    return f"{IMPORT_SOURCE_PREFIX}{parsed.sha256[:12]}"


class Checker:
    """The checks of one file, in order: header, cells, keys, rows merged with the database, dependents."""

    def __init__(self, con, parsed: Parsed, spec: TableSchema, mode: str, scope: frozenset[str] | None = None):
        self.con, self.parsed, self.spec, self.mode = con, parsed, spec, mode
        self.scope = scope                 # a commune editor's INSEE codes; None: every commune (rules._within_scope)
        self.communes: set = set()         # the communes the file's rows concern, None for the whole programme
        self.existing: dict[tuple, dict] = {}   # the database's rows with the file's keys
        self.table = spec.name
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.truncated = False
        self.records: list[dict] = []
        self.record_rows: list[int] = []   # the spreadsheet row of each record
        self.counts: dict[str, Counts] = {}
        self.uses_import_source = False
        self.source_id = import_source_id(parsed)

    # -- reporting --
    def add(self, row, column, value, expected_fr, expected_en) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.truncated = True
            return
        self.problems.append(Problem(self.parsed.filename, row, column, value, expected_fr, expected_en,
                                     self.parsed.sheet))

    def add_error(self, row, column, value, error: CellError) -> None:
        self.add(row, column, value, error.expected_fr, error.expected_en)

    def add_warning(self, row, column, value, expected_fr, expected_en) -> None:
        if len(self.warnings) < MAX_PROBLEMS:
            self.warnings.append(Problem(self.parsed.filename, row, column, value, expected_fr, expected_en,
                                         self.parsed.sheet))

    def run(self) -> list[Problem]:
        self.check_header()
        check_scope_mode(self)
        if self.problems:
            return self.problems
        if not self.parsed.rows:
            self.add(None, None, None, "aucune ligne de données sous l'en-tête (la ligne d'exemple ne compte pas)",
                     "no data rows under the header (the example row does not count)")
            return self.problems
        self.context = _Context(self.con, self.spec, self.source_id)
        cells = [(row, self.convert_row(row)) for row in self.parsed.rows]
        if self.truncated:
            return self.sorted()
        keyed = self.check_keys(cells)
        self.existing = self.existing_rows([key for key, _, _ in keyed])
        self.merge(keyed, self.existing)
        for check in TABLE_CHECKS.get(self.table, ()):
            check(self)
        self.check_unique()
        if self.mode == "replace":
            self.check_dependents([key for key, _, _ in keyed])
        return self.sorted()

    def sorted(self) -> list[Problem]:
        order = {name: i for i, name in enumerate(self.spec.names)}
        return sorted(self.problems, key=lambda p: (p.row or 0, order.get(p.column, -1)))

    # -- header --
    @functools.cached_property
    def provided(self) -> list[str]:
        return [h for h in self.parsed.header if h in self.spec.names]

    def check_header(self) -> None:
        names, seen = self.spec.names, set()
        for header in self.parsed.header:
            if header in seen:
                self.add(1, header, header, "une seule colonne de ce nom", "a single column of that name")
            elif header not in names:
                self.add(1, header, header, f"colonne inconnue de la table {self.table} ; colonnes possibles :"
                         f" {', '.join(names)}", f"unknown column of table {self.table}; valid columns:"
                         f" {', '.join(names)}")
            seen.add(header)
        for column in names:
            if is_required(self.table, column) and column not in seen:
                self.add(1, column, None, "colonne obligatoire absente de l'en-tête",
                         "required column missing from the header")

    # -- cells --
    def convert_row(self, row: Row) -> dict:
        values = {}
        for column in self.provided:
            raw = row.values.get(column)
            if (row.number, column) in self.parsed.formulas:
                self.add(row.number, column, raw, "une valeur, pas une formule Excel : copiez puis collez les"
                         " valeurs (collage spécial)", "a value, not an Excel formula: copy and paste values only")
                values[column] = _INVALID
                continue
            try:
                values[column] = self.convert_cell(column, raw, row)
            except CellError as error:
                self.add_error(row.number, column, raw, error)
                values[column] = _INVALID
        return values

    def convert_cell(self, column: str, raw, row: Row):
        if is_blank(raw):
            if is_required(self.table, column):
                raise CellError("une valeur : cette colonne est obligatoire", "a value: this column is required")
            return None
        raw = unneutralise(raw)  # our exports' ' before =, +, -, @: the text as it was
        reject_formula_text(raw)
        sql_type, documented = self.spec.column(column).sql_type, doc(self.table, column)
        if sql_type == "DOUBLE":
            value = parse_number(raw, percent_allowed=column in INDICATOR_UNIT_COLUMNS.get(self.table, ()))
        else:
            value = PARSERS[sql_type](raw)
        if sql_type == "VARCHAR" and not value:
            return None
        if sql_type == "VARCHAR":
            check_text_length(value, text_limit(self.table, column))
        if documented.allowed:
            value = parse_allowed(value, documented.allowed)
        if column in self.context.lookups:
            value = self.context.lookups[column].resolve(value)
        self.check_bounds(documented, value)
        check_plausible(self.table, column, value)
        return value

    @staticmethod
    def check_bounds(documented: Doc, value) -> None:
        if documented.minimum is not None and value < documented.minimum:
            raise CellError(f"une valeur d'au moins {documented.minimum:g}", f"a value of at least {documented.minimum:g}")
        if documented.maximum is not None and value > documented.maximum:
            raise CellError(f"une valeur d'au plus {documented.maximum:g}", f"a value of at most {documented.maximum:g}")
        if documented.pattern and not re.match(documented.pattern, str(value)):
            raise CellError(documented.pattern_fr, documented.pattern_en)

    # -- keys --
    def check_keys(self, cells: list[tuple[Row, dict]]) -> list[tuple[tuple, Row, dict]]:
        """(key, row, values) of the rows whose key is readable; a key twice in the file is an error."""
        seen: dict[tuple, int] = {}
        keyed = []
        for row, values in cells:
            self.fill_generated_key(values)
            key = tuple(values.get(c) for c in self.spec.primary_key)
            if any(v is None or v is _INVALID for v in key):
                if all(v is not _INVALID for v in key) and not self.problems_on(row.number):
                    self.add(row.number, self.spec.primary_key[0], None, "une valeur : la clé de la ligne est vide",
                             "a value: the row's key is empty")
                continue
            if key in seen:
                shown = " / ".join(readable(v) or "" for v in key)
                self.add(row.number, self.spec.primary_key[-1], shown,
                         f"une clé unique : « {shown} » figure déjà à la ligne {seen[key]}",
                         f"a unique key: '{shown}' is already on row {seen[key]}")
                continue
            seen[key] = row.number
            keyed.append((key, row, values))
        return keyed

    def commune_name(self, insee: str) -> str:
        name = self.context.commune_names.get(insee)
        return f"{insee} ({name})" if name else insee

    def scope_names(self) -> str:
        return ", ".join(self.commune_name(insee) for insee in sorted(self.scope))

    def problems_on(self, row_number: int) -> bool:
        return any(p.row == row_number for p in self.problems)

    def fill_generated_key(self, values: dict) -> None:
        # A project event named <project>-<kind>, as in data/project_events.csv: importing again updates it.
        if self.table == "project_events" and values.get("event_id") is None:
            project, kind = values.get("project_id"), values.get("kind")
            if project not in (None, _INVALID) and kind not in (None, _INVALID):
                values["event_id"] = f"{project}-{kind}"

    def existing_rows(self, keys: list[tuple]) -> dict[tuple, dict]:
        """The database's rows with the file's keys (the join runs in DuckDB: the table may be large)."""
        if not keys:
            return {}
        key_columns = self.spec.primary_key
        rows = db.fetch_by_keys(self.con, self.table, key_columns, keys)
        return {tuple(r[c] for c in key_columns): r for r in rows}

    # -- complete rows --
    def merge(self, keyed: list[tuple[tuple, Row, dict]], existing: dict[tuple, dict]) -> None:
        counts = Counts()
        for key, row, values in keyed:
            old = existing.get(key)
            if old is not None and self.mode == "append":
                shown = " / ".join(readable(v) or "" for v in key)
                self.add(row.number, self.spec.primary_key[0], shown,
                         "une clé nouvelle : cette ligne existe déjà dans la base (mode append) ; importez avec"
                         " --mode upsert pour la mettre à jour",
                         "a new key: this row already exists in the database (append mode); import with"
                         " --mode upsert to update it")
                continue
            if any(v is _INVALID for v in values.values()):
                continue
            record = self.complete(values, old)
            if not self.check_row(row, record):
                continue
            if old is None:
                counts.added += 1
            elif record == old:
                counts.unchanged += 1
            else:
                counts.updated += 1
            self.records.append(record)
            self.record_rows.append(row.number)
        if self.mode == "replace":
            counts.removed = self.count_removed([k for k, _, _ in keyed])
        self.counts = {self.table: counts}

    def complete(self, values: dict, old: dict | None) -> dict:
        """Every column: the file's value, else (upsert) the database's, else NULL; provenance filled in."""
        keep_absent = old is not None and self.mode == "upsert"
        record = {c: values[c] if c in values else (old[c] if keep_absent else None) for c in self.spec.names}
        present = [c for c in PROVENANCE_COLUMNS if c in self.spec.names]
        if "source_id" in present and all(values.get(c) is None for c in present):
            # No provenance given: an unchanged row keeps its own; a new or changed one comes from this file
            # (an old quote does not back new values).
            data_columns = [c for c in self.spec.names if c not in present]
            if old is not None and all(record[c] == old[c] for c in data_columns):
                record.update({c: old[c] for c in present})
            else:
                record.update({c: None for c in present})
                record["source_id"] = self.source_id
                self.uses_import_source = True
        elif "source_id" in present:
            record.update({c: values.get(c) for c in present})  # provenance travels together
            if record["source_id"] is None:  # a quote without a source: the file is the source
                record["source_id"] = self.source_id
                self.uses_import_source = True
        if "basis" in present and record["basis"] is None:
            record["basis"] = "stated"  # what a manager's file says, it states (columns.py: basis)
        return record

    def import_source_row(self) -> dict:
        return {"source_id": self.source_id, "kind": "import",
                "title": f"Import « {self.parsed.filename} » ({self.table})", "publisher": None,
                "published_on": datetime.now(timezone.utc).date().isoformat(), "file": self.parsed.filename,
                "note": f"SHA-256 {self.parsed.sha256}", "basis": "stated", "basis_rule": None}

    # -- rows against each other and the database --
    def check_row(self, row: Row, record: dict) -> bool:
        before = len(self.problems)
        for check in (*EVERY_ROW_CHECKS, *ROW_CHECKS.get(self.table, ())):
            check(self, row, record)
        self.check_dates(row, record)
        return len(self.problems) == before

    def edition_of(self, record: dict):
        if "edition_id" in record:
            return record["edition_id"]
        if record.get("project_id") is not None:
            return self.context.project_edition.get(record["project_id"])
        if record.get("call_id") is not None:
            return self.context.call_edition.get(record["call_id"])
        return None

    def check_dates(self, row: Row, record: dict) -> None:
        """No date before its edition's first year, none in the future (but a target's: Doc.future_allowed)."""
        first_year = self.context.first_year.get(self.edition_of(record)) if self.table != "editions" else None
        for column in (c.name for c in self.spec.columns if c.sql_type == "DATE"):
            value = record.get(column)
            if value is None or doc(self.table, column).future_allowed:
                continue
            if first_year and value < date(first_year, 1, 1):
                self.add(row.number, column, value, f"une date à partir du 01/01/{first_year} (première année de"
                         " l'édition)", f"a date from 01/01/{first_year} (the edition's first year)")
            elif value > self.context.today:
                self.add(row.number, column, value, "une date passée ou d'aujourd'hui, pas dans le futur",
                         "a date in the past or today, not in the future")

    def check_unique(self) -> None:
        """UNIQUE columns (a commune's name): not twice in the file, not taken by another row of the database."""
        for columns in self.spec.unique:
            seen: dict[tuple, tuple] = {}
            for record, number in zip(self.records, self.record_rows):
                value, key = tuple(record[c] for c in columns), tuple(record[c] for c in self.spec.primary_key)
                if value in seen and seen[value][0] != key:
                    self.add(number, columns[0], value[0], f"une valeur unique : déjà celle de la ligne {seen[value][1]}",
                             f"a unique value: already that of row {seen[value][1]}")
                seen.setdefault(value, (key, number))
            if self.mode == "replace" or len(columns) != 1 or not seen:
                continue
            taken = dict(db.fetch_columns_where_in(self.con, self.table, (columns[0], self.spec.primary_key[0]),
                                                   columns[0], [v[0] for v in seen]))
            for (value,), (key, number) in seen.items():
                if value in taken and (taken[value],) != key:
                    self.add(number, columns[0], value, f"une valeur unique : déjà celle de {taken[value]} dans la base",
                             f"a unique value: already that of {taken[value]} in the database")

    def count_removed(self, keys: list[tuple]) -> int:
        return db.count_rows(self.con, self.table) - len(self.existing_rows(keys))

    def check_dependents(self, keys: list[tuple]) -> None:
        """Replace must not remove a row other tables still point at."""
        if len(self.spec.primary_key) != 1:
            return
        key_column = self.spec.primary_key[0]
        kept = [k[0] for k in keys]
        for child, column, ref_column in referencing(self.table):
            for key, n in db.count_values_outside(self.con, child, column, kept):
                self.add(None, key_column, key,
                         f"une ligne conservée : {n} ligne(s) de {child} y font référence ({column}) ; le mode replace"
                         " ne peut pas la supprimer", f"a kept row: {n} row(s) of {child} refer to it ({column});"
                         " replace mode cannot remove it")
