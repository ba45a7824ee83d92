"""What every page shares: the one DuckDB connection, the filters (kept in the URL), language,
banners, KPI cards, accessible charts and exports. Pages call these and qmi_metrics; no SQL here."""

from __future__ import annotations

import glob
import io
import logging
import math
import os
import re
import shlex
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from qmi_metrics.admin import auth
from qmi_metrics.metrics import filters, kpis, reconcile
from qmi_metrics.metrics.filters import Filters, UnknownFilterValue
from qmi_metrics.outputs import escape, spreadsheet
from qmi_metrics.present import cards, figures, formatting, vocabulary
from qmi_metrics.reads import queries
from qmi_metrics.store import db, loader

_LOG = logging.getLogger("qmi")

# Okabe–Ito: distinguishable by colour-blind readers; charts also carry text labels.
PALETTE = figures.PALETTE


@dataclass(frozen=True)
class View:
    """The filters of the sidebar: the KPI filters plus a project-status filter for project lists."""

    filters: Filters
    statuses: tuple[str, ...] = ()
    notices: tuple[str, ...] = field(default=(), compare=False)


# --- data -------------------------------------------------------------------------------------

@st.cache_resource
def _open_connections() -> dict:
    """path -> (file identity, connection, damage found while reading it), shared by every session of the server."""
    return {"lock": threading.Lock(), "by_path": {}}


def _configured_path() -> str | None:
    if os.environ.get("QMI_DB"):
        return os.environ["QMI_DB"]
    try:
        configured = st.secrets.get("qmi_db")
    except Exception:  # no secrets file
        configured = None
    return str(configured) if configured else None


def database_path() -> str:
    """$QMI_DB, else `qmi_db` in .streamlit/secrets.toml, else data/qmi.duckdb."""
    return _configured_path() or str(loader.DEFAULT_DB_PATH)


def duckdb_limits() -> db.Limits:
    """Memory limit and threads: $QMI_DUCKDB_MEMORY_LIMIT / $QMI_DUCKDB_THREADS, else secrets' [duckdb], else defaults."""
    return db.configured_limits(_secrets().get("duckdb") or {})


def connection() -> db.ReadingConnection:
    """One read-only connection per database file for the whole server; queries take a cursor each.

    Keyed on the file's identity: when an import publishes a new version (a new file renamed over
    the old one), the next run opens it, without a restart; queries still running on the old one
    finish on it. Raises db.DatabaseUnavailable when the file cannot be served (app.py shows why);
    the next run tries again, so publishing a good file at the path is enough to recover."""
    path = database_path()
    if _configured_path() is None and not os.path.exists(path):
        try:  # the default database is built on first start; a configured one never is
            loader.ensure_built(path)
        except Exception as error:  # e.g. data/ unreadable: say so like any missing database
            raise db.DatabaseUnavailable(path, "missing", str(error).splitlines()[0][:300] if str(error) else "") from error
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise db.DatabaseUnavailable(path, "missing") from None
    except OSError as error:
        raise db.DatabaseUnavailable(path, "unreadable", str(error)) from error
    identity = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    registry = _open_connections()
    with registry["lock"]:
        known = registry["by_path"].get(path)
        if known is not None and known[0] == identity:
            if known[2] is not None:
                raise known[2]
            return known[1]
        # Not closed: DuckDB frees the old version when the last query running on it ends.
        registry["by_path"].pop(path, None)
        limits = duckdb_limits()
        for fr, en in limits.problems:
            _LOG.warning("%s / %s", fr, en)
        opened = db.open_for_reading(path, limits)  # DatabaseUnavailable: not remembered, tried again next run
        registry["by_path"][path] = (identity, opened, None)
        return opened


def database_problem() -> db.DatabaseUnavailable | None:
    """Why the database cannot be served now, or None."""
    try:
        connection()
    except db.DatabaseUnavailable as problem:
        return problem
    return None


def damaged(error: BaseException) -> db.DatabaseUnavailable | None:
    """A read failed because the file is cut short or corrupt: remember it for this version of the
    file (until another file is published at the path) and say so; None for any other error."""
    if isinstance(error, db.DatabaseUnavailable):
        return error
    if not db.is_damage(error):
        return None
    path = database_path()
    problem = db.DatabaseUnavailable(path, "damaged", db.first_line(error))
    registry = _open_connections()
    with registry["lock"]:
        known = registry["by_path"].get(path)
        if known is not None:
            registry["by_path"][path] = (known[0], known[1], problem)
    return problem


