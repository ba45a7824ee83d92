"""The deck's pictures drawn without any script: the cards as big numbers, bars, the offline map and the QR code
(the event mode's slideshow and the static site both draw them), and the project sheet's two charts, its status
timeline and its indicator series, as inline SVG (the static site's sheets: no image to render).

Inline SVG and HTML only: nothing is loaded from the network, and a page that holds them needs no JavaScript.
"""

from __future__ import annotations

import math

import pandas as pd
import segno

from qmi_metrics.outputs import escape
from qmi_metrics.outputs.deck import Outline, Place, Slide, project
from qmi_metrics.present import figures, vocabulary
from qmi_metrics.present.i18n import _

NAVY, INK, MUTED = "#0b1f3a", "#111827", "#374151"  # 16:1, 17:1 and 10:1 on white
BLUE, ORANGE, GREEN, YELLOW = "#0072B2", "#E69F00", "#009E73", "#F0E442"  # Okabe–Ito

# Drawn, not a glyph: projector laptops may lack a font with ⛶.
FULLSCREEN_ICON = ("<svg viewBox='0 0 20 20' width='1em' height='1em' aria-hidden='true' fill='none' stroke='currentColor' "
                   "stroke-width='2.5'><path d='M2 7V2h5M13 2h5v5M18 13v5h-5M7 18H2v-5'/></svg>")

# French typography: no line break between a word and the « ? ! ; : » or guillemets that follow or precede it.
NO_BREAK = {" ?": "\u202f?", " !": "\u202f!", " ;": "\u202f;", " :": "\u00a0:", " »": "\u00a0»", "« ": "«\u00a0"}


def esc(text) -> str:
    text = "" if text is None else str(text)
    for plain, joined in NO_BREAK.items():
        text = text.replace(plain, joined)
    return escape.html(text)


# --- the deck's pieces -----------------------------------------------------------------------------

def numbers(slide: Slide, with_sources: bool = True) -> str:
    cells = []
    for n in slide.numbers:
        source = f"<div class='source'>{esc(n.source_line)}</div>" if with_sources and n.source_line else ""
        cells.append(
            f"<div class='figure' data-kpi='{esc(n.kpi_id)}'><div class='label'>{esc(n.label)}</div>"
            f"<div class='qualifier'>{esc(n.qualifier)}</div><div class='num'>{esc(n.number)}</div>"
            f"<div class='unit'>{esc(n.unit_text)}</div><div class='note'>{esc(n.note)}</div>{source}</div>")
    return f"<div class='numbers' style='grid-template-columns: repeat({max(len(cells), 1)}, 1fr)'>{''.join(cells)}</div>"


def bars(slide: Slide, funnel: bool) -> str:
    """The slide's bars, each as wide as its value over the largest (a published one hatched, a partial one dashed)."""
    top = max([b.value for b in slide.bars if b.value is not None] + [0]) or 1
    rows = []
    for bar in slide.bars:
        width = 0 if bar.value is None else 100 * bar.value / top
        kind = bar.basis if bar.basis in ("published", "partial") else ""
        rows.append(
            f"<div class='bar-row'><div class='what'>{esc(bar.label)}<small>{esc(bar.note)}</small></div>"
            f"<div class='value'>{esc(bar.text)}</div>"
            f"<div class='track'><div class='bar {kind}' style='width:{width:.1f}%'></div></div></div>")
    return f"<div class='bars{' funnel' if funnel else ''}'>{''.join(rows)}</div>"


def qr_svg(link: str, title: str) -> str:
    """The link as a QR code (error correction M), scalable SVG, black on white."""
    code = segno.make(link, error="m")
    return code.svg_inline(scale=1, border=4, omitsize=True, dark="#000000", light="#ffffff", title=title)


# --- the offline map ---------------------------------------------------------------------------------

MAP_W, MAP_H, MAP_MARGIN = 640, 440, 28  # the SVG map's view box
LABEL_SIZE = 17


def _overlaps(box, boxes) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes) or x0 < 0 or y0 < 0 or x1 > MAP_W or y1 > MAP_H


def _label_candidates(x: float, y: float, width: float, height: float, r: float = 15):
    """Places for a commune's label, nearest first: beside the marker, then further out with a leader line."""
    yield "start", x + r + 3, y - height / 2, None
    yield "end", x - r - 3 - width, y - height / 2, None
    yield "middle", x - width / 2, y - r - 2 - height, None
    yield "middle", x - width / 2, y + r + 2, None
    for distance in (45, 75):
        for dx, dy in ((1, -1), (1, 1), (-1, -1), (-1, 1), (1, 0), (-1, 0), (0, -1), (0, 1)):
            norm = math.hypot(dx, dy)
            lx, ly = x + dx / norm * distance, y + dy / norm * distance
            anchor = "start" if dx > 0 else "end" if dx < 0 else "middle"
            bx = lx if dx > 0 else lx - width if dx < 0 else lx - width / 2
            by = ly - height / 2 if dy == 0 else (ly - height if dy < 0 else ly)
            yield anchor, bx, by, (x + dx / norm * r, y + dy / norm * r, lx, ly)


