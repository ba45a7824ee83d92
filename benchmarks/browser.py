"""What the browser benchmarks share: a Streamlit server on a free port, Debian's headless Chromium,
the app's pages as app.py declares them, the "page is ready" condition, and RSS sampling.

The ready condition (READY_JS, polled in the page):
  1. a script run started after the action (a goto, a click): the server's new_session message, or the script
     state `running`; an earlier `notRunning` does not count, so a switch is never taken as finished before its
     run began;
  2. the last run's script_finished message came (not "finished early for a rerun"), the state is `notRunning`
     and the connection `CONNECTED`;
  3. every `stPlotlyChart` has its `.main-svg`, every `stDeckGlJsonChart` its `canvas`, every same-origin
     iframe (the slideshow) a loaded document;
  4. nothing changed state for STABLE_MS: a URL write-back may rerun.
The time reported is when 2 and 3 first held (the last state change, or the poll that saw the last chart
drawn), not the end of the stability window. A `stException`, or a connection that drops (or never comes
up within CONNECT_GRACE_MS of a goto), ends the wait as an error instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from scales import process_rss_mb

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1400, "height": 1400}
STABLE_MS = 500
CONNECT_GRACE_MS = 10_000


# --- server -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`streamlit run SCRIPT` on 127.0.0.1 and a free port; stderr kept in a temporary file (a pipe can fill up)."""

    def __init__(self, script: Path, db: Path | None = None, options: tuple[str, ...] = ()):
        self.script, self.db, self.options = Path(script), db, tuple(options)  # options: streamlit run's flags
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile()

    def start(self) -> "Server":
        env = dict(os.environ)
        if self.db is not None:
            env["QMI_DB"] = str(self.db)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(self.script), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", *self.options],
            cwd=REPO_DIR, env=env, stdout=subprocess.DEVNULL, stderr=self._log)
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_healthy(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.script.name} exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.script.name} did not answer /_stcore/health within {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> "Server":
        self.start()
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def private_copy(db: Path):
    """A copy of the database for this run only: database_for() called meanwhile at another code fingerprint
    (another checkout, an edit) deletes the cached file, and the server would be left without its database."""
    with tempfile.TemporaryDirectory(prefix="qmi-bench-") as directory:
        copy = Path(directory) / Path(db).name
        shutil.copy2(db, copy)
        yield copy


# --- the app's pages ----------------------------------------------------------------------------

def app_pages() -> list[dict]:
    """The app's pages as dashboard/registry.py declares them, in order: name (file stem), French title, url
    path ("" for the default page: its address is the root), whether the sidebar is shown on it."""
    from dashboard import registry

    pages = [{"name": spec.name, "title": spec.label, "path": spec.url_path,
              "sidebar": spec.name != "presentation"}  # the slideshow hides the sidebar (app.py)
             for spec in registry.PAGES]
    return sorted(pages, key=lambda p: p["path"] != "")  # the default page, then the declared order


def page_url(base: str, path: str, query: str = "") -> str:
    return f"{base.rstrip('/')}/{path}" + (f"?{query}" if query else "")


# --- browser ------------------------------------------------------------------------------------

# Records, with their time (performance.now()):
#  - every change of the app's script and connection state: an attribute-only observer on the stApp element
#    (found, and found again if React replaces it, by a 10 ms timer; no subtree observer, which would slow the
#    page down while plotly builds its SVG); attribute records carry the old value, so two changes between two
#    callbacks are both seen;
#  - every loss of the connection (the state leaving CONNECTED, the stream websocket closing), kept even after
#    the client reconnects;
#  - the start and end of every script run, from the server's messages on the websocket (ForwardMsg fields
#    new_session = 4, script_finished = 6, read from the top level of the protobuf): a run of a few ms can go
#    running -> notRunning within one React render, leaving no trace in the DOM (seen with the empty app).
INIT_JS = """
(() => {
  if (window.__qmi) return;
  const S = 'data-test-script-state', C = 'data-test-connection-state';
  const q = window.__qmi = {events: [], last: {script: null, conn: null}, lastChange: 0, app: null,
                            everConnected: false, losses: []};
  const push = (kind, value, t) => {
    if (kind !== 'run' && (value === null || q.last[kind] === value)) return;
    q.last[kind] = value; q.lastChange = Math.max(q.lastChange, t); q.events.push({kind, value, t});
    if (kind === 'conn') {
      if (value === 'CONNECTED') q.everConnected = true;
      else if (q.everConnected) q.losses.push({t, why: value});
    }
  };
  const observer = new MutationObserver(records => {
    const t = performance.now();
    records.forEach((r, i) => {
      const next = records.slice(i + 1).find(x => x.attributeName === r.attributeName);
      push(r.attributeName === S ? 'script' : 'conn', next ? next.oldValue : r.target.getAttribute(r.attributeName), t);
    });
  });
  const attach = () => {
    if (q.app && q.app.isConnected) return;
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return;
    observer.disconnect();
    q.app = app;
    const t = performance.now();
    push('script', app.getAttribute(S), t); push('conn', app.getAttribute(C), t);
    observer.observe(app, {attributes: true, attributeOldValue: true, attributeFilter: [S, C]});
  };
  setInterval(attach, 10);
  const runEvents = (buffer, t) => {
    const b = new Uint8Array(buffer);
    let i = 0;
    const varint = () => { let v = 0, shift = 0, x; do { x = b[i++]; v += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80 && i < b.length); return v; };
    while (i < b.length) {
      const key = varint(), field = Math.floor(key / 8), wire = key & 7;
      if (wire === 0) { const v = varint(); if (field === 6) push('run', v === 2 ? 'rerun' : 'finished', t); }
      else if (wire === 2) { const n = varint(); if (field === 4) push('run', 'started', t); i += n; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return;
    }
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      if (!String(args[0]).includes('_stcore/stream')) return;
      this.addEventListener('close', event => {
        if (q.everConnected) q.losses.push({t: performance.now(), why: `websocket closed, code ${event.code}`});
      });
      this.addEventListener('message', event => {
        const t = performance.now();
        try {
          if (event.data instanceof ArrayBuffer) runEvents(event.data, t);
          else if (event.data instanceof Blob) event.data.arrayBuffer().then(data => runEvents(data, t));
        } catch (error) { /* a message this parser does not understand: the DOM states still count */ }
      });
    }
  };
})();
"""

# Polled by wait_for_function: null while waiting, else {status: "ready"|"error", ...}. See the module docstring.
READY_JS = """
(arg) => {
  const q = window.__qmi;
  const now = performance.now();
  if (!q) return null;
  if (q.wait === undefined || q.wait.token !== arg.token) q.wait = {token: arg.token, drawnSince: null};
  const w = q.wait;
  const since = arg.since === null ? 0 : arg.since;  // null: a new document (goto)
  const dialog = () => { const d = document.querySelector('[role="dialog"]'); return d ? ' — ' + d.innerText.replace(/\\s+/g, ' ').slice(0, 200) : ''; };
  const loss = q.losses.find(l => l.t >= since);
  if (loss)  // kept even if the client reconnected since: its session (and the run waited for) is gone
    return {status: 'error', kind: 'connection', message: `connection lost (${loss.why}; now ${q.last.conn})` + dialog()};
  if (!q.everConnected) {
    if (arg.since === null && now > arg.connectGraceMs)
      return {status: 'error', kind: 'connection', message: `not connected after ${Math.round(now)} ms (${q.last.conn})` + dialog()};
    return null;
  }
  if (q.last.conn !== 'CONNECTED') return null;
  const recent = q.events.filter(e => e.t >= since);
  const started = recent.some(e => e.kind === 'run' && e.value === 'started'
                                   || e.kind === 'script' && e.value !== 'notRunning' && e.value !== 'initial');
  const runs = recent.filter(e => e.kind === 'run');
  const lastRun = runs.length ? runs[runs.length - 1].value : null;
  if (!started || q.last.script !== 'notRunning' || lastRun === 'started' || lastRun === 'rerun') { w.drawnSince = null; return null; }
  const exception = document.querySelector('[data-testid="stException"]');
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const maps = [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')];
  const frames = [...document.querySelectorAll('[data-testid="stApp"] iframe')];
  const frameLoaded = f => { try { const d = f.contentDocument; return !d || (d.readyState === 'complete' && d.body && d.body.childElementCount > 0); } catch (e) { return true; } };
  const loading = document.querySelector('[data-testid="stApp"] [data-testid="stSkeleton"]');  // a lazy element's bundle
  const drawn = exception !== null || (!loading && charts.every(c => c.querySelector('.main-svg'))
                                       && maps.every(m => m.querySelector('canvas')) && frames.every(frameLoaded));
  if (!drawn) { w.drawnSince = null; return null; }
  if (w.drawnSince === null) w.drawnSince = now;
  const readyAt = Math.max(w.drawnSince, q.lastChange);
  if (now - readyAt < arg.stableMs) return null;
  if (exception !== null)
    return {status: 'error', kind: 'exception', message: 'stException: ' + exception.innerText.replace(/\\s+/g, ' ').slice(0, 300)};
  return {status: 'ready', ready_at: readyAt, script_done_at: q.lastChange, epoch_ms: performance.timeOrigin + readyAt,
          charts: charts.length, maps: maps.length, frames: frames.length};
}
"""

STATE_JS = """() => { const q = window.__qmi; if (!q) return 'no state recorder';
  const k = document.querySelectorAll('[data-testid="stApp"] [data-testid="stSkeleton"]').length;
  const c = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const m = [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')];
  return `script=${q.last.script} connection=${q.last.conn} charts drawn ${c.filter(e => e.querySelector('.main-svg')).length}/${c.length}`
       + ` maps drawn ${m.filter(e => e.querySelector('canvas')).length}/${m.length}, ${k} still loading`; }"""

_tokens = iter(range(1, 1 << 62))


async def launch(playwright):
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)


