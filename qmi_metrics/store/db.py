"""The one data-access path: SQL text plus bound parameters, never formatted values."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from qmi_metrics.store import settings

if TYPE_CHECKING:  # annotations only: the command line starts faster without importing pandas
    import pandas as pd

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def connect(db_path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db_path), read_only=read_only)


def bind(sql: str, params: dict | None) -> dict:
    """Keep the parameters the statement names: DuckDB rejects unused ones."""
    wanted = set(_PARAM.findall(sql))
    missing = wanted - set(params or {})
    if missing:
        raise KeyError(f"missing SQL parameters: {sorted(missing)}")
    return {name: value for name, value in (params or {}).items() if name in wanted}


def execute(con, sql: str, params: dict | None = None):
    # A cursor per query: one connection is shared by the app's threads.
    return con.cursor().execute(sql, bind(sql, params))


class Remembering:
    """A read-only connection that answers a query it has already run from memory (the static site draws each
    view in two languages: the second asks the same questions). Use one per batch of pages: nothing is evicted."""

    def __init__(self, con):
        self._con, self._answers = con, {}

    def cursor(self):
        return self

    def execute(self, sql: str, params: dict | None = None):
        return _Remembered(self, sql, params or {})

    def _answer(self, sql: str, params: dict, how: str):
        key = (sql, repr(sorted(params.items())), how)
        if key not in self._answers:
            result = self._con.cursor().execute(sql, params)
            self._answers[key] = (result.df() if how == "df" else
                                  ([c[0] for c in result.description], result.fetchall()))
        return self._answers[key]

    def __getattr__(self, name):  # anything else is the connection's
        return getattr(self._con, name)


class _Remembered:
    def __init__(self, owner: Remembering, sql: str, params: dict):
        self._owner, self._sql, self._params = owner, sql, params

    def df(self) -> pd.DataFrame:
        return self._owner._answer(self._sql, self._params, "df").copy()  # callers may add columns

    def fetchall(self) -> list[tuple]:
        return list(self._owner._answer(self._sql, self._params, "rows")[1])

    def fetchone(self):
        rows = self.fetchall()
        return rows[0] if rows else None

    @property
    def description(self):
        return [(name,) for name in self._owner._answer(self._sql, self._params, "rows")[0]]


def fetch_df(con, sql: str, params: dict | None = None) -> pd.DataFrame:
    return execute(con, sql, params).df()


def fetch_rows(con, sql: str, params: dict | None = None) -> list[dict]:
    cursor = execute(con, sql, params)
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def fetch_one(con, sql: str, params: dict | None = None) -> dict | None:
    rows = fetch_rows(con, sql, params)
    return rows[0] if rows else None


def fetch_value(con, sql: str, params: dict | None = None):
    row = execute(con, sql, params).fetchone()
    return row[0] if row else None


def fetch_tuples(con, sql: str, params: dict | None = None) -> list[tuple]:
    return execute(con, sql, params).fetchall()


def meta(con) -> dict[str, str]:
    return {row["key"]: row["value"] for row in fetch_rows(con, "SELECT key, value FROM meta")}


def is_synthetic(con) -> bool:
    return marks_synthetic(meta(con))


def marks_synthetic(meta_values: dict) -> bool:
    """Whether a database's meta (db.meta) marks its data synthetic."""
    return meta_values.get("synthetic") == "true"


# --- the data version and when it was published ------------------------------------------------------------------

VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")


