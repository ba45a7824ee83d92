"""The static showcase at a scale: a whole build, then a rebuild after a small change (one project's status
event added through a real import publish), and the heaviest page compressed. Prints one JSON object.

    python benchmarks/site.py --scale S|M|L [--workers 2]

Target (issue 13): the whole site at scale M in under two minutes on this machine; every page ≤ 150 KB gzip.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from scales import database_for, machine, peak_rss_mb

from qmi_metrics.admin import publishing, readers
from qmi_metrics.outputs import site
from qmi_metrics.store import db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="M")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    source = database_for(args.scale)
    with tempfile.TemporaryDirectory(prefix="qmi-site-bench-") as folder:
        db_path = Path(folder) / "qmi.duckdb"
        shutil.copy(source, db_path)
        out = Path(folder) / "site"
        started = time.perf_counter()
        full = site.build(db_path, out, workers=args.workers)
        full_s = time.perf_counter() - started
        with db.connect(db_path) as con:
            project_id = con.execute("SELECT project_id FROM projects ORDER BY project_id LIMIT 1").fetchone()[0]
        change = Path(folder) / "events.csv"
        change.write_text("project_id,kind,date_start,date_precision,source_quote\n"
                          f"{project_id},evaluated,2025-06-01,month,Évalué (mesure de performance)\n", encoding="utf-8")
        publishing.publish_import(db_path, readers.read_file(change, table="project_events"), "project_events",
                                  "append", by="benchmark")
        started = time.perf_counter()
        again = site.build(db_path, out, workers=args.workers)
        incremental_s = time.perf_counter() - started
    print(json.dumps({
        "scale": args.scale, "machine": machine(), "workers": args.workers, "pages": full.pages,
        "full_build_s": round(full_s, 1), "target_full_build_s_at_M": 120,
        "largest_page": full.largest_page, "largest_page_gz_kb": round(full.largest_gz_bytes / 1024, 1),
        "budget_gz_kb": site.PAGE_BUDGET_BYTES // 1024,
        "incremental_rebuild_s": round(incremental_s, 1), "incremental_pages_rendered": len(again.rendered),
        "peak_rss_mb_main_process": round(peak_rss_mb()),
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
