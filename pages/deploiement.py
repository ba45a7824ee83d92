import streamlit as st

from pages import common

view = common.page("Déploiement", "Deployment")
st.info(common.tr("Page en construction.", "Page under construction."))
