"""What every page shares: the one DuckDB connection, the filters (kept in the URL), language,
banners, KPI cards, accessible charts and exports. Pages call these and qmi_metrics; no SQL here."""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from qmi_metrics import auth, db, figures, filters, formatting, kpis, loader, queries, reconcile
from qmi_metrics.filters import Filters, UnknownFilterValue

# A deep link opened first after the server starts is run by Streamlit's pages/-directory
# fallback, without app.py and its st.navigation. Switch the fallback off and run again:
# each page's url_path is its file name, so the rerun lands on the same page, inside app.py.
try:
    from streamlit.runtime.pages_manager import PagesManager
except ImportError:  # a Streamlit without the fallback
    PagesManager = None
if PagesManager is not None and getattr(PagesManager, "uses_pages_directory", False):
    PagesManager.uses_pages_directory = False
    st.rerun()

# Okabe–Ito: distinguishable by colour-blind readers; charts also carry text labels.
PALETTE = figures.PALETTE
STATUS_SYMBOLS = {"selected": "○", "started": "◔", "agreement_signed": "◑", "deployed": "●", "tested": "◉",
                  "evaluated": "★", "continued": "➜", "stopped": "✕"}


@dataclass(frozen=True)
class View:
    """The filters of the sidebar: the KPI filters plus a project-status filter for project lists."""

    filters: Filters
    statuses: tuple[str, ...] = ()
    notices: tuple[str, ...] = field(default=(), compare=False)


# --- data -------------------------------------------------------------------------------------

@st.cache_resource
def _open_connections() -> dict:
    """path -> (file identity, connection), shared by every session of the server."""
    return {"lock": threading.Lock(), "by_path": {}}


def database_path() -> str:
    """$QMI_DB, else `qmi_db` in .streamlit/secrets.toml, else data/qmi.duckdb."""
    if os.environ.get("QMI_DB"):
        return os.environ["QMI_DB"]
    try:
        configured = st.secrets.get("qmi_db")
    except Exception:  # no secrets file
        configured = None
    return str(configured or loader.DEFAULT_DB_PATH)


def connection():
    """One read-only connection per database file for the whole server; queries take a cursor each.

    Keyed on the file's identity: when an import publishes a new version (a new file renamed
    over the old one), the next run opens it, without a restart."""
    path = str(loader.ensure_built(database_path()))
    stat = os.stat(path)
    identity = (stat.st_ino, stat.st_mtime_ns)
    registry = _open_connections()
    with registry["lock"]:
        known = registry["by_path"].get(path)
        if known is None or known[0] != identity:
            if known is not None:
                # DuckDB shares one instance per path in a process: close the old file's
                # connection, or the new one would still read the replaced file.
                known[1].close()
            registry["by_path"][path] = (identity, db.connect(path))
        return registry["by_path"][path][1]


def data_version() -> str:
    return db.meta(connection()).get("data_version", "")


@st.cache_data(max_entries=512, show_spinner=False)
def kpi_results(version: str, view: Filters) -> dict[str, kpis.KpiResult]:
    return {r.id: r for r in kpis.compute_all(connection(), view)}


@st.cache_data(max_entries=8, show_spinner=False)
def reconciliation(version: str) -> list[reconcile.Reconciliation]:
    return reconcile.reconcile(connection())


