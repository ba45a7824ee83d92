"""Markup in the data stays text: a database whose every free-text column of every importable table holds
Markdown, HTML and Streamlit directives, opened on every page, the event mode and the HTML reports in
Chromium. Nothing may be created from it (no link, image, bold text) and nothing requested from the
addresses it names (127.0.0.2:9 is never contacted), while the text itself reads literally."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from helpers import serving
from test_browser import CHROMIUM, LAUNCH_ARGS, SCREENSHOTS, open_and_wait

from qmi_metrics.admin import catalogue
from qmi_metrics.outputs import reports
from qmi_metrics.store import db, loader

playwright = pytest.importorskip("playwright.sync_api")

EVIL = "127.0.0.2"
PAYLOAD = (f"**gras** [lien](http://{EVIL}:9/x) ![i](http://{EVIL}:9/i.png) <b>b</b> "
           f'<a href="http://{EVIL}:9/a">a</a> <img src="http://{EVIL}:9/img.png"> :red[rouge] :material/home: $x^2$')
BOLD_WORDS = ("gras", "b")
WORD_JOINER = "\u2060"  # escape.WORD_JOINER, invisible (not imported: the test must run on code without it)
PROJECT = "source-urbaine"

# Free text of the importable tables: what the payload goes into. Every other VARCHAR column is a key,
# a code or a value from a fixed list (kept valid); a new text column must be sorted into one of the two.
FREE_TEXT = {
    "projects": ("name", "operator", "subtype_fr", "description_fr", "lessons_fr", "source_section", "lessons_section",
                 "basis_rule"),
    "project_events": ("source_section", "source_quote", "basis_rule"),
    "candidatures": ("applicant", "source_section", "basis_rule"),
    "indicator_values": ("basis_rule",),
    "indicator_protocols": ("direction_reason", "author", "source_section", "source_quote", "basis_rule"),
    "replicability_scores": ("basis_rule",),
    "community_events": ("format_fr", "format_en", "source_section", "source_quote", "basis_rule"),
    "communes": ("name", "departement", "ept_name", "basis_rule"),
    "editions": ("label_fr", "label_en", "source_section", "source_quote", "basis_rule"),
}
CODES = {"project_id", "event_id", "candidature_id", "call_id", "indicator_id", "criterion_id", "insee", "source_id",
         "family_slug", "type_slug", "theme_slug", "kind", "status", "date_precision", "ept_siren", "siren",
         "postcodes", "theme_source_id", "basis", "direction"}

# (path, query before the edition): every page of app.py, a project's detail view and the event mode.
PAGES = [(path, "") for path in ("", "carte", "projets", "thematiques", "deploiement", "evaluation", "communaute",
                                 "editions", "sources", "administration")]
PAGES += [("projets", f"projet={PROJECT}&"), ("", "present=1&")]

FIND_CREATED = """(bold) => {
    const found = [];
    const fetching = ['href', 'xlink:href', 'src', 'srcset', 'poster', 'action', 'formaction', 'data', 'style'];
    for (const el of document.querySelectorAll('*')) {
        for (const attr of el.attributes) {
            if (fetching.includes(attr.name) && attr.value.includes('127.0.0.2')) found.push(el.outerHTML.slice(0, 200));
        }
        if ((el.tagName === 'B' || el.tagName === 'STRONG') && bold.includes(el.textContent.trim()))
            found.push('bold: ' + el.outerHTML.slice(0, 200));
    }
    for (const el of document.querySelectorAll('.main-svg a')) found.push('plotly link: ' + el.outerHTML.slice(0, 200));
    for (const el of document.querySelectorAll('.katex')) found.push('maths: ' + el.outerHTML.slice(0, 200));
    return found;
}"""


def test_every_text_column_is_sorted():
    for table in catalogue.IMPORTABLE_TABLES:
        text_columns = {c.name for c in catalogue.table_schema(table).columns if c.sql_type == "VARCHAR"}
        assert text_columns == set(FREE_TEXT[table]) | (text_columns & CODES), (table, text_columns)
        assert not set(FREE_TEXT[table]) & CODES


@pytest.fixture(scope="module")
def markup_db(tmp_path_factory) -> Path:
    """The reference database built from a copy of data/ whose free-text columns all hold the payload (each
    value made unique by its row's key: names are keys of plotly categories and of the commune filter).
    Built by the loader, so every roll-up is computed from the edited rows. (DuckDB cannot UPDATE a row
    other tables reference.)"""
    folder = tmp_path_factory.mktemp("markup")
    data = folder / "data"
    shutil.copytree(loader.DATA_DIR, data, ignore=shutil.ignore_patterns("cache"))
    for table, columns in FREE_TEXT.items():
        key = catalogue.table_schema(table).primary_key
        for path in loader.table_files(data, table):
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                fields, rows = reader.fieldnames, list(reader)
            for row in rows:
                for column in columns:
                    row[column] = f"{PAYLOAD} {'·'.join(row[k] for k in key)}"
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=fields)
                writer.writeheader()
                writer.writerows(rows)
    path = folder / "markup.duckdb"
    loader.build(path, data_dir=data)
    return path


@pytest.fixture(scope="module")
def server(markup_db):
    with serving(markup_db) as url:
        yield url


@pytest.fixture(scope="module")
def context():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="fr-FR")
        requests: list[str] = []
        context.on("request", lambda request: requests.append(request.url))
        yield context, requests
        browser.close()


def created(page) -> list[str]:
    """Elements made from the payload, in the page and in each of its frames (the slideshow's iframe)."""
    found = []
    for frame in page.frames:
        try:
            found += [f"{frame.url[:60]}: {item}" for item in frame.evaluate(FIND_CREATED, list(BOLD_WORDS))]
        except playwright.Error:  # a frame detached meanwhile
            pass
    return found


# Asked for by the app itself whatever the data (and failing offline): the page icon (:material/location_city:,
# app.py) from Google's icon font, and deck.gl's default basemap style.
APP_REQUESTS = ("https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/location_city/",
                "https://basemaps.cartocdn.com/gl/positron-gl-style/style.json")


def foreign(requests: list[str], own: str) -> list[str]:
    return [url for url in requests if not url.startswith((own + "/", "data:", "blob:", "about:", *APP_REQUESTS))]


def test_markup_in_the_data_stays_text(server, context, markup_db):
    context, requests = context
    page = context.new_page()
    problems, seen = {}, {}
    for path, query in PAGES:
        requests.clear()
        open_and_wait(page, f"{server}/{path}?{query}edition=1")
        if page.locator('[data-testid="stPlotlyChart"]').count():
            page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=30_000)
        if path == "carte":
            page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=30_000)
        if "present" in query:
            page.wait_for_selector("iframe", timeout=30_000)
            page.wait_for_timeout(1500)
        page.wait_for_timeout(800)  # lazy images and links would be requested by now
        found = created(page) + [f"request: {url}" for url in foreign(requests, server)]
        if page.locator('[data-testid="stException"]').count():
            found.append("exception: " + page.locator('[data-testid="stException"]').first.inner_text()[:300])
        if found:
            problems[f"/{path}?{query}"] = found
        if "projet=" in query:
            seen["project"] = page.locator('[data-testid="stMain"]').inner_text()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "markup_projet.png"))
    # The HTML reports, opened as files would be.
    con = db.connect(markup_db)
    try:
        insee = con.execute("SELECT insee FROM f_laureate_communes(1, NULL) ORDER BY insee LIMIT 1").fetchone()[0]
        documents = {"fiche projet": reports.project_sheet_html(con, PROJECT, "fr"),
                     "commune": reports.render_report(reports.commune_report(con, insee, 1, "fr"), "html"),
                     "édition": reports.render_report(reports.edition_report(con, 1, "fr"), "html")}
    finally:
        con.close()
    for name, document in documents.items():
        requests.clear()
        page.set_content(document.decode("utf-8") if isinstance(document, bytes) else document)
        page.wait_for_timeout(500)
        found = created(page) + [f"request: {url}" for url in foreign(requests, server)]
        if found:
            problems[name] = found
        if name == "fiche projet":
            seen["sheet"] = page.inner_text("body")
    if problems:
        pytest.fail("markup of the data became elements or requests:\n" + "\n".join(
            f"{where}: {item}" for where, items in problems.items() for item in items))
    assert not [url for url in requests if EVIL in url]
    # The pages really showed the data: the payload reads as typed (the Markdown escaping's word joiners
    # are invisible).
    assert PAYLOAD in " ".join(seen["project"].replace(WORD_JOINER, "").split()), seen["project"][:2000]
    assert PAYLOAD in " ".join(seen["sheet"].split())
