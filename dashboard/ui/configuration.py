"""The app's settings: the environment, then .streamlit/secrets.toml, read through qmi_metrics.store.settings."""

from __future__ import annotations

import logging
import os

import streamlit as st

from qmi_metrics.store import settings

_LOG = logging.getLogger("qmi")
UNREADABLE_SECRETS = {"access": {"require_login": True}, "unreadable": True}


def secrets() -> dict:
    """The secrets, {} when no secrets file exists. A file that exists but cannot be read closes the
    dashboard (UNREADABLE_SECRETS) rather than opening it: access must fail closed."""
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except Exception as error:
        from streamlit import config

        if not any(os.path.exists(path) for path in config.get_option("secrets.files") or ()):
            return {}
        _LOG.error("secrets illisibles, accès fermé / unreadable secrets, access closed: %s", error)
        return UNREADABLE_SECRETS


def value(name: str):
    """A setting of qmi_metrics.store.settings: the environment, else secrets.toml, else its default."""
    return settings.value(name, secrets())


def configured(name: str):
    """A setting as the environment or secrets.toml sets it, None when neither does."""
    return settings.configured(name, secrets())
