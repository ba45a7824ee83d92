"""Who may read and what each signed-in person may do: the access settings of .streamlit/secrets.toml, OIDC or
password accounts, their roles (qmi_metrics/admin/roles.py), the sign-in form and its per-client throttle.
Access fails closed; a role is looked up from the identity on every run, never kept in the session or the URL."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os

import streamlit as st

from dashboard.ui import configuration, database
from dashboard.ui.language import lang
from qmi_metrics.admin import auth, roles
from qmi_metrics.present import formatting, vocabulary
from qmi_metrics.present.i18n import N_, _
from qmi_metrics.store import settings

_LOG = logging.getLogger("qmi")
SIGNED_IN = "password_sign_in"   # the session's password sign-in: its account and this server's proof of it
UNREADABLE = N_("La configuration d'accès (.streamlit/secrets.toml) est illisible : le tableau de bord reste fermé. "
                "Prévenez son administrateur.")


def access_config() -> dict:
    """What .streamlit/secrets.toml configures: OIDC ([auth]), the roles by e-mail and the password accounts
    (`declared`, roles.Declared), public reading. An unreadable file or a value not understood closes the
    dashboard; `problem` then says why, in the reader's language."""
    secrets = configuration.secrets()
    if secrets.get("unreadable"):
        return _closed(_(lang(), UNREADABLE))
    try:
        return {
            "oidc": settings.configured("auth", secrets) is not None,
            "declared": roles.declared(secrets),
            "require_login": settings.value("access.require_login", secrets),
            "trusted_proxies": settings.value("access.trusted_proxies", secrets),
            "problem": None,
        }
    except settings.SettingError as error:
        _LOG.error("réglage d'accès invalide, accès fermé / access setting not understood, access closed: %s", error)
        return _closed(vocabulary.localized(lang(), error.fr, error.en))  # the setting's own bilingual message


def _closed(problem: str) -> dict:
    """Nobody reads, nobody signs in: the access configuration could not be understood."""
    return {"oidc": False, "declared": roles.Declared({}, {}), "require_login": True,
            "trusted_proxies": settings.default("access.trusted_proxies"), "problem": problem}


def oidc_user() -> dict | None:
    try:
        if st.user.is_logged_in:
            return {"name": st.user.get("name") or st.user.get("email"), "email": (st.user.get("email") or "").lower()}
    except Exception:  # st.user needs [auth] in secrets
        return None
    return None


@st.cache_resource
def _server_key() -> bytes:
    """Signs this server's password sign-ins (a session lives on one server: a restart signs everyone out)."""
    return os.urandom(32)


def _proof(account: str, password_hash: str) -> str:
    return hmac.new(_server_key(), f"{account}\0{password_hash}".encode("utf-8"), hashlib.sha256).hexdigest()


def password_account() -> str | None:
    """The password account this session signed in with. The session keeps the account and a proof made from the
    account's hash as declared at sign-in: an account removed or given a new password is signed out at the next
    run, and nothing put in the session state without the password opens one."""
    held = st.session_state.get(SIGNED_IN)
    if not isinstance(held, dict) or not isinstance(held.get("account"), str) or not isinstance(held.get("proof"), str):
        return None
    stored = access_config()["declared"].password_hash(held["account"])
    if stored is None or not hmac.compare_digest(held["proof"], _proof(held["account"], stored)):
        return None
    return held["account"]


def identity() -> roles.Identity | None:
    """Who is signed in and what they may do, looked up on every run from st.user's e-mail (OIDC) or the proven
    password account in the roles secrets.toml declares now: no role is read from the session or the URL."""
    declared = access_config()["declared"]
    user = oidc_user()
    if user:
        return declared.for_email(user["email"], user["name"])
    account = password_account()
    return declared.for_account(account) if account else None


def signed_in_user() -> str | None:
    found = identity()
    return found.name if found else None


def sign_out() -> None:
    st.session_state.pop(SIGNED_IN, None)
    if oidc_user():
        st.logout()


