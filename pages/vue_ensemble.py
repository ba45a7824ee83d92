import streamlit as st

from pages import common

view = common.sidebar()
common.synthetic_banner()
st.title("Quartiers Métropolitains d'Innovation" if common.lang() == "fr" else "Metropolitan Innovation Districts")

HEADLINE = ("communes_count", "candidatures_count", "projects_selected_count", "selection_rate",
            "deployment_rate", "mean_deployment_months", "community_participants_total", "indicators_count")
results = {r.id: r for r in common.kpi_results(common.data_version(), view)}
for row in (HEADLINE[:4], HEADLINE[4:]):
    for column, kpi_id in zip(st.columns(4), row):
        with column:
            common.kpi_card(results[kpi_id])
