"""How long the dashboard takes to compute its KPIs, against a plain pandas baseline and a bare scan.

    python benchmarks/kpis.py --scale S|M|L [--json] [--repeat N] [--communes N]

Views timed: the unfiltered one and one per commune (all of them at S; at M and L a fixed, seeded
sample, said in the output). For each view: one untimed warm run, then the median of `repeat` runs of
  - the app path: qmi_metrics.metrics.kpis.compute_all(con, Filters(...)), the whole registry as a page asks it;
  - the baseline: every KPI written the way an analyst would in pandas (masks, groupby, merge) over the
    raw tables, loaded once before timing (no roll-ups, no stored values).
kpi_ms_median and pandas_ms_median are medians over the views' medians. The warm runs' results are
compared KPI by KPI (baseline_agrees): the baseline is an independent reading of each definition.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

if "scales" in sys.modules or str(Path(__file__).resolve().parent) in sys.path:
    import scales  # noqa: E402  (run as a script: puts the repository on sys.path)
else:  # loaded by path from the tests: benchmarks/ must not join sys.path (its scripts would shadow the app's modules)
    import importlib.util

    _spec = importlib.util.spec_from_file_location("scales", Path(__file__).with_name("scales.py"))
    scales = importlib.util.module_from_spec(_spec)
    sys.modules["scales"] = scales
    _spec.loader.exec_module(scales)

from qmi_metrics.metrics import kpis as registry  # noqa: E402
from qmi_metrics.metrics.filters import Filters  # noqa: E402
from qmi_metrics.store import db  # noqa: E402

# The raw tables the baseline reads, and their columns it needs; never the derived tables
# (indicator_monthly, kpi_values).
TABLES = {
    "projects": ("project_id", "edition_id", "insee", "type_slug", "theme_slug"),
    "project_events": ("project_id", "kind", "date_start", "date_precision"),
    "solution_types": ("type_slug", "is_digital"),
    "commune_editions": ("edition_id", "insee", "role"),
    "communes": ("insee", "departement", "ept_name", "population"),
    "calls": ("call_id", "edition_id", "kind"),
    "call_figures": ("call_id", "measure", "value"),
    "candidatures": ("call_id", "insee", "theme_slug", "is_international", "status"),
    "community_events": ("edition_id", "insee", "participants"),
    "diagnostics": ("edition_id", "insee", "kind", "participants"),
    "indicators": ("indicator_id",),
    "indicator_values": ("project_id", "indicator_id", "measured_on", "value"),
    "project_indicators": ("project_id", "indicator_id"),
    "indicator_protocols": ("project_id", "indicator_id", "baseline_value", "baseline_on", "target_value", "target_on"),
    "published_figures": ("figure_id", "value"),
    "replicability_criteria": ("criterion_id",),
    "replicability_scores": ("project_id", "criterion_id", "score"),
    "surveys": ("edition_id", "topic", "unit", "value"),
}
SAMPLED_COMMUNES = {"S": None, "M": 12, "L": 12}  # None: every commune
SAMPLE_SEED = 0
DAYS_PER_MONTH = 30.4375
FLOAT_TOLERANCE = 1e-9

# project_status's reading of the event history (views.sql).
DEPLOYED_KINDS = ("deployed", "tested", "evaluated", "continued")
START_KINDS = ("selected", "started", "agreement_signed")
FIELD_KINDS = ("deployed", "tested")
DATED = ("day", "month")  # only these precisions measure a delay


def load_tables(con) -> dict[str, pd.DataFrame]:
    return {name: con.table(name).select(*columns).df() for name, columns in TABLES.items()}


# --- the baseline -------------------------------------------------------------------------------------

class Run:
    """The baseline's work for one view: the raw tables, and the frames derived from them (see `per_run`)."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.t = tables
        self.derived = {}


