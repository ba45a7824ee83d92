"""Administration: disabled without configuration, refused without login or with a wrong password,
rate-limited, and an import published from the page reaches the other pages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import argon2
import pytest
from helpers import app_test, open_page
from limits import RateLimitItemPerSecond
from limits.strategies import MovingWindowRateLimiter

from dashboard import registry
from qmi_metrics.admin import auth

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "un mot de passe assez long"
HASH = auth.hash_password(PASSWORD)
# Made by the PBKDF2 code this project used before argon2id, as such hashes still sit in secrets.toml files.
LEGACY_PASSWORD = "un ancien mot de passe"
LEGACY_HASH = "pbkdf2_sha256$390000$NtnhFkK8LNHjASYtypja+g==$wytZTIHhYqLwwlDye1Pv+WlbHGT133fJGAa1JtbEe6o="


@pytest.fixture
def admin_app(monkeypatch, reference_db_path, tmp_path):
    live = tmp_path / "qmi.duckdb"
    shutil.copy(reference_db_path, live)
    monkeypatch.setenv("QMI_DB", str(live))  # read by tests that change the live file before starting
    return lambda secrets=None: open_page(monkeypatch, live, "administration", secrets=secrets, timeout=90)


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


def sign_in(at, password: str):
    at.text_input[0].input(password)
    at.button[0].click().run()
    return at


def test_wrong_passwords_slow_down_their_own_client_only(admin_app, monkeypatch):
    from dashboard.ui import access

    at = admin_app({"admin": {"password_hash": HASH}})
    for attempt in range(auth.FREE_FAILURES - 1):
        sign_in(at, "mauvais")
        assert not at.get("file_uploader")
        assert "Mot de passe incorrect" in texts(at) and "Trop d'essais" not in texts(at)
    sign_in(at, "mauvais")  # the last free try: from now on this client waits, 30 s then doubling
    assert "Trop d'essais depuis cette connexion : réessayez dans 30 s" in texts(at)
    # This client now waits: even the right password is not checked until the delay ends.
    sign_in(at, PASSWORD)
    assert "Trop d'essais" in texts(at)
    assert not at.get("file_uploader")
    # The server restarts (its caches go): the count is read back from the file beside the audit log.
    access._throttles.clear()
    again = admin_app({"admin": {"password_hash": HASH}})
    sign_in(again, PASSWORD)
    assert "Trop d'essais" in texts(again) and not again.get("file_uploader")
    # Another client, which has not failed, signs in at once: nobody can lock the administrator out.
    monkeypatch.setattr(access, "client_address", lambda: "203.0.113.7")
    other = admin_app({"admin": {"password_hash": HASH}})
    sign_in(other, PASSWORD)
    assert not other.exception
    assert other.get("file_uploader")


def test_the_right_password_opens_the_import_form(admin_app):
    at = admin_app({"admin": {"password_hash": HASH}})
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.get("file_uploader")
    assert "Historique des versions" in [h.value for h in at.header]
    assert "hash-password" not in texts(at)  # an argon2id hash of today's parameters: nothing to replace


def test_a_pbkdf2_hash_still_opens_the_import_form_and_asks_to_be_replaced(admin_app):
    at = admin_app({"admin": {"password_hash": LEGACY_HASH}})
    sign_in(at, LEGACY_PASSWORD)
    assert not at.exception
    assert at.get("file_uploader")
    assert "plus ancien (PBKDF2)" in texts(at) and "hash-password" in texts(at)


def test_history_shows_an_import_and_the_pages_its_data(admin_app, tmp_path):
    import os

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
    at.switch_page(registry.page("vue_ensemble").file).run()
    assert any("8/28" in c.value for c in at.caption)  # deployment outcome now known for 8 projects


READING_NEEDS_LOGIN = {"admin": {"password_hash": HASH}, "access": {"require_login": True}}


def assert_only_the_sign_in_form(at, where: str) -> None:
    assert not at.exception, where
    assert "connectez-vous pour le consulter" in texts(at), where
    assert at.text_input and at.text_input[0].label == "Mot de passe administrateur", where
    assert not at.metric and not at.dataframe and not at.get("plotly_chart") and not at.get("deck_gl_json_chart"), where
    assert not at.get("iframe") and not at.get("file_uploader"), where


def test_reading_can_require_login(monkeypatch, reference_db_path):
    at = app_test(monkeypatch, reference_db_path, secrets=READING_NEEDS_LOGIN, timeout=90).run()
    assert_only_the_sign_in_form(at, "home")
    for spec in registry.PAGES:  # a deep link to any page, and the slideshow
        at.query_params["projet"] = "faradae"
        at.switch_page(spec.file).run()
        assert_only_the_sign_in_form(at, spec.name)
    at.query_params["present"] = "1"
    at.switch_page(registry.page("vue_ensemble").file).run()
    assert_only_the_sign_in_form(at, "?present=1")
    # Signed in, the page asked for is there.
    del at.query_params["present"]
    at.switch_page(registry.page("projets").file).run()
    sign_in(at, PASSWORD)
    assert not at.exception
    assert "Faradae" in " ".join(h.value for kind in (at.title, at.header, at.subheader) for h in kind)


@pytest.mark.parametrize("name", registry.NAMES)
def test_every_page_script_checks_access_by_itself(monkeypatch, reference_db_path, name):
    """A page run without app.py (whatever runs it) still shows only the sign-in form."""
    at = app_test(monkeypatch, reference_db_path, script=registry.page(name).file, secrets=READING_NEEDS_LOGIN,
                  timeout=90, projet="faradae").run()
    assert_only_the_sign_in_form(at, name)


def test_throttle_delay_grows_per_client_and_is_kept_across_restarts(tmp_path):
    path = tmp_path / "signin_attempts.json"
    throttle = auth.SignInThrottle(path, free_failures=3, base_delay=30, max_delay=100)
    waits = [throttle.record_failure("198.51.100.1", "admin", now=1000 + i) for i in range(6)]
    assert waits == [0, 0, 30, 60, 100, 100]  # free tries, then doubling, capped
    assert throttle.seconds_to_wait("198.51.100.1", "admin", now=1050) == pytest.approx(55)
    assert throttle.seconds_to_wait("198.51.100.1", "admin", now=1106) == 0  # the delay has run out
    assert throttle.seconds_to_wait("198.51.100.2", "admin", now=1006) == 0  # another client is free
    restarted = auth.SignInThrottle(path, free_failures=3, base_delay=30, max_delay=100)
    assert restarted.seconds_to_wait("198.51.100.1", "admin", now=1050) == pytest.approx(55)
    assert "198.51.100.1" not in path.read_text()  # addresses are stored hashed
    restarted.record_success("198.51.100.1", "admin")
    assert restarted.seconds_to_wait("198.51.100.1", "admin", now=1050) == 0


def test_throttle_account_under_attack_slows_failed_clients_not_new_ones(tmp_path):
    throttle = auth.SignInThrottle(tmp_path / "t.json", account_failures=10, account_window=600, account_delay=300)
    for i in range(10):  # ten addresses, one wrong password each: none alone past its free tries
        throttle.record_failure(f"192.0.2.{i}", "admin", now=1000 + i)
    assert throttle.seconds_to_wait("192.0.2.0", "admin", now=1010) == pytest.approx(290)
    assert throttle.seconds_to_wait("192.0.2.99", "admin", now=1010) == 0  # never failed: may sign in
    assert throttle.seconds_to_wait("192.0.2.0", "other", now=1010) == 0  # per account


def test_throttle_account_window_is_in_the_file_shared_by_replicas(tmp_path):
    path = tmp_path / "signin_attempts.json"
    one, two = (auth.SignInThrottle(path, account_failures=4, account_window=60, account_delay=300) for _ in "12")
    for i in range(4):  # the failures arrive at either replica
        (one if i % 2 else two).record_failure(f"192.0.2.{i}", "admin", now=1000 + i)
    assert one.seconds_to_wait("192.0.2.0", "admin", now=1010) == pytest.approx(290)
    assert two.seconds_to_wait("192.0.2.1", "admin", now=1010) == pytest.approx(291)
    assert two.seconds_to_wait("192.0.2.0", "admin", now=1059) == pytest.approx(241)
    assert one.seconds_to_wait("192.0.2.0", "admin", now=1061) == 0  # two failures have left the window


def test_throttle_reads_a_file_written_before_the_limits_windows(tmp_path):
    path = tmp_path / "signin_attempts.json"
    throttle = auth.SignInThrottle(path, free_failures=1, base_delay=10)
    throttle.record_failure("198.51.100.1", "admin", now=0)
    state = json.loads(path.read_text())
    state["accounts"] = {"admin": [0]}  # how the account's failures used to be kept
    del state["windows"]
    path.write_text(json.dumps(state))
    restarted = auth.SignInThrottle(path, free_failures=1, base_delay=10)
    assert restarted.seconds_to_wait("198.51.100.1", "admin", now=5) == 5  # the clients' counts are kept
    assert restarted.record_failure("198.51.100.1", "admin", now=6) == 20
    assert set(json.loads(path.read_text())) == {"salt", "clients", "windows"}


def test_state_windows_is_a_limits_moving_window_storage():
    windows: dict = {}
    limit = RateLimitItemPerSecond(2, 10)

    def limiter(now: float) -> MovingWindowRateLimiter:
        return MovingWindowRateLimiter(auth.StateWindows(windows, now))

    assert limiter(0).hit(limit, "k") and limiter(1).hit(limit, "k")
    assert not limiter(5).hit(limit, "k") and not limiter(5).test(limit, "k")  # full: refused, not kept
    assert limiter(5).get_window_stats(limit, "k") == (10, 0)  # room again when the first is 10 s old
    assert limiter(10.5).test(limit, "k") and limiter(10.5).hit(limit, "k")
    assert limiter(12).get_window_stats(limit, "k").remaining == 1
    assert json.loads(json.dumps(windows)) == windows  # plain JSON, for the throttle's file
    limiter(12).clear(limit, "k")
    assert limiter(12).get_window_stats(limit, "k").remaining == 2


def test_throttle_keeps_working_when_its_file_cannot_be_written(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    throttle = auth.SignInThrottle(blocked / "signin_attempts.json", free_failures=1, base_delay=10)
    assert throttle.record_failure("198.51.100.1", "admin", now=0) == 10
    assert throttle.seconds_to_wait("198.51.100.1", "admin", now=5) == 5
    damaged = tmp_path / "damaged.json"
    damaged.write_text("{not json")
    assert auth.SignInThrottle(damaged).seconds_to_wait("198.51.100.1", "admin") == 0


def test_password_hash_round_trip_and_malformed_hashes():
    stored = auth.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and not auth.needs_rehash(stored)
    assert auth.verify_password("correct horse battery", stored)
    assert not auth.verify_password("wrong", stored)
    for broken in ("", "plain", "md5$1$x$y", "pbkdf2_sha256$notanumber$a$b", "$argon2id$broken", None):
        assert not auth.verify_password("x", broken)


def test_a_pbkdf2_hash_of_earlier_versions_still_verifies_and_asks_for_a_new_one():
    assert auth.verify_password(LEGACY_PASSWORD, LEGACY_HASH)
    assert not auth.verify_password("un ancien mot de passE", LEGACY_HASH)
    assert auth.needs_rehash(LEGACY_HASH)
    weaker = argon2.PasswordHasher(time_cost=1, memory_cost=8192).hash(LEGACY_PASSWORD)
    assert auth.verify_password(LEGACY_PASSWORD, weaker) and auth.needs_rehash(weaker)


def test_hash_password_command():
    done = subprocess.run([sys.executable, "-m", "qmi_metrics", "hash-password", "--stdin"], input=PASSWORD + "\n",
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("$argon2id$")
    assert auth.verify_password(PASSWORD, done.stdout.strip())
    short = subprocess.run([sys.executable, "-m", "qmi_metrics", "hash-password", "--stdin"], input="court\n",
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert short.returncode == 2


def test_unreadable_secrets_close_the_dashboard(monkeypatch, reference_db_path, tmp_path):
    """A secrets file that exists but does not parse must not open reading to everyone."""
    from streamlit import config

    broken = tmp_path / "secrets.toml"
    broken.write_text('[access]\nrequire_login = true\n[admin\npassword_hash = "x"\n', encoding="utf-8")
    monkeypatch.setattr(config, "get_option", lambda name, _get=config.get_option:
                        [str(broken)] if name == "secrets.files" else _get(name))
    monkeypatch.setattr("streamlit.secrets._secrets", None, raising=False)
    at = app_test(monkeypatch, reference_db_path, timeout=90).run()
    assert not at.exception
    assert "illisible" in texts(at)
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")


def _import_twice(live: str, tmp_path) -> None:
    """Two CLI imports: the first version is then archived and the rollback form offers it."""
    for day in ("01/02/2024", "01/03/2024"):
        events = tmp_path / "evenements.csv"
        events.write_text("event_id;project_id;kind;date_start;date_precision\n"
                          f";faradae;deployed;{day};month\n", encoding="cp1252")
        done = subprocess.run([sys.executable, "-m", "qmi_metrics", "import", str(events), "--table",
                               "project_events", "--db", live, "--by", "gestionnaire", "--mode", "upsert"],
                              capture_output=True, text=True, cwd=REPO, timeout=120)
        assert done.returncode == 0, done.stderr


def _roll_back_on_the_page(at):
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    form_select = next(s for s in at.selectbox if s.label == "Revenir à la version")
    form_select.set_value(form_select.options[0])
    next(c for c in at.checkbox if c.label == "Je confirme le retour à cette version").check()
    next(b for b in at.button if b.label == "Revenir en arrière").click().run()
    assert not at.exception
    return at


@pytest.mark.parametrize("site_state", ["fresh", "foreign"])
def test_a_rollback_on_the_page_says_whether_the_showcase_followed(admin_app, tmp_path, monkeypatch, site_state):
    import os

    _import_twice(os.environ["QMI_DB"], tmp_path)
    site_dir = tmp_path / "vitrine"
    if site_state == "foreign":  # a folder export-site did not write: the showcase cannot follow
        site_dir.mkdir()
        (site_dir / "autre.html").write_text("x")
    monkeypatch.setenv("QMI_SITE_DIR", str(site_dir))
    at = _roll_back_on_the_page(admin_app({"admin": {"password_hash": HASH}}))
    assert "rétablie" in texts(at)
    if site_state == "fresh":
        assert site_dir.is_symlink() and (site_dir / "fr" / "index.html").is_file()
        assert any(c.value.startswith("Vitrine régénérée") for c in at.caption)
    else:
        assert "vitrine non régénérée, l'ancienne reste en ligne" in texts(at)
        assert (site_dir / "autre.html").read_text() == "x"


# --- roles on the page (tests/test_roles.py: the rule, the command line) -------------------------------------

AULNAY, MEUDON = "93005", "92048"
ROLE_SECRETS = {"admin": {"password_hash": HASH}, "accounts": {
    "aulnay": {"password_hash": HASH, "role": "commune_editor", "scope": [AULNAY]},
    "programme": {"password_hash": HASH, "role": "programme_manager"}}}
MEASUREMENTS = "project_id;indicator_id;measured_on;value\n"
# One import of each commune, then one of both: a commune editor of Aulnay sees the second only.
IMPORTS = (("meudon.csv", "faradae;energie-partagee;31/03/2024;100\n", "programme", "programme_manager", None),
           ("aulnay.csv", "istya;qualite-air-interieur;31/03/2024;7\n", "aulnay", "commune_editor",
            frozenset({AULNAY})),
           ("les-deux.csv", "faradae;energie-partagee;30/04/2024;200\nistya;qualite-air-interieur;30/04/2024;8\n",
            "programme", "programme_manager", None))


def publish_imports_of_two_communes(live: str) -> None:
    from qmi_metrics.admin import publishing, readers

    for name, rows, by, role, scope in IMPORTS:
        parsed = readers.read_file((MEASUREMENTS + rows).encode("utf-8"), name, "indicator_values")
        publishing.publish_import(live, parsed, "indicator_values", "append", by=by, role=role, scope=scope)


def sign_in_as(at, account: str, password: str = PASSWORD):
    """The form of several password accounts: the account, then its password."""
    at.text_input[0].input(account)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception
    return at


def history_files(at) -> set:
    history = next((d.value for d in at.dataframe if "version" in d.value.columns), None)
    return set() if history is None else set(history["file"].dropna())


def has_rollback(at) -> bool:
    return any(s.label == "Revenir à la version" for s in at.selectbox)


@pytest.fixture
def role_app(admin_app):
    import os

    publish_imports_of_two_communes(os.environ["QMI_DB"])
    return lambda secrets=ROLE_SECRETS: admin_app(secrets)


def test_a_commune_editor_sees_only_its_communes_templates_history_and_no_rollback(role_app):
    at = sign_in_as(role_app(), "aulnay")
    assert any("aulnay (éditeur de commune : 93005 (Aulnay-sous-Bois))" in c.value for c in at.caption)
    assert history_files(at) == {"aulnay.csv"}  # not Meudon's import, nor the one of both communes, nor the build
    shown = at.dataframe[0].value.to_string()
    assert "meudon.csv" not in shown and "les-deux.csv" not in shown
    assert "programme" not in set(at.dataframe[0].value["by"])
    assert not has_rollback(at)
    template_tables = next(s for s in at.selectbox if s.label == "Table").options
    assert "editions" not in template_tables and "indicator_values" in template_tables
    assert "replace" not in " ".join(next(s for s in at.selectbox if s.label == "Mode").options)
    assert "prérempli avec les lignes de vos communes" in " ".join(c.value for c in at.caption)
    assert "Accès" not in [h.value for h in at.header]


def test_a_programme_manager_sees_every_commune_but_neither_rolls_back_nor_sees_access(role_app):
    at = sign_in_as(role_app(), "programme")
    assert history_files(at) == {"meudon.csv", "aulnay.csv", "les-deux.csv"}
    assert not has_rollback(at)
    assert "editions" in next(s for s in at.selectbox if s.label == "Table").options
    assert "Accès" not in [h.value for h in at.header]


def test_an_administrator_sees_everything_rolls_back_and_sees_who_has_which_role(role_app):
    at = sign_in_as(role_app(), "admin")
    assert history_files(at) == {"meudon.csv", "aulnay.csv", "les-deux.csv"}
    assert has_rollback(at)
    assert "Accès" in [h.value for h in at.header]
    table = next(d.value for d in at.dataframe if "qui" in d.value.columns)
    assert set(table["qui"]) == {"admin", "aulnay", "programme"}
    assert table.set_index("qui").loc["aulnay", "communes"] == AULNAY
    assert "$argon2" not in table.to_string()


def test_session_state_and_url_cannot_raise_a_role(role_app):
    from dashboard.ui import access

    at = sign_in_as(role_app(), "aulnay")
    # Whatever a session or an address claims, the role is the signed-in account's, looked up again.
    for key, value in (("role", "administrator"), ("scope", None), ("identity", "admin"), ("admin_user", "admin"),
                       ("is_admin", True)):
        at.session_state[key] = value
    at.query_params["role"] = "administrator"
    at.query_params["scope"] = MEUDON
    at.query_params["as"] = "admin"
    at.run()
    assert not at.exception
    assert history_files(at) == {"aulnay.csv"} and not has_rollback(at)
    assert "Accès" not in [h.value for h in at.header]
    # The sign-in the session holds, moved to another account: the proof no longer matches, nobody is signed in.
    held = dict(at.session_state[access.SIGNED_IN])
    at.session_state[access.SIGNED_IN] = {**held, "account": "admin"}
    at.run()
    assert "Connectez-vous pour importer des données." in texts(at) and not at.get("file_uploader")
    # A fresh session that was never signed in: the keys of the old sign-in and a made-up proof open nothing.
    fresh = role_app()
    fresh.session_state["admin_user"] = "admin"
    fresh.session_state[access.SIGNED_IN] = {"account": "admin", "proof": "0" * 64}
    fresh.query_params["role"] = "administrator"
    fresh.run()
    assert "Connectez-vous pour importer des données." in texts(fresh) and not fresh.get("file_uploader")


def test_an_account_given_a_new_password_is_signed_out(role_app):
    at = sign_in_as(role_app(), "aulnay")
    assert at.get("file_uploader")
    renewed = {**ROLE_SECRETS["accounts"]["aulnay"], "password_hash": auth.hash_password("x" * 12)}
    at.secrets["accounts"] = {**ROLE_SECRETS["accounts"], "aulnay": renewed}
    at.run()
    assert not at.get("file_uploader") and "Connectez-vous pour importer des données." in texts(at)


def test_a_reader_account_reads_but_does_not_import(admin_app):
    at = admin_app({"accounts": {"elus": {"password_hash": HASH, "role": "reader"}}})
    sign_in_as(at, "elus")
    assert "pas importer de données" in texts(at)
    assert not at.get("file_uploader") and "Historique des versions" not in [h.value for h in at.header]


def test_several_accounts_ask_for_the_account_and_a_wrong_one_is_refused(admin_app):
    at = admin_app(ROLE_SECRETS)
    assert [t.label for t in at.text_input] == ["Compte", "Mot de passe"]
    sign_in_as(at, "aulnay", "mauvais mot de passe")
    assert "Compte ou mot de passe incorrect." in texts(at) and not at.get("file_uploader")
    sign_in_as(at, "inconnu", PASSWORD)
    assert "Compte ou mot de passe incorrect." in texts(at) and not at.get("file_uploader")


def test_oidc_users_get_the_role_their_e_mail_is_declared_with(role_app, monkeypatch):
    """st.user's e-mail, looked up at every run ([roles], [admin] emails); anyone else signed in only reads."""
    from dashboard.ui import access

    secrets = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32},
               "admin": {"emails": ["dsi@parisandco.paris"]},
               "roles": {"Agent@Ville-Aulnay.fr": {"role": "commune_editor", "scope": [AULNAY]}}}
    signed_in = {}
    monkeypatch.setattr(access, "oidc_user", lambda: dict(signed_in) or None)

    def open_as(email: str):
        signed_in.update(name=email, email=email)
        return role_app(secrets)

    editor = open_as("agent@ville-aulnay.fr")
    assert history_files(editor) == {"aulnay.csv"} and not has_rollback(editor)
    administrator = open_as("dsi@parisandco.paris")
    assert history_files(administrator) == {"meudon.csv", "aulnay.csv", "les-deux.csv"} and has_rollback(administrator)
    reader = open_as("quelqu.un@example.org")
    assert "pas importer de données" in texts(reader) and not reader.get("file_uploader")
