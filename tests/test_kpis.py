"""The KPI registry: its declarations, and each KPI against a hand-computed expectation."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from helpers import as_filters, every_edition_and_commune

from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import cards
from qmi_metrics.store import db, rollups

REPO = Path(__file__).resolve().parent.parent

AULNAY, MEUDON, NOISY, SCEAUX = "93005", "92048", "93051", "92071"
# Months from June 2023 (solutions hosted since then, press release) to deployment:
# Source Urbaine in May 2024 and Purple in November 2024 (report, "Les belles histoires").
DEPLOYMENT_MONTHS = [(dt.date(2024, 5, 1) - dt.date(2023, 6, 1)).days / 30.4375,
                     (dt.date(2024, 11, 1) - dt.date(2023, 6, 1)).days / 30.4375]

# Edition 1 of the reference database, worked out by hand from the documents:
# id -> (value, covered, total)
EXPECTED_EDITION_1 = {
    "communes_count": (4, 4, 4),
    "network_communes_count": (10, 10, 10),            # 4 communes of edition 1 + 6 of edition 2
    "departements_count": (2, 4, 4),                   # 92 and 93
    "ept_count": (4, 4, 4),                            # one EPT per commune in the official list
    "commune_population_min": (20884, 4, 4),           # Sceaux
    "commune_population_max": (87599, 4, 4),           # Aulnay-sous-Bois
    "commune_applications_count": (4, 4, 6),           # the 4 laureates known out of 6 applications
    "candidatures_count": (28, 28, 170),               # 28 selected projects known; 170 (press) > 168 (report)
    "projects_selected_count": (28, 28, 30),           # the report lists 28 of its 30
    "projects_deployed_count": (7, 7, 28),              # Purple, Source Urbaine, Pelican, Wintics, EcoFlow, Evolukid, Kunagi
    "projects_per_commune_min": (6, 4, 4),             # Sceaux
    "projects_per_commune_max": (8, 4, 4),             # Noisy-le-Grand
    "selection_rate": (1.0, 28, 170),                  # only laureates are known row by row
    "deployment_rate": (1.0, 7, 28),                   # 7 projects said deployed or tested, none said stopped
    "mean_deployment_months": (sum(DEPLOYMENT_MONTHS) / 2, 2, 7),
    "theme_share:espaces-publics": (0.25, 4, 28),      # Purple (press release examples)
    "theme_share:adaptation-climat": (0.25, 4, 28),    # Végétalisation 2nde vie
    "theme_share:flux-mobilites": (0.25, 4, 28),       # Pelican
    "theme_share:economie-circulaire": (0.25, 4, 28),  # Vytal
    "theme_share:animation-commerces": (0.0, 4, 28),
    "theme_share:renouvellement-urbain": (0.0, 4, 28),
    "theme_share:habitat-usages": (0.0, 4, 28),
    "theme_share:sport-en-ville": (0.0, 4, 28),
    "international_share": (None, 0, 170),
    "digital_share": (8 / 28, 28, 28),                 # 8 projects typed NUMÉRIQUE
    "community_events_count": (4, 4, 4),
    "community_participants_total": (80 + 60 + 90 + 50, 4, 4),
    "community_participants_min": (50, 4, 4),
    "community_participants_max": (90, 4, 4),
    "diagnostics_people_total": (None, 0, 14),
    "diagnostic_mean_participants:marche sensible": (None, 0, 5),
    "diagnostic_mean_participants:entretiens": (None, 0, 4),
    "diagnostic_mean_participants:atelier carte sur table": (None, 0, 4),
    "indicators_count": (21, 21, 60),                   # the report's library holds "plus de 60"
    # Unknown, not 0: no project of the edition is known evaluated, no measurement is published at all.
    "evaluation_sheets_count": (None, 0, 28),
    "measurements_count": (None, 0, 28),
    "measured_projects_share": (None, 0, 28),
    "replicability_index_mean": (None, 0, 28),
    # No protocol is published: of the 24 followed indicators none has one, so none expects a progress yet.
    "protocol_target_share": (None, 0, 24),
    "progress_mean": (None, 0, 0),
    "progress_on_track_share": (None, 0, 0),
    "financing_brake_score": (6, 1, 1),
}
REQUIRED_IDS = ("communes_count", "candidatures_count", "projects_selected_count", "selection_rate",
                "deployment_rate", "mean_deployment_months", "international_share", "digital_share",
                "community_events_count", "community_participants_total", "indicators_count",
                "evaluation_sheets_count")


def test_registry_ids_labels_and_units_are_sound():
    ids = [k.id for k in kpis.REGISTRY]
    assert len(ids) == len(set(ids))
    assert len({k.label_fr for k in kpis.REGISTRY}) == len(ids)
    assert len({k.label_en for k in kpis.REGISTRY}) == len(ids)
    for kpi in kpis.REGISTRY:
        assert kpi.unit in kpis.UNITS, kpi.id
        assert set(kpi.filters) <= set(kpis.FILTER_NAMES), kpi.id
        assert kpi.definition_fr and kpi.definition_en, kpi.id
        # Values reach SQL only as bound parameters.
        assert set(re.findall(r"\$(\w+)", kpi.sql)) <= {"edition", "commune", "theme", "key"}, kpi.id
        assert "{" not in kpi.sql and "%s" not in kpi.sql, kpi.id
        assert ("$key" in kpi.sql) == (kpi.keys_sql is not None), kpi.id
    for required in REQUIRED_IDS:
        assert required in ids


def test_every_declared_figure_exists(reference_con):
    known = set(kpis.published_figures(reference_con))
    for kpi in kpis.expand(reference_con):
        for ref in kpi.figures:
            assert ref.figure_id in known, (kpi.id, ref.figure_id)
    for kpi in kpis.REGISTRY:
        for refs in kpi.figures_by_key.values():
            assert {r.figure_id for r in refs} <= known, kpi.id


def test_every_kpi_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for kpi in kpis.REGISTRY:
        assert f"`{kpi.id}`" in readme, kpi.id


def test_qmi_metrics_does_not_import_streamlit():
    for path in (REPO / "qmi_metrics").rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+streamlit", path.read_text(encoding="utf-8"), re.M), path


def test_expectations_cover_the_whole_registry(reference_con):
    expanded = {k.id for k in kpis.expand(reference_con)}
    assert expanded == set(EXPECTED_EDITION_1)
    # The one family with no member here is checked on added scores below.
    assert {k.id for k in kpis.REGISTRY if k.is_family} - {i.split(":")[0] for i in expanded} == {"replicability_index"}


@pytest.mark.parametrize("kpi_id", sorted(EXPECTED_EDITION_1))
def test_kpi_matches_hand_computed_value(reference_con, kpi_id):
    value, covered, total = EXPECTED_EDITION_1[kpi_id]
    result = kpis.compute(reference_con, kpis.get(reference_con, kpi_id), Filters(edition=1))
    assert result.value == (None if value is None else pytest.approx(value))
    assert (result.covered, result.total) == (covered, total)


def test_replicability_index_of_a_scored_project(writable_reference):
    con = writable_reference
    for criterion, score in zip(["ampleur-deploiement", "facilite-operationnelle", "solidite-financiere",
                                 "industrialisation", "traction-commerciale"], [3, 4, 5, 2, 1]):
        con.execute("INSERT INTO replicability_scores VALUES ('purple', $c, $s, NULL, 'cp_2023', 'stated', NULL)",
                    {"c": criterion, "s": score})
    con.execute("INSERT INTO replicability_scores VALUES ('pelican', 'industrialisation', 5, NULL, 'cp_2023', 'stated', NULL)")
    rollups.refresh(con)  # what build and publish do after writing: the family gets its new members
    purple = kpis.compute(con, kpis.get(con, "replicability_index:purple"))
    assert (purple.value, purple.covered, purple.total, purple.unit) == (pytest.approx(0.6), 5, 5, "index")
    pelican = kpis.compute(con, kpis.get(con, "replicability_index:pelican"))
    assert (pelican.value, purple.is_complete, pelican.is_complete) == (pytest.approx(1.0), True, False)
    mean = kpis.compute(con, kpis.BY_ID["replicability_index_mean"], Filters(edition=1))
    assert (mean.value, mean.covered) == (pytest.approx(0.8), 2)


def test_deployment_kpis_follow_new_events(writable_reference):
    con = writable_reference
    con.execute("""INSERT INTO project_events VALUES
        ('soy-pv-stopped', 'soy-pv', 'stopped', NULL, NULL, NULL, 'cp_2023', NULL, NULL, 'stated', NULL),
        ('faradae-deployed', 'faradae', 'deployed', DATE '2024-02-01', NULL, 'month', 'cp_2023', NULL, NULL, 'stated', NULL),
        ('faradae-evaluated', 'faradae', 'evaluated', NULL, NULL, NULL, 'cp_2023', NULL, NULL, 'stated', NULL)""")
    rate = kpis.compute(con, kpis.BY_ID["deployment_rate"], Filters(edition=1))
    assert (rate.value, rate.covered) == (pytest.approx(8 / 9), 9)
    months = kpis.compute(con, kpis.BY_ID["mean_deployment_months"], Filters(edition=1))
    faradae = (dt.date(2024, 2, 1) - dt.date(2023, 6, 1)).days / 30.4375
    assert months.value == pytest.approx((sum(DEPLOYMENT_MONTHS) + faradae) / 3)
    sheets = kpis.compute(con, kpis.BY_ID["evaluation_sheets_count"], Filters(edition=1, communes=(MEUDON,)))
    assert (sheets.value, sheets.total) == (1, 7)


def test_a_delay_from_an_inferred_start_says_so_next_to_its_number(reference_con):
    # Aulnay: Purple's 17 months run from June 2023, the programme's milestone applied to each project.
    result = kpis.compute(reference_con, kpis.BY_ID["mean_deployment_months"], Filters(edition=1, communes=(AULNAY,)))
    assert result.shown()[:2] == (pytest.approx(DEPLOYMENT_MONTHS[1]), "computed")
    assert [(b.basis, b.rows) for b in result.bases] == [("inferred", 1)]
    assert result.as_dict()["rests_on"] == [{"basis": "inferred", "rule": result.bases[0].rule, "rows": 1}]
    french, english = cards.card(result, "fr"), cards.card(result, "en")
    assert french.note == ("calculé · inféré : Jalon du programme (juin 2023, les 4 communes accueillent les 30"
                           " solutions) appliqué à chaque projet · couverture 1/1")
    assert english.note.startswith("computed · inferred: Jalon du programme") and english.rests_on
    # The published « 11 mois » shown for the edition does not rest on those rows: its card names none.
    edition = cards.card(kpis.compute(reference_con, kpis.BY_ID["mean_deployment_months"], Filters(edition=1)), "fr")
    assert (edition.text, edition.rests_on) == ("11\u00a0mois", "")


def test_a_stated_start_makes_a_stated_delay(writable_reference):
    con = writable_reference
    con.execute("INSERT INTO project_events (event_id, project_id, kind, date_start, date_precision, source_id, basis)"
                " VALUES ('purple-agreement_signed', 'purple', 'agreement_signed', DATE '2023-06-01', 'month',"
                " 'cp_2023', 'stated')")
    result = kpis.compute(con, kpis.BY_ID["mean_deployment_months"], Filters(edition=1, communes=(AULNAY,)))
    assert result.value == pytest.approx(DEPLOYMENT_MONTHS[1]) and result.bases == ()
    assert cards.card(result, "fr").note == "calculé · couverture 1/1"


def test_commune_filter_narrows_project_kpis(reference_con):
    by_commune = {insee: kpis.compute(reference_con, kpis.BY_ID["projects_selected_count"], Filters(edition=1, communes=(insee,))).value
                  for insee in (AULNAY, MEUDON, NOISY, SCEAUX)}
    assert by_commune == {AULNAY: 7, MEUDON: 7, NOISY: 8, SCEAUX: 6}
    sceaux = kpis.compute(reference_con, kpis.BY_ID["community_participants_total"], Filters(edition=1, communes=(SCEAUX,)))
    assert sceaux.value == 50
    assert [f.figure_id for f in sceaux.published] == ["rapport_communaute_sceaux"]


def test_theme_filter_applies_and_is_reported_when_ignored(reference_con):
    circular = kpis.compute(reference_con, kpis.BY_ID["projects_selected_count"], Filters(edition=1, themes=("economie-circulaire",)))
    assert circular.value == 1  # Vytal: the only project whose défi the documents give as circular economy
    assert circular.published == ()  # no published figure speaks of a défi-filtered view
    communes = kpis.compute(reference_con, kpis.BY_ID["communes_count"], Filters(edition=1, themes=("economie-circulaire",)))
    assert communes.ignored_filters == ("theme",) and communes.value == 4


def test_published_value_and_source_travel_with_the_result(reference_con):
    result = kpis.compute(reference_con, kpis.BY_ID["deployment_rate"], Filters(edition=1))
    assert result.published_value == pytest.approx(0.7)
    assert result.source.startswith("seeds/004_39930cb31348f1d2.txt — ")
    assert "TAUX DE DÉPLOIEMENT" in result.published[0].quote
    as_json = result.as_dict()
    assert set(as_json) >= {"id", "label", "value", "unit", "coverage", "published_value", "source"}
    assert as_json["coverage"] == {"covered": 7, "total": 28, "complete": False}


@pytest.mark.parametrize("which", ["reference", "demo"])
def test_every_kpi_computes_for_every_edition_and_commune(which, request):
    con = request.getfixturevalue(f"{which}_con")
    registry = kpis.expand(con)
    views = [as_filters(*view) for view in every_edition_and_commune(request.getfixturevalue(f"{which}_db_path"))]
    assert len(views) >= 15
    for view in views:
        for result in kpis.compute_all(con, view, registry):
            if result.value is not None and result.unit in ("ratio", "index"):
                assert 0 <= result.value <= 1, (result.id, view)
            if result.covered is not None and result.total is not None:
                assert 0 <= result.covered <= result.total, (result.id, view)


def test_demo_database_has_every_family_member(demo_con):
    ids = {k.id for k in kpis.expand(demo_con)}
    assert any(i.startswith("replicability_index:") for i in ids)
    assert db.is_synthetic(demo_con)
    results = {r.id: r for r in kpis.compute_all(demo_con, Filters())}
    assert results["projects_selected_count"].value > 28 * 2
    assert results["mean_deployment_months"].value > 0
    assert all(not r.published for r in results.values())  # nothing synthetic claims a published source


@pytest.mark.parametrize("kpi_id, expected", [
    ("communes_count", (4, "computed", False)),           # complete rows
    ("deployment_rate", (0.7, "published", False)),        # partial rows, published figure
    ("indicators_count", (60, "published", True)),        # published « plus de 60 »: a lower bound
    ("selection_rate", (30 / 168, "computed_from_published", False)),  # the report's 30 selected / 168 applications
    ("digital_share", (8 / 28, "computed", False)),         # complete rows (the ratio is shown)
    ("projects_deployed_count", (7, "partial", False)),   # a partial count is shown, said partial
])
def test_the_one_rule_for_what_a_card_shows(reference_con, kpi_id, expected):
    assert kpis.compute(reference_con, kpis.BY_ID[kpi_id], Filters(edition=1)).shown() == expected


def test_the_selection_rate_is_computed_from_the_published_figures(reference_con):
    """30 projects selected out of 168 applications (report): 17,9 %; 30 of the press release's 170: 17,6 %.
    Both quotients are said, with the figures and documents they rest on, on every output's card."""
    result = kpis.compute(reference_con, kpis.BY_ID["selection_rate"], Filters(edition=1))
    assert [(r.numerator.value, r.denominator.value) for r in result.ratios] == [(30, 168), (30, 170)]
    shown = cards.card(result, "fr")
    assert (shown.text, shown.basis) == ("17,9\u202f%", "computed_from_published")
    assert shown.note.startswith("calculé à partir des chiffres publiés : 30 / 168 (le rapport")
    assert "17,6\u202f% avec 30 / 170 (le communiqué de presse du 26 octobre 2023)" in shown.note
    assert cards.card(result, "en").note.startswith("computed from the published figures: 30 / 168 (the 2025 impact report)")
    # Under a commune no published figure speaks of the view: a partial ratio, not shown.
    commune = kpis.compute(reference_con, kpis.BY_ID["selection_rate"], Filters(edition=1, communes=(MEUDON,)))
    assert commune.ratios == () and commune.shown()[0] is None


