import streamlit as st

from pages import common

view = common.page("Quartiers Métropolitains d'Innovation", "Metropolitan Innovation Districts")
results = common.kpi_results(common.data_version(), view.filters)
common.kpi_row(results, ("communes_count", "candidatures_count", "projects_selected_count", "selection_rate",
                         "deployment_rate", "mean_deployment_months", "community_participants_total",
                         "indicators_count"))
