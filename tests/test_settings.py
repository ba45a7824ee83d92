"""The settings registry (qmi_metrics/store/settings.py): documented in the README, the only reader of the QMI_
environment variables, and its defaults and parsing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import app_test

from qmi_metrics.store import settings

REPO = Path(__file__).resolve().parent.parent
# What the app, the command line and the tools run; tests and benchmarks may set (and read) variables themselves.
SOURCE_DIRS = ("qmi_metrics", "dashboard", "tools", "deploy")
REGISTRY = REPO / "qmi_metrics" / "store" / "settings.py"


def readme_settings() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]


# --- (a) the README --------------------------------------------------------------------------------------

@pytest.mark.parametrize("declared", settings.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_named_in_the_readme(declared):
    section = readme_settings()
    for name in filter(None, (declared.env, *declared.env_aliases, declared.secret)):
        assert f"`{name}`" in section, f"{name} is not in README.md's Settings section"


def test_the_readme_table_is_the_registrys():
    assert settings.readme_table() in readme_settings(), \
        "README.md's Settings table differs from the registry: paste `python -m qmi_metrics.store.settings`"


def test_settings_are_declared_once():
    names = [name for s in settings.SETTINGS for name in filter(None, (s.env, *s.env_aliases, s.secret))]
    assert len(names) == len(set(names))
    assert {s.kind for s in settings.SETTINGS} <= set(settings.KINDS)
    assert all(s.help.strip() and s.name for s in settings.SETTINGS)


# --- (b) the registry is the only reader -------------------------------------------------------------------

def _is_environ(node) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (isinstance(node, ast.Name)
                                                                          and node.id == "environ")


def _key(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def environment_reads(source: str) -> list[tuple[int, str | None]]:
    """(line, variable) of every read of os.environ / os.getenv; variable None when it is not a literal."""
    reads = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr in ("get", "pop") and _is_environ(func.value)) or \
                    (isinstance(func, ast.Attribute) and func.attr == "getenv") or \
                    (isinstance(func, ast.Name) and func.id == "getenv"):
                reads.append((node.lineno, _key(node.args[0])))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environ(node.value):
            reads.append((node.lineno, _key(node.slice)))
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            reads.append((node.lineno, _key(node.left)))
    return reads


def forbidden_reads(source: str) -> list[tuple[int, str | None]]:
    """Reads of a QMI_ variable, or of a variable whose name is not written out (it may be one)."""
    return [(line, name) for line, name in environment_reads(source) if name is None or name.startswith("QMI_")]


def test_the_scanner_finds_direct_reads():
    source = """
