"""The map page with no network, in Debian's headless Chromium: the shipped contours are drawn (the canvas's pixels
inside a laureate commune differ from the map's ground; inside Paris, drawn unfilled, they do not) and the page says
nothing about missing contours. The server is asked to refresh the contours from geo.api.gouv.fr and cannot reach it
(its proxy is a closed port); the browser may reach nothing but the server. Skips without /usr/bin/chromium, unless
QMI_BROWSER_TESTS=required (tests/test_browser.py's rule)."""

from __future__ import annotations

import io
import math

import pytest
from helpers import serving
from test_browser import FINISHED, SCREENSHOTS, browser  # noqa: F401  (fixture; skips the module without Chromium)

from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present.vocabulary import known
from qmi_metrics.reads import geo

Image = pytest.importorskip("PIL.Image")

GROUND = (244, 246, 248)  # dashboard/carte.py's background_layer: no basemap tiles
QUARTIER_PAD_DEG = 500 / 111_000  # dashboard/carte.py: QUARTIER_RADIUS_M around the quartiers
LAUREATE, OTHER = "93051", "75056"  # Noisy-le-Grand, a laureate of edition 1, filled; Paris, not one, unfilled


@pytest.fixture(scope="module")
def offline_server(reference_db_path, tmp_path_factory):
    """The app over the reference database, refreshing its contours from an API it cannot reach."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QMI_CONTOURS_REFRESH", "1")
        patch.setenv("QMI_CONTOURS_CACHE", str(tmp_path_factory.mktemp("contours") / "contours.geojson"))
        for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
            patch.setenv(name, "http://127.0.0.1:9")  # the discard port: nothing answers
        for name in ("no_proxy", "NO_PROXY"):
            patch.setenv(name, "127.0.0.1,localhost")
        with serving(reference_db_path) as url:
            yield url


def view_state(con) -> dict:
    """The view the page opens on for edition 1 (dashboard/carte.py's deck: its places, and room for the circles)."""
    view = Filters(edition=1)
    points = [(row.lat, row.lon) for frame in (geo.laureate_communes(con, view), geo.quartiers(con, view),
                                               geo.experimentation_sites(con, view))
              for row in frame.itertuples() if known(row.lat) and known(row.lon)]
    return geo.view_state([p[0] for p in points], [p[1] for p in points], pad_deg=QUARTIER_PAD_DEG)


def to_pixel(lat: float, lon: float, state: dict, width: float, height: float) -> tuple[float, float]:
    """deck.gl's Web Mercator: a 512-pixel world at zoom 0, the view's centre at the canvas's centre."""
    world = 512 * 2 ** state["zoom"]
    mercator = lambda phi: math.log(math.tan(math.pi / 4 + math.radians(phi) / 2))  # noqa: E731
    x = width / 2 + (lon - state["longitude"]) / 360 * world
    y = height / 2 - (mercator(lat) - mercator(state["latitude"])) / (2 * math.pi) * world
    return x, y


def inside(lon: float, lat: float, ring: list) -> bool:
    """Ray casting: whether a point lies inside a ring."""
    found = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
            found = not found
    return found


def samples(ring: list, steps: int = 24) -> list[tuple[float, float]]:
    """Points of a grid over the ring's bounding box that fall inside it (lon, lat)."""
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    grid = [(min(lons) + (max(lons) - min(lons)) * (i + 0.5) / steps, min(lats) + (max(lats) - min(lats)) * (j + 0.5) / steps)
            for i in range(steps) for j in range(steps)]
    return [p for p in grid if inside(*p, ring)]


def differs(pixel, reference=GROUND, tolerance: int = 6) -> bool:
    return any(abs(a - b) > tolerance for a, b in zip(pixel[:3], reference))


def test_the_map_draws_the_shipped_contours_with_the_network_blocked(browser, offline_server, reference_con):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="fr-FR", device_scale_factor=1)
    page = context.new_page()
    blocked = []

    def route(request):
        if request.request.url.startswith(offline_server):
            request.continue_()
        else:
            blocked.append(request.request.url)
            request.abort()
    page.route("**/*", route)
    try:
        page.goto(f"{offline_server}/carte?edition=1")
        page.wait_for_selector(FINISHED, timeout=60_000)
        page.wait_for_timeout(500)  # a rerun (URL written back) may follow the first run
        page.wait_for_selector(FINISHED, timeout=60_000)
        canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
        canvas.wait_for(timeout=30_000)
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "IGN Admin Express COG 2018" in text and "indisponible" not in text
        assert page.locator('[data-testid="stException"]').count() == 0

        box = canvas.bounding_box()
        state = view_state(reference_con)
        shipped = {f["properties"]["code"]: geo.exterior_rings(f["geometry"])[0]
                   for f in geo.read_cache(geo.SHIPPED_PATH)["features"]}

        def pixels_in(code: str) -> list[tuple[float, float]]:
            """The canvas points of a grid inside the commune's contour (those in view)."""
            found = [to_pixel(lat, lon, state, box["width"], box["height"]) for lon, lat in samples(shipped[code])]
            return [(x, y) for x, y in found if 0 <= x < box["width"] and 0 <= y < box["height"]]

        commune, other = pixels_in(LAUREATE), pixels_in(OTHER)
        assert len(commune) > 50 and len(other) > 50
        for _attempt in range(30):  # deck.gl draws a few frames after the canvas appears
            image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
            scale = image.width / box["width"]
            filled = [differs(image.getpixel((int(x * scale), int(y * scale)))) for x, y in commune]
            if sum(filled) > 0.8 * len(filled):
                break
            page.wait_for_timeout(500)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        image.save(SCREENSHOTS / "carte-hors-ligne.png")
        assert sum(filled) > 0.8 * len(filled), (sum(filled), len(filled))
        # Paris is drawn as an outline only: its inside is the ground, but for its name (the comparison can fail).
        unfilled = [differs(image.getpixel((int(x * scale), int(y * scale)))) for x, y in other]
        assert sum(unfilled) < 0.2 * len(unfilled), (sum(unfilled), len(unfilled))
    finally:
        context.close()
