"""The reads every page shares, cached per server by the served data version (and the view): KPI results,
the reconciliation, the project list, the sidebar's choices, défi labels, and the served file's meta."""

from __future__ import annotations

import weakref

import pandas as pd
import streamlit as st

from dashboard.ui import database
from qmi_metrics.metrics import filters, kpis, reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import vocabulary
from qmi_metrics.reads import queries
from qmi_metrics.store import db

# Each cached read of a view keeps at most this much (Streamlit evicts the oldest entries beyond it):
# the server's memory stays bounded however many distinct filter combinations sessions ask for.
CACHE_BYTES = "16MB"

_METAS = weakref.WeakKeyDictionary()  # connection -> its meta table: one file version per connection


def served_meta() -> dict[str, str]:
    """The served file's meta (data version, synthetic…), read once per connection: pages ask on every run."""
    con = database.connection()
    if con not in _METAS:
        _METAS[con] = db.meta(con)
    return _METAS[con]


_PUBLICATIONS = weakref.WeakKeyDictionary()  # connection -> its db.Publication


def served_publication() -> db.Publication:
    """The served version and when it was published (« Données publiées le … »), read once per connection."""
    con = database.connection()
    if con not in _PUBLICATIONS:
        _PUBLICATIONS[con] = db.publication(con)
    return _PUBLICATIONS[con]


def data_version() -> str:
    """The served version, the key of every cached read."""
    return served_meta().get("data_version", "")


def is_synthetic() -> bool:
    return db.marks_synthetic(served_meta())


# The registry's results of one view: about 0.3 MB (a thousand KPIs at scale M), so about CACHE_BYTES × 3 in all.
KPI_VIEWS = 48


@st.cache_resource(max_entries=KPI_VIEWS, show_spinner=False)
def kpi_results(version: str, view: Filters) -> dict[str, kpis.KpiResult]:
    """Shared by every session, never copied (a copy of a thousand results costs 8 ms, on every page of every run):
    nothing may change it."""
    return {r.id: r for r in kpis.compute_all(database.connection(), view)}


@st.cache_data(max_entries=8, show_spinner=False)
def reconciliation(version: str) -> list[reconcile.Reconciliation]:
    return reconcile.reconcile(database.connection())


@st.cache_data(max_entries=256, max_size=CACHE_BYTES, show_spinner=False)
def projects(version: str, view: Filters, statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    return queries.projects(database.connection(), view, statuses)


@st.cache_data(max_entries=64, show_spinner=False)
def choices(version: str) -> dict:
    con = database.connection()
    return {
        "editions": filters.editions(con),
        "communes": filters.communes(con, participating_only=True),
        "all_communes": filters.communes(con),
        "themes": filters.themes(con),
    }


@st.cache_resource(max_entries=16, show_spinner=False)
def theme_labels(version: str, language: str) -> dict[str, str]:
    """Shared, never copied (language.theme_label asks once per row): nothing may change it."""
    return {row["theme_slug"]: row["label_en" if language == "en" else "label_fr"] for row in choices(version)["themes"]}


@st.cache_resource(max_entries=16, show_spinner=False)
def sidebar_options(version: str, language: str) -> dict[str, dict]:
    """The sidebar's choices of this data version, each with its label in `language` ({value: label}), built
    once: the sidebar draws them on every run of every page. Shared, never copied: nothing may change them."""
    found = choices(version)
    label = "label_en" if language == "en" else "label_fr"
    return {
        "editions": {row["edition_id"]: row[label] for row in found["editions"]},
        "communes": {row["insee"]: row["name"] for row in found["communes"]},
        "all_communes": {row["insee"]: row["name"] for row in found["all_communes"]},
        "themes": {row["theme_slug"]: row[label] for row in found["themes"]},
        "statuses": {status: vocabulary.status_label(status, language) for status in queries.STATUSES},
    }
