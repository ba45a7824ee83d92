"""Build the DuckDB database from the plain-text sources in data/."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb

from qmi_metrics.store import rollups, settings

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = settings.REPO_DIR
DATA_DIR = REPO_DIR / "data"
DEFAULT_DB_PATH = Path(settings.default("QMI_DB"))
SCHEMA_PATH = PACKAGE_DIR / "schema.sql"

# Load order follows the foreign keys.
TABLES = (
    "sources", "editions", "milestones", "themes", "project_families", "solution_types",
    "communes", "sites", "commune_editions", "calls", "published_figures", "call_figures",
    "projects", "project_sites", "candidatures", "project_events", "indicators",
    "project_indicators", "indicator_values", "indicator_protocols", "replicability_criteria", "replicability_scores",
    "community_events", "diagnostics", "surveys", "partners", "awards", "aliases", "contradictions",
)

# What a synthetic database shares with the reference one: the vocabulary, not the facts.
DIMENSION_TABLES = (
    "sources", "themes", "project_families", "solution_types", "communes", "indicators",
    "replicability_criteria",
)


def default_db_path() -> Path:
    """The database the CLI uses: $QMI_DB, else data/qmi.duckdb."""
    return Path(settings.configured("QMI_DB") or DEFAULT_DB_PATH)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_PATH.read_text(encoding="utf-8"))
    con.execute((PACKAGE_DIR / "views.sql").read_text(encoding="utf-8"))


def load_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> int:
    """Insert a CSV into a table by column name; DuckDB casts and checks every value."""
    before = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.execute(
        f"INSERT INTO {table} BY NAME SELECT * FROM read_csv($path, header = true, all_varchar = true,"
        " delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8')",
        {"path": str(path)},
    )
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] - before


def table_files(data_dir: Path, table: str) -> list[Path]:
    """data/<table>.csv, then any data/<table>.<part>.csv (e.g. generated rows kept apart)."""
    main = data_dir / f"{table}.csv"
    return ([main] if main.exists() else []) + sorted(data_dir.glob(f"{table}.*.csv"))


def data_version(data_dir: Path) -> str:
    """A hash of the source files: the same sources give the same version."""
    digest = hashlib.sha256()
    for table in TABLES:
        for path in table_files(data_dir, table):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _build_atomically(db_path: Path, fill) -> dict[str, int]:
    """Create the schema in a temporary file, let `fill` load it, then rename it into place.

    A reader never sees half a build, and a failed build leaves the previous file as it was.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = db_path.with_name(db_path.name + ".building")
    for stale in (tmp_path, tmp_path.with_name(tmp_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp_path))
    try:
        create_schema(con)
        fill(con)
        rollups.refresh(con)
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp_path.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp_path, db_path)
    return counts


def build(db_path: Path | None = None, data_dir: Path = DATA_DIR, tables=TABLES) -> dict[str, int]:
    """(Re)build the reference database from data/; returns rows per table."""

    def fill(con):
        for table in tables:
            for path in table_files(data_dir, table):
                load_csv(con, table, path)
        set_meta(con, synthetic="false", data_version=data_version(data_dir))

    return _build_atomically(Path(db_path or default_db_path()), fill)


def set_meta(con: duckdb.DuckDBPyConnection, **values: str) -> None:
    for key, value in values.items():
        con.execute("INSERT OR REPLACE INTO meta VALUES ($key, $value)", {"key": key, "value": str(value)})


def imported_entries(db_path: Path) -> int | None:
    """How many managers' imports a database holds (0 when it does not exist yet, None when the
    file cannot be read: damaged, truncated, not DuckDB)."""
    if not Path(db_path).exists():
        return 0
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            try:
                return con.execute("SELECT count(*) FROM audit_log WHERE action = 'import'").fetchall()[0][0]
            except duckdb.CatalogException:  # a database from before the audit log
                return 0
    except duckdb.Error:
        return None


def ensure_built(db_path: Path | None = None) -> Path:
    """Build the reference database if it does not exist yet."""
    db_path = Path(db_path or default_db_path())
    if not db_path.exists():
        build(db_path)
    return db_path


def build_synthetic(db_path: Path, scale, seed: int = 0) -> dict[str, int]:
    """Build a synthetic database: the reference vocabulary plus generated facts."""
    from qmi_metrics.store import synthetic

    db_path = Path(db_path)
    if db_path.resolve() == DEFAULT_DB_PATH.resolve():
        raise ValueError("refusing to write synthetic data over the reference database " + str(db_path))
    label = synthetic.scale_label(scale)

    def fill(con):
        for table in DIMENSION_TABLES:
            for path in table_files(DATA_DIR, table):
                load_csv(con, table, path)
        synthetic.generate(con, scale=scale, seed=seed)
        set_meta(con, synthetic="true", scale=label, seed=seed,
                 data_version=f"synthetic-{label}-{seed}-{data_version(DATA_DIR)}")

    return _build_atomically(db_path, fill)
