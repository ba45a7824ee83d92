"""The protocol-level load client (benchmarks/protocol.py): a short bounded run against the real app, and the
errors it must report (an exception on the page, a page that does not exist, a server that is not there)."""

from __future__ import annotations

import asyncio
import importlib.util
import sys

import pytest
from helpers import REPO, free_port, serving


def _load_client():
    spec = importlib.util.spec_from_file_location("benchmark_protocol", REPO / "benchmarks" / "protocol.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


protocol = _load_client()


@pytest.fixture(scope="module")
def app_url(reference_db_path):
    with serving(reference_db_path) as url:
        yield url


def test_ten_sessions_over_five_seconds_each_run_finishes(app_url):
    result = asyncio.run(protocol.load(app_url, sessions=10, over_s=5, query="edition=1", filter_changes=2,
                                       think_s=0.3, run_timeout_s=60, deadline_s=150))
    assert result["errors"] == 0, result["error_samples"]
    assert result["sessions_done"] == 10 and result["sessions_failed"] == 0
    # every session: its first run and two filter changes, each one to script_finished
    assert result["by_kind"]["open"]["n"] == 10 and result["by_kind"]["filter"]["n"] == 20
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]


def test_a_page_that_does_not_exist_is_an_error(app_url):
    result = asyncio.run(protocol.load(app_url, sessions=1, over_s=0, page="no_such_page", filter_changes=0))
    assert result["errors"] == 1 and result["error_kinds"] == {"page_not_found": 1}
    assert result["sessions_done"] == 0 and result["runs"] == 0


def test_an_exception_on_the_page_is_an_error(reference_db_path, tmp_path):
    script = tmp_path / "raises.py"
    script.write_text('import streamlit as st\nst.title("before")\nraise RuntimeError("the page broke")\n',
                      encoding="utf-8")
    with serving(reference_db_path, script=script) as url:
        result = asyncio.run(protocol.load(url, sessions=2, over_s=0, filter_changes=0, run_timeout_s=30))
    assert result["error_kinds"] == {"exception": 2}
    assert any("the page broke" in sample for sample in result["error_samples"])


def test_no_server_is_a_connection_error_within_the_deadline():
    result = asyncio.run(protocol.load(f"http://127.0.0.1:{free_port()}", sessions=3, over_s=0, filter_changes=0,
                                       run_timeout_s=5, deadline_s=20))
    assert result["error_kinds"] == {"connection": 3} and result["sessions_failed"] == 3


def test_only_loopback_is_loaded():
    with pytest.raises(protocol.NotLoopback, match="loopback only"):
        asyncio.run(protocol.load("http://example.org:8501", sessions=1, over_s=0))
    with pytest.raises(ValueError, match="sessions must be between"):
        asyncio.run(protocol.load("http://127.0.0.1:1", sessions=protocol.MAX_SESSIONS + 1, over_s=0))
