"""Reports: the evaluation sheets (« fiches évaluation »), the commune and edition reports (PDF, HTML) and the
edition's slides (PPTX), on the reference database and on a synthetic one. Their numbers must be the ones
qmi_metrics computes, formatted as the dashboard formats them; their charts the pages' figures as images.

Chart images need Chromium (kaleido): without it the reports say so in words and the image checks skip,
unless QMI_BROWSER_TESTS=required (set by .ci/run). The rasterised page needs pdftoppm (poppler-utils)."""

from __future__ import annotations

import base64
import io
import math
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pypdf
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf.generic import ContentStream

from qmi_metrics import cli
from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import deck, document, pptx, render, reports, sheet_html, sheet_pdf
from qmi_metrics.present import cards, figures, formatting, headlines
from qmi_metrics.reads import projects, queries
from qmi_metrics.store import db, loader, settings

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
REQUIRED = settings.value("QMI_BROWSER_TESTS") == "required"
HAS_BROWSER = render.browser_path() is not None
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TEXT_WIDTH_PT = (210 - 2 * 16) / 25.4 * 72  # an A4 page less its side margins
AULNAY, MEUDON, NOISY, SCEAUX = "93005", "92048", "93051", "92071"


def needs_browser() -> None:
    if not HAS_BROWSER:
        if REQUIRED:
            pytest.fail("QMI_BROWSER_TESTS=required but no Chromium for kaleido (apt-get install chromium)")
        pytest.skip("no Chromium: reports are made without chart images (apt-get install chromium)")


# --- fixtures and helpers ------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def one_image_server():
    """One kaleido browser for the whole module (a start costs about 4 s), closed at the end."""
    yield
    render.shutdown()


@pytest.fixture(scope="module")
def synthetic_db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reports-synthetic") / "synthetic.duckdb"
    loader.build_synthetic(path, scale=1, seed=11)
    return path


