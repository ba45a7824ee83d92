"""Every page, on the reference and on a synthetic database, for every edition and every commune."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import registry
from qmi_metrics.metrics import filters, kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import formatting
from qmi_metrics.store import db

PAGES = [name for name in registry.NAMES if name not in ("presentation", "administration")]  # the reading pages


def views(db_path):
    with db.connect(db_path) as con:
        editions = ["all"] + [row["edition_id"] for row in filters.editions(con)]
        communes = [row["insee"] for row in filters.communes(con, participating_only=True)]
    return [(e, []) for e in editions] + [("all", [c]) for c in communes]


def start(monkeypatch, db_path, page):
    monkeypatch.setenv("QMI_DB", str(db_path))
    at = AppTest.from_file("../app.py", default_timeout=90).run()
    if page != "vue_ensemble":
        at.switch_page(f"dashboard/{page}.py").run()
    return at


@pytest.mark.parametrize("which", ["reference", "demo"])
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_for_every_view(monkeypatch, reference_db_path, demo_db_path, which, page):
    db_path = reference_db_path if which == "reference" else demo_db_path
    at = start(monkeypatch, db_path, page)
    assert not at.exception, at.exception
    for edition, communes in views(db_path):
        at.session_state["f_edition"] = edition
        at.session_state["f_communes"] = communes
        at.run()
        assert not at.exception, (page, edition, communes, at.exception)
        assert at.title, (page, edition, communes)
        synthetic_banner = any("SYNTHÉTIQUES" in w.value for w in at.warning)
        assert synthetic_banner == (which == "demo"), (page, edition, communes)


@pytest.mark.parametrize("edition, communes", [(1, []), (2, []), ("all", []), (1, ["92048"]), (1, ["92071", "93051"])])
def test_overview_cards_show_the_computed_values(monkeypatch, reference_db_path, edition, communes):
    at = start(monkeypatch, reference_db_path, "vue_ensemble")
    at.session_state["f_edition"] = edition
    at.session_state["f_communes"] = communes
    at.run()
    cards = {m.label: m.value for m in at.metric}
    view = Filters(edition=None if edition == "all" else edition, communes=tuple(communes))
    with db.connect(reference_db_path) as con:
        for kpi_id in ("communes_count", "projects_selected_count", "community_participants_total", "indicators_count"):
            result = kpis.compute(con, kpis.BY_ID[kpi_id], view)
            if result.is_complete or not result.published:
                expected = formatting.value(result.value, result.unit)
            else:
                qualifier = "plus de " if result.published[0].qualifier == "plus de" else ""
                expected = qualifier + formatting.value(result.published_value, result.unit)
            assert cards[result.kpi.label_fr] == expected, kpi_id


def test_english_switch_changes_every_label(monkeypatch, reference_db_path):
    at = start(monkeypatch, reference_db_path, "vue_ensemble")
    at.session_state["lang"] = "en"
    at.run()
    labels = [m.label for m in at.metric]
    assert "Laureate communes" in labels and "Deployment rate" in labels
    assert at.title[0].value == "Metropolitan Innovation Districts"
    assert {m.label: m.value for m in at.metric}["Deployment rate"] == "70%"
