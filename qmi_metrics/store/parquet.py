"""The database as Parquet files, and the same KPI SQL over them.

`export(db, out_dir)` writes every table of a database file (reference tables, managers' imports,
derived tables such as roll-ups) to <out_dir>/<table>.parquet, plus manifest.json (data version,
rows per table). The files are written to a temporary folder beside <out_dir>, then renamed into
place: a reader sees the previous export or the new one, never half of one.

`connect_parquet(out_dir)` opens an in-memory DuckDB connection with one view per Parquet file,
named like the table, and the views and macros of views.sql on top: `kpis.compute_all(con, filters)`
and every other read of qmi_metrics run on it unchanged. The views read the files at query time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import uuid
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from qmi_metrics.store import db, loader, settings

MANIFEST = "manifest.json"
FORMAT = "qmi-parquet-export/1"


class ExportError(Exception):
    """Nothing was exported, or the folder is not an export; the message says why (French / English)."""


def is_motherduck(location) -> bool:
    """A MotherDuck database (`md:<db>`): passed to duckdb.connect as it is, never treated as a file path."""
    return str(location).startswith(("md:", "motherduck:"))


def open_source(location) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a database file, or a MotherDuck `md:<db>` string passed through to duckdb."""
    if is_motherduck(location):
        # MotherDuck needs the network and a token; duckdb loads its extension. Without a token it would
        # start an interactive browser sign-in, which a command line or a server cannot finish.
        if "motherduck_token=" not in str(location) and not settings.configured("MOTHERDUCK_TOKEN"):
            raise ExportError(f"{location} : jeton MotherDuck absent ($motherduck_token) / no MotherDuck token:"
                              " set $motherduck_token (or add ?motherduck_token=… to the string)")
        try:
            return duckdb.connect(str(location))
        except duckdb.Error as error:
            raise ExportError(f"MotherDuck injoignable / cannot open {location}: {str(error).splitlines()[0]}") from error
    path = Path(location)
    if not path.is_file():
        raise ExportError(f"base introuvable / database not found: {path}")
    try:
        return db.connect(path)
    except duckdb.Error as error:
        raise ExportError(f"base illisible / cannot read the database {path}: {str(error).splitlines()[0]}") from error


def _views_sql_names() -> set[str]:
    """The views and macros views.sql creates: connect_parquet recreates them, so they are not exported."""
    with closing(duckdb.connect(":memory:")) as con:
        loader.create_schema(con)
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        macros = {r[0] for r in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE NOT internal AND function_type IN ('macro', 'table_macro')"
        ).fetchall()}
    return views | macros


def exported_relations(con) -> list[tuple[str, str]]:
    """(name, kind) of what an export holds: every table of the main database, and any view that views.sql
    does not define (a derived view written by other code is materialised, as its rows at export time)."""
    catalog = con.execute("SELECT current_database()").fetchone()[0]
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = $c AND schema_name = 'main' AND NOT temporary"
        " ORDER BY table_name", {"c": catalog}).fetchall()]
    recreated = _views_sql_names()
    views = [r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE database_name = $c AND schema_name = 'main' AND NOT internal"
        " AND NOT temporary ORDER BY view_name", {"c": catalog}).fetchall()]
    return [(t, "table") for t in tables] + [(v, "view") for v in views if v not in recreated]


def export(db_location, out_dir, *, compression: str = "zstd") -> dict:
    """Write every table of the database to <out_dir>/<table>.parquet and the manifest; returns the manifest."""
    out_dir = Path(out_dir)
    _check_target(out_dir)
    with closing(open_source(db_location)) as con:
        relations = exported_relations(con)
        if not relations:
            raise ExportError(f"aucune table dans la base / the database has no tables: {db_location}")
        meta = db.meta(con) if any(name == "meta" for name, _ in relations) else {}
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        work = out_dir.with_name(f".{out_dir.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        work.mkdir()
        try:
            tables = {}
            for name, kind in relations:
                target = work / f"{name}.parquet"
                # Insertion order is kept (DuckDB's default), so results that depend on row order match the file.
                con.execute(f"COPY (SELECT * FROM {db.quote_identifier(name)}) TO '{_sql_path(target)}'"
                            f" (FORMAT parquet, COMPRESSION {compression})")
                rows = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(target)}).fetchone()[0]
                tables[name] = {"file": target.name, "rows": rows, "kind": kind}
            manifest = {
                "format": FORMAT,
                "source": str(db_location),
                "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "data_version": meta.get("data_version"),
                "version": meta.get("version"),
                "synthetic": meta.get("synthetic") == "true",
                "duckdb_version": duckdb.__version__,
                "tables": tables,
            }
            (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            _fsync_dir(work)
            _move_into_place(work, out_dir)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return manifest


def _sql_path(path: Path) -> str:
    # COPY ... TO takes a literal, not a parameter; the path is ours (no user text but the folder name).
    return str(path).replace("'", "''")


def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} est un fichier, pas un dossier / {out_dir} is a file, not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise ExportError(f"{out_dir} n'est pas vide et n'est pas un export : rien n'y sera remplacé"
                          f" / {out_dir} is not empty and is not an export: nothing in it will be replaced")


def _fsync_dir(path: Path) -> None:
    for child in [*path.iterdir(), path]:
        fd = os.open(child, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _move_into_place(work: Path, out_dir: Path) -> None:
    """Rename the finished folder to out_dir. Over a previous export: swap the two folders atomically
    where the system can, else rename the old one aside first (out_dir is then missing for an instant)."""
    _check_target(out_dir)  # again: the folder may have changed while the files were written
    if out_dir.is_dir() and not any(out_dir.iterdir()):
        out_dir.rmdir()
    if not out_dir.exists():
        os.rename(work, out_dir)
    elif _exchange(work, out_dir):
        shutil.rmtree(work)  # `work` now holds the previous export
    else:
        old = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex[:8]}.old")
        os.rename(out_dir, old)
        os.rename(work, out_dir)
        shutil.rmtree(old)
    fd = os.open(out_dir.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(out_dir) -> dict:
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        raise ExportError(f"pas d'export Parquet ici (manifest.json absent) / not a Parquet export (no manifest.json): {out_dir}")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ExportError(f"format d'export inconnu / unknown export format: {manifest.get('format')!r}")
    return manifest


def connect_parquet(out_dir) -> duckdb.DuckDBPyConnection:
    """An in-memory connection over an export: a view per Parquet file, named like its table, then views.sql.

    The views read the files at each query; after a new export, open a new connection (the manifest's
    data_version tells which data it holds)."""
    out_dir = Path(out_dir).resolve()
    manifest = read_manifest(out_dir)
    missing = [t["file"] for t in manifest["tables"].values() if not (out_dir / t["file"]).is_file()]
    if missing:
        raise ExportError(f"fichiers manquants / missing files in {out_dir}: {', '.join(missing)}")
    recreated = _views_sql_names()
    con = duckdb.connect(":memory:")
    try:
        for name, table in manifest["tables"].items():
            if name in recreated:
                continue
            path = _sql_path(out_dir / table["file"])
            # A view's text cannot take parameters: the path is a literal, quoted.
            con.execute(f"CREATE VIEW {db.quote_identifier(name)} AS SELECT * FROM read_parquet('{path}')")
        con.execute((loader.PACKAGE_DIR / "views.sql").read_text(encoding="utf-8"))
    except BaseException:
        con.close()
        raise
    return con
