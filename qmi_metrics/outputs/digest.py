"""The week's digest (`python -m qmi_metrics digest --since 7d --out DIR`): an HTML page to paste as an e-mail's
body, and one CSV attachment a section. Sections: the imports and rollbacks of the period and who made them, the
status changes, the new measurements, the projects that turned late or stale, and the findings of the
reconciliation that changed since the data version live at the period's start (when versions/ still keeps it).

The period ends at `end` (the caller's clock) and starts `period` before it. A status change or a measurement is
in the period when it is dated in it or came from an import of the period. Nothing is sent from here:
docs/deploy.md gives the cron line that mails DIR/digest.html.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qmi_metrics.admin import publishing
from qmi_metrics.admin.validation import IMPORT_SOURCE_PREFIX
from qmi_metrics.outputs import escape, spreadsheet
from qmi_metrics.present import findings, formatting, narratives, vocabulary
from qmi_metrics.present import freshness as words
from qmi_metrics.present.i18n import _
from qmi_metrics.reads import freshness
from qmi_metrics.store import db

HTML_FILE = "digest.html"
_PERIOD = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
# How far a project's state has fallen: None (nothing dated) counts as current, a project nobody dated is not news.
_RANK = {None: 0, freshness.CURRENT: 0, freshness.LATE: 1, freshness.STALE: 2}


def parse_period(text: str) -> dt.timedelta:
    """'7d', '24h', '2w' as a duration; ValueError (French / English) otherwise."""
    match = _PERIOD.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"durée « {text} » non comprise : attendu p. ex. 7d, 24h, 2w"
                         f" / period “{text}” not understood: expected e.g. 7d, 24h, 2w")
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass
class Section:
    name: str  # the CSV attachment's stem
    title: str
    table: pd.DataFrame  # in the reader's words, as the e-mail and the CSV show it
    empty: str  # what stands for an empty table
    note: str = ""


@dataclass
class Digest:
    lang: str
    start: dt.datetime
    end: dt.datetime
    published: str  # « Données publiées le … »
    synthetic: bool
    sections: list[Section] = field(default_factory=list)

    def title(self) -> str:
        return _(self.lang, "QMI — ce qui a changé du {start} au {end}", start=_moment(self.start, self.lang),
                 end=_moment(self.end, self.lang))


def _moment(at: dt.datetime, lang: str) -> str:
    at = at.astimezone(dt.timezone.utc)
    return f"{formatting.date(at.date(), 'day', lang)} {at:%H:%M} UTC"


def _at(entry: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))


# --- the sections ----------------------------------------------------------------------------------------------

def _imports(entries: list[dict], lang: str) -> Section:
    columns = [_(lang, "date"), _(lang, "qui"), _(lang, "action"), _(lang, "fichier"), _(lang, "table"),
               _(lang, "lignes ajoutées"), _(lang, "lignes mises à jour"), _(lang, "version")]
    rows = [[_moment(_at(e), lang), e["by"], _(lang, "import") if e["action"] == "import" else _(lang, "retour arrière"),
             e.get("file") or "—", e.get("table") or "—", e.get("added"), e.get("updated"), e["version"]]
            for e in entries]
    table = pd.DataFrame(rows, columns=columns)
    for counted in columns[5:7]:  # a rollback counts no rows: empty, not 0 (and the others stay whole numbers)
        table[counted] = table[counted].astype("Int64")
    return Section("imports", _(lang, "Imports et retours arrière"), table, _(lang, "Aucun import ni retour arrière."))


_PERIOD_ROWS = """
    WITH {imports}
    SELECT t.*, p.name AS project, c.name AS commune, i.by_user, i.logged_at
    FROM {table} t JOIN projects p ON p.project_id = t.project_id
    LEFT JOIN communes c ON c.insee = p.insee
    LEFT JOIN imports i ON i.source_id = t.source_id
    WHERE (t.{date} > $start_day AND t.{date} <= $end_day) OR (i.logged_at > $start AND i.logged_at <= $end)
    ORDER BY c.name NULLS LAST, p.name, t.{date}, {order}