def per_run(derive):
    """Derive a frame once per run and arguments: as a notebook computes a view's frame, then reads it for every KPI."""
    @functools.wraps(derive)
    def once(run: Run, *args):
        key = (derive.__name__, *args)
        if key not in run.derived:
            run.derived[key] = derive(run, *args)
        return run.derived[key]
    return once


@per_run
def projects(run, f: Filters) -> pd.DataFrame:
    """f_projects: project_status, filtered."""
    p = project_status(run)
    return p[_matches(p, f.edition, f.communes, f.themes)]


@per_run
def laureates(run, edition, communes=()) -> pd.DataFrame:
    """f_laureate_communes."""
    every = laureate_communes(run)
    return every[_matches(every, edition, communes)]


@per_run
def laureate_communes(run) -> pd.DataFrame:
    ce = run.t["commune_editions"]
    return ce[ce["role"] == "lauréate"].merge(run.t["communes"], on="insee")


@per_run
def candidatures(run, call_kind: str, edition, communes=(), themes=()) -> pd.DataFrame:
    """f_candidatures."""
    every = candidatures_with_calls(run)
    return every[(every["call_kind"] == call_kind).to_numpy() & _matches(every, edition, communes, themes)]


@per_run
def candidatures_with_calls(run) -> pd.DataFrame:
    calls = run.t["calls"].rename(columns={"kind": "call_kind"})
    return run.t["candidatures"].merge(calls, on="call_id")


@per_run
def call_total(run, edition, call_kind: str, measure: str) -> float | None:
    """published_call_total: the largest figure of each call, summed over the edition's calls."""
    cf = run.t["call_figures"].merge(run.t["calls"], on="call_id")
    cf = cf[((cf["kind"] == call_kind) & (cf["measure"] == measure)).to_numpy() & _matches(cf, edition)]
    return None if cf.empty else float(cf.groupby("call_id")["value"].max().sum())


@per_run
def project_status(run) -> pd.DataFrame:
    """The project_status view: each project's outcome and delay, read from its events."""
    t = run.t
    ev = t["project_events"]
    dated = ev["date_precision"].isin(DATED)
    flags = pd.DataFrame({
        "project_id": ev["project_id"],
        "is_deployed": ev["kind"].isin(DEPLOYED_KINDS),
        "is_stopped": ev["kind"] == "stopped",
        "is_evaluated": ev["kind"] == "evaluated",
        "started_on": ev["date_start"].where(dated & ev["kind"].isin(START_KINDS)),
        "deployed_on": ev["date_start"].where(dated & ev["kind"].isin(FIELD_KINDS)),
    }).groupby("project_id", as_index=False).agg(
        is_deployed=("is_deployed", "any"), is_stopped=("is_stopped", "any"), is_evaluated=("is_evaluated", "any"),
        started_on=("started_on", "min"), deployed_on=("deployed_on", "min"))
    p = (t["projects"].merge(flags, on="project_id", how="left")
         .merge(t["solution_types"][["type_slug", "is_digital"]], on="type_slug", how="left"))
    for column in ("is_deployed", "is_stopped", "is_evaluated"):  # a project with no event: false
        p[column] = p[column].astype("boolean").fillna(False).astype(bool)
    p["outcome_known"] = p["is_deployed"] | p["is_stopped"]
    in_order = p["deployed_on"] >= p["started_on"]  # NaT compares false: no delay
    p["deployment_months"] = ((p["deployed_on"] - p["started_on"]).dt.days / DAYS_PER_MONTH).where(in_order)
    return p


def _matches(df: pd.DataFrame, edition=None, communes=(), themes=()) -> np.ndarray:
    """The macros' filters: no value = all; a NULL commune or défi never matches a list."""
    mask = np.ones(len(df), dtype=bool)
    if edition is not None:
        mask &= (df["edition_id"] == edition).to_numpy()
    if communes:
        mask &= df["insee"].isin(communes).to_numpy()
    if themes:
        mask &= df["theme_slug"].isin(themes).to_numpy()
    return mask


