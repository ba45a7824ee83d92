"""The event deck (outputs/deck.py) as a PowerPoint file: the same slides, in the same order, with the same
words as the slideshow, drawn as editable shapes (numbers, bars, map markers, tables) — no image to render,
so the file is made offline in well under a second. The figures' sources go in each slide's notes."""

from __future__ import annotations

import datetime as dt
import io
import math

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.dml import MSO_PATTERN
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from qmi_metrics.metrics.filters import Filters, UnknownFilterValue, resolve_edition
from qmi_metrics.metrics.filters import editions as list_editions
from qmi_metrics.outputs import deck as decks
from qmi_metrics.present import formatting
from qmi_metrics.present.i18n import _

EMU_PER_POINT = 12700
DARK, GREY, RED, BLUE = RGBColor(0x1A, 0x1A, 0x1A), RGBColor(0x55, 0x55, 0x55), RGBColor(0xC0, 0, 0), \
    RGBColor(0x0B, 0x4F, 0x7C)
NAVY, ORANGE, GREEN, CONTEXT = RGBColor(0x0B, 0x1F, 0x3A), RGBColor(0xE6, 0x9F, 0x00), RGBColor(0x00, 0x9E, 0x73), \
    RGBColor(0x8A, 0x90, 0x99)
WIDTH, HEIGHT, MARGIN = Inches(13.333), Inches(7.5), Inches(0.6)
INNER = WIDTH - 2 * MARGIN
NUMBERS_PER_ROW = 4
ROW_HEIGHT = Inches(0.42)  # a table row: 8 project rows and the header stay above the notes


def box_capacity(box_width: int, box_height: int, size: float, partial_line: bool = True) -> tuple[int, int]:
    """(characters a line, lines) a text box of that size in EMU holds at a font size in points: 0.5 em an average
    character, 1.2 em a line; a last line partly below the box counts unless partial_line is False (titles)."""
    per_line = max(4, int(box_width / EMU_PER_POINT / (0.5 * size)))
    lines = box_height / EMU_PER_POINT / (1.2 * size)
    return per_line, max(1, math.ceil(lines - 0.05) if partial_line else int(lines))


