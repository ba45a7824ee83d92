"""How many A4 pages each evaluation sheet (« fiche évaluation ») prints on, and how long one takes.

    python benchmarks/sheet_pages.py [--scale K] [--seed N] [--langs fr,en] [--json]

Builds two databases in a temporary folder with the command line a user has: the reference one
(`python -m qmi_metrics build`) and a synthetic one (`python -m qmi_metrics demo --scale K --seed N`,
scale 1 by default: as many projects as the reference, each with measurements and scores, so with both
charts). Then renders every project's sheet as PDF (qmi_metrics.outputs.sheet_pdf, WeasyPrint) in each
language, and prints each sheet's page count, the largest, and the time a sheet takes (the first sheet,
which starts the chart browser and loads WeasyPrint, is timed apart). A sheet must fit one or two pages:
the exit status is 1 when one does not.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

import pypdf  # noqa: E402

from qmi_metrics.outputs import render, reports, sheet_pdf  # noqa: E402
from qmi_metrics.store import db  # noqa: E402

PAGES_MAX = 2


def build(folder: Path, scale: str, seed: int) -> dict[str, Path]:
    """The reference and the synthetic database, built by the command line."""
    paths = {"reference": folder / "reference.duckdb", f"synthetic-{scale}-{seed}": folder / "synthetic.duckdb"}
    commands = [["build", "--db", str(paths["reference"])],
                ["demo", "--scale", scale, "--seed", str(seed), "--db", str(paths[f"synthetic-{scale}-{seed}"])]]
    for command in commands:
        subprocess.run([sys.executable, "-m", "qmi_metrics", *command], cwd=REPO_DIR, check=True,
                       stdout=subprocess.DEVNULL)
    return paths


def measure(path: Path, langs: list[str]) -> list[dict]:
    """One row per sheet: database, project, language, pages, seconds."""
    rows = []
    con = db.connect(path)
    try:
        for project_id in reports.project_ids(con):
            for lang in langs:
                started = time.perf_counter()
                data = sheet_pdf.to_pdf(reports.project_sheet(con, project_id, lang))
                seconds = time.perf_counter() - started
                pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
                rows.append({"project": project_id, "lang": lang, "pages": pages, "seconds": round(seconds, 3)})
    finally:
        con.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="1", help="the synthetic database's scale (a number, or M)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--langs", default="fr,en", help="comma-separated languages")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args(argv)
    langs = [lang.strip() for lang in args.langs.split(",") if lang.strip()]
    if not langs or set(langs) - {"fr", "en"}:
        parser.error("--langs: fr, en or fr,en")
    summary = {}
    with tempfile.TemporaryDirectory(prefix="sheet-pages-") as folder:
        try:
            for name, path in build(Path(folder), args.scale, args.seed).items():
                rows = measure(path, langs)
                first, rest = rows[0]["seconds"], [row["seconds"] for row in rows[1:]] or [rows[0]["seconds"]]
                pages = [row["pages"] for row in rows]
                summary[name] = {"sheets": len(rows), "pages_max": max(pages),
                                 "pages_count": {str(n): pages.count(n) for n in sorted(set(pages))},
                                 "first_sheet_seconds": first, "seconds_median": round(statistics.median(rest), 3),
                                 "seconds_max": max(rest), "rows": rows}
                if not args.json:
                    print(f"\n{name}: {len(rows)} sheets")
                    print(f"{'project':<28} {'lang':<4} {'pages':>5} {'seconds':>8}")
                    for row in rows:
                        mark = f"  > {PAGES_MAX} pages" if row["pages"] > PAGES_MAX else ""
                        print(f"{row['project']:<28} {row['lang']:<4} {row['pages']:>5} {row['seconds']:>8.2f}{mark}")
                    print(f"pages: max {max(pages)}, sheets per page count {summary[name]['pages_count']}; "
                          f"seconds a sheet: median {summary[name]['seconds_median']:.2f}, "
                          f"max {summary[name]['seconds_max']:.2f} (first sheet {first:.2f}, with the starts)")
        finally:
            render.shutdown()
    if args.json:
        print(json.dumps(summary, indent=2))
    worst = max(item["pages_max"] for item in summary.values())
    if not args.json:
        print(f"\nlargest sheet: {worst} page(s) (at most {PAGES_MAX} wanted)")
    return 0 if worst <= PAGES_MAX else 1


if __name__ == "__main__":
    sys.exit(main())