def unavailable_page(problem: db.DatabaseUnavailable) -> None:
    """What a reader sees instead of the dashboard when the database cannot be served: what is wrong,
    what to do, no traceback. The page recovers on the next run once a good file is at the path."""
    english = st.query_params.get("lang") == "en" or st.session_state.get("lang") == "en"

    def say(fr: str, en: str) -> str:
        return en if english else fr

    path = str(problem.path)
    st.title(say("Tableau de bord indisponible", "Dashboard unavailable"))
    st.error(say(f"Les données ne peuvent pas être affichées : {problem.what[0]}.",
                 f"The data cannot be shown: {problem.what[1]}."), icon=":material/error:")
    st.write(say("Réessayez dans quelques minutes. Si le problème continue, prévenez l'administrateur du tableau de "
                 "bord. La page se rétablit d'elle-même dès qu'une version valide de la base est en place : il suffit "
                 "de la recharger.",
                 "Try again in a few minutes. If the problem goes on, tell the dashboard's administrator. The page "
                 "comes back by itself as soon as a valid version of the database is in place: just reload it."))
    with st.container(border=True):
        st.markdown(say("**Pour l'administrateur**", "**For the administrator**"))
        st.caption(say("Fichier de la base :", "Database file:"))
        st.code(path, language=None)
        if problem.detail:
            st.caption(say("Détail :", "Detail:"))
            st.code(problem.detail, language=None)
        if problem.reason == "locked":
            st.write(say("Fermez le programme qui a ouvert la base en écriture (le serveur du tableau de bord ne "
                         "l'ouvre qu'en lecture), puis rechargez la page.",
                         "Close the program holding the database open for writing (the dashboard's server only "
                         "reads it), then reload the page."))
        elif problem.reason == "outdated":
            st.write(say("Reconstruisez la base avec cette version du code (ou publiez un import : chaque publication "
                         "recalcule ces tables). Une base qui contient des imports demande --force, et ses imports "
                         "seront à refaire :",
                         "Rebuild the database with this version of the code (or publish an import: each publish "
                         "recomputes these tables). A database holding imports needs --force, and its imports will "
                         "have to be imported again:"))
            st.code(f"python -m qmi_metrics build --db {shlex.quote(path)}", language="bash")
        elif problem.reason == "missing" and _configured_path() is not None:
            st.write(say("Vérifiez le chemin configuré ($QMI_DB ou `qmi_db` dans .streamlit/secrets.toml), ou "
                         "construisez la base à cet endroit depuis les données de référence :",
                         "Check the configured path ($QMI_DB or `qmi_db` in .streamlit/secrets.toml), or build the "
                         "database there from the reference data:"))
            st.code(f"python -m qmi_metrics build --db {shlex.quote(path)}", language="bash")
        else:
            kept = _kept_versions(path)
            if kept:
                latest = kept[-1]
                st.write(say(f"Remettez en place la dernière version conservée ({latest}) : le fichier abîmé est gardé à "
                             "côté pour examen, et la copie est renommée d'un coup sur le chemin de la base.",
                             f"Put back the latest kept version ({latest}): the broken file is kept aside for "
                             "inspection, and the copy is renamed onto the database path in one step."))
                st.code(_restore_commands(path, _version_file(path, latest)), language="bash")
                st.caption(say("Autres versions conservées : ", "Other kept versions: ")
                           + (", ".join(kept[:-1]) or "—"))
            st.write(say("Ou reconstruisez la base depuis les données de référence (les imports des gestionnaires "
                         "qu'elle contenait seront à refaire) :",
                         "Or rebuild the database from the reference data (managers' imports it held will have to "
                         "be imported again):"))
            st.code(f"mv {shlex.quote(path)} {shlex.quote(path + '.abime')}\n"
                    f"python -m qmi_metrics build --db {shlex.quote(path)}", language="bash")
    st.button(say("Réessayer", "Try again"), icon=":material/refresh:")


def _kept_versions(path: str) -> list[str]:
    """Versions kept by imports beside the database (versions/<stem>.<version>.duckdb), oldest first."""
    folder = Path(path).parent / "versions"
    prefix, found = Path(path).stem + ".", []
    try:
        for candidate in folder.glob(f"{glob.escape(prefix)}*.duckdb"):
            version = candidate.name[len(prefix):-len(".duckdb")]
            if re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", version):
                found.append(version)
    except OSError:
        return []
    return sorted(found)


def _version_file(path: str, version: str) -> str:
    return str(Path(path).parent / "versions" / f"{Path(path).stem}.{version}.duckdb")


