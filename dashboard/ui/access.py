"""Who may read and who may administer: the access settings of .streamlit/secrets.toml, OIDC or the admin
password, the sign-in form and its per-client throttle. Access fails closed."""

from __future__ import annotations

import logging
import math

import streamlit as st

from dashboard.ui import configuration, database
from dashboard.ui.language import lang
from qmi_metrics.admin import auth
from qmi_metrics.present import formatting, vocabulary
from qmi_metrics.present.i18n import N_, _
from qmi_metrics.store import settings

_LOG = logging.getLogger("qmi")
PASSWORD_ACCOUNT = "admin"  # the one account the password of secrets.toml opens
UNREADABLE = N_("La configuration d'accès (.streamlit/secrets.toml) est illisible : le tableau de bord reste fermé. "
                "Prévenez son administrateur.")


def access_config() -> dict:
    """What .streamlit/secrets.toml configures: OIDC ([auth]), an admin password hash, public reading. An
    unreadable file or a value not understood closes the dashboard; `problem` then says why, in the reader's
    language."""
    secrets = configuration.secrets()
    if secrets.get("unreadable"):
        return _closed(_(lang(), UNREADABLE))
    try:
        return {
            "oidc": settings.configured("auth", secrets) is not None,
            "password_hash": settings.value("admin.password_hash", secrets),
            "admins": [email.lower() for email in settings.value("admin.emails", secrets)],
            "require_login": settings.value("access.require_login", secrets),
            "trusted_proxies": settings.value("access.trusted_proxies", secrets),
            "problem": None,
        }
    except settings.SettingError as error:
        _LOG.error("réglage d'accès invalide, accès fermé / access setting not understood, access closed: %s", error)
        return _closed(vocabulary.localized(lang(), error.fr, error.en))  # the setting's own bilingual message


def _closed(problem: str) -> dict:
    """Nobody reads, nobody signs in: the access configuration could not be understood."""
    return {"oidc": False, "password_hash": None, "admins": [], "require_login": True,
            "trusted_proxies": settings.default("access.trusted_proxies"), "problem": problem}


def oidc_user() -> dict | None:
    try:
        if st.user.is_logged_in:
            return {"name": st.user.get("name") or st.user.get("email"), "email": (st.user.get("email") or "").lower()}
    except Exception:  # st.user needs [auth] in secrets
        return None
    return None


def signed_in_user() -> str | None:
    """Who is signed in: through OIDC, or through the admin password of this session."""
    user = oidc_user()
    if user:
        return user["name"]
    return st.session_state.get("admin_user")


def is_admin() -> bool:
    config = access_config()
    user = oidc_user()
    if user:
        return not config["admins"] or user["email"] in config["admins"]
    return bool(st.session_state.get("admin_user")) and bool(config["password_hash"])


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
    """OIDC when configured, else the admin password; wrong passwords slow down their own client only."""
    config = access_config()
    if config["oidc"]:
        st.button(_(lang(), "Se connecter"), on_click=st.login, type="primary")
        if oidc_user() and not is_admin():
            st.error(_(lang(), "Ce compte n'est pas administrateur."))
    if not config["password_hash"]:
        return
    throttle, client = sign_in_throttle(), client_address()
    with st.form("admin_login"):
        password = st.text_input(_(lang(), "Mot de passe administrateur"), type="password")
        submitted = st.form_submit_button(_(lang(), "Se connecter"))
    if not submitted:
        return
    waiting = throttle.seconds_to_wait(client, PASSWORD_ACCOUNT)
    if waiting:  # the password is not even checked
        st.error(too_many_attempts(waiting))
    elif auth.verify_password(password, config["password_hash"]):
        throttle.record_success(client, PASSWORD_ACCOUNT)
        st.session_state["admin_user"] = "admin"
        st.rerun()
    else:
        waiting = throttle.record_failure(client, PASSWORD_ACCOUNT)
        st.error(_(lang(), "Mot de passe incorrect.") + (" " + too_many_attempts(waiting) if waiting else ""))


def too_many_attempts(seconds: float) -> str:
    if seconds < 90:
        wait = f"{formatting.value(max(1, math.ceil(seconds)), 'count', lang())} s"
    else:
        wait = f"{formatting.value(math.ceil(seconds / 60), 'count', lang())} min"
    return _(lang(), "Trop d'essais depuis cette connexion : réessayez dans {wait}.", wait=wait)
