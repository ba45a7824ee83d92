"""Data, KPIs and reconciliation of the Quartiers Métropolitains d'Innovation (no Streamlit here)."""
