"""Communauté: the meetings of the Community of Experimenters and the territorial diagnostics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt, fmt_date, tr
from qmi_metrics.metrics import reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import cards, figures, formatting, headlines, narratives, vocabulary
from qmi_metrics.present.vocabulary import known
from qmi_metrics.reads import community

view = sidebar.page(
    "Communauté", "Community",
    "Les rencontres de la Communauté des Expérimentateurs et les diagnostics territoriaux qui ont préparé les "
    "appels à projets : ce que disent les lignes des documents, et les chiffres que les documents publient.",
    "The meetings of the Community of Experimenters and the territorial diagnostics that prepared the calls for "
    "projects: what the documents' rows say, and the figures the documents publish.")
lang = language.lang()
version = caches.data_version()
NOT_KNOWN = vocabulary.NOT_KNOWN[lang]


@st.cache_data(max_entries=128, max_size=caches.CACHE_BYTES, show_spinner=False)
def data(version: str, filters: Filters) -> dict:
    con = database.connection()
    return {
        "events": community.events(con, filters),
        "diagnostics": community.diagnostics(con, filters),
        "by_commune": community.diagnostics_by_commune(con, filters),
        "figures": community.published_figures(con, community.DIAGNOSTIC_FIGURES, filters.edition),
    }


# --- small formatters -----------------------------------------------------------------------------------

def date_text(day, precision) -> str:
    return fmt_date(day, precision) if known(day) else NOT_KNOWN


def people(value) -> str:
    return fmt(value, "people") if known(value) else NOT_KNOWN


def published_text(figure) -> str:
    """A published figure as printed: its qualifier and its value."""
    return cards.published_text(figure, lang)


def status_word(status: str) -> str:
    fr, en = vocabulary.FINDINGS.get(status, (status, status))
    return tr(fr, en)


def reconciliation_by_figure() -> dict:
    return {r.figure.figure_id: r for r in caches.reconciliation(version)}


# --- meetings -------------------------------------------------------------------------------------------

def published_notes(result) -> None:
    """What the documents publish for this view, and whether the listed rows give it (and why not)."""
    report = reconciliation_by_figure()
    for figure in result.published:
        entry = report.get(figure.figure_id)
        line = (f"**{tr('Publié', 'Published')} : {published_text(figure)}** — « {escape.markdown(figure.quote)} » "
                f"({reconcile.document_name(figure.document, lang)}, {escape.markdown(figure.section)}).")
        if entry is None:
            st.caption(line)
            continue
        explanation = entry.explanation_en if lang == "en" else entry.explanation_fr
        line += f" {tr('Rapprochement', 'Reconciliation')} : **{status_word(entry.status)}**. {escape.markdown(explanation)}"
        (st.warning if entry.status == reconcile.DIFFERS else st.caption)(line)


def event_table(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "date": [date_text(d, p) for d, p in zip(events["date_start"], events["date_precision"])],
        "commune": events["commune"].fillna(NOT_KNOWN),
        tr("format", "format"): (events["format_en"] if lang == "en" else events["format_fr"]).fillna(NOT_KNOWN),
        "participants": events["participants"].astype("Int64"),
        tr("édition", "edition"): events["edition_id"],
        "source": events["source"],
        "section": events["source_section"],
        tr("citation", "quote"): events["source_quote"],
    })


def events_summary(events: pd.DataFrame) -> str:
    return narratives.community_summary(events, lang)


def events_chart(events: pd.DataFrame) -> None:
    counted = events.dropna(subset=["participants"])
    table = event_table(events)
    if counted.empty:
        st.info(tr("Aucune rencontre de cette vue n'a de nombre de participants publié : pas de graphique.",
                   "No meeting in this view has a published number of participants: no chart."))
        widgets.table(table, "qmi_communaute_rencontres", key="rencontres")
        return
    fig = figures.community_events(events, lang)  # the same figure as the reports and slides
    widgets.chart(fig, table, events_summary(events), "qmi_communaute_rencontres", key="rencontres",
                  height=fig.layout.height)


# --- diagnostics ----------------------------------------------------------------------------------------

def kind_label(kind: str) -> str:
    return community.DIAGNOSTIC_LABELS[lang].get(kind, kind)


def diagnostics_cell(held: int, with_participants: int, participants) -> str:
    """'1 · 12 participants', or '1 · participants non renseignés' when the attendance is not published."""
    if with_participants == 0:
        return f"{held} · " + tr("participants non renseignés", "participants not available")
    text = f"{held} · {people(participants)}"
    return text if with_participants == held else text + tr(f" ({with_participants} connus sur {held})",
                                                            f" ({with_participants} known of {held})")


def diagnostics_pivot(by_commune: pd.DataFrame) -> pd.DataFrame:
    frame = by_commune.assign(
        commune=by_commune["commune"].fillna(tr("commune non renseignée", "commune not available")),
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
    sentence = tr(f"{len(diagnostics)} diagnostic(s) dans cette vue ({parts}) ; nombre de participants connu "
                  f"pour {with_people} sur {len(diagnostics)}.",
                  f"{len(diagnostics)} diagnostic(s) in this view ({parts}); number of participants known "
                  f"for {with_people} of {len(diagnostics)}.")
    if without_commune:
        sentence += tr(f" {without_commune} sans commune connue (le document ne la nomme pas).",
                       f" {without_commune} with no known commune (the document does not name it).")
    return sentence


def diagnostics_chart(diagnostics: pd.DataFrame) -> None:
    counted = diagnostics.dropna(subset=["participants"]).copy()
    counted["commune"] = counted["commune"].fillna(NOT_KNOWN)
    totals = counted.groupby(["commune", "kind"], sort=False, as_index=False)["participants"].sum()
    totals["participants"] = totals["participants"].astype(int)
    figure = figures.diagnostics_participants(totals, lang)
    missing = len(diagnostics) - len(counted)
    summary = tr(
        f"{people(totals['participants'].sum())} au total sur {len(counted)} diagnostic(s) dont l'affluence est connue"
        + (f" ; {missing} sans nombre de participants." if missing else "."),
        f"{people(totals['participants'].sum())} in all over {len(counted)} diagnostic(s) with a known attendance"
        + (f"; {missing} without a number of participants." if missing else "."))
    table = pd.DataFrame({"commune": totals["commune"], tr("format", "format"): totals["kind"].map(kind_label),
                          "participants": totals["participants"]})
    widgets.chart(figure, table, summary, "qmi_diagnostics_participants", key="diagnostics-participants",
                  height=figure.layout.height)


def published_figure_cards(published: pd.DataFrame) -> None:
    """The report's figures on the diagnostics, each with the sentence it stands in."""
    report = reconciliation_by_figure()
    shown = list(published.iterrows())
    for start in range(0, len(shown), 3):
        for column, (_, figure) in zip(st.columns(3), shown[start:start + 3]):
            label = figure["label_en"] if lang == "en" else figure["label_fr"]
            unit = formatting.unit_label(figure["unit"], lang)
            if unit:  # the unit goes in the label: the value stays short
                label += f" ({unit})"
            qualifier = f"**{vocabulary.qualifier(figure['qualifier'], lang)}** — " if vocabulary.qualifier(figure["qualifier"], lang) else ""
            entry = report.get(figure["figure_id"])
            note = f" · {tr('rapprochement', 'reconciliation')} : {status_word(entry.status)}" if entry else ""
            with column:
                st.metric(escape.markdown(label), fmt(figure["value"]), border=True,
                          help=escape.markdown(f"{reconcile.document_name(figure['document'], lang)} — {figure['section']}"))
                st.caption(f"{qualifier}« {escape.markdown(figure['quote'])} »{escape.markdown(note)}")


