"""QMI — tableau de bord. Run with `make run`."""

import streamlit as st

st.set_page_config(page_title="QMI — tableau de bord", page_icon="🏙️", layout="wide")

PAGES = {
    "Programme": [
        st.Page("pages/vue_ensemble.py", title="Vue d'ensemble", icon="🏠", url_path="vue-ensemble", default=True),
        st.Page("pages/carte.py", title="Carte des quartiers", icon="🗺️", url_path="carte"),
        st.Page("pages/projets.py", title="Projets", icon="🧪", url_path="projets"),
        st.Page("pages/thematiques.py", title="Thématiques", icon="🏷️", url_path="thematiques"),
        st.Page("pages/deploiement.py", title="Déploiement", icon="🚀", url_path="deploiement"),
        st.Page("pages/evaluation.py", title="Évaluation", icon="📏", url_path="evaluation"),
        st.Page("pages/communaute.py", title="Communauté", icon="🤝", url_path="communaute"),
    ],
    "Méthode": [
        st.Page("pages/editions.py", title="Éditions", icon="📅", url_path="editions"),
        st.Page("pages/sources.py", title="Sources et écarts", icon="🔎", url_path="sources"),
    ],
}
st.navigation(PAGES).run()
