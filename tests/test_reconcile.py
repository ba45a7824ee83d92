"""Reconciliation: each published figure, what the rows say, and why."""

from __future__ import annotations

import pytest

from qmi_metrics.metrics import kpis, reconcile


@pytest.fixture
def report(reference_con):
    return {r.figure.figure_id: r for r in reconcile.reconcile(reference_con)}


def test_one_entry_per_published_figure(reference_con, report):
    assert set(report) == set(kpis.published_figures(reference_con))
    assert {r.status for r in report.values()} == {reconcile.AGREES, reconcile.DIFFERS, reconcile.NOT_COMPUTABLE}
    for entry in report.values():
        assert entry.explanation_fr and entry.explanation_en, entry.figure.figure_id


@pytest.mark.parametrize("figure_id", ["rapport_communes_laureates", "cp_communes_e1", "rapport_departements",
                                       "rapport_reseau_villes", "mgp_e2_communes_laureates", "rapport_frein_financement",
                                       "rapport_communaute_sceaux", "rapport_solutions_par_quartier_min",
                                       "rapport_solutions_par_quartier_max", "rapport_population_min"])
def test_figures_the_rows_reproduce_agree(report, figure_id):
    entry = report[figure_id]
    assert entry.status == reconcile.AGREES
    assert entry.explanation_fr.startswith("Recalculé à partir de")


def test_ept_count_differs_with_the_official_list(report):
    entry = report["rapport_ept"]
    assert (entry.status, entry.computed_value, entry.figure.value) == (reconcile.DIFFERS, 4, 3)
    for ept in ("Paris Terres d'Envol", "Grand Paris Seine Ouest", "Grand Paris Grand Est", "Vallée Sud-Grand Paris"):
        assert ept in entry.explanation_fr


def test_community_list_does_not_add_up_to_its_total(report):
    entry = report["rapport_communaute_personnes"]
    assert (entry.status, entry.computed_value) == (reconcile.DIFFERS, 280)
    assert "plus de 290" in entry.explanation_fr
    assert "Sceaux 50 + Noisy-le-Grand 90 + Meudon 60 + Aulnay-sous-Bois 80" in entry.explanation_fr


def test_project_list_shorter_than_announced_total(report):
    for figure_id in ("rapport_projets_selectionnes", "cp_solutions_e1"):
        entry = report[figure_id]
        assert (entry.status, entry.computed_value) == (reconcile.DIFFERS, 28)
        assert "en nomme 28 ; le total annoncé est 30" in entry.explanation_fr


def test_two_documents_disagreeing_on_applications(report):
    for figure_id in ("rapport_candidatures_aap", "cp_candidatures_aap"):
        entry = report[figure_id]
        assert entry.status == reconcile.NOT_COMPUTABLE
        assert "28 ligne(s) renseignée(s) sur 170" in entry.explanation_fr
        assert "Les documents divergent" in entry.explanation_fr
        assert "170" in entry.explanation_fr and "168" in entry.explanation_fr
        assert "The documents disagree" in entry.explanation_en


def test_partial_deployment_data_is_not_passed_off_as_a_rate(report):
    entry = report["rapport_taux_deploiement_global"]
    assert entry.status == reconcile.NOT_COMPUTABLE
    assert "7 ligne(s) renseignée(s) sur 28" in entry.explanation_fr
    months = report["rapport_deploiement_mois"]
    assert months.status == reconcile.NOT_COMPUTABLE and "2 ligne(s) renseignée(s) sur 7" in months.explanation_fr


def test_digital_share_differs_and_names_the_projects(report):
    entry = report["rapport_part_numerique"]
    assert entry.status == reconcile.DIFFERS
    assert entry.computed_value == pytest.approx(8 / 28)
    assert "Wintics Cityvision" in entry.explanation_fr and "ÉQUIPEMENT" in entry.explanation_fr


def test_population_above_the_published_range(report):
    entry = report["rapport_population_max"]
    assert entry.status == reconcile.DIFFERS and "Aulnay-sous-Bois : 87599" in entry.explanation_fr


def test_figures_without_rows_say_so(report):
    entry = report["rapport_diagnostics_personnes"]
    assert entry.status == reconcile.NOT_COMPUTABLE
    assert entry.explanation_fr.startswith("Aucune ligne des données ne porte ce calcul (0 ligne(s) renseignée(s) sur 14)")
    unlinked = report["cp_hausse_vs_paris"]
    assert unlinked.kpi_id is None and unlinked.status == reconcile.NOT_COMPUTABLE
    assert unlinked.explanation_fr.startswith("Aucun indicateur ne recalcule ce chiffre")


@pytest.mark.parametrize("computed, value, qualifier, step, expected", [
    (0.7, 0.7, None, 0.01, True),
    (0.704, 0.7, None, 0.01, True),      # printed rounded to the percent
    (0.71, 0.7, None, 0.01, False),
    (280, 290, "plus de", 1, False),
    (295, 290, "plus de", 1, True),
    (0.22, 0.21, "près de", 0.01, True),
    (0.25, 0.21, "près de", 0.01, False),
    (87599, 80000, "maximum", 10000, False),
    (20884, 20000, "minimum", 10000, True),
])
def test_agreement_rule(computed, value, qualifier, step, expected):
    figure = kpis.PublishedFigure("x", 1, value, "count", qualifier, step, "x", "d", "s", "q", None)
    assert reconcile.agrees(computed, figure) is expected


def test_the_eleven_months_say_what_their_computed_side_rests_on(report):
    # « 11 mois » in the report; the rows give two delays, both from the June 2023 milestone applied to each project.
    entry = report["rapport_deploiement_mois"]
    assert (entry.status, entry.covered, entry.total) == (reconcile.NOT_COMPUTABLE, 2, 7)
    assert ("Le calcul repose sur 2 lignes que leurs sources n'énoncent pas (inféré : Jalon du programme (juin 2023"
            in entry.explanation_fr)
    assert "The computation rests on 2 rows their sources do not state (inferred: Jalon du programme" \
        in entry.explanation_en
    # A figure whose rows are all stated says nothing of the kind.
    assert "repose sur" not in report["rapport_communaute_sceaux"].explanation_fr