"""


def _rows_of_period(con, table: str, date: str, order: str, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    sql = _PERIOD_ROWS.format(imports=freshness.IMPORTS_CTE, table=table, date=date, order=order)
    naive = {"start": start.astimezone(dt.timezone.utc).replace(tzinfo=None),
             "end": end.astimezone(dt.timezone.utc).replace(tzinfo=None)}  # audit_log.logged_at: UTC, no zone
    return db.fetch_df(con, sql, {**naive, "start_day": start.date(), "end_day": end.date(), "today": end.date(),
                                  "prefix": IMPORT_SOURCE_PREFIX})


def _who(by, lang: str) -> str:
    return by if vocabulary.known(by) else vocabulary.not_known(lang)


def _statuses(con, start, end, lang: str) -> Section:
    found = _rows_of_period(con, "project_events", "date_start", "t.kind", start, end)
    table = pd.DataFrame({
        _(lang, "commune"): [c if vocabulary.known(c) else vocabulary.not_known(lang) for c in found["commune"]],
        _(lang, "projet"): found["project"],
        _(lang, "statut"): [vocabulary.status_label(k, lang) for k in found["kind"]],
        _(lang, "date"): [formatting.date(freshness.day_of(d), p, lang) for d, p in zip(found["date_start"],
                                                                               found["date_precision"])],
        _(lang, "qui"): [_who(b, lang) for b in found["by_user"]],
        _(lang, "base"): [vocabulary.basis_label(b, lang) for b in found["basis"]],
    })
    return Section("statuts", _(lang, "Changements de statut"), table, _(lang, "Aucun changement de statut."))


def _measurements(con, start, end, lang: str) -> Section:
    found = _rows_of_period(con, "indicator_values", "measured_on", "t.indicator_id", start, end)
    labels = {r["indicator_id"]: (r["label_en"] if lang == "en" else r["label_fr"], r["unit"])
              for r in db.fetch_rows(con, "SELECT indicator_id, label_fr, label_en, unit FROM indicators")}
    columns = [_(lang, "commune"), _(lang, "projet"), _(lang, "indicateur"), _(lang, "mesures"),
               _(lang, "dernière valeur"), _(lang, "mesurée le"), _(lang, "qui")]
    rows = []
    for (commune, project, indicator), group in found.groupby(["commune", "project", "indicator_id"], dropna=False,
                                                              sort=False):
        last = group.iloc[-1]
        label, unit = labels.get(indicator, (indicator, ""))
        value = formatting.number(last["value"], 2 if last["value"] % 1 else 0, lang)
        rows.append([commune if vocabulary.known(commune) else vocabulary.not_known(lang), project, label, len(group),
                     f"{value} {unit}".rstrip(), formatting.date(freshness.day_of(last["measured_on"]), "day", lang),
                     _who(last["by_user"], lang)])
    return Section("mesures", _(lang, "Nouvelles mesures"), pd.DataFrame(rows, columns=columns),
                   _(lang, "Aucune nouvelle mesure."))


def _turned(con, start, end, limits: freshness.Thresholds, lang: str) -> Section:
    before = freshness.projects(con, start.date(), limits=limits).set_index("project_id")["state"]
    now = freshness.projects(con, end.date(), limits=limits)
    fallen = now[[_RANK[s] > _RANK[before.get(p)] for p, s in zip(now["project_id"], now["state"])]]
    fallen = words.to_update(fallen)
    table = words.project_table(fallen, end.date(), limits, lang)
    table.insert(2, _(lang, "état au début"), [vocabulary.freshness_state(before.get(p), lang)
                                               for p in fallen["project_id"]])
    return Section("retards", _(lang, "Projets passés en retard ou obsolètes"), table,
                   _(lang, "Aucun projet n'est passé en retard ni obsolète."), words.thresholds_text(limits, lang))


def version_at(db_path: Path, moment: dt.datetime) -> str | None:
    """The version that was live at `moment` (the audit log's entries up to then), None when the log cannot tell
    (the live file was built after it, with no import since)."""
    entries = sorted(publishing.audit_entries(db_path), key=_at)
    before = [e for e in entries if _at(e) <= moment]
    if before:
        return before[-1]["version"]
    if entries:
        return entries[0]["previous_version"]
    current = publishing.current_version(db_path)
    return current if db.version_time(current) <= moment else None


def _findings_of(con, db_path: Path, version: str, lang: str) -> dict | None:
    """The findings of a version (the live one, or one versions/ keeps), by key; None when it is no longer kept."""
    if version == publishing.current_version(db_path):
        return {f.key: f for f in findings.collect(con, lang)}
    kept = publishing.version_path(db_path, version)
    if not kept.is_file():
        return None
    with closing(db.connect(kept)) as old:
        return {f.key: f for f in findings.collect(old, lang)}


def _findings_changed(con, db_path: Path, start, end, lang: str) -> Section:
    """The findings whose group differs between the versions live at the period's start and at its end."""
    name, title = "constats", _(lang, "Constats qui ont changé")
    columns = [_(lang, "sujet"), _(lang, "avant"), _(lang, "maintenant"), _(lang, "ce qu'il faut savoir")]
    then, until = version_at(db_path, start), version_at(db_path, end) or publishing.current_version(db_path)
    if then == until:
        return Section(name, title, pd.DataFrame(columns=columns),
                       _(lang, "Aucun constat n'a changé : les données sont celles du début de la période."))
    if then is None:
        return Section(name, title, pd.DataFrame(columns=columns),
                       _(lang, "Comparaison impossible : la base a été construite pendant la période, aucune version "
                               "antérieure n'est connue."))
    before, after = _findings_of(con, db_path, then, lang), _findings_of(con, db_path, until, lang)
    if before is None or after is None:
        return Section(name, title, pd.DataFrame(columns=columns),
                       _(lang, "Comparaison impossible : la version des données du début de la période n'est plus "
                               "gardée dans versions/."))
    rows = []
    for key in [*after, *(k for k in before if k not in after)]:
        old_group = before[key].group if key in before else None
        new_group = after[key].group if key in after else None
        if old_group == new_group:
            continue
        shown = after.get(key) or before[key]
        rows.append({columns[0]: shown.title,
                     columns[1]: findings.group_title(old_group, lang) if old_group else "—",
                     columns[2]: findings.group_title(new_group, lang) if new_group else "—",
                     columns[3]: shown.sentence})
    return Section(name, title, pd.DataFrame(rows, columns=columns), _(lang, "Aucun constat n'a changé."),
                   _(lang, "Comparé à la version {version}, en service au début de la période.", version=then))


def build(db_path, end: dt.datetime, period: dt.timedelta, lang: str = "fr",
          limits: freshness.Thresholds = freshness.Thresholds()) -> Digest:
    """The digest of the period that ends at `end` (an aware datetime: the caller's clock)."""
    db_path = Path(db_path)
    start = end - period
    entries = [e for e in sorted(publishing.audit_entries(db_path), key=_at) if start < _at(e) <= end]
    with closing(db.connect(db_path)) as con:
        digest = Digest(lang, start, end, narratives.published_line(db.publication(con), lang), db.is_synthetic(con))
        digest.sections = [_imports(entries, lang), _statuses(con, start, end, lang),
                           _measurements(con, start, end, lang), _turned(con, start, end, limits, lang),
                           _findings_changed(con, db_path, start, end, lang)]
    return digest


# --- writing it ------------------------------------------------------------------------------------------------

CSS = ("body{font-family:Arial,Helvetica,sans-serif;color:#111827;max-width:60rem}"
       "table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #9ca3af;padding:.25rem .5rem;"
       "text-align:left;vertical-align:top}th{background:#f3f4f6}.note{color:#374151;font-size:.9rem}"
       ".synthetic{color:#A00000;font-weight:bold}")


def _cell(value) -> str:
    return "" if not vocabulary.known(value) else str(value)


def to_html(digest: Digest) -> str:
    e, lang = escape.html, digest.lang
    parts = [f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{e(digest.title())}</title>"
             f"<style>{CSS}</style></head><body><h1>{e(digest.title())}</h1>",
             f"<p class='note'>{e(digest.published)}</p>"]
    if digest.synthetic:
        parts.append(f"<p class='synthetic'>{e(vocabulary.synthetic_banner(lang))}</p>")
    for section in digest.sections:
        parts.append(f"<h2>{e(section.title)} ({formatting.number(len(section.table), lang=lang)})</h2>")
        if section.table.empty:
            parts.append(f"<p>{e(section.empty)}</p>")
        else:
            header = "".join(f"<th scope='col'>{e(c)}</th>" for c in section.table.columns)
            body = "".join("<tr>" + "".join(f"<td>{e(_cell(v))}</td>" for v in row) + "</tr>"
                           for row in section.table.itertuples(index=False))
            parts.append(f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>")
        if section.note:
            parts.append(f"<p class='note'>{e(section.note)}</p>")
    files = ", ".join(f"{s.name}.csv" for s in digest.sections)
    parts.append(f"<p class='note'>{e(_(lang, 'Pièces jointes : {files}.', files=files))}</p></body></html>\n")
    return "".join(parts)


def write(digest: Digest, out) -> list[Path]:
    """DIR/digest.html and one DIR/<section>.csv a section (UTF-8 with BOM, cells safe from formulas)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / HTML_FILE]
    written[0].write_text(to_html(digest), encoding="utf-8")
    for section in digest.sections:
        path = out / f"{section.name}.csv"
        spreadsheet.safe_frame(section.table).to_csv(path, index=False, encoding="utf-8-sig")
        written.append(path)
    return written
