import pandas as pd
import streamlit as st

from dashboard.ui import caches, language, sidebar, widgets
from qmi_metrics.present import formatting, vocabulary

sidebar.page("Sources et écarts", "Sources and discrepancies",
             "Chaque chiffre publié par les documents, confronté à ce que donnent les données.",
             "Every figure the documents publish, checked against what the data give.")
fr = language.lang() == "fr"

report = caches.reconciliation(caches.data_version())
STATUS = vocabulary.FINDINGS
counts = {status: sum(r.status == status for r in report) for status in STATUS}
for column, status in zip(st.columns(3), STATUS):
    column.metric(STATUS[status][0 if fr else 1], formatting.number(counts[status]), border=True)

table = pd.DataFrame([{
    "figure": r.figure.figure_id,
    "libellé" if fr else "label": r.figure.label_fr,
    "publié" if fr else "published": formatting.value(r.figure.value, r.figure.unit, language.lang()),
    "calculé" if fr else "computed": formatting.value(r.computed_value, r.figure.unit, language.lang()) if r.kpi_id else "—",
    "statut" if fr else "status": STATUS[r.status][0 if fr else 1],
    "explication" if fr else "explanation": r.explanation_fr if fr else r.explanation_en,
    "document": r.figure.document,
    "section": r.figure.section,
    "citation" if fr else "quote": r.figure.quote,
} for r in report])
widgets.table(table, "qmi_sources_ecarts")