def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _mean(series: pd.Series) -> float | None:
    """SQL avg: over the non-NULL values, NULL when there are none."""
    return _num(series.dropna().astype(float).mean()) if series.notna().any() else None


def _greatest(count: int, published: float | None) -> float:
    return count if published is None else max(count, published)


def _round_half_away(x: float) -> int:
    """DuckDB's cast of a DOUBLE to INTEGER."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


BASELINE = {}  # base KPI id -> function(run, filters, key) -> (value, covered, total)


def baseline(kpi_id: str):
    def register(function):
        BASELINE[kpi_id] = function
        return function
    return register


def unknown_unless(rows_exist: bool, result: tuple) -> tuple:
    """Kpi.edition_rows: where the edition has none of the rows a count rests on, unknown (NULL), covered 0."""
    return result if rows_exist else (None, 0, result[2])


def edition_view(f: Filters) -> Filters:
    return Filters(edition=f.edition)


@baseline("communes_count")
def communes_count(run, f, key):
    n = laureates(run, f.edition, f.communes)["insee"].nunique()
    return unknown_unless(not laureates(run, f.edition).empty, (n, n, n))


@baseline("network_communes_count")
def network_communes_count(run, f, key):
    n = laureates(run, None, f.communes)["insee"].nunique()
    return n, n, n


@baseline("departements_count")
def departements_count(run, f, key):
    c = laureates(run, f.edition).drop_duplicates("insee")  # one row per commune
    return unknown_unless(not c.empty, (c["departement"].nunique(), len(c), len(c)))


@baseline("ept_count")
def ept_count(run, f, key):
    c = laureates(run, f.edition).drop_duplicates("insee")  # one row per commune
    return unknown_unless(not c.empty, (c["ept_name"].nunique(), int(c["ept_name"].notna().sum()), len(c)))


@baseline("commune_population_min")
def commune_population_min(run, f, key):
    c = laureates(run, f.edition).drop_duplicates("insee")  # one row per commune
    return _num(c["population"].min()), int(c["population"].notna().sum()), len(c)


@baseline("commune_population_max")
def commune_population_max(run, f, key):
    c = laureates(run, f.edition).drop_duplicates("insee")  # one row per commune
    return _num(c["population"].max()), int(c["population"].notna().sum()), len(c)


@baseline("commune_applications_count")
def commune_applications_count(run, f, key):
    n = len(candidatures(run, "communes", f.edition, f.communes))
    total = None if f.communes else _greatest(n, call_total(run, f.edition, "communes", "applications"))
    return unknown_unless(not candidatures(run, "communes", f.edition).empty, (n, n, total))


def _programme_wide(f: Filters) -> bool:
    return not f.communes and not f.themes


@baseline("candidatures_count")
def candidatures_count(run, f, key):
    n = len(candidatures(run, "projects", f.edition, f.communes, f.themes))
    total = _greatest(n, call_total(run, f.edition, "projects", "applications")) if _programme_wide(f) else None
    return unknown_unless(not candidatures(run, "projects", f.edition).empty, (n, n, total))


@baseline("projects_selected_count")
def projects_selected_count(run, f, key):
    n = len(projects(run, f))
    total = _greatest(n, call_total(run, f.edition, "projects", "selected")) if _programme_wide(f) else None
    return unknown_unless(not projects(run, edition_view(f)).empty, (n, n, total))


@baseline("projects_deployed_count")
def projects_deployed_count(run, f, key):
    p = projects(run, f)
    known = bool(projects(run, edition_view(f))["outcome_known"].any())
    return unknown_unless(known, (int(p["is_deployed"].sum()), int(p["outcome_known"].sum()), len(p)))


@per_run
def projects_per_commune(run, edition) -> pd.Series:
    """Projects hosted by each laureate commune of the edition that hosts any."""
    per_commune = projects(run, Filters(edition=edition)).groupby("insee").size()
    return per_commune[per_commune.index.isin(laureates(run, edition)["insee"])]


@baseline("projects_per_commune_min")
def projects_per_commune_min(run, f, key):
    n = projects_per_commune(run, f.edition)
    return _num(n.min()), len(n), len(n)


@baseline("projects_per_commune_max")
def projects_per_commune_max(run, f, key):
    n = projects_per_commune(run, f.edition)
    return _num(n.max()), len(n), len(n)


@baseline("selection_rate")
def selection_rate(run, f, key):
    cd = candidatures(run, "projects", f.edition, f.communes, f.themes)
    total = _greatest(len(cd), call_total(run, f.edition, "projects", "applications")) if _programme_wide(f) else None
    return _mean(cd["status"] == "lauréate"), len(cd), total


@baseline("deployment_rate")
def deployment_rate(run, f, key):
    p = projects(run, f)
    known = p[p["outcome_known"]]
    return _mean(known["is_deployed"]), len(known), len(p)


@baseline("mean_deployment_months")
def mean_deployment_months(run, f, key):
    p = projects(run, f)
    return _mean(p["deployment_months"]), int(p["deployment_months"].notna().sum()), int(p["is_deployed"].sum())


@per_run
def projects_per_theme(run, f) -> pd.Series:
    return projects(run, f)["theme_slug"].value_counts()  # NULL not counted


@baseline("theme_share")
def theme_share(run, f, key):
    per_theme = projects_per_theme(run, f)
    known = int(per_theme.sum())
    return (per_theme.get(key, 0) / known if known else None), known, len(projects(run, f))


@baseline("international_share")
def international_share(run, f, key):
    cd = candidatures(run, "projects", f.edition, f.communes, f.themes)
    known = cd["is_international"].dropna()
    total = _greatest(len(cd), call_total(run, f.edition, "projects", "applications")) if _programme_wide(f) else len(cd)
    return _mean(known.astype(bool)), len(known), total


@baseline("digital_share")
def digital_share(run, f, key):
    p = projects(run, f)
    known = p["is_digital"].dropna()
    return _mean(known.astype(bool)), len(known), len(p)


@per_run
def community_events(run, f) -> pd.DataFrame:
    ev = run.t["community_events"]
    return ev[_matches(ev, f.edition, f.communes)]


@baseline("community_events_count")
def community_events_count(run, f, key):
    n = len(community_events(run, f))
    return unknown_unless(not community_events(run, edition_view(f)).empty, (n, n, n))


def _sum_count_total(values: pd.Series):
    """SQL sum, count of non-NULL values, count(*)."""
    covered = int(values.notna().sum())
    return (_num(values.sum()) if covered else None), covered, len(values)


@baseline("community_participants_total")
def community_participants_total(run, f, key):
    return _sum_count_total(community_events(run, f)["participants"])


@baseline("community_participants_min")
def community_participants_min(run, f, key):
    people = community_events(run, f)["participants"]
    return _num(people.min()), int(people.notna().sum()), len(people)


@baseline("community_participants_max")
def community_participants_max(run, f, key):
    people = community_events(run, f)["participants"]
    return _num(people.max()), int(people.notna().sum()), len(people)


@per_run
def diagnostics(run, f) -> pd.DataFrame:
    d = run.t["diagnostics"]
    return d[_matches(d, f.edition, f.communes)]


@baseline("diagnostics_people_total")
def diagnostics_people_total(run, f, key):
    return _sum_count_total(diagnostics(run, f)["participants"])


@per_run
def diagnostics_per_kind(run, f) -> pd.DataFrame:
    return diagnostics(run, f).groupby("kind")["participants"].agg(["mean", "count", "size"])


@baseline("diagnostic_mean_participants")
def diagnostic_mean_participants(run, f, key):
    per_kind = diagnostics_per_kind(run, f)
    if key not in per_kind.index:
        return None, 0, 0
    mean, count, size = per_kind.loc[key]
    return (mean if count else None), count, size


@baseline("indicators_count")
def indicators_count(run, f, key):
    n = len(run.t["indicators"])
    pf = run.t["published_figures"]
    library = _num(pf.loc[pf["figure_id"] == "rapport_indicateurs_bibliotheque", "value"].max())
    return n, n, _round_half_away(_greatest(n, library))


@baseline("evaluation_sheets_count")
def evaluation_sheets_count(run, f, key):
    p = projects(run, f)
    n = int(p["is_evaluated"].sum())
    return unknown_unless(bool(projects(run, edition_view(f))["is_evaluated"].any()), (n, n, len(p)))


@per_run
def measurements_per_project(run, f) -> pd.Series:
    """Measurements of each of the view's projects that has any, counted in the raw series."""
    values = run.t["indicator_values"]
    return values.loc[values["project_id"].isin(projects(run, f)["project_id"]), "project_id"].value_counts()