def fit_lines(lines: list[str], box_width: int, box_height: int, size: float, partial_line: bool = True) -> list[str]:
    """The lines cut with « … » (the longest first) until they fit the box; PowerPoint never shrinks a text box."""
    per_line, room = box_capacity(box_width, box_height, size, partial_line)
    if len(lines) > room:  # more items than lines: the last line says how many are left out
        lines = lines[:room - 1] + [f"… (+{len(lines) - room + 1})"]
    needs = [max(1, -(-len(line) // per_line)) for line in lines]
    while sum(needs) > room:
        needs[needs.index(max(needs))] -= 1
    return [line if len(line) <= need * per_line else line[:need * per_line - 2].rstrip() + " …"
            for line, need in zip(lines, needs)]


def _plain(text: str) -> str:
    """PowerPoint's fonts may lack the narrow no-break space: a no-break space keeps the same line."""
    return text.replace(formatting.NARROW_NBSP, formatting.NBSP)


def qr_png(text: str) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=12, border=2)
    return buffer.getvalue()


def text_box(slide, left, top, width, height, text, size, bold=False, colour=DARK, align=None):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    lines = fit_lines(text if isinstance(text, list) else [text], width - frame.margin_left - frame.margin_right,
                      height - frame.margin_top - frame.margin_bottom, size)
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = _plain(line)
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, colour
        if align is not None:
            paragraph.alignment = align
    return box


NUMBER_SIZES = (44, 36, 28, 22, 18)  # points: the largest at which a card's value fits its box


def _fits(text: str, width, height, size: float) -> bool:
    per_line, room = box_capacity(width, height, size)
    return -(-len(text) // per_line) <= room


def _number(slide, left, top, width, card) -> None:
    """A card as on the screen: the qualifier small, the number big, its unit small, then label, basis and source."""
    box = slide.shapes.add_textbox(left, top, width, Inches(0.9))
    box.text_frame.word_wrap = True  # the no-break space keeps a number with its unit
    box.text_frame.margin_left = box.text_frame.margin_right = 0
    paragraph = box.text_frame.paragraphs[0]
    big = next((size for size in NUMBER_SIZES if _fits(card.text, width, Inches(0.9), size)), NUMBER_SIZES[-1])
    for text, size in ((card.qualifier + " " if card.qualifier else "", 16), (card.number, big),
                       (formatting.NBSP + card.unit_text if card.unit_text else "", 16)):
        if text:
            run = paragraph.add_run()
            run.text = _plain(text)
            run.font.size, run.font.bold, run.font.color.rgb = Pt(size), True, DARK
    if card.label:
        text_box(slide, left, top + Inches(0.9), width, Inches(0.8), card.label, 15)
    if card.note:
        text_box(slide, left, top + Inches(1.7), width, Inches(0.4), card.note, 11, colour=GREY)


def _numbers(slide, spec: decks.Slide, top) -> int:
    """The slide's cards, four a row; returns the top of what comes under them."""
    cell = INNER // NUMBERS_PER_ROW
    row_height = Inches(2.2)
    for i, card in enumerate(spec.numbers):
        _number(slide, MARGIN + (i % NUMBERS_PER_ROW) * cell, top + (i // NUMBERS_PER_ROW) * row_height,
                cell - Inches(0.2), card)
    return top + row_height * math.ceil(len(spec.numbers) / NUMBERS_PER_ROW)


def _bars(slide, spec: decks.Slide, top) -> int:
    """Horizontal bars: a published one hatched, a partial one dotted (told apart without colour)."""
    if not spec.bars:
        return top
    highest = max((b.value or 0) for b in spec.bars) or 1
    row = min(Inches(0.62), (HEIGHT - Inches(2.2) - top) // len(spec.bars))
    label_width, bar_room = Inches(4.3), INNER - Inches(4.3) - Inches(2.6)
    for i, bar in enumerate(spec.bars):
        y = top + i * row
        text_box(slide, MARGIN, y, label_width - Inches(0.1), row, bar.label, 14)
        length = max(Emu(int(bar_room * (bar.value or 0) / highest)), Inches(0.05))
        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, MARGIN + label_width, y + row // 6, length, row * 2 // 3)
        shape.line.fill.background()
        if bar.basis in ("published", "partial"):
            shape.fill.patterned()
            shape.fill.pattern = MSO_PATTERN.WIDE_UPWARD_DIAGONAL if bar.basis == "published" else MSO_PATTERN.PERCENT_50
            shape.fill.fore_color.rgb, shape.fill.back_color.rgb = BLUE, RGBColor(0xFF, 0xFF, 0xFF)
            shape.line.color.rgb = BLUE
        else:
            shape.fill.solid()
            shape.fill.fore_color.rgb = BLUE
        value = " · ".join(filter(None, [bar.text, bar.note]))
        text_box(slide, MARGIN + label_width + length + Inches(0.1), y, Inches(2.5), row, value, 13)
    return top + row * len(spec.bars)


def _map(slide, spec: decks.Slide, top) -> None:
    """The places drawn as markers with the slideshow's projection: grey dots for the Métropole, navy discs with
    their count for the laureates, orange diamonds for quartiers, green triangles for sites."""
    if not spec.places:
        return
    width, height = Inches(7.6), HEIGHT - top - Inches(0.8)
    xy, _scale = decks.project(list(spec.places), width, height, Inches(0.3))
    shapes = {"context": (MSO_SHAPE.OVAL, Inches(0.07), CONTEXT), "city": (MSO_SHAPE.OVAL, Inches(0.1), GREY),
              "quartier": (MSO_SHAPE.DIAMOND, Inches(0.22), ORANGE), "site": (MSO_SHAPE.ISOSCELES_TRIANGLE, Inches(0.18), GREEN),
              "commune": (MSO_SHAPE.OVAL, Inches(0.42), NAVY)}
    order = ("context", "city", "quartier", "site", "commune")
    for place in sorted(spec.places, key=lambda p: order.index(p.kind)):
        kind, size, colour = shapes[place.kind]
        x, y = xy(place.lat, place.lon)
        marker = slide.shapes.add_shape(kind, MARGIN + int(x) - size // 2, top + int(y) - size // 2, size, size)
        marker.fill.solid()
        marker.fill.fore_color.rgb = colour
        marker.line.color.rgb = RGBColor(0xFF, 0xFF, 0xFF) if place.kind == "commune" else colour
        if place.kind == "commune":
            marker.text_frame.word_wrap = True
            marker.text_frame.margin_left = marker.text_frame.margin_right = 0
            marker.text_frame.text = str(place.count if place.count is not None else "?")
            run = marker.text_frame.paragraphs[0].runs[0]
            run.font.size, run.font.bold, run.font.color.rgb = Pt(12), True, RGBColor(0xFF, 0xFF, 0xFF)
            marker.text_frame.paragraphs[0].alignment = PP_ALIGN.CENTER
            label_left = min(MARGIN + int(x) + size // 2, MARGIN + width - Inches(1.6))
            text_box(slide, label_left, top + int(y) - Inches(0.2), Inches(2.0), Inches(0.4), place.name, 13, bold=True,
                     colour=NAVY)
    notes = [*spec.notes, *spec.sources]
    text_box(slide, MARGIN + width + Inches(0.3), top, INNER - width - Inches(0.3), height, notes, 14, colour=GREY)


def _table(slide, spec: decks.Slide, left, top, width) -> None:
    if not spec.rows:
        return
    rows = len(spec.rows) + 1
    table = slide.shapes.add_table(rows, len(spec.columns), left, top, width, ROW_HEIGHT * rows).table
    for j, name in enumerate(spec.columns):
        table.cell(0, j).text = name
    for i, row in enumerate(spec.rows, start=1):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = _plain(fit_lines([str(value)], width // len(spec.columns), ROW_HEIGHT, 14)[0])
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(14)


def _speaker_notes(spec: decks.Slide, lang: str) -> str:
    """Each figure with its basis, its source and its sentence: what a presenter answers a question with."""
    lines = []
    for card in spec.numbers:
        if not card.label:
            continue
        line = f"{card.label}{_(lang, ' : ')}{card.text} ({card.note})"
        if card.source:
            line += f" — {_(lang, 'source')}{_(lang, ' : ')}{card.source} « {card.quote[:200]} »"
        lines.append(line)
    lines += [*spec.notes, *spec.sources]
    return _plain("\n".join(lines))


def render(deck: decks.Deck, footer: str = "") -> bytes:
    presentation = Presentation()
    presentation.slide_width, presentation.slide_height = WIDTH, HEIGHT
    layout = presentation.slide_layouts[5]  # "Title Only": the title is a real title (outline, screen readers)
    lang = deck.lang
    for spec in deck.slides:
        slide = presentation.slides.add_slide(layout)
        title = slide.shapes.title
        size = 44 if spec.kind == "title" else 34
        title.left, title.top, title.width, title.height = MARGIN, Inches(0.3), INNER, Inches(1.0)
        if spec.kind == "title":
            title.top, title.height = Inches(2.0), Inches(1.6)
        title.text = "\n".join(fit_lines([spec.title], title.width, title.height, size, partial_line=False))
        for paragraph in title.text_frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
            for run in paragraph.runs:
                run.font.size, run.font.bold, run.font.color.rgb = Pt(size), True, BLUE
        top = Inches(1.35)
        if spec.subtitle and spec.kind != "title":
            text_box(slide, MARGIN, top, INNER, Inches(0.5), spec.subtitle, 16, colour=GREY)
            top += Inches(0.55)
        if spec.kind == "title":
            lines = [spec.subtitle] + [row[0] for row in spec.rows]
            text_box(slide, MARGIN, Inches(3.7), INNER, Inches(1.4), lines, 24, colour=GREY)
            if spec.notes:
                text_box(slide, MARGIN, Inches(5.2), INNER, Inches(1.0), list(spec.notes), 14, colour=RED)
        elif spec.kind in ("kpis", "community"):
            below = _numbers(slide, spec, top)
            text_box(slide, MARGIN, below, INNER, HEIGHT - below - Inches(0.7), [*spec.notes, *spec.sources], 13, colour=GREY)
        elif spec.kind in ("funnel", "themes"):
            below = _bars(slide, spec, top + Inches(0.1))
            text_box(slide, MARGIN, below + Inches(0.1), INNER, HEIGHT - below - Inches(0.8), list(spec.notes), 13,
                     colour=GREY)
        elif spec.kind == "map":
            _map(slide, spec, top)
        elif spec.kind in ("commune", "findings"):
            left = MARGIN
            if spec.numbers:
                share = INNER // len(spec.numbers)  # findings: one count per group, in one row
                _number(slide, MARGIN, top, Inches(2.3) if spec.kind == "commune" else share - Inches(0.2), spec.numbers[0])
                if spec.kind == "findings":
                    for i, card in enumerate(spec.numbers[1:], start=1):
                        _number(slide, MARGIN + i * share, top, share - Inches(0.2), card)
                    top += Inches(1.1)
                else:
                    left = MARGIN + Inches(2.6)
            _table(slide, spec, left, top, WIDTH - MARGIN - left)
            if spec.notes:
                text_box(slide, MARGIN, HEIGHT - Inches(1.35), INNER, Inches(0.8), list(spec.notes), 13, colour=GREY)
        elif spec.kind == "qr":
            text_box(slide, MARGIN, top, Inches(7.4), Inches(0.8), spec.link, 24, bold=True, colour=BLUE)
            text_box(slide, MARGIN, top + Inches(1.0), Inches(7.4), Inches(3.0), list(spec.notes), 16, colour=GREY)
            qr_size = Inches(4.6)
            slide.shapes.add_picture(io.BytesIO(qr_png(spec.link)), WIDTH - MARGIN - qr_size, Inches(1.5), qr_size, qr_size)
        else:  # empty
            text_box(slide, MARGIN, top, INNER, Inches(3.0), list(spec.notes), 24, colour=GREY)
        slide.notes_slide.notes_text_frame.text = _speaker_notes(spec, lang)
        foot = [line for line in (footer, deck.published) if line]
        if foot:
            text_box(slide, MARGIN, HEIGHT - Inches(0.55), INNER - Inches(3.4), Inches(0.5), foot, 9, colour=GREY)
        if deck.synthetic:
            text_box(slide, WIDTH - MARGIN - Inches(3.2), HEIGHT - Inches(0.55), Inches(3.2), Inches(0.4),
                     _(lang, "DONNÉES SYNTHÉTIQUES"), 14, bold=True, colour=RED, align=PP_ALIGN.RIGHT)
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def footer_text(lang: str) -> str:
    today = formatting.date(dt.date.today(), "day", lang)
    return _(lang, "Sources des chiffres : notes de la diapositive · QMI — tableau de bord, {today}", today=today)


def edition_deck(con, edition, lang: str = "fr", url: str = decks.DEFAULT_BASE_URL, site_url: str | None = None) -> bytes:
    """An edition's deck: the event mode's slides for that edition, as a PowerPoint file; its QR code opens the
    showcase's page of the edition when `site_url` (the showcase's public address) is given, else the dashboard."""
    found = resolve_edition(con, edition)
    if found is None:
        raise UnknownFilterValue("edition", edition, [str(r["edition_id"]) for r in list_editions(con)])
    return render(decks.build(con, Filters(edition=found), lang=lang, base=url, site_base=site_url), footer_text(lang))
