import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from qmi_metrics.present import figures, formatting, headlines, vocabulary
from qmi_metrics.present.i18n import _
from qmi_metrics.reads import queries


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def funnel_stages(version, filters):
    return queries.funnel(database.connection(), filters, caches.kpi_results(version, filters))


@st.cache_data(max_entries=16, show_spinner=False)
def calendar(version, edition):
    return queries.milestones(database.connection(), edition)


@widgets.cached_chart
def funnel_chart(version, filters, lang):
    stages = [s for s in funnel_stages(version, filters) if s["value"] is not None]
    if not stages:
        return None
    frame = pd.DataFrame([{
        _(lang, "étape"): vocabulary.funnel_label(s["stage"], lang),
        _(lang, "valeur"): s["value"],
        _(lang, "nature"): vocabulary.words(vocabulary.BASES, s["basis"], lang),
        _(lang, "couverture"): "" if s["covered"] is None else f"{s['covered']}/{s['total'] if s['total'] is not None else '?'}",
    } for s in stages])
    # the same figure as the reports and slides
    return widgets.Chart(figures.funnel(stages, lang), frame, figures.funnel_summary(stages, lang))


@widgets.cached_chart
def calendar_chart(version, edition, lang):
    milestones = calendar(version, edition)
    dated = milestones[milestones["date_start"].notna()]
    if dated.empty:
        return None
    label_column = "label_en" if lang == "en" else "label_fr"
    when = [formatting.date(row.date_start, row.date_precision, lang) for row in dated.itertuples()]
    table = pd.DataFrame({
        _(lang, "date"): when,
        _(lang, "jalon"): dated[label_column].values,
        _(lang, "édition"): dated["edition_id"].values,
        _(lang, "prévu"): [_(lang, "oui") if p else _(lang, "non") for p in dated["planned"]],
        "source": dated["source_title"].values,
        _(lang, "citation"): dated["source_quote"].values,
    })
    summary = _(lang, "{len_dated} jalons, entre {when_0} et {when_1} ; les losanges sont des dates annoncées à l'avance.",
                len_dated=len(dated), when_0=when[0], when_1=when[-1])
    return widgets.Chart(figures.milestones(dated, lang), table, summary)


view = sidebar.page(_(language.lang(), "Quartiers Métropolitains d'Innovation"),
                    _(language.lang(), "Les chiffres clés de l'édition, chacun avec sa source et sa couverture."))
version = caches.data_version()
results = caches.kpi_results(version, view.filters)
widgets.kpi_row(results, headlines.OVERVIEW)

st.header(_(language.lang(), "Entonnoir du programme"))
funnel = funnel_chart(version, view.filters, language.lang())
if funnel is None:
    st.write(_(language.lang(), "Aucune donnée d'entonnoir pour cette vue."))
else:
    widgets.chart(funnel, "qmi_entonnoir", key="funnel")

st.header(_(language.lang(), "Calendrier"))
milestones = calendar_chart(version, view.filters.edition, language.lang())
if milestones is None:
    st.write(_(language.lang(), "Aucun jalon daté pour cette vue."))
else:
    widgets.chart(milestones, "qmi_calendrier", key="calendar")
