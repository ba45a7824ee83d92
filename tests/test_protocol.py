"""The protocol of each followed indicator (baseline, target, direction, status) and its progress: hand-computed
cases, the registry's three KPIs on the reference and a synthetic database, the import of a protocol file, and the
words every output prints (present/protocol)."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from qmi_metrics.admin import importing, publishing, readers
from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import reports
from qmi_metrics.outputs.document import Table, Text
from qmi_metrics.present import cards, formatting, protocol
from qmi_metrics.present.i18n import _
from qmi_metrics.present.vocabulary import known
from qmi_metrics.reads import programme, projects
from qmi_metrics.store import db, rollups

REPO = Path(__file__).resolve().parent.parent
PROGRESS_KPIS = ("protocol_target_share", "progress_mean", "progress_on_track_share")
D = dt.date

# (project, indicator followed in data/project_indicators.csv, indicator's direction): one hand-computed case each.
# protocol: (status, baseline value, baseline date, target value, target date); measurements: (date, value).
CASES = {
    "increase": ("boucl-energie", "energie-partagee", "hausse",
                 ("défini", 100, D(2024, 1, 1), 300, D(2025, 1, 1)),
                 [(D(2023, 12, 15), 50), (D(2024, 3, 10), 140), (D(2024, 7, 1), 180)]),
    "decrease": ("electra", "cout-installation", "baisse",
                 ("validé", 1000, D(2024, 1, 1), 600, D(2024, 12, 31)),
                 [(D(2024, 4, 1), 900), (D(2024, 5, 20), 700)]),
    "baseline_is_target": ("rob-etics", "cout-chantier", "baisse",
                           ("défini", 50, D(2024, 1, 1), 50, D(2024, 12, 31)), [(D(2024, 6, 1), 40)]),
    "no_measurement": ("purple", "surface-permeable", "hausse",
                       ("défini", 0, D(2024, 1, 1), 200, D(2025, 1, 1)), []),
    "beyond_target": ("vytal", "contenants-reutilises", "hausse",
                      ("défini", 10, D(2024, 1, 1), 20, D(2024, 7, 1)), [(D(2024, 9, 1), 35)]),
    "older_only": ("circular-place", "biens-reemployes", "hausse",
                   ("défini", 5, D(2024, 6, 1), 25, D(2025, 6, 1)), [(D(2024, 1, 10), 7), (D(2024, 3, 5), 9)]),
    "older_same_month": ("evolukid", "jeunes-sensibilises", "hausse",
                         ("défini", 4, D(2024, 6, 15), 12, D(2025, 6, 15)), [(D(2024, 6, 10), 5), (D(2024, 6, 20), 8)]),
    "no_target": ("modulatio", "matieres-premieres-economisees", "hausse",
                  ("à définir", 0.2, D(2024, 1, 1), None, None), [(D(2024, 5, 1), 0.3)]),
}


def days(a: dt.date, b: dt.date) -> int:
    return (b - a).days


# What each case gives, worked out by hand (progress, on track, trend, reason, older measurements ignored).
EXPECTED = {
    # (180 − 100) / (300 − 100); 182 of 366 days elapsed: 0.4 < 0.497, late; 140 → 180 in March → July: up.
    "increase": dict(progress=0.4, elapsed=days(D(2024, 1, 1), D(2024, 7, 1)) / days(D(2024, 1, 1), D(2025, 1, 1)),
                     on_track=False, trend="up", reason=None, older_ignored=1, current_value=180, previous_value=140),
    # (700 − 1000) / (600 − 1000); 140 of 365 days: 0.75 ≥ 0.384, on track; 900 → 700: down, the desired way.
    "decrease": dict(progress=0.75, elapsed=days(D(2024, 1, 1), D(2024, 5, 20)) / days(D(2024, 1, 1), D(2024, 12, 31)),
                     on_track=True, trend="down", reason=None, older_ignored=0, current_value=700, previous_value=900),
    "baseline_is_target": dict(progress=None, on_track=None, reason="target_is_baseline", older_ignored=0),
    "no_measurement": dict(progress=None, on_track=None, trend=None, reason="no_measurement", older_ignored=0),
    # (35 − 10) / (20 − 10) = 2.5, clamped to 1; past the target date: elapsed 1; previous = the baseline itself.
    "beyond_target": dict(progress=1.0, progress_raw=2.5, elapsed=1.0, on_track=True, trend="up", reason=None,
                          older_ignored=0, previous_value=10),
    # Both measurements predate the baseline (June 2024): ignored, nothing to measure progress with.
    "older_only": dict(progress=None, current_value=None, on_track=None, reason="only_older_measurements",
                       older_ignored=2),
    # June 10 is before the baseline of June 15, June 20 after: (8 − 4) / (12 − 4), the roll-up's month is not cut.
    "older_same_month": dict(progress=0.5, reason=None, older_ignored=1, current_value=8, previous_value=4,
                             trend="up"),
    "no_target": dict(progress=None, on_track=None, reason="no_target", older_ignored=0, current_value=0.3),
}


@pytest.fixture
def with_cases(writable_reference):
    """The reference database with the cases' protocols and measurements, its roll-ups refreshed."""
    con = writable_reference
    for project, indicator, _direction, (status, b_value, b_on, t_value, t_on), values in CASES.values():
        con.execute("INSERT INTO indicator_protocols (project_id, indicator_id, status, baseline_value, baseline_on,"
                    " target_value, target_on, author, source_id, basis)"
                    " VALUES ($p, $i, $s, $bv, $bo, $tv, $to, 'Comité de test', 'rapport_2025', 'stated')",
                    {"p": project, "i": indicator, "s": status, "bv": b_value, "bo": b_on, "tv": t_value, "to": t_on})
        for on, value in values:
            con.execute("INSERT INTO indicator_values VALUES ($p, $i, $on, $v, 'rapport_2025', 'stated', NULL)",
                        {"p": project, "i": indicator, "on": on, "v": value})
    rollups.refresh(con)
    return con


