"""Sessions that speak Streamlit's websocket protocol, no browser: script runs timed at the server.

    python benchmarks/protocol.py --sessions N --over S [--filter-changes 2] [--url URL] [--scale S|M|L]
                                  [--db PATH] [--page NAME] [--query "edition=1"] [--think-s 2] [--json]

What one session does, as the browser does it (Streamlit 1.67, read from its runtime and web/server code):
  1. opens ws://HOST/_stcore/stream with the `streamlit` subprotocol, an Origin header (the server refuses a
     foreign one) and a `qmi_replica` cookie of its own (deploy/nginx.conf hashes it to pick a replica, as it
     would a browser's);
  2. sends a BackMsg `rerun_script` whose ClientState carries the page's query string, its page name (the URL
     path: st.navigation resolves it; "" is the default page) and the browser's context (locale, time zone);
  3. reads ForwardMsgs until `script_finished`: FINISHED_SUCCESSFULLY ends the run; FINISHED_EARLY_FOR_RERUN
     means the script asked for another run (st.rerun, st.switch_page), which follows on the same socket and
     is part of the same wait. While reading it keeps what the browser keeps: the query string the script
     writes back (`page_info_changed`), the page's script hash (`navigation`), the sidebar's widgets;
  4. changes a sidebar filter the way the browser does when a person picks another value: a new
     `rerun_script` with the page's script hash, the current query string and the changed widget's state
     (edition: another option of the selectbox; communes: one commune in the multiselect). The browser sends
     every widget's state; the server keeps the state of the widgets not sent (SessionState), so sending the
     changed one is the same request. The URL is read once per session by dashboard/ui/sidebar.py, so a new
     query string alone would not change the view: the widget is what changes it.
Errors: an exception element (a delta whose new_element is an `exception`), FINISHED_WITH_COMPILE_ERROR,
`page_not_found`, a script compilation error event, no script_finished within the run timeout, a refused or
dropped connection. Sessions keep their socket open until every session is done (the room keeps its tabs
open), then all close.

Why a small asyncio client and not Locust: README, *Performance*, *Audience*. `client_cpu_s` in the result says
what the client itself cost.

Loopback only (127.0.0.1, localhost, ::1): this is a load generator. Bounded: at most MAX_SESSIONS sessions,
a run timeout, and a deadline for the whole run after which unfinished sessions are cancelled and counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import resource
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.typing import Origin, Subprotocol  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_SESSIONS = 500
RUN_TIMEOUT_S = 60.0
ERROR_SAMPLES = 12
FILTER_WIDGETS = ("f_edition", "f_communes")  # the sidebar keys a session changes (dashboard/ui/sidebar.py)


class NotLoopback(ValueError):
    pass


def stream_url(base: str) -> tuple[str, str]:
    """The websocket address and the Origin header for an app at `base` (http://host:port[/path])."""
    url = urlparse(base)
    if url.scheme not in ("http", "https") or url.hostname not in LOOPBACK:
        raise NotLoopback(f"the load client talks to loopback only ({', '.join(sorted(LOOPBACK))}), not {base!r}")
    scheme = "wss" if url.scheme == "https" else "ws"
    return f"{scheme}://{url.netloc}{url.path.rstrip('/')}/_stcore/stream", f"{url.scheme}://{url.netloc}"


@dataclass
class Run:
    kind: str  # open, filter
    ms: float | None = None
    error: str | None = None  # the error's kind
    message: str = ""


@dataclass
class Widget:
    id: str
    options: list[str]
    current: list[str]


class RunError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class Session:
    """One Streamlit session over one websocket, and what it keeps between runs (what the browser keeps)."""

    def __init__(self, socket, page: str, query: str, url: str):
        self.socket, self.page_name, self.query_string, self.url = socket, page, query, url
        self.page_script_hash = ""
        self.widgets: dict[str, Widget] = {}  # by the sidebar key its id ends with

    def _client_state(self, back: BackMsg) -> None:
        state = back.rerun_script
        state.query_string = self.query_string
        state.page_name = self.page_name
        state.page_script_hash = self.page_script_hash
        state.context_info.locale = "fr-FR"
        state.context_info.timezone = "Europe/Paris"
        state.context_info.timezone_offset = -60
        state.context_info.url = self.url

    async def open(self, timeout_s: float) -> float:
        back = BackMsg()
        self._client_state(back)
        return await self._run(back, timeout_s)

    async def change_filter(self, rng: random.Random, timeout_s: float) -> float:
        choices = [key for key in FILTER_WIDGETS if key in self.widgets and len(self.widgets[key].options) > 1]
        if not choices:
            raise RunError("widget", f"no sidebar filter to change (widgets seen: {sorted(self.widgets)})")
        key = rng.choice(choices)
        widget = self.widgets[key]
        back = BackMsg()
        self._client_state(back)
        state = back.rerun_script.widget_states.widgets.add()
        state.id = widget.id
        if key == "f_edition":
            state.string_value = rng.choice([o for o in widget.options if o not in widget.current])
        else:
            state.string_array_value.data.append(rng.choice([o for o in widget.options if o not in widget.current]))
        before = self.query_string
        ms = await self._run(back, timeout_s)
        if self.query_string == before:  # the sidebar writes the view into the URL: unchanged, the change was lost
            raise RunError("filter", f"{key} changed but the page's address stayed {before!r}")
        return ms

    async def _run(self, back: BackMsg, timeout_s: float) -> float:
        started = time.perf_counter()
        await self.socket.send(back.SerializeToString())
        try:
            await asyncio.wait_for(self._until_finished(), timeout_s)
        except TimeoutError:
            raise RunError("timeout", f"no script_finished within {timeout_s:g} s") from None
        return (time.perf_counter() - started) * 1000

    async def _until_finished(self) -> None:
        self.widgets = {}
        exception = None
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.socket.recv())
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                element_type = element.WhichOneof("type")
                if element_type == "exception" and exception is None:
                    exception = f"{element.exception.type}: {element.exception.message}"[:300]
                elif element_type in ("selectbox", "multiselect"):
                    self._keep_widget(element_type, getattr(element, element_type))
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "navigation":
                self.page_script_hash = msg.navigation.page_script_hash
            elif kind == "page_not_found":
                raise RunError("page_not_found", f"page not found: {self.page_name!r}")
            elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
                raise RunError("compile", msg.session_event.script_compilation_exception.message[:300])
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the script asked for another run: it follows, same wait
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise RunError("compile", "script finished with a compile error")
                if exception is not None:
                    raise RunError("exception", exception)
                if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return
                # FINISHED_FRAGMENT_RUN_SUCCESSFULLY: a fragment's own rerun, not the page's run we wait for

    def _keep_widget(self, element_type: str, proto) -> None:
        key = next((k for k in FILTER_WIDGETS if proto.id.endswith(f"-{k}")), None)
        if key is None:
            return
        options = list(proto.options)
        if element_type == "selectbox":
            current = [proto.raw_value] if proto.set_value else ([options[proto.default]] if options else [])
        else:
            current = list(proto.raw_values) if proto.set_value else [options[i] for i in proto.default]
        self.widgets[key] = Widget(proto.id, options, current)


