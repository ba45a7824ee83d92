"""Every page, on the reference and on a synthetic database, for every edition and every commune."""

from __future__ import annotations

import pytest
from helpers import (
    READING_PAGES,
    as_filters,
    each_view,
    open_page,
    participating_communes,
    show_view,
    views,
)

from qmi_metrics.metrics import kpis
from qmi_metrics.present import formatting
from qmi_metrics.store import db


@pytest.mark.parametrize("which", ["reference", "demo"])
@pytest.mark.parametrize("page", READING_PAGES)
def test_page_renders_for_every_view(monkeypatch, reference_db_path, demo_db_path, which, page):
    db_path = reference_db_path if which == "reference" else demo_db_path
    at = open_page(monkeypatch, db_path, page, timeout=90)
    assert not at.exception, at.exception
    for edition, communes in each_view(at, views(db_path, participating_communes(db_path))):
        assert not at.exception, (page, edition, communes, at.exception)
        assert at.title, (page, edition, communes)
        synthetic_banner = any("SYNTHÉTIQUES" in w.value for w in at.warning)
        assert synthetic_banner == (which == "demo"), (page, edition, communes)


@pytest.mark.parametrize("edition, communes", [(1, []), (2, []), ("all", []), (1, ["92048"]), (1, ["92071", "93051"])])
def test_overview_cards_show_the_computed_values(monkeypatch, reference_db_path, edition, communes):
    at = show_view(open_page(monkeypatch, reference_db_path, "vue_ensemble", timeout=90), edition, communes)
    cards = {m.label: m.value for m in at.metric}
    view = as_filters(edition, communes)
    with db.connect(reference_db_path) as con:
        for kpi_id in ("communes_count", "projects_selected_count", "community_participants_total", "indicators_count"):
            result = kpis.compute(con, kpis.BY_ID[kpi_id], view)
            if result.is_complete or not result.published:
                expected = formatting.value(result.value, result.unit)
            else:
                qualifier = "plus de " if result.published[0].qualifier == "plus de" else ""
                expected = qualifier + formatting.value(result.published_value, result.unit)
            assert cards[result.kpi.label_fr] == expected, kpi_id


def test_edition_2_shows_no_zero_resting_on_no_row(monkeypatch, reference_db_path):
    """Edition 2 has no project, deployment or meeting row yet: its cards and its column of the Éditions
    table say « non renseigné » (or the published figure), never a 0, and each card states its basis."""
    at = show_view(open_page(monkeypatch, reference_db_path, "vue_ensemble", timeout=90), 2, [])
    assert at.metric and all(m.value not in ("0", "0 %", "0 mois") for m in at.metric), [(m.label, m.value) for m in at.metric]
    values = {m.label: m.value for m in at.metric}
    assert values["Candidatures de projets"] == "non renseigné" and values["Projets sélectionnés"] == "19"
    notes = [c.value for c in at.caption]
    assert any(note.startswith("aucune donnée") for note in notes) and any(note.startswith("publié") for note in notes)
    at = show_view(open_page(monkeypatch, reference_db_path, "editions", timeout=90), "all", [])
    table = at.dataframe[0].value
    second = table["2e édition"].tolist()[1:]  # the first row is the editions' status
    assert second and not any(cell.split(" ")[0] == "0" for cell in second), second
    first = dict(zip(table.iloc[:, 0], table["1re édition"]))
    assert first["Taux de sélection"].startswith("17,9") and "chiffres publiés" in first["Taux de sélection"]
    assert dict(zip(table.iloc[:, 0], table["2e édition"]))["Projets déployés"] == "non renseigné"


def test_english_switch_changes_every_label(monkeypatch, reference_db_path):
    at = open_page(monkeypatch, reference_db_path, "vue_ensemble", timeout=90)
    at.session_state["lang"] = "en"
    at.run()
    labels = [m.label for m in at.metric]
    assert "Laureate communes" in labels and "Deployment rate" in labels
    assert at.title[0].value == "Metropolitan Innovation Districts"
    assert {m.label: m.value for m in at.metric}["Deployment rate"] == "70%"