def version_time(version: str) -> datetime:
    """When a version was made (its id starts with the time, to the second)."""
    return datetime.strptime(version[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def version_from_meta(meta_values: dict, mtime: float) -> str:
    """A file's version: meta.version (set by every publish), or, for a file `build` made (a build is the same
    bytes from the same sources, so it holds no time), one derived from its modification time."""
    if VERSION_PATTERN.match(meta_values.get("version", "")):
        return meta_values["version"]
    built = datetime.fromtimestamp(mtime, timezone.utc)
    return f"{built:%Y%m%dT%H%M%SZ}-{hashlib.sha256(meta_values.get('data_version', '').encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Publication:
    """The served data version and when it was published; both None when nothing tells (an in-memory database,
    a Parquet folder)."""

    version: str | None
    at: datetime | None  # UTC


def publication(con) -> Publication:
    """The data version of the database `con` reads, and its publication time: the version's own time after a
    publish, else the file's modification time (as publishing.current_version says it)."""
    meta_values = meta(con)
    if VERSION_PATTERN.match(meta_values.get("version", "")):
        return Publication(meta_values["version"], version_time(meta_values["version"]))
    path = fetch_value(con, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
    if not path or not Path(path).is_file():
        return Publication(None, None)
    version = version_from_meta(meta_values, Path(path).stat().st_mtime)
    return Publication(version, version_time(version))


# --- tables and columns named by the schema catalog (never by a file): identifiers quoted, values bound ----------


def quote_identifier(identifier: str) -> str:
    """An identifier from the schema catalog (never from a file), quoted for SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def _quoted(identifiers) -> str:
    return ", ".join(quote_identifier(i) for i in identifiers)


def fetch_columns(con, table: str, columns, ordered: bool = False) -> list[tuple]:
    """Some columns of every row of a table (ordered: by the first one)."""
    return fetch_tuples(con, f"SELECT {_quoted(columns)} FROM {quote_identifier(table)}"
                             + (" ORDER BY 1" if ordered else ""))


def fetch_table(con, table: str, order_by=()) -> list[dict]:
    """Every row of a table, every column (ordered by `order_by`'s columns)."""
    order = f" ORDER BY {_quoted(order_by)}" if order_by else ""
    return fetch_rows(con, f"SELECT * FROM {quote_identifier(table)}{order}")


def fetch_columns_where_in(con, table: str, columns, column: str, values: list) -> list[tuple]:
    """Some columns of the rows whose `column` holds one of `values`."""
    return fetch_tuples(con, f"SELECT {_quoted(columns)} FROM {quote_identifier(table)}"
                             f" WHERE {quote_identifier(column)} IN (SELECT unnest($values))", {"values": values})


def fetch_by_keys(con, table: str, key_columns, keys: list[tuple]) -> list[dict]:
    """The rows whose key is one of `keys`: the join runs in DuckDB, the table may be large."""
    bound = [dict(zip(key_columns, key)) for key in keys]  # a list of structs, bound as one parameter
    join = " AND ".join(f"t.{quote_identifier(c)} = k.{quote_identifier(c)}" for c in key_columns)
    cursor = con.cursor()
    try:
        cursor.execute(f"SELECT t.* FROM {quote_identifier(table)} t"
                       f" JOIN (SELECT unnest($keys, recursive := true)) k ON {join}", {"keys": bound})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor.fetchall()]
    finally:
        cursor.close()


def count_rows(con, table: str) -> int:
    return fetch_value(con, f"SELECT count(*) FROM {quote_identifier(table)}")


def count_values_outside(con, table: str, column: str, kept: list) -> list[tuple]:
    """(value, rows holding it) for each non-null value of `column` that is not in `kept`, by value."""
    quoted = quote_identifier(column)
    return fetch_tuples(con, f"SELECT {quoted} AS key, count(*) AS n FROM {quote_identifier(table)}"
                             f" WHERE {quoted} IS NOT NULL AND NOT list_contains($kept, {quoted})"
                             " GROUP BY ALL ORDER BY 1", {"kept": kept})


def count_unresolved(con, table: str, column: str, referenced_table: str, referenced_column: str) -> int:
    """Rows of `table` whose foreign key `column` matches no row of the referenced table."""
    column, referenced = quote_identifier(column), quote_identifier(referenced_column)
    return fetch_value(con, f"SELECT count(*) FROM {quote_identifier(table)} t WHERE t.{column} IS NOT NULL"
                            f" AND NOT EXISTS (SELECT 1 FROM {quote_identifier(referenced_table)} p"
                            f" WHERE p.{referenced} = t.{column})")


# --- the reading server's connection ------------------------------------------------------------

DEFAULT_MEMORY_LIMIT = settings.default("QMI_DUCKDB_MEMORY_LIMIT")
DEFAULT_THREADS = settings.default("QMI_DUCKDB_THREADS")
MAX_THREADS = 64
MIN_MEMORY_BYTES = 64 * 1000**2  # below this DuckDB cannot run the pages' queries
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)
_UNIT_BYTES = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
               "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}
# Tables every version of the schema has had and every page reads: a file without them is not ours.
CORE_TABLES = ("meta", "sources", "editions", "themes", "communes", "projects", "published_figures")
# Filled at build and publish (rollups.refresh); a file built before they existed must be rebuilt.
DERIVED_TABLES = ("indicator_monthly", "indicator_progress", "kpi_values", "kpi_keys", "kpi_bases")
# Tables of data/ added to schema.sql since: a file without them was built by an earlier version and must be rebuilt.
LATER_TABLES = ("partners", "awards", "aliases", "contradictions", "indicator_protocols")
CATALOG = "qmi"
FILE_HEADERS_BYTES = 3 * 4096  # a DuckDB file: its main header and two database headers, then the blocks  # the name the attached file takes inside the reading connection


@dataclass(frozen=True)
class Limits:
    """DuckDB's memory limit and thread count for the reading server, and why a configured value was not used."""

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = DEFAULT_THREADS
    problems: tuple[tuple[str, str], ...] = ()  # (French, English)


def limits(memory_limit=None, threads=None) -> Limits:
    """Check configured values (None or "" = not configured); a bad one gives its default and a message."""
    problems = []
    memory, count = DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS
    if memory_limit not in (None, ""):
        match = _MEMORY.match(str(memory_limit))
        if match and float(match.group(1)) * _UNIT_BYTES[match.group(2).upper()] >= MIN_MEMORY_BYTES:
            memory = f"{match.group(1)}{match.group(2).upper().replace('I', 'i')}"
        else:
            problems.append((f"limite de mémoire DuckDB « {memory_limit} » non comprise (attendu p. ex. 512MB, 2GB ;"
                             f" au moins 64MB) : {DEFAULT_MEMORY_LIMIT} utilisé",
                             f"DuckDB memory limit “{memory_limit}” not understood (expected e.g. 512MB, 2GB;"
                             f" at least 64MB): using {DEFAULT_MEMORY_LIMIT}"))
    if threads not in (None, ""):
        try:
            wanted = int(str(threads).strip())
        except ValueError:
            wanted = 0
        if 1 <= wanted <= MAX_THREADS:
            count = wanted
        else:
            problems.append((f"nombre de threads DuckDB « {threads} » non compris (entier de 1 à {MAX_THREADS}) :"
                             f" {DEFAULT_THREADS} utilisé",
                             f"DuckDB thread count “{threads}” not understood (an integer from 1 to {MAX_THREADS}):"
                             f" using {DEFAULT_THREADS}"))
    return Limits(memory, count, tuple(problems))


def configured_limits(secrets: dict | None = None, environ=None) -> Limits:
    """$QMI_DUCKDB_MEMORY_LIMIT / $QMI_DUCKDB_THREADS, else secrets.toml's [duckdb], else defaults (checked by `limits`)."""
    return limits(settings.raw("QMI_DUCKDB_MEMORY_LIMIT", secrets, environ),
                  settings.raw("QMI_DUCKDB_THREADS", secrets, environ))


class DatabaseUnavailable(Exception):
    """The database file cannot be served; `what` says why and `todo` what to do, in French and English."""

    REASONS = {
        "missing": ("la base de données est introuvable", "the database file does not exist"),
        "not_a_file": ("le chemin de la base de données n'est pas un fichier", "the database path is not a file"),
        "empty": ("le fichier de la base de données est vide", "the database file is empty"),
        "not_duckdb": ("le fichier n'est pas une base DuckDB", "the file is not a DuckDB database"),
        "truncated": ("le fichier de la base de données est tronqué (copie interrompue ?)",
                      "the database file is truncated (an interrupted copy?)"),
        "damaged": ("le fichier de la base de données est abîmé", "the database file is damaged"),
        "schema": ("le fichier est une base DuckDB, mais pas celle du tableau de bord (tables manquantes)",
                   "the file is a DuckDB database, but not the dashboard's (tables missing)"),
        "outdated": ("la base a été construite par une version antérieure du tableau de bord (tables manquantes)",
                     "the database was built by an earlier version of the dashboard (tables missing)"),
        "locked": ("un autre programme a ouvert la base en écriture", "another program has the database open for writing"),
        "unreadable": ("la base de données est illisible", "the database cannot be read"),
    }

    def __init__(self, path, reason: str, detail: str = ""):
        self.path, self.reason, self.detail = Path(path), reason, detail
        super().__init__(f"{self.what[0]} / {self.what[1]}: {self.path}" + (f" ({detail})" if detail else ""))

    @property
    def what(self) -> tuple[str, str]:
        return self.REASONS[self.reason]


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [""])[0][:300]


def _open_problem(path: Path, error: duckdb.Error) -> DatabaseUnavailable:
    message = str(error)
    if "not a valid DuckDB database file" in message:
        return DatabaseUnavailable(path, "not_duckdb", first_line(error))
    if "Could not read enough bytes" in message:
        return DatabaseUnavailable(path, "truncated", first_line(error))
    if "Corrupt database file" in message:
        return DatabaseUnavailable(path, "damaged", first_line(error))
    if "lock" in message.lower():
        return DatabaseUnavailable(path, "locked", first_line(error))
    return DatabaseUnavailable(path, "unreadable", first_line(error))


def is_damage(error: BaseException) -> bool:
    """A DuckDB error saying the file itself is cut short or corrupt (not a bad query)."""
    return isinstance(error, duckdb.Error) and any(
        sign in str(error) for sign in ("Could not read enough bytes", "Corrupt database file",
                                        "not a valid DuckDB database file"))


class ReadingConnection:
    """One database file, attached read-only in a DuckDB instance of its own, with the given limits.

    A private in-memory instance, not duckdb.connect(path): DuckDB shares one instance per path in a
    process, so a new version renamed over the file could only be opened after closing the old one,
    under the queries still running on it. Here each version is its own instance; the old one is
    freed when the last query holding it ends. Cursors land on the file's catalog like the connection."""

    def __init__(self, path, limits: Limits | None = None):
        limits = limits or Limits()
        self.path = Path(path)
        self._con = duckdb.connect(":memory:", config={
            "memory_limit": limits.memory_limit, "threads": limits.threads,
            # Spilled intermediates go to the system's temporary folder, never beside the database.
            "temp_directory": str(Path(tempfile.gettempdir()) / f"qmi-duckdb-{os.getpid()}"),
            "autoinstall_known_extensions": False,
        })
        try:
            self._con.execute(f"ATTACH $path AS {CATALOG} (TYPE DUCKDB, READ_ONLY)", {"path": str(self.path)})
            self._con.execute(f"USE {CATALOG}")
        except BaseException:
            self._con.close()
            raise

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = self._con.cursor()
        cursor.execute(f"USE {CATALOG}")
        return cursor

    def close(self) -> None:
        self._con.close()

    def __getattr__(self, name):  # execute, register…: the connection itself (already on the file's catalog)
        return getattr(self._con, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_for_reading(path, limits: Limits | None = None, required_tables=CORE_TABLES) -> ReadingConnection:
    """The reading server's connection: read-only, limited, checked. Raises DatabaseUnavailable saying what is wrong."""
    path = Path(path)
    if not path.exists():
        raise DatabaseUnavailable(path, "missing")
    if not path.is_file():
        raise DatabaseUnavailable(path, "not_a_file")
    size = path.stat().st_size
    if size == 0:
        raise DatabaseUnavailable(path, "empty")
    try:
        con = ReadingConnection(path, limits)
    except duckdb.Error as error:
        raise _open_problem(path, error) from error
    try:
        found = {row["table_name"] for row in fetch_rows(
            con, "SELECT table_name FROM duckdb_tables() WHERE database_name = $catalog", {"catalog": CATALOG})}
        missing = [table for table in required_tables if table not in found]
        if missing:
            raise DatabaseUnavailable(path, "schema", ", ".join(missing))
        if outdated := [table for table in (*DERIVED_TABLES, *LATER_TABLES) if table not in found]:
            raise DatabaseUnavailable(path, "outdated", ", ".join(outdated))
        blocks = fetch_one(con, "SELECT total_blocks, block_size FROM pragma_database_size() WHERE database_name = $catalog",
                           {"catalog": CATALOG})
        expected = FILE_HEADERS_BYTES + int(blocks["total_blocks"] or 0) * int(blocks["block_size"] or 0) if blocks else 0
        if size < expected:  # the blocks DuckDB knows of do not all fit: the end of the file is missing
            raise DatabaseUnavailable(path, "truncated", f"{size} octets / bytes, {expected} attendus / expected")
        if "data_version" not in meta(con):
            raise DatabaseUnavailable(path, "schema", "meta.data_version")
    except DatabaseUnavailable:
        con.close()
        raise
    except duckdb.Error as error:
        con.close()
        raise _open_problem(path, error) from error
    return con
