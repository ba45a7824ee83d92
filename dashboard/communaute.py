"""Communauté: the meetings of the Community of Experimenters and the territorial diagnostics."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import common
from qmi_metrics.metrics import reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import figures, formatting, vocabulary
from qmi_metrics.present.vocabulary import known
from qmi_metrics.reads import community

view = common.page(
    "Communauté", "Community",
    "Les rencontres de la Communauté des Expérimentateurs et les diagnostics territoriaux qui ont préparé les "
    "appels à projets : ce que disent les lignes des documents, et les chiffres que les documents publient.",
    "The meetings of the Community of Experimenters and the territorial diagnostics that prepared the calls for "
    "projects: what the documents' rows say, and the figures the documents publish.")
lang = common.lang()
version = common.data_version()
NOT_KNOWN = vocabulary.NOT_KNOWN[lang]
QUALIFIERS_EN = {"plus de": "more than", "près de": "nearly", "environ": "about", "en moyenne": "on average",
                 "au moins": "at least", "jusqu'à": "up to"}
STATUS_WORDS = {reconcile.AGREES: ("concorde", "agrees"), reconcile.DIFFERS: ("diffère", "differs"),
                reconcile.NOT_COMPUTABLE: ("non calculable", "not computable")}


@st.cache_data(max_entries=128, max_size=common.CACHE_BYTES, show_spinner=False)
def data(version: str, filters: Filters) -> dict:
    con = common.connection()
    return {
        "events": community.events(con, filters),
        "diagnostics": community.diagnostics(con, filters),
        "by_commune": community.diagnostics_by_commune(con, filters),
        "figures": community.published_figures(con, community.DIAGNOSTIC_FIGURES, filters.edition),
    }


# --- small formatters -----------------------------------------------------------------------------------

def date_text(day, precision) -> str:
    return common.fmt_date(day, precision) if known(day) else NOT_KNOWN


def people(value) -> str:
    return common.fmt(value, "people") if known(value) else NOT_KNOWN


def qualifier_text(qualifier) -> str:
    """« plus de », « en moyenne »… in the reader's language; minimum and maximum are in the label already."""
    if not known(qualifier) or qualifier in ("minimum", "maximum"):
        return ""
    return QUALIFIERS_EN.get(qualifier, qualifier) if lang == "en" else qualifier


def published_text(figure) -> str:
    """A published figure as printed: its qualifier and its value."""
    return f"{qualifier_text(figure.qualifier)} {common.fmt(figure.value, figure.unit)}".strip()


def status_word(status: str) -> str:
    fr, en = STATUS_WORDS.get(status, (status, status))
    return common.tr(fr, en)


def reconciliation_by_figure() -> dict:
    return {r.figure.figure_id: r for r in common.reconciliation(version)}


# --- meetings -------------------------------------------------------------------------------------------

def published_notes(result) -> None:
    """What the documents publish for this view, and whether the listed rows give it (and why not)."""
    report = reconciliation_by_figure()
    for figure in result.published:
        entry = report.get(figure.figure_id)
        line = (f"**{common.tr('Publié', 'Published')} : {published_text(figure)}** — « {escape.markdown(figure.quote)} » "
                f"({reconcile.document_name(figure.document, lang)}, {escape.markdown(figure.section)}).")
        if entry is None:
            st.caption(line)
            continue
        explanation = entry.explanation_en if lang == "en" else entry.explanation_fr
        line += f" {common.tr('Rapprochement', 'Reconciliation')} : **{status_word(entry.status)}**. {escape.markdown(explanation)}"
        (st.warning if entry.status == reconcile.DIFFERS else st.caption)(line)


def event_table(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "date": [date_text(d, p) for d, p in zip(events["date_start"], events["date_precision"])],
        "commune": events["commune"].fillna(NOT_KNOWN),
        common.tr("format", "format"): (events["format_en"] if lang == "en" else events["format_fr"]).fillna(NOT_KNOWN),
        "participants": events["participants"].astype("Int64"),
        common.tr("édition", "edition"): events["edition_id"],
        "source": events["source"],
        "section": events["source_section"],
        common.tr("citation", "quote"): events["source_quote"],
    })