@baseline("measurements_count")
def measurements_count(run, f, key):
    per_project = measurements_per_project(run, f)
    return unknown_unless(not measurements_per_project(run, edition_view(f)).empty,
                          (int(per_project.sum()), len(per_project), len(projects(run, f))))


@baseline("measured_projects_share")
def measured_projects_share(run, f, key):
    measured, n = len(measurements_per_project(run, f)), len(projects(run, f))
    return unknown_unless(not measurements_per_project(run, edition_view(f)).empty, ((measured / n if n else None), n, n))


@per_run
def replicability(run) -> pd.DataFrame:
    """The replicability_index view: each scored project's mean score over 5 and its number of scored criteria."""
    index = run.t["replicability_scores"].groupby("project_id").agg(
        index_ratio=("score", "mean"), criteria_scored=("score", "size"))
    index["index_ratio"] = index["index_ratio"] / 5
    return index


@per_run
def replicability_by_project(run) -> dict[str, dict]:
    return replicability(run).to_dict("index")


@baseline("replicability_index")
def replicability_index(run, f, key):
    index = replicability_by_project(run).get(key)
    if index is None:
        return None, None, None
    return index["index_ratio"], index["criteria_scored"], len(run.t["replicability_criteria"])


@baseline("replicability_index_mean")
def replicability_index_mean(run, f, key):
    scored = replicability(run).reindex(projects(run, f)["project_id"])  # LEFT JOIN: NaN when not scored
    return _mean(scored["index_ratio"]), int(scored["criteria_scored"].notna().sum()), len(scored)


