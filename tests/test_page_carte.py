"""Carte des quartiers: the map's places and contours (qmi_metrics.reads.geo) and the page (AppTest, no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import app_test, show_view, shown
from streamlit.testing.v1 import AppTest

from dashboard import registry
from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import figures, headlines
from qmi_metrics.reads import geo

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"

EDITION_1 = {"93005": "Aulnay-sous-Bois", "92048": "Meudon", "93051": "Noisy-le-Grand", "92071": "Sceaux"}
# data/project_sites.csv: Purple (Aulnay), Pelican (Meudon), and three projects at the Place des Ailantes (Sceaux).
SITES_PER_COMMUNE = {"93005": 1, "92048": 1, "93051": 0, "92071": 3}


def square(code: str, name: str, lon: float, lat: float, half: float = 0.01) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Feature", "properties": {"code": code, "nom": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


FAKE_CONTOURS = {"type": "FeatureCollection", "features": [
    square("92071", "Sceaux", 2.29, 48.777), square("75056", "Paris", 2.34, 48.857, 0.08)]}


def failing_fetch(*_args, **_kwargs):
    raise OSError("no network in tests")


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Every test: a private, empty contour cache and no network, whatever the machine."""
    monkeypatch.setenv("QMI_CONTOURS_CACHE", str(tmp_path / "contours.geojson"))
    monkeypatch.delenv("QMI_CONTOURS_REFRESH", raising=False)
    monkeypatch.setattr(geo, "fetch_contours", failing_fetch)
    return tmp_path / "contours.geojson"


FROM_API = {**FAKE_CONTOURS, "source_id": geo.API_SOURCE_ID}  # what the cache holds: the answer, marked


# --- geo: shipped contours, refreshed from the API when asked ------------------------------------------------

def test_the_shipped_contours_are_drawn_by_default_and_nothing_is_fetched(tmp_path):
    def fetch(url, timeout):
        raise AssertionError("fetched without QMI_CONTOURS_REFRESH")

    contours = geo.load_contours(tmp_path / "contours.geojson", fetch=fetch)
    assert contours == geo.read_cache(geo.SHIPPED_PATH) and len(contours["features"]) == 130
    assert geo.contour_source_id(contours) == geo.SHIPPED_SOURCE_ID
    assert geo.contour_path() == geo.SHIPPED_PATH
    assert not (tmp_path / "contours.geojson").exists()


def test_refreshed_contours_are_fetched_once_then_read_from_the_cache(tmp_path):
    cache = tmp_path / "cache" / "contours.geojson"
    calls = []

    def fetch(url, timeout):
        calls.append((url, timeout))
        return FAKE_CONTOURS

    assert geo.load_contours(cache, fetch=fetch, refresh=True) == FROM_API
    assert calls == [(geo.CONTOURS_URL, geo.FETCH_TIMEOUT)]
    assert "codeEpci=200054781" in calls[0][0] and "geometry=contour" in calls[0][0]
    assert json.loads(cache.read_text(encoding="utf-8")) == FROM_API
    # Second call: the cache answers, the network is not touched.
    assert geo.load_contours(cache, fetch=failing_fetch, refresh=True) == FROM_API
    assert len(calls) == 1
    assert geo.contour_source_id(FROM_API) == geo.API_SOURCE_ID
    assert geo.contour_source_id(FAKE_CONTOURS) == geo.API_SOURCE_ID  # a cache from before the mark came from the API


def test_the_refresh_setting_switches_to_the_cached_copy(monkeypatch, offline):
    geo.write_cache(offline, FROM_API)
    assert geo.contour_path() == geo.SHIPPED_PATH  # refreshing off: the shipped file, whatever is cached
    monkeypatch.setenv("QMI_CONTOURS_REFRESH", "1")
    assert geo.contour_path() == offline and geo.load_contours() == FROM_API
    assert geo.contours_on_disk() == FROM_API


def test_a_refresh_setting_not_understood_draws_the_shipped_contours(monkeypatch, caplog):
    monkeypatch.setenv("QMI_CONTOURS_REFRESH", "peut-être")
    assert geo.refresh_on() is False and geo.contour_path() == geo.SHIPPED_PATH
    assert "QMI_CONTOURS_REFRESH" in caplog.text


