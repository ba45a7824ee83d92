"""Shared fixtures: databases built from the text sources into temporary folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qmi_metrics.store import db, loader

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def reference_db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reference") / "qmi.duckdb"
    loader.build(path)
    return path


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    loader.build_synthetic(path, scale=3, seed=7)
    return path


@pytest.fixture
def reference_con(reference_db_path):
    con = db.connect(reference_db_path)
    yield con
    con.close()


@pytest.fixture
def demo_con(demo_db_path):
    con = db.connect(demo_db_path)
    yield con
    con.close()


@pytest.fixture
def writable_reference(reference_db_path, tmp_path):
    """A private read-write copy of the reference database, for tests that add rows."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(reference_db_path, path)
    con = db.connect(path, read_only=False)
    yield con
    con.close()


@pytest.fixture
def shared_dir() -> Path:
    if not (SHARED / "seeds").exists():
        pytest.skip(f"../shared is not beside the repository ({SHARED}): source documents unavailable")
    return SHARED