@per_run
def brake_scores(run, edition) -> pd.Series:
    s = run.t["surveys"]
    return s.loc[((s["topic"] == "frein") & (s["unit"] == "score_10")).to_numpy() & _matches(s, edition), "value"]


@baseline("financing_brake_score")
def financing_brake_score(run, f, key):
    scores = brake_scores(run, f.edition)
    return _mean(scores), len(scores), len(scores)


@per_run
def protocol_progress(run) -> pd.DataFrame:
    """Each followed indicator against its protocol, from the raw series: measurements before the baseline left out,
    current = the latest since; progress clamped to [0, 1]; on track when progress >= the elapsed share."""
    keys = ["project_id", "indicator_id"]
    followed = run.t["project_indicators"].merge(run.t["indicator_protocols"], how="left", on=keys, indicator=True)
    followed["has_protocol"] = followed.pop("_merge") == "both"
    values = run.t["indicator_values"].merge(followed[[*keys, "baseline_on"]], on=keys)
    since = values[values["baseline_on"].isna() | (values["measured_on"] >= values["baseline_on"])]
    latest = since.sort_values("measured_on").groupby(keys).tail(1)
    f = followed.merge(latest[[*keys, "measured_on", "value"]].rename(
        columns={"measured_on": "current_on", "value": "current_value"}), how="left", on=keys)
    gap = f["target_value"] - f["baseline_value"]
    f["expected"] = f["baseline_value"].notna() & f["baseline_on"].notna() & f["target_value"].notna() & (gap != 0)
    measured = f["expected"] & f["current_value"].notna()
    f["progress"] = ((f["current_value"] - f["baseline_value"]) / gap).clip(0, 1).where(measured)
    elapsed = ((f["current_on"] - f["baseline_on"]).dt.days / (f["target_on"] - f["baseline_on"]).dt.days).clip(0, 1)
    f["on_track"] = (f["progress"] >= elapsed).astype(float).where(measured & f["target_on"].notna())
    return f


