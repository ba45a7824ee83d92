"""Very long texts (issue 10, point 10): names of 1 000 characters, some one unbroken word, descriptions and quotes
of 5 000. The PDFs still lay out (words cut, over-tall table cells cut with « … »), the slides' text boxes hold what
they are given (cut to fit), and the HTML slideshow at 1920×1080 keeps everything inside the screen."""

from __future__ import annotations

import io
import math
import shutil
from pathlib import Path

import pypdf
import pytest
from helpers import edited_in_place
from pptx import Presentation

from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import deck, pptx, render, reports, sheet_pdf, slideshow
from qmi_metrics.store import db, rollups, settings

NAME, DESCRIPTION = 1000, 5000
UNBROKEN = "purple"  # this project's name is one 1 000-character word


def long_text(length: int, word: int) -> str:
    """A text of `length` characters that holds one unbroken word of `word` characters."""
    return ("Début " + "W" * word + " " + "mot très long " * length)[:length]


@pytest.fixture(scope="module")
def long_db(reference_db_path, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("long") / "qmi.duckdb"
    shutil.copy(reference_db_path, path)
    con = db.connect(path, read_only=False)
    name = long_text(NAME - 20, 300)
    con.execute("UPDATE projects SET name = ? || ' ' || project_id, operator = ?, subtype_fr = ?, description_fr = ?,"
                " lessons_fr = ?", [name, long_text(NAME, 300), long_text(NAME, 300), long_text(DESCRIPTION, 400),
                                    long_text(DESCRIPTION, 400)])
    con.execute("UPDATE projects SET name = ?, operator = ? WHERE project_id = ?", ["N" * NAME, "O" * DESCRIPTION, UNBROKEN])
    con.execute("UPDATE project_events SET source_quote = ?", [long_text(DESCRIPTION, 400)])
    con.execute("UPDATE sites SET name = ?", [long_text(NAME, 300)])
    edited_in_place(con, "long")
    rollups.refresh(con)
    con.close()
    return path


@pytest.fixture
def con(long_db, monkeypatch):
    def no_image(*args, **kwargs):  # charts are not what is tested here; their text is
        raise render.RenderUnavailable("test")

    monkeypatch.setattr(render, "figure_png", no_image)
    connection = db.connect(long_db)
    yield connection
    connection.close()


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    return "".join(page.extract_text() for page in reader.pages)


def test_pdfs_lay_out_long_names_and_descriptions(con):
    insee = con.execute("SELECT insee FROM projects WHERE project_id = ?", [UNBROKEN]).fetchone()[0]
    sheet = pdf_text(sheet_pdf.to_pdf(reports.project_sheet(con, UNBROKEN)))
    commune = pdf_text(sheet_pdf.to_pdf(reports.commune_report(con, insee)))
    edition = pdf_text(sheet_pdf.to_pdf(reports.edition_report(con, 1)))
    for text in (sheet, commune, edition):
        assert "NNNNNNNNNN" in text and "WWWWWWWWWW" in text  # the long names are there, cut into lines
    assert "…" in sheet  # the 5 000-character porteur was cut to fit a page
    assert 100 < sheet.count("O") < DESCRIPTION // 2  # of its 5 000 « O », the beginning is printed


def test_slides_cut_long_texts_to_their_boxes(con):
    pptx_deck = Presentation(io.BytesIO(pptx.edition_deck(con, 1)))
    communes = 0
    for slide in pptx_deck.slides:
        for shape in slide.shapes:
            if not shape.has_text_frame or not shape.text_frame.text:
                continue
            frame = shape.text_frame
            title = shape == slide.shapes.title
            size = max(run.font.size.pt for p in frame.paragraphs for run in p.runs if run.font.size)
            # What a box holds: 0.5 em a character, 1.2 em a line; a last line partly below a text box is allowed,
            # not below a title (the slide's content starts there).
            width = (shape.width - frame.margin_left - frame.margin_right) / 12700
            height = (shape.height - frame.margin_top - frame.margin_bottom) / 12700 / (1.2 * size)
            per_line, room = max(4, int(width / (0.5 * size))), max(1, int(height) if title else math.ceil(height - 0.05))
            lines = sum(max(1, math.ceil(len(p.text) / per_line)) for p in frame.paragraphs)
            assert lines <= room, (shape.name, lines, room, frame.text[:80])
            assert title or frame.word_wrap
            if not title and frame.text.endswith(("projet", "projets")):
                communes += 1  # a commune's count of projects, whole: the count is not what was cut
    assert communes >= 4


def test_slideshow_keeps_long_texts_inside_the_screen(con):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if settings.value("QMI_BROWSER_TESTS") == "required":
            pytest.fail("QMI_BROWSER_TESTS=required but no /usr/bin/chromium")
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    html = slideshow.render(deck.build(con, Filters(edition=1)), 3600)
    outside = """() => {
        const stage = document.querySelector('.stage').getBoundingClientRect();
        const slide = document.querySelector('.slide.active');
        const out = [];
        slide.querySelectorAll('*').forEach(e => {
            const r = e.getBoundingClientRect();
            if (r.width && (r.left < stage.left - 1 || r.right > stage.right + 1 || r.right > innerWidth + 1))
                out.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right));
        });
        return [slide.dataset.kind, out.slice(0, 5)];
    }"""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.set_content(html)
        kinds = []
        for _ in range(page.evaluate("document.querySelectorAll('.slide').length")):
            kind, out = page.evaluate(outside)
            assert not out, (kind, out)
            kinds.append(kind)
            page.keyboard.press("ArrowRight")
        browser.close()
    assert kinds.count("commune") >= 4
