import streamlit as st

from pages import common

view = common.page("Carte des quartiers", "Map of the quartiers")
st.info(common.tr("Page en construction.", "Page under construction."))