@st.cache_resource
def _throttles() -> dict:
    return {}


def sign_in_throttle() -> auth.SignInThrottle:
    """Failed password attempts of the database's server, kept beside its audit log (a restart keeps them)."""
    path = auth.throttle_path(database.path())
    known = _throttles()
    if path not in known:
        known[path] = auth.SignInThrottle(path)
    return known[path]


def client_address() -> str:
    """Who is signing in, for the throttle: the connection's address, or the address a trusted proxy
    ([access] trusted_proxies, default the loopback addresses: nginx of deploy/) says it forwarded for."""
    try:
        remote = st.context.ip_address or "127.0.0.1"  # Streamlit says None for a loopback connection
        forwarded = st.context.headers.get("X-Forwarded-For") or ""
    except Exception:  # no browser connection
        return "local"
    if not isinstance(remote, str) or not isinstance(forwarded, str):  # AppTest's stand-in context
        return "local"
    if remote in access_config()["trusted_proxies"] and forwarded:
        return forwarded.split(",")[-1].strip()[:64]  # the hop the trusted proxy appended
    return remote


def reading_allowed() -> bool:
    return not access_config()["require_login"] or signed_in_user() is not None


def require_access() -> None:
    """Every page run checks this (app.py before the page, sidebar.current_view in the page): when reading
    needs a sign-in and nobody is signed in, the run shows the sign-in form and stops. The page asked for
    stays the address, so the reader lands on it once signed in."""
    if reading_allowed():
        return
    st.title(_(lang(), "Connexion"))
    problem = access_config()["problem"]
    if problem:
        st.error(problem, icon=":material/error:")
        st.stop()
    st.info(_(lang(), "Ce tableau de bord est réservé : connectez-vous pour le consulter."), icon=":material/lock:")
    login_form()
    st.stop()


def login_form() -> None:
    """OIDC when configured, and the password accounts (only the password when the one account is [admin]'s);
    wrong passwords slow down their own client only."""
    config = access_config()
    declared = config["declared"]
    if config["oidc"]:
        st.button(_(lang(), "Se connecter"), on_click=st.login, type="primary")
    if not declared.accounts:
        return
    named = set(declared.accounts) != {roles.ADMIN_ACCOUNT}
    throttle, client = sign_in_throttle(), client_address()
    with st.form("admin_login"):
        account = st.text_input(_(lang(), "Compte")) if named else roles.ADMIN_ACCOUNT
        password = st.text_input(_(lang(), "Mot de passe") if named else _(lang(), "Mot de passe administrateur"),
                                 type="password")
        submitted = st.form_submit_button(_(lang(), "Se connecter"))
    if not submitted:
        return
    account = account.strip() or roles.ADMIN_ACCOUNT
    stored = declared.password_hash(account)
    counted = account if stored else "?"  # the throttle keeps declared accounts apart, and the rest together
    waiting = throttle.seconds_to_wait(client, counted)
    if waiting:  # the password is not even checked
        st.error(too_many_attempts(waiting))
    elif auth.verify_password(password, stored or auth.decoy_hash()) and stored:
        throttle.record_success(client, counted)
        st.session_state[SIGNED_IN] = {"account": account, "proof": _proof(account, stored)}
        st.rerun()
    else:
        waiting = throttle.record_failure(client, counted)
        wrong = _(lang(), "Compte ou mot de passe incorrect.") if named else _(lang(), "Mot de passe incorrect.")
        st.error(wrong + (" " + too_many_attempts(waiting) if waiting else ""))


def too_many_attempts(seconds: float) -> str:
    if seconds < 90:
        wait = f"{formatting.value(max(1, math.ceil(seconds)), 'count', lang())} s"
    else:
        wait = f"{formatting.value(math.ceil(seconds / 60), 'count', lang())} min"
    return _(lang(), "Trop d'essais depuis cette connexion : réessayez dans {wait}.", wait=wait)
