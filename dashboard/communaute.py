"""Communauté: the meetings of the Community of Experimenters and the territorial diagnostics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt, fmt_date
from qmi_metrics.metrics import reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import cards, figures, formatting, headlines, narratives, vocabulary
from qmi_metrics.present.i18n import _
from qmi_metrics.present.vocabulary import known
from qmi_metrics.reads import community

view = sidebar.page(_(language.lang(), "Communauté"),
                    _(language.lang(), "Les rencontres de la Communauté des Expérimentateurs et les diagnostics "
                                       "territoriaux qui ont préparé les appels à projets : ce que disent les lignes "
                                       "des documents, et les chiffres que les documents publient."))
lang = language.lang()
version = caches.data_version()
NOT_KNOWN = vocabulary.not_known(lang)


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
    return vocabulary.words(vocabulary.FINDINGS, status, lang)


def reconciliation_by_figure() -> dict:
    return {r.figure.figure_id: r for r in caches.reconciliation(version)}


# --- meetings -------------------------------------------------------------------------------------------

def published_notes(result) -> None:
    """What the documents publish for this view, and whether the listed rows give it (and why not)."""
    report = reconciliation_by_figure()
    for figure in result.published:
        entry = report.get(figure.figure_id)
        line = (f"**{_(language.lang(), 'Publié')} : {published_text(figure)}** — « {escape.markdown(figure.quote)} » "
                f"({reconcile.document_name(figure.document, lang)}, {escape.markdown(figure.section)}).")
        if entry is None:
            st.caption(line)
            continue
        explanation = entry.explanation_en if lang == "en" else entry.explanation_fr
        line += f" {_(language.lang(), 'Rapprochement')} : **{status_word(entry.status)}**. {escape.markdown(explanation)}"
        (st.warning if entry.status == reconcile.DIFFERS else st.caption)(line)


def event_table(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "date": [date_text(d, p) for d, p in zip(events["date_start"], events["date_precision"])],
        "commune": events["commune"].fillna(NOT_KNOWN),
        _(language.lang(), "format"): (events["format_en"] if lang == "en" else events["format_fr"]).fillna(NOT_KNOWN),
        "participants": events["participants"].astype("Int64"),
        _(language.lang(), "édition"): events["edition_id"],
        "source": events["source"],
        "section": events["source_section"],
        _(language.lang(), "citation"): events["source_quote"],
    })


def events_summary(events: pd.DataFrame) -> str:
    return narratives.community_summary(events, lang)


def events_chart(events: pd.DataFrame) -> None:
    counted = events.dropna(subset=["participants"])
    table = event_table(events)
    if counted.empty:
        st.info(_(language.lang(), "Aucune rencontre de cette vue n'a de nombre de participants publié : pas de graphique."))
        widgets.table(table, "qmi_communaute_rencontres", key="rencontres")
        return
    widgets.chart(events_figure(version, view.filters, lang), "qmi_communaute_rencontres", key="rencontres")


@widgets.cached_chart
def events_figure(version: str, filters: Filters, lang: str) -> widgets.Chart:
    events = data(version, filters)["events"]
    # the same figure as the reports and slides
    return widgets.Chart(figures.community_events(events, lang), event_table(events), events_summary(events))


# --- diagnostics ----------------------------------------------------------------------------------------

def kind_label(kind: str) -> str:
    return vocabulary.words(vocabulary.DIAGNOSTIC_LABELS, kind, lang)


def diagnostics_cell(held: int, with_participants: int, participants) -> str:
    """'1 · 12 participants', or '1 · participants non renseignés' when the attendance is not published."""
    if with_participants == 0:
        return f"{held} · " + _(language.lang(), "participants non renseignés")
    text = f"{held} · {people(participants)}"
    return text if with_participants == held else text + _(language.lang(), " ({with_participants} connus sur {held})",
                                                                            with_participants=with_participants,
                                                                            held=held)


def diagnostics_pivot(by_commune: pd.DataFrame) -> pd.DataFrame:
    frame = by_commune.assign(
        commune=by_commune["commune"].fillna(_(language.lang(), "commune non renseignée")),
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
    sentence = _(language.lang(), "{len_diagnostics} diagnostic(s) dans cette vue ({parts}) ; nombre de participants connu "
                                  "pour {with_people} sur {len_diagnostics}.",
                                  len_diagnostics=len(diagnostics), parts=parts, with_people=with_people)
    if without_commune:
        sentence += _(language.lang(), " {without_commune} sans commune connue (le document ne la nomme pas).",
                                       without_commune=without_commune)
    return sentence


@widgets.cached_chart
def diagnostics_chart(version: str, filters: Filters, lang: str) -> widgets.Chart:
    diagnostics = data(version, filters)["diagnostics"]
    counted = diagnostics.dropna(subset=["participants"]).copy()
    counted["commune"] = counted["commune"].fillna(NOT_KNOWN)
    totals = counted.groupby(["commune", "kind"], sort=False, as_index=False)["participants"].sum()
    totals["participants"] = totals["participants"].astype(int)
    missing = len(diagnostics) - len(counted)
    summary = _(lang, "{people} au total sur {counted} diagnostic(s) dont l'affluence est connue",
                people=people(totals['participants'].sum()), counted=len(counted))
    summary += _(lang, " ; {missing} sans nombre de participants.", missing=missing) if missing else "."
    table = pd.DataFrame({"commune": totals["commune"], _(lang, "format"): totals["kind"].map(kind_label),
                          "participants": totals["participants"]})
    return widgets.Chart(figures.diagnostics_participants(totals, lang), table, summary)


def published_figure_cards(published: pd.DataFrame) -> None:
    """The report's figures on the diagnostics, each with the sentence it stands in."""
    report = reconciliation_by_figure()
    shown = list(published.iterrows())
    for start in range(0, len(shown), 3):
        for column, (_ignored, figure) in zip(st.columns(3), shown[start:start + 3]):
            label = figure["label_en"] if lang == "en" else figure["label_fr"]
            unit = formatting.unit_label(figure["unit"], lang)
            if unit:  # the unit goes in the label: the value stays short
                label += f" ({unit})"
            qualifier = f"**{vocabulary.qualifier(figure['qualifier'], lang)}** — " if vocabulary.qualifier(figure["qualifier"], lang) else ""
            entry = report.get(figure["figure_id"])
            note = f" · {_(language.lang(), 'rapprochement')} : {status_word(entry.status)}" if entry else ""
            with column:
                st.metric(escape.markdown(label), fmt(figure["value"]), border=True,
                          help=escape.markdown(f"{reconcile.document_name(figure['document'], lang)} — {figure['section']}"))
                st.caption(f"{qualifier}« {escape.markdown(figure['quote'])} »{escape.markdown(note)}")


