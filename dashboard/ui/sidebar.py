"""The view every page shows: the sidebar's filters (edition, communes, défis, statuses, language), kept in
the URL so an address shares a view, and the start of every page (database, access, title, banners)."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from dashboard.ui import access, caches, database, widgets
from dashboard.ui.language import language_name, lang
from qmi_metrics.metrics import filters
from qmi_metrics.metrics.filters import Filters, UnknownFilterValue
from qmi_metrics.outputs import escape
from qmi_metrics.present import i18n, narratives, vocabulary
from qmi_metrics.present.i18n import N_, _
from qmi_metrics.reads import queries


@dataclass(frozen=True)
class View:
    """The filters of the sidebar: the KPI filters plus a project-status filter for project lists."""

    filters: Filters
    statuses: tuple[str, ...] = ()
    notices: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # (msgid with {v}, the value)


URL_KEYS = ("edition", "commune", "theme", "status", "lang")
FILTER_KEYS = ("f_edition", "f_communes", "f_themes", "f_statuses")  # the sidebar widgets' session keys
ALL = "all"  # the "all editions" choice (a selectbox shows None as "no choice")


def _read_url(options: dict) -> tuple[dict, list[str]]:
    """Filter values from the URL; unknown ones are dropped with a notice, never an exception."""
    params = st.query_params
    state, notices = {}, []
    con = database.connection()
    if "lang" in params:
        state["lang"] = params.get("lang") if params.get("lang") in i18n.LANGUAGES else i18n.SOURCE_LANGUAGE
    if "edition" in params:
        raw = params.get("edition")
        if raw == "all":
            state["f_edition"] = ALL
        else:
            try:
                state["f_edition"] = filters.resolve_edition(con, raw)
            except UnknownFilterValue:
                notices.append((N_("Édition inconnue ignorée : « {v} »"), raw))
    for key, resolver, state_key in (("commune", filters.resolve_commune, "f_communes"),
                                     ("theme", filters.resolve_theme, "f_themes")):
        if key in params:
            values = []
            for raw in params.get_all(key):
                try:
                    values.append(resolver(con, raw))
                except UnknownFilterValue:
                    notices.append((N_("Commune inconnue ignorée : « {v} »") if key == "commune"
                                    else N_("Défi inconnu ignoré : « {v} »"), raw))
            state[state_key] = [v for v in dict.fromkeys(values) if v in options[key]]
    if "status" in params:
        values = []
        for raw in params.get_all("status"):
            if raw in queries.STATUSES:
                values.append(raw)
            else:
                notices.append((N_("Statut inconnu ignoré : « {v} »"), raw))
        state["f_statuses"] = list(dict.fromkeys(values))
    return state, notices


def _write_url(view: View, names: dict[str, str]) -> None:
    wanted = {
        "edition": "all" if view.filters.edition is None else str(view.filters.edition),
        "commune": [names[c] for c in view.filters.communes],
        "theme": list(view.filters.themes),
        "status": list(view.statuses),
    }
    if lang() != i18n.SOURCE_LANGUAGE:
        wanted["lang"] = lang()
    # Only the filter keys: a page's own parameters (?projet=…) stay as they are.
    for key in URL_KEYS:
        value = wanted.get(key, [])
        values = value if isinstance(value, list) else [value]
        if st.query_params.get_all(key) != values:
            if values:
                st.query_params[key] = values if len(values) > 1 else values[0]
            else:
                del st.query_params[key]


def navigation_links(sections: dict[str, list]) -> None:
    """The menu of app.py's pages, in the sidebar above the filters: one link per page under its section's
    title (the current page highlighted by st.page_link). Filters travel in the session, rewritten into the
    URL by the next page's sidebar."""
    with st.sidebar, st.container(key="navigation"):
        for title, pages in sections.items():
            st.markdown(f"**{escape.markdown(title)}**")
            for page in pages:
                st.page_link(page)


def sidebar() -> View:
    """The sidebar filters, drawn by app.py before the page so they are the same widgets on
    every page (and keep their values across pages), and written into the URL."""
    options = caches.sidebar_options(caches.data_version(), lang())
    communes, themes, editions = options["communes"], options["themes"], list(options["editions"])
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
        # In every language at once, so that any reader finds it; each language named in itself.
        st.segmented_control("Langue / Language", list(i18n.LANGUAGES), key="lang", default=i18n.SOURCE_LANGUAGE,
                             format_func=language_name)
        every_edition = _(lang(), "Toutes les éditions")
        st.selectbox(_(lang(), "Édition"), [ALL, *editions], key="f_edition",
                     format_func=lambda e: every_edition if e == ALL else options["editions"][e])
        st.multiselect(_(lang(), "Communes"), list(communes), key="f_communes",
                       format_func=communes.get, placeholder=_(lang(), "Toutes"))
        st.multiselect(_(lang(), "Défis"), list(themes), key="f_themes",
                       format_func=themes.get, placeholder=_(lang(), "Tous"))
        st.multiselect(_(lang(), "Statut des projets"), list(options["statuses"]), key="f_statuses",
                       format_func=options["statuses"].get, placeholder=_(lang(), "Tous"))
        st.caption(_(lang(), "Les filtres sont dans l'adresse de la page : copiez-la pour partager cette vue."))
    view = current_view()
    _write_url(view, options["all_communes"])
    return view


def require_database() -> None:
    """Stop the run on the unavailable page when the database cannot be served. app.py checks first;
    this covers a page run without it (AppTest)."""
    problem = database.problem()
    if problem:
        database.unavailable_page(problem)
        st.stop()


def current_view() -> View:
    """The view the sidebar's widgets describe, once the reader may read it (every page starts here)."""
    require_database()
    access.require_access()
    edition = st.session_state.get("f_edition", ALL)
    return View(
        filters=Filters(edition=None if edition == ALL else edition,
                        communes=tuple(st.session_state.get("f_communes") or ()),
                        themes=tuple(st.session_state.get("f_themes") or ())),
        statuses=tuple(st.session_state.get("f_statuses") or ()),
        notices=tuple(st.session_state.get("_url_notices") or ()),
    )


def page(title: str, intro: str = "") -> View:
    """Start a page: access, title and intro (in the reader's language), notices for bad URL values, and the
    synthetic-data banner."""
    view = current_view()
    if caches.is_synthetic():
        st.warning(vocabulary.synthetic_banner(lang()), icon="⚠️")
    for message, value in view.notices:
        st.info(_(lang(), message, v=widgets.literal(value)), icon="ℹ️")
    st.title(title)
    if intro:
        st.write(intro)
    st.caption(narratives.published_line(caches.served_publication(), lang()))
    return view
