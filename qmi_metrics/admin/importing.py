"""An import of a manager's spreadsheet, from the file to what it would change. The flow, for the CLI and the
admin page alike:

    parsed = readers.read_file(path_or_bytes, filename, table)   # never raises for a bad file
    prepared = importing.prepare(con, parsed, table, mode)      # every problem, or the rows and what they change
    publishing.publish_import(db_path, parsed, table, mode, by, source_name)   # prepares again, then writes

Nothing here writes to the database: `publishing.publish_import` does, once `prepare` has found no problem.
Values are only ever bound as SQL parameters: a cell holding `'; DROP TABLE projects; --` is a string like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qmi_metrics.admin.catalogue import IMPORTABLE_TABLES, table_schema
from qmi_metrics.admin.problems import Problem
from qmi_metrics.admin.readers import Parsed
from qmi_metrics.admin.validation import Checker, Counts
from qmi_metrics.store import db

MODES = ("append", "upsert", "replace")


@dataclass
class Prepared:
    """A validated file: the complete rows to write, what they change, or the problems."""

    table: str
    mode: str
    records: list[dict] = field(default_factory=list)   # complete rows (every column), in file order
    counts: dict[str, Counts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    import_source: dict | None = None                   # the sources row recording the file, if used
    notices: list[str] = field(default_factory=list)
    truncated: bool = False
    warnings: list[Problem] = field(default_factory=list)  # accepted, but worth a look (docs/IMPORT.md)
    communes: list[str] | None = None   # the INSEE codes its rows concern; None: the whole programme's (audit log)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(con, parsed: Parsed, table: str, mode: str = "append", scope: frozenset[str] | None = None) \
        -> list[Problem]:
    """Every problem of the file against the current database; an empty list means it can be published."""
    return prepare(con, parsed, table, mode, scope).problems


def prepare(con, parsed: Parsed, table: str, mode: str = "append", scope: frozenset[str] | None = None) -> Prepared:
    """Validate a parsed file and, when it is clean, compute the complete rows it writes and what changes.

    `scope`: a commune editor's INSEE codes (roles.Identity.scope); a row outside them is a problem like any
    other (rules._within_scope). None: every commune."""
    prepared = Prepared(table=table, mode=mode, notices=list(parsed.notices))
    if table not in IMPORTABLE_TABLES or mode not in MODES:
        prepared.problems.append(Problem(parsed.filename, None, None, None,
                                         f"table importable attendue ({', '.join(IMPORTABLE_TABLES)}) et mode parmi"
                                         f" {', '.join(MODES)}",
                                         f"expected an importable table and a mode among {', '.join(MODES)}"))
        return prepared
    prepared.problems.extend(parsed.problems)
    if prepared.problems:
        return prepared
    spec = table_schema(table)
    checker = Checker(con, parsed, spec, mode, scope)
    prepared.problems = checker.run()
    prepared.warnings = checker.warnings
    prepared.truncated = checker.truncated
    if prepared.problems:
        return prepared
    prepared.records = checker.records
    prepared.counts = checker.counts
    if mode != "replace" and None not in checker.communes:  # replace rewrites every commune's rows
        prepared.communes = sorted(checker.communes)
    if checker.uses_import_source:
        prepared.import_source = checker.import_source_row()
        if not db.fetch_value(con, "SELECT count(*) FROM sources WHERE source_id = $id",
                              {"id": prepared.import_source["source_id"]}):
            prepared.counts = {"sources": Counts(added=1), **prepared.counts}
        else:
            prepared.import_source = None  # the same file was imported before: its source is there
    return prepared