def _restore_commands(path: str, kept: str) -> str:
    quoted, partial = shlex.quote(path), shlex.quote(path + ".restauration")
    return (f"mv {quoted} {shlex.quote(path + '.abime')}\n"
            f"cp {shlex.quote(kept)} {partial}\n"
            f"mv {partial} {quoted}")


# Each cached read of a view keeps at most this much (Streamlit evicts the oldest entries beyond it):
# the server's memory stays bounded however many distinct filter combinations sessions ask for.
CACHE_BYTES = "16MB"

_METAS = weakref.WeakKeyDictionary()  # connection -> its meta table: one file version per connection


def served_meta() -> dict[str, str]:
    """The served file's meta (data version, synthetic…), read once per connection: pages ask on every run."""
    con = connection()
    if con not in _METAS:
        _METAS[con] = db.meta(con)
    return _METAS[con]


def data_version() -> str:
    """The served version, the key of every cached read."""
    return served_meta().get("data_version", "")


def is_synthetic() -> bool:
    return served_meta().get("synthetic") == "true"


@st.cache_data(max_entries=512, max_size=CACHE_BYTES, show_spinner=False)
def kpi_results(version: str, view: Filters) -> dict[str, kpis.KpiResult]:
    return {r.id: r for r in kpis.compute_all(connection(), view)}


@st.cache_data(max_entries=8, show_spinner=False)
def reconciliation(version: str) -> list[reconcile.Reconciliation]:
    return reconcile.reconcile(connection())


@st.cache_data(max_entries=256, max_size=CACHE_BYTES, show_spinner=False)
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
    # Before the sidebar's switch exists (the sign-in form), the URL's ?lang= says it.
    chosen = st.session_state["lang"] if "lang" in st.session_state else st.query_params.get("lang")
    return "en" if chosen == "en" else "fr"


def tr(fr: str, en: str) -> str:
    """The text in the reader's language (vocabulary.tr bound to this session's language)."""
    return vocabulary.tr(lang(), fr, en)


def fmt(value, unit: str = "count", decimals: int | None = None) -> str:
    return formatting.value(value, unit, lang(), decimals)


def fmt_date(day, precision: str | None = "day") -> str:
    return formatting.date(day, precision, lang())


def status_label(status: str | None) -> str:
    return vocabulary.status_label(status, lang())


def theme_label(slug: str | None) -> str:
    return theme_labels(data_version(), lang()).get(slug, vocabulary.NOT_KNOWN[lang()])


@st.cache_data(max_entries=16, show_spinner=False)
def theme_labels(version: str, language: str) -> dict[str, str]:
    return {row["theme_slug"]: row["label_en" if language == "en" else "label_fr"] for row in choices(version)["themes"]}


# --- filters, kept in the URL -----------------------------------------------------------------

URL_KEYS = ("edition", "commune", "theme", "status", "lang")
FILTER_KEYS = ("f_edition", "f_communes", "f_themes", "f_statuses")  # the sidebar widgets' session keys
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
    # Reassigned each run: a widget whose label changes (language switch) is a new widget to
    # Streamlit, which would otherwise drop the value of the old one.
    for key in FILTER_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
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


def require_database() -> None:
    """Stop the run on the unavailable page when the database cannot be served. app.py checks first;
    this covers a page run without it (AppTest)."""
    problem = database_problem()
    if problem:
        unavailable_page(problem)
        st.stop()


def current_view() -> View:
    """The view the sidebar's widgets describe, once the reader may read it (every page starts here)."""
    require_database()
    require_access()
    edition = st.session_state.get("f_edition", ALL)
    return View(
        filters=Filters(edition=None if edition == ALL else edition,
                        communes=tuple(st.session_state.get("f_communes") or ()),
                        themes=tuple(st.session_state.get("f_themes") or ())),
        statuses=tuple(st.session_state.get("f_statuses") or ()),
        notices=tuple(st.session_state.get("_url_notices") or ()),
    )


def page(title_fr: str, title_en: str, intro_fr: str = "", intro_en: str = "") -> View:
    """Start a page: access, title, notices for bad URL values, and the synthetic-data banner."""
    view = current_view()
    if is_synthetic():
        st.warning(tr("DONNÉES SYNTHÉTIQUES : ces chiffres sont générés pour la démonstration, aucun n'est réel.",
                      "SYNTHETIC DATA: these figures are generated for demonstration, none is real."), icon="⚠️")
    for fr, en, value in view.notices:
        st.info(tr(fr, en).format(v=literal(value)), icon="ℹ️")
    st.markdown(CSS, unsafe_allow_html=True)
    st.title(tr(title_fr, title_en))
    if intro_fr:
        st.write(tr(intro_fr, intro_en))
    return view


