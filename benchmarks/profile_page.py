"""Where a page's script spends its time: pyinstrument over one run of the page, first (cold
caches) and again (warm), as the server runs it.

    python benchmarks/profile_page.py --scale M --page carte [--warm-only] [--html out.html]

The script runs through Streamlit's AppTest (no browser): this is the server's share of a page's
time; benchmarks/pages.py measures the whole, drawing in Chromium included.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scales  # noqa: E402  (puts the repository on sys.path)

# benchmarks/ must not shadow the app's modules on sys.path (benchmarks/pages.py, scales…).
sys.path[:] = [str(scales.REPO_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from dashboard import registry  # noqa: E402

PAGES = registry.NAMES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="M", type=str.upper, choices=scales.SCALES)
    parser.add_argument("--page", required=True, choices=PAGES)
    parser.add_argument("--warm-only", action="store_true", help="profile only the second run")
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML report of the last run here")
    args = parser.parse_args()

    os.environ["QMI_DB"] = str(scales.database_for(args.scale))
    from pyinstrument import Profiler
    from streamlit.runtime.scriptrunner import script_cache, script_runner
    from streamlit.testing.v1 import AppTest

    # The server compiles a page's file once; AppTest compiles it on every run: share the bytecode, as the server.
    compiled = {}
    compile_page = script_cache.ScriptCache.get_bytecode

    def compiled_once(cache, path):
        if path not in compiled:
            compiled[path] = compile_page(cache, path)
        return compiled[path]

    script_cache.ScriptCache.get_bytecode = compiled_once

    # AppTest runs the page in its own thread: the profiler is started inside that run.
    profiled = {"on": False, "profiler": None}
    run_script = script_runner.exec_func_with_error_handling

    def profiling_run(func, ctx):
        if not profiled["on"]:
            return run_script(func, ctx)
        profiler = profiled["profiler"] = Profiler(interval=0.0005)
        with profiler:
            return run_script(func, ctx)

    script_runner.exec_func_with_error_handling = profiling_run
    app = AppTest.from_file(str(scales.REPO_DIR / "app.py"), default_timeout=300)
    app.run()
    for label, first in (("first (cold caches)", True), ("second (warm caches)", False)):
        if first:
            app.switch_page(f"dashboard/{args.page}.py")
        profiled["on"] = not (first and args.warm_only)
        started = time.perf_counter()
        app.run()
        elapsed = time.perf_counter() - started
        if app.exception:
            print(f"{args.page}: exception: {app.exception[0].message}", file=sys.stderr)
            return 1
        print(f"== {args.page} at {args.scale}, {label} run: {elapsed * 1000:.0f} ms")
        if profiled["on"]:
            print(profiled["profiler"].output_text(unicode=True, color=False, show_all=False))
    if args.html and profiled["profiler"] is not None:
        args.html.write_text(profiled["profiler"].output_html(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
