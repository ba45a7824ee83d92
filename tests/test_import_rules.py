"""Consistency rules of an import (docs/IMPORT.md, « Règles de cohérence »): what is refused, what is only
warned, against the file's rows and the database's. The refused corpus files (tests/import_corpus/bad) run
through the CLI in test_import.py; here each rule's edges, through the API the admin page calls."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from qmi_metrics.admin import catalogue, columns, importing, readers, rules
from qmi_metrics.store import db

REPO = Path(__file__).resolve().parent.parent
THIS_YEAR = date.today().year


def prepare(con, text: str, table: str, mode: str = "append", name: str = "saisie.csv") -> importing.Prepared:
    return importing.prepare(con, readers.read_file(text.encode("utf-8"), name, table), table, mode)


def located(problems) -> list[tuple]:
    return [(p.row, p.column, p.value) for p in problems]


# --- a project's history goes forward -----------------------------------------------------------

EVENTS = "event_id,project_id,kind,date_start,date_end,date_precision\n"


def test_a_stage_dated_before_an_earlier_stage_of_the_database_is_refused(reference_con):
    # faradae-started is 01/06/2023 (month) in the reference data.
    prepared = prepare(reference_con, EVENTS + ",faradae,deployed,2023-05-31,,day\n", "project_events")
    assert located(prepared.problems) == [(2, "date_start", date(2023, 5, 31))]
    problem = prepared.problems[0]
    assert "l'étape « démarré » (started, dans la base : faradae-started) datée du 01/06/2023" in problem.message_fr
    assert "the 'started' stage (in the database: faradae-started) dated 01/06/2023" in problem.message_en


def test_an_earlier_stage_dated_after_a_later_stage_of_the_database_is_refused(writable_reference):
    writable_reference.execute("INSERT INTO project_events VALUES ('faradae-deployed', 'faradae', 'deployed',"
                               " DATE '2024-02-01', NULL, 'month', 'rapport_2025', NULL, NULL, 'stated', NULL)")
    prepared = prepare(writable_reference, EVENTS + "faradae-started,faradae,started,2024-05-01,,month\n",
                       "project_events", "upsert")
    assert located(prepared.problems) == [(2, "date_start", date(2024, 5, 1))]
    assert "une date qui ne suit pas l'étape « déployé » (deployed, dans la base : faradae-deployed)" \
        in prepared.problems[0].message_fr
    # The same move with the deployment moved too, in the same file: the merged history is in order.
    fixed = prepare(writable_reference, EVENTS + "faradae-started,faradae,started,2024-05-01,,month\n"
                    "faradae-deployed,faradae,deployed,2024-08-01,,month\n", "project_events", "upsert")
    assert fixed.ok, [p.message for p in fixed.problems]


def test_stages_in_the_same_period_at_their_precision_are_not_a_conflict(reference_con):
    # A day in June 2023 is not before « June 2023 » (month): neither way round.
    same_month = prepare(reference_con, EVENTS + ",faradae,deployed,2023-06-15,,day\n"
                         "soy-pv-started,soy-pv,started,2023-06-20,,day\n,soy-pv,deployed,2023-06-01,,month\n",
                         "project_events", "upsert")
    assert same_month.ok, [p.message for p in same_month.problems]
    # A season stands for three months, a year for twelve; a period's end date counts too.
    wider = prepare(reference_con, EVENTS + "soy-pv-started,soy-pv,started,2023-08-10,,day\n"
                    ",soy-pv,deployed,2023-06-01,,season\n,faradae,tested,2023-01-01,,year\n"
                    "kunagi-started,kunagi,started,2023-09-01,,day\n,kunagi,tested,2023-05-01,2023-09-30,month\n",
                    "project_events", "upsert")
    assert wider.ok, [p.message for p in wider.problems]
    outside = prepare(reference_con, EVENTS + "soy-pv-started,soy-pv,started,2023-09-01,,day\n"
                      ",soy-pv,deployed,2023-06-01,,season\n", "project_events", "upsert")
    assert located(outside.problems) == [(3, "date_start", date(2023, 6, 1))]


def test_continued_and_stopped_come_last_and_undated_stages_are_not_compared(reference_con):
    prepared = prepare(reference_con, EVENTS + ",purple,stopped,2024-10-01,,month\n"
                       ",purple,continued,2024-12-01,,month\n,soy-pv,deployed,,,\n", "project_events")
    # purple-deployed is 01/11/2024 in the reference data: stopping in October is before it.
    assert located(prepared.problems) == [(2, "date_start", date(2024, 10, 1))]
    assert "faradae" not in prepared.problems[0].message_fr and "purple-deployed" in prepared.problems[0].message_fr


def test_replace_mode_checks_the_file_alone(reference_con):
    # The database's faradae-started goes with a replace: a file without it has no earlier stage.
    text = EVENTS + ",faradae,deployed,2023-03-01,,month\n"
    assert not prepare(reference_con, text, "project_events", "upsert").ok
    assert prepare(reference_con, text, "project_events", "replace").ok


# --- a project in a commune that is not laureate of its edition: a warning ------------------------

PROJECTS = "project_id;edition_id;name;insee\n"


def test_a_project_in_a_commune_not_laureate_of_its_edition_is_accepted_with_a_warning(reference_con):
    prepared = prepare(reference_con, PROJECTS + "nouveau-projet;2;Nouveau projet;Meudon\n"
                       "autre-projet;1;Autre projet;Meudon\nsans-commune;2;Sans commune;\n", "projects")
    assert prepared.ok and prepared.counts["projects"].added == 3
    assert located(prepared.warnings) == [(2, "insee", "Meudon")]  # Meudon (92048) is laureate of edition 1 only
    warning = prepared.warnings[0]
    assert "la commune 92048 n'est pas lauréate de l'édition 2 (table commune_editions) : import accepté" \
        in warning.message_fr
    assert "commune 92048 is not a laureate of edition 2" in warning.message_en
    assert warning.as_dict()["row"] == 2 and warning.message_fr.startswith("saisie.csv, ligne 2, colonne « insee »")
    assert not prepared.problems


def test_the_cli_prints_warnings_and_publishes(reference_db_path, tmp_path):
    db_path = tmp_path / "qmi.duckdb"
    shutil.copyfile(reference_db_path, db_path)
    path = tmp_path / "projets.csv"
    path.write_text(PROJECTS + "nouveau-projet;2;Nouveau projet;Meudon\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "qmi_metrics", "import", path, "--table", "projects", "--db", db_path,
                           "--by", "test"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 avertissement(s), import accepté / 1 warning(s), import accepted" in done.stdout
    assert "projets.csv, ligne 2, colonne « insee » : valeur « Meudon » — la commune 92048 n'est pas lauréate" \
        in done.stdout
    with db.connect(db_path) as con:
        assert db.fetch_value(con, "SELECT insee FROM projects WHERE project_id = 'nouveau-projet'") == "92048"


# --- plausible magnitudes and signs -------------------------------------------------------------

COMMUNITY = "event_id,edition_id,insee,date_start,date_precision,participants\n"


@pytest.mark.parametrize(("participants", "ok"), [("10000", True), ("10 001", False), ("2147483647", False)])
def test_participants_above_a_plausible_maximum_are_refused(reference_con, participants, ok):
    prepared = prepare(reference_con, COMMUNITY + f'e1-test,1,Meudon,2024-06-01,month,"{participants}"\n',
                       "community_events")
    assert prepared.ok is ok
    if not ok:
        assert located(prepared.problems) == [(2, "participants", participants)]
        assert "une valeur plausible, d'au plus 10 000" in prepared.problems[0].message_fr


def test_every_plausible_maximum_is_on_a_numeric_importable_column():
    for (table, column), maximum in columns.PLAUSIBLE_MAXIMA.items():
        assert table in catalogue.IMPORTABLE_TABLES
        assert catalogue.table_schema(table).column(column).sql_type in ("INTEGER", "DOUBLE"), (table, column)
        assert maximum > 0
    assert "au plus 10 000 (valeur plausible)" in {
        r["colonne"]: r["valeurs possibles"] for r in columns.column_descriptions("community_events")}["participants"]


def test_an_implausible_population_is_refused(reference_con):
    text = ("insee;name;departement;population\n92999;Ville A;92;3 000 000\n92998;Ville B;92;3 000 001\n")
    prepared = prepare(reference_con, text, "communes")
    assert located(prepared.problems) == [(3, "population", "3 000 001")]


VALUES = "project_id;indicator_id;measured_on;value\n"


def test_negative_values_are_refused_for_units_that_cannot_be_negative(reference_con):
    prepared = prepare(reference_con, VALUES + "faradae;energie-partagee;31/03/2024;-1 200,5\n"
                       "faradae;co2-evite;31/03/2024;-3\nfaradae;cout-installation;31/03/2024;-10\n"
                       "faradae;energie-partagee;30/04/2024;0\nfaradae;rafraichissement;31/03/2024;-1,5\n",
                       "indicator_values")
    assert located(prepared.problems) == [(2, "value", "-1 200,5"), (3, "value", "-3"), (4, "value", "-10")]
    assert "l'unité de l'indicateur (t CO2e) ne peut pas être négative" in prepared.problems[1].message_fr
    # A temperature difference may be negative, within the plausible maximum.
    assert not prepare(reference_con, VALUES + "faradae;rafraichissement;31/03/2024;-2e9\n", "indicator_values").ok


def test_every_indicator_unit_is_declared_signed_or_not():
    with (REPO / "data" / "indicators.csv").open(encoding="utf-8") as handle:
        units = {row["unit"] for row in csv.DictReader(handle)}
    assert units <= rules.NON_NEGATIVE_UNITS | rules.SIGNED_UNITS, units - rules.NON_NEGATIVE_UNITS
    assert not rules.NON_NEGATIVE_UNITS & rules.SIGNED_UNITS


# --- an edition's status against its years ------------------------------------------------------

EDITIONS = "edition_id;label_fr;label_en;first_year;last_year;status\n"


@pytest.mark.parametrize(("first", "last", "status", "refused_column"), [
    (2024, 2100, "terminée", "last_year"),
    (THIS_YEAR + 1, "", "terminée", "first_year"),
    (THIS_YEAR + 1, THIS_YEAR + 3, "en cours", "first_year"),
    (2020, 2021, "à venir", "last_year"),
    (2022, THIS_YEAR, "terminée", None),
    (THIS_YEAR, THIS_YEAR + 3, "en cours", None),
    (THIS_YEAR + 1, THIS_YEAR + 3, "à venir", None),
])
def test_an_edition_status_that_contradicts_its_years_is_refused(reference_con, first, last, status, refused_column):
    prepared = prepare(reference_con, EDITIONS + f"3;3e édition;3rd edition;{first};{last};{status}\n", "editions")
    if refused_column is None:
        assert prepared.ok and not prepared.warnings, [p.message for p in prepared.problems]
    else:
        assert [(p.row, p.column) for p in prepared.problems] == [(2, refused_column)]
        assert f"« {status} »" in prepared.problems[0].message_fr


def test_an_edition_far_in_the_future_is_accepted_with_a_warning(reference_con):
    far = THIS_YEAR + rules.FAR_FUTURE_YEARS + 1
    prepared = prepare(reference_con, EDITIONS + f"3;3e édition;3rd edition;{far};{far + 2};à venir\n", "editions")
    assert prepared.ok
    assert located(prepared.warnings) == [(2, "first_year", far)]
    warning = prepared.warnings[0]
    assert "édition lointaine" in warning.message_fr and "import accepted" in warning.message_en


def test_the_reference_data_passes_every_rule(reference_con):
    """Exporting a table and importing it back in upsert mode raises no problem and no warning."""
    for table in ("projects", "project_events", "editions", "community_events", "communes"):
        rows = db.fetch_rows(reference_con, f"SELECT * FROM {table}")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(rows[0])
        writer.writerows([["" if v is None else v for v in r.values()] for r in rows])
        prepared = prepare(reference_con, out.getvalue(), table, "upsert", name=f"{table}.csv")
        assert prepared.ok and not prepared.warnings, [p.message for p in prepared.problems + prepared.warnings]


# --- how a row stands to its source ---------------------------------------------------------------

def test_a_row_not_stated_by_its_source_needs_its_rule(reference_con):
    header = "event_id,project_id,kind,date_start,date_end,date_precision,source_id,source_quote,basis,basis_rule\n"
    # Typed in French or as stored; without its rule the row is refused, on the rule's cell.
    refused = prepare(reference_con, header + ",soy-pv,deployed,2024-09-01,,month,cp_2023,,inféré,\n", "project_events")
    assert located(refused.problems) == [(2, "basis_rule", None)]
    problem = refused.problems[0]
    assert "la règle qui donne la ligne, en une phrase : elle est « inféré » (inferred)" in problem.message_fr
    assert "the rule the row comes from, in one sentence: it is inferred" in problem.message_en
    accepted = prepare(reference_con, header + ",soy-pv,deployed,2024-09-01,,month,cp_2023,,modelled,"
                       "Date choisie par le tableau de bord.\n", "project_events")
    assert accepted.ok, accepted.problems
    assert (accepted.records[0]["basis"], accepted.records[0]["basis_rule"]) == (
        "modelled", "Date choisie par le tableau de bord.")
    assert not prepare(reference_con, header + ",soy-pv,deployed,2024-09-01,,month,cp_2023,,supposé,\n",
                       "project_events").ok


def test_what_a_managers_file_says_it_states(reference_con):
    prepared = prepare(reference_con, EVENTS + ",soy-pv,deployed,2024-09-01,,month\n", "project_events")
    assert prepared.ok, prepared.problems
    assert (prepared.records[0]["basis"], prepared.records[0]["basis_rule"]) == ("stated", None)
    assert "basis" not in [c for c in catalogue.table_schema("project_events").names
                           if columns.is_required("project_events", c)]
