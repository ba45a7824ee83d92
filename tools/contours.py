"""Write data/communes_contours.geojson: the contours of the Métropole's 130 communes, shipped with the dashboard.

Run when the commune list or the source changes: python tools/contours.py [--geo DIR] [--out FILE]
The source is ../shared/geo (IGN Admin Express COG 2018 via gregoiredavid/france-geojson, Licence Ouverte 2.0;
source `geo_contours_2018` in data/sources.csv). The tool selects the communes of data/communes.csv, merges
Pierrefitte-sur-Seine into Saint-Denis (1 January 2025), orients every ring counter-clockwise (RFC 7946), rounds to
5 decimals (about 1 m) and writes one feature per line, so a diff names the communes that changed.

No further simplification: the source is france-geojson's simplified version already (about 36 vertices a
commune, none closer than about 40 m to the next), 0.1 MB for the 130 communes; removing more vertices would make
the small communes unrecognisable at the commune zoom the map opens on.
The merge needs no geometry library: neighbouring communes share their border vertices exactly in this source, so
the union of two rings is their edges minus the ones they share, chained back into one ring.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_GEO = REPO.parent / "shared" / "geo"
DEFAULT_OUT = REPO / "data" / "communes_contours.geojson"
SOURCE_ID = "geo_contours_2018"  # data/sources.csv
MERGED_INTO = {"93059": "93066"}  # Pierrefitte-sur-Seine joined Saint-Denis on 1 January 2025
DIGITS = 5  # about 1 m: the source's own precision
# The Métropole's extent with a margin (longitude min, latitude min, longitude max, latitude max).
METROPOLE_BOX = (2.10, 48.60, 2.70, 49.05)


class ContourError(ValueError):
    """The source does not give what the shipped file needs (said in words)."""


def signed_area(ring) -> float:
    """The shoelace area of a closed ring in square degrees, positive when counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:])) / 2


def counter_clockwise(ring: list) -> list:
    return ring if signed_area(ring) > 0 else ring[::-1]


def _segments_cross(p, q, r, s) -> bool:
    """Whether segments pq and rs intersect (touching included)."""
    def orient(a, b, c):
        value = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (value > 0) - (value < 0)

    def on(a, b, c):  # c on segment ab, knowing the three are collinear
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    o1, o2, o3, o4 = orient(p, q, r), orient(p, q, s), orient(r, s, p), orient(r, s, q)
    if o1 != o2 and o3 != o4:
        return True
    return ((o1 == 0 and on(p, q, r)) or (o2 == 0 and on(p, q, s)) or (o3 == 0 and on(r, s, p))
            or (o4 == 0 and on(r, s, q)))


def ring_problems(ring: list) -> list[str]:
    """What makes a ring invalid as a polygon's exterior (closed, 4+ points, an area, no repeated vertex, no
    self-intersection); empty when it is valid."""
    if len(ring) < 4:
        return [f"{len(ring)} points (4 at least)"]
    if ring[0] != ring[-1]:
        return ["not closed"]
    problems = []
    points = [tuple(p) for p in ring[:-1]]
    if len(set(points)) < len(points):
        problems.append("a repeated vertex")
    if signed_area(ring) == 0:
        problems.append("no area")
    n = len(points)
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # the closing edge touches the first one at its start
            if _segments_cross(points[i], points[(i + 1) % n], points[j], points[(j + 1) % n]):
                problems.append(f"edges {i} and {j} cross")
                return problems
    return problems


def union(rings: list[list]) -> list:
    """One ring around rings that share border vertices (counter-clockwise): the edges they share cancel out."""
    edges = [(tuple(a), tuple(b)) for ring in rings for a, b in zip(counter_clockwise(ring), counter_clockwise(ring)[1:])]
    kept = set(edges) - {(b, a) for a, b in edges}
    following = {}
    for a, b in kept:
        if a in following:
            raise ContourError(f"the merged outline passes twice through {a}")
        following[a] = b
    start = next(a for a, _b in edges if a in following)  # the first ring's first outer vertex: deterministic
    ring = [start]
    while following[ring[-1]] != start:
        ring.append(following[ring[-1]])
        if len(ring) > len(following):
            raise ContourError("the merged outline does not close")
    if len(ring) != len(following):
        raise ContourError("the merged communes do not form one polygon (they share no border)")
    return [list(p) for p in ring + [start]]


def read_communes(path: Path) -> dict[str, str]:
    """INSEE code -> name, from data/communes.csv (the Métropole's communes as the repository lists them)."""
    with path.open(encoding="utf-8") as handle:
        return {row["insee"]: row["name"] for row in csv.DictReader(handle)}


def source_rings(geo_dir: Path, wanted: set[str]) -> dict[str, list[list]]:
    """Exterior rings per commune code (after the merge), from every fg-communes-*.geojson of geo_dir."""
    files = sorted(geo_dir.glob("fg-communes-*.geojson"))
    if not files:
        raise ContourError(f"no fg-communes-*.geojson in {geo_dir}")
    rings: dict[str, list[list]] = {}
    for path in files:
        for number, feature in enumerate(json.loads(path.read_text(encoding="utf-8"))["features"], start=1):
            code = str(feature["properties"]["code"])
            target = MERGED_INTO.get(code, code)
            if target not in wanted:
                continue
            geometry = feature["geometry"]
            polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
            for polygon in polygons:
                if len(polygon) > 1:
                    raise ContourError(f"{path.name}, feature {number} ({code}): a polygon with holes is not handled")
                rings.setdefault(target, []).append(polygon[0])
    return rings


def rounded_ring(ring: list) -> list:
    out = []
    for lon, lat in ring:
        point = [round(lon, DIGITS), round(lat, DIGITS)]
        if not out or out[-1] != point:  # rounding may join two vertices
            out.append(point)
    return out


def build(geo_dir: Path, communes: dict[str, str]) -> dict:
    """The FeatureCollection: one feature per commune of `communes`, in INSEE order."""
    rings = source_rings(geo_dir, set(communes))
    missing = sorted(set(communes) - set(rings))
    if missing:
        raise ContourError(f"no contour in {geo_dir} for {len(missing)} commune(s): {', '.join(missing)}")
    features = []
    for code in sorted(communes):
        parts = [union(rings[code])] if len(rings[code]) > 1 else [counter_clockwise(rings[code][0])]
        polygons = [[rounded_ring(ring)] for ring in parts]
        for polygon in polygons:
            if problems := ring_problems(polygon[0]):
                raise ContourError(f"{code} ({communes[code]}): invalid outline: {'; '.join(problems)}")
        geometry = ({"type": "Polygon", "coordinates": polygons[0]} if len(polygons) == 1
                    else {"type": "MultiPolygon", "coordinates": polygons})
        features.append({"type": "Feature", "properties": {"code": code, "nom": communes[code]}, "geometry": geometry})
    return {"type": "FeatureCollection", "source_id": SOURCE_ID, "features": features}


def dumps(collection: dict) -> str:
    """Compact JSON, one feature per line: small, deterministic, and readable in a diff."""
    head = {key: value for key, value in collection.items() if key != "features"}
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]]
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"features":[\n'
    return opening + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geo", type=Path, default=DEFAULT_GEO, help="the france-geojson files (default ../shared/geo)")
    parser.add_argument("--communes", type=Path, default=REPO / "data" / "communes.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        text = dumps(build(args.geo, read_communes(args.communes)))
    except (ContourError, OSError, KeyError, ValueError) as error:
        print(f"contours: {error}", file=sys.stderr)
        return 1
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(text.encode('utf-8')) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
