"""Administration: disabled without configuration, refused without login or with a wrong password,
rate-limited, and an import published from the page reaches the other pages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qmi_metrics import auth

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "un mot de passe assez long"
HASH = auth.hash_password(PASSWORD, iterations=1000)


@pytest.fixture
def admin_app(monkeypatch, reference_db_path, tmp_path):
    live = tmp_path / "qmi.duckdb"
    shutil.copy(reference_db_path, live)
    monkeypatch.setenv("QMI_DB", str(live))

    def start(secrets: dict | None = None):
        at = AppTest.from_file("../app.py", default_timeout=90)
        for key, value in (secrets or {}).items():
            at.secrets[key] = value
        at.run()
        at.switch_page("dashboard/administration.py").run()
        return at
    return start


def texts(at) -> str:
    return " ".join(e.value for kind in (at.info, at.warning, at.error, at.success) for e in kind)


def test_disabled_without_configuration_and_says_how_to_enable(admin_app):
    at = admin_app()
    assert not at.exception
    assert "désactivée" in texts(at) and "hash-password" in texts(at)
    assert not at.get("file_uploader")


def test_refused_without_login(admin_app):
    at = admin_app({"admin": {"password_hash": HASH}})
    assert not at.exception
    assert "Connectez-vous" in texts(at)
    assert not at.get("file_uploader")


def test_refused_with_a_wrong_password_and_rate_limited(admin_app):
    from dashboard import common

    common.attempt_limiter.clear()
    at = admin_app({"admin": {"password_hash": HASH}})
    for attempt in range(auth.MAX_FAILURES):
        at.text_input[0].input("mauvais")
        at.button[0].click().run()
        assert not at.get("file_uploader")
    assert "Mot de passe incorrect" in texts(at) or "Trop d'essais" in texts(at)
    # Locked now: even the right password is refused until the lockout ends.
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    assert "Trop d'essais" in texts(at)
    assert not at.get("file_uploader")
    common.attempt_limiter.clear()


def test_the_right_password_opens_the_import_form(admin_app):
    from dashboard import common

    common.attempt_limiter.clear()
    at = admin_app({"admin": {"password_hash": HASH}})
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.get("file_uploader")
    assert "Historique des versions" in [h.value for h in at.header]


def test_history_shows_an_import_and_the_pages_its_data(admin_app, tmp_path):
    import os

    from dashboard import common

    common.attempt_limiter.clear()
    events = tmp_path / "evenements.csv"
    events.write_text("event_id;project_id;kind;date_start;date_precision\n"
                      ";faradae;deployed;01/02/2024;month\n", encoding="cp1252")
    live = os.environ["QMI_DB"]
    done = subprocess.run([sys.executable, "-m", "qmi_metrics", "import", str(events), "--table", "project_events",
                           "--db", live, "--by", "gestionnaire"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    at = admin_app({"admin": {"password_hash": HASH}})
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    history = at.dataframe[0].value
    assert "gestionnaire" in history.to_string() and "evenements.csv" in history.to_string()
    at.switch_page("dashboard/vue_ensemble.py").run()
    assert any("8/28" in c.value for c in at.caption)  # deployment outcome now known for 8 projects


def test_reading_can_require_login(monkeypatch, reference_db_path):
    monkeypatch.setenv("QMI_DB", str(reference_db_path))
    at = AppTest.from_file("../app.py", default_timeout=90)
    at.secrets["admin"] = {"password_hash": HASH}
    at.secrets["access"] = {"require_login": True}
    at.run()
    assert not at.exception
    assert not at.metric  # no KPI shown before sign-in
    assert "Connectez-vous" in texts(at)


def test_limiter_window_and_lockout():
    limiter = auth.AttemptLimiter(max_failures=3, window_seconds=10, lockout_seconds=60)
    limiter.record_failure("s", now=0)
    limiter.record_failure("s", now=20)  # the first one left the window
    assert limiter.seconds_locked("s", now=21) == 0
    limiter.record_failure("s", now=21)
    limiter.record_failure("s", now=22)
    assert limiter.seconds_locked("s", now=23) == pytest.approx(59)
    assert limiter.seconds_locked("s", now=90) == 0


def test_password_hash_round_trip_and_malformed_hashes():
    stored = auth.hash_password("correct horse battery", iterations=1000)
    assert auth.verify_password("correct horse battery", stored)
    assert not auth.verify_password("wrong", stored)
    for broken in ("", "plain", "md5$1$x$y", "pbkdf2_sha256$notanumber$a$b", None):
        assert not auth.verify_password("x", broken)


def test_hash_password_command():
    done = subprocess.run([sys.executable, "-m", "qmi_metrics", "hash-password", "--stdin"], input=PASSWORD + "\n",
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0
    assert auth.verify_password(PASSWORD, done.stdout.strip())
    short = subprocess.run([sys.executable, "-m", "qmi_metrics", "hash-password", "--stdin"], input="court\n",
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert short.returncode == 2