def events_summary(events: pd.DataFrame) -> str:
    counted = events.dropna(subset=["participants"])
    dated = events.dropna(subset=["date_start"])
    sentence = common.tr(f"{len(events)} rencontre(s)", f"{len(events)} meeting(s)")
    if len(dated) == 1:
        sentence += common.tr(" en ", " in ") + date_text(dated.iloc[0]["date_start"], dated.iloc[0]["date_precision"])
    elif len(dated) > 1:
        first, last = dated.iloc[0], dated.iloc[-1]
        sentence += (common.tr(" entre ", " between ") + date_text(first["date_start"], first["date_precision"])
                     + common.tr(" et ", " and ") + date_text(last["date_start"], last["date_precision"]))
    if len(counted) == 1:
        sentence += f", {people(counted['participants'].iloc[0])}"
    elif len(counted) > 1:
        low, high = common.fmt(counted["participants"].min()), people(counted["participants"].max())
        sentence += common.tr(f", de {low} à {high} par rencontre, {people(counted['participants'].sum())} au total",
                              f", {low} to {high} per meeting, {people(counted['participants'].sum())} in all")
    missing = len(events) - len(counted)
    if missing:
        sentence += common.tr(f" ; participants non renseignés pour {missing} rencontre(s)",
                              f"; participants not available for {missing} meeting(s)")
    return sentence + "."


def events_chart(events: pd.DataFrame) -> None:
    counted = events.dropna(subset=["participants"])
    table = event_table(events)
    if counted.empty:
        st.info(common.tr("Aucune rencontre de cette vue n'a de nombre de participants publié : pas de graphique.",
                          "No meeting in this view has a published number of participants: no chart."))
        common.table(table, "qmi_communaute_rencontres", key="rencontres")
        return
    fig = figures.community_events(events, lang)  # the same figure as the reports and slides
    common.chart(fig, table, events_summary(events), "qmi_communaute_rencontres", key="rencontres",
                 height=fig.layout.height)


# --- diagnostics ----------------------------------------------------------------------------------------

def kind_label(kind: str) -> str:
    return community.DIAGNOSTIC_LABELS[lang].get(kind, kind)


def diagnostics_cell(held: int, with_participants: int, participants) -> str:
    """'1 · 12 participants', or '1 · participants non renseignés' when the attendance is not published."""
    if with_participants == 0:
        return f"{held} · " + common.tr("participants non renseignés", "participants not available")
    text = f"{held} · {people(participants)}"
    return text if with_participants == held else text + common.tr(f" ({with_participants} connus sur {held})",
                                                                   f" ({with_participants} known of {held})")


def diagnostics_pivot(by_commune: pd.DataFrame) -> pd.DataFrame:
    frame = by_commune.assign(
        commune=by_commune["commune"].fillna(common.tr("commune non renseignée", "commune not available")),
        format=by_commune["kind"].map(kind_label),
        cell=[diagnostics_cell(h, w, p) for h, w, p in
              zip(by_commune["held"], by_commune["with_participants"], by_commune["participants"])])
    order = [kind_label(k) for k in community.DIAGNOSTIC_KINDS if kind_label(k) in set(frame["format"])]
    pivot = frame.pivot_table(index="commune", columns="format", values="cell", aggfunc="first", sort=False)
    return pivot.reindex(columns=order).fillna("—").reset_index()


