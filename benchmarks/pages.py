"""How long each page of the dashboard takes to be ready in headless Chromium, against an empty Streamlit app.

    python benchmarks/pages.py --scale S|M|L [--json] [--repeat N]

Each repeat starts two fresh servers: the app on the scale's database, and benchmarks/empty_app.py (two empty
st.navigation pages, the floor). Then:
  cold  every page opened with a goto in a fresh browser context (no session, no browser cache), the first
        load of that page since the server started (server caches empty for it); pages are taken in a rotated
        order each repeat, so the server's own first-load cost (imports, opening the database) does not land
        on the same page every time (`first_loads` says where it landed);
  warm  in one session, each page reached by clicking its sidebar link from the page before it in the
        navigation (st.navigation's client-side switch; the slideshow hides the sidebar, so the page after it
        is reached from the one before it), after the cold loads (server caches filled by them); the session
        goes round every page once first (its browser then holds plotly's and deck.gl's code), and the
        second round is the one recorded;
  floor the empty app measured the same way: cold goto of its two pages, warm switches between them.
"Ready" is browser.READY_JS (script finished, state stable for 500 ms, every chart and the map drawn);
`*_script_ms` is when the script finished, the rest is the browser drawing. Medians over the repeats;
`*_vs_floor` is the page's median divided by the floor's. The server serves a private copy of the database
(see browser.private_copy).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser as web  # noqa: E402
from scales import database_for, emit, machine  # noqa: E402

TIMEOUT_MS = 180_000
FLOOR_SWITCHES = 4
NOTES = {
    "presentation": "full-screen HTML slideshow in an iframe (st.iframe): ready = the script finished and the "
                    "iframe's document loaded; no sidebar, so the page after it is reached by a goto",
    "administration": "sign-in form only (no admin configured): the data tools are not measured",
}


async def measure_once(playwright, pages: list[dict], db: Path, offset: int, log) -> dict:
    with web.private_copy(db) as copy:
        return await measure_servers(playwright, pages, copy, offset, log)


async def measure_servers(playwright, pages: list[dict], db: Path, offset: int, log) -> dict:
    app = web.Server(web.REPO_DIR / "app.py", db)
    empty = web.Server(web.BENCH_DIR / "empty_app.py")
    try:
        app.start()
        empty.start()
        app.wait_healthy()
        empty.wait_healthy()
        sampler = web.RssSampler([app.pid]).start()
        browser = await web.launch(playwright)
        try:
            run = {"cold": {}, "warm": {}, "floor_cold": [], "floor_warm": []}
            # floor first: the app server is idle meanwhile
            for path in ("deux", ""):
                run["floor_cold"].append(await cold(browser, web.page_url(empty.url, path), sidebar=True))
            context = await web.new_context(browser)
            page = await context.new_page()
            await web.goto_ready(page, empty.url, TIMEOUT_MS)
            for i in range(FLOOR_SWITCHES):
                run["floor_warm"].append(await web.click_ready(page, web.nav_link(page, "deux" if i % 2 == 0 else ""),
                                                               TIMEOUT_MS))
            await context.close()

            for target in pages[offset:] + pages[:offset]:
                result = await cold(browser, web.page_url(app.url, target["path"]), target["sidebar"])
                run["cold"][target["name"]] = result
                log(f"  cold {target['name']:16s} {describe(result)}")
            run["first_load"] = {"page": pages[offset]["name"], "ms": run["cold"][pages[offset]["name"]].get("ms")}

            context = await web.new_context(browser)
            page = await context.new_page()
            current = None
            # Lap 1 loads the session (the browser fetches plotly's and deck.gl's code on the first page that
            # draws one); lap 2, the one recorded, switches pages in that already loaded session.
            for lap in ("warm-up", "warm"):
                for i, target in enumerate(pages):
                    if current is None or not current["sidebar"]:
                        origin = next(p for p in (pages[i - 1], pages[i - 2]) if p["sidebar"] and p is not target)
                        opened = await web.goto_ready(page, web.page_url(app.url, origin["path"]), TIMEOUT_MS)
                        if opened["status"] != "ready":
                            run["warm"][target["name"]] = {**opened, "message": f"opening {origin['name']}: {opened['message']}"}
                            current = None
                            continue
                        current = origin
                    result = await web.click_ready(page, web.nav_link(page, target["path"]), TIMEOUT_MS)
                    result["from"] = current["name"]
                    if lap == "warm":
                        run["warm"][target["name"]] = result
                    log(f"  {lap} {target['name']:16s} {describe(result)} (from {current['name']})")
                    current = target if result["status"] == "ready" else None
            await context.close()
        finally:
            await browser.close()
            sampler.stop()
        run["server_peak_rss_mb"] = sampler.peak_total()
        return run
    finally:
        app.stop()
        empty.stop()


async def cold(browser, url: str, sidebar: bool) -> dict:
    """A goto in a fresh context; a page without its sidebar navigation is an error page (no database...)."""
    context = await web.new_context(browser)
    try:
        page = await context.new_page()
        result = await web.goto_ready(page, url, TIMEOUT_MS)
        if result["status"] == "ready":
            result["shows"] = await web.shows(page)
            if sidebar and not await page.locator('.st-key-navigation').count():
                result = {"status": "error", "kind": "page",
                          "message": f"no sidebar navigation (an error page?); the page shows: {result['shows']}"}
        return result
    finally:
        await context.close()


def describe(result: dict) -> str:
    if result["status"] == "ready":
        return f"{result['ms']:8.0f} ms (script {result['script_ms']:.0f} ms, {result['charts']} charts, {result['maps']} maps)"
    return f"ERROR {result['kind']}: {result['message']}"


def median_of(results: list[dict], key: str = "ms") -> float | None:
    values = [r[key] for r in results if r.get("status") == "ready"]
    return round(statistics.median(values), 1) if values else None


def ratio(value: float | None, floor: float | None) -> float | None:
    return round(value / floor, 2) if value is not None and floor else None


def summarise(runs: list[dict], pages: list[dict], scale: str) -> dict:
    floor_cold = median_of([r for run in runs for r in run["floor_cold"]])
    floor_warm = median_of([r for run in runs for r in run["floor_warm"]])
    summary = {}
    for target in pages:
        name = target["name"]
        colds = [run["cold"][name] for run in runs]
        warms = [run["warm"][name] for run in runs]
        cold_ms, warm_ms = median_of(colds), median_of(warms)
        ready = [r for r in colds + warms if r["status"] == "ready"]
        entry = {
            "url": "/" + target["path"], "title": target["title"],
            "cold_ms": cold_ms, "warm_ms": warm_ms,
            "cold_vs_floor": ratio(cold_ms, floor_cold), "warm_vs_floor": ratio(warm_ms, floor_warm),
            "cold_script_ms": median_of(colds, "script_ms"), "warm_script_ms": median_of(warms, "script_ms"),
            "cold_runs_ms": [round(r["ms"]) if r["status"] == "ready" else None for r in colds],
            "warm_runs_ms": [round(r["ms"]) if r["status"] == "ready" else None for r in warms],
            "warm_from": warms[0].get("from"),
            "shows": next((r["shows"] for r in colds if r.get("shows")), None),
            "charts": max((r["charts"] for r in ready), default=None),
            "maps": max((r["maps"] for r in ready), default=None),
            "errors": [f"{kind}: {r['kind']}: {r['message']}" for kind, rs in (("cold", colds), ("warm", warms))
                       for r in rs if r["status"] != "ready"],
        }
        if name in NOTES:
            entry["note"] = NOTES[name]
        summary[name] = entry
    return {
        "scale": scale, "repeat": len(runs), "pages": summary,
        "floor_cold_ms": floor_cold, "floor_warm_ms": floor_warm,
        "server_peak_rss_mb": round(max(run["server_peak_rss_mb"] for run in runs), 1),
        "first_loads": [run["first_load"] for run in runs],
        "ready_condition": f"script ran and finished, state stable {web.STABLE_MS} ms, every plotly chart, deck.gl map "
                           "and iframe drawn; time = when that first held",
        "machine": machine(),
    }


async def main_async(args) -> dict:
    from playwright.async_api import async_playwright

    db = database_for(args.scale)
    pages = web.app_pages()
    log = (lambda message: print(message, file=sys.stderr, flush=True))
    runs = []
    load_before = web.load_average()
    async with async_playwright() as playwright:
        for i in range(args.repeat):
            log(f"run {i + 1}/{args.repeat} at scale {args.scale.upper()}")
            runs.append(await measure_once(playwright, pages, db, (i * len(pages)) // args.repeat, log))
    result = summarise(runs, pages, args.scale.upper())
    result["load_average_before_after"] = [load_before, web.load_average()]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="S", choices=["S", "M", "L", "s", "m", "l"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    async def guarded():  # SIGTERM / Ctrl-C: cancel, so that the servers and the browser are closed
        task = asyncio.current_task()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
        return await main_async(args)

    try:
        result = asyncio.run(guarded())
    except asyncio.CancelledError:
        print("interrupted: the servers and the browser were closed", file=sys.stderr)
        return 130
    rows = [{"page": name, "cold_ms": p["cold_ms"], "warm_ms": p["warm_ms"], "cold_vs_floor": p["cold_vs_floor"],
             "warm_vs_floor": p["warm_vs_floor"], "charts": p["charts"], "maps": p["maps"], "errors": len(p["errors"])}
            for name, p in result["pages"].items()]
    emit(result, args.json, rows)
    if not args.json:
        for name, p in result["pages"].items():
            for error in p["errors"]:
                print(f"{name}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
