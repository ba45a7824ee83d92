"""Shared by the tests (plain functions; the fixtures are in conftest.py): start the app in AppTest, the pages to
open (read from dashboard/registry.py), the views (edition × commune) to render them in, what a reader sees
of the pages' Markdown, where the rows of a table name their source, and a real server of the app on a free port."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import registry
from dashboard.ui import widgets
from qmi_metrics.admin import catalogue
from qmi_metrics.metrics import filters
from qmi_metrics.store import db, loader

REPO = Path(__file__).resolve().parent.parent
# The pages that show the data (not the slideshow, not the administration).
READING_PAGES = [name for name in registry.NAMES if name not in ("presentation", "administration")]


# --- the app in AppTest ---------------------------------------------------------------------------------------

def app_test(monkeypatch, db_path, *, script: str = "app.py", secrets: dict | None = None, timeout: float = 60,
             **query) -> AppTest:
    """`script` (the app, or one page's file run on its own) over the database at `db_path` (None: QMI_DB
    unset, the default path), with these secrets and URL parameters, not yet run."""
    if db_path is None:
        monkeypatch.delenv("QMI_DB", raising=False)
    else:
        monkeypatch.setenv("QMI_DB", str(db_path))
    at = AppTest.from_file(str(REPO / script), default_timeout=timeout)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    for key, value in query.items():
        at.query_params[key] = value
    return at


def open_page(monkeypatch, db_path, page: str, **options) -> AppTest:
    """The app run once (the URL is read through app.py on the session's first run), then the page `page`
    (a name in dashboard/registry.py) opened and run; the default page is the one that first run drew.
    `options`: those of app_test."""
    at = app_test(monkeypatch, db_path, **options).run()
    if registry.page(page).default:
        return at
    return at.switch_page(registry.page(page).file).run()


def show_chart_data(at: AppTest) -> AppTest:
    """Every chart's « Données du graphique » opened (a chart draws its table only once that is open), rerun."""
    opened = [key for key in at.session_state.keys() if widgets.is_data_key(key)]
    assert opened, "no chart on this page: nothing to open"
    for key in opened:
        at.session_state[key] = True
    return at.run()


def download_bytes(data) -> bytes:
    """A download button's file as bytes: the page may hand Streamlit bytes, text or a callable making them."""
    data = data() if callable(data) else data
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def edited_in_place(con, label: str) -> None:
    """Mark a database copy edited by a test as a data version of its own: the app caches every read by data
    version, so pages of another test in the same process would otherwise show the original's cached rows."""
    version = db.meta(con)["data_version"]
    loader.set_meta(con, data_version=f"{version}-{label}")


# --- the views ------------------------------------------------------------------------------------------------

def first_edition_communes(db_path) -> list[str]:
    """The INSEE codes of the laureate communes of edition 1."""
    with db.connect(db_path) as con:
        return [r["insee"] for r in db.fetch_rows(con, "SELECT insee FROM f_laureate_communes(1, NULL) ORDER BY insee")]


def participating_communes(db_path) -> list[str]:
    """The INSEE codes of the communes laureate in any edition."""
    with db.connect(db_path) as con:
        return [row["insee"] for row in filters.communes(con, participating_only=True)]


def editions(db_path) -> list[int | str]:
    """The sidebar's edition choices: "all", then each edition of the database."""
    with db.connect(db_path) as con:
        return ["all"] + [row["edition_id"] for row in filters.editions(con)]


# A view is (edition, communes) as the sidebar's session keys hold it: edition "all" or an id, communes a list.

def views(db_path, communes: list[str], commune_edition: int | str = "all") -> list[tuple[int | str, list[str]]]:
    """The views a page is checked in: each edition choice with no commune, then each of `communes` on its own
    within `commune_edition`."""
    return [(edition, []) for edition in editions(db_path)] + [(commune_edition, [insee]) for insee in communes]


def every_edition_and_commune(db_path) -> list[tuple[int | str, list[str]]]:
    """Every edition choice crossed with no commune and with each participating commune on its own."""
    choices = [[]] + [[insee] for insee in participating_communes(db_path)]
    return [(edition, communes) for edition in editions(db_path) for communes in choices]


def as_filters(edition: int | str, communes: list[str]) -> filters.Filters:
    """A view of the sidebar as qmi_metrics reads it."""
    return filters.Filters(edition=None if edition == "all" else edition, communes=tuple(communes))


def show_view(at: AppTest, edition: int | str, communes) -> AppTest:
    """Runs the open page in this view. (AppTest drops the sidebar after switch_page: the filters are set
    through their session keys, as its widgets would.)"""
    at.session_state["f_edition"] = edition
    at.session_state["f_communes"] = list(communes)
    return at.run()


def each_view(at: AppTest, every: list[tuple[int | str, list[str]]]):
    """Runs the open page in each view of `every` and yields the view once it is drawn."""
    for edition, communes in every:
        show_view(at, edition, communes)
        yield edition, communes


# --- what a reader sees ---------------------------------------------------------------------------------------

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(source: str) -> str:
    """What a reader sees of Markdown the pages write: data go in through qmi_metrics.outputs.escape.markdown,
    so page tests compare expectations with the source minus its backslash escapes and invisible word joiners."""
    return _ESCAPED.sub(r"\1", source).replace("\u2060", "")


# --- sources ------------------------------------------------------------------------------------------------

def source_columns(table: str) -> tuple[str, ...]:
    """The columns naming where a row comes from: its NOT NULL references to `sources` (source_id; a
    contradiction has two, source_a and source_b)."""
    spec = catalogue.table_schema(table)
    return tuple(column for column, referenced, _ in spec.foreign_keys
                 if referenced == "sources" and spec.column(column).not_null)


# --- the app on a real server ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(database: Path, *options: str, script: str | Path = "app.py"):
    """`streamlit run script` (the app by default) on a free loopback port over `database`, yielding its address
    once /_stcore/health answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         *options],
        cwd=REPO, env={**os.environ, "QMI_DB": str(database)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.1)  # polled often: some tests must visit right after the start
        else:
            pytest.fail("the Streamlit server did not answer /_stcore/health within 60 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
