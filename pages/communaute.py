import streamlit as st

from pages import common

view = common.page("Communauté", "Community")
st.info(common.tr("Page en construction.", "Page under construction."))
