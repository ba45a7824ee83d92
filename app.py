"""QMI — tableau de bord. Run with `make run`."""

import streamlit as st

st.set_page_config(page_title="QMI — tableau de bord", page_icon="🏙️", layout="wide")

navigation = st.navigation({
    "Programme": [st.Page("pages/vue_ensemble.py", title="Vue d'ensemble", url_path="vue-ensemble", default=True)],
    "Méthode": [st.Page("pages/sources.py", title="Sources et écarts", url_path="sources")],
})
navigation.run()
