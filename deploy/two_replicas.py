#!/usr/bin/env python3
"""Two dashboard replicas behind nginx on loopback, a load run through nginx, one replica killed partway.

    python deploy/two_replicas.py --db PATH [--sessions 6] [--minutes 3] [--kill-after 60] [--kill-replica 2]
                                  [--replicas 2] [--out result.json] [--keep]

Installs nothing. Needs Debian's nginx (`apt-get install -y nginx`); the observer session needs
/usr/bin/chromium and the playwright package (requirements.txt); the load needs benchmarks/load.py
(without it, `--no-load` runs the observer alone). nginx gets its own prefix in a temporary folder
(config, pid, logs, temp files), so no root and no system nginx are involved. The nginx site is
deploy/nginx.conf rendered exactly as docs/deploy.md says, wrapped in a minimal main config (deploy/local_nginx.py).

What it records (printed, and written to --out as JSON): the load script's JSON; nginx's access log
per replica before and after the kill (requests, websockets, failovers, 5xx); nginx's error log; and
an observer: one browser session pinned to the replica that dies, its connection state over time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: the repository's own packages (its settings registry)
from local_nginx import LocalNginx, find_nginx  # noqa: E402  (deploy/, this script's folder)

from qmi_metrics.store import settings  # noqa: E402

LOAD_SCRIPT = REPO / "benchmarks" / "load.py"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
APP_STATE = '[data-testid="stApp"]'
FINISHED = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
LOG_LINE = re.compile(r'^(?P<t>[\d.]+) (?P<status>\d{3}) "(?P<ustatus>[^"]*)" "(?P<uaddr>[^"]*)" route=(?P<route>\S*)'
                      r' rt=(?P<rt>[\d.]+) bytes=(?P<bytes>\d+) "(?P<request>[^"]*)"$')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout:g} s")
        time.sleep(0.2)


class Stack:
    """The replicas and nginx this script started; stopped by their own pids only."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.replicas: list[tuple[int, subprocess.Popen]] = []
        self.nginx: LocalNginx | None = None

    def start_replica(self, number: int, port: int, db: Path, app_dir: Path, cookie_secret: str) -> subprocess.Popen:
        env = {**os.environ, "QMI_DB": str(db), "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret}
        log = open(self.workdir / f"replica{number}.log", "w")
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.replicas.append((port, process))
        return process

    def start_nginx(self, nginx: str, ports: list[int], listen_port: int) -> LocalNginx:
        self.nginx = LocalNginx(self.workdir, ports, listen_port).start(nginx)
        return self.nginx

    def stop(self) -> None:
        for _, process in self.replicas:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        if self.nginx is not None:
            self.nginx.stop()
        for _, process in self.replicas:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- nginx's logs -------------------------------------------------------------------------------


def read_access_log(path: Path) -> list[dict]:
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = LOG_LINE.match(line)
        if match:
            entry = match.groupdict()
            entry["t"], entry["rt"], entry["status"] = float(entry["t"]), float(entry["rt"]), int(entry["status"])
            entry["upstreams"] = [a.strip() for a in re.split(r"[,:]\s(?=\d)|,\s*", entry["uaddr"]) if a.strip() and a.strip() != "-"]
            entries.append(entry)
    return entries


def replica_of(address: str, ports: list[int]) -> str:
    port = address.rsplit(":", 1)[-1]
    return f"replica{ports.index(int(port)) + 1}" if port.isdigit() and int(port) in ports else address


def summarise_access(entries: list[dict], ports: list[int], kill_time: float | None) -> dict:
    """Per period (before / after the kill) and per replica: requests served, websockets, failovers, 5xx."""
    periods: dict[str, dict] = {}
    for entry in entries:
        # A websocket is logged when it closes: its start is the log time minus its duration.
        started = entry["t"] - entry["rt"]
        period = "before_kill" if kill_time is None or started < kill_time else "after_kill"
        summary = periods.setdefault(period, {"requests": Counter(), "websockets": Counter(), "failovers": 0,
                                              "status_5xx": 0, "statuses": Counter()})
        final = replica_of(entry["upstreams"][-1], ports) if entry["upstreams"] else "none"
        summary["requests"][final] += 1
        summary["statuses"][str(entry["status"])] += 1
        if "/_stcore/stream" in entry["request"]:
            summary["websockets"][final] += 1
        if len(entry["upstreams"]) > 1:
            summary["failovers"] += 1
        if entry["status"] >= 500:
            summary["status_5xx"] += 1
    closed_at_kill = Counter()
    if kill_time is not None:
        for entry in entries:
            if "/_stcore/stream" in entry["request"] and entry["upstreams"] and abs(entry["t"] - kill_time) < 5:
                closed_at_kill[replica_of(entry["upstreams"][-1], ports)] += 1
    return {"periods": {k: {key: (dict(v) if isinstance(v, Counter) else v) for key, v in s.items()}
                        for k, s in periods.items()},
            "websockets_closed_within_5s_of_kill": dict(closed_at_kill)}


def summarise_errors(path: Path) -> dict:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
    kinds = Counter()
    for line in lines:
        for kind in ("connect() failed", "upstream prematurely closed", "no live upstreams", "upstream timed out",
                     "recv() failed"):
            if kind in line:
                kinds[kind] += 1
    worth = [line for line in lines if ("[error]" in line or "[warn]" in line) and "buffered to a temporary file" not in line]
    return {"counts": dict(kinds), "samples": worth[:8]}


# --- checks through nginx -----------------------------------------------------------------------


def plumbing_check(url: str, access_log: Path, ports: list[int]) -> dict:
    """Without a browser: the cookie is set, a browser with a cookie stays on one replica, cookies spread."""
    with urllib.request.urlopen(url + "/", timeout=10) as response:
        cookie = " ".join(response.headers.get_all("Set-Cookie") or [])
        first_status = response.status
    route = re.search(r"qmi_replica=([^;]+)", cookie)
    for _ in range(10):
        request = urllib.request.Request(url + "/_stcore/health", headers={"Cookie": f"qmi_replica={route.group(1)}"} if route else {})
        urllib.request.urlopen(request, timeout=10).read()
    fresh_routes = []
    for _ in range(20):
        with urllib.request.urlopen(url + "/_stcore/health", timeout=10) as response:
            found = re.search(r"qmi_replica=([^;]+)", " ".join(response.headers.get_all("Set-Cookie") or []))
            fresh_routes.append(found.group(1) if found else None)
    time.sleep(0.3)  # nginx writes the log line after the response
    entries = read_access_log(access_log)
    pinned = {replica_of(e["upstreams"][-1], ports) for e in entries if route and e["route"] == route.group(1)}
    spread = Counter(replica_of(e["upstreams"][-1], ports) for e in entries if e["route"] in fresh_routes)
    return {"index_status": first_status, "cookie_set": bool(route), "one_cookie_replicas": sorted(pinned),
            "twenty_new_browsers_per_replica": dict(spread)}


def route_of(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "qmi_replica"), None)


