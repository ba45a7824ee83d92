"""The one data-access path: SQL text plus bound parameters, never formatted values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

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


def meta(con) -> dict[str, str]:
    return {row["key"]: row["value"] for row in fetch_rows(con, "SELECT key, value FROM meta")}


def is_synthetic(con) -> bool:
    return meta(con).get("synthetic") == "true"
