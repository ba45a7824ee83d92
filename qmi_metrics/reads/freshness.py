"""Freshness: when each project and each commune was last updated, and whether that is « à jour », « en retard »
or « obsolète ».

A project's last update is the latest of: an import whose rows it holds (the row's source is that import's file,
`sources.kind = 'import'`, matched to its audit-log entry by the file's SHA-256: when, and who), a dated status
event (`project_events.date_start`, at the precision its source gives) and a measurement
(`indicator_values.measured_on`). A commune's is the latest of its projects' and of the imports of its own rows (its
`communes` row, its community events). Nothing dated: NULL, shown « non renseigné ».

Every function takes the day to judge by (`today`): updates after it are not seen, so the same data answer « what
was late on that day » (the weekly digest compares its period's start with its end). Nobody here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from qmi_metrics.admin.validation import IMPORT_SOURCE_PREFIX
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.store import db, settings

CURRENT, LATE, STALE = "current", "late", "stale"
STATES = (CURRENT, LATE, STALE)  # words: present/vocabulary.FRESHNESS_STATES; NULL (no date) is « non renseigné »
KINDS = ("import", "status", "measurement")  # what a last update was; words: vocabulary.UPDATE_KINDS
# Tables whose rows name their project and may come from a manager's file (admin/catalogue.IMPORTABLE_TABLES).
PROJECT_TABLES = ("projects", "project_events", "candidatures", "indicator_values", "replicability_scores")


@dataclass(frozen=True)
class Thresholds:
    """Days after which a last update is late, then stale (settings QMI_LATE_AFTER_DAYS, QMI_STALE_AFTER_DAYS)."""

    late_after_days: int = settings.default("QMI_LATE_AFTER_DAYS")
    stale_after_days: int = settings.default("QMI_STALE_AFTER_DAYS")

    def __post_init__(self):
        if not 0 < self.late_after_days < self.stale_after_days:
            raise settings.SettingError(
                f"seuils de fraîcheur : {self.late_after_days} et {self.stale_after_days} jours ; il faut 0 < retard"
                " < obsolète ($QMI_LATE_AFTER_DAYS, $QMI_STALE_AFTER_DAYS)",
                f"freshness thresholds: {self.late_after_days} and {self.stale_after_days} days; 0 < late < stale is"
                " expected ($QMI_LATE_AFTER_DAYS, $QMI_STALE_AFTER_DAYS)")


def thresholds(secrets=None, environ=None) -> Thresholds:
    """The configured thresholds (environment, else secrets.toml's [freshness], else 30 and 90 days)."""
    return Thresholds(settings.value("QMI_LATE_AFTER_DAYS", secrets, environ),
                      settings.value("QMI_STALE_AFTER_DAYS", secrets, environ))


def state(last: dt.date | None, today: dt.date, limits: Thresholds = Thresholds()) -> str | None:
    """« à jour » up to `late_after_days` days included, « en retard » up to `stale_after_days` included, then
    « obsolète »; None when nothing is dated."""
    last = day_of(last)
    if last is None:
        return None
    age = (today - last).days
    if age > limits.stale_after_days:
        return STALE
    return LATE if age > limits.late_after_days else CURRENT


def day_of(value) -> dt.date | None:
    """A date from what DuckDB and pandas give (date, Timestamp, NaT, None)."""
    if value is None or pd.isna(value):
        return None
    return value.date() if isinstance(value, (dt.datetime, pd.Timestamp)) else value


# Each import file's source row and the latest audit entry of that file up to $today: when it was published, by
# whom; `imported`: (project, import) for every project row that came from an import. Bound: $today, $prefix.
IMPORTS_CTE = f"""
    imports AS (
        SELECT s.source_id, max(a.logged_at) AS logged_at, arg_max(a.by_user, a.logged_at) AS by_user,
               arg_max(a.file_name, a.logged_at) AS file_name
        FROM sources s JOIN audit_log a
          ON a.action = 'import' AND s.source_id = $prefix || left(a.file_sha256, 12)
        WHERE s.kind = 'import' AND CAST(a.logged_at AS DATE) <= $today
        GROUP BY s.source_id
    ),
    imported AS (  -- (project, import) for every project row that came from an import
        SELECT DISTINCT t.project_id, i.*
        FROM ({" UNION ALL ".join(f"SELECT project_id, source_id FROM {t}" for t in PROJECT_TABLES)}) t
        JOIN imports i USING (source_id)
        WHERE t.project_id IS NOT NULL
    )"""

_PROJECTS_SQL = f"""
    WITH {IMPORTS_CTE},
    measured AS (
        SELECT project_id, max(measured_on) AS on_date,
               arg_max({{'basis': basis, 'rule': basis_rule}}, measured_on) AS why
        FROM indicator_values WHERE measured_on <= $today GROUP BY project_id
    ),
    dated AS (
        SELECT project_id, max(date_start) AS on_date,
               arg_max({{'kind': kind, 'precision': date_precision, 'basis': basis, 'rule': basis_rule}},
                       (date_start, basis = 'stated')) AS why
        FROM project_events WHERE date_start <= $today GROUP BY project_id
    ),
    last_import AS (
        SELECT project_id, max(logged_at) AS logged_at, arg_max(by_user, logged_at) AS by_user,
               arg_max(file_name, logged_at) AS file_name
        FROM imported GROUP BY project_id
    ),
    followed AS (SELECT project_id, count(*) AS indicators FROM project_indicators GROUP BY project_id),
    protocols AS (  -- followed indicators whose protocol lacks its baseline, target or their dates (or is none)
        SELECT project_id, count(*) FILTER (WHERE incomplete) AS incomplete FROM indicator_progress GROUP BY project_id)
    SELECT p.project_id, p.name, p.edition_id, p.insee, c.name AS commune, p.current_status,
           m.on_date AS last_measurement_on, m.why.basis AS measurement_basis, m.why.rule AS measurement_rule,
           d.on_date AS last_status_on, d.why.kind AS last_status_kind, d.why.precision AS last_status_precision,
           d.why.basis AS status_basis, d.why.rule AS status_rule,
           i.logged_at AS last_import_at, i.by_user AS last_import_by, i.file_name AS last_import_file,
           coalesce(f.indicators, 0) AS indicators_followed, coalesce(pr.incomplete, 0) AS protocols_incomplete
    FROM f_projects($edition, $commune, $theme) p
    LEFT JOIN communes c ON c.insee = p.insee
    LEFT JOIN measured m USING (project_id)
    LEFT JOIN dated d USING (project_id)
    LEFT JOIN last_import i USING (project_id)
    LEFT JOIN followed f USING (project_id)
    LEFT JOIN protocols pr USING (project_id)
    WHERE $statuses IS NULL OR list_contains($statuses, p.current_status)
    ORDER BY c.name NULLS LAST, p.name
"""


def projects(con, today: dt.date, view: Filters = Filters(), statuses: tuple[str, ...] = (),
             limits: Thresholds = Thresholds()) -> pd.DataFrame:
    """One row per project of the view: its last measurement, dated status and import (with who), its last update
    (`last_update_on`, `last_update_kind` among KINDS, and the basis and rule of the row that dates it: an import
    states its own date, an inferred event does not), its age in days on `today` and its `state` (STATES, None)."""
    frame = db.fetch_df(con, _PROJECTS_SQL, {**view.params(), "statuses": list(statuses) or None,
                                             "today": today, "prefix": IMPORT_SOURCE_PREFIX})
    # (date, precision, basis, rule) of each kind of update; an import states its own date, to the day.
    candidates = {
        "import": (frame["last_import_at"], None, None, None),
        "status": (frame["last_status_on"], frame["last_status_precision"], frame["status_basis"], frame["status_rule"]),
        "measurement": (frame["last_measurement_on"], None, frame["measurement_basis"], frame["measurement_rule"]),
    }
    found = []
    for i in range(len(frame)):
        best = (None, None, None, None, None)
        for kind in KINDS:  # on the same day, an import first: it says who
            on, precision, basis, rule = (None if c is None else c.iloc[i] for c in candidates[kind])
            day = day_of(on)
            if day is not None and (best[1] is None or day > best[1]):
                best = (kind, day, precision or "day", basis or "stated", rule if isinstance(rule, str) else None)
        found.append(best)
    columns = ("last_update_kind", "last_update_on", "last_update_precision", "last_update_basis", "last_update_rule")
    for name, values in zip(columns, zip(*found) if found else ((),) * len(columns)):
        frame[name] = list(values)
    dates = frame["last_update_on"].tolist()
    frame["age_days"] = [None if d is None else (today - d).days for d in dates]
    frame["state"] = [state(d, today, limits) for d in dates]
    return frame


def communes(con, today: dt.date, view: Filters = Filters(), statuses: tuple[str, ...] = (),
             limits: Thresholds = Thresholds(), per_project: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per commune of the view's projects: its last update (its projects' and its own rows' imports), its
    state, who imported last, and how many of its projects are current, late, stale or undated."""
    found = projects(con, today, view, statuses, limits) if per_project is None else per_project
    own = db.fetch_df(con, f"""
        WITH {IMPORTS_CTE}
        SELECT t.insee, max(i.logged_at) AS logged_at, arg_max(i.by_user, i.logged_at) AS by_user
        FROM (SELECT insee, source_id FROM communes UNION ALL SELECT insee, source_id FROM community_events) t
        JOIN imports i USING (source_id)
        WHERE t.insee IS NOT NULL GROUP BY t.insee""", {"today": today, "prefix": IMPORT_SOURCE_PREFIX})
    own = {row.insee: row for row in own.itertuples()}
    rows = []
    for (insee, commune), group in found.groupby(["insee", "commune"], dropna=False, sort=False):
        insee = None if pd.isna(insee) else insee
        dated = group[group["last_update_on"].notna()]
        newest = dated.loc[dated["last_update_on"].idxmax()] if len(dated) else None
        last, precision = (newest["last_update_on"], newest["last_update_precision"]) if newest is not None else (None, None)
        imports = group[group["last_import_at"].notna()]
        latest = imports.loc[imports["last_import_at"].idxmax()] if len(imports) else None
        at, by = (latest["last_import_at"], latest["last_import_by"]) if latest is not None else (None, None)
        if insee in own and (at is None or own[insee].logged_at > at):
            at, by = own[insee].logged_at, own[insee].by_user
        if at is not None and (last is None or at.date() > last):
            last, precision = at.date(), "day"
        counts = group["state"].value_counts(dropna=False)
        rows.append({"insee": insee, "commune": None if pd.isna(commune) else commune, "projects": len(group),
                     "last_update_on": last, "last_update_precision": precision, "age_days": None if last is None else (today - last).days,
                     "state": state(last, today, limits), "last_import_at": at, "last_import_by": by,
                     **{f"{s}_projects": int(counts.get(s, 0)) for s in STATES},
                     "undated_projects": int(group["state"].isna().sum())})
    return pd.DataFrame(rows, columns=["insee", "commune", "projects", "last_update_on", "last_update_precision",
                                       "age_days", "state",
                                       "last_import_at", "last_import_by", *(f"{s}_projects" for s in STATES),
                                       "undated_projects"])


def any_import(con) -> bool:
    """Whether a manager ever imported into this database (else every date is a document's or the generator's)."""
    return bool(db.fetch_value(con, "SELECT count(*) FROM audit_log WHERE action = 'import'"))
