"""The floor for benchmarks/pages.py: two empty pages, served by the same Streamlit the same way and reached by
the same kind of menu as the app's (a hidden st.navigation, st.page_link entries in a container keyed
"navigation": dashboard/ui/sidebar.navigation_links), so a cold load and a warm switch cost only what Streamlit
itself costs."""

import streamlit as st


def first() -> None:
    """Nothing: the floor."""


def second() -> None:
    """Nothing: the floor."""


pages = [st.Page(first, title="Un", url_path="un", default=True), st.Page(second, title="Deux", url_path="deux")]
current = st.navigation(pages, position="hidden")
with st.sidebar, st.container(key="navigation"):
    for page in pages:
        st.page_link(page)
current.run()