def progress_of(con, case: str) -> dict:
    project, indicator = CASES[case][:2]
    rows = projects.progress(con, project).to_dict("records")
    return next(row for row in rows if row["indicator_id"] == indicator)


# --- progress, by hand ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(CASES))
def test_progress_matches_the_hand_computed_case(with_cases, case):
    row = progress_of(with_cases, case)
    assert row["direction"] == CASES[case][2]
    for column, expected in EXPECTED[case].items():
        got = row[column]
        if expected is None:
            assert not known(got), (case, column, got)
        elif isinstance(expected, float):
            assert got == pytest.approx(expected), (case, column)
        else:
            assert got == expected, (case, column)


def test_a_followed_indicator_without_protocol_is_to_be_defined(with_cases):
    row = next(r for r in projects.progress(with_cases, "source-urbaine").to_dict("records"))
    assert (row["has_protocol"], row["status"], row["reason"]) == (False, "à définir", "no_protocol")
    assert not known(row["progress"]) and not known(row["baseline_value"])  # NULL, never 0


def test_what_the_outputs_print_for_each_case(with_cases):
    increase, decrease = progress_of(with_cases, "increase"), progress_of(with_cases, "decrease")
    assert protocol.progress_text(increase, "fr") == "40\u202f%"
    assert protocol.trend_text(increase, "fr") == "↑ en hausse · dans le sens souhaité"
    assert protocol.trend_text(decrease, "fr") == "↓ en baisse · dans le sens souhaité"
    assert protocol.trend_text(decrease, "en") == "↓ decreasing · the desired way"
    assert protocol.on_track_text(increase, "fr") == "en retard : 40\u202f% atteints, 49,7\u202f% de la période écoulée"
    assert protocol.on_track_text(decrease, "en").startswith("on track: 75%")
    assert protocol.older_text(increase, "fr") == "1 mesure antérieure à la valeur de départ, ignorée"
    assert protocol.bar_text(increase, "fr") == ("départ 100\u00a0kWh (1er janvier 2024) → cible 300\u00a0kWh"
                                                 " (1er janvier 2025) · dernière valeur 180\u00a0kWh (1er juillet 2024)")
    assert protocol.progress_text(progress_of(with_cases, "no_measurement"), "fr") == \
        "non calculable : aucune mesure depuis la valeur de départ"
    assert protocol.progress_text(progress_of(with_cases, "baseline_is_target"), "en") == \
        "not computable: target equal to the baseline"
    assert protocol.status_text(None, "fr") == "à définir"