def test_an_edition_without_any_row_has_every_kpi_unknown_never_zero(writable_reference):
    """A new edition with no row at all in any table: every KPI the edition filter applies to is unknown
    (« non renseigné »), none is a 0 counted over nothing; the stored values say the same as the SQL."""
    con = writable_reference
    con.execute("INSERT INTO editions (edition_id, label_fr, label_en, status, source_id, basis)"
                " VALUES (9, '9e édition', '9th edition', 'en cours', 'rapport_2025', 'stated')")
    rollups.refresh(con)
    view = Filters(edition=9)
    for result in kpis.compute_all(con, view):
        if "edition" not in result.kpi.filters:
            continue
        assert result.value is None, result.id
        assert result.shown()[0] is None and cards.card(result).text == "non renseigné", result.id
        live = kpis.compute(con, result.kpi, view)  # the SQL, not kpi_values
        assert (live.value, live.covered) == (None, result.covered), result.id


def test_a_zero_where_the_data_says_none_stays_zero(reference_con):
    """Edition 1 lists its 4 community meetings, none in Paris: 0, computed — the data says there are none."""
    result = kpis.compute(reference_con, kpis.BY_ID["community_events_count"], Filters(edition=1, communes=("75056",)))
    assert (result.value, result.shown()) == (0, (0, "computed", False))


def test_a_commune_laureate_twice_counts_once_across_editions(writable_reference):
    """All editions: a commune laureate of two editions is one commune, hosting its projects once."""
    con = writable_reference
    con.execute("INSERT INTO commune_editions (edition_id, insee, role, source_id, basis)"
                " VALUES (2, $meudon, 'lauréate', 'rapport_2025', 'stated')", {"meudon": MEUDON})
    rollups.refresh(con)
    results = {r.id: r for r in kpis.compute_all(con, Filters())}
    assert (results["projects_per_commune_max"].value, results["projects_per_commune_max"].total) == (8, 4)  # Noisy
    assert (results["departements_count"].covered, results["departements_count"].total) == (10, 10)
    assert results["commune_population_max"].total == 10
    assert "Meudon (92), Meudon" not in kpis.detail(con, kpis.BY_ID["departements_count"], Filters())
