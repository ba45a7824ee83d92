"""Event mode in a real browser (Debian's headless Chromium) at projector size, 1920×1080: full screen, headline
numbers at least 5× the body text, advancing by itself and by keyboard, looping; screenshots of every slide
under tests/screenshots/presentation_*.png for a human to look at.

Same fixtures and rules as tests/test_browser.py: skips without /usr/bin/chromium, unless
QMI_BROWSER_TESTS=required."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from test_browser import FINISHED, SCREENSHOTS, browser, open_and_wait, server  # noqa: F401  (fixtures)

FRAME = 'iframe[title="Diaporama QMI"]'
PROJECTOR = {"width": 1920, "height": 1080}


@pytest.fixture
def projector(browser):  # noqa: F811
    # Reduced motion: no fade between slides, so screenshots show the slide, not the transition.
    context = browser.new_context(viewport=PROJECTOR, locale="fr-FR", reduced_motion="reduce")
    page = context.new_page()
    yield page
    context.close()


def slideshow(page):
    """The slideshow's frame (an iframe of the page)."""
    page.wait_for_selector(FRAME, timeout=30_000)
    frame = page.locator(FRAME).element_handle().content_frame()
    frame.wait_for_selector(".slide.active", timeout=10_000)
    return frame


def visible_title(frame) -> str:
    return frame.locator(".slide.active").get_attribute("data-title")


def overflow(frame) -> list[str]:
    """What sticks out of the 16:9 stage or out of its slide's content box, on the visible slide."""
    return frame.evaluate("""() => {
        const stage = document.querySelector('.stage').getBoundingClientRect();
        const slide = document.querySelector('.slide.active');
        const out = [];
        slide.querySelectorAll('*').forEach(e => {
            const r = e.getBoundingClientRect();
            if (r.width && (r.left < stage.left - 1 || r.right > stage.right + 1 || r.top < stage.top - 1 || r.bottom > stage.bottom + 1))
                out.push(e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40));
        });
        const content = slide.querySelector('.content');
        if (content && (content.scrollHeight > content.clientHeight + 1 || content.scrollWidth > content.clientWidth + 1))
            out.push('content of ' + slide.dataset.title);
        if (content && content.style.zoom) out.push('content shrunk to fit: ' + content.style.zoom);
        return out;
    }""")


def test_present_flag_opens_a_full_screen_slideshow(server, projector):  # noqa: F811
    page = projector
    open_and_wait(page, f"{server}/?present=1&interval=3&edition=1")
    assert page.locator('[data-testid="stException"]').count() == 0
    # ?present=1 on the home page switched to /presentation with the same parameters.
    url = urlparse(page.url)
    assert url.path == "/presentation"
    assert parse_qs(url.query)["edition"] == ["1"] and parse_qs(url.query)["interval"] == ["3"]
    # No sidebar, no header: the frame covers the window.
    for chrome in ("stSidebar", "stHeader", "stToolbar", "stExpandSidebarButton"):
        assert not page.locator(f'[data-testid="{chrome}"]').is_visible(), chrome
    box = page.locator(FRAME).bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 1920, 1080)

    frame = slideshow(page)
    # Advances by itself after the interval (3 s).
    first = visible_title(frame)
    page.wait_for_function(
        f"() => document.querySelector('{FRAME}').contentDocument.querySelector('.slide.active').dataset.title !== {first!r}",
        timeout=4_500)
    assert visible_title(frame) != first

    # Keyboard: Home goes back to the title slide, → to the next one.
    page.keyboard.press("Home")
    assert visible_title(frame) == "Quartiers Métropolitains d'Innovation"
    page.keyboard.press("ArrowRight")
    assert visible_title(frame) == "Le programme en chiffres"

    # Headline numbers at least 5× the body text, large enough for the back of the room.
    number = float(frame.locator(".slide.active .num").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    body = float(frame.locator(".stage").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert number >= 5 * body, (number, body)
    assert number >= 140 and body >= 24, (number, body)
    assert frame.locator(".slide.active .num").all_inner_texts() == ["4", "168", "30"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "presentation_kpis.png"))


def test_every_slide_fits_the_projector_and_the_show_loops(server, projector):  # noqa: F811
    page = projector
    open_and_wait(page, f"{server}/presentation?edition=1&interval=600")
    frame = slideshow(page)
    count = frame.locator(".slide").count()
    titles = []
    for index in range(count):
        frame.locator(".slide.active").wait_for()
        titles.append(visible_title(frame))
        assert overflow(frame) == [], (index, titles[-1])
        page.screenshot(path=str(SCREENSHOTS / f"presentation_{index:02d}.png"))
        frame.locator("#next").click()  # the on-screen button
    assert titles[0] == "Quartiers Métropolitains d'Innovation" and titles[-1] == "Le tableau de bord sur votre téléphone"
    assert [t for t in titles if t in ("Aulnay-sous-Bois", "Meudon", "Noisy-le-Grand", "Sceaux")] == [
        "Aulnay-sous-Bois", "Meudon", "Noisy-le-Grand", "Sceaux"]
    assert visible_title(frame) == titles[0]  # looped after the last slide
    frame.locator("#previous").click()
    assert visible_title(frame) == titles[-1]
    assert frame.locator(".slide.active svg.segno").is_visible()  # the QR code


def test_a_commune_filter_and_leaving_back_to_the_dashboard(server, projector):  # noqa: F811
    page = projector
    open_and_wait(page, f"{server}/presentation?edition=1&commune=Sceaux&interval=600")
    frame = slideshow(page)
    titles = frame.locator(".slide").evaluate_all("slides => slides.map(s => s.dataset.title)")
    assert "Sceaux" in titles and "Meudon" not in titles
    # The QR code's link: the address the browser uses (st.context.url), the page's segment removed.
    assert frame.locator(".link").inner_text() == f"{server}/?edition=1&commune=Sceaux"
    frame.locator("#leave").click()
    page.wait_for_url("**/?edition=1&commune=Sceaux", timeout=30_000)
    page.wait_for_selector(FINISHED, timeout=60_000)
    assert page.locator('[data-testid="stSidebar"]').is_visible()


def test_back_to_another_page_gives_the_dashboard_its_sidebar_and_keys(server, projector):  # noqa: F811
    page = projector
    open_and_wait(page, f"{server}/sources?edition=1")
    page.locator('.st-key-navigation').get_by_text("Mode présentation").click()
    slideshow(page)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    for _ in range(3):  # the filters written into the URL may have added a history entry
        page.go_back()
        page.wait_for_timeout(1500)
        if "/presentation" not in page.url:
            break
    page.wait_for_selector(FINISHED, timeout=60_000)
    assert urlparse(page.url).path == "/sources"
    assert page.locator('[data-testid="stSidebar"]').is_visible()
    assert page.locator(FRAME).count() == 0
    # The slideshow's key listener is gone: arrows and space scroll the page again.
    prevented = page.evaluate("""() => ['ArrowRight', ' '].map(key => {
        const event = new KeyboardEvent('keydown', {key: key, cancelable: true, bubbles: true});
        document.dispatchEvent(event);
        return event.defaultPrevented; })""")
    assert prevented == [False, False]
