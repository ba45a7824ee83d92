"""What the benchmark scripts share: a database per scale, timing, memory, output.

S is the reference database as shipped; M and L are synthetic (python -m qmi_metrics demo --scale M|L).
Databases are built once into benchmarks/.cache/, named by a fingerprint of the code and data
that make them, so a change to the schema, the KPIs or the generator rebuilds them.
"""

from __future__ import annotations

import hashlib
import json
import resource
import statistics
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from qmi_metrics.store import loader  # noqa: E402

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
SCALES = ("S", "M", "L")


def fingerprint() -> str:
    digest = hashlib.sha256()
    # Every module and SQL file of the package, subpackages included: a change anywhere rebuilds.
    package = REPO_DIR / "qmi_metrics"
    sources = sorted(package.rglob("*.py")) + sorted(package.rglob("*.sql"))
    for path in sources + sorted(loader.DATA_DIR.glob("*.csv")):
        digest.update(str(path.relative_to(REPO_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def database_for(scale: str, seed: int = 0) -> Path:
    """The database of a scale, built if this code has not built it yet."""
    scale = scale.upper()
    if scale not in SCALES:
        raise SystemExit(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    path = CACHE_DIR / f"qmi-{scale}-{seed}-{fingerprint()}.duckdb"
    if path.exists():
        return path
    CACHE_DIR.mkdir(exist_ok=True)
    for stale in CACHE_DIR.glob(f"qmi-{scale}-{seed}-*.duckdb"):
        stale.unlink()
    started = time.perf_counter()
    print(f"building the {scale} database in {path} ...", file=sys.stderr, flush=True)
    if scale == "S":
        loader.build(path)
    else:
        loader.build_synthetic(path, scale, seed=seed)
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return path


def median_ms(action, repeat: int = 7, warmup: int = 1) -> float:
    """Median wall time of `action()` in milliseconds, after `warmup` untimed runs."""
    for _ in range(warmup):
        action()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def peak_rss_mb() -> float:
    """This process's peak resident memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_rss_mb(pid: int) -> float:
    """Current resident memory of a process and its children (from /proc), 0 when it is gone."""
    total = 0
    for proc in [pid] + _children(pid):
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid] + _children(kid)
    return found


def machine() -> str:
    import os
    import platform

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {cpu}, {memory_gb:.0f} GiB, Python {platform.python_version()}"


def emit(result: dict, as_json: bool, rows: list[dict] | None = None) -> None:
    """One JSON object with --json, else a readable table of `rows` then the summary figures."""
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    if rows:
        columns = list(rows[0])
        widths = {c: max(len(c), *(len(_cell(r[c])) for r in rows)) for c in columns}
        print("  ".join(c.ljust(widths[c]) for c in columns))
        for row in rows:
            print("  ".join(_cell(row[c]).ljust(widths[c]) for c in columns))
        print()
    for key, value in result.items():
        if not isinstance(value, (list, dict)):
            print(f"{key:24s} {_cell(value)}")


def _cell(value) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)