def _outline_paths(outlines: tuple[Outline, ...], xy) -> list[str]:
    """The communes' contours, the others first: light grey borders, the laureates filled in light blue."""
    parts = []
    for outline in sorted(outlines, key=lambda o: (o.laureate, o.insee)):
        d = " ".join("M" + " L".join("{:.1f} {:.1f}".format(*xy(lat, lon)) for lon, lat in ring) + " Z"
                     for ring in outline.rings)
        style = (f"fill='#CCE3F3' stroke='{BLUE}' stroke-width='1.4'" if outline.laureate
                 else "fill='#FFFFFF' stroke='#9AA1AB' stroke-width='0.7'")
        parts.append(f"<path d='{d}' {style} stroke-linejoin='round' data-insee='{esc(outline.insee)}'/>")
    return parts


def map_svg(places: tuple[Place, ...], lang: str, outlines: tuple[Outline, ...] = ()) -> tuple[str, list[str]]:
    """The SVG and the names that found no room for a label; the communes' contours under the places when given."""
    places = list(places)
    if not places:
        return "", []
    xy, scale = project(places, MAP_W, MAP_H, MAP_MARGIN, outlines)
    parts = [f"<svg viewBox='0 0 {MAP_W} {MAP_H}' role='img' aria-label='{esc(_(lang, 'Carte des communes lauréates'))}'>"]
    parts += _outline_paths(outlines, xy)
    for p in places:
        x, y = xy(p.lat, p.lon)
        if p.kind == "context" and outlines:
            continue  # the contours show the other communes
        if p.kind == "context":
            parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='2.4' fill='#8a9099'/>")
        elif p.kind == "city":
            parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3.5' fill='#4b5563'/>"
                         f"<text x='{x:.1f}' y='{y - 8:.1f}' text-anchor='middle' font-size='{LABEL_SIZE}' font-style='italic' "
                         f"fill='#374151'>{esc(p.name)}</text>")
    for p in places:
        x, y = xy(p.lat, p.lon)
        if p.kind == "quartier":
            s = 9
            parts.append(f"<path d='M{x:.1f} {y - s:.1f} L{x + s:.1f} {y:.1f} L{x:.1f} {y + s:.1f} L{x - s:.1f} {y:.1f} Z' "
                         f"fill='{ORANGE}' stroke='#000' stroke-width='1.5'><title>{esc(p.name)}</title></path>")
        elif p.kind == "site":
            s = 7
            parts.append(f"<path d='M{x:.1f} {y - s:.1f} L{x + s:.1f} {y + s * .8:.1f} L{x - s:.1f} {y + s * .8:.1f} Z' "
                         f"fill='{GREEN}' stroke='#000' stroke-width='1.2'><title>{esc(p.name)}</title></path>")
    # Labels avoid the markers (communes, quartiers, sites) and each other.
    boxes, unlabelled, labels = [], [], []
    for p in places:
        if p.kind in ("quartier", "site"):
            x, y = xy(p.lat, p.lon)
            boxes.append((x - 8, y - 8, x + 8, y + 8))
    communes = sorted((p for p in places if p.kind == "commune"), key=lambda p: -p.lat)
    for p in communes:
        x, y = xy(p.lat, p.lon)
        r = 13 if (p.count or 0) < 10 else 16
        boxes.append((x - r, y - r, x + r, y + r))
        parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r}' fill='{NAVY}' stroke='#ffffff' stroke-width='2'/>"
                     f"<text x='{x:.1f}' y='{y + 5.5:.1f}' text-anchor='middle' font-size='15' font-weight='700' fill='#ffffff'>"
                     f"{esc(p.count if p.count is not None else '?')}</text>")
    for p in communes:
        x, y = xy(p.lat, p.lon)
        width, height = len(p.name) * LABEL_SIZE * 0.56, LABEL_SIZE * 1.15
        for anchor, bx, by, leader in _label_candidates(x, y, width, height):
            box = (bx, by, bx + width, by + height)
            if not _overlaps(box, boxes):
                boxes.append(box)
                tx = {"start": bx, "end": bx + width, "middle": bx + width / 2}[anchor]
                if leader:
                    labels.append(f"<line x1='{leader[0]:.1f}' y1='{leader[1]:.1f}' x2='{leader[2]:.1f}' y2='{leader[3]:.1f}' "
                                  f"stroke='{NAVY}' stroke-width='1.5'/>")
                labels.append(f"<text x='{tx:.1f}' y='{by + height * 0.8:.1f}' text-anchor='{anchor}' font-size='{LABEL_SIZE}' "
                              f"font-weight='700' fill='{NAVY}' stroke='#ffffff' stroke-width='4' paint-order='stroke'>{esc(p.name)}</text>")
                break
        else:
            unlabelled.append(p.name)
    parts += labels
    # Orientation without a basemap: north arrow and a 5 km scale bar (1° of latitude ≈ 111.32 km).
    bar = 5 / 111.32 * scale
    parts.append(f"<g font-size='14' fill='{INK}'><path d='M{MAP_W - 24} 40 L{MAP_W - 17} 22 L{MAP_W - 10} 40 Z' fill='{INK}'/>"
                 f"<text x='{MAP_W - 17}' y='56' text-anchor='middle' font-weight='700'>N</text>"
                 f"<rect x='14' y='{MAP_H - 22}' width='{bar:.1f}' height='6' fill='{INK}'/>"
                 f"<text x='14' y='{MAP_H - 28}'>5 km</text></g>")
    parts.append("</svg>")
    return "".join(parts), unlabelled