# --- a run of many sessions -------------------------------------------------------------------------------

@dataclass
class Outcome:
    runs: list[Run] = field(default_factory=list)
    sessions_done: int = 0  # every run of the session finished without an error
    sessions_failed: int = 0


async def one_session(number: int, base: str, page: str, query: str, filter_changes: int, think_s: float,
                      rng: random.Random, outcome: Outcome, all_done: asyncio.Event, run_timeout_s: float,
                      linger: bool) -> None:
    ws_url, origin = stream_url(base)
    address = f"{base.rstrip('/')}/{page}" + (f"?{query}" if query else "")
    cookie = f"qmi_replica={secrets.token_hex(8)}"  # what the browser would carry after its first page
    run = Run("open")
    done = False
    try:
        async with connect(ws_url, subprotocols=[Subprotocol("streamlit")], origin=Origin(origin),
                           additional_headers={"Cookie": cookie}, ping_interval=None, max_size=None,
                           open_timeout=run_timeout_s, close_timeout=5) as socket:
            session = Session(socket, page, query, address)
            run.ms = await session.open(run_timeout_s)
            outcome.runs.append(run)
            for _ in range(filter_changes):
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
                run = Run("filter")
                run.ms = await session.change_filter(rng, run_timeout_s)
                outcome.runs.append(run)
            outcome.sessions_done += 1
            done = True
            if linger:
                await all_done.wait()
        return
    except RunError as error:
        run.error, run.message = error.kind, str(error)
    except asyncio.CancelledError:
        if not done:
            run.error, run.message = "unfinished", f"[session {number}, {run.kind}] still running at the deadline"
            outcome.runs.append(run)
            outcome.sessions_failed += 1
        raise
    except (OSError, TimeoutError) as error:
        run.error, run.message = "connection", f"{type(error).__name__}: {error}"[:300]
    except Exception as error:  # websockets' ConnectionClosed, InvalidStatus (a 502 from nginx)…
        run.error, run.message = "connection", f"{type(error).__name__}: {error}"[:300]
    run.message = f"[session {number}, {run.kind}] {run.message}"
    outcome.runs.append(run)
    outcome.sessions_failed += 1


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))], 1)


