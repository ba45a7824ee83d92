"""The room opens the QR code: the issue's audience scenarios at a scale, one JSON object.

    python benchmarks/audience.py [--scale M] [--scenarios showcase,dashboard,burst,replicas,memory,bytes]
                                  [--quick] [--site DIR] [--browsers 2] [--qr-query edition=1]
                                  [--out [PATH]]   # default PATH: docs/performance/audience_<scale>.json

Scenarios (targets from issue 13; --quick shrinks each to a short smoke run, not comparable):
  showcase   the static site through nginx (deploy/nginx.conf): wrk, 200 connections for 60 s over every
             page, gzip accepted; errors = non-2xx/3xx answers + socket errors          (0 errors, p95 < 100 ms)
  dashboard  one Streamlit process: 100 protocol sessions (benchmarks/protocol.py) arriving over 30 s on the
             QR code's view, each then changing a sidebar filter twice; p95 per script run  (0 errors, p95 < 2 s)
  burst      the same process: 50 sessions at the same instant, one filter change each   (all served; p95 reported)
  replicas   two processes behind nginx (sticky cookie per session): 200 sessions over 30 s (0 errors, p95 < 2 s)
  memory     one process: the server's RSS (with its children) warm, then after 200 sessions have come
             and gone: their sockets closed and Streamlit's disconnected-session storage expired
             (server.disconnectedSessionTTL, 120 s by default, set to --session-ttl here so the run fits;
             expired sessions are dropped at the storage's next write: a probe session's)  (< 10 % above warm)
  bytes      what a phone (Chromium, 390 px, a fresh cache) receives on a first visit through nginx,
             from nginx's access log ($bytes_sent): the showcase's entry page with everything it
             references, against the dashboard's page the QR code points to (HTML, every JS/CSS chunk,
             fonts; its websocket counted apart)                        (showcase <= 150 KB; dashboard reported)
The site is built by `python -m qmi_metrics export-site --out DIR --db DB` (its time is reported) unless
--site names a built one. --browsers N runs benchmarks/load.py with N real browsers against the dashboard
scenario's server while the protocol sessions load it: what a person sees meanwhile (they cost CPU: off by
default). Every scenario is bounded in time; every process this script starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "deploy"))

import browser as web  # noqa: E402
import protocol  # noqa: E402
from local_nginx import LocalNginx, find_nginx  # noqa: E402
from scales import database_for, machine  # noqa: E402

SCENARIOS = ("showcase", "dashboard", "burst", "replicas", "memory", "bytes")
SITE_BUDGET_BYTES = 150 * 1024
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
         "locale": "fr-FR"}
FULL = {"showcase_clients": 200, "showcase_s": 60, "dashboard_sessions": 100, "dashboard_over_s": 30,
        "burst_sessions": 50, "replica_sessions": 200, "replica_over_s": 30, "memory_sessions": 200,
        "memory_over_s": 30, "warm_sessions": 50, "deadline_s": 240}
QUICK = {"showcase_clients": 50, "showcase_s": 10, "dashboard_sessions": 15, "dashboard_over_s": 5,
         "burst_sessions": 10, "replica_sessions": 20, "replica_over_s": 5, "memory_sessions": 20,
         "memory_over_s": 5, "warm_sessions": 10, "deadline_s": 90}
WRK_SCRIPT = """
local paths = {%s}
local i = 0
wrk.headers["Accept-Encoding"] = "gzip"
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('AUDIENCE {"requests": %%d, "duration_us": %%d, "bytes": %%d, "status_errors": %%d,'
    .. ' "connect_errors": %%d, "read_errors": %%d, "write_errors": %%d, "timeouts": %%d, "p50_us": %%d,'
    .. ' "p90_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def session_count(url: str) -> int | None:
    """Streamlit's own count of sessions with a socket open (/_stcore/metrics)."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/metrics?families=active_sessions", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    found = re.search(r"^active_sessions\S*\s+([\d.]+)", text, re.M)
    return int(float(found.group(1))) if found else None


def judged(result: dict, target: str, met: bool | None) -> dict:
    return {**result, "target": target, "target_met": met}


def ok_and_fast(result: dict, p95_ms: float) -> bool:
    return result["errors"] == 0 and result["p95_ms"] is not None and result["p95_ms"] < p95_ms


# --- the site ------------------------------------------------------------------------------------------

def build_site(db: Path, out: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "qmi_metrics", "export-site", "--out", str(out), "--db", str(db)],
                          cwd=web.REPO_DIR, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"error": f"export-site exited {done.returncode}: {(done.stderr or done.stdout).strip()[-400:]}"}
    return {"build_s": round(time.perf_counter() - started, 1)}


def site_pages(site: Path) -> list[str]:
    """Every page's address under /vitrine/ (a folder's index.html by its folder)."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site).as_posix()
        pages.append("/vitrine/" + (relative[: -len("index.html")] if relative.endswith("index.html") else relative))
    return pages