def diagnostics_sentence(diagnostics: pd.DataFrame) -> str:
    counts = diagnostics["kind"].value_counts()
    parts = ", ".join(f"{counts[k]} × {kind_label(k)}" for k in community.DIAGNOSTIC_KINDS if k in counts)
    with_people = int(diagnostics["participants"].notna().sum())
    without_commune = int(diagnostics["insee"].isna().sum())
    sentence = common.tr(f"{len(diagnostics)} diagnostic(s) dans cette vue ({parts}) ; nombre de participants connu "
                         f"pour {with_people} sur {len(diagnostics)}.",
                         f"{len(diagnostics)} diagnostic(s) in this view ({parts}); number of participants known "
                         f"for {with_people} of {len(diagnostics)}.")
    if without_commune:
        sentence += common.tr(f" {without_commune} sans commune connue (le document ne la nomme pas).",
                              f" {without_commune} with no known commune (the document does not name it).")
    return sentence


def diagnostics_chart(diagnostics: pd.DataFrame) -> None:
    counted = diagnostics.dropna(subset=["participants"]).copy()
    counted["commune"] = counted["commune"].fillna(NOT_KNOWN)
    counted["format"] = counted["kind"].map(kind_label)
    totals = counted.groupby(["commune", "format"], sort=False, as_index=False)["participants"].sum()
    totals["participants"] = totals["participants"].astype(int)
    # Horizontal bars: commune names stay readable, however many communes there are.
    # The chart's own copy of the names, escaped for plotly; the table keeps them as they are.
    fig = px.bar(totals.assign(commune=totals["commune"].map(escape.plotly)), y="commune", x="participants", color="format", pattern_shape="format", barmode="group",
                 orientation="h", text="participants", color_discrete_sequence=common.PALETTE,
                 labels={"commune": "", "participants": "participants", "format": common.tr("format", "format")},
                 title=common.tr("Participants aux diagnostics, par commune et format",
                                 "Diagnostics participants, by commune and format"))
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_layout(yaxis_autorange="reversed", xaxis_range=[0, totals["participants"].max() * 1.15])
    missing = len(diagnostics) - len(counted)
    summary = common.tr(
        f"{people(totals['participants'].sum())} au total sur {len(counted)} diagnostic(s) dont l'affluence est connue"
        + (f" ; {missing} sans nombre de participants." if missing else "."),
        f"{people(totals['participants'].sum())} in all over {len(counted)} diagnostic(s) with a known attendance"
        + (f"; {missing} without a number of participants." if missing else "."))
    common.chart(fig, totals.rename(columns={"format": common.tr("format", "format")}), summary,
                 "qmi_diagnostics_participants", key="diagnostics-participants",
                 height=max(420, 160 + 22 * len(totals)))


def published_figure_cards(figures: pd.DataFrame) -> None:
    """The report's figures on the diagnostics, each with the sentence it stands in."""
    report = reconciliation_by_figure()
    cards = list(figures.iterrows())
    for start in range(0, len(cards), 3):
        for column, (_, figure) in zip(st.columns(3), cards[start:start + 3]):
            label = figure["label_en"] if lang == "en" else figure["label_fr"]
            unit = formatting.unit_label(figure["unit"], lang)
            if unit:  # the unit goes in the label: the value stays short
                label += f" ({unit})"
            qualifier = f"**{qualifier_text(figure['qualifier'])}** — " if qualifier_text(figure["qualifier"]) else ""
            entry = report.get(figure["figure_id"])
            note = f" · {common.tr('rapprochement', 'reconciliation')} : {status_word(entry.status)}" if entry else ""
            with column:
                st.metric(escape.markdown(label), common.fmt(figure["value"]), border=True,
                          help=escape.markdown(f"{reconcile.document_name(figure['document'], lang)} — {figure['section']}"))
                st.caption(f"{qualifier}« {escape.markdown(figure['quote'])} »{escape.markdown(note)}")