SHOWN_CHARACTERS = 120


def literal(value, limit: int = SHOWN_CHARACTERS) -> str:
    """Text from outside (the URL…) shown as it is inside Markdown (escape.markdown), a very long value cut."""
    return escape.markdown(value, limit)


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
    """A KPI as a card, in the words every output uses (qmi_metrics.present.cards)."""
    shown = cards.card(result, lang())
    help_lines = [shown.definition]
    if shown.quote:
        help_lines.append(f"{tr('Source', 'Source')} : {shown.source} — « {shown.quote} »")
    st.metric(escape.markdown(shown.label), shown.text, border=True,
              help="\n\n".join(escape.markdown(line) for line in help_lines))
    caption = shown.note + (f" · {tr('source', 'source')} : {shown.document}" if shown.document else "")
    st.caption(escape.markdown(caption))


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
    st.caption(escape.markdown(summary))  # summaries name projects, communes…: plain text
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
    frame = spreadsheet.safe_frame(frame)  # no cell of data text may become a formula
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


def to_csv(data: pd.DataFrame) -> bytes:
    return spreadsheet.safe_frame(data).to_csv(index=False).encode("utf-8-sig")


def exports(data: pd.DataFrame, name: str, key: str | None = None) -> None:
    left, right = st.columns(2)
    # Files are made on click (deferred), not on every rerun of the page.
    left.download_button(tr("Télécharger (CSV)", "Download (CSV)"), lambda: to_csv(data),
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

UNREADABLE_SECRETS = {"access": {"require_login": True}, "unreadable": True}


def _secrets() -> dict:
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
def _throttles() -> dict:
    return {}


def sign_in_throttle() -> auth.SignInThrottle:
    """Failed password attempts of the database's server, kept beside its audit log (a restart keeps them)."""
    path = auth.throttle_path(database_path())
    known = _throttles()
    if path not in known:
        known[path] = auth.SignInThrottle(path)
    return known[path]


PASSWORD_ACCOUNT = "admin"  # the one account the password of secrets.toml opens


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
    trusted = _secrets().get("access", {}).get("trusted_proxies", ["127.0.0.1", "::1"])
    if remote in trusted and forwarded:
        return forwarded.split(",")[-1].strip()[:64]  # the hop the trusted proxy appended
    return remote


def reading_allowed() -> bool:
    return not access_config()["require_login"] or signed_in_user() is not None


def require_access() -> None:
    """Every page run checks this (app.py before the page, common.page in the page): when reading needs a
    sign-in and nobody is signed in, the run shows the sign-in form and stops. The page asked for stays
    the address, so the reader lands on it once signed in."""
    if reading_allowed():
        return
    st.title(tr("Connexion", "Sign in"))
    if _secrets().get("unreadable"):
        st.error(tr("La configuration d'accès (.streamlit/secrets.toml) est illisible : le tableau de bord reste fermé. "
                    "Prévenez son administrateur.", "The access configuration (.streamlit/secrets.toml) cannot be "
                    "read: the dashboard stays closed. Tell its administrator."), icon=":material/error:")
        st.stop()
    st.info(tr("Ce tableau de bord est réservé : connectez-vous pour le consulter.",
               "This dashboard is restricted: sign in to read it."), icon=":material/lock:")
    login_form()
    st.stop()


def login_form() -> None:
    """OIDC when configured, else the admin password; wrong passwords slow down their own client only."""
    config = access_config()
    if config["oidc"]:
        st.button(tr("Se connecter", "Sign in"), on_click=st.login, type="primary")
        if oidc_user() and not is_admin():
            st.error(tr("Ce compte n'est pas administrateur.", "This account is not an administrator."))
    if not config["password_hash"]:
        return
    throttle, client = sign_in_throttle(), client_address()
    with st.form("admin_login"):
        password = st.text_input(tr("Mot de passe administrateur", "Administrator password"), type="password")
        submitted = st.form_submit_button(tr("Se connecter", "Sign in"))
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
        st.error(tr("Mot de passe incorrect.", "Wrong password.") + (" " + too_many_attempts(waiting) if waiting else ""))


def too_many_attempts(seconds: float) -> str:
    if seconds < 90:
        wait = f"{formatting.value(max(1, math.ceil(seconds)), 'count', lang())} s"
    else:
        wait = f"{formatting.value(math.ceil(seconds / 60), 'count', lang())} min"
    return tr(f"Trop d'essais depuis cette connexion : réessayez dans {wait}.",
              f"Too many attempts from this connection: try again in {wait}.")
