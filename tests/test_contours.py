"""The shipped commune contours (data/communes_contours.geojson) and the tool that writes them (tools/contours.py)."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest

from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import deck, graphics
from qmi_metrics.reads import geo
from qmi_metrics.store import db

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "tools"))
import contours as tool  # noqa: E402  (a script of tools/, not a package)

SHIPPED = json.loads(geo.SHIPPED_PATH.read_text(encoding="utf-8"))


def repository_communes() -> set[str]:
    with (ROOT / "data" / "communes.csv").open(encoding="utf-8") as handle:
        return {row["insee"] for row in csv.DictReader(handle)}


def shipped_rings():
    for feature in SHIPPED["features"]:
        for ring in geo.exterior_rings(feature["geometry"]):
            yield feature["properties"]["code"], ring


def needs_geo() -> Path:
    if not (SHARED / "geo").exists():
        pytest.skip(f"../shared/geo is not beside the repository ({SHARED / 'geo'}): the raw contours are not shipped")
    return SHARED / "geo"


# --- the shipped file ---------------------------------------------------------------------------------------

def test_the_file_holds_exactly_the_130_communes_with_saint_denis_merged():
    codes = [feature["properties"]["code"] for feature in SHIPPED["features"]]
    assert len(codes) == len(set(codes)) == 130
    assert set(codes) == repository_communes()
    assert "93066" in codes and "93059" not in codes  # Pierrefitte-sur-Seine is part of Saint-Denis since 2025
    assert codes == sorted(codes)  # INSEE order: a diff of a new source stays readable
    assert geo.is_contour_collection(SHIPPED) and SHIPPED["source_id"] == geo.SHIPPED_SOURCE_ID


def test_the_file_holds_the_communes_of_the_reference_list():
    reference = SHARED / "reference" / "mgp_communes.csv"
    if not reference.exists():
        pytest.skip(f"../shared/reference is not beside the repository ({reference})")
    with reference.open(encoding="utf-8") as handle:
        listed = {row["code_insee"] for row in csv.DictReader(handle)}
    assert {feature["properties"]["code"] for feature in SHIPPED["features"]} == listed


def test_every_polygon_is_valid_and_inside_the_metropole():
    west, south, east, north = tool.METROPOLE_BOX
    for code, ring in shipped_rings():
        assert tool.ring_problems(ring) == [], code
        assert tool.signed_area(ring) > 0, f"{code}: exterior rings turn counter-clockwise (RFC 7946)"
        for lon, lat in ring:
            assert west < lon < east and south < lat < north, code
            assert round(lon, tool.DIGITS) == lon and round(lat, tool.DIGITS) == lat, code


def test_neighbours_share_their_borders():
    """One group for all: the only line left is the Métropole's outline, one closed loop (no gap, no overlap)."""
    [outline] = geo.boundary_lines(SHIPPED, {code: "mgp" for code, _ring in shipped_rings()})
    assert outline[0] == outline[-1] and len(outline) > 100


def test_the_file_is_small_and_one_feature_a_line():
    text = geo.SHIPPED_PATH.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 200_000
    assert len(text.splitlines()) == 130 + 2


def test_the_source_and_its_licence_are_in_the_sources_table(reference_con):
    row = db.fetch_one(reference_con, "SELECT * FROM sources WHERE source_id = $id", {"id": geo.SHIPPED_SOURCE_ID})
    assert row["kind"] == "reference" and row["published_on"] == "2018"
    assert "IGN Admin Express COG 2018" in row["title"] and "Licence Ouverte 2.0" in row["title"]
    assert "IGN" in row["publisher"] and "INSEE" in row["publisher"] and "france-geojson" in row["publisher"]
    assert "tools/contours.py" in row["note"]
    assert db.fetch_value(reference_con, "SELECT count(*) FROM sources WHERE source_id = $id",
                          {"id": geo.API_SOURCE_ID}) == 1


# --- the tool -----------------------------------------------------------------------------------------------

def test_the_tool_reproduces_the_shipped_file(tmp_path):
    geo_dir = needs_geo()
    out = tmp_path / "contours.geojson"
    assert tool.main(["--geo", str(geo_dir), "--out", str(out)]) == 0
    assert out.read_bytes() == geo.SHIPPED_PATH.read_bytes(), "data/communes_contours.geojson: run tools/contours.py"