def test_no_network_and_no_cache_gives_the_shipped_contours(tmp_path):
    cache = tmp_path / "contours.geojson"
    assert geo.load_contours(cache, fetch=failing_fetch, refresh=True) == geo.read_cache(geo.SHIPPED_PATH)
    assert not cache.exists()
    # Without the shipped file either: nothing (the map then draws the centroids).
    assert geo.load_contours(cache, fetch=failing_fetch, refresh=True, shipped_path=tmp_path / "none.geojson") is None


@pytest.mark.parametrize("content", ["{not json", "", json.dumps({"type": "FeatureCollection", "features": []}),
                                     json.dumps({"type": "FeatureCollection", "features": [{"geometry": None}]}),
                                     json.dumps([1, 2, 3])])
def test_a_corrupted_cache_is_ignored(tmp_path, content):
    cache = tmp_path / "contours.geojson"
    cache.write_text(content, encoding="utf-8")
    assert geo.refreshed_contours(cache, fetch=failing_fetch) is None
    assert geo.load_contours(cache, fetch=failing_fetch, refresh=True) == geo.read_cache(geo.SHIPPED_PATH)
    # With the network back, the bad file is replaced by good contours.
    assert geo.load_contours(cache, fetch=lambda url, timeout: FAKE_CONTOURS, refresh=True) == FROM_API
    assert geo.read_cache(cache) == FROM_API


def test_an_answer_that_is_not_contours_is_neither_used_nor_cached(tmp_path):
    cache = tmp_path / "contours.geojson"
    assert geo.refreshed_contours(cache, fetch=lambda url, timeout: {"message": "quota exceeded"}) is None
    assert not cache.exists()


