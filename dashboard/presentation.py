"""Mode présentation: the programme's story as a full-screen slideshow for a projector.

Opened from the navigation (/presentation) or with ?present=1 on any page (app.py switches here). The
view's filters come from the URL (?edition=2&commune=Sceaux); ?interval=20 sets the seconds per slide and
?base=https://… the address the QR code points to (the showcase's page of the view when QMI_PUBLIC_SITE_URL /
public_site_url is set). All slides are rendered server-side into one
self-contained HTML document (qmi_metrics.outputs.slideshow): advancing does not rerun the page, and nothing is
fetched from the network, so it plays on a laptop without internet.
"""

import streamlit as st

from dashboard import registry
from dashboard.ui import caches, configuration, database, language, sidebar
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import deck, slideshow
from qmi_metrics.present.i18n import _

PAGE_PATHS = registry.NAMES  # each page's url_path is its file name


@st.cache_data(max_entries=64, show_spinner=False)
def slideshow_html(version: str, filters: Filters, statuses: tuple[str, ...], lang: str, base: str,
                   notices: tuple[str, ...], interval: float, site_base: str | None) -> str:
    shown = deck.build(database.connection(), filters, statuses, lang, base, notices, site_base)
    return slideshow.render(shown, interval)


def browser_url() -> str | None:
    """The address the browser uses (None in tests and before the browser has said it)."""
    try:
        return st.context.url
    except Exception:
        return None


# No sidebar, header or toolbar: app.py hides them (slideshow.HOST_PAGE_CSS) before drawing the sidebar. Not
# st.set_page_config(initial_sidebar_state="collapsed"): the collapse would outlive the slideshow on the next page.
view = sidebar.current_view()
interval, interval_notice = deck.parse_interval(st.query_params.get("interval"), language.lang())
base, base_notice = deck.base_url(st.query_params.get("base"), configuration.value("public_url"), browser_url(), PAGE_PATHS,
                                  language.lang())
notices = [_(language.lang(), message, v=value) for message, value in view.notices]
notices += [notice for notice in (interval_notice, base_notice) if notice]
# The QR code opens the static showcase's page of the view when it has a public address: no session per phone.
site_base = configuration.configured("QMI_PUBLIC_SITE_URL")
st.iframe(slideshow_html(caches.data_version(), view.filters, view.statuses, language.lang(), base, tuple(notices), interval,
                         site_base), height=1000, alt=slideshow.FRAME_TITLE)
