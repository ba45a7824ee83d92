"""QMI — tableau de bord. Run with `make run`."""

import streamlit as st

from dashboard import registry
from dashboard.ui import access, database, language, sidebar, widgets
from qmi_metrics.outputs import deck, slideshow

st.set_page_config(page_title="QMI — tableau de bord", page_icon=":material/location_city:", layout="wide")

# The pages of dashboard/registry.py, titled in the reader's language (the sidebar's switch, else ?lang=).
lang = language.lang()
language.declare_document_language(lang)
st.html(widgets.CSS)
BY_NAME = {spec.name: st.Page(spec.file, title=spec.title(lang), icon=spec.icon, default=spec.default)
           for spec in registry.PAGES}
PAGES: dict[str, list] = {}
for spec in registry.PAGES:
    PAGES.setdefault(registry.section_title(spec.section, lang), []).append(BY_NAME[spec.name])
PRESENTATION = BY_NAME["presentation"]
# A missing, broken or foreign database file: every address shows what is wrong and what to do, and
# the next run after a good file is published at the path serves the data again.
problem = database.problem()
# Every page stays declared when reading needs a sign-in: a deep link resolves (no « page not found »),
# and its run shows the sign-in form instead of the page, then the page itself once signed in.
allowed = access.reading_allowed()
# Hidden: the sidebar draws the links itself (sidebar.navigation_links), as Streamlit's own menu's markup fails
# axe's list rules (docs/accessibility/audit.json).
navigation = st.navigation(PAGES, position="hidden")
if problem:
    database.unavailable_page(problem)
    st.stop()
access.require_access()
if deck.is_on(st.query_params.get("present")) and navigation.url_path != PRESENTATION.url_path:
    # ?present=1 on any page: the same view as a slideshow, filters kept.
    st.switch_page(PRESENTATION, query_params=[(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
if navigation.url_path == PRESENTATION.url_path:
    st.html(slideshow.HOST_PAGE_CSS)  # full screen: the sidebar below stays hidden from its first frame
try:
    sidebar.navigation_links(PAGES)
    sidebar.sidebar()  # drawn here, not in the pages, so the filters are the same widgets on every page
    navigation.run()
except Exception as error:
    # The file went bad under the run (replaced by a broken one, or a corrupt block): rerun, and the
    # run shows the unavailable page instead of a half-drawn one. Any other error is a bug: raised.
    if database.damaged(error) is None:
        raise
    st.rerun()
