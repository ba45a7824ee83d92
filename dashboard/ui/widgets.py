"""What pages draw with: KPI cards, accessible charts (summary, data table, exports), tables with their CSV and
Excel downloads, and text from outside shown as text."""

from __future__ import annotations

import functools
import inspect
import io
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import registry
from dashboard.ui import caches, database
from dashboard.ui.language import lang
from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape, spreadsheet
from qmi_metrics.present import cards, figures, narratives, vocabulary
from qmi_metrics.present.i18n import _
from qmi_metrics.reads import queries

SHOWN_CHARACTERS = 120

# Card values must fit "non renseigné" and "280 personnes" in a quarter of the page.
# Drawn by app.py on every page. Captions: Streamlit draws them at 60 % opacity, 3.9:1 on white (and a coloured
# word in one less still); a plain grey reaches RGAA 3.2's 4.5:1 (axe's color-contrast, docs/accessibility/).
CSS = """<style>
[data-testid="stCaptionContainer"] { opacity: 1; color: #555555; }
[data-testid="stMetricValue"] { font-size: 1.9rem; }
[data-testid="stMetricLabel"] p { font-size: 0.95rem; }
</style>"""


def literal(value, limit: int = SHOWN_CHARACTERS) -> str:
    """Text from outside (the URL…) shown as it is inside Markdown (escape.markdown), a very long value cut."""
    return escape.markdown(value, limit)


def month_ticks(first, last, every_months: int = 6) -> tuple[list, list[str]]:
    """Date-axis ticks labelled in the reader's language (plotly's own labels are English)."""
    return figures.month_ticks(first, last, every_months, lang())


# --- KPI cards ----------------------------------------------------------------------------------

def kpi_card(result: kpis.KpiResult) -> None:
    """A KPI as a card, in the words every output uses (qmi_metrics.present.cards)."""
    shown = cards.card(result, lang())
    colon = _(lang(), " : ").rstrip()  # the catalogue's: a space before the colon in French, none in English
    help_lines = [shown.definition]
    if shown.quote:
        help_lines.append(f"{_(lang(), 'Source')}{colon} {shown.source} — « {shown.quote} »")
    st.metric(escape.markdown(shown.label), shown.text, border=True,
              help="\n\n".join(escape.markdown(line) for line in help_lines))
    caption = shown.note + (f" · {_(lang(), 'source')}{colon} {shown.document}" if shown.document else "")
    st.caption(escape.markdown(caption))
    if shown.gap:  # the disputed figure: what is disputed, in full, and a link to its finding on Sources et écarts
        st.caption(f":orange[{escape.markdown(shown.gap[:1].upper() + shown.gap[1:])}]")
        st.page_link(registry.page("sources").file, label=_(lang(), "Voir l'écart expliqué"),
                     icon=":material/report:", query_params={"finding": shown.finding})


def kpi_row(results: dict, ids: tuple[str, ...], columns: int = 4) -> None:
    for start in range(0, len(ids), columns):
        for column, kpi_id in zip(st.columns(columns), ids[start:start + columns]):
            with column:
                if kpi_id in results:
                    kpi_card(results[kpi_id])


# --- charts, tables, exports ----------------------------------------------------------------------

# Each chart builder keeps this many charts (a view, a language, a data version each); the least recently used go.
CHART_ENTRIES = 64


@dataclass(frozen=True)
class Chart:
    """A chart as a page shows it: the figure, its data as a table, its one-sentence summary."""

    figure: go.Figure
    data: pd.DataFrame
    summary: str


def style(fig: go.Figure, lang: str, height: int | None = None) -> go.Figure:
    fig.update_layout(height=height or fig.layout.height or 420, colorway=figures.PALETTE, font=dict(size=14),
                      margin=dict(l=10, r=10, t=40, b=10), separators=figures.separators(lang),
                      legend=dict(orientation="h", y=-0.15))
    return fig


def cached_chart(build):
    """A page's chart builder, run once per server for each set of its arguments: plotly takes 10-40 ms to build
    and validate a figure, on every run of every session otherwise. The arguments are the key, so they must name
    everything the chart depends on: the data version (a publish shows new data), the view, and the language as
    `lang` (the figure's number format). Bounded: CHART_ENTRIES charts a builder. The Chart returned is shared
    by every session: nothing may change it."""
    if "lang" not in inspect.signature(build).parameters:
        raise TypeError(f"chart builder {build.__qualname__} must take the language as `lang`: it is part of its key")

    @functools.wraps(build)
    def styled(*args, **kwargs):
        built = build(*args, **kwargs)
        if built is None:  # nothing to draw in this view
            return None
        lang = inspect.signature(build).bind(*args, **kwargs).arguments["lang"]
        return Chart(style(built.figure, lang), built.data, built.summary)

    return st.cache_resource(max_entries=CHART_ENTRIES, show_spinner=False)(styled)