def test_an_unwritable_cache_only_costs_the_cache(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    cache = blocker / "contours.geojson"
    assert geo.write_cache(cache, FAKE_CONTOURS) is False
    assert geo.load_contours(cache, fetch=lambda url, timeout: FAKE_CONTOURS, refresh=True) == FROM_API


def test_the_cache_path_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("QMI_CONTOURS_CACHE", str(tmp_path / "x.geojson"))
    assert geo.default_cache_path() == tmp_path / "x.geojson"
    monkeypatch.delenv("QMI_CONTOURS_CACHE")
    assert geo.default_cache_path() == geo.CACHE_PATH
    assert geo.CACHE_PATH.parent.name == "cache" and geo.CACHE_PATH.parent.parent.name == "data"


def test_contour_features_flag_the_laureates_and_leave_the_cache_alone():
    original = json.dumps(FAKE_CONTOURS)
    features = geo.contour_features(FAKE_CONTOURS, {"92071": "Sceaux"})["features"]
    assert [(f["properties"]["insee"], f["properties"]["name"], f["properties"]["laureate"]) for f in features] == [
        ("92071", "Sceaux", True), ("75056", "Paris", False)]
    features[0]["properties"]["tip_title"] = "changed"
    assert json.dumps(FAKE_CONTOURS) == original
    assert geo.rounded([[2.1234567, 48.7654321]]) == [[2.12346, 48.76543]]


# --- geo: places from the database -------------------------------------------------------------------------

def test_laureate_communes_have_their_centroid_and_projects(reference_con):
    communes = geo.laureate_communes(reference_con, Filters(edition=1))
    assert dict(zip(communes["insee"], communes["commune"])) == EDITION_1
    assert communes["precision"].eq("computed").all() and communes["lat"].notna().all()
    # data/projects.csv: 7 projects in Aulnay, 7 in Meudon, 8 in Noisy-le-Grand, 6 in Sceaux.
    assert dict(zip(communes["insee"], communes["projects"])) == {"93005": 7, "92048": 7, "93051": 8, "92071": 6}
    assert len(geo.laureate_communes(reference_con, Filters(edition=2))) == 6
    assert len(geo.laureate_communes(reference_con, Filters())) == 10


def test_quartiers_keep_their_precision_and_unknown_places(reference_con):
    quartiers = geo.quartiers(reference_con, Filters(edition=1)).set_index("insee")
    assert quartiers.loc["93005", "quartier_name"] == "Centre-Gare"
    assert quartiers.loc["93005", "precision"] == "landmark"
    assert quartiers.loc["92048", "precision"] == "approximate"
    assert quartiers.loc["92071", "precision"] == "unknown" and quartiers["lat"].isna().sum() == 1


def test_experimentation_sites_follow_the_filters(reference_con):
    sites = geo.experimentation_sites(reference_con, Filters(edition=1))
    assert len(sites) == 5 and sites["site_id"].nunique() == 3
    assert sorted(sites["project"]) == ["Cumulusland", "Pelican", "Purple", "Source Urbaine", "Végétalisation 2nde vie"]
    assert set(sites["precision"]) == {"approximate"}
    assert len(geo.experimentation_sites(reference_con, Filters(edition=1), ("deployed",))) == 2
    assert len(geo.experimentation_sites(reference_con, Filters(edition=1, themes=("adaptation-climat",)))) == 1
    assert len(geo.experimentation_sites(reference_con, Filters(edition=1, communes=("92071",)))) == 3
    assert geo.experimentation_sites(reference_con, Filters(edition=2)).empty
    assert geo.located_projects(reference_con, Filters(edition=1)) == {"projects": 28, "located": 5}
    assert geo.located_projects(reference_con, Filters(edition=2)) == {"projects": 0, "located": 0}
    ranks = geo.stack_ranks(sites)
    assert sorted(ranks[sites["site_id"] == "sceaux-place-des-ailantes"]) == [0, 1, 2]


def test_every_synthetic_project_site_is_placed(demo_con):
    sites = geo.experimentation_sites(demo_con, Filters(edition=1))
    located = geo.located_projects(demo_con, Filters(edition=1))
    assert len(sites) == located["located"] > 0
    assert geo.laureate_communes(demo_con, Filters(edition=1))["lat"].isna().all()  # no centroids in demo data


def test_view_state_fits_the_points():
    assert geo.view_state([], []) == {"latitude": 48.85, "longitude": 2.35, "zoom": 9.5}
    one = geo.view_state([48.771], [2.301])
    assert (one["latitude"], one["longitude"], one["zoom"]) == (48.771, 2.301, 14.0)
    metropole = geo.view_state([48.70, 48.95], [2.20, 2.60])
    assert 9.5 < metropole["zoom"] < 11.5
    # Room for the 500 m quartier circles around the points.
    meudon = ([48.794, 48.797, 48.8041], [2.232, 2.221, 2.2274])
    assert geo.view_state(*meudon, pad_deg=0.0045)["zoom"] < geo.view_state(*meudon)["zoom"]


# --- the page ------------------------------------------------------------------------------------------------

def open_in_view(monkeypatch, db_path, edition=1, communes=()) -> AppTest:
    """The map drawn in a view (edition, communes), without exception."""
    at = app_test(monkeypatch, db_path).run()
    show_view(at.switch_page(registry.page("carte").file), edition, communes)
    assert not at.exception, at.exception
    return at


def layers(at: AppTest) -> dict[str, dict]:
    [deck] = at.get("deck_gl_json_chart")
    spec = json.loads(deck.proto.json)
    assert spec.get("mapStyle") is None  # no basemap tiles: the layers draw on their own ground
    return {layer["id"]: layer for layer in spec["layers"]}


def texts(at: AppTest) -> str:
    return shown("\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]))


def test_reference_edition_1_shows_communes_quartiers_and_sites(monkeypatch, reference_db_path):
    at = open_in_view(monkeypatch, reference_db_path)
    found = layers(at)
    assert {k: v["@@type"] for k, v in found.items()} == {
        "fond": "PolygonLayer", "contours": "GeoJsonLayer", "epts": "PathLayer", "departements": "PathLayer",
        "paris": "TextLayer", "quartiers": "ScatterplotLayer", "communes": "ScatterplotLayer",
        "sites": "ScatterplotLayer", "symboles": "TextLayer", "noms": "TextLayer"}
    assert len(found["sites"]["data"]) == 5
    assert sorted(row["insee"] for row in found["communes"]["data"]) == sorted(EDITION_1)
    assert len(found["quartiers"]["data"]) == 3  # Sceaux has no known quartier place
    contours = found["contours"]["data"]["features"]
    assert len(contours) == 130 and {f["properties"]["insee"] for f in contours if f["properties"]["laureate"]} == set(EDITION_1)
    # Three projects at the Place des Ailantes: concentric rings, one label listing their défis (2, then 2 unknown).
    assert sorted(row["label"] for row in found["symboles"]["data"]) == ["1", "2 ?×2", "3"]
    sceaux = [row for row in found["sites"]["data"] if row["insee"] == "92071"]
    assert sorted(row["radius"] for row in sceaux) == [7, 12, 17]
    tip = next(row for row in found["sites"]["data"] if row["tip_title"] == "Purple")["tip_body"]
    assert "Statut : ● déployé" in tip and "Précision : approximative (≈ 300 m)" in tip and "Commune : Aulnay-sous-Bois" in tip
    assert "Type : " in tip and "Opérateur : " in tip and "Source : Positions approximatives" in tip
    page = texts(at)
    assert "5 lieu(x) d'expérimentation localisé(s) pour 5 projet(s) sur 28 ; 23 projet(s) n'ont pas de lieu connu" in page
    assert "Source des contours : Contours des communes de la Métropole du Grand Paris (IGN Admin Express COG 2018" in page
    assert "indisponible" not in page
    assert "Quartier sans position connue (1) : Sceaux." in page
    table = at.dataframe[0].value
    assert len(table) == 4 + 3 + 5
    assert table["précision"].value_counts().to_dict() == {"approximative (≈ 300 m)": 6, "calculée": 4, "repère public": 2}
    assert at.download_button(key="carte-lieux-csv") and at.download_button(key="carte-lieux-xlsx")


def test_colour_by_status_uses_symbols(monkeypatch, reference_db_path):
    at = open_in_view(monkeypatch, reference_db_path)
    at.radio(key="carte_couleur").set_value("status").run()
    assert not at.exception
    labels = sorted(row["label"] for row in layers(at)["symboles"]["data"])
    assert labels == ["◉", "●", "◔×2 ●"]  # Pelican tested, Purple deployed, Sceaux: 2 supported + 1 deployed
    legend = next(m.value for m in at.markdown if "Légende" in m.value)
    assert "◉</span> **testé** — 1 projet(s)" in legend and "●</span> **déployé** — 2 projet(s)" in legend


@pytest.mark.parametrize("edition", [1, 2, "all"])
@pytest.mark.parametrize("database", ["reference_db_path", "demo_db_path"])
def test_every_edition_renders(monkeypatch, request, database, edition):
    at = open_in_view(monkeypatch, request.getfixturevalue(database), edition=edition)
    found = layers(at)
    assert found["fond"]["@@type"] == "PolygonLayer" and "sites" in found
    if database == "reference_db_path" and edition == 2:
        assert found["sites"]["data"] == [] and len(found["communes"]["data"]) == 6
        assert "Aucun projet dans cette vue" in texts(at)
    if database == "demo_db_path":
        assert len(found["sites"]["data"]) > 0 and found["communes"]["data"] == []
        assert any("SYNTHÉTIQUES" in w.value for w in at.warning)


@pytest.mark.parametrize("insee", sorted(EDITION_1))
def test_each_commune_of_edition_1(monkeypatch, reference_db_path, insee):
    at = open_in_view(monkeypatch, reference_db_path, communes=[insee])
    found = layers(at)
    assert [row["insee"] for row in found["communes"]["data"]] == [insee]
    assert len(found["sites"]["data"]) == SITES_PER_COMMUNE[insee]
    assert at.selectbox(key="carte_commune").value == insee


def test_the_commune_picker_filters_the_app(monkeypatch, reference_db_path):
    at = open_in_view(monkeypatch, reference_db_path)
    picker = at.selectbox(key="carte_commune")
    assert picker.value is None
    assert picker.options == ["Toutes les communes", *sorted(EDITION_1.values())]
    picker.set_value("92071").run()
    assert not at.exception
    assert at.session_state["f_communes"] == ["92071"]
    assert [row["insee"] for row in layers(at)["communes"]["data"]] == ["92071"]
    at.selectbox(key="carte_commune").set_value(None).run()
    assert at.session_state["f_communes"] == []
    # (AppTest runs the page without app.py's sidebar, so the edition may fall back to "all" here.)
    assert set(EDITION_1) <= {row["insee"] for row in layers(at)["communes"]["data"]}


def test_refreshed_contours_are_drawn_and_cached(monkeypatch, reference_db_path, offline):
    monkeypatch.setenv("QMI_CONTOURS_REFRESH", "1")
    monkeypatch.setattr(geo, "fetch_contours", lambda url, timeout: FAKE_CONTOURS)
    at = open_in_view(monkeypatch, reference_db_path)
    contours = layers(at)["contours"]
    assert contours["@@type"] == "GeoJsonLayer"
    flags = {f["properties"]["insee"]: f["properties"]["laureate"] for f in contours["data"]["features"]}
    assert flags == {"92071": True, "75056": False}
    assert "Source des contours : Contours des communes de l'API Découpage administratif (geo.api.gouv.fr" in texts(at)
    assert geo.read_cache(offline) == FROM_API


def test_real_contours_from_a_cache_file(monkeypatch, reference_db_path, reference_con, offline):
    """The raw 2018 contours in ../shared/geo stand in for the API's answer, as a refreshed copy outside the
    repository."""
    if not (SHARED / "geo").exists():
        pytest.skip(f"../shared/geo is not beside the repository ({SHARED / 'geo'}): no real contours to test with")
    codes = set(reference_con.execute("SELECT insee FROM communes").fetchnumpy()["insee"].tolist())
    features = [feature for path in sorted((SHARED / "geo").glob("fg-communes-*.geojson"))
                for feature in json.loads(path.read_text(encoding="utf-8"))["features"]
                if feature["properties"]["code"] in codes]
    offline.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    monkeypatch.setenv("QMI_CONTOURS_REFRESH", "1")
    assert geo.load_contours(fetch=failing_fetch)["features"][0]["properties"]["code"] in codes
    at = open_in_view(monkeypatch, reference_db_path)
    contours = layers(at)["contours"]["data"]["features"]
    assert len(contours) == 130  # Pierrefitte-sur-Seine (2018) is not in the 2025 list; Saint-Denis is
    assert sorted(f["properties"]["insee"] for f in contours if f["properties"]["laureate"]) == sorted(EDITION_1)


# --- the shipped contours, with no network; the choropleth -----------------------------------------------

def test_the_map_draws_the_shipped_contours_when_the_refresh_fails(monkeypatch, reference_db_path):
    """Refreshing asked, the network down: the shipped contours are drawn, and nothing is said to be missing."""
    monkeypatch.setenv("QMI_CONTOURS_REFRESH", "1")
    at = open_in_view(monkeypatch, reference_db_path)
    found = layers(at)
    shipped = geo.read_cache(geo.SHIPPED_PATH)
    drawn = {f["properties"]["insee"]: f["geometry"] for f in found["contours"]["data"]["features"]}
    assert drawn == {f["properties"]["code"]: f["geometry"] for f in shipped["features"]}
    assert "metropole" not in found  # the contours, not the cloud of centroids
    # Département and EPT borders as thin lines: 6 départements' borders, more EPT ones.
    assert 0 < len(found["departements"]["data"]) < len(found["epts"]["data"])
    page = texts(at)
    assert "IGN Admin Express COG 2018" in page and "Licence Ouverte 2.0" in page
    assert "indisponible" not in page and "geo.api.gouv.fr" not in page


def test_without_the_shipped_file_the_map_draws_the_centroids_and_says_so(monkeypatch, reference_db_path, tmp_path):
    monkeypatch.setattr(geo, "SHIPPED_PATH", tmp_path / "absent.geojson")
    at = open_in_view(monkeypatch, reference_db_path)
    found = layers(at)
    assert "contours" not in found and len(found["metropole"]["data"]) == 130 - 4
    assert "Contours des communes indisponibles" in texts(at)


def test_the_boundaries_follow_the_departements():
    """Two squares side by side in two départements: their common side is a département line, their outline too."""
    def box(code, west, east):
        ring = [[west, 48.79], [east, 48.79], [east, 48.81], [west, 48.81], [west, 48.79]]
        return {"type": "Feature", "properties": {"code": code}, "geometry": {"type": "Polygon", "coordinates": [ring]}}

    both = {"type": "FeatureCollection", "features": [box("A", 2.29, 2.31), box("B", 2.31, 2.33)]}
    lines = geo.boundary_lines(both, {"A": "92", "B": "93"})
    segments = {frozenset(map(tuple, pair)) for path in lines for pair in zip(path, path[1:])}
    assert frozenset({(2.31, 48.79), (2.31, 48.81)}) in segments
    assert len(segments) == 4 + 4 - 1  # the shared side once
    same = geo.boundary_lines(both, {"A": "92", "B": "92"})
    assert len({frozenset(map(tuple, pair)) for path in same for pair in zip(path, path[1:])}) == 6


def test_the_choropleth_values_are_the_registry_s(reference_con):
    view = Filters(edition=1)
    values = geo.commune_values(reference_con, view, "projects_selected_count").set_index("insee")
    for insee in EDITION_1:
        [result] = kpis.compute_all(reference_con, Filters(edition=1, communes=(insee,)),
                                    kpis=[kpis.get(reference_con, "projects_selected_count")])
        assert values.loc[insee, "value"] == result.shown()[0]
    # data/projects.csv: 7 projects in Aulnay, 7 in Meudon, 8 in Noisy-le-Grand, 6 in Sceaux.
    assert values["value"].to_dict() == {"93005": 7, "92048": 7, "93051": 8, "92071": 6}
    editions = geo.commune_values(reference_con, Filters(), geo.LAUREATE_EDITIONS)
    assert len(editions) == 10 and set(editions["value"]) == {1.0}
    assert figures.value_classes([7, 7, 8, 6, None]) == [(6.0, 6.0), (7.0, 7.0), (8.0, 8.0)]
    assert figures.value_classes(range(1, 9)) == [(1, 2), (3, 4), (5, 6), (7, 8)]


def test_the_choropleth_on_the_page(monkeypatch, reference_db_path, reference_con):
    at = open_in_view(monkeypatch, reference_db_path)
    assert at.selectbox(key="carte_choroplethe").options == [
        "aucun indicateur", *[figures.measure_label(m) for m in headlines.MAP_MEASURES]]
    at.selectbox(key="carte_choroplethe").set_value("projects_selected_count").run()
    assert not at.exception, at.exception
    found = layers(at)
    values = geo.commune_values(reference_con, Filters(edition=1), "projects_selected_count")
    classes = figures.value_classes(values["value"])
    shade = {insee: figures.CHOROPLETH_SHADES[figures.class_index(v, classes)]
             for insee, v in zip(values["insee"], values["value"])}
    for feature in found["contours"]["data"]["features"]:
        props = feature["properties"]
        if props["laureate"]:
            assert "#{:02X}{:02X}{:02X}".format(*props["fill"][:3]) == shade[props["insee"]]
    # Without colour: each laureate is named with its value, and the legend lists the classes with their communes.
    names = sorted(row["commune"] for row in found["noms"]["data"])
    assert names == ["Aulnay-sous-Bois · 7 (partiel)", "Meudon · 7 (partiel)", "Noisy-le-Grand · 8 (partiel)",
                     "Sceaux · 6 (partiel)"]
    legend = next(m.value for m in at.markdown if "Communes lauréates selon" in m.value)
    assert "**7** — Aulnay-sous-Bois (7 (partiel)), Meudon (7 (partiel))" in shown(legend)