@st.cache_data(max_entries=256, show_spinner=False)
def projects(version: str, view: Filters, statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    return queries.projects(connection(), view, statuses)


@st.cache_data(max_entries=64, show_spinner=False)
def choices(version: str) -> dict:
    con = connection()
    return {
        "editions": filters.editions(con),
        "communes": filters.communes(con, participating_only=True),
        "all_communes": filters.communes(con),
        "themes": filters.themes(con),
    }


# --- language ---------------------------------------------------------------------------------

def lang() -> str:
    return "en" if st.session_state.get("lang") == "en" else "fr"


def tr(fr: str, en: str) -> str:
    """The text in the reader's language."""
    return en if lang() == "en" else fr


def fmt(value, unit: str = "count", decimals: int | None = None) -> str:
    return formatting.value(value, unit, lang(), decimals)


def fmt_date(day, precision: str | None = "day") -> str:
    return formatting.date(day, precision, lang())


def status_label(status: str | None) -> str:
    if status is None:
        return formatting.NOT_KNOWN[lang()]
    return f"{STATUS_SYMBOLS.get(status, '')} {queries.STATUS_LABELS[lang()].get(status, status)}".strip()


def theme_label(slug: str | None) -> str:
    for row in choices(data_version())["themes"]:
        if row["theme_slug"] == slug:
            return row["label_en"] if lang() == "en" else row["label_fr"]
    return formatting.NOT_KNOWN[lang()]


# --- filters, kept in the URL -----------------------------------------------------------------

URL_KEYS = ("edition", "commune", "theme", "status", "lang")
ALL = "all"  # the "all editions" choice (a selectbox shows None as "no choice")


def _read_url(options: dict) -> tuple[dict, list[str]]:
    """Filter values from the URL; unknown ones are dropped with a notice, never an exception."""
    params = st.query_params
    state, notices = {}, []
    con = connection()
    if "lang" in params:
        state["lang"] = "en" if params.get("lang") == "en" else "fr"
    if "edition" in params:
        raw = params.get("edition")
        if raw == "all":
            state["f_edition"] = ALL
        else:
            try:
                state["f_edition"] = filters.resolve_edition(con, raw)
            except UnknownFilterValue:
                notices.append(("Édition inconnue ignorée : « {v} »", "Unknown edition ignored: “{v}”", raw))
    for key, resolver, state_key in (("commune", filters.resolve_commune, "f_communes"),
                                     ("theme", filters.resolve_theme, "f_themes")):
        if key in params:
            values = []
            for raw in params.get_all(key):
                try:
                    values.append(resolver(con, raw))
                except UnknownFilterValue:
                    fr, en = (("Commune inconnue ignorée : « {v} »", "Unknown commune ignored: “{v}”") if key == "commune"
                              else ("Défi inconnu ignoré : « {v} »", "Unknown challenge ignored: “{v}”"))
                    notices.append((fr, en, raw))
            state[state_key] = [v for v in dict.fromkeys(values) if v in options[key]]
    if "status" in params:
        values = []
        for raw in params.get_all("status"):
            if raw in queries.STATUSES:
                values.append(raw)
            else:
                notices.append(("Statut inconnu ignoré : « {v} »", "Unknown status ignored: “{v}”", raw))
        state["f_statuses"] = list(dict.fromkeys(values))
    return state, notices


def _write_url(view: View) -> None:
    names = {row["insee"]: row["name"] for row in choices(data_version())["all_communes"]}
    wanted = {
        "edition": "all" if view.filters.edition is None else str(view.filters.edition),
        "commune": [names[c] for c in view.filters.communes],
        "theme": list(view.filters.themes),
        "status": list(view.statuses),
    }
    if lang() == "en":
        wanted["lang"] = "en"
    # Only the filter keys: a page's own parameters (?projet=…) stay as they are.
    for key in URL_KEYS:
        value = wanted.get(key, [])
        values = value if isinstance(value, list) else [value]
        if st.query_params.get_all(key) != values:
            if values:
                st.query_params[key] = values if len(values) > 1 else values[0]
            else:
                del st.query_params[key]


def sidebar() -> View:
    """The sidebar filters, drawn by app.py before the page so they are the same widgets on
    every page (and keep their values across pages), and written into the URL."""
    options = choices(data_version())
    communes = {row["insee"]: row["name"] for row in options["communes"]}
    themes = {row["theme_slug"]: row for row in options["themes"]}
    editions = [row["edition_id"] for row in options["editions"]]
    # The URL wins on a page load; afterwards the widgets do.
    if not st.session_state.get("_url_read"):
        state, notices = _read_url({"commune": communes, "theme": themes})
        for key, value in state.items():
            st.session_state[key] = value
        st.session_state["_url_notices"] = notices
        st.session_state["_url_read"] = True
    st.session_state.setdefault("f_edition", editions[0] if editions else ALL)
    if st.session_state["f_edition"] not in [ALL, *editions]:
        st.session_state["f_edition"] = ALL
    with st.sidebar:
        st.segmented_control("Langue / Language", ["fr", "en"], key="lang", default="fr",
                             format_func=lambda code: {"fr": "Français", "en": "English"}[code])
        st.selectbox(tr("Édition", "Edition"), [ALL, *editions], key="f_edition",
                     format_func=lambda e: tr("Toutes les éditions", "All editions") if e == ALL
                     else next((r["label_en"] if lang() == "en" else r["label_fr"])
                               for r in options["editions"] if r["edition_id"] == e))
        st.multiselect(tr("Communes", "Communes"), list(communes), key="f_communes",
                       format_func=communes.get, placeholder=tr("Toutes", "All"))
        st.multiselect(tr("Défis", "Challenges"), list(themes), key="f_themes",
                       format_func=lambda s: themes[s]["label_en" if lang() == "en" else "label_fr"],
                       placeholder=tr("Tous", "All"))
        st.multiselect(tr("Statut des projets", "Project status"), list(queries.STATUSES), key="f_statuses",
                       format_func=status_label, placeholder=tr("Tous", "All"))
        st.caption(tr("Les filtres sont dans l'adresse de la page : copiez-la pour partager cette vue.",
                      "The filters are in the page address: copy it to share this view."))
    view = current_view()
    _write_url(view)
    return view


def current_view() -> View:
    """The view the sidebar's widgets describe."""
    edition = st.session_state.get("f_edition", ALL)
    return View(
        filters=Filters(edition=None if edition == ALL else edition,
                        communes=tuple(st.session_state.get("f_communes") or ()),
                        themes=tuple(st.session_state.get("f_themes") or ())),
        statuses=tuple(st.session_state.get("f_statuses") or ()),
        notices=tuple(st.session_state.get("_url_notices") or ()),
    )


def page(title_fr: str, title_en: str, intro_fr: str = "", intro_en: str = "") -> View:
    """Start a page: title, notices for bad URL values, and the synthetic-data banner."""
    view = current_view()
    if db.is_synthetic(connection()):
        st.warning(tr("DONNÉES SYNTHÉTIQUES : ces chiffres sont générés pour la démonstration, aucun n'est réel.",
                      "SYNTHETIC DATA: these figures are generated for demonstration, none is real."), icon="⚠️")
    for fr, en, value in view.notices:
        st.info(tr(fr, en).format(v=value), icon="ℹ️")
    st.markdown(CSS, unsafe_allow_html=True)
    st.title(tr(title_fr, title_en))
    if intro_fr:
        st.write(tr(intro_fr, intro_en))
    return view


# Card values must fit "non renseigné" and "280 personnes" in a quarter of the page.
CSS = """<style>
[data-testid="stMetricValue"] { font-size: 1.9rem; }
[data-testid="stMetricLabel"] p { font-size: 0.95rem; }
</style>"""


def month_ticks(first, last, every_months: int = 6) -> tuple[list, list[str]]:
    """Date-axis ticks labelled in the reader's language (plotly's own labels are English)."""
    return figures.month_ticks(first, last, every_months, lang())


# --- KPI cards ----------------------------------------------------------------------------------

def kpi_card(result: kpis.KpiResult) -> None:
    """A KPI as a card: the computed value when complete, else the published one, saying which."""
    language = lang()
    shown, basis, lower_bound = result.shown()
    note = tr(*kpis.BASIS_LABELS[basis])
    qualifier = tr("plus de ", "over ") if lower_bound else ""
    published = result.published[0] if result.published else None
    help_lines = [result.kpi.definition(language)]
    if published:
        help_lines.append(f"{tr('Source', 'Source')} : {published.source} — « {published.quote} »")
    st.metric(result.kpi.label(language), qualifier + formatting.value(shown, result.unit, language), border=True,
              help="\n\n".join(help_lines))
    total = result.total if result.total is not None else "?"
    caption = f"{note} · {tr('couverture', 'coverage')} {result.covered}/{total}"
    if published:
        caption += f" · {tr('source', 'source')} : {reconcile.document_name(published.document, language)}"
    if result.ignored_filters:
        caption += " · " + tr("filtres non applicables : ", "filters not applicable: ") + ", ".join(result.ignored_filters)
    st.caption(caption)


def kpi_row(results: dict, ids: tuple[str, ...], columns: int = 4) -> None:
    for start in range(0, len(ids), columns):
        for column, kpi_id in zip(st.columns(columns), ids[start:start + columns]):
            with column:
                if kpi_id in results:
                    kpi_card(results[kpi_id])


# --- charts, tables, exports ----------------------------------------------------------------------

def style(fig: go.Figure, height: int = 420) -> go.Figure:
    fig.update_layout(height=height, colorway=PALETTE, font=dict(size=14), margin=dict(l=10, r=10, t=40, b=10),
                      separators=", " if lang() == "fr" else ".,", legend=dict(orientation="h", y=-0.15))
    return fig


def chart(fig: go.Figure, data: pd.DataFrame, summary: str, name: str, key: str | None = None, height: int = 420):
    """A chart with its one-sentence summary, its data as a table and its exports (RGAA spirit)."""
    st.plotly_chart(style(fig, height), key=key, config={
        "displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}})
    st.caption(summary)
    with st.expander(tr("Données du graphique", "Chart data")):
        table(data, name, key=f"{key or name}-data")


def table(data: pd.DataFrame, name: str, key: str | None = None, **dataframe_args) -> None:
    st.dataframe(data, hide_index=True, width="stretch", **dataframe_args)
    exports(data, name, key=key)


def to_excel(data: pd.DataFrame, sheet: str = "données") -> bytes:
    buffer = io.BytesIO()
    frame = data.copy()
    for column in frame.columns:  # Excel has no time zones and no lists
        if frame[column].map(lambda v: isinstance(v, (list, tuple, dict))).any():
            frame[column] = frame[column].map(str)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


def exports(data: pd.DataFrame, name: str, key: str | None = None) -> None:
    left, right = st.columns(2)
    # Files are made on click (deferred), not on every rerun of the page.
    left.download_button(tr("Télécharger (CSV)", "Download (CSV)"), lambda: data.to_csv(index=False).encode("utf-8-sig"),
                         f"{name}.csv", "text/csv", key=f"{key or name}-csv", width="stretch")
    right.download_button(tr("Télécharger (Excel)", "Download (Excel)"), lambda: to_excel(data), f"{name}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key or name}-xlsx", width="stretch")


def importable_export(table: str, view: View, label_fr: str, label_en: str) -> None:
    """The view's rows in the import template's columns: edit them in Excel and import them back."""
    rows = queries.importable_rows(connection(), table, view.filters)
    st.download_button(tr(label_fr, label_en), lambda: to_excel(rows, table), f"qmi_{table}_modele_import.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"importable-{table}", help=tr(
                           "Colonnes du modèle d'import : modifiez dans Excel puis importez (Administration, mode « ajouter ou mettre à jour »).",
                           "The import template's columns: edit in Excel, then import (Administration, mode “insert or update”)."))


# --- access ------------------------------------------------------------------------------------

def _secrets() -> dict:
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except Exception:  # no secrets.toml: nothing configured
        return {}


def access_config() -> dict:
    """What .streamlit/secrets.toml configures: OIDC ([auth]), an admin password hash, public reading."""
    secrets = _secrets()
    admin = secrets.get("admin", {}) or {}
    access = secrets.get("access", {}) or {}
    return {
        "oidc": "auth" in secrets,
        "password_hash": admin.get("password_hash"),
        "admins": [str(e).lower() for e in admin.get("emails", [])],
        "require_login": bool(access.get("require_login", False)),
    }


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
def attempt_limiter() -> auth.AttemptLimiter:
    """Failed password attempts, for the whole server (a new session does not reset them)."""
    return auth.AttemptLimiter()
