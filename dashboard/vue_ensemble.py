import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt_date
from qmi_metrics.present import figures, headlines, vocabulary
from qmi_metrics.present.i18n import _
from qmi_metrics.reads import queries


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def funnel_stages(version, filters):
    return queries.funnel(database.connection(), filters, caches.kpi_results(version, filters))


@st.cache_data(max_entries=16, show_spinner=False)
def calendar(version, edition):
    return queries.milestones(database.connection(), edition)


view = sidebar.page(_(language.lang(), "Quartiers Métropolitains d'Innovation"),
                    _(language.lang(), "Les chiffres clés de l'édition, chacun avec sa source et sa couverture."))
version = caches.data_version()
results = caches.kpi_results(version, view.filters)
widgets.kpi_row(results, headlines.OVERVIEW)

st.header(_(language.lang(), "Entonnoir du programme"))
stages = [s for s in funnel_stages(version, view.filters) if s["value"] is not None]
if not stages:
    st.write(_(language.lang(), "Aucune donnée d'entonnoir pour cette vue."))
else:
    frame = pd.DataFrame([{
        _(language.lang(), "étape"): vocabulary.funnel_label(s["stage"], language.lang()),
        _(language.lang(), "valeur"): s["value"],
        _(language.lang(), "nature"): vocabulary.words(vocabulary.BASES, s["basis"], language.lang()),
        _(language.lang(), "couverture"): "" if s["covered"] is None else f"{s['covered']}/{s['total'] if s['total'] is not None else '?'}",
    } for s in stages])
    figure = figures.funnel(stages, language.lang())  # the same figure as the reports and slides
    summary = figures.funnel_summary(stages, language.lang())
    widgets.chart(figure, frame, summary, "qmi_entonnoir", key="funnel", height=figure.layout.height)

st.header(_(language.lang(), "Calendrier"))
milestones = calendar(version, view.filters.edition)
dated = milestones[milestones["date_start"].notna()]
if dated.empty:
    st.write(_(language.lang(), "Aucun jalon daté pour cette vue."))
else:
    label_column = "label_en" if language.lang() == "en" else "label_fr"
    when = [fmt_date(row.date_start, row.date_precision) for row in dated.itertuples()]
    figure = figures.milestones(dated, language.lang())
    table = pd.DataFrame({
        _(language.lang(), "date"): when,
        _(language.lang(), "jalon"): dated[label_column].values,
        _(language.lang(), "édition"): dated["edition_id"].values,
        _(language.lang(), "prévu"): [_(language.lang(), "oui") if p else _(language.lang(), "non") for p in dated["planned"]],
        "source": dated["source_title"].values,
        _(language.lang(), "citation"): dated["source_quote"].values,
    })
    summary = _(language.lang(), "{len_dated} jalons, entre {when_0} et {when_1} ; les losanges sont des dates annoncées à l'avance.",
                                 len_dated=len(dated), when_0=when[0], when_1=when[-1])
    widgets.chart(figure, table, summary, "qmi_calendrier", key="calendar", height=figure.layout.height)