def test_saint_denis_is_the_union_of_its_two_2018_communes():
    geo_dir = needs_geo()
    raw = tool.source_rings(geo_dir, {"93066"})["93066"]
    assert len(raw) == 2  # Saint-Denis and Pierrefitte-sur-Seine, 2018
    [merged] = [ring for code, ring in shipped_rings() if code == "93066"]
    assert tool.signed_area(merged) == pytest.approx(sum(abs(tool.signed_area(r)) for r in raw), rel=1e-6)


def test_a_missing_commune_or_folder_is_said(tmp_path, capsys):
    geo_dir = needs_geo()
    communes = tmp_path / "communes.csv"
    communes.write_text("insee,name\n75056,Paris\n99999,Nulle-part\n", encoding="utf-8")
    assert tool.main(["--geo", str(geo_dir), "--communes", str(communes), "--out", str(tmp_path / "x")]) == 1
    error = capsys.readouterr().err
    assert "no contour in" in error and "1 commune(s): 99999" in error
    assert not (tmp_path / "x").exists()  # nothing written
    assert tool.main(["--geo", str(tmp_path), "--out", str(tmp_path / "x")]) == 1
    assert "no fg-communes-*.geojson" in capsys.readouterr().err


def test_the_union_of_two_squares_is_their_outline():
    left = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    right = [[1, 1], [1, 0], [2, 0], [2, 1], [1, 1]]  # clockwise: the tool orients it first
    merged = tool.union([left, right])
    assert tool.ring_problems(merged) == [] and tool.signed_area(merged) == 2
    assert {tuple(p) for p in merged} == {(0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1)}
    with pytest.raises(tool.ContourError, match="one polygon"):
        tool.union([left, [[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]])


@pytest.mark.parametrize("ring, problem", [
    ([[0, 0], [1, 1], [0, 0]], "3 points"),
    ([[0, 0], [1, 0], [1, 1], [0, 1]], "not closed"),
    ([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]], "cross"),  # a bow tie
    ([[0, 0], [1, 0], [2, 0], [0, 0]], "no area"),
])
def test_an_invalid_ring_is_named(ring, problem):
    assert any(problem in found for found in tool.ring_problems(ring))


# --- the event mode's and the showcase's SVG map --------------------------------------------------------------

EDITION_1 = {"93005", "92048", "93051", "92071"}


def test_the_event_mode_map_draws_the_shipped_contours(monkeypatch, reference_con):
    monkeypatch.delenv("QMI_CONTOURS_REFRESH", raising=False)
    slide = deck.map_slide(reference_con, Filters(edition=1), (), "fr")
    assert len(slide.outlines) == 130 and {o.insee for o in slide.outlines if o.laureate} == EDITION_1
    assert "Fond : contours des communes — Contours des communes de la Métropole du Grand Paris (IGN Admin Express COG 2018" \
        in slide.sources[0]
    svg, _unlabelled = graphics.map_svg(slide.places, "fr", slide.outlines)
    assert svg.count("data-insee=") == 130 and "<circle cx" in svg  # the laureates' discs over the contours
    # The projection frames the contours: every vertex inside the view box.
    xs_ys = [float(n) for d in re.findall(r" d='(M[^']*)' fill='#(?:CCE3F3|FFFFFF)'", svg)
             for n in re.findall(r"-?\d+\.\d", d)]
    assert xs_ys and all(0 <= n <= max(graphics.MAP_W, graphics.MAP_H) for n in xs_ys)
    assert graphics.esc("contour d'une commune de la Métropole") in graphics.map_block(slide, "fr")


def test_without_contours_the_event_mode_map_keeps_its_dots(monkeypatch, reference_con, tmp_path):
    monkeypatch.delenv("QMI_CONTOURS_REFRESH", raising=False)
    monkeypatch.setattr(geo, "SHIPPED_PATH", tmp_path / "absent.geojson")
    slide = deck.map_slide(reference_con, Filters(edition=1), (), "fr")
    assert slide.outlines == () and "points gris" in slide.sources[0]
    svg, _unlabelled = graphics.map_svg(slide.places, "fr", slide.outlines)
    assert "data-insee=" not in svg and svg.count("r='2.4'") == 130 - 4 - 1