def published_figure_table(published: pd.DataFrame) -> pd.DataFrame:
    report = reconciliation_by_figure()
    rows = []
    for _, figure in published.iterrows():
        entry = report.get(figure["figure_id"])
        rows.append({
            "figure": figure["figure_id"],
            tr("libellé", "label"): figure["label_en"] if lang == "en" else figure["label_fr"],
            tr("publié", "published"): f"{vocabulary.qualifier(figure['qualifier'], lang)} "
                                       f"{fmt(figure['value'], figure['unit'])}".strip(),
            tr("citation", "quote"): figure["quote"],
            "document": reconcile.document_name(figure["document"], lang),
            "section": figure["section"],
            tr("rapprochement", "reconciliation"): status_word(entry.status) if entry else "—",
            tr("explication", "explanation"): (entry.explanation_en if lang == "en" else entry.explanation_fr) if entry else "",
        })
    return pd.DataFrame(rows)


def diagnostics_table(diagnostics: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "commune": diagnostics["commune"].fillna(NOT_KNOWN),
        "format": diagnostics["kind"].map(kind_label),
        "date": [date_text(d, p) for d, p in zip(diagnostics["held_on"], diagnostics["date_precision"])],
        "participants": diagnostics["participants"].astype("Int64"),
        tr("édition", "edition"): diagnostics["edition_id"],
        "source": diagnostics["source"],
        "section": diagnostics["source_section"],
        tr("citation", "quote"): diagnostics["source_quote"],
    })