def test_kpis_of_a_partly_defined_view_are_not_computable_with_their_reasons(with_cases):
    """Edition 1 with the cases: 6 indicators expect a progress (baseline and a different target), 4 have one;
    a partial mean is not shown (one rule for every ratio), its reasons are."""
    results = {r.id: r for r in kpis.compute_all(with_cases, Filters(edition=1), [kpis.BY_ID[i] for i in PROGRESS_KPIS])}
    mean = results["progress_mean"]
    assert (mean.value, mean.covered, mean.total) == (pytest.approx((0.4 + 0.75 + 1.0 + 0.5) / 4), 4, 6)
    assert mean.shown() == (None, "not computable", False)
    assert dict(mean.reasons) == {"no_protocol": 16, "no_measurement": 1, "only_older_measurements": 1,
                                  "target_is_baseline": 1, "no_target": 1}
    on_track = results["progress_on_track_share"]
    assert (on_track.value, on_track.covered, on_track.total) == (pytest.approx(3 / 4), 4, 6)
    target = results["protocol_target_share"]
    assert (target.value, target.covered, target.total) == (pytest.approx(7 / 8), 8, 24)
    assert target.reasons == (("no_protocol", 16),)


# --- the registry on the reference database: nothing published, everything « non calculable » ---------------

@pytest.mark.parametrize("kpi_id", PROGRESS_KPIS)
def test_reference_kpis_are_not_computable_with_their_reasons(reference_con, kpi_id):
    result = kpis.compute(reference_con, kpis.BY_ID[kpi_id], Filters(edition=1))
    assert result.value is None and result.covered == 0
    assert result.reasons == (("no_protocol", 24),)  # the 24 followed indicators of data/project_indicators.csv
    assert result.shown() == (None, "not computable", False)
    card = cards.card(result, "fr")
    assert card.text == "non renseigné"
    assert card.note.startswith("non calculable : aucun protocole (à définir) pour 24 indicateurs · couverture 0/")
    assert cards.card(result, "en").note.startswith("not computable: no protocol (to be defined) for 24 indicators")
    assert result.as_dict()["not_computable_because"] == [{"reason": "no_protocol", "rows": 24}]


def test_reference_holds_no_protocol_and_every_indicator_is_to_be_defined(reference_con):
    assert db.fetch_value(reference_con, "SELECT count(*) FROM indicator_protocols") == 0
    assert db.fetch_rows(reference_con, "SELECT status, reason, count(*) AS n, count(progress) AS computed"
                                        " FROM indicator_progress GROUP BY ALL") == [
        {"status": "à définir", "reason": "no_protocol", "n": 24, "computed": 0}]
    missing = programme.to_complete(reference_con, Filters(edition=1))
    assert len(missing) == 24 and set(missing["missing"]) == {"no_protocol"}


def test_an_edition_without_followed_indicators_is_unknown_not_uncomputable(reference_con):
    for kpi_id in PROGRESS_KPIS:
        result = kpis.compute(reference_con, kpis.BY_ID[kpi_id], Filters(edition=2))
        assert (result.value, result.reasons, result.shown()[1]) == (None, (), "unknown")


# --- the registry on a synthetic database, checked against the raw rows --------------------------------------

