import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import common
from qmi_metrics.outputs import escape
from qmi_metrics.present import figures, headlines, vocabulary
from qmi_metrics.reads import queries



@st.cache_data(max_entries=256, max_size=common.CACHE_BYTES, show_spinner=False)
def funnel_stages(version, filters):
    return queries.funnel(common.connection(), filters, common.kpi_results(version, filters))


@st.cache_data(max_entries=16, show_spinner=False)
def calendar(version, edition):
    return queries.milestones(common.connection(), edition)


view = common.page("Quartiers Métropolitains d'Innovation", "Metropolitan Innovation Districts",
                   "Les chiffres clés de l'édition, chacun avec sa source et sa couverture.",
                   "The edition's key figures, each with its source and coverage.")
version = common.data_version()
results = common.kpi_results(version, view.filters)
common.kpi_row(results, headlines.OVERVIEW)

st.header(common.tr("Entonnoir du programme", "Programme funnel"))
stages = [s for s in funnel_stages(version, view.filters) if s["value"] is not None]
if not stages:
    st.write(common.tr("Aucune donnée d'entonnoir pour cette vue.", "No funnel data for this view."))
else:
    frame = pd.DataFrame([{
        common.tr("étape", "stage"): common.tr(s["label_fr"], s["label_en"]),
        common.tr("valeur", "value"): s["value"],
        common.tr("nature", "basis"): vocabulary.words(vocabulary.BASES, s["basis"], common.lang()),
        common.tr("couverture", "coverage"): "" if s["covered"] is None else f"{s['covered']}/{s['total'] if s['total'] is not None else '?'}",
    } for s in stages])
    figure = figures.funnel(stages, common.lang())  # the same figure as the reports and slides
    summary = figures.funnel_summary(stages, common.lang())
    common.chart(figure, frame, summary, "qmi_entonnoir", key="funnel", height=figure.layout.height)

st.header(common.tr("Calendrier", "Calendar"))
milestones = calendar(version, view.filters.edition)
dated = milestones[milestones["date_start"].notna()]
if dated.empty:
    st.write(common.tr("Aucun jalon daté pour cette vue.", "No dated milestone for this view."))
else:
    label_column = "label_en" if common.lang() == "en" else "label_fr"
    when = [common.fmt_date(row.date_start, row.date_precision) for row in dated.itertuples()]
    figure = go.Figure()
    # Periods as one trace of segments (None breaks the line): one add_shape per period costs
    # plotly ~10 ms of validation each, a second at ten editions.
    periods = dated[dated["date_end"].notna()]
    edition_names = [f"{common.tr('Édition', 'Edition')} {e}" for e in periods["edition_id"]]
    figure.add_trace(go.Scatter(
        x=[d for start, end in zip(periods["date_start"], periods["date_end"]) for d in (start, end, None)],
        y=[n for name in edition_names for n in (name, name, None)],
        mode="lines", line={"width": 6, "color": "#999999"}, hoverinfo="skip", showlegend=False))
    for planned, symbol, name in ((False, "circle", common.tr("constaté", "observed")),
                                  (True, "diamond-open", common.tr("prévu (calendrier annoncé)", "planned (announced calendar)"))):
        part = dated[dated["planned"] == planned]
        figure.add_trace(go.Scatter(
            x=part["date_start"], y=[f"{common.tr('Édition', 'Edition')} {e}" for e in part["edition_id"]],
            mode="markers", name=name, marker={"symbol": symbol, "size": 13},
            customdata=[[escape.plotly(label), when[i]]
                        for i, label in zip(part.index.map(dated.index.get_loc), part[label_column])],
            hovertemplate="%{customdata[1]} — %{customdata[0]}<extra></extra>"))
    ticks, tick_labels = common.month_ticks(dated["date_start"].min(), dated[["date_start", "date_end"]].max().max())
    figure.update_xaxes(tickvals=ticks, ticktext=tick_labels)
    table = pd.DataFrame({
        common.tr("date", "date"): when,
        common.tr("jalon", "milestone"): dated[label_column].values,
        common.tr("édition", "edition"): dated["edition_id"].values,
        common.tr("prévu", "planned"): [common.tr("oui", "yes") if p else common.tr("non", "no") for p in dated["planned"]],
        "source": dated["source_title"].values,
        common.tr("citation", "quote"): dated["source_quote"].values,
    })
    summary = common.tr(f"{len(dated)} jalons, entre {when[0]} et {when[-1]} ; les losanges sont des dates annoncées à l'avance.",
                        f"{len(dated)} milestones, between {when[0]} and {when[-1]}; diamonds are dates announced ahead.")
    common.chart(figure, table, summary, "qmi_calendrier", key="calendar", height=300)
