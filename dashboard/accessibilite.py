"""« Accessibilité »: the accessibility statement, generated from the audit's results (qmi_metrics.present.accessibility)."""

import streamlit as st

from dashboard import registry
from dashboard.ui import configuration, language, sidebar
from qmi_metrics.present import accessibility
from qmi_metrics.present.i18n import _

lang = language.lang()
sidebar.page(_(lang, "Déclaration d'accessibilité"),
             _(lang, "Ce que l'audit d'accessibilité du tableau de bord a mesuré, ce qui reste à corriger et comment "
                     "signaler un problème."))
titles = {spec.name: spec.title(lang) for spec in registry.PAGES}
for heading, body in accessibility.statement(accessibility.load(), lang, titles,
                                             configuration.configured("QMI_ACCESSIBILITY_CONTACT")):
    st.header(heading)
    st.markdown(body)