def published_figure_table(figures: pd.DataFrame) -> pd.DataFrame:
    report = reconciliation_by_figure()
    rows = []
    for _, figure in figures.iterrows():
        entry = report.get(figure["figure_id"])
        rows.append({
            "figure": figure["figure_id"],
            common.tr("libellé", "label"): figure["label_en"] if lang == "en" else figure["label_fr"],
            common.tr("publié", "published"): f"{qualifier_text(figure['qualifier'])} "
                                              f"{common.fmt(figure['value'], figure['unit'])}".strip(),
            common.tr("citation", "quote"): figure["quote"],
            "document": reconcile.document_name(figure["document"], lang),
            "section": figure["section"],
            common.tr("rapprochement", "reconciliation"): status_word(entry.status) if entry else "—",
            common.tr("explication", "explanation"): (entry.explanation_en if lang == "en" else entry.explanation_fr) if entry else "",
        })
    return pd.DataFrame(rows)


def diagnostics_table(diagnostics: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "commune": diagnostics["commune"].fillna(NOT_KNOWN),
        "format": diagnostics["kind"].map(kind_label),
        "date": [date_text(d, p) for d, p in zip(diagnostics["held_on"], diagnostics["date_precision"])],
        "participants": diagnostics["participants"].astype("Int64"),
        common.tr("édition", "edition"): diagnostics["edition_id"],
        "source": diagnostics["source"],
        "section": diagnostics["source_section"],
        common.tr("citation", "quote"): diagnostics["source_quote"],
    })


# --- page -----------------------------------------------------------------------------------------------

results = common.kpi_results(version, view.filters)
rows = data(version, view.filters)
if view.filters.themes:
    st.caption(common.tr("Le filtre « défis » ne s'applique pas aux rencontres ni aux diagnostics.",
                         "The challenge filter does not apply to meetings or diagnostics."))

st.header(common.tr("Rencontres de la Communauté des Expérimentateurs", "Meetings of the Community of Experimenters"))
common.kpi_row(results, ("community_events_count", "community_participants_total",
                         "community_participants_min", "community_participants_max"))
if "community_participants_total" in results:
    published_notes(results["community_participants_total"])
events = rows["events"]
if events.empty:
    st.info(common.tr("Aucune rencontre de la Communauté dans cette vue.", "No Community meeting in this view."))
else:
    events_chart(events)

st.header(common.tr("Diagnostics territoriaux", "Territorial diagnostics"))
diagnostics = rows["diagnostics"]
if diagnostics.empty:
    st.info(common.tr("Aucun diagnostic territorial dans cette vue.", "No territorial diagnostic in this view."))
else:
    st.write(diagnostics_sentence(diagnostics))
    st.subheader(common.tr("Diagnostics par commune et format", "Diagnostics by commune and format"))
    common.table(diagnostics_pivot(rows["by_commune"]), "qmi_diagnostics_par_commune", key="diagnostics-pivot")
    if diagnostics["participants"].notna().any():
        diagnostics_chart(diagnostics)
    else:
        st.write(common.tr("Le nombre de participants de chaque marche, entretien ou atelier n'est pas publié : "
                           "seules les moyennes et le total ci-dessous le sont.",
                           "The number of participants of each walk, interview or workshop is not published: only "
                           "the averages and the total below are."))

figures = rows["figures"]
st.subheader(common.tr("Ce que le rapport publie sur les diagnostics", "What the report publishes on the diagnostics"))
if figures.empty:
    st.write(common.tr("Aucun chiffre publié sur les diagnostics pour cette vue.",
                       "No published figure on the diagnostics for this view."))
else:
    if view.filters.communes:
        st.caption(common.tr("Ces chiffres portent sur l'ensemble des villes de l'édition, pas sur la seule sélection.",
                             "These figures cover all the edition's cities, not only the selection."))
    published_figure_cards(figures)
    common.table(published_figure_table(figures), "qmi_diagnostics_chiffres_publies", key="diagnostics-publies")

if not diagnostics.empty:
    with st.expander(common.tr("Tous les diagnostics (lignes et citations)", "All diagnostics (rows and quotes)")):
        common.table(diagnostics_table(diagnostics), "qmi_diagnostics", key="diagnostics-lignes")
