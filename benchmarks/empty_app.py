"""The floor for benchmarks/pages.py: an st.navigation app with two empty pages, served by the same
Streamlit the same way, so a cold load and a warm switch cost only what Streamlit itself costs."""

import streamlit as st


def first() -> None:
    """Nothing: the floor."""


def second() -> None:
    """Nothing: the floor."""


st.navigation([st.Page(first, title="Un", url_path="un", default=True),
               st.Page(second, title="Deux", url_path="deux")]).run()