def _legend_symbol(kind: str) -> str:
    shapes = {
        "commune": f"<circle cx='13' cy='13' r='11' fill='{NAVY}'/><text x='13' y='18' text-anchor='middle' font-size='13' font-weight='700' fill='#fff'>7</text>",
        "quartier": f"<path d='M13 3 L23 13 L13 23 L3 13 Z' fill='{ORANGE}' stroke='#000' stroke-width='1.5'/>",
        "site": f"<path d='M13 4 L22 20 L4 20 Z' fill='{GREEN}' stroke='#000' stroke-width='1.2'/>",
        "context": "<circle cx='13' cy='13' r='3.5' fill='#8a9099'/>",
        "outline": "<path d='M4 5 L21 3 L23 20 L6 22 Z' fill='#FFFFFF' stroke='#9AA1AB' stroke-width='1.4'/>",
    }
    return f"<svg viewBox='0 0 26 26' aria-hidden='true'>{shapes[kind]}</svg>"


def map_block(slide: Slide, lang: str) -> str:
    """The map with its legend and notes beside it; the first note in large type when nothing is placed."""
    svg, unlabelled = map_svg(slide.places, lang, slide.outlines)
    kinds = {p.kind for p in slide.places}
    legend = [("commune", _(lang, "commune lauréate, avec son nombre de projets"))]
    if "quartier" in kinds:
        legend.append(("quartier", _(lang, "quartier d'innovation")))
    if "site" in kinds:
        legend.append(("site", _(lang, "lieu d'expérimentation")))
    if slide.outlines:
        legend.append(("outline", _(lang, "contour d'une commune de la Métropole (les lauréates en bleu)")))
    elif "context" in kinds:
        legend.append(("context", _(lang, "autre commune de la Métropole")))
    items = "".join(f"<li>{_legend_symbol(kind)}<span>{esc(text)}</span></li>" for kind, text in legend)
    extra = ([_(lang, "Sans étiquette faute de place : ") + ", ".join(unlabelled) + "."]
             if unlabelled else [])
    notes = "".join(f"<li>{esc(n)}</li>" for n in (*slide.notes, *extra))
    side = f"<div><ul class='legend'>{items}</ul><ul class='notes'>{notes}</ul></div>"
    if not svg:
        return f"<p class='empty-message'>{esc(' '.join(slide.notes))}</p>"
    return f"<div class='map'>{svg}{side}</div>"


# --- a project's charts (the sheet's figures.project_timeline and figures.indicator_series, as SVG) -------------

CHART_W = 900  # the view box's width; the SVG scales to the page's width


def _x_scale(first, last, left: float, right: float):
    """Dates to x between `left` and `right`, two months of room on each side (as the plotly figures)."""
    start = (pd.Timestamp(first) - pd.DateOffset(months=2)).toordinal()
    span = max((pd.Timestamp(last) + pd.DateOffset(months=2)).toordinal() - start, 1)
    return lambda day: left + (right - left) * (day.toordinal() - start) / span


