"""One voice: the dashboard's cards, the reports, the slideshow and the PPTX print the same string for every
headline KPI of every view, in French and English, on the reference and on a synthetic database."""

from __future__ import annotations

import html
import io
import re

import pytest
from helpers import app_test, as_filters, participating_communes, views
from pptx import Presentation

from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import deck, document, pptx, reports, sheet_html, slideshow
from qmi_metrics.present import cards, headlines
from qmi_metrics.store import db

SYNTHETIC_COMMUNES = 4  # the synthetic database has many: its first four keep the test within a minute


def plain(text: str) -> str:
    return " ".join(str(text).replace("\u202f", " ").replace("\xa0", " ").replace("\u2060", "").split())


def as_read(markdown: str) -> str:
    """A Markdown text as the reader sees it: escape.markdown's backslashes gone."""
    return plain(re.sub(r"\\(.)", r"\1", markdown))


def shown_on_the_dashboard(monkeypatch, path, view: Filters, lang: str) -> tuple[dict, list[str]]:
    """The Vue d'ensemble opened from a link with the view's filters (?edition=…&commune=…&lang=…)."""
    url = {"edition": "all" if view.edition is None else str(view.edition), "lang": lang}
    if view.communes:
        url["commune"] = list(view.communes)
    at = app_test(monkeypatch, path, timeout=90, **url).run()
    assert not at.exception, at.exception
    return {as_read(m.label): plain(m.value) for m in at.metric}, [as_read(c.value) for c in at.caption]


def pptx_texts(data: bytes) -> list[str]:
    texts = []
    for slide in Presentation(io.BytesIO(data)).slides:
        texts.append(" ".join(plain(s.text_frame.text) for s in slide.shapes if s.has_text_frame))
    return texts


@pytest.mark.parametrize("which", ["reference", "demo"])
def test_every_output_prints_the_same_card(monkeypatch, reference_db_path, demo_db_path, which):
    path = reference_db_path if which == "reference" else demo_db_path
    communes = participating_communes(path)[:SYNTHETIC_COMMUNES if which == "demo" else None]
    checked = 0
    with db.connect(path) as con:
        for lang in ("fr", "en"):
            for view in [as_filters(*view) for view in views(path, communes)]:
                results = {r.id: r for r in kpis.compute_all(con, view)}
                expected = {kpi_id: cards.card(results[kpi_id], lang) for kpi_id in headlines.OVERVIEW}
                # The dashboard: each card's value, and its line (basis · coverage · ignored filters) under it.
                metrics, captions = shown_on_the_dashboard(monkeypatch, path, view, lang)
                for card in expected.values():
                    assert metrics[plain(card.label)] == plain(card.text), (which, view, lang, card.kpi_id)
                    assert any(c.startswith(plain(card.note)) for c in captions), (which, view, lang, card.kpi_id)
                # The report's key figures: the same value and the same line.
                report = reports.view_report(con, view, "edition", "x", "t", "", lang)
                table = next(b for b in report.blocks if isinstance(b, document.Table))
                rows = {row[0]: (row[1], row[2]) for row in table.rows}
                for card in expected.values():
                    assert rows[card.label] == (card.text, card.note), (which, view, lang, card.kpi_id)
                # The event mode and the PPTX: the slides' numbers, their qualifier, their line.
                shown = deck.build(con, view, lang=lang)
                page = html.unescape(slideshow.render(shown, 15))
                texts = pptx_texts(pptx.render(shown))
                for index, spec in enumerate(shown.slides):
                    for card in spec.numbers:
                        if not card.label:
                            continue
                        assert card == cards.card(results[card.kpi_id], lang), (which, view, lang, card.kpi_id)
                        for part in (card.qualifier, card.number, card.unit_text, card.note):
                            assert plain(part) in plain(page), (which, view, lang, card.kpi_id, part)
                        assert plain(card.text) in texts[index], (which, view, lang, card.kpi_id)
                        checked += 1
    assert checked > 0


def test_the_report_html_prints_the_key_figures_as_the_model_holds_them(reference_con):
    report = reports.edition_report(reference_con, 1, "en")
    table = next(b for b in report.blocks if isinstance(b, document.Table))
    page = plain(html.unescape(sheet_html.to_html(report)))
    for label, value, note, source in table.rows:
        assert all(plain(text) in page for text in (label, value, note)), label