STATE_JS = """() => { const a = document.querySelector('[data-testid="stApp"]');
  const e = document.querySelector('[data-testid="stException"]');
  return a ? [a.getAttribute('data-test-connection-state'), a.getAttribute('data-test-script-state'),
              document.querySelectorAll('[data-testid="stException"]').length,
              e ? e.innerText.slice(0, 300) : null, location.pathname] : [null, null, 0, null, null]; }"""
NAV_LINKS = '.st-key-navigation a'


class Session:
    """One browser (its own context, so its own cookie) and what it saw."""

    def __init__(self, number: int, context, page, replica: str | None, route: str | None):
        self.number, self.context, self.page, self.replica, self.route = number, context, page, replica, route
        self.timeline: list[dict] = []
        self.last = None
        self.clicks = 0
        self.unfinished_clicks = 0  # a page run that had not finished when the next click came
        self.max_exceptions = 0
        self.disconnected_since: float | None = None
        self.disconnected_s = 0.0

    def sample(self, now: float, t0: float) -> None:
        try:
            state = self.page.evaluate(STATE_JS)
        except Exception as error:  # noqa: BLE001 - the page is navigating
            state = ["evaluate-failed", type(error).__name__, 0, None, None]
        now = time.time()  # when the state was read (a busy page answers late)
        if state != self.last:
            self.timeline.append({"t_s": round(now - t0, 2), "connection": state[0], "script": state[1],
                                  "exceptions": state[2], "path": state[4]}
                                 | ({"exception": state[3]} if state[3] else {}))
            self.last = state
        self.max_exceptions = max(self.max_exceptions, state[2] or 0)
        if state[0] != "CONNECTED" and self.disconnected_since is None:
            self.disconnected_since = now
        elif state[0] == "CONNECTED" and self.disconnected_since is not None:
            self.disconnected_s += now - self.disconnected_since
            self.disconnected_since = None

    def click_next(self) -> None:
        """The next sidebar page; skipped while disconnected (a wait there would stall every session's sampling)."""
        if not self.last or self.last[0] != "CONNECTED":
            return
        if self.last[1] != "notRunning":
            self.unfinished_clicks += 1
        links = self.page.locator(NAV_LINKS)
        count = links.count()
        if count:
            self.clicks += 1
            links.nth(self.clicks % count).click(timeout=2_000)