def protocols_of(run, f) -> pd.DataFrame:
    progress = protocol_progress(run)
    return progress[progress["project_id"].isin(projects(run, f)["project_id"])]


@baseline("protocol_target_share")
def protocol_target_share(run, f, key):
    p = protocols_of(run, f)
    with_protocol = p[p["has_protocol"]]
    return _mean(with_protocol["target_value"].notna().astype(float)), len(with_protocol), len(p)


@baseline("progress_mean")
def progress_mean(run, f, key):
    p = protocols_of(run, f)
    return _mean(p["progress"].dropna()), int(p["progress"].notna().sum()), int(p["expected"].sum())


@baseline("progress_on_track_share")
def progress_on_track_share(run, f, key):
    p = protocols_of(run, f)
    return _mean(p["on_track"].dropna()), int(p["on_track"].notna().sum()), int(p["expected"].sum())


def check_coverage(expanded: list[registry.Kpi]) -> None:
    """Fail loudly when the registry has a KPI the baseline does not implement."""
    missing = sorted({kpi.id.split(":", 1)[0] for kpi in expanded} - BASELINE.keys())
    if missing:
        raise NotImplementedError(f"the pandas baseline lacks these KPIs of the registry: {', '.join(missing)}")


def compute_baseline(tables: dict[str, pd.DataFrame], expanded: list[registry.Kpi],
                     filters: Filters = Filters(), run: Run | None = None) -> dict[str, tuple]:
    """Every KPI of the expanded registry for one view: id -> (value, covered, total), typed as compute() types them.

    The benchmark derives everything per view; a test may pass one `run` to share the derived frames across views."""
    check_coverage(expanded)
    run = run or Run(tables)
    results = {}
    for kpi in expanded:
        value, covered, total = BASELINE[kpi.id.split(":", 1)[0]](run, registry.effective_filters(kpi, filters), kpi.key)
        results[kpi.id] = (_num(value), None if covered is None else int(covered), None if total is None else int(total))
    return results


def disagreements(expected: list[registry.KpiResult], got: dict[str, tuple], view: str = "") -> list[str]:
    """Where the baseline and the registry differ: floats within FLOAT_TOLERANCE, counts exactly."""
    found = []
    for result in expected:
        want = (result.value, result.covered, result.total)
        have = got.get(result.id)
        if have is None or not all(_same(a, b) for a, b in zip(want, have)):
            found.append(f"{view or 'all'} {result.id}: registry (value, covered, total) = {want}, pandas = {have}")
    return found


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)


# --- the benchmark ------------------------------------------------------------------------------------

def views(con, sample: int | None) -> tuple[list[Filters], int]:
    """The unfiltered view and one per commune (a seeded sample of `sample` communes when given)."""
    communes = [row[0] for row in con.execute("SELECT insee FROM communes ORDER BY insee").fetchall()]
    chosen = communes if sample is None or sample >= len(communes) else sorted(
        random.Random(SAMPLE_SEED).sample(communes, sample))
    return [Filters()] + [Filters(communes=(insee,)) for insee in chosen], len(communes)


