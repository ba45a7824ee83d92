"""The static showcase in Debian's headless Chromium, opened from disk (file://) with every other request aborted:
each kind of page at a phone's 390 px and at 1920×1080, nothing wider than the phone's screen, no request leaves
the folder, and axe-core finds no serious or critical violation. Screenshots in /tmp/site-shots/ for a person to
look at. Skips without /usr/bin/chromium, unless QMI_BROWSER_TESTS=required (tests/test_browser.py's rule)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import browser  # noqa: F401  (fixture; skips the module without Chromium)

from qmi_metrics.outputs import site

SHOTS = Path("/tmp/site-shots")
PHONE, SCREEN = {"width": 390, "height": 844}, {"width": 1920, "height": 1080}
# One page of each kind, in both languages (Meudon, 92048, is a laureate of edition 1; purple is one of its projects).
KINDS = ["index.html", "edition-1/index.html", "edition-1/92048.html", "edition-2/index.html", "projets/index.html",
         "projets/purple.html", "ecarts.html", "sources.html"]
PATHS = [f"{lang}/{kind}" for lang in site.LANGS for kind in KINDS]
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def showcase(reference_db_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("showcase") / "site"
    site.build(reference_db_path, out, "https://qmi.example.org/")
    return out.resolve()  # the link resolved: file:// URLs of the real folder


@pytest.fixture(scope="module")
def demo_showcase(demo_db_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("showcase-demo") / "site"
    site.build(demo_db_path, out)
    return out.resolve()


def offline_page(browser, viewport, blocked: list):  # noqa: F811
    context = browser.new_context(viewport=viewport, locale="fr-FR", java_script_enabled=True)
    page = context.new_page()

    def route(request):
        if request.request.url.startswith("file://"):
            request.continue_()
        else:
            blocked.append(request.request.url)
            request.abort()
    page.route("**/*", route)
    return context, page


def open_offline(page, root: Path, path: str) -> None:
    response = page.goto((root / path).as_uri())
    assert response is None or response.ok, path
    page.wait_for_load_state("load")


@pytest.mark.parametrize("viewport", [PHONE, SCREEN], ids=["390px", "1920x1080"])
def test_every_kind_of_page_loads_offline_and_fits_the_screen(browser, showcase, viewport):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    blocked: list = []
    context, page = offline_page(browser, viewport, blocked)
    try:
        for path in ["index.html", *PATHS]:
            open_offline(page, showcase, path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], (path, width)
            assert page.evaluate("getComputedStyle(document.body).fontFamily"), path  # the stylesheet applied
            assert page.evaluate("getComputedStyle(document.querySelector('body')).margin") == "0px", path
            name = path.replace("/", "_").replace(".html", "")
            page.screenshot(path=str(SHOTS / f"{name}-{viewport['width']}.png"), full_page=viewport is PHONE)
        assert blocked == []  # no page asked for anything outside the folder
    finally:
        context.close()


def test_a_synthetic_page_offline(browser, demo_showcase):  # noqa: F811
    blocked: list = []
    context, page = offline_page(browser, PHONE, blocked)
    try:
        open_offline(page, demo_showcase, "fr/edition-1/index.html")
        assert page.locator(".synthetic").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(SHOTS / "demo_fr_edition-1-390.png"))
        assert blocked == []
    finally:
        context.close()


def test_axe_finds_no_serious_or_critical_violation_and_the_language_is_set(browser, showcase):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    axe, minor = Axe(), {}
    blocked: list = []
    context, page = offline_page(browser, SCREEN, blocked)
    try:
        for path in ["index.html", *PATHS]:
            open_offline(page, showcase, path)
            assert page.evaluate("document.documentElement.lang") == (path[:2] if path != "index.html" else "fr")
            violations = axe.run(page).response["violations"]
            serious = [(v["id"], v["impact"], len(v["nodes"])) for v in violations if v["impact"] in SERIOUS]
            assert not serious, (path, serious)
            for v in violations:
                minor.setdefault(v["id"], set()).add(path)
    finally:
        context.close()
    print("axe, minor and moderate:", {rule: sorted(paths) for rule, paths in minor.items()})
