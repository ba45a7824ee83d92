"""The write path of a publish: rows and whole tables written into a new database file, in the caller's
transaction. Table and column names come from the schema catalog, quoted; values are always bound parameters."""

from __future__ import annotations

from qmi_metrics.store.db import quote_identifier


def insert_row(con, table: str, row: dict) -> None:
    columns = list(row)
    con.execute(f"INSERT INTO main.{quote_identifier(table)} ({', '.join(quote_identifier(c) for c in columns)})"
                f" VALUES ({', '.join('$' + c for c in columns)})", row)


def copy_table(con, table: str, source: str) -> None:
    """Every row of `table` in the attached database `source`, into the same table of this one."""
    con.execute(f"INSERT INTO main.{quote_identifier(table)} BY NAME"
                f" SELECT * FROM {quote_identifier(source)}.{quote_identifier(table)}")


def write_merged_table(con, table: str, columns: list[tuple[str, str]], primary_key: tuple[str, ...],
                       records: list[dict], source: str, replace: bool) -> None:
    """`table` as an import makes it from `source`'s rows and `records` (complete rows, every column).

    `columns`: (name, SQL type) of every column. Replace: the records alone. Otherwise (append, upsert): the
    source's rows kept in their order, a record replacing the row with its key, new records after, in their order."""
    # One typed list per column, bound as parameters and unnested side by side: values never enter the SQL.
    bound = {f"c{i}": [record[name] for record in records] for i, (name, _) in enumerate(columns)}
    unnested = ", ".join(f"unnest(${key}::{sql_type}[]) AS {quote_identifier(name)}"
                         for key, (name, sql_type) in zip(bound, columns))
    con.execute(f"CREATE TEMP TABLE import_staged AS SELECT {unnested}, unnest($lines::INTEGER[]) AS _line",
                {**bound, "lines": list(range(len(records)))})
    target, old = quote_identifier(table), f"{quote_identifier(source)}.{quote_identifier(table)}"
    same_key = " AND ".join(f"o.{quote_identifier(k)} = s.{quote_identifier(k)}" for k in primary_key)
    if not replace:
        picks = ", ".join(f"CASE WHEN s._line IS NULL THEN o.{quote_identifier(c)} ELSE s.{quote_identifier(c)} END"
                          f" AS {quote_identifier(c)}" for c, _ in columns)
        con.execute(f"INSERT INTO main.{target} BY NAME SELECT {picks} FROM {old} o"
                    f" LEFT JOIN import_staged s ON {same_key} ORDER BY o.rowid")
    new_rows = "" if replace else f" WHERE NOT EXISTS (SELECT 1 FROM {old} o WHERE {same_key})"
    con.execute(f"INSERT INTO main.{target} BY NAME SELECT * EXCLUDE (_line) FROM import_staged s{new_rows}"
                " ORDER BY _line")
    con.execute("DROP TABLE import_staged")
