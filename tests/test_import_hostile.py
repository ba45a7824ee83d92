"""Hostile files (issue 10, points 3, 4, 5, 7): every one refused with exit 2, in under 10 s and 300 MB.

Each file of tests/import_corpus/bad/ and each file of hostile_files.make_all goes through
`python -m qmi_metrics import` in its own wrapper process, which reports its child's peak RSS
(getrusage RUSAGE_CHILDREN); the extra memory is that minus the peak RSS of a child that only imports
the same modules. `pytest -s` prints the figures."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import hostile_files
import pytest

from qmi_metrics.admin import catalogue, columns, importing, readers

REPO = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "import_corpus" / "bad"
MAX_SECONDS, MAX_EXTRA_MB = 10, 300

# Runs a command, then prints its peak RSS (KB on Linux) and wall time as JSON on the last stderr line.
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
sys.stderr.write("\\n" + json.dumps({"rc": done.returncode, "seconds": time.monotonic() - start,
                  "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}) + "\\n")
"""
BASELINE = "import qmi_metrics.cli, qmi_metrics.admin.importing, qmi_metrics.admin.publishing, openpyxl, duckdb"


def measured(*command) -> tuple[str, str, dict]:
    done = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, command)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    stderr, _, last = done.stderr.rstrip("\n").rpartition("\n")
    return done.stdout, stderr, json.loads(last)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus_table(path: Path) -> tuple[str, str]:
    """(table, mode) of a file of the bad corpus: test_import's list, else the table its header best matches."""
    try:
        from test_import import BAD_FILES
        if path.name in BAD_FILES:
            return BAD_FILES[path.name][0], BAD_FILES[path.name][1]
    except ImportError:
        pass
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = {h.strip() for h in next(csv.reader([handle.readline().replace(";", ",")]), [])}
    best = max(catalogue.IMPORTABLE_TABLES, key=lambda t: len(header & set(catalogue.table_schema(t).names)))
    return best, "append"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    cases = {name: (folder / name, table, "append", expected)
             for name, (table, expected) in hostile_files.make_all(folder).items()}
    cases.update({name: (Path(name), table, "append", expected)
                  for name, (table, expected) in hostile_files.SPECIAL_PATHS.items()})
    for path in sorted(BAD.iterdir()):
        table, mode = corpus_table(path)
        cases[f"bad/{path.name}"] = (path, table, mode, [])
    return cases


@pytest.fixture(scope="module")
def baseline_kb():
    return min(measured(sys.executable, "-c", BASELINE)[2]["rss_kb"] for _ in range(2))


@pytest.fixture(scope="module")
def runs(hostile, baseline_kb, reference_db_path, tmp_path_factory):
    def one(item):
        name, (path, table, mode, _) = item
        folder = tmp_path_factory.mktemp("db")
        db_path = folder / "qmi.duckdb"
        shutil.copyfile(reference_db_path, db_path)
        before = sha256(db_path)
        stdout, stderr, figures = measured(sys.executable, "-m", "qmi_metrics", "import", path, "--table", table,
                                           "--mode", mode, "--db", db_path, "--by", "test")
        figures["extra_mb"] = (figures["rss_kb"] - baseline_kb) / 1024
        print(f"{name:40} {figures['seconds']:5.2f} s  peak {figures['rss_kb'] / 1024:6.1f} MB"
              f"  extra {figures['extra_mb']:6.1f} MB  rc {figures['rc']}")
        return name, (stdout, stderr, figures, before, sha256(db_path), folder)

    # Two at a time (the machine has two cores): each wrapper measures only its own child.
    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(one, hostile.items()))


def test_every_hostile_and_bad_file_is_refused_quickly_cheaply_and_writes_nothing(hostile, runs):
    failures = []
    for name, (_, _, _, expected) in hostile.items():
        stdout, stderr, figures, before, after, folder = runs[name]
        wrong = [f"exit {figures['rc']}"] if figures["rc"] != 2 else []
        wrong += ["Traceback"] if "Traceback" in stderr + stdout else []
        wrong += [f"missing « {e} »" for e in expected if e not in stderr]
        wrong += ["database changed"] if after != before else []
        wrong += ["versions written"] if (folder / "versions").exists() or list(folder.glob("*.tmp*")) else []
        wrong += [f"{figures['seconds']:.1f} s"] if figures["seconds"] >= MAX_SECONDS else []
        wrong += [f"{figures['extra_mb']:.0f} MB extra"] if figures["extra_mb"] >= MAX_EXTRA_MB else []
        if wrong:
            failures.append(f"{name}: {', '.join(wrong)}\n{stderr[-600:]}")
    assert not failures, "\n".join(failures)
    slowest = max(runs.values(), key=lambda r: r[2]["seconds"])[2]
    largest = max(runs.values(), key=lambda r: r[2]["extra_mb"])[2]
    print(f"max {slowest['seconds']:.2f} s, max extra {largest['extra_mb']:.1f} MB over {len(runs)} files")


def test_the_corpus_covers_every_bad_file_and_the_hostile_cases(hostile):
    assert {f"bad/{p.name}" for p in BAD.iterdir()} <= set(hostile)
    assert {"huge_shared_string.xlsx", "wide_row_3m.xlsx", "bomb_16m_cells.xlsx", "nan_number.xlsx", "pipe.csv",
            "a_folder.csv", "/dev/zero", "million_columns.csv", "giant_field.csv"} <= set(hostile)


@pytest.mark.parametrize("name", ["huge_shared_string.xlsx", "wide_row_3m.xlsx", "bomb_16m_cells.xlsx",
                                  "deep_ratio.xlsx", "giant_field.csv", "million_columns.csv", "nan_number.xlsx"])
def test_read_file_in_process_is_bounded_for_uploaded_bytes(hostile, name):
    """The Administration page passes the uploaded bytes: same limits, no exception, quickly."""
    path, table, _, expected = hostile[name]
    data = path.read_bytes()
    started = time.monotonic()
    parsed = readers.read_file(data, path.name, table)
    elapsed = time.monotonic() - started
    assert parsed.problems
    messages = " ".join(p.message for p in parsed.problems)
    for fragment in expected:
        if "colonne" in fragment or "row" in fragment or "limite" in fragment or "Mo" in fragment:
            assert fragment in messages, (fragment, messages)
    assert elapsed < MAX_SECONDS, elapsed


def test_a_long_text_within_the_column_limit_is_accepted_and_the_limit_is_documented(reference_con, tmp_path):
    path = tmp_path / "long_ok.csv"
    path.write_text("event_id,project_id,kind,date_start,date_precision,source_quote\n"
                    f"e1,faradae,deployed,2024-02-01,month,{'q' * columns.LONG_TEXT}\n", encoding="utf-8")
    assert importing.validate(reference_con, readers.read_file(path, table="project_events"), "project_events") == []
    described = {d["colonne"]: d["valeurs possibles"] for d in columns.column_descriptions("project_events")}
    assert "5000 caractères au plus" in described["source_quote"]
    assert "200 caractères au plus" in described["source_section"] or "500 caractères au plus" in described["source_section"]
