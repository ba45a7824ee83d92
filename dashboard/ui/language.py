"""The reader's language and the words of a page in it: number and date formats, status and défi labels."""

from __future__ import annotations

import json

import streamlit as st

from dashboard.ui import caches
from qmi_metrics.present import formatting, i18n, vocabulary


def lang() -> str:
    # Before the sidebar's switch exists (the sign-in form), the URL's ?lang= says it.
    chosen = st.session_state["lang"] if "lang" in st.session_state else st.query_params.get("lang")
    return chosen if chosen in i18n.LANGUAGES else i18n.SOURCE_LANGUAGE


def declare_document_language(code: str) -> None:
    """Streamlit's page is always <html lang="en">: set it to the reader's language, for screen readers'
    pronunciation and hyphenation (RGAA 8.3). A script in the page itself, which st.html runs once per run."""
    st.html(f"<script>document.documentElement.lang = {json.dumps(code)};</script>", unsafe_allow_javascript=True)


def language_name(code: str) -> str:
    """'Français', 'English': a language named in itself (Babel's CLDR names)."""
    name = i18n.babel_locale(code).language_name
    return name[:1].upper() + name[1:]


def fmt(value, unit: str = "count", decimals: int | None = None) -> str:
    return formatting.value(value, unit, lang(), decimals)


def fmt_date(day, precision: str | None = "day") -> str:
    return formatting.date(day, precision, lang())


def status_label(status: str | None) -> str:
    return vocabulary.status_label(status, lang())


def theme_label(slug: str | None) -> str:
    return caches.theme_labels(caches.data_version(), lang()).get(slug, vocabulary.not_known(lang()))