async def new_context(browser, **options):
    context = await browser.new_context(viewport=VIEWPORT, locale="fr-FR", **options)
    await context.add_init_script(INIT_JS)
    return context


async def mark(page) -> dict:
    """Where the next wait starts: now, in the page's clock."""
    return {"since": await page.evaluate("() => performance.now()")}


async def wait_ready(page, since: float | None, timeout_ms: float, polling=25) -> dict:
    """Wait for the ready condition; {status: ready|error|timeout, ...}. `since` None: a goto (new document)."""
    arg = {"since": since, "token": next(_tokens), "stableMs": STABLE_MS, "connectGraceMs": CONNECT_GRACE_MS}
    try:
        handle = await page.wait_for_function(READY_JS, arg=arg, polling=polling, timeout=timeout_ms)
        return await handle.json_value()
    except Exception as error:  # playwright's TimeoutError, or the page went away
        if "Timeout" in type(error).__name__:
            try:
                state = await page.evaluate(STATE_JS)
            except Exception:
                state = "page not readable"
            return {"status": "error", "kind": "timeout", "message": f"not ready after {timeout_ms / 1000:.0f} s ({state})"}
        return {"status": "error", "kind": "browser", "message": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}


async def goto_ready(page, url: str, timeout_ms: float, polling=25) -> dict:
    """Open `url` in `page` and wait until ready; adds ms (from just before the goto) and http status."""
    started_epoch_ms = time.time() * 1000
    try:
        response = await page.goto(url, timeout=timeout_ms, wait_until="commit")
    except Exception as error:
        return {"status": "error", "kind": "navigation", "message": f"goto {url}: {str(error).splitlines()[0][:200]}"}
    if response is not None and response.status >= 400:
        return {"status": "error", "kind": "http", "message": f"HTTP {response.status} on {url}"}
    remaining = timeout_ms - (time.time() * 1000 - started_epoch_ms)
    result = await wait_ready(page, None, max(remaining, 1000), polling)
    if result["status"] == "ready":
        result["ms"] = result["epoch_ms"] - started_epoch_ms
        result["script_ms"] = result["ms"] - (result["ready_at"] - result["script_done_at"])
    return result


