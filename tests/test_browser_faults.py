"""Faults in a real browser (Debian's headless Chromium): a server started on a broken database file shows the
unavailable page and serves the data once a good file is published at the path; every page leaves the file
untouched; hostile URL parameters inject nothing; imports published while five sessions browse.

Same rules as tests/test_browser.py: skips without /usr/bin/chromium, unless QMI_BROWSER_TESTS=required."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import free_port
from test_browser import CHROMIUM, FINISHED, LAUNCH_ARGS, REPO, browser, open_and_wait  # noqa: F401

from dashboard import registry
from qmi_metrics.admin import publishing, readers
from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import cards as kpi_cards
from qmi_metrics.present import headlines
from qmi_metrics.store import db

UNAVAILABLE = "Tableau de bord indisponible"
EXCEPTION = '[data-testid="stException"]'
EVERY_PAGE = [spec.url_path for spec in registry.PAGES]


@contextmanager
def serving(db_path: Path, log: Path, **env):
    """A Streamlit server of the app on `db_path`; its stderr goes to `log`."""
    port = free_port()
    with open(log, "wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=REPO, env={**os.environ, "QMI_DB": str(db_path), **env}, stdout=subprocess.DEVNULL, stderr=errors)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                    break
                except OSError:
                    if time.time() > deadline:
                        pytest.fail("the Streamlit server did not answer /_stcore/health within 60 s")
                    time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def publish(good: Path, live: Path) -> None:
    partial = live.with_name(live.name + ".publishing")
    shutil.copyfile(good, partial)
    os.replace(partial, live)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cards(page) -> list[str]:
    """Each KPI card with its caption, spaces normalised."""
    page.wait_for_selector('[data-testid="stMetric"] >> nth=7', timeout=30_000)
    columns = page.locator('[data-testid="stColumn"]:has([data-testid="stMetric"])').all_inner_texts()
    return [normalise(text) for text in columns]


def normalise(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


# --- a broken file, then a good one ------------------------------------------------------------------


def test_a_server_started_on_a_broken_file_recovers_when_a_good_one_is_published(page, reference_db_path, tmp_path):
    live = tmp_path / "db" / "qmi.duckdb"
    live.parent.mkdir()
    live.write_bytes(os.urandom(200_000))
    log = tmp_path / "server.log"
    with serving(live, log) as url:
        for path in ("projets?edition=1", "", "sources"):
            open_and_wait(page, f"{url}/{path}")
            assert page.get_by_role("heading", name=UNAVAILABLE).is_visible(), path
            assert page.get_by_text("le fichier n'est pas une base DuckDB").is_visible()
            assert page.get_by_text(str(live)).first.is_visible()  # which file, for the administrator
            assert page.locator(EXCEPTION).count() == 0
        open_and_wait(page, f"{url}/?lang=en")
        assert page.get_by_role("heading", name="Dashboard unavailable").is_visible()
        assert page.get_by_text("the file is not a DuckDB database").is_visible()
        # A good version published at the path: the next page load serves it, no restart.
        publish(reference_db_path, live)
        open_and_wait(page, f"{url}/?edition=1")
        assert any(card.startswith("Communes lauréates 4 ") for card in cards(page))
        assert page.get_by_role("heading", name=UNAVAILABLE).count() == 0
        assert page.locator(EXCEPTION).count() == 0
        # Broken again under a running server, then good again.
        truncated = live.with_name("cut.duckdb")
        truncated.write_bytes(reference_db_path.read_bytes()[:100_000])
        os.replace(truncated, live)
        page.reload()
        page.wait_for_selector(FINISHED, timeout=60_000)
        page.wait_for_selector(f'h1:has-text("{UNAVAILABLE}")', timeout=30_000)
        assert page.get_by_text("tronqué").first.is_visible()
        publish(reference_db_path, live)
        page.get_by_role("button", name="Réessayer").click()
        page.wait_for_selector('[data-testid="stMetric"] >> nth=7', timeout=60_000)
        assert page.locator(EXCEPTION).count() == 0
    assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")


# --- the reading server never writes -----------------------------------------------------------------


def test_browsing_every_page_leaves_the_database_file_untouched(page, reference_db_path, tmp_path):
    folder = tmp_path / "db"
    folder.mkdir()
    live = folder / "qmi.duckdb"
    shutil.copyfile(reference_db_path, live)
    before = (sha256(live), live.stat().st_mtime_ns, live.stat().st_ino)
    with serving(live, tmp_path / "server.log", QMI_DUCKDB_MEMORY_LIMIT="512MB", QMI_DUCKDB_THREADS="1") as url:
        for path in EVERY_PAGE:
            open_and_wait(page, f"{url}/{path}?edition=1")
            assert page.locator(EXCEPTION).count() == 0, path
            assert not list(folder.glob("*.wal")), path
        open_and_wait(page, f"{url}/projets?edition=1&projet=faradae")
    assert (sha256(live), live.stat().st_mtime_ns, live.stat().st_ino) == before
    assert sorted(p.name for p in folder.iterdir()) == ["qmi.duckdb"]  # no .wal, no .tmp, no lock file


# --- hostile URL parameters -------------------------------------------------------------------------------

IMG = "<img src=x onerror=alert('qmifuzz')>"
SCRIPT = "<script>alert('qmifuzz')</script>"
LINK = "[qmifuzz](javascript:alert(1))"
PICTURE = "![qmifuzz](http://127.0.0.1:9/qmifuzz.png)"
SVG = "<svg onload=alert('qmifuzz')>"


def hostile_urls(url: str) -> list[str]:
    q = quote
    return [
        f"{url}/?edition={q(IMG)}&commune={q(SCRIPT)}&commune={q(LINK)}&theme={q(PICTURE)}&status={q(SVG)}",
        f"{url}/projets?projet={q(IMG)}&edition=1",
        f"{url}/projets?projet={q(PICTURE)}",
        f"{url}/carte?commune={q(IMG)}&theme={q(':red[qmifuzz] $x$')}",
        f"{url}/?present=1&base={q(IMG)}&interval={q(SVG)}&commune={q(SCRIPT)}",
        f"{url}/sources?lang={q(SCRIPT)}&edition={q('1 OR 1=1; DROP TABLE projects')}",
    ]


INJECTED = """() => document.querySelectorAll(
    'img[src="x"], img[src*="qmifuzz"], svg[onload], [onerror], [onload], a[href^="javascript"]').length
    + [...document.scripts].filter(s => s.text.includes('qmifuzz')).length"""


def test_hostile_url_parameters_inject_nothing(page, reference_db_path, tmp_path):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with serving(reference_db_path, tmp_path / "server.log") as url:
        for address in hostile_urls(url):
            open_and_wait(page, address)
            page.wait_for_timeout(500)  # an onerror would fire once the image failed to load
            assert page.locator(EXCEPTION).count() == 0, address
            for frame in page.frames:  # the page and its iframes (the slideshow)
                assert frame.evaluate(INJECTED) == 0, (address, frame.url)
        assert dialogs == []
        # The values are shown as they were typed, as text.
        open_and_wait(page, f"{url}/?edition={quote(IMG)}&commune={quote(LINK)}")
        # (escape.markdown slips invisible word joiners into link-like text: what the reader sees is unchanged)
        shown = " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts()).replace("\u2060", "")
        assert f"Édition inconnue ignorée : « {IMG} »" in shown
        assert f"Commune inconnue ignorée : « {LINK} »" in shown
        assert dialogs == []


# --- imports published while five sessions browse ---------------------------------------------------------

BROWSED = ["?edition=1", "thematiques?edition=1", "?edition=1", "deploiement?edition=1", "?edition=1",
           "sources?edition=1", "?edition=1", "editions?edition=1"]
IMPORTED = ["boucl-energie", "circular-place", "cumulusland"]  # edition-1 projects with no deployment yet


def expected_cards(db_path: Path) -> list[tuple[str, str, str]]:
    """(label, value, coverage) of each overview card of edition 1, as the page prints them."""
    with db.open_for_reading(db_path) as con:
        results = {r.id: r for r in kpis.compute_all(con, Filters(edition=1))}
    shown = []
    for kpi_id in headlines.OVERVIEW:
        card = kpi_cards.card(results[kpi_id], "fr")
        shown.append((normalise(card.label), normalise(card.text), card.coverage))
    return shown


def matches(seen: list[str], version: list[tuple[str, str, str]]) -> bool:
    return len(seen) == len(version) and all(
        text.startswith(label + " ") and f" {value} " in f" {text} " and coverage in text
        for text, (label, value, coverage) in zip(seen, version))


async def browse(browser, url: str, deadline: float, number: int, seen: list, problems: list) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1400}, locale="fr-FR")
    page = await context.new_page()
    step = number
    try:
        while time.monotonic() < deadline:
            path = BROWSED[step % len(BROWSED)]
            step += 1
            await page.goto(f"{url}/{path}")
            await page.wait_for_selector(FINISHED, timeout=90_000)
            await page.wait_for_timeout(300)
            await page.wait_for_selector(FINISHED, timeout=90_000)
            if await page.locator(EXCEPTION).count():
                problems.append((number, path, await page.locator(EXCEPTION).first.inner_text()))
            if await page.get_by_role("heading", name=UNAVAILABLE).count():
                problems.append((number, path, "unavailable page"))
            if path.startswith("?"):
                try:
                    await page.wait_for_selector('[data-testid="stMetric"] >> nth=7', state="attached", timeout=60_000)
                except Exception:  # noqa: BLE001  (said below, with what the page shows instead)
                    main = await page.locator('[data-testid="stMain"]').inner_text()
                    problems.append((number, path, "no KPI cards", normalise(main)[:500]))
                    continue
                texts = await page.locator('[data-testid="stColumn"]:has([data-testid="stMetric"])').all_inner_texts()
                seen.append((number, time.monotonic(), [normalise(t) for t in texts]))
    finally:
        await context.close()


def test_imports_published_while_five_sessions_browse(reference_db_path, tmp_path):
    from playwright.async_api import async_playwright

    folder = tmp_path / "db"
    folder.mkdir()
    live = folder / "qmi.duckdb"
    shutil.copyfile(reference_db_path, live)
    versions = [expected_cards(live)]
    files = []
    for project in IMPORTED:
        path = tmp_path / f"{project}.csv"
        path.write_text(f"project_id,kind,date_start,date_precision\n{project},deployed,2024-03-01,month\n", encoding="utf-8")
        files.append(path)
    seen, problems, published = [], [], []

    def publish_imports(start: float) -> None:
        for index, path in enumerate(files):
            time.sleep(max(0.0, start + 8 + 9 * index - time.monotonic()))
            publishing.publish_import(live, readers.read_file(path, table="project_events"), "project_events",
                                      mode="upsert", by="test")
            published.append(time.monotonic())
            versions.append(expected_cards(live))

    async def run(url: str) -> None:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            start = time.monotonic()
            deadline = start + 45
            try:
                await asyncio.gather(asyncio.to_thread(publish_imports, start),
                                     *(browse(browser, url, deadline, n, seen, problems) for n in range(5)))
            finally:
                await browser.close()

    failures = []

    def in_own_thread(url: str) -> None:  # the sync `browser` fixture of this module holds the main thread's loop
        try:
            asyncio.run(run(url))
        except BaseException as error:  # noqa: BLE001  (raised again below, in the test's thread)
            failures.append(error)

    with serving(live, tmp_path / "server.log") as url:
        worker = threading.Thread(target=in_own_thread, args=(url,))
        worker.start()
        worker.join(timeout=240)
    assert not worker.is_alive(), "the sessions did not finish within 4 minutes"
    if failures:
        raise failures[0]
    assert problems == []
    assert len(published) == len(IMPORTED)
    assert len({tuple(v) for v in versions}) == len(versions), "each import changes what the cards say"
    assert len(seen) >= 5, seen  # two cores for five browsers, the server and the imports
    unmatched = [(n, texts) for n, _, texts in seen if not any(matches(texts, v) for v in versions)]
    assert unmatched == [], (unmatched[:3], versions)
    # The sessions did see the published versions, not only the first one.
    assert any(matches(texts, versions[-1]) for _, _, texts in seen), versions[-1]
    assert not list(folder.glob("*.tmp")) and not list(folder.glob("*.wal"))
