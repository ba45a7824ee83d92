import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt_date, tr
from qmi_metrics.present import figures, headlines, vocabulary
from qmi_metrics.reads import queries



@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def funnel_stages(version, filters):
    return queries.funnel(database.connection(), filters, caches.kpi_results(version, filters))


@st.cache_data(max_entries=16, show_spinner=False)
def calendar(version, edition):
    return queries.milestones(database.connection(), edition)


view = sidebar.page("Quartiers Métropolitains d'Innovation", "Metropolitan Innovation Districts",
                    "Les chiffres clés de l'édition, chacun avec sa source et sa couverture.",
                    "The edition's key figures, each with its source and coverage.")
version = caches.data_version()
results = caches.kpi_results(version, view.filters)
widgets.kpi_row(results, headlines.OVERVIEW)

st.header(tr("Entonnoir du programme", "Programme funnel"))
stages = [s for s in funnel_stages(version, view.filters) if s["value"] is not None]
if not stages:
    st.write(tr("Aucune donnée d'entonnoir pour cette vue.", "No funnel data for this view."))
else:
    frame = pd.DataFrame([{
        tr("étape", "stage"): tr(s["label_fr"], s["label_en"]),
        tr("valeur", "value"): s["value"],
        tr("nature", "basis"): vocabulary.words(vocabulary.BASES, s["basis"], language.lang()),
        tr("couverture", "coverage"): "" if s["covered"] is None else f"{s['covered']}/{s['total'] if s['total'] is not None else '?'}",
    } for s in stages])
    figure = figures.funnel(stages, language.lang())  # the same figure as the reports and slides
    summary = figures.funnel_summary(stages, language.lang())
    widgets.chart(figure, frame, summary, "qmi_entonnoir", key="funnel", height=figure.layout.height)

st.header(tr("Calendrier", "Calendar"))
milestones = calendar(version, view.filters.edition)
dated = milestones[milestones["date_start"].notna()]
if dated.empty:
    st.write(tr("Aucun jalon daté pour cette vue.", "No dated milestone for this view."))
else:
    label_column = "label_en" if language.lang() == "en" else "label_fr"
    when = [fmt_date(row.date_start, row.date_precision) for row in dated.itertuples()]
    figure = figures.milestones(dated, language.lang())
    table = pd.DataFrame({
        tr("date", "date"): when,
        tr("jalon", "milestone"): dated[label_column].values,
        tr("édition", "edition"): dated["edition_id"].values,
        tr("prévu", "planned"): [tr("oui", "yes") if p else tr("non", "no") for p in dated["planned"]],
        "source": dated["source_title"].values,
        tr("citation", "quote"): dated["source_quote"].values,
    })
    summary = tr(f"{len(dated)} jalons, entre {when[0]} et {when[-1]} ; les losanges sont des dates annoncées à l'avance.",
                 f"{len(dated)} milestones, between {when[0]} and {when[-1]}; diamonds are dates announced ahead.")
    widgets.chart(figure, table, summary, "qmi_calendrier", key="calendar", height=figure.layout.height)
