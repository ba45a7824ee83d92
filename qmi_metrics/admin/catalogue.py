"""Which tables a manager may import, and every table as schema.sql declares it: columns, keys, references."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import duckdb

from qmi_metrics.store import db, loader

IMPORTABLE_TABLES = ("projects", "project_events", "candidatures", "indicator_values", "indicator_protocols",
                     "replicability_scores", "community_events", "communes", "editions")
# They travel together: where a row comes from, and how it stands to that source (schema.sql, basis).
PROVENANCE_COLUMNS = ("source_id", "source_section", "source_quote", "basis", "basis_rule")


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str       # VARCHAR, INTEGER, DOUBLE, DATE, BOOLEAN
    not_null: bool


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...]
    foreign_keys: tuple[tuple[str, str, str], ...]  # (column, referenced table, referenced column)
    checks: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def reference(self, column: str) -> tuple[str, str] | None:
        return next(((t, c) for col, t, c in self.foreign_keys if col == column), None)


@functools.cache
def _catalog() -> dict[str, TableSchema]:
    """Every table as schema.sql declares it, read from a fresh in-memory database."""
    con = duckdb.connect(":memory:")
    loader.create_schema(con)
    columns = db.fetch_rows(con, """
        SELECT table_name, column_name, data_type, is_nullable = 'NO' AS not_null
        FROM information_schema.columns WHERE table_schema = 'main'
          AND table_name IN (SELECT table_name FROM duckdb_tables())
        ORDER BY table_name, ordinal_position""")
    constraints = db.fetch_rows(con, """
        SELECT table_name, constraint_type, constraint_column_names AS columns, referenced_table,
               referenced_column_names AS referenced, expression
        FROM duckdb_constraints()""")
    con.close()
    catalog = {}
    for table in dict.fromkeys(row["table_name"] for row in columns):
        mine = [c for c in constraints if c["table_name"] == table]
        catalog[table] = TableSchema(
            name=table,
            columns=tuple(Column(r["column_name"], r["data_type"], r["not_null"]) for r in columns
                          if r["table_name"] == table),
            primary_key=next((tuple(c["columns"]) for c in mine if c["constraint_type"] == "PRIMARY KEY"), ()),
            unique=tuple(tuple(c["columns"]) for c in mine if c["constraint_type"] == "UNIQUE"),
            foreign_keys=tuple((c["columns"][0], c["referenced_table"], c["referenced"][0])
                               for c in mine if c["constraint_type"] == "FOREIGN KEY"),
            checks=tuple(c["expression"] for c in mine if c["constraint_type"] == "CHECK"),
        )
    return catalog


def table_schema(table: str) -> TableSchema:
    return _catalog()[table]


def schema_tables() -> dict[str, TableSchema]:
    return dict(_catalog())


def referencing(table: str) -> list[tuple[str, str, str]]:
    """(child table, child column, referenced column) for every foreign key pointing at `table`."""
    return [(child.name, column, ref_column) for child in _catalog().values()
            for column, ref_table, ref_column in child.foreign_keys if ref_table == table]


# Referenced tables whose rows people name by a label rather than an identifier.
REFERENCE_LABELS = {
    "communes": ("name",), "projects": ("name",), "themes": ("label_fr", "label_en"),
    "project_families": ("label_fr", "label_en"), "solution_types": ("label_fr", "label_en"),
    "indicators": ("label_fr", "label_en"), "replicability_criteria": ("label_fr", "label_en"),
}
# Referenced tables whose rows may also be named by another spelling the documents use (table aliases, by
# entity_kind): a project typed « Pélican Cycles » is the project pelican.
ALIAS_KINDS = {"projects": "project"}