@pytest.fixture(scope="module")
def ref(reference_db_path):
    con = db.connect(reference_db_path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def syn(synthetic_db_path):
    con = db.connect(synthetic_db_path)
    yield con
    con.close()


def norm(text: str) -> str:
    """Spaces as a reader sees them: no-break and narrow no-break spaces are spaces, runs of blanks one."""
    return " ".join(str(text).replace("\u202f", " ").replace("\xa0", " ").split())


def pdf_pages(data: bytes) -> list[str]:
    return [norm(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return " ".join(pdf_pages(data))


def drawn_images(data: bytes) -> list[tuple[int, float]]:
    """(page index, width in points) of each image the PDF draws: its pages share one resource dictionary, so an
    image listed in a page's resources is not always drawn there."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    drawn = []
    for number, page in enumerate(reader.pages):
        xobjects = page["/Resources"].get("/XObject", {})
        images = {name for name, item in xobjects.items() if item.get_object()["/Subtype"] == "/Image"}
        ctm, saved = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"q":
                saved.append(ctm)
            elif operator == b"Q":
                ctm = saved.pop()
            elif operator == b"cm":  # the new matrix times the current one
                a, b, c, d, e, f = (float(x) for x in operands)
                ctm = (a * ctm[0] + b * ctm[2], a * ctm[1] + b * ctm[3], c * ctm[0] + d * ctm[2],
                       c * ctm[1] + d * ctm[3], e * ctm[0] + f * ctm[2] + ctm[4], e * ctm[1] + f * ctm[3] + ctm[5])
            elif operator == b"Do" and operands[0] in images:
                drawn.append((number, math.hypot(ctm[0], ctm[1])))  # an image is drawn on the unit square
    return drawn


def value_texts(results) -> list[str]:
    """Every KPI value and published value as the reports print them."""
    texts = [formatting.value(r.value, r.unit) for r in results]
    texts += [formatting.value(r.published_value, r.unit) for r in results if r.published]
    return [norm(t) for t in texts]


def missing_from(text: str, expected) -> list[str]:
    return [item for item in expected if norm(item) not in text]


def laureates(con) -> list[dict]:
    return db.fetch_rows(con, "SELECT DISTINCT insee, name FROM f_laureate_communes(NULL, NULL) ORDER BY name")


def edition_ids(con) -> list[int]:
    return [row["edition_id"] for row in db.fetch_rows(con, "SELECT edition_id FROM editions ORDER BY edition_id")]


# --- shared figures and images ----------------------------------------------------------------------------

def test_figures_draw_the_rows_they_are_given(ref):
    results = {r.id: r for r in kpis.compute_all(ref, Filters(edition=1))}
    stages = reports.funnel_stages(ref, Filters(edition=1), results)
    funnel = figures.funnel(stages, "fr")
    # Edition 1: 360 marks of interest and 168 applications published, 30 projects published (28 listed).
    assert list(funnel.data[0].x) == [360, 168, 30, 7, 18]
    assert funnel.data[0].text[3] == "7 (partiel)"
    frames = reports._map_frames(ref, Filters(edition=1))
    map_figure = figures.laureate_map(frames["communes"], frames["quartiers"], frames["sites"], frames["metropole"])
    labelled = [t for trace in map_figure.data if trace.text is not None for t in trace.text if t]
    assert {"<b>Aulnay-sous-Bois</b><br>7 projets", "<b>Sceaux</b><br>6 projets", "<b>Noisy-le-Grand</b><br>8 projets",
            "<b>Meudon</b><br>7 projets"} <= set(labelled)
    assert map_figure.layout.yaxis.scaleanchor == "x"  # not stretched
    assert not any(getattr(trace, "type", "") in ("scattermapbox", "scattermap", "scattergeo") for trace in map_figure.data)
    timeline = figures.project_timeline(queries.project_events(ref, "purple"), "fr")
    assert list(timeline.data[0].text) == ["juin 2023", "novembre 2024"]
    assert figures.project_timeline(queries.project_events(ref, "soy-pv").iloc[0:0], "fr") is None


def test_figure_png_is_an_image_of_the_size_asked():
    needs_browser()
    import plotly.graph_objects as go

    png = render.figure_png(go.Figure(go.Bar(x=["é", "ç"], y=[1, 2])), width=300, height=200, scale=1)
    assert png.startswith(PNG_MAGIC)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (300, 200)


def test_pdf_text_keeps_french_and_uses_spaces_the_font_has():
    report = document.Report("project", "x", "Fiche é, è, à, ç, œ, « guillemets »", "1\u202f234 habitants · 70\u202f%",
                            "fr", False, [document.Text("Déploiement : non renseigné « a < b » & œ"),
                                          document.Text(" ".join(figures.STATUS_SYMBOLS.values()))])
    data = sheet_pdf.to_pdf(report)
    text = pdf_text(data)
    assert "Fiche é, è, à, ç, œ, « guillemets »" in text
    assert "1 234 habitants · 70 %" in text and "non renseigné « a < b » & œ" in text
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    assert "1\u202f234 habitants · 70\u202f%" in page.extract_text()  # the narrow no-break space itself
    # One font family for every character, the status symbols too: nothing fell back to another font.
    fonts = {font["/BaseFont"].split("+")[-1] for font in page["/Resources"]["/Font"].values()}
    assert fonts == {"DejaVu-Sans", "DejaVu-Sans-Bold"}, fonts
    assert all(symbol in text for symbol in figures.STATUS_SYMBOLS.values())


# --- print layout (the HTML printed by WeasyPrint) ----------------------------------------------------------------

def test_every_page_has_its_header_footer_and_number_and_long_tables_repeat_their_header():
    """A table of 60 rows, each a few lines tall: it runs over pages, each page repeats its header, and a row is
    never split between two pages. Every page has the title, the footer and « page i / n »."""
    rows = [[f"ligne-{i:02d}", f"début-{i:02d} " + "texte de la ligne " * 30 + f"fin-{i:02d}"] for i in range(60)]
    report = document.Report("edition", "x", "Titre du rapport", "Sous-titre", "fr", True,
                            [document.Heading("Tableau", 2), document.Table(["Colonne A", "Colonne B"], rows)],
                            footer="QMI — pied de page")
    pages = pdf_pages(sheet_pdf.to_pdf(report))
    assert len(pages) >= 3
    for number, page in enumerate(pages, 1):
        assert "Titre du rapport — Sous-titre" in page and "QMI — pied de page" in page, number
        assert f"page {number} / {len(pages)}" in page and "DONNÉES SYNTHÉTIQUES" in page, number
        assert "Colonne A Colonne B" in page, number  # the header, on every page the table runs over
    for i in range(60):
        where = [n for n, page in enumerate(pages) if f"début-{i:02d}" in page or f"fin-{i:02d}" in page]
        assert len(where) == 1 and f"début-{i:02d}" in pages[where[0]] and f"fin-{i:02d}" in pages[where[0]], i


def test_pdf_fetches_nothing(tmp_path, monkeypatch):
    """Only inline (data:) images are drawn: an http(s) or file address in the HTML is refused, never requested."""
    import http.server
    import threading

    requests = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
    local = tmp_path / "local.png"
    local.write_bytes(png)
    address = f"http://127.0.0.1:{server.server_port}"
    html = (f'<html><head><link rel="stylesheet" href="{address}/style.css"></head><body><p>texte</p>'
            f'<img src="{address}/image.png"><img src="{local.as_uri()}"><img src="{render.data_uri(png)}"></body></html>')
    monkeypatch.setattr(sheet_html, "to_html", lambda report: html)
    try:
        data = sheet_pdf.to_pdf(document.Report("project", "x", "t", "s", "fr", False))
    finally:
        server.shutdown()
    assert requests == []
    images = [image for page in pypdf.PdfReader(io.BytesIO(data)).pages for image in page.images]
    assert len(images) == 1 and "texte" in pdf_text(data)  # the inline one only


# --- evaluation sheets ------------------------------------------------------------------------------------------

def test_all_28_reference_sheets_in_one_command(reference_db_path, ref, tmp_path, capsys):
    out = tmp_path / "fiches"
    assert cli.main(["report", "project", "--all", "--edition", "1", "--out", str(out), "--db", str(reference_db_path),
                     "--progress"]) == 0
    progress = capsys.readouterr().err
    assert "[1/28]" in progress and "[28/28]" in progress and "worm-generation" in progress
    files = sorted(out.glob("*.pdf"))
    assert [f.stem for f in files] == reports.project_ids(ref, 1) and len(files) == 28
    for file in files:
        project = queries.project(ref, file.stem)
        pages = pdf_pages(file.read_bytes())
        assert 1 <= len(pages) <= 2, file.name  # one or two A4 pages
        text = " ".join(pages)
        assert project["name"] in text and project["commune"] in text and "Fiche évaluation" in text, file.name
        for word in ("Identité du projet", "Protocole expérimental", "Historique des statuts", "Indicateurs suivis",
                     "Critères de répliquabilité", "Enseignements", "Sources"):
            assert word in text, (file.name, word)
        # Nothing is scored in the public documents: every criterion says so.
        assert text.count("non noté") >= 5, file.name
        assert "DONNÉES SYNTHÉTIQUES" not in text


def test_purple_sheet_says_what_the_documents_say(ref):
    """data/: Purple (Aulnay-sous-Bois, quartier Centre-Gare), supported since June 2023, deployed November 2024 on
    the car park of the town hall (approximate place), one indicator followed, no measurement, lessons quoted."""
    text = pdf_text(reports.project_sheet_pdf(ref, "purple"))
    project = queries.project(ref, "purple")
    for expected in ("Purple Alternative Surface", "Aulnay-sous-Bois", "Centre-Gare", "1re édition",
                     "Espaces publics et services urbains", "juin 2023", "novembre 2024",
                     formatting.value(project["deployment_months"], "months"),
                     "Parking du centre administratif d'Aulnay-sous-Bois", "Surface de sol rendue perméable",
                     "aucune mesure publiée", "Son premier démonstrateur francilien",
                     "1 événement non daté", "Convention signée non renseigné"):
        assert norm(expected) in text, expected
    assert text.count("non noté") == 5 + 1  # each of the five criteria, and the sentence under them
    assert "Répliquabilité : non noté (aucune note publiée pour ce projet)." in text


def test_sheet_html_has_the_same_content(ref):
    html = norm(unescape(reports.project_sheet_html(ref, "pelican").decode("utf-8")))
    pdf = pdf_text(reports.project_sheet_pdf(ref, "pelican"))
    for expected in ("Pelican Cycle", "Meudon", "été 2024", "juin 2023", "Agents de la ville utilisant la solution",
                     "Répliquabilité : non noté"):
        assert expected in html and expected in pdf, expected
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert "<script" not in html and "http://" not in html and "https://" not in html  # self-contained


def test_synthetic_sheets_show_values_scores_and_the_synthetic_mark(syn):
    sample = [pid for pid in reports.project_ids(syn) if pid.endswith(("-0001", "-0005"))]
    assert len(sample) == 4  # two per edition
    for project_id in sample:
        data = reports.project_sheet_pdf(syn, project_id)
        pages = pdf_pages(data)
        assert len(pages) <= 2, project_id
        assert all("DONNÉES SYNTHÉTIQUES" in page for page in pages), project_id  # on every page
        text = " ".join(pages)
        indicators = projects.indicators(syn, project_id)
        for row in indicators.itertuples():  # the latest value of each series, with its date
            if row.values_count:
                assert norm(formatting.value(row.last_value, "count")) in text, (project_id, row.label_fr)
        scores = projects.replicability(syn, project_id)
        if scores["score"].notna().all():
            index = scores["score"].mean() / 5
            assert f"Indice de répliquabilité : {formatting.value(index, 'index')}" in text, project_id
        html = reports.project_sheet_html(syn, project_id).decode("utf-8")
        assert "DONNÉES SYNTHÉTIQUES" in html
        if HAS_BROWSER:  # the timeline and the indicator series, as inline PNG
            assert html.count('src="data:image/png;base64,') == 2, project_id


def test_sheet_charts_are_the_pages_figures_as_images(syn):
    needs_browser()
    project_id = reports.project_ids(syn)[0]
    html = reports.project_sheet_html(syn, project_id).decode("utf-8")
    start = html.index('src="data:image/png;base64,') + len('src="data:image/png;base64,')
    png = base64.b64decode(html[start:html.index('"', start)])
    assert png.startswith(PNG_MAGIC)
    images = drawn_images(reports.project_sheet_pdf(syn, project_id))
    assert len(images) == 2
    # Scaled to the text width (A4 less two 16 mm margins), never wider.
    assert max(width for _, width in images) == pytest.approx(TEXT_WIDTH_PT, abs=0.5)
    assert all(width <= TEXT_WIDTH_PT + 0.5 for _, width in images)


# --- commune and edition reports ----------------------------------------------------------------------------------

@pytest.mark.parametrize("database", ["ref", "syn"])
def test_every_commune_report_holds_its_kpis_and_projects(database, request):
    con = request.getfixturevalue(database)
    communes = laureates(con)
    assert communes
    for commune in communes:
        view = Filters(communes=(commune["insee"],))
        data = reports.render_report(reports.commune_report(con, commune["insee"]), "pdf")
        pages = pdf_pages(data)
        text = " ".join(pages)
        assert f"Rapport commune — {commune['name']}" in text
        assert not missing_from(text, value_texts(reports.view_kpis(con, view))), commune["name"]
        assert not missing_from(text, queries.projects(con, view)["name"]), commune["name"]
        assert all(("DONNÉES SYNTHÉTIQUES" in page) == (database == "syn") for page in pages), commune["name"]


def test_commune_report_for_one_edition(ref):
    text = pdf_text(reports.render_report(reports.commune_report(ref, "noisy le grand", 1), "pdf"))
    results = {r.id: r for r in reports.view_kpis(ref, Filters(edition=1, communes=(NOISY,)))}
    assert results["projects_selected_count"].value == 8  # data/projects.csv: 8 projects in Noisy-le-Grand
    assert "Rapport commune — Noisy-le-Grand" in text and "8 projets." in text and "Mont d'Est" in text
    # Its Community meeting: February 2024, 90 people (data/community_events.csv).
    assert "février 2024" in text and "90 personnes" in text


@pytest.mark.parametrize("database", ["ref", "syn"])
def test_every_edition_report_pdf_and_html(database, request):
    con = request.getfixturevalue(database)
    for edition in edition_ids(con):
        view = Filters(edition=edition)
        report = reports.edition_report(con, edition)
        pdf = pdf_text(sheet_pdf.to_pdf(report))
        html = norm(unescape(sheet_html.to_html(report)))
        results = reports.view_kpis(con, view)
        headline = [cards.card(r).text for r in results if r.id in headlines.OVERVIEW]
        expected = value_texts(results) + headline + list(queries.projects(con, view)["name"])
        assert not missing_from(pdf, expected), (database, edition)
        assert not missing_from(html, expected), (database, edition)
        assert ("DONNÉES SYNTHÉTIQUES" in pdf) == (database == "syn")


def test_edition_1_report_headline_numbers(ref):
    """The edition's cards as the Vue d'ensemble shows them, each with its source: 4 communes, 168 applications
    and 30 projects (published: the rows are partial), 70 % deployed and 11 months (published), 280 people."""
    report = reports.edition_report(ref, 1)
    headline = next(b for b in report.blocks if isinstance(b, document.Table))
    rows = {row[0]: (norm(row[1]), row[2], row[3]) for row in headline.rows}
    assert rows["Communes lauréates"][0] == "4" and rows["Communes lauréates"][1].startswith("calculé")
    # 168 (report) against 170 (press release): the documents disagree, marked « écart »
    assert rows["Candidatures de projets"][:2] == ("168", "publié · données partielles · couverture 28/170 · écart")
    assert rows["Projets sélectionnés"][0] == "30"
    assert rows["Taux de déploiement"][0] == "70 %" and "PREMIÈRE ÉDITION" in rows["Taux de déploiement"][2]
    assert rows["Délai moyen de déploiement"][0] == "11 mois"
    # 28 rows of 170, but the published 30 / 168 give it, said so
    assert rows["Taux de sélection"][0] == "17,9 %" and rows["Taux de sélection"][1].startswith(
        "calculé à partir des chiffres publiés : 30 / 168")
    assert rows["Participants aux rencontres de la Communauté"][0] == "280 personnes"
    text = pdf_text(sheet_pdf.to_pdf(report))
    assert "De 360 marques d'intérêt, 168 candidatures, 30 projets sélectionnés, 7 projets déployés" in text


def test_a_report_without_projects_says_so(ref):
    """Edition 2: six laureate communes, no project listed yet (the documents publish 19 for phase 1)."""
    text = pdf_text(sheet_pdf.to_pdf(reports.edition_report(ref, 2)))
    assert text.count("Aucun projet dans cette vue.") >= 2  # the project list and the deployment section
    for name in ("Argenteuil", "Athis-Mons", "Aubervilliers", "Fontenay-sous-Bois", "Issy-les-Moulineaux", "Sucy-en-Brie"):
        assert name in text


def test_project_page_offers_the_sheet_for_download(reference_db_path, monkeypatch):
    from helpers import open_page

    at = open_page(monkeypatch, reference_db_path, "projets", projet="purple")
    assert not at.exception
    assert at.download_button(key="sheet-pdf").label == "Fiche évaluation (PDF)"
    assert at.download_button(key="sheet-html").label == "Fiche évaluation (HTML)"


# --- slides -----------------------------------------------------------------------------------------------------

def slide_texts(slide) -> list[str]:
    """Every text of a slide as a reader sees it: text boxes, shapes and table cells."""
    texts = [norm(shape.text_frame.text) for shape in slide.shapes if shape.has_text_frame]
    for shape in slide.shapes:
        if shape.has_table:
            texts += [norm(cell.text) for row in shape.table.rows for cell in row.cells]
    return texts


@pytest.mark.parametrize("database", ["ref", "syn"])
def test_every_edition_deck(database, request):
    con = request.getfixturevalue(database)
    for edition in edition_ids(con):
        pptx_deck = Presentation(io.BytesIO(pptx.edition_deck(con, edition, url="http://qmi.example.org")))
        slides = list(pptx_deck.slides)
        # One deck: the PPTX has the event mode's slides, in its order, with its titles.
        event = deck.build(con, Filters(edition=edition), base="http://qmi.example.org")
        assert [s.shapes.title.text for s in slides] == [s.title for s in event.slides], (database, edition)
        communes = reports._map_frames(con, Filters(edition=edition))["communes"]
        assert set(communes["commune"]) <= {s.title.split(" (")[0] for s in event.slides if s.kind == "commune"}
        listed = {}  # commune -> the texts of its slides (a long list continues on a second one)
        for spec, slide in zip(event.slides, slides):
            texts = " ".join(slide_texts(slide))
            for card in spec.numbers:  # the card's value, number and unit, and its label
                assert norm(card.text) in texts and card.label in texts, (database, edition, card.kpi_id)
            notes = slide.notes_slide.notes_text_frame.text
            assert all(norm(card.source) in norm(notes) for card in spec.numbers if card.source)
            if spec.kind == "commune":
                listed[spec.title.split(" (")[0]] = listed.get(spec.title.split(" (")[0], "") + " " + texts
        for name, texts in listed.items():
            insee = communes.loc[communes["commune"] == name, "insee"]
            names = queries.projects(con, Filters(edition=edition, communes=tuple(insee)))["name"]
            assert all(norm(project)[:20] in texts for project in names) or "Aucun projet de cette commune" in texts
        last = slides[-1]
        assert f"http://qmi.example.org/?edition={edition}" in " ".join(slide_texts(last))
        assert any(shape.shape_type == MSO_SHAPE_TYPE.PICTURE for shape in last.shapes)  # the QR code
        for slide in slides:
            assert any("DONNÉES SYNTHÉTIQUES" in t for t in slide_texts(slide)) == (database == "syn")
            for shape in slide.shapes:  # nothing drawn off the slide
                assert shape.left >= 0 and shape.top >= 0, (slide.shapes.title.text, shape.name)
                assert shape.left + shape.width <= pptx_deck.slide_width, (slide.shapes.title.text, shape.name)
                assert shape.top + shape.height <= pptx_deck.slide_height, (slide.shapes.title.text, shape.name)


def test_edition_1_deck_numbers_and_shapes(ref):
    pptx_deck = Presentation(io.BytesIO(pptx.edition_deck(ref, 1)))
    slides = list(pptx_deck.slides)
    numbers = [text for slide in slides for text in slide_texts(slide)]
    # The library: 21 indicators shipped, « +60 » published (a lower bound): the card says « plus de 60 ».
    for expected in ("4", "168", "30", "70 %", "11 mois", "280 personnes", "plus de 60"):
        assert expected in numbers, expected  # the number boxes, editable text
    community = " ".join(slide_texts(next(s for s in slides if s.shapes.title.text.startswith("La Communauté"))))
    assert "280 personnes" in community and "de 50 à 90 personnes par rencontre" in community
    event = deck.build(ref, Filters(edition=1))
    for spec, slide in zip(event.slides, slides):  # bars and map markers are shapes, not pictures of them
        if spec.kind in ("funnel", "themes"):
            bars = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
            assert len(bars) == len(spec.bars) > 0, spec.title
        if spec.kind == "map":
            markers = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
            assert len(markers) == len(spec.places) >= 130, spec.title
    assert "http://localhost:8501/?edition=1" in " ".join(slide_texts(slides[-1]))


# --- command line ------------------------------------------------------------------------------------------------

def test_cli_writes_each_kind(reference_db_path, tmp_path, capsys):
    runs = {
        "purple.pdf": ["report", "project", "purple"],
        "purple.html": ["report", "project", "purple"],
        "sceaux.pdf": ["report", "commune", "Sceaux", "--edition", "1"],
        "meudon.html": ["report", "commune", "92048"],
        "edition1.pdf": ["report", "edition", "1"],
        "edition1.pptx": ["report", "edition", "1", "--url", "https://qmi.example.org"],
        "edition2.bin": ["report", "edition", "2", "--format", "pptx"],
    }
    for name, args in runs.items():
        out = tmp_path / name
        assert cli.main([*args, "--out", str(out), "--db", str(reference_db_path)]) == 0, name
        assert out.exists() and out.stat().st_size > 1000, name
    assert (tmp_path / "purple.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "purple.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    deck = Presentation(str(tmp_path / "edition1.pptx"))
    assert "https://qmi.example.org/?edition=1" in " ".join(slide_texts(list(deck.slides)[-1]))
    assert Presentation(str(tmp_path / "edition2.bin")).slides[0].shapes.title.text.startswith("Quartiers")
    assert "file written" in capsys.readouterr().out


@pytest.mark.parametrize("args, listed", [
    (["report", "project", "nope"], "purple"),
    (["report", "commune", "Gotham"], "Aulnay-sous-Bois"),
    (["report", "commune", "Paris"], "Sceaux"),  # a commune of the Métropole, never a laureate
    (["report", "commune", "Sceaux", "--edition", "2"], "Argenteuil"),  # a laureate of edition 1 only
    (["report", "edition", "9"], "1, 2"),
    (["report", "project", "--all", "--edition", "9"], "1, 2"),
])
def test_cli_unknown_values_exit_2_with_the_valid_ones(reference_db_path, tmp_path, capsys, args, listed):
    out = tmp_path / "x.pdf"
    assert cli.main([*args, "--out", str(out), "--db", str(reference_db_path)]) == 2
    assert listed in capsys.readouterr().err
    assert not out.exists()


def test_cli_refuses_pptx_for_a_commune_and_needs_a_project(reference_db_path, tmp_path, capsys):
    with pytest.raises(SystemExit) as refused:  # argparse refuses the choice itself
        cli.main(["report", "commune", "Sceaux", "--format", "pptx", "--out", str(tmp_path / "x.pptx"),
                  "--db", str(reference_db_path)])
    assert refused.value.code == 2
    capsys.readouterr()
    assert cli.main(["report", "commune", "Sceaux", "--out", str(tmp_path / "x.pptx"), "--db",
                     str(reference_db_path)]) == 2
    assert "pptx" in capsys.readouterr().err
    assert cli.main(["report", "project", "--out", str(tmp_path / "y.pdf"), "--db", str(reference_db_path)]) == 2


def test_cli_process_exits_cleanly(reference_db_path, tmp_path):
    """As a user runs it: a separate process, the browser closed before the interpreter exits."""
    import sys

    out = tmp_path / "soy-pv.pdf"
    done = subprocess.run([sys.executable, "-m", "qmi_metrics", "report", "project", "soy-pv", "--out", str(out),
                           "--db", str(reference_db_path)], capture_output=True, text=True, timeout=180,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Soy PV" in pdf_text(out.read_bytes())


# --- looking at the result -----------------------------------------------------------------------------------------

def test_rasterised_sheet_page_stays_inside_its_margins(ref, tmp_path):
    """pdftoppm draws page 1 of an evaluation sheet; the picture is kept in tests/screenshots/ for a human to
    look at, and its margins must stay blank (nothing overflows the page)."""
    if shutil.which("pdftoppm") is None:
        if REQUIRED:
            pytest.fail("QMI_BROWSER_TESTS=required but pdftoppm is missing (apt-get install poppler-utils)")
        pytest.skip("no pdftoppm (apt-get install poppler-utils): the PDF page is not rasterised")
    from PIL import Image

    pdf = tmp_path / "purple.pdf"
    pdf.write_bytes(reports.project_sheet_pdf(ref, "purple"))
    SCREENSHOTS.mkdir(exist_ok=True)
    stem = SCREENSHOTS / "report_fiche_purple"
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True, timeout=60)
    page = Image.open(f"{stem}.png").convert("L")
    assert page.size == (827, 1170)  # A4 at 100 dpi
    dark = [x for x in range(page.width) for y in range(120, 1080, 4) if page.getpixel((x, y)) < 128]
    assert dark, "the page is blank"
    margin = round(16 / 25.4 * 100) - 4  # 16 mm side margins, less a few pixels of antialiasing
    assert min(dark) >= margin and max(dark) <= page.width - margin, (min(dark), max(dark))


def test_rasterised_slide(ref, tmp_path):
    """Optional: LibreOffice draws the deck's key-figures slide (kept in tests/screenshots/)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        pytest.skip("no LibreOffice (soffice) or pdftoppm: the slides are checked by python-pptx only")
    deck = tmp_path / "edition1.pptx"
    deck.write_bytes(pptx.edition_deck(ref, 1))
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(deck)],
                   check=True, timeout=180, capture_output=True)
    SCREENSHOTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "2", "-l", "2", "-singlefile", str(tmp_path / "edition1.pdf"),
                    str(SCREENSHOTS / "report_slide_programme")], check=True, timeout=60)
    text = pdf_text((tmp_path / "edition1.pdf").read_bytes())
    assert "Le programme en chiffres" in text and "168" in text and "30" in text


