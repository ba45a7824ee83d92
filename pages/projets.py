import streamlit as st

from pages import common

view = common.page("Projets", "Projects")
st.info(common.tr("Page en construction.", "Page under construction."))