def benchmark(scale: str, repeat: int = 3, sample: int | None = None, quiet: bool = False) -> tuple[dict, list[dict]]:
    path = scales.database_for(scale)
    con = db.connect(path, read_only=True)
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    expanded = registry.expand(con)
    check_coverage(expanded)
    filters, communes_total = views(con, sample)

    # The app path first, so that its memory is measured before the pandas frames exist.
    kpi_ms, expected = [], []
    for i, f in enumerate(filters):
        expected.append(registry.compute_all(con, f))  # the warm run, whose results are compared
        kpi_ms.append(scales.median_ms(lambda: registry.compute_all(con, f), repeat=repeat, warmup=0))
        log(f"registry {i + 1}/{len(filters)} {','.join(f.communes) or 'all'}: {kpi_ms[-1]:.1f} ms")
    scan_ms = scales.median_ms(lambda: con.execute("SELECT sum(value) FROM indicator_values").fetchall(),
                               repeat=max(repeat, 7))
    kpi_rss_mb = scales.peak_rss_mb()

    started = time.perf_counter()
    tables = load_tables(con)
    load_ms = (time.perf_counter() - started) * 1000
    pandas_ms, problems = [], []
    for i, f in enumerate(filters):
        problems += disagreements(expected[i], compute_baseline(tables, expanded, f), ",".join(f.communes))
        pandas_ms.append(scales.median_ms(lambda: compute_baseline(tables, expanded, f), repeat=repeat, warmup=0))
        log(f"pandas {i + 1}/{len(filters)} {','.join(f.communes) or 'all'}: {pandas_ms[-1]:.1f} ms")

    kpi_median, pandas_median = statistics.median(kpi_ms), statistics.median(pandas_ms)
    result = {
        "scale": scale.upper(),
        "rows": con.execute("SELECT count(*) FROM indicator_values").fetchall()[0][0],
        "kpis": len(expanded),
        "filters": len(filters),
        "communes_timed": len(filters) - 1,
        "communes_total": communes_total,
        "communes_sample_seed": SAMPLE_SEED if len(filters) - 1 < communes_total else None,
        "repeat": repeat,
        "median_of": "per-view medians",
        "kpi_ms_median": kpi_median,
        "kpi_ms_unfiltered": kpi_ms[0],
        "pandas_ms_median": pandas_median,
        "pandas_ms_unfiltered": pandas_ms[0],
        "pandas_load_ms": load_ms,
        "speedup_vs_pandas": pandas_median / kpi_median,
        "scan_ms_median": scan_ms,
        "kpis_vs_scan": kpi_median / scan_ms,
        "baseline_agrees": not problems,
        "disagreements": len(problems),
        "disagreement_examples": problems[:20],
        "peak_rss_mb": scales.peak_rss_mb(),  # the pandas frames included
        "kpi_peak_rss_mb": kpi_rss_mb,  # before they were loaded: the app path and the scan
        "load_average": [round(load, 2) for load in os.getloadavg()],  # others' work skews the timings
        "duckdb_version": duckdb.__version__,
        "machine": scales.machine(),
    }
    con.close()
    rows = [
        {"path": name, "median_ms": statistics.median(ms), "min_ms": min(ms), "max_ms": max(ms), "views": len(ms)}
        for name, ms in (("registry (compute_all)", kpi_ms), ("pandas baseline", pandas_ms), ("bare scan", [scan_ms]))
    ]
    if problems:
        print(f"{len(problems)} disagreements between the pandas baseline and the registry:", file=sys.stderr)
        for line in problems:
            print("  " + line, file=sys.stderr)
    return result, rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", required=True, choices=scales.SCALES, type=str.upper)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per view (after one warm run)")
    parser.add_argument("--communes", type=int, default=None,
                        help="time a seeded sample of this many communes (default: all at S, "
                             f"{SAMPLED_COMMUNES['M']} at M and L; 0 = unfiltered view only)")
    args = parser.parse_args(argv)
    sample = args.communes if args.communes is not None else SAMPLED_COMMUNES[args.scale]
    result, rows = benchmark(args.scale, args.repeat, sample, quiet=args.json)
    scales.emit(result, args.json, rows)
    if not args.json and result["communes_sample_seed"] is not None:
        print(f"\n{result['communes_timed']} of {result['communes_total']} communes timed"
              f" (seeded sample, seed {SAMPLE_SEED}); medians are over the per-view medians.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
