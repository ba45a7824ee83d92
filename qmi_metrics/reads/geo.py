"""The map's data: laureate communes, their quartiers, the experimentation sites, and commune contours.

Places come from the `sites` table with their precision (computed centroid, public landmark, approximate
position); nothing is placed where the data do not say. Contours are the ones shipped in
data/communes_contours.geojson (tools/contours.py); with QMI_CONTOURS_REFRESH on, the official API
(geo.api.gouv.fr) refreshes them once, cached on disk, and the shipped ones stay the fallback.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Callable

import pandas as pd

from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.store import db, settings

EPCI_MGP = "200054781"  # SIREN of the Métropole du Grand Paris
CONTOURS_URL = f"https://geo.api.gouv.fr/communes?codeEpci={EPCI_MGP}&format=geojson&geometry=contour"
CACHE_PATH = Path(settings.default("QMI_CONTOURS_CACHE"))  # data/cache/ is git-ignored
SHIPPED_PATH = settings.REPO_DIR / "data" / "communes_contours.geojson"  # written by tools/contours.py
# The sources table's rows for the two kinds of contours (the shipped file names its own in "source_id").
SHIPPED_SOURCE_ID, API_SOURCE_ID = "geo_contours_2018", "geo_api_contours"
FETCH_TIMEOUT = 3.0  # seconds: the page must not hang when offline


# --- places from the database ---------------------------------------------------------------------

def laureate_communes(con, view: Filters = Filters()) -> pd.DataFrame:
    """One row per laureate commune of the view: its editions, centroid (when known) and projects in view."""
    return db.fetch_df(con, """
        WITH laureates AS (
            SELECT insee, name, string_agg(DISTINCT edition_id::VARCHAR, ', ' ORDER BY edition_id::VARCHAR) AS editions
            FROM f_laureate_communes($edition, $commune)
            GROUP BY insee, name
        ), projects_in_view AS (
            SELECT insee, count(*) AS projects
            FROM f_projects($edition, $commune, $theme)
            GROUP BY insee
        )
        SELECT l.insee, l.name AS commune, l.editions, coalesce(p.projects, 0) AS projects,
               c.lat, c.lon, coalesce(c.precision, 'unknown') AS precision, s.title AS source,
               c.basis, c.basis_rule
        FROM laureates l
        LEFT JOIN projects_in_view p USING (insee)
        LEFT JOIN sites c ON c.insee = l.insee AND c.kind = 'commune_centroid'
        LEFT JOIN sources s ON s.source_id = c.source_id
        ORDER BY l.name
    """, view.params())


def metropole_centroids(con) -> pd.DataFrame:
    """Every commune centroid the database knows: the Métropole's outline for orientation when contours are missing."""
    return db.fetch_df(con, """
        SELECT s.insee, c.name AS commune, s.lat, s.lon
        FROM sites s JOIN communes c USING (insee)
        WHERE s.kind = 'commune_centroid' AND s.lat IS NOT NULL AND s.lon IS NOT NULL
        ORDER BY c.name
    """)


def quartiers(con, view: Filters = Filters()) -> pd.DataFrame:
    """One row per laureate commune and edition: its quartier's name and place (NULL when unknown)."""
    return db.fetch_df(con, """
        SELECT ce.edition_id, ce.insee, c.name AS commune, ce.quartier_name,
               q.site_id, q.name AS site_name, q.kind AS site_kind, q.lat, q.lon,
               coalesce(q.precision, 'unknown') AS precision, q.note,
               qs.title AS quartier_source, ss.title AS source,
               q.basis, q.basis_rule, ce.basis AS quartier_basis, ce.basis_rule AS quartier_rule
        FROM commune_editions ce
        JOIN communes c USING (insee)
        LEFT JOIN sites q ON q.site_id = ce.quartier_site_id
        LEFT JOIN sources qs ON qs.source_id = ce.quartier_source_id
        LEFT JOIN sources ss ON ss.source_id = q.source_id
        WHERE ce.role = 'lauréate'
          AND ($edition IS NULL OR ce.edition_id = $edition)
          AND ($commune IS NULL OR list_contains($commune, ce.insee))
        ORDER BY c.name, ce.edition_id
    """, view.params())


