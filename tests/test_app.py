"""The app runs on the reference and on a synthetic database (AppTest, no browser)."""

from __future__ import annotations

import pytest
from helpers import app_test

from dashboard import registry


@pytest.fixture
def app(monkeypatch):
    return lambda db_path: app_test(monkeypatch, db_path).run()


def test_overview_shows_the_headline_kpis_with_their_source(app, reference_db_path):
    at = app(reference_db_path)
    assert not at.exception
    cards = {m.label: m.value for m in at.metric}
    assert cards["Communes lauréates"] == "4"
    # Deployment data is partial: the card shows the published 70 % and says so.
    assert cards["Taux de déploiement"] == "70\u202f%"
    assert any("publié · données partielles" in c.value and "7/28" in c.value for c in at.caption)
    assert not at.warning  # the reference database carries no synthetic banner


def test_synthetic_database_shows_the_banner(app, demo_db_path):
    at = app(demo_db_path)
    assert not at.exception
    assert any("SYNTHÉTIQUES" in w.value for w in at.warning)


def test_sources_page_lists_every_figure(app, reference_db_path):
    at = app(reference_db_path)
    at.switch_page(registry.page("sources").file).run()
    assert not at.exception
    table = at.dataframe[-1].value  # the managers' full table, under the findings and the contradictions
    assert len(table) >= 80
    assert "diffère" in set(table["statut"])


def test_the_app_serves_a_new_database_version_without_restart(app, tmp_path):
    from qmi_metrics.store import loader

    path = tmp_path / "live.duckdb"
    loader.build(path)
    at = app(path)
    assert {m.label: m.value for m in at.metric}["Communes lauréates"] == "4"
    # Publish a new version the way imports do: a new file renamed over the live one.
    loader.build_synthetic(tmp_path / "next.duckdb", scale=2, seed=1)
    (tmp_path / "next.duckdb").replace(path)
    at.run()
    assert not at.exception
    assert any("SYNTHÉTIQUES" in w.value for w in at.warning)


def test_bad_url_values_give_a_notice(app, reference_db_path, monkeypatch):
    at = app_test(monkeypatch, reference_db_path, commune=["Gotham", "Meudon"], edition="42",
                  theme="'; DROP TABLE projects; --").run()
    assert not at.exception
    notices = " ".join(i.value for i in at.info)
    assert "Gotham" in notices and "42" in notices and "DROP TABLE" in notices
    assert at.session_state["f_communes"] == ["92048"]


def test_excel_export_reads_back_the_same_table():
    import io

    import pandas as pd

    from dashboard.ui import widgets

    frame = pd.DataFrame({"commune": ["Sceaux", "Meudon"], "part": [0.25, 0.7], "liste": [["a"], ["b", "c"]]})
    back = pd.read_excel(io.BytesIO(widgets.to_excel(frame)))
    assert back["commune"].tolist() == ["Sceaux", "Meudon"]
    assert back["part"].tolist() == [0.25, 0.7]
    assert back["liste"].tolist() == ["['a']", "['b', 'c']"]