def test_every_synthetic_sheet_in_one_command(synthetic_db_path, syn, tmp_path, capsys):
    out = tmp_path / "fiches-synthetiques"
    assert cli.main(["report", "project", "--all", "--out", str(out), "--db", str(synthetic_db_path), "--progress"]) == 0
    expected = reports.project_ids(syn)
    assert f"[{len(expected)}/{len(expected)}]" in capsys.readouterr().err
    files = sorted(out.glob("*.pdf"))
    assert sorted(f.stem for f in files) == sorted(expected)
    for file in files:
        text = " ".join(pdf_pages(file.read_bytes()))
        assert queries.project(syn, file.stem)["name"] in text, file.name
        assert "DONNÉES SYNTHÉTIQUES" in text, file.name


def test_the_edition_report_tells_the_findings_in_the_sources_page_s_sentences(ref):
    """The same findings, from one function (present/findings), as the Sources page and the findings slide."""
    from qmi_metrics.present import findings

    report = reports.edition_report(ref, 1)
    headings = [b.text for b in report.blocks if isinstance(b, document.Heading)]
    assert "Ce que disent les documents, et où ils se contredisent" in headings
    told = findings.collect(ref, "fr", 1)
    assert any(isinstance(b, document.Text) and b.text == findings.summary(told, "fr") for b in report.blocks)
    bullets = [item for b in report.blocks if isinstance(b, document.Bullets) for item in b.items]
    for finding in told:
        if finding.group in ("contradiction", "differs"):
            assert any(item.startswith(f"{finding.title} — {finding.sentence}") for item in bullets), finding.key
    text = pdf_text(sheet_pdf.to_pdf(report))
    assert "Les documents se contredisent" in text and "Les données ne confirment pas" in text
    # Commune reports keep to their commune: no programme-wide findings section.
    commune = reports.commune_report(ref, "Meudon", 1)
    assert "Ce que disent les documents, et où ils se contredisent" not in [
        b.text for b in commune.blocks if isinstance(b, document.Heading)]


