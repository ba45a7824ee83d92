"""The app as a person sees it: every page in headless Chromium (Debian's package), screenshots kept
under tests/screenshots/ (git-ignored) for a human to look at.

Skips where /usr/bin/chromium is absent, unless QMI_BROWSER_TESTS=required (set by .ci/run)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from helpers import serving

from dashboard import registry
from qmi_metrics.store import settings

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "tests" / "screenshots"
FINISHED = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]

# path, French title, a chart is drawn, the map is drawn
PAGES = [
    ("", "Quartiers Métropolitains d'Innovation", True, False),
    ("carte", "Carte des quartiers", False, True),
    ("projets", "Projets", False, False),
    ("thematiques", "Thématiques", True, False),
    ("deploiement", "Déploiement", True, False),
    ("evaluation", "Évaluation", True, False),
    ("communaute", "Communauté", True, False),
    ("editions", "Éditions", False, False),
    ("sources", "Sources et écarts", False, False),
    ("accessibilite", "Déclaration d'accessibilité", False, False),
    ("a_mettre_a_jour", "À mettre à jour", False, False),
    ("administration", "Administration", False, False),
]

if not CHROMIUM.exists():
    if settings.value("QMI_BROWSER_TESTS") == "required":
        raise RuntimeError("QMI_BROWSER_TESTS=required but /usr/bin/chromium is missing (apt-get install chromium)")
    pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium): browser tests skipped",
                allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(reference_db_path):
    with serving(reference_db_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def open_and_wait(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(FINISHED, timeout=60_000)
    page.wait_for_timeout(500)  # a rerun (URL written back) may follow the first run
    page.wait_for_selector(FINISHED, timeout=60_000)


def test_the_browser_pages_are_the_registry_s():
    """Every page of the registry (but the slideshow, tested on its own) is opened above."""
    assert [path for path, *_ in PAGES] == [spec.url_path for spec in registry.PAGES if spec.name != "presentation"]


@pytest.mark.parametrize("path, title, has_chart, has_map", PAGES, ids=[p[0] or "accueil" for p in PAGES])
def test_every_page_renders(server, page, path, title, has_chart, has_map):
    open_and_wait(page, f"{server}/{path}?edition=1")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("heading", name=title).first.is_visible()
    # The navigation is the app's own (French titles), drawn by app.py.
    menu_entry = page.locator('.st-key-navigation').get_by_text("Sources et écarts")
    menu_entry.first.wait_for(timeout=30_000)  # the menu may be redrawn by the rerun that writes the URL back
    assert menu_entry.count() == 1
    if has_chart:
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=30_000)
    if has_map:
        page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{path or 'accueil'}.png"))


def test_overview_cards_show_the_computed_values(server, page):
    open_and_wait(page, f"{server}/?edition=1")
    page.wait_for_selector('[data-testid="stMetric"] >> nth=7', timeout=30_000)
    cards = page.locator('[data-testid="stMetric"]')
    texts = [" ".join(cards.nth(i).inner_text().split()) for i in range(cards.count())]
    assert "Communes lauréates 4" in texts, texts
    assert any(t.startswith("Taux de déploiement") and t.endswith("70 %") for t in texts), texts


def test_a_shared_link_reopens_the_same_view(server, page):
    open_and_wait(page, f"{server}/sources?edition=2&commune=Meudon&commune=Sceaux&theme=economie-circulaire")
    query = parse_qs(urlparse(page.url).query)
    assert query["edition"] == ["2"]
    assert query["commune"] == ["Meudon", "Sceaux"]
    assert query["theme"] == ["economie-circulaire"]
    sidebar = page.locator('[data-testid="stSidebar"]')
    edition_box = sidebar.locator('[data-testid="stSelectbox"]').first
    assert "2e édition" in edition_box.inner_text() or edition_box.locator("input").input_value() == "2e édition"
    chosen = sidebar.locator('[data-testid="stMultiSelect"]').first.inner_text()
    assert "Meudon" in chosen and "Sceaux" in chosen
    # The filters travel with the navigation to another page.
    page.locator('.st-key-navigation').get_by_text("Vue d'ensemble").click()
    page.wait_for_selector(FINISHED, timeout=60_000)
    page.wait_for_timeout(500)
    query = parse_qs(urlparse(page.url).query)
    assert query["edition"] == ["2"] and query["commune"] == ["Meudon", "Sceaux"]


def test_an_unknown_commune_in_the_url_gives_a_notice(server, page):
    open_and_wait(page, f"{server}/?edition=1&commune=Gotham&commune=Meudon")
    assert page.get_by_text("Commune inconnue ignorée : « Gotham »").is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert parse_qs(urlparse(page.url).query)["commune"] == ["Meudon"]


def test_english_switch_changes_the_labels(server, page):
    open_and_wait(page, f"{server}/?edition=1&lang=en")
    assert page.get_by_role("heading", name="Metropolitan Innovation Districts").is_visible()
    page.wait_for_selector('[data-testid="stMetric"] >> nth=7', timeout=30_000)
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    assert "Laureate communes" in [" ".join(label.split()) for label in labels], labels
    assert page.locator('[data-testid="stSidebar"]').get_by_text("Communes").count() >= 1
    # The navigation follows the language too (dashboard/registry.py's English titles and sections).
    navigation = page.locator('.st-key-navigation')
    for title in ("Overview", "District map", "Sources and discrepancies", "Method"):
        assert navigation.get_by_text(title, exact=True).count() == 1, title
    assert navigation.get_by_text("Vue d'ensemble").count() == 0


def test_switching_language_keeps_the_filters(server, page):
    open_and_wait(page, f"{server}/sources?edition=2&commune=Sceaux")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("English", exact=True).click()
    page.wait_for_timeout(500)
    page.wait_for_selector(FINISHED, timeout=60_000)
    edition_box = sidebar.locator('[data-testid="stSelectbox"]').first
    assert "2nd edition" in edition_box.locator("input").input_value()
    assert "edition=2" in page.url and "lang=en" in page.url
    sidebar.get_by_text("Français", exact=True).click()
    page.wait_for_timeout(500)
    page.wait_for_selector(FINISHED, timeout=60_000)
    assert "2e édition" in edition_box.locator("input").input_value()  # it was reset to "Toutes les éditions" before
    assert "edition=2" in page.url and "commune=" in page.url, page.url


def test_sources_opens_on_the_grouped_findings_and_each_link_lands_on_its_page(server, page):
    """An official preparing a speech: the page opens on the four groups of findings in French, without
    horizontal scrolling at 1400 px; a card marked « écart » opens its finding; each finding's link lands
    on its page."""
    open_and_wait(page, f"{server}/sources?edition=1")
    headings = [" ".join(h.split()) for h in page.locator("h2").all_inner_texts()]
    groups = ["Les documents se contredisent", "Les données ne confirment pas", "Confirmé par les données",
              "Non vérifiable avec les données publiques"]
    found = [next((i for i, h in enumerate(headings) if h.startswith(g)), None) for g in groups]
    assert None not in found and found == sorted(found), headings
    # The findings come before the managers' tables.
    assert found[-1] < next(i for i, h in enumerate(headings) if h.startswith("Pour les gestionnaires"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sources_findings.png"), full_page=False)
    # Each distinct link of the findings lands on its page, with the view kept.
    links = page.locator('[data-testid="stPageLink"] a')
    targets = {}
    for i in range(links.count()):
        text = " ".join(links.nth(i).inner_text().split())
        if "Voir sur la page « " in text:  # after the icon's ligature
            targets.setdefault(text[text.index("Voir sur la page"):], i)
    assert len(targets) >= 2, targets
    titles = {spec.title("fr"): spec.url_path for spec in registry.PAGES}
    for text, index in targets.items():
        open_and_wait(page, f"{server}/sources?edition=1")
        link = page.locator('[data-testid="stPageLink"] a').nth(index)
        link.scroll_into_view_if_needed()
        link.click()
        page.wait_for_timeout(500)
        page.wait_for_selector(FINISHED, timeout=60_000)
        title = text.removeprefix("Voir sur la page « ").removesuffix(" »")
        assert urlparse(page.url).path.strip("/") == titles[title], (text, page.url)
        assert page.locator('[data-testid="stException"]').count() == 0


def test_a_disputed_card_opens_its_finding(server, page):
    """The participants card: 280 counted and « plus de 290 » published; its « écart » link opens the finding."""
    open_and_wait(page, f"{server}/communaute?edition=1")
    gap = page.get_by_text("Écart : les données donnent 280 personnes")
    assert gap.is_visible() and "plus de 290 personnes" in " ".join(gap.inner_text().split())
    link = page.locator('[data-testid="stPageLink"] a', has_text="Voir l'écart expliqué").first
    link.click()
    page.wait_for_timeout(500)
    page.wait_for_selector(FINISHED, timeout=60_000)
    assert urlparse(page.url).path.strip("/") == "sources"
    arrived = page.get_by_text("L'écart signalé sur la carte")
    assert arrived.is_visible()
    assert page.get_by_text("Participants aux rencontres de la Communauté").first.is_visible()
