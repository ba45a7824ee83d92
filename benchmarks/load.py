"""Concurrent browser sessions browsing the dashboard for a while: latency, errors and server memory.

    python benchmarks/load.py --sessions N --minutes T [--url URL] [--scale S|M|L] [--db PATH]
                              [--server-pid PID ...] [--think-s S] [--seed N] [--json]

Each session (a Playwright context: its own cookies, cache and Streamlit session; up to 10 per Chromium) loops
until the time is up: pick a page, then either open it by URL with random filters taken from the database
(?edition=2&commune=<insee or name>&theme=…&lang=en), or click its sidebar link, or change a sidebar filter on
the current page (edition, commune, language); then wait for the page to be ready (browser.READY_JS, the same
condition as pages.py) or fail. Errors: an stException, a JavaScript page error, no ready page within 30 s, a
connection that drops or does not come up ("Connection error"), an HTTP status >= 400 from the app, a failed request to it (but
the client's own connection probes, /_stcore/health and /host-config: the lost connection is counted instead).
After an error the session waits a second and reloads its page (a new Streamlit session), which may fail in
turn: the server can vanish (a replica killed behind a proxy) and come back, and the run goes on.

Without --url it starts its own server on the scale's database and samples that server's memory; with --url
(loopback only: 127.0.0.1, localhost, ::1) it samples the --server-pid processes (with their children), summed.
The filters' values come from --db, else the scale's database (S unless --scale).
At the time limit, loads still in flight are dropped (counted in in_flight_at_end), then everything this
script started is closed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser as web  # noqa: E402
from scales import database_for, emit, machine  # noqa: E402

MAX_SESSIONS = 30
MAX_MINUTES = 30
LOAD_TIMEOUT_MS = 30_000
SESSIONS_PER_BROWSER = 10
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
POLLING_MS = 50  # in-page polling of the ready condition: 30 pages polling every frame would load the machine
ERROR_SAMPLES = 12


# --- what the sessions choose from ----------------------------------------------------------------

def choices_from(db: Path) -> dict:
    from qmi_metrics.metrics import filters
    from qmi_metrics.store import db as qmi_db

    con = qmi_db.connect(db)
    try:
        return {"editions": [str(r["edition_id"]) for r in filters.editions(con)],
                "communes": [(r["insee"], r["name"]) for r in filters.communes(con, participating_only=True)],
                "themes": [r["theme_slug"] for r in filters.themes(con)]}
    finally:
        con.close()


def random_query(rng: random.Random, choices: dict) -> str:
    params = [("edition", rng.choice(choices["editions"] + ["all"]))] if choices["editions"] else []
    for insee, name in rng.sample(choices["communes"], k=min(len(choices["communes"]), rng.choice([0, 0, 1, 2]))):
        params.append(("commune", rng.choice([insee, name])))  # the URL takes a name or an INSEE code
    if choices["themes"] and rng.random() < 0.3:
        params.append(("theme", rng.choice(choices["themes"])))
    if rng.random() < 0.2:
        params.append(("lang", "en"))
    return urlencode(params)


# --- one session -------------------------------------------------------------------------------------

class Stats:
    def __init__(self, started: float):
        self.started = started
        self.loads: list[dict] = []  # {ms, page, action}
        self.errors: list[dict] = []  # {kind, message}
        self.in_flight = 0

    def error(self, session: int, kind: str, message: str) -> None:
        self.errors.append({"kind": kind, "message": f"[session {session}, t={time.monotonic() - self.started:.1f} s] {message}"})


def connection_probe(url: str) -> bool:
    """Streamlit's client polls /_stcore/health and /_stcore/host-config (also under /<page>/, which gives 404s
    on a deep link): their failures are the connection's, counted once by the ready condition, not per probe."""
    path = urlparse(url).path
    return path.endswith("/_stcore/health") or path.endswith("/_stcore/host-config")