def published_figure_table(published: pd.DataFrame) -> pd.DataFrame:
    report = reconciliation_by_figure()
    rows = []
    for _ignored, figure in published.iterrows():
        entry = report.get(figure["figure_id"])
        rows.append({
            "figure": figure["figure_id"],
            _(language.lang(), "libellé"): figure["label_en"] if lang == "en" else figure["label_fr"],
            _(language.lang(), "publié"): f"{vocabulary.qualifier(figure['qualifier'], lang)} "
                                       f"{fmt(figure['value'], figure['unit'])}".strip(),
            _(language.lang(), "citation"): figure["quote"],
            "document": reconcile.document_name(figure["document"], lang),
            "section": figure["section"],
            _(language.lang(), "rapprochement"): status_word(entry.status) if entry else "—",
            _(language.lang(), "explication"): (entry.explanation_en if lang == "en" else entry.explanation_fr) if entry else "",
        })
    return pd.DataFrame(rows)


def diagnostics_table(diagnostics: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "commune": diagnostics["commune"].fillna(NOT_KNOWN),
        "format": diagnostics["kind"].map(kind_label),
        "date": [date_text(d, p) for d, p in zip(diagnostics["held_on"], diagnostics["date_precision"])],
        "participants": diagnostics["participants"].astype("Int64"),
        _(language.lang(), "édition"): diagnostics["edition_id"],
        _(language.lang(), "base"): widgets.basis_column(diagnostics["basis"]),
        "source": diagnostics["source"],
        "section": diagnostics["source_section"],
        _(language.lang(), "citation"): diagnostics["source_quote"],
    })


# --- page -----------------------------------------------------------------------------------------------

results = caches.kpi_results(version, view.filters)
rows = data(version, view.filters)
if view.filters.themes:
    st.caption(_(language.lang(), "Le filtre « défis » ne s'applique pas aux rencontres ni aux diagnostics."))

st.header(_(language.lang(), "Rencontres de la Communauté des Expérimentateurs"))
widgets.kpi_row(results, headlines.COMMUNITY)
if "community_participants_total" in results:
    published_notes(results["community_participants_total"])
events = rows["events"]
if events.empty:
    st.info(_(language.lang(), "Aucune rencontre de la Communauté dans cette vue."))
else:
    events_chart(events)

st.header(_(language.lang(), "Diagnostics territoriaux"))
diagnostics = rows["diagnostics"]
if diagnostics.empty:
    st.info(_(language.lang(), "Aucun diagnostic territorial dans cette vue."))
else:
    st.write(diagnostics_sentence(diagnostics))
    st.subheader(_(language.lang(), "Diagnostics par commune et format"))
    widgets.table(diagnostics_pivot(rows["by_commune"]), "qmi_diagnostics_par_commune", key="diagnostics-pivot")
    if diagnostics["participants"].notna().any():
        widgets.chart(diagnostics_chart(version, view.filters, lang), "qmi_diagnostics_participants",
                      key="diagnostics-participants")
    else:
        st.write(_(language.lang(), "Le nombre de participants de chaque marche, entretien ou atelier n'est pas publié : "
                                    "seules les moyennes et le total ci-dessous le sont."))

published = rows["figures"]
st.subheader(_(language.lang(), "Ce que le rapport publie sur les diagnostics"))
if published.empty:
    st.write(_(language.lang(), "Aucun chiffre publié sur les diagnostics pour cette vue."))
else:
    if view.filters.communes:
        st.caption(_(language.lang(), "Ces chiffres portent sur l'ensemble des villes de l'édition, pas sur la seule sélection."))
    published_figure_cards(published)
    widgets.table(published_figure_table(published), "qmi_diagnostics_chiffres_publies", key="diagnostics-publies")

if not diagnostics.empty:
    with st.expander(_(language.lang(), "Tous les diagnostics (lignes et citations)")):
        widgets.table(diagnostics_table(diagnostics), "qmi_diagnostics", key="diagnostics-lignes",
                      column_config=widgets.basis_config())
        widgets.basis_note(zip(diagnostics["basis"], diagnostics["basis_rule"]))