def test_synthetic_kpis_for_edition_1_recomputed_from_the_raw_tables(demo_con):
    """Edition 1 of the demo database: the three KPIs recomputed here from indicator_protocols and
    indicator_values alone (pandas, not the roll-ups), by the README's rules."""
    followed = db.fetch_df(demo_con, """
        SELECT pi.project_id, pi.indicator_id, pr.status, pr.baseline_value, pr.baseline_on, pr.target_value,
               pr.target_on FROM project_indicators pi JOIN projects p USING (project_id)
        LEFT JOIN indicator_protocols pr USING (project_id, indicator_id) WHERE p.edition_id = 1""")
    values = db.fetch_df(demo_con, """SELECT v.* FROM indicator_values v JOIN projects p USING (project_id)
                                      WHERE p.edition_id = 1""")
    assert followed["status"].notna().all()  # the generator writes a protocol for every followed indicator
    progress, on_track = [], []
    for row in followed.itertuples():
        if pd.isna(row.baseline_value) or pd.isna(row.target_value) or row.target_value == row.baseline_value:
            continue
        since = values[(values.project_id == row.project_id) & (values.indicator_id == row.indicator_id)
                       & (values.measured_on >= row.baseline_on)]
        latest = since.loc[since["measured_on"].idxmax()]
        share = min(1.0, max(0.0, (latest["value"] - row.baseline_value) / (row.target_value - row.baseline_value)))
        elapsed = min(1.0, max(0.0, (latest["measured_on"] - row.baseline_on).days
                               / (row.target_on - row.baseline_on).days))
        progress.append(share)
        on_track.append(share >= elapsed)
    assert len(progress) >= 20
    results = {r.id: r for r in kpis.compute_all(demo_con, Filters(edition=1), [kpis.BY_ID[i] for i in PROGRESS_KPIS])}
    assert (results["progress_mean"].value, results["progress_mean"].covered) == (
        pytest.approx(sum(progress) / len(progress)), len(progress))
    assert results["progress_mean"].shown()[1] == "computed"
    assert results["progress_on_track_share"].value == pytest.approx(sum(on_track) / len(on_track))
    assert results["protocol_target_share"].value == pytest.approx(followed["target_value"].notna().mean())
    assert results["protocol_target_share"].covered == results["protocol_target_share"].total == len(followed)


def test_synthetic_protocols_are_marked_synthetic_and_consistent(demo_con):
    rows = db.fetch_rows(demo_con, """
        SELECT pr.*, i.direction AS indicator_direction FROM indicator_protocols pr JOIN indicators i USING (indicator_id)""")
    assert rows and {r["source_id"] for r in rows} == {"synthetic"} and db.is_synthetic(demo_con)
    assert {r["status"] for r in rows} == {"à définir", "défini", "validé"}
    for r in rows:
        direction = r["direction"] or r["indicator_direction"]
        if r["target_value"] is not None:
            assert r["target_on"] > r["baseline_on"]
            assert (r["target_value"] > r["baseline_value"]) if direction != "baisse" else \
                (r["target_value"] < r["baseline_value"]), r
        assert (r["direction"] is None) == (r["direction_reason"] is None)


# --- the import: a protocol file, its validation, its re-import ----------------------------------------------

HEADER = ("project_id;indicator_id;status;baseline_value;baseline_on;target_value;target_on;direction;"
          "direction_reason;author\n")