async def change_filter(page, rng: random.Random) -> dict:
    """Change one sidebar filter on the current page; the result of waiting for the rerun."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    kind = rng.choice(["edition", "edition", "commune", "lang"])
    try:
        if kind == "lang":
            buttons = sidebar.locator('[data-testid="stButtonGroup"] button')
            pressed = await buttons.evaluate_all(
                "bs => bs.map(b => b.getAttribute('aria-checked') === 'true' || b.getAttribute('kind')?.includes('Active'))")
            target = buttons.nth(pressed.index(False) if False in pressed else 0)
            since = (await web.mark(page))["since"]
            await target.click(timeout=5000)
        else:
            widget = sidebar.locator('[data-testid="stSelectbox"]' if kind == "edition" else '[data-testid="stMultiSelect"]').first
            opener = widget.locator('button[aria-haspopup="listbox"]')  # Streamlit 1.67: a react-aria combobox
            await (opener.first if await opener.count() else widget.locator('[role="combobox"]').first).click(timeout=5000)
            options = page.locator('[role="listbox"] [role="option"]:not([aria-selected="true"]):not([aria-disabled="true"])')
            await options.first.wait_for(timeout=5000)
            count = await options.count()
            since = (await web.mark(page))["since"]
            await options.nth(rng.randrange(min(count, 8))).click(timeout=5000)
            if kind == "commune":
                await page.keyboard.press("Escape")
    except Exception as error:
        return {"status": "error", "kind": "widget", "message": f"{kind} filter: {str(error).splitlines()[0][:200]}"}
    result = await web.wait_ready(page, since, LOAD_TIMEOUT_MS, POLLING_MS)
    if result["status"] == "ready":
        result["ms"] = result["ready_at"] - since
    result["filter"] = kind
    return result


async def session(number: int, browser, base: str, pages: list[dict], choices: dict, stats: Stats,
                  rng: random.Random, think_s: float) -> None:
    """Browse until cancelled."""
    context = page = None
    pending: list[tuple[str, str]] = []  # page errors and HTTP failures seen since the last load
    origin = urlparse(base)

    # The page's own document is left out: its failure is the goto's (kinds http, navigation), counted there.
    def on_response(response):
        if response.status >= 400 and urlparse(response.url).netloc == origin.netloc \
                and response.request.resource_type != "document" \
                and not connection_probe(response.url):
            pending.append(("http", f"HTTP {response.status} on {urlparse(response.url).path}"))

    def on_request_failed(request):
        failure = request.failure or ""
        if urlparse(request.url).netloc == origin.netloc and "ERR_ABORTED" not in failure \
                and request.resource_type != "document" \
                and not connection_probe(request.url):
            pending.append(("request", f"{failure} on {urlparse(request.url).path}"))

    async def open_context():
        nonlocal context, page
        if context is not None:
            try:
                await asyncio.wait_for(context.close(), 10)
            except Exception:
                pass
        context = page = None
        context = await web.new_context(browser)
        page = await context.new_page()
        page.on("pageerror", lambda error: pending.append(("pageerror", f"page error: {str(error)[:200]}")))
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)

    current = None  # the page the session is on, ready; None: the next action opens a URL
    retry = None  # after an error: (url, page) to reload
    try:
        while True:
            if retry is not None:
                action, (url, target) = "reload", retry
            else:
                target = rng.choice(pages)
                action = rng.choice(["goto", "click", "click", "filter"]) if current and current["sidebar"] else "goto"
                if action == "filter" or action == "click" and target is current:
                    action, target = "filter", current
                url = web.page_url(base, target["path"], random_query(rng, choices))
            pending.clear()
            stats.in_flight += 1
            try:
                if page is None or page.is_closed():
                    await open_context()
                if action in ("goto", "reload"):
                    result = await web.goto_ready(page, url, LOAD_TIMEOUT_MS, POLLING_MS)
                elif action == "click":
                    result = await web.click_ready(page, web.nav_link(page, target["path"]), LOAD_TIMEOUT_MS, POLLING_MS)
                else:
                    result = await change_filter(page, rng)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the context or the browser went away: a new context next time
                result = {"status": "error", "kind": "browser", "message": f"{type(error).__name__}: {str(error)[:200]}"}
                page = None
            finally:
                stats.in_flight -= 1
            where = f"{action} /{target['path']}" + (f" ({result['filter']} filter)" if "filter" in result else "")
            for kind, message in pending:
                stats.error(number, kind, f"{where}: {message}")
            pending.clear()
            if result["status"] == "ready":
                stats.loads.append({"ms": result["ms"], "page": target["name"], "action": action})
                current, retry = target, None
            else:
                stats.error(number, result["kind"], f"{where}: {result['message']}")
                current = None
                retry = (url if action in ("goto", "reload") else page_address(page, url), target)
                await asyncio.sleep(1.0)
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
    finally:
        if context is not None:
            try:
                await asyncio.wait_for(context.close(), 10)
            except BaseException:
                pass


def page_address(page, fallback: str) -> str:
    """Where the page is (its filters included), to reload it."""
    try:
        return page.url if page is not None and page.url.startswith("http") else fallback
    except Exception:
        return fallback


# --- the run -------------------------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))], 1)


def latency(loads: list[dict]) -> dict:
    values = [load["ms"] for load in loads]
    return {"n": len(values), "p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95)}


async def run(args) -> dict:
    db = Path(args.db) if args.db else database_for(args.scale or "S")
    choices = choices_from(db)
    pages = web.app_pages()
    with contextlib.ExitStack() as cleanup:  # the server and the database copy this script made, if any
        if args.url:
            base, pids = args.url.rstrip("/"), list(args.server_pid)
        else:
            server = cleanup.enter_context(web.Server(web.REPO_DIR / "app.py", cleanup.enter_context(web.private_copy(db))))
            base, pids = server.url, [server.pid]
        return await browse(args, db, base, pids, choices, pages)


async def browse(args, db: Path, base: str, pids: list[int], choices: dict, pages: list[dict]) -> dict:
    from playwright.async_api import async_playwright

    browsers = []
    sampler = None
    tasks: list[asyncio.Task] = []
    in_flight = 0
    load_before = web.load_average()
    async with async_playwright() as playwright:
        try:
            for _ in range(math.ceil(args.sessions / SESSIONS_PER_BROWSER)):
                browsers.append(await web.launch(playwright))
            sampler = web.RssSampler(pids, interval_s=1.0).start()
            duration_s = args.minutes * 60
            warmup_s = min(60.0, 0.2 * duration_s)
            stats = Stats(time.monotonic())
            rng = random.Random(args.seed)
            tasks = [asyncio.create_task(session(i + 1, browsers[i // SESSIONS_PER_BROWSER], base, pages, choices,
                                                 stats, random.Random(rng.random()), args.think_s))
                     for i in range(args.sessions)]
            done, _ = await asyncio.wait(tasks, timeout=duration_s)
            sampler.sample()  # the end of the run, before anything is closed
            in_flight = stats.in_flight
            for task in done:  # a session that ended early: a bug in this script, say so
                if task.exception() is not None:
                    stats.error(0, "benchmark", f"session ended: {task.exception()!r}"[:300])
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if sampler is not None:
                sampler.stop()
            for instance in browsers:
                try:
                    await asyncio.wait_for(instance.close(), 20)
                except BaseException:
                    pass

    kinds: dict[str, int] = {}
    samples, seen = [], set()
    for error in stats.errors:
        kinds[error["kind"]] = kinds.get(error["kind"], 0) + 1
        key = (error["kind"], error["message"].split("] ", 1)[-1][:60])
        if key not in seen and len(samples) < ERROR_SAMPLES:
            seen.add(key)
            samples.append(f"{error['kind']}: {error['message']}")
    after_warmup = sampler.total_at(warmup_s) if pids else None
    end = sampler.last_total() if pids else None
    overall = latency(stats.loads)
    result = {
        "sessions": args.sessions, "minutes": args.minutes, "url": base, "database": str(db),
        "pages_served": len(stats.loads), "errors": len(stats.errors), "error_kinds": kinds, "error_samples": samples,
        "p50_ms": overall["p50_ms"], "p95_ms": overall["p95_ms"],
        "by_action": {action: latency([x for x in stats.loads if x["action"] == action])
                      for action in ("goto", "click", "filter", "reload")},
        "by_page": {p["name"]: latency([x for x in stats.loads if x["page"] == p["name"]]) for p in pages},
        "in_flight_at_end": in_flight,
        "server_pids": pids,
        "server_peak_rss_mb": round(sampler.peak_total(), 1) if pids else None,
        "rss_after_warmup_mb": round(after_warmup, 1) if pids else None,
        "rss_end_mb": round(end, 1) if pids else None,
        "rss_growth_pct": round((end - after_warmup) / after_warmup * 100, 1) if pids and after_warmup else None,
        "warmup_s": warmup_s, "think_s": args.think_s,
        "ready_condition": f"script ran and finished, state stable {web.STABLE_MS} ms, every plotly chart, deck.gl map "
                           f"and iframe drawn; timeout {LOAD_TIMEOUT_MS // 1000} s",
        "load_average_before_after": [load_before, web.load_average()],
        "machine": machine(),
    }
    if len(pids) > 1:
        result["rss_peak_by_pid_mb"] = {str(pid): round(mb, 1) for pid, mb in sampler.peak_by_pid().items()}
        result["rss_end_by_pid_mb"] = {str(pid): round(mb, 1) for pid, mb in sampler.samples[-1][1].items()}
    return result


def check(parser: argparse.ArgumentParser, args) -> None:
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    if not 0 < args.minutes <= MAX_MINUTES:
        parser.error(f"--minutes must be above 0 and at most {MAX_MINUTES}")
    if args.url:
        url = urlparse(args.url)
        if url.scheme not in ("http", "https") or url.hostname not in LOOPBACK:
            parser.error(f"--url must be http(s) on a loopback host ({', '.join(sorted(LOOPBACK))}), not {args.url!r}")
    elif args.server_pid:
        parser.error("--server-pid goes with --url (without --url, the script samples the server it starts)")
    if args.think_s < 0:
        parser.error("--think-s must be 0 or more")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, required=True, help=f"concurrent browser sessions, at most {MAX_SESSIONS}")
    parser.add_argument("--minutes", type=float, required=True, help=f"duration, at most {MAX_MINUTES}")
    parser.add_argument("--url", help="an app already running (loopback only); default: start one")
    parser.add_argument("--scale", choices=["S", "M", "L", "s", "m", "l"], help="database of the server started (default S)")
    parser.add_argument("--db", help="database the filter values come from (and the server started serves)")
    parser.add_argument("--server-pid", type=int, nargs="*", default=[], help="with --url: processes whose RSS to sample")
    parser.add_argument("--think-s", type=float, default=1.0, help="mean pause between two actions of a session")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    check(parser, args)

    async def guarded():
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        return await run(args)

    try:
        result = asyncio.run(guarded())
    except asyncio.CancelledError:
        print("interrupted: everything started was closed", file=sys.stderr)
        return 130
    rows = [{"page": name, **numbers} for name, numbers in result["by_page"].items()]
    emit(result, args.json, rows)
    if not args.json:
        for sample in result["error_samples"]:
            print(sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
