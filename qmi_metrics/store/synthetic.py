"""Synthetic QMI datasets: seeded, labelled synthetic, shaped like the reference data.

`loader.build_synthetic` creates an empty schema, loads the dimension tables (the vocabulary:
themes, families, solution types, communes, indicators, replicability criteria) and calls
`generate`, which fills every fact table. Every generated row carries source_id 'synthetic';
published_figures stays empty (a synthetic database publishes nothing), so do the tables of what the
documents say (partners, awards, aliases, contradictions: EMPTY_TABLES), and call_figures.figure_id
stays NULL. The generator reads slugs and ids from the dimension tables, it never hard-codes them.
Each row's basis (schema.sql) is relative to that source, the generator: 'stated', except the
projects' selections, dated at their edition's announcement as the reference dates every start at
the programme's milestone — those are 'inferred' with that rule, so that a synthetic database shows
what rests on such rows as the reference one does.

Scales (`spec_for`):

* a number K >= 0.1: K = 1 is about the real first edition (4 communes, 28 projects selected out
  of 168 applications, 3 indicators per project followed monthly over 18 months);
* 'M': 10 editions, 130 communes, 10 000 applications, 2 000 projects, 2 000 000 indicator values
  (daily series);
* 'L': as 'M' with 20 000 000 indicator values (daily series over about 18 months; measured_on is a
  DATE, so the volume comes from more indicators per project, not from hourly rows);
* 'S' is the reference database and is never generated.

Same (scale, seed) => identical table contents. Big tables are built with numpy and inserted in
chunks from pandas frames; small ones are built row by row.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

SYNTHETIC_SOURCE_ID = "synthetic"
# The rule of the selections dated at their edition's announcement (basis 'inferred').
SELECTION_RULE = "Jalon de l'édition (annonce des expérimentateurs) appliqué à chaque projet."

# Tables a synthetic database shares with the reference one (see loader.DIMENSION_TABLES).
DIMENSION_TABLES = (
    "sources", "themes", "project_families", "solution_types", "communes", "indicators",
    "replicability_criteria",
)
# Tables `generate` fills, in foreign-key order.
FACT_TABLES = (
    "editions", "milestones", "sites", "commune_editions", "calls", "call_figures", "projects",
    "project_sites", "candidatures", "project_events", "project_indicators", "indicator_values",
    "indicator_protocols", "replicability_scores", "community_events", "diagnostics", "surveys",
)
# Left empty on purpose: nothing synthetic is ever "published", and what the documents say (their partners,
# awards, spellings and contradictions) is about the real projects only.
EMPTY_TABLES = ("published_figures", "partners", "awards", "aliases", "contradictions")

FIRST_EDITION_YEAR = 2023      # edition n runs from 2022 + n to 2024 + n
EDITION_YEARS = 3
SERIES_MONTHS = 18             # length of the experimentation's measurement window
DAYS_PER_MONTH = 30.4375
VALUES_PER_CHUNK = 2_000_000   # indicator values built and inserted at a time (bounds memory)

# Paris-area box where the synthetic quartiers are placed, and a rough centre per département.
LAT_RANGE = (48.75, 48.95)
LON_RANGE = (2.2, 2.6)
_DEPT_CENTRES = {"75": (48.86, 2.35), "92": (48.84, 2.25), "93": (48.91, 2.47),
                 "94": (48.79, 2.47), "91": (48.77, 2.38), "95": (48.93, 2.26)}
_DEFAULT_CENTRE = (48.85, 2.40)

# Independent random streams, one per part, so changing one part leaves the others as they were.
_STREAMS = {name: i for i, name in enumerate((
    "communes", "sites", "projects", "candidatures", "events", "indicators", "pairs", "values",
    "scores", "community", "diagnostics", "surveys", "calls", "protocols"))}


@dataclass(frozen=True)
class ScaleSpec:
    """How big a synthetic dataset is.

    n_candidatures counts the applications to the calls for projects (AAP); the communes'
    applications to the AMI come on top (a few per edition).
    """

    n_editions: int
    n_communes: int            # distinct laureate communes over all editions
    n_projects: int            # selected projects (= laureate AAP applications)
    n_candidatures: int        # AAP applications, selected ones included
    n_indicator_values: int
    label: str = ""
    frequency: str = "month"   # time step of the indicator series: 'month' or 'day'
    indicators_per_project: tuple[int, int] = (2, 4)

    @property
    def series_window(self) -> int:
        """Longest series (in steps) that fits the 18-month measurement window."""
        return SERIES_MONTHS if self.frequency == "month" else 548


def _n_editions(k: float) -> int:
    return 2 if k <= 5 else min(10, max(2, round(k / 5)))


def spec_for(scale) -> ScaleSpec:
    """The spec of a scale: a number K >= 0.1, or 'M' / 'L' ('S' is the reference database)."""
    if isinstance(scale, str):
        name = scale.strip().upper()
        if name == "S":
            raise ValueError("S is the reference database (loader.build), it is not generated")
        if name in ("M", "L"):
            return ScaleSpec(n_editions=10, n_communes=130, n_projects=2_000, n_candidatures=10_000,
                             n_indicator_values=2_000_000 if name == "M" else 20_000_000,
                             label=name, frequency="day")
        try:
            scale = float(name)
        except ValueError:
            raise ValueError(f"unknown scale {scale!r}: a number >= 0.1, 'M' or 'L'") from None
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)):
        raise ValueError(f"unknown scale {scale!r}: a number >= 0.1, 'M' or 'L'")
    k = float(scale)
    if not math.isfinite(k) or k < 0.1:
        raise ValueError(f"scale must be a number >= 0.1, got {scale!r}")
    n_editions = _n_editions(k)
    n_projects = max(n_editions, round(28 * k))
    return ScaleSpec(
        n_editions=n_editions,
        n_communes=min(130, max(n_editions, round(4 * k))),
        n_projects=n_projects,
        n_candidatures=max(n_projects, round(168 * k)),
        n_indicator_values=n_projects * 3 * SERIES_MONTHS,
        label=scale_label(k),
        frequency="month",
    )


def scale_label(scale) -> str:
    """'3' for 3.0, '0.5' for 0.5, 'M' for 'm'."""
    if isinstance(scale, str):
        try:
            scale = float(scale)
        except ValueError:
            return scale.strip().upper()
    k = float(scale)
    return str(int(k)) if k.is_integer() else f"{k:g}"


def source_title(scale, seed: int) -> str:
    return f"Données synthétiques générées (échelle {scale_label(scale)}, graine {seed}) — aucune valeur réelle"


# --------------------------------------------------------------------------- helpers

def _rng(seed: int, stream: str, *extra: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), _STREAMS[stream], *extra])


def _split(n: int, parts: int) -> list[int]:
    """n split into `parts` near-equal counts, larger ones first."""
    base, rest = divmod(n, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def _add_months(d: date, months: int, day: int | None = None) -> date:
    month0 = d.year * 12 + d.month - 1 + months
    year, month = divmod(month0, 12)
    month += 1
    day = d.day if day is None else day
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _random_day(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = $t AND schema_name = 'main'"
        " ORDER BY column_index", {"t": table}).fetchall()]


def _insert(con, table: str, rows) -> int:
    """Insert a list of dicts or a DataFrame by column name; DuckDB casts and checks. A row that does not say
    its basis is stated by its source, the generator."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    if frame.empty:
        return 0
    if "basis" not in frame.columns:
        frame = frame.assign(basis="stated")
    name = f"_synthetic_{table}"
    con.register(name, frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    finally:
        con.unregister(name)
    return len(frame)


def _fetch(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@dataclass
class _Edition:
    edition_id: int
    first_year: int
    status: str
    communes: list[str]
    themes: dict[str, str | None]        # insee -> theme_slug
    call_communes: tuple[date, date]
    call_projects: tuple[date, date]
    announced: date                       # experimenters announced: the projects' selection date
    series_start: date                    # first measurement of the indicator series


# --------------------------------------------------------------------------- generate

def generate(con: duckdb.DuckDBPyConnection, scale, seed: int = 0) -> dict[str, int]:
    """Fill every fact table of `con` with a synthetic dataset; returns rows inserted per table.

    The dimension tables must be loaded, the fact tables empty: a synthetic dataset never mixes
    with reference facts.
    """
    spec = spec_for(scale)
    seed = int(seed)
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    _check_empty(con)

    themes = [r[0] for r in _fetch(con, "SELECT theme_slug FROM themes ORDER BY rank, theme_slug")]
    families = [r[0] for r in _fetch(con, "SELECT family_slug FROM project_families ORDER BY rank, family_slug")]
    types = [r[0] for r in _fetch(con, "SELECT type_slug FROM solution_types ORDER BY type_slug")]
    communes = _fetch(con, "SELECT insee, name, departement FROM communes ORDER BY insee")
    indicators = _fetch(con, "SELECT indicator_id, unit, direction FROM indicators ORDER BY indicator_id")
    criteria = [r[0] for r in _fetch(con, "SELECT criterion_id FROM replicability_criteria ORDER BY rank, criterion_id")]
    if not communes:
        raise ValueError("the communes table is empty: load the dimension tables first")

    counts: dict[str, int] = {}
    con.execute(
        "INSERT INTO sources (source_id, kind, title, publisher, note, basis)"
        " VALUES ($id, 'synthetic', $title, $pub, $note, 'stated')",
        {"id": SYNTHETIC_SOURCE_ID, "title": source_title(spec.label or scale, seed),
         "pub": "qmi_metrics.store.synthetic",
         "note": (f"Jeu de données synthétique : {spec.n_editions} éditions, {spec.n_communes} communes, "
                  f"{spec.n_projects} projets, {spec.n_candidatures} candidatures, "
                  f"{spec.n_indicator_values} valeurs d'indicateurs. Ne pas citer.")})
    counts["sources"] = 1

    last_first_year = FIRST_EDITION_YEAR + spec.n_editions - 1
    as_of = date(last_first_year + EDITION_YEARS - 1, 6, 30)   # the dataset's "today"

    editions = _editions(con, spec, seed, communes, themes, as_of, counts)
    projects = _projects(con, spec, seed, editions, themes, families, types, counts)
    _candidatures(con, spec, seed, editions, projects, themes, communes, counts)
    events = _project_events(con, seed, editions, projects, as_of, counts)
    _indicator_series(con, spec, seed, editions, projects, events, indicators, counts)
    _protocols(con, seed, counts)
    _replicability(con, seed, projects, events, criteria, counts)
    _community(con, seed, editions, as_of, counts)
    _diagnostics(con, seed, editions, counts)
    _surveys(con, seed, editions, counts)
    return counts


def _check_empty(con) -> None:
    meta = dict(_fetch(con, "SELECT key, value FROM meta"))
    if meta.get("synthetic") == "false":
        raise ValueError("refusing to generate synthetic data into the reference database")
    if con.execute("SELECT count(*) FROM sources WHERE source_id = $id", {"id": SYNTHETIC_SOURCE_ID}).fetchone()[0]:
        raise ValueError("this database already holds synthetic data")
    for table in FACT_TABLES + EMPTY_TABLES:
        if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
            raise ValueError(f"table {table} is not empty: synthetic data never mixes with other facts")


def _editions(con, spec, seed, communes, themes, as_of, counts) -> list[_Edition]:
    rng = _rng(seed, "communes")
    n_editions = spec.n_editions
    n_communes = min(spec.n_communes, len(communes))
    chosen = [communes[i] for i in rng.permutation(len(communes))[:n_communes]]
    if n_communes >= n_editions:
        groups, start = [], 0
        for size in _split(n_communes, n_editions):
            groups.append(chosen[start:start + size])
            start += size
    else:  # fewer communes than editions: communes take part in several editions
        groups = [[chosen[e % n_communes]] for e in range(n_editions)]

    edition_rows, milestone_rows, call_rows, site_rows, ce_rows = [], [], [], [], []
    ce_columns = set(_columns(con, "commune_editions"))
    sites_rng = _rng(seed, "sites")
    quartier_site: dict[str, tuple[str, str]] = {}
    editions = []
    for e, group in enumerate(groups, start=1):
        y = FIRST_EDITION_YEAR + e - 1
        last_year = y + EDITION_YEARS - 1
        status = "terminée" if last_year < as_of.year else "en cours"
        edition_rows.append({
            "edition_id": e, "label_fr": f"Édition synthétique {e}", "label_en": f"Synthetic edition {e}",
            "first_year": y, "last_year": last_year, "status": status, "source_id": SYNTHETIC_SOURCE_ID})
        call_communes = (date(y, 1, 16), date(y, 3, 17))
        call_projects = (date(y, 6, 5), date(y, 9, 15))
        announced = date(y, 11, 15)
        plan = [
            ("programme", "Lancement de l'édition", "Edition launch", date(y, 1, 1), None, "month"),
            ("call_communes", "Appel à manifestation d'intérêt des communes", "Call for expressions of interest to communes",
             *call_communes, "day"),
            ("communes_announced", "Annonce des communes lauréates", "Laureate communes announced", date(y, 4, 20), None, "day"),
            ("diagnostic", "Diagnostics territoriaux", "Territorial diagnostics", date(y, 5, 1), date(y, 7, 31), "month"),
            ("call_projects", "Appel à projets", "Call for projects", *call_projects, "day"),
            ("experimenters_announced", "Annonce des expérimentateurs", "Experimenters announced", announced, None, "day"),
            ("experimentation", "Expérimentations", "Experimentations", date(y + 1, 1, 1), date(y + 2, 6, 30), "month"),
            ("evaluation", "Évaluation des expérimentations", "Evaluation of the experimentations",
             date(y + 2, 1, 1), date(y + 2, 9, 30), "month"),
            ("closing", "Clôture de l'édition", "Edition closing", date(y + 2, 12, 1), None, "month"),
        ]
        for kind, label_fr, label_en, start, end, precision in plan:
            milestone_rows.append({
                "milestone_id": f"synth-e{e}-{kind}", "edition_id": e, "kind": kind,
                "label_fr": f"{label_fr} (édition synthétique {e})", "label_en": f"{label_en} (synthetic edition {e})",
                "date_start": start, "date_end": end, "date_precision": precision,
                "planned": start > as_of, "source_id": SYNTHETIC_SOURCE_ID})
        call_rows += [
            {"call_id": f"e{e}_ami_communes", "edition_id": e, "kind": "communes",
             "label_fr": f"Appel à manifestation d'intérêt des communes (édition synthétique {e})",
             "label_en": f"Call for expressions of interest to communes (synthetic edition {e})",
             "opens_on": call_communes[0], "closes_on": call_communes[1], "source_id": SYNTHETIC_SOURCE_ID},
            {"call_id": f"e{e}_aap_projets", "edition_id": e, "kind": "projects",
             "label_fr": f"Appel à projets (édition synthétique {e})",
             "label_en": f"Call for projects (synthetic edition {e})",
             "opens_on": call_projects[0], "closes_on": call_projects[1], "source_id": SYNTHETIC_SOURCE_ID},
        ]
        commune_themes = {}
        for insee, _name, dept in group:
            if insee not in quartier_site:
                number = len(quartier_site) + 1
                lat0, lon0 = _DEPT_CENTRES.get(str(dept), _DEFAULT_CENTRE)
                lat = float(np.clip(lat0 + sites_rng.normal(0, 0.02), *LAT_RANGE))
                lon = float(np.clip(lon0 + sites_rng.normal(0, 0.03), *LON_RANGE))
                site_id, q_name = f"synth-quartier-{insee}", f"Quartier synthétique {number}"
                quartier_site[insee] = (site_id, q_name)
                site_rows.append({
                    "site_id": site_id, "insee": insee, "name": q_name, "kind": "quartier",
                    "lat": round(lat, 5), "lon": round(lon, 5), "precision": "approximate",
                    "source_id": SYNTHETIC_SOURCE_ID, "note": "Position synthétique (aucun lieu réel)"})
            theme = themes[int(rng.integers(len(themes)))] if themes else None
            commune_themes[insee] = theme
            site_id, q_name = quartier_site[insee]
            row = {"edition_id": e, "insee": insee, "role": "lauréate", "quartier_name": q_name,
                   "quartier_site_id": site_id, "theme_slug": theme, "source_id": SYNTHETIC_SOURCE_ID}
            if "quartier_source_id" in ce_columns:
                row["quartier_source_id"] = SYNTHETIC_SOURCE_ID
            ce_rows.append(row)
        editions.append(_Edition(
            edition_id=e, first_year=y, status=status, communes=[c[0] for c in group], themes=commune_themes,
            call_communes=call_communes, call_projects=call_projects, announced=announced,
            series_start=date(y, 12, 1)))

    counts["editions"] = _insert(con, "editions", edition_rows)
    counts["milestones"] = _insert(con, "milestones", milestone_rows)
    counts["sites"] = _insert(con, "sites", site_rows)
    counts["commune_editions"] = _insert(con, "commune_editions", ce_rows)
    counts["calls"] = _insert(con, "calls", call_rows)
    return editions


def _projects(con, spec, seed, editions, themes, families, types, counts) -> pd.DataFrame:
    rng = _rng(seed, "projects")
    sites_rng = _rng(seed, "sites", 1)
    positions = dict(((r[0], (r[1], r[2])) for r in _fetch(
        con, "SELECT insee, lat, lon FROM sites WHERE kind = 'quartier'")))
    operators = max(1, round(0.85 * spec.n_projects))
    rows, site_rows, link_rows = [], [], []
    number = 0
    for edition, n in zip(editions, _split(spec.n_projects, len(editions))):
        for i in range(1, n + 1):
            number += 1
            pid = f"synth-e{edition.edition_id}-{i:04d}"
            insee = edition.communes[int(rng.integers(len(edition.communes)))]
            theme = edition.themes.get(insee)
            if themes and (theme is None or rng.random() < 0.25):
                theme = themes[int(rng.integers(len(themes)))]
            rows.append({
                "project_id": pid, "edition_id": edition.edition_id, "name": f"Projet synthétique {number}",
                "operator": f"Opérateur synthétique {int(rng.integers(1, operators + 1))}",
                "insee": insee,
                "family_slug": families[int(rng.integers(len(families)))] if families else None,
                "type_slug": types[int(rng.integers(len(types)))] if types else None,
                "theme_slug": theme,
                "description_fr": f"Projet synthétique n° {number} généré pour démonstration et tests : "
                                  "aucune entreprise ni valeur réelle.",
                "source_id": SYNTHETIC_SOURCE_ID})
            # Where it is tested: its own experimentation site for ~40 %, else the quartier.
            if rng.random() < 0.4:
                lat, lon = positions[insee]
                site_id = f"synth-site-{pid}"
                site_rows.append({
                    "site_id": site_id, "insee": insee, "name": f"Site d'expérimentation synthétique {number}",
                    "kind": "experimentation_site",
                    "lat": round(float(np.clip(lat + sites_rng.normal(0, 0.004), *LAT_RANGE)), 5),
                    "lon": round(float(np.clip(lon + sites_rng.normal(0, 0.006), *LON_RANGE)), 5),
                    "precision": "approximate", "source_id": SYNTHETIC_SOURCE_ID,
                    "note": "Position synthétique (aucun lieu réel)"})
            else:
                site_id = f"synth-quartier-{insee}"
            link_rows.append({"project_id": pid, "site_id": site_id, "source_id": SYNTHETIC_SOURCE_ID})
    frame = pd.DataFrame(rows)
    counts["projects"] = _insert(con, "projects", frame)
    counts["sites"] += _insert(con, "sites", site_rows)
    counts["project_sites"] = _insert(con, "project_sites", link_rows)
    return frame


def _candidatures(con, spec, seed, editions, projects, themes, communes, counts) -> None:
    rng = _rng(seed, "candidatures")
    calls_rng = _rng(seed, "calls")
    names = {c[0]: c[1] for c in communes}
    rows, figure_rows = [], []
    by_edition = dict(tuple(projects.groupby("edition_id", sort=True)))
    n_applicants = 0
    for edition, n_apps in zip(editions, _split(spec.n_candidatures, len(editions))):
        e = edition.edition_id
        # The communes' AMI: the laureates plus a few that were not retained.
        ami_id = f"e{e}_ami_communes"
        others = [c for c in sorted(names) if c not in edition.themes]
        n_out = min(len(others), max(1, round(len(edition.communes) * rng.uniform(0.3, 0.8))))
        out = [others[i] for i in sorted(rng.permutation(len(others))[:n_out])]
        for insee in edition.communes + out:
            laureate = insee in edition.themes
            theme = edition.themes[insee] if laureate else (themes[int(rng.integers(len(themes)))] if themes else None)
            rows.append({
                "candidature_id": f"synth-e{e}-ami-{insee}", "call_id": ami_id, "applicant": names[insee],
                "insee": insee, "theme_slug": theme, "status": "lauréate" if laureate else "non retenue",
                "submitted_on": _random_day(rng, *edition.call_communes), "source_id": SYNTHETIC_SOURCE_ID})
        ami_apps = len(edition.communes) + n_out
        marks = min(len(names), max(ami_apps, round(ami_apps * calls_rng.uniform(2.5, 4.0))))
        figure_rows += [
            {"call_id": ami_id, "measure": "marks_of_interest", "value": float(marks)},
            {"call_id": ami_id, "measure": "applications", "value": float(ami_apps)},
            {"call_id": ami_id, "measure": "selected", "value": float(len(edition.communes))},
        ]

        # The call for projects: every selected project plus the applications not retained.
        aap_id = f"e{e}_aap_projets"
        selected = by_edition.get(e, projects.iloc[0:0])
        n_apps = max(n_apps, len(selected))
        order = rng.permutation(n_apps)            # where each application stands in the id order
        international = rng.random(n_apps) < 0.2
        apps = []
        for project in selected.itertuples(index=False):
            apps.append({"applicant": project.operator, "insee": project.insee, "project_id": project.project_id,
                         "theme_slug": project.theme_slug, "status": "lauréate"})
        for _ in range(n_apps - len(selected)):
            n_applicants += 1
            apps.append({
                "applicant": f"Candidat synthétique {n_applicants}",
                "insee": edition.communes[int(rng.integers(len(edition.communes)))],
                "project_id": None,
                "theme_slug": themes[int(rng.integers(len(themes)))] if themes else None,
                "status": "non retenue"})
        for j, app in enumerate(apps):
            app.update({"candidature_id": f"synth-e{e}-aap-{int(order[j]) + 1:05d}", "call_id": aap_id,
                        "is_international": bool(international[j]),
                        "submitted_on": _random_day(rng, *edition.call_projects),
                        "source_id": SYNTHETIC_SOURCE_ID})
        rows += apps
        marks = round(n_apps * calls_rng.uniform(1.8, 2.3))
        figure_rows += [
            {"call_id": aap_id, "measure": "marks_of_interest", "value": float(marks)},
            {"call_id": aap_id, "measure": "applications", "value": float(n_apps)},
            {"call_id": aap_id, "measure": "selected", "value": float(len(selected))},
            {"call_id": aap_id, "measure": "international_share", "value": round(float(international.mean()), 4)},
        ]
    for row in figure_rows:
        row["source_id"] = SYNTHETIC_SOURCE_ID       # figure_id stays NULL: nothing is published
    counts["call_figures"] = _insert(con, "call_figures", figure_rows)
    counts["candidatures"] = _insert(con, "candidatures", rows)


def _project_events(con, seed, editions, projects, as_of, counts) -> pd.DataFrame:
    """Each project's history; events after the dataset's `as_of` date have not happened yet."""
    rng = _rng(seed, "events")
    announced = {ed.edition_id: ed.announced for ed in editions}
    rows, summary = [], []

    def at(base: date, months: int, day_precise: bool) -> tuple[date, str]:
        if day_precise:
            return _add_months(base, months, int(rng.integers(1, 29))), "day"
        return _add_months(_month_start(base), months), "month"

    for pid, edition_id in zip(projects["project_id"], projects["edition_id"]):
        selected_on = announced[int(edition_id)]
        draws = rng.random(8)
        delay = 3 + int(round(17 * rng.beta(2.6, 2.9)))        # 3-20 months, mean about 11
        history = [("selected", selected_on, None, "day")]
        if draws[0] < 0.5:
            d, p = at(selected_on, int(rng.integers(1, 3)), True)
            history.append(("agreement_signed", d, None, p))
        deployed_on = evaluated_on = None
        if draws[1] < 0.70:
            deployed_on, p = at(selected_on, delay, draws[2] < 0.5)
            history.append(("deployed", deployed_on, None, p))
            if draws[3] < 0.35:
                d, p = at(deployed_on, int(rng.integers(0, 3)), False)
                history.append(("tested", max(d, deployed_on), None, p))
            if draws[4] < 0.60:
                evaluated_on, p = at(deployed_on, int(rng.integers(4, 10)), False)
                history.append(("evaluated", evaluated_on, _add_months(evaluated_on, 2) - timedelta(days=1), p))
                if draws[5] < 0.55:
                    d, p = at(evaluated_on, int(rng.integers(1, 5)), False)
                    history.append(("continued", d, None, p))
                elif draws[6] < 0.5:
                    d, p = at(evaluated_on, int(rng.integers(1, 4)), False)
                    history.append(("stopped", d, None, p))
        elif draws[6] < 0.5:
            d, p = at(selected_on, int(rng.integers(2, 13)), False)
            history.append(("stopped", d, None, p))
        kept = {}
        for kind, start, end, precision in history:
            if start > as_of:
                break                                   # not happened yet, nor anything after it
            if kind == "stopped" and draws[7] < 0.15:
                start = end = precision = None          # stopped, date unknown
            kept[kind] = start
            inferred = kind == "selected"  # the edition's announcement, applied to each project
            rows.append({"event_id": f"{pid}-{kind}", "project_id": pid, "kind": kind, "date_start": start,
                         "date_end": end if end is None or end <= as_of else None,
                         "date_precision": precision, "source_id": SYNTHETIC_SOURCE_ID,
                         "basis": "inferred" if inferred else "stated",
                         "basis_rule": SELECTION_RULE if inferred else None})
        summary.append({"project_id": pid, "deployed_on": kept.get("deployed"),
                        "evaluated_on": kept.get("evaluated"), "selected_on": selected_on})
    counts["project_events"] = _insert(con, "project_events", rows)
    return pd.DataFrame(summary)


def _unit_profile(unit: str | None) -> tuple[str, float, float]:
    """How values of a unit look: (kind of base level, lower bound, upper bound)."""
    u = (unit or "").lower()
    if "%" in u or "pourcent" in u:
        return "percent", 0.0, 100.0
    if "/10" in u:
        return "score10", 0.0, 10.0
    if "/5" in u:
        return "score5", 0.0, 5.0
    if "ratio" in u or "part" == u:
        return "ratio", 0.0, 1.0
    if "°" in u or "degr" in u:
        return "temperature", -math.inf, math.inf
    if "€" in u or re.search(r"\beuros?\b|\beur\b", u):
        return "money", 0.0, math.inf
    if "indice" in u or "index" in u:
        return "index", 0.0, math.inf
    return "amount", 0.0, math.inf


def _base_levels(kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(kind)
    base = np.exp(rng.normal(math.log(100), 1.0, n))           # counts, kg, kWh...
    ranges = {"percent": (20, 60), "score10": (5, 7.5), "score5": (2.5, 3.8), "ratio": (0.2, 0.6),
              "temperature": (0.5, 4.0), "index": (30, 80)}
    for name, (lo, hi) in ranges.items():
        mask = kind == name
        base[mask] = rng.uniform(lo, hi, mask.sum())
    mask = kind == "money"
    base[mask] = np.exp(rng.normal(math.log(20_000), 0.8, mask.sum()))
    return base


def _indicators_per_project(spec, n_projects, n_indicators, rng) -> np.ndarray:
    """How many indicators each project follows: 2-4 (3 on average) unless more are needed to
    reach the value count within the measurement window."""
    lo, hi = spec.indicators_per_project
    target = max(math.ceil(spec.n_indicator_values / spec.series_window), round(n_projects * (lo + hi) / 2))
    target = min(max(target, n_projects), n_projects * n_indicators)
    k = np.full(n_projects, target // n_projects, dtype=np.int64)
    k[rng.permutation(n_projects)[: target % n_projects]] += 1
    # Spread around the mean without changing the total: pairs of projects trade one indicator,
    # staying within lo..hi when the mean allows it.
    mean = target / n_projects
    k_min = lo if mean >= lo else 1
    k_max = min(n_indicators, hi) if mean <= hi else n_indicators
    order = rng.permutation(n_projects)
    half = n_projects // 2
    give, take = order[:half], order[half: 2 * half]
    ok = (k[give] > k_min) & (k[take] < k_max) & (rng.random(half) < 0.6)
    k[give[ok]] -= 1
    k[take[ok]] += 1
    return k


def _indicator_series(con, spec, seed, editions, projects, events, indicators, counts) -> None:
    counts["project_indicators"] = counts["indicator_values"] = 0
    if not indicators or projects.empty:
        return
    rng = _rng(seed, "indicators")
    n_projects, n_ind = len(projects), len(indicators)
    k = _indicators_per_project(spec, n_projects, n_ind, rng)
    pair_project = np.repeat(np.arange(n_projects), k)
    pair_indicator = np.concatenate([np.sort(rng.permutation(n_ind)[:kk]) for kk in k])
    project_ids = projects["project_id"].tolist()
    indicator_ids = [i[0] for i in indicators]
    links = pd.DataFrame({
        "project_id": pd.Categorical.from_codes(pair_project, categories=project_ids),
        "indicator_id": pd.Categorical.from_codes(pair_indicator, categories=indicator_ids),
    })
    links = links.astype(str)
    links["source_id"] = SYNTHETIC_SOURCE_ID
    counts["project_indicators"] = _insert(con, "project_indicators", links)

    # Series lengths: the exact target, split as evenly as possible over the pairs.
    n_pairs = len(pair_project)
    total = spec.n_indicator_values
    lengths = np.full(n_pairs, total // n_pairs, dtype=np.int64)
    lengths[: total % n_pairs] += 1

    # Per-pair shape: level, trend after deployment, seasonality, noise.
    prng = _rng(seed, "pairs")
    profiles = [_unit_profile(i[1]) for i in indicators]
    kind = np.array([p[0] for p in profiles])[pair_indicator]
    lower = np.array([p[1] for p in profiles])[pair_indicator]
    upper = np.array([p[2] for p in profiles])[pair_indicator]
    sign = np.array([{"hausse": 1.0, "baisse": -1.0}.get(i[2], 0.0) for i in indicators])[pair_indicator]
    sign = np.where(prng.random(n_pairs) < 0.15, -sign, sign)            # some solutions backfire
    base = _base_levels(kind, prng)
    rate = prng.uniform(0.01, 0.04, n_pairs)                             # relative change per month
    season_amp = prng.uniform(0.0, 0.12, n_pairs)
    season_phase = prng.uniform(0.0, 1.0, n_pairs)
    noise_sd = prng.uniform(0.02, 0.08, n_pairs)

    start_by_edition = {ed.edition_id: np.datetime64(ed.series_start, "D") for ed in editions}
    series_start = np.array([start_by_edition[int(e)] for e in projects["edition_id"]], dtype="datetime64[D]")
    deployed = pd.to_datetime(events.set_index("project_id").loc[project_ids, "deployed_on"]).to_numpy("datetime64[D]")
    # Months from the series start to deployment (never deployed: no trend).
    deploy_months = np.where(np.isnat(deployed), np.inf,
                             (deployed - series_start).astype("float64") / DAYS_PER_MONTH)[pair_project]
    start_day = series_start.astype("int64")[pair_project]              # days since 1970-01-01
    start_month = series_start.astype("datetime64[M]").astype("int64")[pair_project]

    ends = np.cumsum(lengths)
    starts = ends - lengths
    pairs_per_chunk = max(1, VALUES_PER_CHUNK // int(lengths.max()))
    project_cats = pd.CategoricalDtype(project_ids)
    indicator_cats = pd.CategoricalDtype(indicator_ids)
    for chunk, a in enumerate(range(0, n_pairs, pairs_per_chunk)):
        b = min(n_pairs, a + pairs_per_chunk)
        crng = _rng(seed, "values", chunk)
        n = int(ends[b - 1] - starts[a])
        pair = np.repeat(np.arange(a, b), lengths[a:b])
        t = np.arange(n, dtype=np.int64) - (starts[pair] - starts[a])   # step within its series
        if spec.frequency == "month":
            month = (start_month[pair] + t).astype("datetime64[M]")
            day = month.astype("datetime64[D]").astype("int64")
            t_months = t.astype("float64")
        else:
            day = start_day[pair] + t
            t_months = t / DAYS_PER_MONTH
        trend = np.exp(sign[pair] * rate[pair] * np.maximum(0.0, t_months - deploy_months[pair]))
        season = 1.0 + season_amp[pair] * np.sin(2 * np.pi * (t_months / 12.0 + season_phase[pair]))
        value = base[pair] * (trend * season + crng.normal(0.0, 1.0, n) * noise_sd[pair])
        value = np.round(np.clip(value, lower[pair], upper[pair]), 3)
        frame = pd.DataFrame({
            "project_id": pd.Categorical.from_codes(pair_project[pair], dtype=project_cats),
            "indicator_id": pd.Categorical.from_codes(pair_indicator[pair], dtype=indicator_cats),
            "day": day.astype(np.int32),
            "value": value,
        })
        con.register("_synthetic_values", frame)
        try:
            con.execute(
                "INSERT INTO indicator_values (project_id, indicator_id, measured_on, value, source_id, basis)"
                " SELECT project_id::VARCHAR, indicator_id::VARCHAR, DATE '1970-01-01' + day, value, $src, 'stated'"
                " FROM _synthetic_values", {"src": SYNTHETIC_SOURCE_ID})
        finally:
            con.unregister("_synthetic_values")
        counts["indicator_values"] += n
        del frame, pair, t, day, value, trend, season


PROTOCOL_AUTHOR = "Comité de pilotage synthétique"
PROTOCOL_DIRECTION_REASON = "Le projet vise une hausse de cet indicateur, suivi sans sens souhaité dans la bibliothèque."


def _protocols(con, seed, counts) -> None:
    """A protocol for every followed indicator: the baseline is the series' first measurement, the target 10 to 40 %
    further in the desired direction, due at the end of the measurement window. About one in six is still
    « à définir » (half of those with a baseline already); half the indicators followed without a direction get
    one (« hausse »), with its reason."""
    pairs = con.execute("""
        SELECT pi.project_id, pi.indicator_id, i.unit, i.direction,
               arg_min(v.value, v.measured_on) AS first_value, min(v.measured_on) AS first_on
        FROM project_indicators pi JOIN indicators i USING (indicator_id)
        LEFT JOIN indicator_values v USING (project_id, indicator_id)
        GROUP BY ALL ORDER BY pi.project_id, pi.indicator_id""").fetchall()
    rng = _rng(seed, "protocols")
    draws, gains = rng.random((len(pairs), 2)), rng.uniform(0.1, 0.4, len(pairs))
    rows = []
    for (project_id, indicator_id, unit, direction, first_value, first_on), draw, gain in zip(pairs, draws, gains):
        row = {"project_id": project_id, "indicator_id": indicator_id, "status": "à définir", "baseline_value": None,
               "baseline_on": None, "target_value": None, "target_on": None, "direction": None,
               "direction_reason": None, "author": PROTOCOL_AUTHOR, "source_id": SYNTHETIC_SOURCE_ID}
        rows.append(row)
        if first_value is None or draw[0] < 0.08:
            continue                                            # nothing fixed yet
        row.update(baseline_value=float(first_value), baseline_on=first_on)
        _kind, lower, upper = _unit_profile(unit)
        target = round(float(np.clip(first_value * (1 + (-gain if direction == "baisse" else gain)), lower, upper)), 3)
        if draw[0] < 0.16 or target == first_value:
            continue                                            # a baseline, no target yet
        row.update(status="validé" if draw[0] < 0.55 else "défini", target_value=target,
                   target_on=_add_months(first_on, SERIES_MONTHS))
        if direction == "neutre" and draw[1] < 0.5:
            row.update(direction="hausse", direction_reason=PROTOCOL_DIRECTION_REASON)
    counts["indicator_protocols"] = _insert(con, "indicator_protocols", pd.DataFrame(rows, dtype=object))


def _replicability(con, seed, projects, events, criteria, counts) -> None:
    """Scores for about half the projects: the evaluated ones first."""
    counts["replicability_scores"] = 0
    if not criteria or projects.empty:
        return
    rng = _rng(seed, "scores")
    target = round(0.5 * len(events))
    evaluated = events["evaluated_on"].notna().to_numpy()
    others = np.flatnonzero(~evaluated)
    extra = rng.permutation(others)[: max(0, target - int(evaluated.sum()))]
    scored = np.sort(np.concatenate([np.flatnonzero(evaluated), extra]))
    rows = []
    for idx in scored:
        ev = events.iloc[int(idx)]
        on = ev["evaluated_on"] if pd.notna(ev["evaluated_on"]) else _add_months(ev["selected_on"], 12)
        quality = rng.uniform(1.0, 4.5)
        for criterion in criteria:
            score = float(np.clip(round(quality + rng.normal(0, 0.8)), 0, 5))
            rows.append({"project_id": ev["project_id"], "criterion_id": criterion, "score": score,
                         "scored_on": on, "source_id": SYNTHETIC_SOURCE_ID})
    counts["replicability_scores"] = _insert(con, "replicability_scores", rows)


_COMMUNITY_FORMATS = (
    ("Conférence et démospace", "Conference and demo space"),
    ("Conférence et balade urbaine", "Conference and urban walk"),
    ("Atelier collectif", "Collective workshop"),
    ("Visite de sites d'expérimentation", "Visit of experimentation sites"),
    ("Rencontre de clôture", "Closing meeting"),
)


def _community(con, seed, editions, as_of, counts) -> None:
    rng = _rng(seed, "community")
    rows = []
    for ed in editions:
        y = ed.first_year
        n = int(rng.integers(3, 5))
        months = np.sort(rng.choice(18, size=n, replace=False))        # over the experimentation
        for j, m in enumerate(months, start=1):
            day_precise = rng.random() < 0.6
            on = _add_months(date(y + 1, 1, 1), int(m), int(rng.integers(1, 29)) if day_precise else 1)
            if on > as_of:
                continue
            fr, en = _COMMUNITY_FORMATS[int(rng.integers(len(_COMMUNITY_FORMATS)))]
            rows.append({
                "event_id": f"synth-e{ed.edition_id}-communaute-{j}", "edition_id": ed.edition_id,
                "insee": ed.communes[int(rng.integers(len(ed.communes)))], "date_start": on,
                "date_precision": "day" if day_precise else "month", "format_fr": fr, "format_en": en,
                "participants": int(rng.integers(40, 101)), "source_id": SYNTHETIC_SOURCE_ID})
    counts["community_events"] = _insert(con, "community_events", rows)


_DIAGNOSTIC_KINDS = (   # kind, id part, participants range, precision
    ("marche sensible", "marche", (8, 26), "day"),
    ("entretiens", "entretiens", (1, 5), "month"),
    ("atelier carte sur table", "atelier", (10, 36), "day"),
)


def _diagnostics(con, seed, editions, counts) -> None:
    rng = _rng(seed, "diagnostics")
    rows = []
    for ed in editions:
        window = (date(ed.first_year, 5, 1), date(ed.first_year, 7, 31))
        for insee in ed.communes:
            for kind, part, (lo, hi), precision in _DIAGNOSTIC_KINDS:
                on = _random_day(rng, *window)
                rows.append({
                    "diagnostic_id": f"synth-e{ed.edition_id}-diag-{insee}-{part}", "edition_id": ed.edition_id,
                    "insee": insee, "kind": kind, "held_on": on if precision == "day" else _month_start(on),
                    "date_precision": precision, "participants": int(rng.integers(lo, hi)),
                    "source_id": SYNTHETIC_SOURCE_ID})
    counts["diagnostics"] = _insert(con, "diagnostics", rows)


_SURVEY_ITEMS = {   # (respondents, topic) -> [(label_fr, label_en, unit)]
    ("communes", "motif"): [
        ("Porter des innovations locales", "Bringing local innovations", "ratio"),
        ("Gagner en visibilité territoriale", "Territorial visibility", "ratio"),
        ("Bénéficier d'un accompagnement", "Getting support", "ratio")],
    ("communes", "frein"): [
        ("Disponibilité des équipes municipales", "Availability of municipal staff", "ratio"),
        ("Délais administratifs", "Administrative delays", "ratio")],
    ("communes", "perspectives"): [
        ("Souhaite poursuivre une solution testée", "Wishes to continue a tested solution", "ratio"),
        ("Satisfaction globale", "Overall satisfaction", "score_10")],
    ("porteurs de projet", "motif"): [
        ("Tester en conditions réelles", "Testing in real conditions", "ratio"),
        ("Accéder à de nouveaux clients publics", "Reaching new public clients", "ratio"),
        ("Rejoindre une communauté d'expérimentateurs", "Joining a community of experimenters", "ratio")],
    ("porteurs de projet", "frein"): [
        ("Financement de l'expérimentation", "Funding the experimentation", "ratio"),
        ("Autorisations d'occupation de l'espace public", "Public space permits", "ratio")],
    ("porteurs de projet", "compétences"): [
        ("Évaluation d'impact", "Impact assessment", "ratio"),
        ("Relations avec les collectivités", "Relations with local authorities", "ratio")],
    ("porteurs de projet", "perspectives"): [
        ("Recommanderait le programme", "Would recommend the programme", "score_10"),
        ("Déploiement prévu dans une autre commune", "Deployment planned in another commune", "ratio")],
}
_SLUGS = {"communes": "communes", "porteurs de projet": "porteurs", "motif": "motif", "frein": "frein",
          "compétences": "competences", "perspectives": "perspectives"}


def _surveys(con, seed, editions, counts) -> None:
    rng = _rng(seed, "surveys")
    rows = []
    for ed in editions:
        for (respondents, topic), items in _SURVEY_ITEMS.items():
            values = [round(float(rng.uniform(5.5, 9.5)), 1) if unit == "score_10" else
                      round(float(rng.uniform(0.15, 0.95)), 2) for _fr, _en, unit in items]
            ranked = sorted(zip(items, values), key=lambda iv: (iv[0][2] != "ratio", -iv[1]))
            for rank, ((fr, en, unit), value) in enumerate(ranked, start=1):
                rows.append({
                    "result_id": f"synth-e{ed.edition_id}-{_SLUGS[respondents]}-{_SLUGS[topic]}-{rank}",
                    "edition_id": ed.edition_id, "respondents": respondents, "topic": topic, "rank": rank,
                    "label_fr": fr, "label_en": en, "value": value, "unit": unit,
                    "source_id": SYNTHETIC_SOURCE_ID})
    counts["surveys"] = _insert(con, "surveys", rows)