import os
from os import environ, getenv
a = os.environ.get("QMI_DB")
b = os.getenv("QMI_USER", "x")
c = os.environ["QMI_LOCK_TIMEOUT"]
d = "QMI_X" in os.environ
e = environ.get(variable)
f = getenv("QMI_Y")
ok = {**os.environ, "QMI_DB": "/tmp/x"}
os.environ["QMI_DB"] = "/tmp/y"
home = os.environ.get("HOME")
"""
    assert [name for _, name in forbidden_reads(source)] == ["QMI_DB", "QMI_USER", "QMI_LOCK_TIMEOUT", "QMI_X", None,
                                                             "QMI_Y"]


def python_sources() -> list[Path]:
    files = [REPO / "app.py"] + [path for folder in SOURCE_DIRS for path in sorted((REPO / folder).rglob("*.py"))]
    return [path for path in files if path != REGISTRY]


def test_no_code_outside_the_registry_reads_a_qmi_variable():
    found = [f"{path.relative_to(REPO)}:{line} reads {name or 'a variable named at run time'}"
             for path in python_sources() for line, name in forbidden_reads(path.read_text(encoding="utf-8"))]
    assert not found, "read these through qmi_metrics.store.settings: " + "; ".join(found)


def test_every_declared_variable_is_read_somewhere():
    code = " ".join(path.read_text(encoding="utf-8")
                    for path in [*python_sources(), *sorted((REPO / "tests").glob("*.py"))])
    unused = [s.name for s in settings.SETTINGS if f'"{s.name}"' not in code]
    assert not unused, f"declared but never read: {unused}"


# --- (c) defaults and parsing ------------------------------------------------------------------------------

def test_defaults_apply_when_nothing_is_configured():
    assert settings.value("QMI_LOCK_TIMEOUT", environ={}) == 60.0
    assert settings.value("QMI_DUCKDB_THREADS", {}, environ={}) == 2
    assert settings.value("access.require_login", {}, environ={}) is False
    assert settings.value("access.trusted_proxies", {}, environ={}) == ("127.0.0.1", "::1")
    assert settings.value("admin.emails", {}) == ()
    assert settings.value("public_url", {}) is None
    assert settings.value("QMI_DB", {}, environ={}) == str(REPO / "data" / "qmi.duckdb")  # inside the repository
    assert settings.configured("QMI_DB", {}, environ={}) is None
    # Set but empty, or blank, is not set.
    assert settings.value("QMI_LOCK_TIMEOUT", environ={"QMI_LOCK_TIMEOUT": ""}) == 60.0
    assert settings.configured("QMI_USER", environ={"QMI_USER": "  "}) is None


def test_the_environment_wins_over_secrets():
    secrets = {"qmi_db": "/srv/a.duckdb", "duckdb": {"threads": 3}}
    assert settings.value("QMI_DB", secrets, environ={}) == "/srv/a.duckdb"
    assert settings.value("QMI_DB", secrets, environ={"QMI_DB": "/srv/b.duckdb"}) == "/srv/b.duckdb"
    assert settings.value("QMI_DUCKDB_THREADS", secrets, environ={}) == 3
    assert settings.value("QMI_DUCKDB_THREADS", secrets, environ={"QMI_DUCKDB_THREADS": "4"}) == 4
    assert settings.configured("MOTHERDUCK_TOKEN", environ={"motherduck_token": "t"}) == "t"  # DuckDB's other spelling


@pytest.mark.parametrize("raw, expected", [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("oui", True),
                                           ("false", False), ("0", False), ("no", False), ("off", False),
                                           (True, True), (False, False)])
def test_booleans_parse(raw, expected):
    assert settings.value("access.require_login", {"access": {"require_login": raw}}) is expected


def test_numbers_and_lists_parse():
    assert settings.value("QMI_LOCK_TIMEOUT", environ={"QMI_LOCK_TIMEOUT": " 2.5 "}) == 2.5
    assert settings.value("QMI_TEST_PAUSE_AFTER_COPY", environ={"QMI_TEST_PAUSE_AFTER_COPY": "3"}) == 3.0
    assert settings.value("QMI_DUCKDB_THREADS", environ={"QMI_DUCKDB_THREADS": "8"}) == 8
    assert settings.value("access.trusted_proxies", {"access": {"trusted_proxies": ["10.0.0.1"]}}) == ("10.0.0.1",)
    assert settings.value("admin.emails", {"admin": {"emails": ["A@example.org"]}}) == ("A@example.org",)


@pytest.mark.parametrize("name, secrets, environ, expected", [
    ("access.require_login", {"access": {"require_login": "peut-être"}}, {}, "true or false"),
    ("access.require_login", {"access": {"require_login": 2}}, {}, "true or false"),
    ("QMI_LOCK_TIMEOUT", None, {"QMI_LOCK_TIMEOUT": "bientôt"}, "a number"),
    ("QMI_DUCKDB_THREADS", None, {"QMI_DUCKDB_THREADS": "deux"}, "an integer"),
    ("QMI_DUCKDB_THREADS", {"duckdb": {"threads": True}}, {}, "an integer"),
    ("access.trusted_proxies", {"access": {"trusted_proxies": "127.0.0.1"}}, {}, "a list"),
    ("auth", {"auth": "google"}, {}, "a [section]"),
])
def test_a_bad_value_is_refused_with_a_clear_message(name, secrets, environ, expected):
    with pytest.raises(settings.SettingError) as refused:
        settings.value(name, secrets, environ)
    message = str(refused.value)
    declared = settings.setting(name)
    assert (declared.env and f"${declared.env}" in message) or declared.secret in message
    assert expected in refused.value.en and "attendu" in refused.value.fr
    raw = settings.raw(name, secrets, environ)
    assert f"« {raw} »" in refused.value.fr and f"“{raw}”" in refused.value.en


def test_an_unknown_setting_says_where_to_declare_it():
    with pytest.raises(KeyError, match="declare it in qmi_metrics/store/settings.py"):
        settings.value("QMI_NOT_DECLARED")


def test_the_command_line_refuses_a_bad_value_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "qmi_metrics", "history", "--db", str(tmp_path / "absente.duckdb")],
                          capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "QMI_LOCK_TIMEOUT": "bientôt"})
    assert done.returncode == 2
    assert "$QMI_LOCK_TIMEOUT" in done.stderr and "« bientôt »" in done.stderr and "a number" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_access_setting_keeps_the_dashboard_closed(monkeypatch, reference_db_path):
    at = app_test(monkeypatch, reference_db_path, secrets={"access": {"require_login": "peut-être"}}, timeout=90).run()
    assert not at.exception
    assert any("access.require_login" in e.value and "peut-être" in e.value for e in at.error)
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")
