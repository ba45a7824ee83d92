"""What keeps a page's run cheap: charts built once per (data version, view, language) and shared, their data
tables drawn only when asked for, the sidebar's choices labelled once, and pydeck loaded by the map page only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.ui import caches, widgets
from helpers import REPO, open_page, show_chart_data
from qmi_metrics.metrics.filters import Filters

BUILT = []


@widgets.cached_chart
def counted_chart(version: str, view: Filters, lang: str) -> widgets.Chart:
    BUILT.append((version, view, lang))
    return widgets.Chart(go.Figure(go.Bar(x=["a"], y=[1.5])), pd.DataFrame({"x": ["a"]}), f"{version} {lang}")


def test_a_chart_is_built_once_per_version_view_and_language():
    BUILT.clear()
    first = counted_chart("v1", Filters(edition=1), "fr")
    assert counted_chart("v1", Filters(edition=1), "fr") is first  # the same object: no rebuild, no copy
    assert len(BUILT) == 1
    assert counted_chart("v1", Filters(edition=2), "fr") is not first
    english = counted_chart("v1", Filters(edition=1), "en")
    assert english.figure.layout.separators == ".," and first.figure.layout.separators == ", "  # styled per language
    published = counted_chart("v2", Filters(edition=1), "fr")  # a publish: a new data version, a new chart
    assert published is not first and published.summary == "v2 fr"
    assert len(BUILT) == 4


def test_the_chart_cache_is_bounded():
    BUILT.clear()
    first = counted_chart("bounded", Filters(edition=0), "fr")
    for edition in range(1, widgets.CHART_ENTRIES + 1):
        counted_chart("bounded", Filters(edition=edition), "fr")
    assert len(BUILT) == widgets.CHART_ENTRIES + 1
    assert counted_chart("bounded", Filters(edition=0), "fr") is not first  # the oldest went: built again


def test_a_chart_builder_must_take_the_language():
    with pytest.raises(TypeError, match="must take the language as `lang`"):
        widgets.cached_chart(lambda version, view: None)


def test_a_chart_draws_its_data_table_only_once_opened(monkeypatch, reference_db_path):
    at = open_page(monkeypatch, reference_db_path, "vue_ensemble")
    assert not at.exception
    assert at.get("plotly_chart") and any(e.label == "Données du graphique" for e in at.expander)
    assert not at.dataframe and not at.download_button  # closed: nothing of the tables is sent
    show_chart_data(at)
    assert not at.exception
    funnel = next(df.value for df in at.dataframe if "étape" in df.value.columns)
    assert len(funnel) > 0
    assert at.download_button(key="funnel-data-csv") and at.download_button(key="calendar-data-xlsx")


def test_the_page_shows_the_same_chart_to_a_second_session(monkeypatch, reference_db_path):
    def specs(at) -> list[dict]:
        return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]

    first = open_page(monkeypatch, reference_db_path, "thematiques")
    second = open_page(monkeypatch, reference_db_path, "thematiques")  # served from the shared cache
    assert specs(first) and specs(first) == specs(second)


def test_the_sidebar_choices_are_labelled_once_per_version_and_language(monkeypatch, reference_db_path):
    monkeypatch.setenv("QMI_DB", str(reference_db_path))
    version = caches.data_version()
    french = caches.sidebar_options(version, "fr")
    assert caches.sidebar_options(version, "fr") is french
    english = caches.sidebar_options(version, "en")
    assert french["statuses"] != english["statuses"]
    assert set(french["communes"]) == {row["insee"] for row in caches.choices(version)["communes"]}


PYDECK_PROBE = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120).run()
for page in sys.argv[1:]:
    at.switch_page(f"dashboard/{page}.py").run()
    assert not at.exception, (page, at.exception)
print("pydeck" in sys.modules)
"""


@pytest.mark.parametrize(("pages", "loaded"), [
    (["vue_ensemble", "projets", "thematiques", "deploiement", "evaluation", "communaute", "editions", "sources"], False),
    (["carte"], True),
])
def test_pydeck_is_loaded_by_the_map_page_only(reference_db_path, pages, loaded):
    """deck.gl's Python side is imported by dashboard/carte.py alone (a fresh process: no earlier test's imports)."""
    env = {**os.environ, "QMI_DB": str(reference_db_path)}
    done = subprocess.run([sys.executable, "-c", PYDECK_PROBE, *pages], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == str(loaded)