def entry_page(site: Path) -> str:
    return "/vitrine/fr/" if (site / "fr" / "index.html").exists() else "/vitrine/"


# --- scenarios -----------------------------------------------------------------------------------------

def showcase(nginx: LocalNginx, site: Path, size: dict, workdir: Path) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk not found (apt-get install -y wrk)"}
    pages = site_pages(site)
    script = workdir / "pages.lua"
    script.write_text(WRK_SCRIPT % ", ".join(json.dumps(p) for p in pages), encoding="utf-8")
    clients, seconds = size["showcase_clients"], size["showcase_s"]
    done = subprocess.run([wrk, "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s",
                           str(script), nginx.url], capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("AUDIENCE ")), None)
    if line is None:
        return {"error": f"wrk said: {(done.stderr or done.stdout)[-400:]}"}
    raw = json.loads(line[len("AUDIENCE "):])
    errors = sum(raw[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts"))
    result = {"clients": clients, "seconds": seconds, "pages": len(pages), "requests": raw["requests"],
              "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
              "mb_sent": round(raw["bytes"] / 2**20, 1), "errors": errors,
              "errors_by_kind": {k: raw[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors",
                                                     "timeouts")},
              **{f"{q}_ms": round(raw[f"{q}_us"] / 1000, 2) for q in ("p50", "p90", "p95", "p99", "max")},
              "tool": "wrk -t2 (on the same 2 cores as nginx), Accept-Encoding: gzip, pages in turn"}
    return judged(result, "0 errors, p95 < 100 ms", errors == 0 and result["p95_ms"] < 100)


def warm(url: str, qr_query: str, sessions: int = 6) -> None:
    """A few sessions on the QR view and filter changes, not counted: the server as it is after a first visitor."""
    asyncio.run(protocol.load(url, sessions=sessions, over_s=0, query=qr_query, filter_changes=2, think_s=0.2,
                              deadline_s=120, seed=99))


def dashboard(server: web.Server, qr_query: str, size: dict, browsers: int, db: Path) -> dict:
    warm(server.url, qr_query)
    sampler = web.RssSampler([server.pid], interval_s=1.0).start()
    people = None
    if browsers:
        minutes = (size["dashboard_over_s"] + 60) / 60
        people = subprocess.Popen([sys.executable, str(web.BENCH_DIR / "load.py"), "--sessions", str(browsers),
                                   "--minutes", f"{minutes:.2f}", "--url", server.url, "--db", str(db),
                                   "--server-pid", str(server.pid), "--json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        result = asyncio.run(protocol.load(server.url, sessions=size["dashboard_sessions"],
                                           over_s=size["dashboard_over_s"], query=qr_query, filter_changes=2,
                                           deadline_s=size["deadline_s"]))
    finally:
        sampler.stop()
        if people is not None:
            try:
                out, _ = people.communicate(timeout=300)
                text = out.strip()
                result_people = json.loads(text[text.index("{"):]) if "{" in text else None
            except (subprocess.TimeoutExpired, ValueError):
                people.kill()
                people.wait()
                result_people = None
    result["server_peak_rss_mb"] = round(sampler.peak_total(), 1)
    if people is not None:
        keep = ("sessions", "pages_served", "errors", "error_kinds", "p50_ms", "p95_ms", "by_action")
        result["browsers"] = {k: result_people[k] for k in keep} if result_people else {"error": "no result"}
    return judged(result, "0 errors, p95 < 2 s", ok_and_fast(result, 2000))


def burst(server: web.Server, qr_query: str, size: dict) -> dict:
    result = asyncio.run(protocol.load(server.url, sessions=size["burst_sessions"], over_s=0, query=qr_query,
                                       filter_changes=1, deadline_s=size["deadline_s"], seed=1))
    return judged(result, "all served; p95 reported", result["errors"] == 0)


def replicas(db: Path, site: Path, qr_query: str, size: dict, nginx_binary: str, workdir: Path,
             cleanup: contextlib.ExitStack) -> dict:
    servers = [cleanup.enter_context(web.Server(web.REPO_DIR / "app.py", db)) for _ in range(2)]
    nginx = LocalNginx(workdir / "replicas-nginx", [s.port for s in servers], web.free_port(), site_dir=site,
                       workers="auto")
    nginx.start(nginx_binary)
    cleanup.callback(nginx.stop)
    web_wait(nginx.url + "/_stcore/health")
    for server in servers:
        warm(server.url, qr_query, sessions=3)
    sampler = web.RssSampler([s.pid for s in servers], interval_s=1.0).start()
    try:
        result = asyncio.run(protocol.load(nginx.url, sessions=size["replica_sessions"],
                                           over_s=size["replica_over_s"], query=qr_query, filter_changes=2,
                                           deadline_s=size["deadline_s"], seed=2))
    finally:
        sampler.stop()
    time.sleep(0.5)  # nginx logs a websocket when it closes
    spread: dict[str, int] = {}
    for line in nginx.access_log.read_text(encoding="utf-8", errors="replace").splitlines():
        if "/_stcore/stream" in line:
            port = re.search(r'"127\.0\.0\.1:(\d+)"', line)
            name = f"replica{[s.port for s in servers].index(int(port.group(1))) + 1}" if port else "none"
            spread[name] = spread.get(name, 0) + 1
    result["websockets_per_replica"] = spread
    result["server_peak_rss_mb"] = {f"replica{i + 1}": round(mb, 1)
                                    for i, mb in enumerate(sampler.peak_by_pid().values())}
    return judged(result, "0 errors, p95 < 2 s", ok_and_fast(result, 2000))


def memory(db: Path, qr_query: str, size: dict, session_ttl_s: int, cleanup: contextlib.ExitStack) -> dict:
    server = cleanup.enter_context(web.Server(web.REPO_DIR / "app.py", db,
                                              ("--server.disconnectedSessionTTL", str(session_ttl_s))))

    def come_and_go(sessions: int, over_s: float, seed: int) -> dict:
        return asyncio.run(protocol.load(server.url, sessions=sessions, over_s=over_s, query=qr_query,
                                         filter_changes=2, deadline_s=size["deadline_s"], seed=seed, linger=False))

    def settled_rss() -> float:
        """After the stored sessions expired: a probe session's disconnect writes to the storage, which drops them."""
        time.sleep(session_ttl_s + 3)
        asyncio.run(protocol.load(server.url, sessions=1, over_s=0, query=qr_query, filter_changes=0, seed=7))
        time.sleep(3)
        return sum(web.process_rss_mb(server.pid) for _ in range(3)) / 3

    warmup = come_and_go(size["warm_sessions"], 10, seed=3)
    baseline = settled_rss()
    run = come_and_go(size["memory_sessions"], size["memory_over_s"], seed=4)
    time.sleep(1)
    right_after = web.process_rss_mb(server.pid)
    after = settled_rss()
    growth = (after - baseline) / baseline * 100
    result = {"warmup": {k: warmup[k] for k in ("sessions", "errors", "p95_ms")},
              "run": {k: run[k] for k in ("sessions", "over_s", "errors", "error_kinds", "p50_ms", "p95_ms")},
              "session_ttl_s": session_ttl_s, "baseline_rss_mb": round(baseline, 1),
              "rss_right_after_disconnects_mb": round(right_after, 1), "rss_after_expiry_mb": round(after, 1),
              "growth_pct": round(growth, 1), "sessions_open_at_end": session_count(server.url)}
    return judged(result, "< 10 % above the warm baseline", growth < 10)


def bytes_to_a_phone(nginx: LocalNginx, site: Path | None, qr_query: str) -> dict:
    from playwright.async_api import async_playwright

    async def open_once(url: str, streamlit: bool) -> bool:
        """A first visit in a fresh phone-sized context; whether the page got ready."""
        async with async_playwright() as playwright:
            browser = await web.launch(playwright)
            try:
                context = await browser.new_context(**PHONE)
                await context.add_init_script(web.INIT_JS)
                page = await context.new_page()
                if streamlit:
                    ready = (await web.goto_ready(page, url, 60_000))["status"] == "ready"
                else:
                    response = await page.goto(url, wait_until="networkidle", timeout=60_000)
                    ready = bool(response and response.ok)
                await context.close()  # the websocket closes: nginx logs it
            finally:
                await browser.close()
        return ready

    def visit(url: str, streamlit: bool) -> dict:
        mark = nginx.access_log.stat().st_size
        ready = asyncio.run(open_once(url, streamlit))
        time.sleep(0.5)  # nginx writes a line once its request (or websocket) is done
        with open(nginx.access_log, "rb") as log:
            log.seek(mark)
            lines = log.read().decode(errors="replace").splitlines()
        http_bytes = socket_bytes = requests = 0
        for line in lines:
            sent = int(re.search(r" bytes=(\d+) ", line).group(1))
            if "/_stcore/stream" in line:
                socket_bytes += sent
            else:
                http_bytes, requests = http_bytes + sent, requests + 1
        return {"url": url, "ready": ready, "requests": requests, "http_kb": round(http_bytes / 1024, 1),
                "websocket_kb": round(socket_bytes / 1024, 1)}

    result: dict = {"dashboard": visit(f"{nginx.url}/?{qr_query}", streamlit=True)}
    if site is not None:
        result["showcase"] = visit(nginx.url + entry_page(site), streamlit=False)
        result["largest_page_gz_kb"] = round(max(p.stat().st_size for p in site.rglob("*.html.gz")) / 1024, 1) \
            if any(site.rglob("*.html.gz")) else None
        met = result["showcase"]["ready"] and result["showcase"]["http_kb"] * 1024 <= SITE_BUDGET_BYTES
    else:
        met = None
    return judged(result, "showcase <= 150 KB; dashboard figure reported", met)


def web_wait(url: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout_s:g} s") from None
            time.sleep(0.2)


# --- the run -------------------------------------------------------------------------------------------

def run(args) -> dict:
    size = QUICK if args.quick else FULL
    nginx_binary = find_nginx()
    wanted = args.scenarios
    result: dict = {"scale": args.scale, "quick": args.quick, "machine": machine(),
                    "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "load_average_before": web.load_average(), "qr_query": args.qr_query, "scenarios": {}}
    scenarios = result["scenarios"]
    db_source = database_for(args.scale)
    result["database"] = str(db_source)
    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="qmi-audience-")))
        db = cleanup.enter_context(web.private_copy(db_source))
        site = args.site
        if site is None and {"showcase", "bytes"} & set(wanted):
            built = build_site(db, workdir / "site")
            result["site"] = built
            site = workdir / "site" if "error" not in built else None
        elif site is not None:
            result["site"] = {"given": str(site)}
        if site is not None:
            result["site"]["pages"] = len(site_pages(site))

        needs_single = {"showcase", "dashboard", "burst", "bytes"} & set(wanted)
        single = cleanup.enter_context(web.Server(web.REPO_DIR / "app.py", db)) if needs_single else None
        front = None
        if single is not None and nginx_binary is not None:
            front = LocalNginx(workdir / "nginx", [single.port], web.free_port(), site_dir=site, workers="auto")
            front.start(nginx_binary)
            cleanup.callback(front.stop)
            web_wait(front.url + "/_stcore/health")
        no_nginx = {"skipped": "nginx not found (apt-get install -y nginx)"}
        no_site = {"skipped": f"no site: {result.get('site', {}).get('error', 'not built')}"}

        for name in wanted:
            print(f"[audience] {name} ...", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                if name == "showcase":
                    scenarios[name] = (no_nginx if front is None else no_site if site is None
                                       else showcase(front, site, size, workdir))
                elif name == "dashboard":
                    scenarios[name] = dashboard(single, args.qr_query, size, args.browsers, db)
                elif name == "burst":
                    scenarios[name] = burst(single, args.qr_query, size)
                elif name == "replicas":
                    scenarios[name] = no_nginx if nginx_binary is None else replicas(
                        db, site, args.qr_query, size, nginx_binary, workdir, cleanup)
                elif name == "memory":
                    scenarios[name] = memory(db, args.qr_query, size, args.session_ttl, cleanup)
                elif name == "bytes":
                    scenarios[name] = no_nginx if front is None else bytes_to_a_phone(front, site, args.qr_query)
            except Exception as error:  # one scenario's failure must not hide the others' figures
                scenarios[name] = {"error": f"{type(error).__name__}: {error}"[:500]}
            scenarios[name]["scenario_s"] = round(time.monotonic() - started, 1)
    result["load_average_after"] = web.load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="M", choices=["S", "M", "L"])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated, in this order or any: {','.join(SCENARIOS)}")
    parser.add_argument("--quick", action="store_true", help="a short smoke run of each scenario")
    parser.add_argument("--site", type=Path, help="a site export-site already built (default: build one)")
    parser.add_argument("--browsers", type=int, default=0, help="real browsers (load.py) during 'dashboard'")
    parser.add_argument("--qr-query", default="edition=1", help="the view the QR code points to")
    parser.add_argument("--session-ttl", type=int, default=15, help="the memory scenario's disconnectedSessionTTL")
    parser.add_argument("--out", nargs="?", const="", help="also write the JSON here"
                        " (no value: docs/performance/audience_<scale>.json)")
    args = parser.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}: choose among {', '.join(SCENARIOS)}")
    if args.site is not None and not (args.site / "index.html").is_file():
        parser.error(f"--site {args.site}: no index.html there (python -m qmi_metrics export-site --out DIR)")
    if not 0 <= args.browsers <= 3:
        parser.error("--browsers: 0 to 3 (more would measure the browsers, not the server)")

    result = run(args)
    text = json.dumps(result, ensure_ascii=False)
    print(text)
    if args.out is not None:
        out = Path(args.out) if args.out else web.REPO_DIR / "docs" / "performance" / f"audience_{args.scale}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
