"""Accessibility in a real browser (Debian's headless Chromium), one server for the file: axe-core on every page of
dashboard/registry.py, failing on serious or critical violations, its results written to docs/accessibility/audit.json
(the « Accessibilité » page's statement renders from it); the page's language; a keyboard-only walk through a page's
filters, tabs and table, and through the event mode.

Same fixtures and rules as tests/test_browser.py: skips without /usr/bin/chromium, unless QMI_BROWSER_TESTS=required."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from test_browser import FINISHED, browser, open_and_wait, server  # noqa: F401  (fixtures)
from test_browser_presentation import slideshow, visible_title

from dashboard import registry
from qmi_metrics.present import accessibility

SCREEN = {"width": 1400, "height": 1000}
FOCUSED = """() => { const e = document.activeElement;
  return {role: e.getAttribute('role'), label: e.getAttribute('aria-label'), selected: e.getAttribute('aria-selected'),
          testid: e.getAttribute('data-testid'), text: (e.innerText || '').trim(), sidebar: !!e.closest('[data-testid=stSidebar]')}; }"""


@pytest.fixture
def screen(browser):  # noqa: F811
    context = browser.new_context(viewport=SCREEN, locale="fr-FR", reduced_motion="reduce")
    page = context.new_page()
    yield page
    context.close()


def settle(page) -> None:
    """After a keyboard change: its run, and the rerun that writes the URL."""
    for _ in range(2):
        page.wait_for_timeout(500)
        page.wait_for_selector(FINISHED, timeout=60_000)


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_until(page, wanted, limit: int = 80) -> dict:
    """Tab (only) until the focused element is `wanted` (a predicate on `focused`'s dict), from where the focus is
    (the document's start on a page just opened)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
    raise AssertionError(f"not reached with {limit} Tab presses; last focused: {now}")


def test_axe_finds_no_serious_or_critical_violation_on_any_page_and_the_language_is_set(server, screen):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    axe, results, engine = Axe(), {}, None
    for spec in registry.PAGES:
        open_and_wait(screen, f"{server}/{spec.url_path}?edition=1")
        screen.wait_for_timeout(300)  # charts and maps draw after the run
        assert screen.evaluate("document.documentElement.lang") == "fr", spec.name
        response = axe.run(screen).response
        engine = response["testEngine"]["version"]
        results[spec.name] = [{"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": v["nodes"]}
                              for v in response["violations"]]
    record = accessibility.audit_record(dt.datetime.now(dt.UTC).date().isoformat(), engine,
                                        f"Chromium {screen.context.browser.version}",
                                        f"{SCREEN['width']}x{SCREEN['height']}", results)
    if os.environ.get("QMI_RECORD_AUDIT") == "1":  # a new audit for the statement, written before asserting
        accessibility.AUDIT_FILE.parent.mkdir(parents=True, exist_ok=True)
        accessibility.AUDIT_FILE.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    # The statement (the committed audit) must still be true: every rule found now on a page is listed there.
    stated = {(v.rule, page) for v in accessibility.load().violations for page in v.pages}
    unstated = sorted({(v["rule"], page) for v in record["violations"] for page in v["pages"]} - stated)
    assert not unstated, f"found but not in the statement: {unstated}; record it with QMI_RECORD_AUDIT=1"
    serious = {name: [(v["id"], v["impact"], len(v["nodes"])) for v in found
                      if v["impact"] in accessibility.FAILING_IMPACTS] for name, found in results.items()}
    assert not any(serious.values()), serious
    print("axe, moderate and minor:", {v["rule"]: v["pages"] for v in record["violations"]})

    # The reader's language switch sets the page's language too.
    screen.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    screen.wait_for_timeout(500)
    screen.wait_for_selector(FINISHED, timeout=60_000)
    assert screen.evaluate("document.documentElement.lang") == "en"


def test_a_page_s_filters_tabs_and_table_work_with_the_keyboard_only(server, screen):  # noqa: F811
    open_and_wait(screen, f"{server}/evaluation?edition=1")
    # Where a reader's first Tab lands: the page's first focusable element (Streamlit may have moved the focus
    # into the page while it drew, and a walk from there meets every chart's buttons before the sidebar).
    screen.locator('[data-testid="stSkipToContent"]').focus()
    # The sidebar's edition select box: reached by Tab, opened and changed by arrows, chosen by Enter.
    tab_until(screen, lambda e: e["role"] == "combobox" and e["label"] == "Édition")
    screen.keyboard.press("ArrowDown")
    screen.keyboard.press("ArrowDown")
    screen.keyboard.press("Enter")
    settle(screen)
    assert "edition=1" not in screen.url and "edition=" in screen.url, screen.url
    # A tab set: the arrow selects the next tab.
    first = tab_until(screen, lambda e: e["role"] == "tab")
    assert first["selected"] == "true"
    screen.keyboard.press("ArrowRight")
    second = focused(screen)
    assert second["role"] == "tab" and second["selected"] == "true" and second["text"] != first["text"], second
    # Its table: reached by Tab, its cells walked with the arrows.
    tab_until(screen, lambda e: e["testid"] == "data-grid-canvas")
    screen.keyboard.press("ArrowDown")
    screen.wait_for_function("document.activeElement.getAttribute('role') === 'gridcell'", timeout=5_000)
    cell = focused(screen)
    screen.keyboard.press("ArrowRight")
    screen.wait_for_function(f"document.activeElement.dataset.testid !== {cell['testid']!r}", timeout=5_000)
    right = focused(screen)
    assert cell["role"] == right["role"] == "gridcell" and cell["selected"] == right["selected"] == "true"
    assert cell["testid"] != right["testid"] and cell["text"], (cell, right)


def test_the_event_mode_works_with_the_keyboard_only(server, screen):  # noqa: F811
    open_and_wait(screen, f"{server}/?present=1&edition=1&interval=120")  # no advance by itself meanwhile
    frame = slideshow(screen)
    title, second = "Quartiers Métropolitains d'Innovation", "Le programme en chiffres"
    screen.keyboard.press("Home")
    assert visible_title(frame) == title
    screen.keyboard.press("ArrowRight")
    assert visible_title(frame) == second
    screen.keyboard.press(" ")
    assert visible_title(frame) not in (title, second)
    screen.keyboard.press("ArrowLeft")
    assert visible_title(frame) == second
    screen.keyboard.press("Home")
    assert visible_title(frame) == title
    # Tab never lands on the hidden dashboard around the slideshow.
    for _ in range(8):
        screen.keyboard.press("Tab")
        assert not focused(screen)["sidebar"]
