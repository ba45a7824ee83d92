"""Write data/communes.csv and the commune centroids of data/sites.csv from ../shared.

Run once when the reference list changes: python tools/communes_from_reference.py
The centroids are computed from the 2018 contours in ../shared/geo (area-weighted
centroid of the polygons, merged for Saint-Denis + Pierrefitte-sur-Seine since 2025).
"""

import csv
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
MERGED_INTO = {"93059": "93066"}  # Pierrefitte-sur-Seine joined Saint-Denis on 1 January 2025
# A centroid is computed, not published: its row says so (schema.sql, basis).
CENTROID_RULE = ("Centroïde calculé des contours communaux 2018 par tools/communes_from_reference.py, pas une position"
                 " publiée.")


def polygon_centroid(ring):
    """Area and centroid of one ring (shoelace formula, in degrees: fine at this scale)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area /= 2
    return abs(area), cx / (6 * area), cy / (6 * area)


def commune_centroids():
    weighted = {}
    for path in sorted((SHARED / "geo").glob("fg-communes-*.geojson")):
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            code = MERGED_INTO.get(feature["properties"]["code"], feature["properties"]["code"])
            geometry = feature["geometry"]
            polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
            for polygon in polygons:
                area, lon, lat = polygon_centroid(polygon[0])
                total = weighted.setdefault(code, [0.0, 0.0, 0.0])
                total[0] += area
                total[1] += area * lon
                total[2] += area * lat
    return {code: (lat / area, lon / area) for code, (area, lon, lat) in weighted.items()}


def main():
    rows = list(csv.DictReader((SHARED / "reference" / "mgp_communes.csv").open(encoding="utf-8")))
    with (REPO / "data" / "communes.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["insee", "name", "departement", "ept_siren", "ept_name", "population",
                         "postcodes", "siren", "source_id", "basis", "basis_rule"])
        for row in rows:
            writer.writerow([row["code_insee"], row["nom"], row["departement"], row["ept_siren"],
                             row["ept_nom"], row["population_municipale"], row["codes_postaux"],
                             row["siren"], "ref_communes", "stated", ""])
    centroids = commune_centroids()
    with (REPO / "data" / "sites.centroids.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["site_id", "insee", "name", "kind", "lat", "lon", "precision", "source_id", "note", "basis",
                         "basis_rule"])
        for row in rows:
            lat, lon = centroids[row["code_insee"]]
            writer.writerow([f"centroid-{row['code_insee']}", row["code_insee"], f"Centroïde — {row['nom']}",
                             "commune_centroid", f"{lat:.4f}", f"{lon:.4f}", "computed", "geo_centroids_2018",
                             "", "inferred", CENTROID_RULE])


if __name__ == "__main__":
    main()