# --- page -----------------------------------------------------------------------------------------------

results = caches.kpi_results(version, view.filters)
rows = data(version, view.filters)
if view.filters.themes:
    st.caption(tr("Le filtre « défis » ne s'applique pas aux rencontres ni aux diagnostics.",
                  "The challenge filter does not apply to meetings or diagnostics."))

st.header(tr("Rencontres de la Communauté des Expérimentateurs", "Meetings of the Community of Experimenters"))
widgets.kpi_row(results, headlines.COMMUNITY)
if "community_participants_total" in results:
    published_notes(results["community_participants_total"])
events = rows["events"]
if events.empty:
    st.info(tr("Aucune rencontre de la Communauté dans cette vue.", "No Community meeting in this view."))
else:
    events_chart(events)

st.header(tr("Diagnostics territoriaux", "Territorial diagnostics"))
diagnostics = rows["diagnostics"]
if diagnostics.empty:
    st.info(tr("Aucun diagnostic territorial dans cette vue.", "No territorial diagnostic in this view."))
else:
    st.write(diagnostics_sentence(diagnostics))
    st.subheader(tr("Diagnostics par commune et format", "Diagnostics by commune and format"))
    widgets.table(diagnostics_pivot(rows["by_commune"]), "qmi_diagnostics_par_commune", key="diagnostics-pivot")
    if diagnostics["participants"].notna().any():
        diagnostics_chart(diagnostics)
    else:
        st.write(tr("Le nombre de participants de chaque marche, entretien ou atelier n'est pas publié : "
                    "seules les moyennes et le total ci-dessous le sont.",
                    "The number of participants of each walk, interview or workshop is not published: only "
                    "the averages and the total below are."))

published = rows["figures"]
st.subheader(tr("Ce que le rapport publie sur les diagnostics", "What the report publishes on the diagnostics"))
if published.empty:
    st.write(tr("Aucun chiffre publié sur les diagnostics pour cette vue.",
                "No published figure on the diagnostics for this view."))
else:
    if view.filters.communes:
        st.caption(tr("Ces chiffres portent sur l'ensemble des villes de l'édition, pas sur la seule sélection.",
                      "These figures cover all the edition's cities, not only the selection."))
    published_figure_cards(published)
    widgets.table(published_figure_table(published), "qmi_diagnostics_chiffres_publies", key="diagnostics-publies")

if not diagnostics.empty:
    with st.expander(tr("Tous les diagnostics (lignes et citations)", "All diagnostics (rows and quotes)")):
        widgets.table(diagnostics_table(diagnostics), "qmi_diagnostics", key="diagnostics-lignes")