@pytest.fixture
def live(reference_db_path, tmp_path):
    path = tmp_path / "live" / "qmi.duckdb"
    path.parent.mkdir()
    shutil.copy(reference_db_path, path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_protocol_file_is_published_then_edited_by_reimport(live):
    text = (HEADER
            + "Boucl'Énergie;energie-partagee;défini;1 200;01/01/2024;5 000;31/12/2027;;;Comité de pilotage\n"
            + "electra;Coût d'installation;à définir;35 000;2024-02-01;;;;;\n")
    result = publishing.publish_import(live, readers.read_file(text.encode("utf-8"), "protocoles.csv",
                                                               "indicator_protocols"), "indicator_protocols",
                                       "upsert", by="test")
    assert result.counts["indicator_protocols"].added == 2
    with db.connect(live) as con:
        first = progress_of_pair(con, "boucl-energie", "energie-partagee")
        assert (first["status"], first["baseline_value"], first["target_value"], first["reason"]) == \
            ("défini", 1200, 5000, "no_measurement")
        assert progress_of_pair(con, "electra", "cout-installation")["reason"] == "no_target"
        audit = db.fetch_rows(con, "SELECT table_name, mode, rows_added FROM audit_log")
        assert audit == [{"table_name": "indicator_protocols", "mode": "upsert", "rows_added": 2}]
        assert kpis.compute(con, kpis.BY_ID["protocol_target_share"], Filters(edition=1)).covered == 2
    again = HEADER + "boucl-energie;energie-partagee;validé;1 200;01/01/2024;6 000;31/12/2027;;;Comité de pilotage\n"
    result = publishing.publish_import(live, readers.read_file(again.encode("utf-8"), "protocoles-v2.csv",
                                                               "indicator_protocols"), "indicator_protocols",
                                       "upsert", by="test")
    assert (result.counts["indicator_protocols"].updated, result.counts["indicator_protocols"].added) == (1, 0)
    with db.connect(live) as con:
        edited = progress_of_pair(con, "boucl-energie", "energie-partagee")
        assert (edited["status"], edited["target_value"]) == ("validé", 6000)


def progress_of_pair(con, project: str, indicator: str) -> dict:
    return next(r for r in projects.progress(con, project).to_dict("records") if r["indicator_id"] == indicator)


BAD_ROWS = [
    # (row, what is wrong, column, words of the expectation)
    ("boucl-energie;energie-partagee;défini;5 000;01/01/2024;1 200;31/12/2027;;;", "target_value", "supérieure"),
    ("purple;energie-partagee;défini;1;01/01/2024;2;31/12/2027;;;", "indicator_id", "suit (table project_indicators)"),
    ("purple;surface-permeable;défini;;01/01/2024;2;31/12/2027;;;", "baseline_value", "« défini »"),
    ("purple;surface-permeable;défini;1;01/01/2025;2;01/06/2024;;;", "target_on", "après le 01/01/2025"),
    ("ecoflow;flux-mobilite;défini;20;01/01/2024;10;31/12/2027;baisse;;", "direction_reason", "la raison"),
    ("modulatio;matieres-premieres-economisees;défini;20 %;01/01/2024;140 %;31/12/2027;;;", "target_value",
     "un taux entre 0 et 1"),
    ("purple;surface-permeable;prévu;1;01/01/2024;2;31/12/2027;;;", "status", "à définir, défini, validé"),
]


@pytest.mark.parametrize("line, column, expected", BAD_ROWS)
def test_a_bad_row_is_refused_with_its_row_column_and_what_was_expected(reference_con, line, column, expected):
    text = HEADER + "electra;cout-installation;à définir;;;;;;;\n" + line + "\n"
    problems = importing.validate(reference_con, readers.read_file(text.encode("utf-8"), "protocoles.csv",
                                                                    "indicator_protocols"), "indicator_protocols")
    assert [(p.row, p.column) for p in problems] == [(3, column)], [p.message_fr for p in problems]
    assert expected in problems[0].expected_fr and problems[0].expected_en
    assert problems[0].message_fr.startswith(f"protocoles.csv, ligne 3, colonne « {column} »")


def test_the_command_line_refuses_a_bad_file_with_exit_2_and_writes_nothing(live, tmp_path):
    bad = tmp_path / "protocoles.csv"
    bad.write_text(HEADER + "boucl-energie;energie-partagee;défini;5 000;01/01/2024;1 200;31/12/2027;;;\n",
                   encoding="utf-8")
    before = sha256(live)
    done = subprocess.run([sys.executable, "-m", "qmi_metrics", "import", str(bad), "--table", "indicator_protocols",
                           "--db", str(live), "--by", "test"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "ligne 2, colonne « target_value »" in done.stderr and "supérieure à la valeur de départ" in done.stderr
    assert sha256(live) == before


def test_a_target_equal_to_its_baseline_is_accepted_with_a_warning(reference_con):
    text = HEADER + "rob-etics;cout-chantier;défini;50;01/01/2024;50;31/12/2027;;;\n"
    prepared = importing.prepare(reference_con, readers.read_file(text.encode("utf-8"), "p.csv", "indicator_protocols"),
                                 "indicator_protocols")
    assert prepared.ok and [(w.row, w.column) for w in prepared.warnings] == [(2, "target_value")]
    assert "non calculable" in prepared.warnings[0].expected_fr


# --- the evaluation sheet (and so the showcase's project page, which is the sheet) ----------------------------

def sheet_table(con, project_id: str, lang: str = "fr"):
    report = reports.project_sheet(con, project_id, lang)
    table = next(b for b in report.blocks if isinstance(b, Table) and b.header[0] == _(lang, "Indicateur (protocole)"))
    notes = " ".join(b.text for b in report.blocks if isinstance(b, Text))
    return table, notes


def test_the_reference_sheet_says_each_protocol_is_to_be_defined(reference_con):
    table, notes = sheet_table(reference_con, "source-urbaine")
    assert table.header[4:6] == ["Départ → cible", "Avancement"]
    assert [row[0] for row in table.rows] == ["Capacité rafraîchissante (écart de température) (à définir)",
                                              "Eau de pluie stockée et réutilisée (à définir)"]
    assert {(row[4], row[5]) for row in table.rows} == {
        ("non renseigné → non renseigné", "non calculable : aucun protocole (à définir)")}
    assert protocol.formula_note("fr") in notes and protocol.on_track_note("fr") in notes


def test_a_synthetic_sheet_shows_each_indicators_progress(demo_con):
    project_id = db.fetch_value(demo_con, "SELECT min(project_id) FROM indicator_progress WHERE on_track IS NOT NULL")
    rows = {r["indicator_id"]: r for r in projects.progress(demo_con, project_id).to_dict("records")}
    table, _notes = sheet_table(demo_con, project_id, "en")
    followed = projects.indicators(demo_con, project_id)
    assert len(table.rows) == len(followed) == len(rows)
    for cells, indicator_id in zip(table.rows, followed["indicator_id"]):
        row = rows[indicator_id]
        assert cells[4] == protocol.plan_cell(row, "en") and cells[5] == protocol.progress_cell(row, "en")
        if known(row["progress"]):
            assert cells[5].startswith(formatting.value(row["progress"], "ratio", "en"))
            assert ("on track" if row["on_track"] else "late") in cells[5]


def test_an_incomplete_protocol_is_what_a_project_lacks_until_it_is_complete(live):
    """« À mettre à jour » says « protocole incomplet » for a followed indicator without a complete protocol; a
    complete one (baseline, target, their dates) takes it off the list (freshness, issue 14 part 2)."""
    from qmi_metrics.present import freshness as freshness_words
    from qmi_metrics.reads import freshness

    def lacks(project_id):
        with db.connect(live) as con:
            row = freshness.projects(con, D(2026, 1, 1)).set_index("project_id").loc[project_id]
        return freshness_words.missing(row, D(2026, 1, 1), freshness.Thresholds())

    assert "protocole incomplet (2 indicateurs)" in lacks("pelican")
    text = (HEADER + "pelican;agents-utilisateurs;défini;2;01/01/2024;10;31/12/2026;;;Comité\n"
            + "pelican;marchandises-transportees;à définir;100;01/01/2024;;;;;\n")
    publishing.publish_import(live, readers.read_file(text.encode("utf-8"), "p.csv", "indicator_protocols"),
                              "indicator_protocols", "upsert", by="test")
    assert "protocole incomplet (1 indicateur)" in lacks("pelican")


def test_a_commune_editor_sets_the_protocols_of_its_own_communes_only(reference_con):
    """Boucl'Énergie is in Meudon (92048), Electra in Noisy-le-Grand (93051): a Meudon editor's file with both is
    refused on Electra's row, by the same scope rule as every table (issue 14, part 3)."""
    text = (HEADER + "boucl-energie;energie-partagee;à définir;;;;;;;\n"
            + "electra;cout-installation;à définir;;;;;;;\n")
    parsed = readers.read_file(text.encode("utf-8"), "p.csv", "indicator_protocols")
    problems = importing.validate(reference_con, parsed, "indicator_protocols", "upsert", frozenset({"92048"}))
    assert [(p.row, p.column) for p in problems] == [(3, "project_id")]
    assert "seul un gestionnaire du programme" in problems[0].expected_fr
    assert importing.validate(reference_con, parsed, "indicator_protocols", "upsert") == []  # a programme manager


def test_the_showcase_project_page_shows_the_progress(demo_con):
    """The showcase's project page is the sheet (site.project_page draws reports.sheet as HTML, charts as SVG)."""
    from html import unescape

    from qmi_metrics.outputs import site

    project_id = db.fetch_value(demo_con, "SELECT min(project_id) FROM indicator_progress WHERE progress IS NOT NULL")
    rows = reports.sheet_rows(demo_con, [project_id])[project_id]
    page = site.Page(site.project_path(project_id, "fr"), "project", "fr", project_id=project_id)
    context = site.Context("assets/site.css", True, "/", {}, {page.path: "2026-12-01T10:00:00+00:00"})
    html = unescape(site.project_page(rows, page, context, "v1"))
    for row in rows.progress.to_dict("records"):
        assert f"<td>{protocol.plan_cell(row, 'fr')}</td>" in html and f"<td>{protocol.progress_cell(row, 'fr')}</td>" in html