def experimentation_sites(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per project and place where it is tested (table project_sites), for the projects in view."""
    return db.fetch_df(con, """
        SELECT p.project_id, p.name AS project, p.operator, p.edition_id, p.insee, c.name AS commune,
               ty.label_fr AS type_fr, ty.label_en AS type_en, p.current_status,
               p.theme_slug, th.rank AS theme_rank, th.label_fr AS theme_fr, th.label_en AS theme_en,
               si.site_id, si.name AS site_name, si.kind AS site_kind, si.lat, si.lon, si.precision, si.note,
               so.title AS source, ps.source_quote AS quote, si.basis, si.basis_rule,
               ps.basis AS link_basis, ps.basis_rule AS link_rule
        FROM f_projects($edition, $commune, $theme) p
        JOIN project_sites ps USING (project_id)
        JOIN sites si ON si.site_id = ps.site_id
        LEFT JOIN communes c ON c.insee = p.insee
        LEFT JOIN solution_types ty ON ty.type_slug = p.type_slug
        LEFT JOIN themes th ON th.theme_slug = p.theme_slug
        LEFT JOIN sources so ON so.source_id = si.source_id
        WHERE ($statuses IS NULL OR list_contains($statuses, p.current_status))
          AND si.lat IS NOT NULL AND si.lon IS NOT NULL
        ORDER BY c.name, si.site_id, p.name
    """, {**view.params(), "statuses": list(statuses) or None})


def located_projects(con, view: Filters = Filters(), statuses: tuple[str, ...] = ()) -> dict:
    """How many projects of the view there are, and how many have at least one known place."""
    return db.fetch_one(con, """
        SELECT count(*) AS projects,
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM project_sites ps JOIN sites si USING (site_id)
                   WHERE ps.project_id = p.project_id AND si.lat IS NOT NULL)) AS located
        FROM f_projects($edition, $commune, $theme) p
        WHERE $statuses IS NULL OR list_contains($statuses, p.current_status)
    """, {**view.params(), "statuses": list(statuses) or None})


def stack_ranks(sites: pd.DataFrame) -> pd.Series:
    """0, 1, 2… for projects sharing one place: the map draws them as concentric rings, not hidden dots."""
    if sites.empty:
        return pd.Series([], dtype="int64")
    return sites.groupby(["lat", "lon"]).cumcount()


def view_state(lats, lons, width_px: int = 900, height_px: int = 560, pad_deg: float = 0.0) -> dict:
    """Centre and zoom that fit the points, plus pad_deg of latitude around them (for circles drawn in metres).

    Web Mercator with deck.gl's 512-pixel world at zoom 0; kept between the Métropole and a street.
    """
    points = [(float(a), float(o)) for a, o in zip(lats, lons)
              if a is not None and o is not None and not (math.isnan(a) or math.isnan(o))]
    if not points:  # the Métropole as a whole
        return {"latitude": 48.85, "longitude": 2.35, "zoom": 9.5}
    lat_min, lat_max = min(p[0] for p in points) - pad_deg, max(p[0] for p in points) + pad_deg
    lon_pad = pad_deg / math.cos(math.radians(lat_min))  # the same distance east-west
    lon_min, lon_max = min(p[1] for p in points) - lon_pad, max(p[1] for p in points) + lon_pad
    lon_span = max(lon_max - lon_min, 0.02) * 1.3  # margin around the points
    lat_span = max(lat_max - lat_min, 0.012) * 1.3
    mercator = math.cos(math.radians((lat_min + lat_max) / 2))
    zoom = min(math.log2(360 * width_px / 512 / lon_span), math.log2(360 * mercator * height_px / 512 / lat_span))
    return {"latitude": (lat_min + lat_max) / 2, "longitude": (lon_min + lon_max) / 2,
            "zoom": round(max(8.5, min(zoom, 14.0)), 2)}


# --- contours: shipped, or refreshed from the official API --------------------------------------------

def default_cache_path() -> Path:
    """$QMI_CONTOURS_CACHE (a read-only checkout, tests), else CACHE_PATH."""
    return Path(settings.configured("QMI_CONTOURS_CACHE") or CACHE_PATH)


def refresh_on() -> bool:
    """QMI_CONTOURS_REFRESH: fetch the API's contours instead of drawing the shipped ones. A value not understood
    is logged and the shipped contours drawn: the map never depends on the refresh."""
    try:
        return bool(settings.value("QMI_CONTOURS_REFRESH"))
    except settings.SettingError as error:
        logging.getLogger(__name__).warning("QMI_CONTOURS_REFRESH: %s; the shipped contours are drawn", error)
        return False


def contour_path(refresh: bool | None = None) -> Path:
    """The file the outputs draw: the refreshed copy when refreshing is on (once fetched; the shipped contours
    until then), else the shipped one."""
    return default_cache_path() if (refresh_on() if refresh is None else refresh) else SHIPPED_PATH


def fetch_contours(url: str = CONTOURS_URL, timeout: float = FETCH_TIMEOUT) -> dict:
    """The GeoJSON of the Métropole's communes from geo.api.gouv.fr; raises when offline."""
    request = urllib.request.Request(url, headers={"Accept": "application/geo+json, application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (fixed https URL)
        return json.loads(response.read().decode("utf-8"))


def is_contour_collection(data) -> bool:
    """A FeatureCollection of commune polygons with their INSEE code (what the map needs)."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return False
    features = data.get("features")
    if not isinstance(features, list) or not features:
        return False
    return all(isinstance(f, dict) and isinstance(f.get("geometry"), dict)
               and f["geometry"].get("type") in ("Polygon", "MultiPolygon")
               and isinstance(f.get("properties"), dict) and f["properties"].get("code")
               for f in features)


def read_cache(path: Path) -> dict | None:
    """The contours of a file (cached or shipped), or None when it is missing, unreadable or not contours."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if is_contour_collection(data) else None


def write_cache(path: Path, data: dict) -> bool:
    """Write atomically (a reader never sees half a file); a read-only disk only costs the cache."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".contours-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(temporary, path)
        return True
    except OSError:
        return False


def refreshed_contours(cache_path: Path, fetch: Callable[..., dict] | None = None,
                       timeout: float = FETCH_TIMEOUT) -> dict | None:
    """The API's contours from the disk cache, else fetched once and cached (marked with their source); None when
    neither works. Never raises."""
    cached = read_cache(cache_path)
    if cached is not None:
        return cached
    try:
        data = (fetch or fetch_contours)(CONTOURS_URL, timeout)
    except Exception:  # offline, DNS, HTTP error, bad JSON: the shipped contours are drawn
        return None
    if not is_contour_collection(data):
        return None
    data = {**data, "source_id": API_SOURCE_ID}
    write_cache(cache_path, data)
    return data


def load_contours(cache_path: Path | str | None = None, fetch: Callable[..., dict] | None = None,
                  timeout: float = FETCH_TIMEOUT, refresh: bool | None = None,
                  shipped_path: Path | str | None = None) -> dict | None:
    """The contours to draw: the API's (cached) when refreshing is on and they can be had, else the shipped ones;
    None only when the shipped file is missing or damaged. Never raises, never needs the network."""
    if refresh_on() if refresh is None else refresh:
        refreshed = refreshed_contours(Path(cache_path) if cache_path else default_cache_path(), fetch, timeout)
        if refreshed is not None:
            return refreshed
    return read_cache(Path(shipped_path) if shipped_path else SHIPPED_PATH)


def contours_on_disk() -> dict | None:
    """What the outputs that never wait for the network draw (reports, the event mode, the showcase): the refreshed
    copy when refreshing is on and one is cached, else the shipped contours."""
    return read_cache(contour_path()) or read_cache(SHIPPED_PATH)


def contours_version() -> str:
    """A digest of the file `contours_on_disk` reads: the static showcase rewrites its maps when it changes."""
    for path in (contour_path(), SHIPPED_PATH):
        if read_cache(path) is not None:
            return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return ""


def exterior_rings(geometry: dict) -> list[list]:
    """The outer ring of each polygon of a Polygon or MultiPolygon."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [polygon[0] for polygon in polygons if polygon]


def contour_source_id(contours: dict) -> str:
    """Which row of `sources` the contours come from (a cache written before they were marked came from the API)."""
    return contours.get("source_id") or API_SOURCE_ID


def source_title(con, source_id: str) -> str | None:
    return db.fetch_value(con, "SELECT title FROM sources WHERE source_id = $id", {"id": source_id})


# --- the choropleth: one value per laureate commune ---------------------------------------------------------

LAUREATE_EDITIONS = "laureate_editions"  # not a KPI of the registry: how many editions chose the commune


def commune_values(con, view: Filters, measure: str) -> pd.DataFrame:
    """Each laureate commune of the view with the measure as its card would show it for the view narrowed to that
    commune (the KPI registry's value, basis and unit; NULL when unknown), or its number of laureate editions (all
    editions)."""
    communes = laureate_communes(con, view)[["insee", "commune"]]
    if measure == LAUREATE_EDITIONS:
        every = laureate_communes(con, Filters(communes=view.communes))
        counts = {insee: len(editions.split(", ")) for insee, editions in zip(every["insee"], every["editions"])}
        return communes.assign(value=[float(counts[i]) for i in communes["insee"]], basis="computed", unit="count")
    kpi = kpis.get(con, measure)
    shown = [kpis.compute_all(con, replace(view, communes=(insee,)), kpis=[kpi])[0].shown()
             for insee in communes["insee"]]
    return communes.assign(value=[value for value, _basis, _lower in shown],
                           basis=[basis for _value, basis, _lower in shown], unit=kpi.unit)


# --- département and EPT boundaries, drawn from the shipped contours -------------------------------------

def commune_divisions(con) -> pd.DataFrame:
    """Each commune's département and EPT (Paris, in no EPT, is its own)."""
    return db.fetch_df(con, """
        SELECT insee, name AS commune, departement, coalesce(ept_siren, 'dep-' || departement) AS ept
        FROM communes ORDER BY insee
    """)


def boundary_lines(contours: dict, group_of: dict[str, str]) -> list[list[list[float]]]:
    """The lines between communes of different groups (départements, EPT) and around them all, as paths.

    Neighbouring communes share their border vertices in the shipped contours (tools/contours.py keeps them), so a
    border is an edge two rings hold in opposite directions; an edge held once is the Métropole's outline."""
    owner: dict[tuple, str | None] = {}
    for feature in contours["features"]:
        group = group_of.get(str(feature["properties"]["code"]))
        for ring in exterior_rings(feature["geometry"]):
            for a, b in zip(ring, ring[1:]):
                owner[(tuple(a), tuple(b))] = group
    neighbours: dict[tuple, list[tuple]] = {}
    for (a, b), group in owner.items():
        if (b, a) not in owner or (owner[(b, a)] != group and a < b):  # a shared border counted once
            neighbours.setdefault(a, []).append(b)
            neighbours.setdefault(b, []).append(a)
    for ends in neighbours.values():
        ends.sort()
    # Walk the segments into paths: from the junctions first, then around what is left (closed loops).
    used: set[frozenset] = set()
    paths = []
    for start in sorted(n for n in neighbours if len(neighbours[n]) != 2) + sorted(neighbours):
        for step in neighbours[start]:
            if frozenset((start, step)) in used:
                continue
            used.add(frozenset((start, step)))
            path = [start, step]
            while len(neighbours[path[-1]]) == 2:
                onward = next((n for n in neighbours[path[-1]] if frozenset((path[-1], n)) not in used), None)
                if onward is None:
                    break
                used.add(frozenset((path[-1], onward)))
                path.append(onward)
            paths.append([list(point) for point in path])
    return paths


def rounded(coordinates, digits: int = 5):
    """Coordinates to about a metre: the browser receives a lighter map, the eye sees no difference."""
    if isinstance(coordinates, (int, float)):
        return round(coordinates, digits)
    return [rounded(c, digits) for c in coordinates]


def contour_features(contours: dict, laureates: dict[str, str]) -> dict:
    """New features with the properties the map reads: insee, name, and whether the commune is a laureate."""
    features = []
    for feature in contours["features"]:
        code = str(feature["properties"]["code"])
        name = feature["properties"].get("nom") or laureates.get(code) or code
        geometry = {"type": feature["geometry"]["type"], "coordinates": rounded(feature["geometry"]["coordinates"])}
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"insee": code, "name": name, "laureate": code in laureates}})
    return {"type": "FeatureCollection", "features": features}