async def shows(page) -> str:
    """What the page says, in short: its first heading and first alert (to tell an error page)."""
    try:
        return await page.evaluate("""() => [document.querySelector('[data-testid="stMain"] h1'),
                                             document.querySelector('[data-testid="stMain"] [data-testid="stAlert"]')]
            .filter(e => e).map(e => e.innerText.replace(/\\s+/g, ' ').slice(0, 160)).join(' | ')""")
    except Exception:
        return "?"


async def click_ready(page, locator, timeout_ms: float, polling=25) -> dict:
    """Click `locator` (a sidebar link...) and wait until ready; ms from the click, in the page's clock."""
    try:
        if await locator.count() == 0:
            return {"status": "error", "kind": "navigation",
                    "message": f"no such sidebar link (navigation hidden?); the page shows: {await shows(page)}"}
        await locator.scroll_into_view_if_needed(timeout=5000)
        handle = await locator.element_handle(timeout=5000)
        since = await page.evaluate("(el) => { const t = performance.now(); el.click(); return t; }", handle)
    except Exception as error:
        return {"status": "error", "kind": "click", "message": f"click: {str(error).splitlines()[0][:200]}"}
    result = await wait_ready(page, since, timeout_ms, polling)
    if result["status"] == "ready":
        result["ms"] = result["ready_at"] - since
        result["script_ms"] = result["script_done_at"] - since
    return result


def nav_link(page, path: str):
    """The sidebar link to a page ("" for the default page, whose address is the root)."""
    links = page.locator('.st-key-navigation a[data-testid="stPageLink-NavLink"]')
    if path:
        # st.page_link's address is relative to the app's root ("carte"), Streamlit's own menu's was absolute.
        return links.and_(page.locator(f'a[href="{path}"], a[href$="/{path}"]')).first
    return links.first


def load_average() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages: above the core count, timings are inflated by others."""
    return [round(x, 2) for x in os.getloadavg()]


# --- memory -------------------------------------------------------------------------------------

class RssSampler:
    """Samples the RSS of processes (each with its children) every `interval_s` in a thread."""

    def __init__(self, pids: list[int], interval_s: float = 0.5):
        self.pids, self.interval_s = list(pids), interval_s
        self.samples: list[tuple[float, dict[int, float]]] = []  # (seconds since start, {pid: MB})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> None:
        self.samples.append((time.monotonic() - self.started, {pid: process_rss_mb(pid) for pid in self.pids}))

    def start(self) -> "RssSampler":
        self.started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def total_at(self, seconds: float) -> float:
        """The summed RSS of the first sample at or after `seconds` (the last one if none)."""
        for t, by_pid in self.samples:
            if t >= seconds:
                return sum(by_pid.values())
        return self.last_total()

    def last_total(self) -> float:
        return sum(self.samples[-1][1].values()) if self.samples else 0.0

    def peak_total(self) -> float:
        return max((sum(by_pid.values()) for _, by_pid in self.samples), default=0.0)

    def peak_by_pid(self) -> dict[int, float]:
        return {pid: max((s[1].get(pid, 0.0) for s in self.samples), default=0.0) for pid in self.pids}