def _x_ticks(first, last, x, top: float, bottom: float, lang: str) -> list[str]:
    ticks, labels = figures.month_ticks(first, last, 3, lang)
    return [f"<line x1='{x(t):.1f}' y1='{top}' x2='{x(t):.1f}' y2='{bottom}' stroke='#d1d5db'/>"
            f"<text x='{x(t):.1f}' y='{bottom + 18}' text-anchor='middle' font-size='13' fill='{MUTED}'>{esc(label)}</text>"
            for t, label in zip(ticks, labels)]


def timeline_svg(events: pd.DataFrame, lang: str) -> str:
    """The dated status events on a time axis, one row per status (in the programme's order), each marker with its
    date at its precision, a period (a season) drawn as a segment; empty when no event is dated."""
    dated = events[events["date_start"].notna()]
    if dated.empty:
        return ""
    kinds = [kind for kind in figures.STAGE_ORDER if kind in set(dated["kind"])]
    label_w, row_h, top = 230, 56, 24
    height = top + row_h * len(kinds) + 30
    ends = dated["date_end"].dropna()
    first = pd.Timestamp(dated["date_start"].min())
    last = max(pd.Timestamp(dated["date_start"].max()), pd.Timestamp(ends.max()) if not ends.empty else first)
    x = _x_scale(first, last, label_w, CHART_W - 20)
    parts = [f"<svg class='chart' viewBox='0 0 {CHART_W} {height}' role='img' aria-hidden='true'>"]
    parts += _x_ticks(first, last, x, top - 10, height - 30, lang)
    y_of = {kind: top + row_h * i + row_h / 2 for i, kind in enumerate(kinds)}
    for kind, y in y_of.items():
        parts.append(f"<text x='{label_w - 12}' y='{y + 5:.1f}' text-anchor='end' font-size='15' fill='{INK}'>"
                     f"{esc(vocabulary.status_label(kind, lang))}</text>")
    for row in dated.itertuples():
        y = y_of[row.kind]
        if figures.known(row.date_end):
            parts.append(f"<line x1='{x(row.date_start):.1f}' y1='{y:.1f}' x2='{x(row.date_end):.1f}' y2='{y:.1f}' "
                         f"stroke='{figures.PALETTE[5]}' stroke-width='6'/>")
        parts.append(f"<circle cx='{x(row.date_start):.1f}' cy='{y:.1f}' r='8' fill='{BLUE}' stroke='#000' stroke-width='1'/>"
                     f"<text x='{x(row.date_start):.1f}' y='{y - 13:.1f}' text-anchor='middle' font-size='13' fill='{INK}'>"
                     f"{esc(figures.event_when(row, lang))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def series_svg(series: pd.DataFrame, values: pd.DataFrame, lang: str) -> str:
    """One small multiple per indicator followed, its monthly values over time on a shared axis, its title as the
    plotly figure's (unit and direction), its lowest and highest value written at the left."""
    panel_h, title_h, left, top = 110, 26, 90, 8
    first, last = values["measured_on"].min(), values["measured_on"].max()
    x = _x_scale(first, last, left, CHART_W - 20)
    height = top + (title_h + panel_h) * len(series) + 30
    parts = [f"<svg class='chart' viewBox='0 0 {CHART_W} {height}' role='img' aria-hidden='true'>"]
    parts += _x_ticks(first, last, x, top, height - 30, lang)
    by_indicator = figures.series_points(values)
    for i, row in enumerate(series.itertuples()):
        y0 = top + (title_h + panel_h) * i + title_h
        points = by_indicator[row.indicator_id]
        low, high = min(float(v) for _day, v in points), max(float(v) for _day, v in points)
        span = (high - low) or 1.0
        y = lambda v: y0 + panel_h - 8 - (panel_h - 16) * (float(v) - low) / span  # noqa: E731
        colour = figures.PALETTE[i % len(figures.PALETTE)]
        line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
        parts.append(f"<text x='{left}' y='{y0 - 8}' font-size='14' font-weight='700' fill='{NAVY}'>"
                     f"{esc(figures.indicator_title(row, lang))}</text>"
                     f"<rect x='{left}' y='{y0}' width='{CHART_W - 20 - left}' height='{panel_h}' fill='none' stroke='#d1d5db'/>"
                     f"<text x='{left - 6}' y='{y(high) + 5:.1f}' text-anchor='end' font-size='12' fill='{MUTED}'>"
                     f"{esc(figures.fmt(high, lang=lang))}</text>"
                     f"<text x='{left - 6}' y='{y(low) + 5:.1f}' text-anchor='end' font-size='12' fill='{MUTED}'>"
                     f"{esc(figures.fmt(low, lang=lang))}</text>"
                     f"<polyline points='{line}' fill='none' stroke='{colour}' stroke-width='2'/>")
    parts.append("</svg>")
    return "".join(parts)