def chart(shown: Chart, name: str, key: str) -> None:
    """A chart with its one-sentence summary, its data as a table and its exports (RGAA spirit). The table is
    drawn only once its expander is opened, and opening it reruns that expander alone (a fragment)."""
    st.plotly_chart(shown.figure, key=key, config={
        "displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}})
    st.caption(escape.markdown(shown.summary))  # summaries name projects, communes…: plain text
    chart_data(shown.data, name, key)


@st.fragment
def chart_data(data: pd.DataFrame, name: str, key: str) -> None:
    with st.expander(_(lang(), "Données du graphique"), key=data_key(key), on_change="rerun") as shown:
        if shown.open:
            table(data, name, key=f"{key}-data")


DATA_SHOWN = "-data-shown"


def data_key(chart_key: str) -> str:
    """The session key of a chart's data expander (True when it is open)."""
    return chart_key + DATA_SHOWN


def is_data_key(key: str) -> bool:
    return key.endswith(DATA_SHOWN)


def table(data: pd.DataFrame, name: str, key: str | None = None, **dataframe_args) -> None:
    st.dataframe(data, hide_index=True, width="stretch", **dataframe_args)
    exports(data, name, key=key)


def basis_column(bases) -> list[str]:
    """A table's « base » column: each row's basis in the reader's language (énoncé, inféré, modélisé)."""
    return [vocabulary.basis_label(basis, lang()) for basis in bases]


def basis_config() -> dict:
    """The « base » column's header help: what the words mean."""
    return {_(lang(), "base"): st.column_config.TextColumn(help=vocabulary.basis_help(lang()))}


def basis_note(pairs, lead: str = "") -> None:
    """Under a table: the rule of each of its rows that its source does not state (and `lead`, said first)."""
    notes = vocabulary.basis_notes(pairs, lang())
    if notes or lead:
        lines = ([escape.markdown(lead)] if lead else []) + [f"- {escape.markdown(note)}" for note in notes]
        st.caption("\n".join(lines))


ABOUT_SHEET = "à propos"


def to_excel(data: pd.DataFrame, sheet: str = "données", about: tuple[str, ...] = ()) -> bytes:
    """The table as an Excel workbook; `about` (when the data were published, a synthetic mark) on a second sheet of
    its own, so the first stays the table (the import reads it back)."""
    buffer = io.BytesIO()
    frame = data.copy()
    for column in frame.columns:  # Excel has no time zones and no lists
        if frame[column].map(lambda v: isinstance(v, (list, tuple, dict))).any():
            frame[column] = frame[column].map(str)
    frame = spreadsheet.safe_frame(frame)  # no cell of data text may become a formula
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
        if about:
            spreadsheet.safe_frame(pd.DataFrame({ABOUT_SHEET: list(about)})).to_excel(
                writer, index=False, sheet_name=ABOUT_SHEET)
    return buffer.getvalue()


def export_notes() -> tuple[str, ...]:
    """What every Excel download says beside its table: « Données publiées le … », and the synthetic mark."""
    notes = (narratives.published_line(caches.served_publication(), lang()),)
    return notes + ((vocabulary.synthetic_banner(lang()),) if caches.is_synthetic() else ())


def to_csv(data: pd.DataFrame) -> bytes:
    return spreadsheet.safe_frame(data).to_csv(index=False).encode("utf-8-sig")


def exports(data: pd.DataFrame, name: str, key: str | None = None) -> None:
    left, right = st.columns(2)
    about = export_notes()
    # Files are made on click (deferred), not on every rerun of the page.
    left.download_button(_(lang(), "Télécharger (CSV)"), lambda: to_csv(data),
                         f"{name}.csv", "text/csv", key=f"{key or name}-csv", width="stretch")
    right.download_button(_(lang(), "Télécharger (Excel)"), lambda: to_excel(data, about=about), f"{name}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key or name}-xlsx", width="stretch")


def importable_export(table: str, filters: Filters, label: str) -> None:
    """The view's rows in the import template's columns: edit them in Excel and import them back."""
    rows = queries.importable_rows(database.connection(), table, filters)
    about = export_notes()
    st.download_button(label, lambda: to_excel(rows, table, about), f"qmi_{table}_modele_import.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"importable-{table}", help=_(lang(),
                           "Colonnes du modèle d'import : modifiez dans Excel puis importez (Administration, mode « ajouter ou mettre à jour »)."))