def test_sheets_and_reports_say_which_rows_are_not_stated(ref):
    """The model, before any PDF: what rests on an inferred or modelled row says so beside it, with its rule."""
    sheet = reports.project_sheet(ref, "purple")
    facts = dict(next(b for b in sheet.blocks if isinstance(b, document.Facts)).rows)
    assert facts["Déploiement"].endswith("juin 2023) · délai inféré")
    assert facts["Statut actuel"] == "déployé"  # « Son premier démonstrateur … en novembre 2024 »: stated
    timeline = next(b for b in sheet.blocks if isinstance(b, document.Table) and "Précision" in b.header)
    bases = {row[0]: row[3] for row in timeline.rows}
    assert bases == {"accompagné": "inféré", "déployé": "énoncé", "sélectionné": "inféré"}
    indicators = next(b for b in sheet.blocks if isinstance(b, document.Table) and "Sens souhaité" in b.header)
    assert [row[-1] for row in indicators.rows] == ["modélisé"]
    notes = [b.text for b in sheet.blocks if isinstance(b, document.Text) and b.style == "note"]
    assert any(n.startswith("Unité et sens souhaité : modélisés par le tableau de bord") for n in notes)
    sources = next(b for b in sheet.blocks if isinstance(b, document.Bullets)).items
    assert any(s.startswith("accompagné (juin 2023)") and s.endswith(
        "— inféré : Jalon du programme (juin 2023, les 4 communes accueillent les 30 solutions) appliqué à chaque projet")
        for s in sources)
    edition = reports.edition_report(ref, 1)
    listing = next(b for b in edition.blocks if isinstance(b, document.Table) and "Statut" in b.header)
    assert listing.header[-1] == "Base" and {row[-1] for row in listing.rows} == {"inféré", "énoncé"}
    everything = " ".join(b.text for b in edition.blocks if isinstance(b, document.Text))
    assert "Base : la plus faible de la ligne, de son statut et de son délai." in everything
    assert "inféré : Défi pris de la thématique sous laquelle le communiqué du 26 octobre 2023 cite le projet" \
        in everything
    # Every KPI's computed value says what it rests on, whatever the card shows (the « 11 mois » are published).
    kpi_rows = {row[0]: row for row in next(b for b in edition.blocks if isinstance(b, document.Table)
                                            and "Calculé" in b.header).rows}
    assert "inféré : Jalon du programme" in kpi_rows["Délai moyen de déploiement"][2]
    assert "inféré" not in kpi_rows["Rencontres de la Communauté"][2]