def latency(runs: list[Run]) -> dict:
    values = [r.ms for r in runs if r.error is None]
    return {"n": len(values), "p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95),
            "max_ms": round(max(values), 1) if values else None}


async def load(base: str, *, sessions: int, over_s: float, page: str = "", query: str = "", filter_changes: int = 2,
               think_s: float = 2.0, run_timeout_s: float = RUN_TIMEOUT_S, deadline_s: float = 300.0,
               seed: int = 0, linger: bool = True) -> dict:
    """`sessions` sessions arriving evenly over `over_s` seconds (0: all at once), each opening `page?query`
    then changing a filter `filter_changes` times; the summary of their script runs."""
    stream_url(base)  # refuses a host that is not loopback before anything starts
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be between 1 and {MAX_SESSIONS}, not {sessions}")
    if over_s < 0 or think_s < 0 or run_timeout_s <= 0 or deadline_s <= 0 or filter_changes < 0:
        raise ValueError("over_s, think_s and filter_changes must be >= 0, run_timeout_s and deadline_s > 0")
    outcome = Outcome()
    all_done = asyncio.Event()
    rng = random.Random(seed)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()

    async def arrive(number: int) -> None:
        await asyncio.sleep(over_s * number / sessions)
        await one_session(number + 1, base, page, query, filter_changes, think_s, random.Random(rng.random()),
                          outcome, all_done, run_timeout_s, linger)

    tasks = [asyncio.create_task(arrive(i)) for i in range(sessions)]
    waiter = asyncio.create_task(_all_done_when(outcome, sessions, all_done))
    _, pending = await asyncio.wait(tasks, timeout=deadline_s)
    waiter.cancel()
    all_done.set()
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, waiter, return_exceptions=True)
    wall_s = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)

    errors = [r for r in outcome.runs if r.error is not None]
    kinds: dict[str, int] = {}
    for r in errors:
        kinds[r.error] = kinds.get(r.error, 0) + 1
    samples = list(dict.fromkeys(f"{r.error}: {r.message}" for r in errors))[:ERROR_SAMPLES]
    overall = latency(outcome.runs)
    return {
        "url": base, "page": page, "query": query, "sessions": sessions, "over_s": over_s,
        "filter_changes": filter_changes, "think_s": think_s,
        "sessions_done": outcome.sessions_done, "sessions_failed": outcome.sessions_failed,
        "runs": overall["n"], "errors": len(errors), "error_kinds": kinds, "error_samples": samples,
        "p50_ms": overall["p50_ms"], "p95_ms": overall["p95_ms"], "max_ms": overall["max_ms"],
        "by_kind": {kind: latency([r for r in outcome.runs if r.kind == kind]) for kind in ("open", "filter")},
        "wall_s": round(wall_s, 1),
        "client_cpu_s": round(cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime, 2),
        "run_timeout_s": run_timeout_s, "deadline_s": deadline_s,
    }


async def _all_done_when(outcome: Outcome, sessions: int, all_done: asyncio.Event) -> None:
    while outcome.sessions_done + outcome.sessions_failed < sessions:
        await asyncio.sleep(0.1)
    all_done.set()


# --- command line --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, required=True, help=f"at most {MAX_SESSIONS}")
    parser.add_argument("--over", type=float, default=30.0, help="seconds over which sessions arrive (0: at once)")
    parser.add_argument("--filter-changes", type=int, default=2, help="filter changes after the first run")
    parser.add_argument("--url", help="an app already running (loopback only); default: start one")
    parser.add_argument("--scale", default="S", help="the database of the server started (S, M or L)")
    parser.add_argument("--db", type=Path, help="the database of the server started (instead of --scale)")
    parser.add_argument("--page", default="", help="the page's address: '' (the default page), carte, projets…")
    parser.add_argument("--query", default="edition=1", help="its query string, as the QR code's link carries it")
    parser.add_argument("--think-s", type=float, default=2.0, help="mean pause before each filter change")
    parser.add_argument("--run-timeout", type=float, default=RUN_TIMEOUT_S)
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds after which the run is cut")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.url:
        try:
            stream_url(args.url)
        except NotLoopback as error:
            parser.error(str(error))
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")

    options = dict(sessions=args.sessions, over_s=args.over, page=args.page, query=args.query,
                   filter_changes=args.filter_changes, think_s=args.think_s, run_timeout_s=args.run_timeout,
                   deadline_s=args.deadline, seed=args.seed)
    if args.url:
        result = asyncio.run(load(args.url, **options))
    else:
        import browser as web
        from scales import database_for

        db = args.db or database_for(args.scale)
        with web.private_copy(db) as copy, web.Server(web.REPO_DIR / "app.py", copy) as server:
            result = asyncio.run(load(server.url, **options))
            result["database"] = str(db)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:16s} {value}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
