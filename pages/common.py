"""What every page shares: the one DuckDB connection, the filters, the banners, the KPI cards."""

from __future__ import annotations

import streamlit as st

from qmi_metrics import db, formatting, kpis, loader, reconcile
from qmi_metrics.filters import Filters

TEXT = {
    "fr": {"edition": "Édition", "all": "Toutes", "synthetic": "DONNÉES SYNTHÉTIQUES : ces chiffres sont générés, aucun n'est réel.",
           "published": "publié", "partial": "données partielles", "coverage": "Couverture", "source": "Source",
           "computed": "calculé", "not_known": "non renseigné"},
    "en": {"edition": "Edition", "all": "All", "synthetic": "SYNTHETIC DATA: these figures are generated, none is real.",
           "published": "published", "partial": "partial data", "coverage": "Coverage", "source": "Source",
           "computed": "computed", "not_known": "not available"},
}


@st.cache_resource
def _connect(db_path: str):
    return db.connect(loader.ensure_built(db_path))


def connection():
    """One read-only connection per database for the whole server; queries take a cursor each."""
    return _connect(str(loader.default_db_path()))


def data_version() -> str:
    return db.meta(connection()).get("data_version", "")


def lang() -> str:
    return st.session_state.get("lang", "fr")


def t(key: str) -> str:
    return TEXT[lang()][key]


def sidebar() -> Filters:
    """The filters every page reads."""
    con = connection()
    editions = [row["edition_id"] for row in db.fetch_rows(con, "SELECT edition_id FROM editions ORDER BY edition_id")]
    with st.sidebar:
        st.segmented_control("Langue / Language", ["fr", "en"], key="lang", default="fr",
                             format_func=lambda code: {"fr": "Français", "en": "English"}[code])
        edition = st.selectbox(t("edition"), [None, *editions], index=1 if editions else 0, key="edition",
                               format_func=lambda e: t("all") if e is None else f"{e}")
    return Filters(edition=edition)


def synthetic_banner() -> None:
    if db.is_synthetic(connection()):
        st.warning(t("synthetic"), icon="⚠️")


@st.cache_data(max_entries=256, show_spinner=False)
def kpi_results(version: str, view: Filters) -> list[kpis.KpiResult]:
    return kpis.compute_all(connection(), view)


@st.cache_data(max_entries=8, show_spinner=False)
def reconciliation(version: str) -> list[reconcile.Reconciliation]:
    return reconcile.reconcile(connection())


def kpi_card(result: kpis.KpiResult) -> None:
    """A KPI as a card: the computed value when complete, else the published one, saying which."""
    language = lang()
    shown, note = result.value, t("computed") if result.is_complete else f"{t('computed')} · {t('partial')}"
    if not result.is_complete and result.published:
        shown, note = result.published_value, f"{t('published')} · {t('partial')}"
    published = result.published[0] if result.published else None
    help_lines = [result.kpi.definition(language)]
    if published:
        help_lines.append(f"{t('source')} : {published.source} — « {published.quote} »")
    st.metric(result.kpi.label(language), formatting.value(shown, result.unit, language), border=True,
              help="\n\n".join(help_lines))
    coverage = f"{t('coverage')} : {result.covered}/{result.total if result.total is not None else '?'}"
    st.caption(f"{note} · {coverage}" + (f" · {t('source')} : {published.document}" if published else ""))