def open_session(browser, url: str, number: int, access_log: Path, ports: list[int]) -> Session:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url + "/", wait_until="domcontentloaded")
    page.wait_for_selector(FINISHED, timeout=90_000)
    time.sleep(0.3)  # nginx logs a request once it has answered
    route = route_of(context)
    served = [e for e in read_access_log(access_log) if e["route"] == route and e["upstreams"]]
    replica = replica_of(served[0]["upstreams"][-1], ports) if served else None
    return Session(number, context, page, replica, route)


def observe(url: str, access_log: Path, ports: list[int], target_port: int, until: float, kill_state: dict,
            browsers: int = 1, click_every_s: float | None = None, on_ready=None) -> dict:
    """Browser sessions through nginx, the first one pinned to the replica that will die; each one's
    connection state sampled every 0.25 s, and, with click_every_s, a sidebar page clicked in turn."""
    from playwright.sync_api import sync_playwright

    victim = replica_of(f"127.0.0.1:{target_port}", ports)
    report: dict = {"sessions": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            sessions: list[Session] = []
            for attempt in range(1, 16):  # new cookies until one lands on the replica to kill
                session = open_session(browser, url, 1, access_log, ports)
                if session.replica == victim:
                    report["pin_attempts"] = attempt
                    sessions.append(session)
                    break
                session.context.close()
            if not sessions:
                report["error"] = f"no new browser landed on {victim}"
                return report
            for number in range(2, browsers + 1):
                sessions.append(open_session(browser, url, number, access_log, ports))
            report["sessions_ready_at_s"] = round(time.time() - kill_state["t0"], 1)
            if on_ready is not None:
                until = on_ready()
            next_click = time.time() + (click_every_s or 0)
            turn = 0
            while time.time() < until:
                now = time.time()
                for session in sessions:
                    session.sample(now, kill_state["t0"])
                if click_every_s and now >= next_click:
                    session = sessions[turn % len(sessions)]
                    try:
                        session.click_next()
                    except Exception as error:  # noqa: BLE001 - a click on a disconnected page
                        session.timeline.append({"t_s": round(now - kill_state["t0"], 2), "click_failed": type(error).__name__})
                    turn += 1
                    next_click = now + click_every_s / len(sessions)
                time.sleep(0.25)
        finally:
            browser.close()  # closes the websockets too: nginx logs a websocket when it closes
        time.sleep(0.5)
        killed = kill_state.get("killed_at")
        for session in sessions:
            if session.disconnected_since is not None:
                session.disconnected_s += time.time() - session.disconnected_since
            entry = {"session": session.number, "replica_at_start": session.replica,
                     "clicks": session.clicks, "unfinished_clicks": session.unfinished_clicks,
                     "max_exceptions_shown": session.max_exceptions,
                     "disconnected_s": round(session.disconnected_s, 2), "timeline": session.timeline}
            if killed:
                later = [e for e in read_access_log(access_log) if e["route"] == session.route and e["upstreams"]
                         and e["t"] - e["rt"] > killed]  # requests started after the kill
                entry["after_kill_served_by"] = dict(Counter(replica_of(e["upstreams"][-1], ports) for e in later))
                entry["after_kill_failovers"] = sum(len(e["upstreams"]) > 1 for e in later)
                entry["after_kill_5xx"] = sum(e["status"] >= 500 for e in later)
                # nginx's view (not slowed by the browser's sampling): when the websocket opened again, where.
                sockets = [e for e in later if "/_stcore/stream" in e["request"]]
                if sockets:
                    first = min(sockets, key=lambda e: e["t"] - e["rt"])
                    entry["websocket_reopened_after_kill_s"] = round(first["t"] - first["rt"] - killed, 2)
                    entry["websocket_reopened_on"] = replica_of(first["upstreams"][-1], ports)
                kill_t = killed - kill_state["t0"]
                after = [e for e in session.timeline if "connection" in e and e["t_s"] >= kill_t]
                lost = next((i for i, e in enumerate(after) if e["connection"] != "CONNECTED"), None)
                entry["saw_disconnect_after_kill"] = lost is not None
                if lost is not None:
                    back = next((e for e in after[lost:] if e["connection"] == "CONNECTED"
                                 and e["script"] == "notRunning"), None)
                    entry["back_to_finished_page_after_kill_s"] = round(back["t_s"] - kill_t, 2) if back else None
            report["sessions"].append(entry)
    return report


# --- the run ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path(settings.value("QMI_DB")),
                        help="the published database every replica serves (default: $QMI_DB or data/qmi.duckdb)")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="where app.py is (default: this repository)")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--kill-after", type=float, default=60.0, help="seconds into the load run (negative: never)")
    parser.add_argument("--kill-replica", type=int, default=2, help="which replica to SIGKILL (1-based)")
    parser.add_argument("--load", type=Path, default=LOAD_SCRIPT, help="the load script (benchmarks/load.py)")
    parser.add_argument("--no-load", action="store_true", help="no load script: the observer session only")
    parser.add_argument("--no-observer", action="store_true", help="no browser session pinned to the killed replica")
    parser.add_argument("--browsers", type=int, help="browser sessions of this script's own (default: 1 with the load"
                        " script, --sessions with --no-load); the first is pinned to the replica to kill")
    parser.add_argument("--click-every", type=float, help="seconds between two sidebar clicks, across the browser"
                        " sessions (default: none with the load script, 5 with --no-load)")
    parser.add_argument("--out", type=Path, help="write the result JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, nginx config)")
    args = parser.parse_args(argv)

    nginx = find_nginx()
    if nginx is None:
        print("nginx introuvable : installez-le (Debian : apt-get install -y nginx) / nginx not found:"
              " install it (Debian: apt-get install -y nginx). This script installs nothing.", file=sys.stderr)
        return 2
    if not args.db.is_file():
        print(f"base introuvable / database not found: {args.db} (python -m qmi_metrics build --db {args.db})",
              file=sys.stderr)
        return 2
    run_load = not args.no_load
    if run_load and not args.load.is_file():
        print(f"{args.load} absent: add --no-load to run the observer alone", file=sys.stderr)
        return 2
    if not args.no_observer and not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} absent (apt-get install -y chromium), or add --no-observer", file=sys.stderr)
        return 2
    if not 1 <= args.kill_replica <= args.replicas:
        print(f"--kill-replica must be between 1 and {args.replicas}", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="qmi-replicas-"))
    stack = Stack(workdir)
    result: dict = {"db": str(args.db), "replicas": args.replicas, "sessions": args.sessions, "minutes": args.minutes,
                    "kill_after_s": args.kill_after, "killed_replica": f"replica{args.kill_replica}", "workdir": str(workdir)}
    try:
        ports = [free_port() for _ in range(args.replicas)]
        cookie_secret = secrets.token_urlsafe(32)  # the same on every replica (XSRF cookies, st.login)
        for number, port in enumerate(ports, start=1):
            stack.start_replica(number, port, args.db.resolve(), args.app_dir.resolve(), cookie_secret)
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/_stcore/health")
        listen_port = free_port()
        url = stack.start_nginx(nginx, ports, listen_port).url
        wait_http(url + "/_stcore/health", timeout=20)
        result["ports"] = {f"replica{i}": p for i, p in enumerate(ports, start=1)} | {"nginx": listen_port}
        result["plumbing"] = plumbing_check(url, workdir / "access.log", ports)
        print("plumbing:", json.dumps(result["plumbing"]), flush=True)

        victim_port, victim = stack.replicas[args.kill_replica - 1]
        kill_state: dict = {"t0": time.time()}

        def kill() -> None:
            kill_state["killed_at"] = time.time()
            os.kill(victim.pid, signal.SIGKILL)
            print(f"killed replica{args.kill_replica} (pid {victim.pid}, port {victim_port})"
                  f" at {kill_state['killed_at'] - kill_state['t0']:.1f} s", flush=True)

        load_process = None
        if run_load:
            command = [sys.executable, str(args.load), "--sessions", str(args.sessions), "--minutes", str(args.minutes),
                       "--url", url, "--db", str(args.db), "--server-pid", *[str(p.pid) for _, p in stack.replicas],
                       "--json"]
            result["load_command"] = " ".join(command)
            load_out, load_err = open(workdir / "load.stdout", "w"), open(workdir / "load.stderr", "w")
            load_process = subprocess.Popen(command, cwd=REPO, stdout=load_out, stderr=load_err, start_new_session=True)
        timer = threading.Timer(args.kill_after, kill) if args.kill_after >= 0 else None
        until = kill_state["t0"] + args.minutes * 60

        def start_clock() -> float:
            """Without the load script, the run (and the kill countdown) starts once the sessions are open."""
            kill_state["t0"] = time.time()
            if timer:
                timer.start()
            return kill_state["t0"] + args.minutes * 60

        if timer and (run_load or args.no_observer):
            timer.start()
        if not args.no_observer:
            try:
                browsers = args.browsers or (1 if run_load else args.sessions)
                click_every = args.click_every if args.click_every is not None else (None if run_load else 5.0)
                result["observer"] = observe(url, workdir / "access.log", ports, victim_port, until, kill_state,
                                             browsers=browsers, click_every_s=click_every,
                                             on_ready=None if run_load else start_clock)
                until = kill_state["t0"] + args.minutes * 60
            except Exception as error:  # the observer must not hide the load run's outcome
                result["observer"] = {"error": f"{type(error).__name__}: {error}"}
        if load_process is not None:
            try:
                load_process.wait(timeout=max(0.0, until - time.time()) + 600)
            except subprocess.TimeoutExpired:
                load_process.kill()
                load_process.wait()
            load_out.close()
            load_err.close()
            result["load_exit_code"] = load_process.returncode
            text = (workdir / "load.stdout").read_text(encoding="utf-8").strip()
            try:
                result["load"] = json.loads(text[text.index("{"):]) if "{" in text else None
            except ValueError:
                result["load"] = None
            if result["load"] is None:
                result["load_stdout_tail"] = text[-2000:]
                result["load_stderr_tail"] = (workdir / "load.stderr").read_text(encoding="utf-8")[-2000:]
        else:
            time.sleep(max(0.0, until - time.time()))
        if timer:
            timer.cancel()
        result["killed_at_s"] = round(kill_state["killed_at"] - kill_state["t0"], 1) if "killed_at" in kill_state else None
        result["survivors_healthy"] = {}
        for number, (port, process) in enumerate(stack.replicas, start=1):
            try:
                wait_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                result["survivors_healthy"][f"replica{number}"] = True
            except TimeoutError:
                result["survivors_healthy"][f"replica{number}"] = False
        time.sleep(0.5)
        result["nginx_access"] = summarise_access(read_access_log(workdir / "access.log"), ports, kill_state.get("killed_at"))
        result["nginx_errors"] = summarise_errors(workdir / "error.log")
    finally:
        stack.stop()
    text = json.dumps(result, ensure_ascii=False, indent=2, default=str)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
