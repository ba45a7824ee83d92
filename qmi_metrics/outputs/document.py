"""The document model every report is built as, before it is written: headings, facts, tables, charts,
sentences (outputs/reports builds it from the data; sheet_html writes it as HTML, sheet_pdf prints that HTML)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import plotly.graph_objects as go

from qmi_metrics.present.i18n import _

QUOTE_MAX = 280  # characters of a source quote kept in a report (the full sentence is in the database)


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Text:
    text: str
    style: str = "body"  # body | note | warning


@dataclass
class Facts:
    rows: list[tuple[str, str]]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    whole: tuple[int, ...] = ()  # columns whose short values (names) are kept on one line


@dataclass
class Chart:
    figure: go.Figure | Callable[[], go.Figure]  # or the function that builds it, called only to draw the image
    summary: str  # the one-sentence summary: the chart's alternative text and caption
    width: int = 900  # CSS pixels of the image; the PDF scales it to the text width
    height: int | None = None  # CSS pixels; None: the figure's own height
    svg: Callable[[], str] | None = None  # the same chart as inline SVG (outputs/graphics), where one is drawn

    def plotly(self) -> go.Figure:
        """The plotly figure (built now when the chart was given its function: a figure costs tens of ms)."""
        return self.figure if isinstance(self.figure, go.Figure) else self.figure()


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Report:
    kind: str  # project | commune | edition
    name: str  # file stem
    title: str
    subtitle: str
    lang: str
    synthetic: bool
    blocks: list = field(default_factory=list)
    footer: str = ""


def shorten(text, limit: int = QUOTE_MAX) -> str:
    """A quote on one line, cut at `limit` characters with « … »."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def unavailable(error: Exception, lang: str) -> str:
    """What stands in a chart's place when its image cannot be drawn."""
    return _(lang, "Graphique non disponible (image impossible à produire ici : {error}).", error=error)
