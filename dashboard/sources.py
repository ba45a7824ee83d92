import pandas as pd
import streamlit as st

from dashboard.ui import caches, language, sidebar, widgets
from qmi_metrics.present import formatting, vocabulary
from qmi_metrics.present.i18n import _

sidebar.page(_(language.lang(), "Sources et écarts"),
             _(language.lang(), "Chaque chiffre publié par les documents, confronté à ce que donnent les données."))
lang = language.lang()

report = caches.reconciliation(caches.data_version())
counts = {status: sum(r.status == status for r in report) for status in vocabulary.FINDINGS}
for column, status in zip(st.columns(3), vocabulary.FINDINGS):
    column.metric(vocabulary.words(vocabulary.FINDINGS, status, lang), formatting.number(counts[status]), border=True)

table = pd.DataFrame([{
    "figure": r.figure.figure_id,
    _(lang, "libellé"): r.figure.label_fr,
    _(lang, "publié"): formatting.value(r.figure.value, r.figure.unit, lang),
    _(lang, "calculé"): formatting.value(r.computed_value, r.figure.unit, lang) if r.kpi_id else "—",
    _(lang, "statut"): vocabulary.words(vocabulary.FINDINGS, r.status, lang),
    _(lang, "explication"): vocabulary.localized(lang, r.explanation_fr, r.explanation_en),
    "document": r.figure.document,
    "section": r.figure.section,
    _(lang, "citation"): r.figure.quote,
} for r in report])
widgets.table(table, "qmi_sources_ecarts")
