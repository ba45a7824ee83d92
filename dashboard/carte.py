"""Carte des quartiers: laureate communes, their quartiers and the experimentation sites, with their precision."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import pandas as pd
import pydeck as pdk
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt, status_label
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import figures, headlines, vocabulary
from qmi_metrics.present.i18n import _
from qmi_metrics.reads import geo, queries

QUARTIER_RADIUS_M = 500  # the circle drawn around a quartier's landmark: an extent, not its official perimeter
SITE_RADIUS_PX, RING_STEP_PX, MAX_RINGS = 7, 5, 8
UNKNOWN_COLOUR = [153, 153, 153]
STATUS_COLOURS = dict(zip(
    ("deployed", "started", "tested", "stopped", "agreement_signed", "selected", "continued", "evaluated"),
    figures.PALETTE))
# The map tells statuses apart by symbol; vocabulary.STATUS_SYMBOLS gives "deployed" and "tested" the same dot.
MAP_STATUS_SYMBOLS = {**vocabulary.STATUS_SYMBOLS, "tested": "◉"}
TOOLTIP = {
    "html": "<b>{tip_title}</b><div style='white-space:pre-line;max-width:320px'>{tip_body}</div>",
    "style": {"backgroundColor": "#ffffff", "color": "#1a1a1a", "border": "1px solid #888", "fontSize": "13px"},
}

view = sidebar.page(_(language.lang(), "Carte des quartiers"),
                    _(language.lang(), "Les communes lauréates, leurs quartiers et les lieux d'expérimentation "
                                       "connus, avec la précision de chaque position. Survolez un point pour le "
                                       "détail ; cliquez sur une commune (ou choisissez-la ci-dessous) pour filtrer "
                                       "tout le tableau de bord."))
lang = language.lang()
version = caches.data_version()


# --- data (cached per data version and view) ---------------------------------------------------------

@st.cache_data(max_entries=128, max_size=caches.CACHE_BYTES, show_spinner=False)
def places(version: str, filters: Filters, statuses: tuple[str, ...]) -> dict:
    con = database.connection()
    return {
        "communes": geo.laureate_communes(con, filters),
        "quartiers": geo.quartiers(con, filters),
        "sites": geo.experimentation_sites(con, filters, statuses),
        "located": geo.located_projects(con, filters, statuses),
        "metropole": geo.metropole_centroids(con),
    }


@st.cache_data(max_entries=16, show_spinner=False)
def picker_communes(version: str, edition: int | None) -> pd.DataFrame:
    """The communes the picker offers: the edition's laureates, whatever the commune filter."""
    return geo.laureate_communes(database.connection(), Filters(edition=edition))[["insee", "commune"]]


@st.cache_resource(ttl=600, max_entries=4, show_spinner=False)
def contours(contour_path: str, contour_mtime: float | None, refresh: bool) -> dict | None:
    # The arguments are the key: the file drawn (shipped, or the refreshed copy), its time, the setting. With
    # QMI_CONTOURS_REFRESH, a failed fetch is remembered for ten minutes: an offline server does not retry on
    # every click, and the shipped contours are drawn meanwhile.
    # (cache_resource: the GeoJSON is shared, never copied; the map builds new features from it.)
    return geo.load_contours(refresh=refresh)


@st.cache_resource(max_entries=4, show_spinner=False)
def boundaries(version: str) -> dict[str, list]:
    """The département and EPT lines, from the shipped contours (their borders share vertices) and the communes'
    divisions in the database."""
    shipped = geo.read_cache(geo.SHIPPED_PATH)
    if shipped is None:
        return {"departements": [], "epts": []}
    divisions = geo.commune_divisions(database.connection())
    return {kind: [{"path": path} for path in geo.boundary_lines(shipped, dict(zip(divisions["insee"], divisions[column])))]
            for kind, column in (("departements", "departement"), ("epts", "ept"))}


@st.cache_data(max_entries=64, max_size=caches.CACHE_BYTES, show_spinner=False)
def measure_values(version: str, filters: Filters, measure: str) -> pd.DataFrame:
    return geo.commune_values(database.connection(), filters, measure)


@st.cache_data(max_entries=4, show_spinner=False)
def contour_source(version: str, source_id: str) -> str | None:
    return geo.source_title(database.connection(), source_id)


def cache_mtime(path) -> float | None:
    """Part of the cache key: a contour file written meanwhile (by another session) is picked up."""
    try:
        return path.stat().st_mtime
    except OSError:
        return None


# --- commune selection: map click or keyboard-accessible picker ----------------------------------------

def choose_commune(insee: str | None) -> None:
    st.session_state["f_communes"] = [insee] if insee else []


def on_map_select(widget_key: str, allowed: set[str]) -> None:
    """A click on a commune, its quartier or one of its sites filters the app on that commune."""
    state = st.session_state.get(widget_key) or {}
    for objects in (state.get("selection") or {}).get("objects", {}).values():
        for obj in objects:
            insee = obj.get("insee") or (obj.get("properties") or {}).get("insee")
            if insee in allowed:
                choose_commune(insee)
                return


def on_pick() -> None:
    choose_commune(st.session_state.get("carte_commune"))


# --- labels ---------------------------------------------------------------------------------------------

def text(value) -> str:
    return vocabulary.not_known(lang) if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def category(row, colour_by: str, theme_labels: dict[str, str]) -> tuple[int, str, str, list[int]]:
    """Order, legend label, map symbol and colour of a project: by défi (its rank) or by status."""
    if colour_by == "theme":
        if row["theme_slug"] is None or pd.isna(row["theme_slug"]):
            return 99, _(language.lang(), "défi non renseigné"), "?", UNKNOWN_COLOUR
        rank = int(row["theme_rank"])
        return (rank, theme_labels.get(row["theme_slug"], text(None)), str(rank),
                rgb(figures.PALETTE[(rank - 1) % len(figures.PALETTE)]))
    status = row["current_status"]
    order = queries.STATUSES.index(status) if status in queries.STATUSES else 99
    return (order, vocabulary.status_label(status, lang, symbol=False), MAP_STATUS_SYMBOLS.get(status, "?"),
            rgb(STATUS_COLOURS.get(status, "#999999")))


def runs(symbols: list[str]) -> str:
    """'7 7 7 1' -> '7×3 1': short labels where many projects share a place."""
    parts, previous, count = [], None, 0
    for symbol in [*symbols, None]:
        if symbol == previous:
            count += 1
            continue
        if previous is not None:
            parts.append(previous if count == 1 else f"{previous}×{count}")
        previous, count = symbol, 1
    return " ".join(parts)


def source_line(row) -> str:
    return f"{_(language.lang(), 'Source')} : {text(row['source'])}"


def precision_line(row) -> str:
    return f"{_(language.lang(), 'Précision')} : {vocabulary.site_precision(row['precision'], lang)}"


# --- layers ---------------------------------------------------------------------------------------------

MAP_FIELDS = ("insee", "lon", "lat", "tip_title", "tip_body", "fill", "colour", "radius", "label", "offset", "commune")


def records(frame: pd.DataFrame) -> list[dict]:
    """JSON-safe rows for deck.gl (no NaN), with only the fields the layers read."""
    frame = frame[[c for c in frame.columns if c in MAP_FIELDS]]
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for row in rows:  # the tooltip template is HTML: names and sources go in as text
        for field in ("tip_title", "tip_body"):
            if row.get(field) is not None:
                row[field] = escape.html(row[field])
    return rows


def commune_rows(communes: pd.DataFrame) -> pd.DataFrame:
    located = communes.dropna(subset=["lat", "lon"]).copy()
    located["tip_title"] = located["commune"]
    located["tip_body"] = [
        "\n".join([
            f"{_(language.lang(), 'Commune lauréate — édition')} {row['editions']}",
            f"{_(language.lang(), 'Projets dans la vue')} : {row['projects']}",
            f"{_(language.lang(), 'Position : centroïde du contour communal')}",
            precision_line(row), source_line(row)])
        for _ignored, row in located.iterrows()]
    return located


def quartier_rows(quartiers: pd.DataFrame) -> pd.DataFrame:
    located = quartiers.dropna(subset=["lat", "lon"]).drop_duplicates("site_id").copy()
    located["tip_title"] = [f"{_(language.lang(), 'Quartier')} {text(row['quartier_name'])} — {row['commune']}"
                            for _ignored, row in located.iterrows()]
    located["tip_body"] = [
        "\n".join([f"{_(language.lang(), 'Repère') if row['precision'] == 'landmark' else _(language.lang(), 'Lieu')}"
                   f" : {row['site_name']}",
                   precision_line(row),
                   f"{_(language.lang(), 'Source de la position')} : {text(row['source'])}",
                   f"{_(language.lang(), 'Source du quartier')} : {text(row['quartier_source'])}"]
                  + ([f"{_(language.lang(), 'Cercle de')} {QUARTIER_RADIUS_M} m : "
                      f"{_(language.lang(), 'étendue indicative, pas le périmètre officiel')}"]))
        for _ignored, row in located.iterrows()]
    return located


def site_rows(sites: pd.DataFrame, colour_by: str) -> pd.DataFrame:
    frame = sites.copy()
    if frame.empty:
        return frame.assign(order=[], legend=[], symbol=[], colour=[], ring=[], radius=[], fill=[], tip_title=[],
                            tip_body=[])
    # Labels looked up once, not per site: thousands of sites at the Métropole's scale.
    themes = caches.theme_labels(version, lang)
    rows = frame.to_dict("records")
    cats = [category(row, colour_by, themes) for row in rows]
    frame["order"], frame["legend"], frame["symbol"], frame["colour"] = zip(*cats)
    frame = frame.sort_values(["order", "project"], kind="stable")  # like projects sit next to each other
    frame["ring"] = geo.stack_ranks(frame).clip(upper=MAX_RINGS - 1).to_numpy()
    frame["radius"] = SITE_RADIUS_PX + RING_STEP_PX * frame["ring"]
    # The innermost project is a dot; the others are rings around it, so no project hides another.
    frame["fill"] = [colour + [230] if ring == 0 else colour + [0] for colour, ring in zip(frame["colour"], frame["ring"])]
    frame["tip_title"] = frame["project"]
    names = {"operator": _(lang, "Opérateur"), "type": _(lang, "Type"), "status": _(lang, "Statut"),
             "theme": _(lang, "Défi"), "commune": _(lang, "Commune"), "place": _(lang, "Lieu")}
    statuses = {status: status_label(status) for status in frame["current_status"].unique()}
    frame["tip_body"] = [
        "\n".join([
            f"{names['operator']} : {text(row['operator'])}",
            f"{names['type']} : {text(row['type_en'] if lang == 'en' else row['type_fr'])}",
            f"{names['status']} : {statuses[row['current_status']]}",
            f"{names['theme']} : {themes.get(row['theme_slug'], text(None)) if pd.notna(row['theme_slug']) else text(None)}",
            f"{names['commune']} : {text(row['commune'])}",
            f"{names['place']} : {row['site_name']}",
            precision_line(row), source_line(row)])
        for row in frame.to_dict("records")]
    return frame.sort_values("ring", ascending=False)  # outer rings first: inner ones are drawn on top


def site_labels(sites: pd.DataFrame) -> pd.DataFrame:
    """One label per place: the symbols of its projects, innermost first, to the right of the outer ring."""
    if sites.empty:
        return pd.DataFrame(columns=["lon", "lat", "label", "offset"])
    ordered = sites.sort_values(["ring", "order"], kind="stable")
    grouped = ordered.groupby(["lat", "lon"], sort=False)
    labels = grouped["symbol"].apply(lambda s: runs(list(s))).reset_index(name="label")
    outer = grouped["radius"].max().reset_index(drop=True)
    labels["offset"] = [[int(r) + 4, 0] for r in outer]
    return labels


def contour_layer(geojson: dict | None, laureates: dict[str, str], shades: dict[str, list[int]] | None) -> pdk.Layer | None:
    """The communes' outlines; the laureates filled in blue, or in their class's shade when the choropleth is on
    (`shades`: INSEE -> colour, grey for a laureate whose value is unknown)."""
    if geojson is None:
        return None
    collection = geo.contour_features(geojson, laureates)
    for feature in collection["features"]:
        props = feature["properties"]
        props["tip_title"] = escape.html(props["name"])
        props["tip_body"] = (_(language.lang(), "Commune lauréate") if props["laureate"]
                             else _(language.lang(), "Commune de la Métropole"))
        if shades is not None and props["laureate"]:
            props["fill"] = shades.get(props["insee"], UNKNOWN_COLOUR) + [220]
        else:
            props["fill"] = [0, 114, 178, 45] if props["laureate"] else [255, 255, 255, 0]
        props["line"] = [0, 114, 178, 220] if props["laureate"] else [160, 160, 160, 200]
    return pdk.Layer("GeoJsonLayer", id="contours", data=collection, pickable=True, stroked=True, filled=True,
                     get_fill_color="properties.fill", get_line_color="properties.line",
                     line_width_min_pixels=1)


def boundary_layers(lines: dict[str, list]) -> list[pdk.Layer]:
    """Thin lines over the communes: EPT borders in grey, département borders darker and wider."""
    styles = (("epts", [90, 90, 90, 200], 1.5), ("departements", [30, 30, 30, 230], 2.5))
    return [pdk.Layer("PathLayer", id=kind, data=lines[kind], get_path="path", get_color=colour, get_width=width,
                      width_units="'pixels'", pickable=False)
            for kind, colour, width in styles if lines.get(kind)]


def choropleth(values: pd.DataFrame, lang: str) -> tuple[dict[str, list[int]], list[tuple[float, float]], pd.DataFrame]:
    """Each laureate's shade, the classes, and the rows with their class and the text the map labels them with."""
    classes = figures.value_classes(values["value"])
    rows = values.copy()
    rows["class"] = [figures.class_index(v, classes) for v in rows["value"]]
    rows["text"] = [figures.measure_text(v, u, b, lang) for v, u, b in zip(rows["value"], rows["unit"], rows["basis"])]
    shades = {insee: rgb(figures.CHOROPLETH_SHADES[k]) for insee, k in zip(rows["insee"], rows["class"]) if k is not None}
    return shades, classes, rows


def background_layer() -> pdk.Layer:
    """A light ground under the layers: no basemap tiles are fetched (map_style=None)."""
    ground = [{"polygon": [[1.4, 47.9], [3.6, 47.9], [3.6, 49.6], [1.4, 49.6]]}]
    return pdk.Layer("PolygonLayer", id="fond", data=ground, get_polygon="polygon", filled=True, stroked=False,
                     get_fill_color=[244, 246, 248], pickable=False)


def text_layer(layer_id: str, data: list[dict], text_field: str, offset, anchor: str, size: int,
               colour=(26, 26, 26)) -> pdk.Layer:
    layer = pdk.Layer("TextLayer", id=layer_id, data=data, get_position=["lon", "lat"], get_text=text_field,
                      get_size=size, get_color=list(colour), get_pixel_offset=offset, get_text_anchor=f"'{anchor}'",
                      get_alignment_baseline="'center'", background=True,
                      get_background_color=[255, 255, 255, 215], background_padding=[2, 1], pickable=False)
    # Set after construction: pydeck would turn these strings into accessor expressions.
    layer.character_set = sorted({ch for row in data for ch in str(row[text_field])} | {" "})
    layer.font_family = "DejaVu Sans, Segoe UI Symbol, Noto Sans, Arial, sans-serif"
    return layer


def metropole_rows(metropole: pd.DataFrame, laureates: set[str]) -> pd.DataFrame:
    """The other communes as small grey dots: where the laureates stand in the Métropole."""
    others = metropole[~metropole["insee"].isin(laureates)].copy()
    others["tip_title"] = others["commune"]
    others["tip_body"] = _(language.lang(), "Commune de la Métropole (centroïde calculé)")
    return others


def deck(communes: pd.DataFrame, quartiers: pd.DataFrame, sites: pd.DataFrame, geojson: dict | None,
         metropole: pd.DataFrame, lines: dict[str, list], measured: pd.DataFrame | None,
         shades: dict[str, list[int]] | None) -> pdk.Deck:
    layers = [background_layer()]
    laureates = dict(zip(communes["insee"], communes["commune"]))
    if (contour := contour_layer(geojson, laureates, shades)) is not None:
        layers.append(contour)
        layers += boundary_layers(lines)
    others = metropole_rows(metropole, set(laureates))
    if not others.empty:
        if contour is None:  # without contours, the other communes' centroids sketch the Métropole
            layers.append(pdk.Layer(
                "ScatterplotLayer", id="metropole", data=records(others), get_position=["lon", "lat"], get_radius=2.5,
                radius_units="'pixels'", get_fill_color=[150, 150, 150, 200], pickable=True))
        paris = others[others["insee"] == "75056"]
        if not paris.empty:
            layers.append(text_layer("paris", records(paris), "commune", [0, 0], "middle", 15, (110, 110, 110)))
    layers.append(pdk.Layer(
        "ScatterplotLayer", id="quartiers", data=records(quartiers), get_position=["lon", "lat"],
        get_radius=QUARTIER_RADIUS_M, radius_units="'meters'", radius_min_pixels=10, filled=True, stroked=True,
        get_fill_color=[120, 120, 120, 50], get_line_color=[80, 80, 80, 230], line_width_min_pixels=2,
        pickable=True, auto_highlight=True))
    layers.append(pdk.Layer(
        "ScatterplotLayer", id="communes", data=records(communes), get_position=["lon", "lat"],
        get_radius=6, radius_units="'pixels'", filled=True, stroked=True, get_fill_color=[255, 255, 255, 255],
        get_line_color=[0, 0, 0, 255], line_width_min_pixels=3, pickable=True, auto_highlight=True))
    layers.append(pdk.Layer(
        "ScatterplotLayer", id="sites", data=records(sites), get_position=["lon", "lat"], get_radius="radius",
        radius_units="'pixels'", filled=True, stroked=True, get_fill_color="fill", get_line_color="colour",
        line_width_min_pixels=2, pickable=True, auto_highlight=True))
    labels = records(site_labels(sites))
    if labels:
        layers.append(text_layer("symboles", labels, "label", "offset", "start", 14))
    if 0 < communes["insee"].nunique() <= 3 and not quartiers.empty:  # close enough to name the quartiers
        named = quartiers.dropna(subset=["quartier_name"])
        if not named.empty:
            layers.append(text_layer("quartiers-noms", records(named.rename(columns={"quartier_name": "label"})),
                                     "label", [0, 0], "middle", 13, (80, 80, 80)))
    named = commune_names(communes, quartiers)
    if measured is not None:  # the choropleth's value beside each name: the map reads without its colours
        texts = dict(zip(measured["insee"], measured["text"]))
        named = named.assign(commune=[f"{name} · {texts.get(insee, text(None))}"
                                      for insee, name in zip(named["insee"], named["commune"])])
    names = records(named)
    if names:
        layers.append(text_layer("noms", names, "commune", [0, -17], "middle", 13))
    points = pd.concat([communes[["lat", "lon"]], quartiers[["lat", "lon"]], sites[["lat", "lon"]]])
    return pdk.Deck(layers=layers, map_style=None, tooltip=TOOLTIP,
                    initial_view_state=pdk.ViewState(**geo.view_state(
                        points["lat"], points["lon"], pad_deg=QUARTIER_RADIUS_M / 111_000 if not quartiers.empty else 0)))


def commune_names(communes: pd.DataFrame, quartiers: pd.DataFrame) -> pd.DataFrame:
    """Name labels at the centroid, or at the quartier when the centroid is unknown."""
    at_centroid = communes[["insee", "commune", "lat", "lon"]]
    at_quartier = quartiers[["insee", "commune", "lat", "lon"]].drop_duplicates("insee")
    at_quartier = at_quartier[~at_quartier["insee"].isin(at_centroid["insee"])]
    return pd.concat([at_centroid, at_quartier]).drop_duplicates("insee")


# --- legend and sentences ---------------------------------------------------------------------------------

def legend(sites: pd.DataFrame, colour_by: str, has_contours: bool, has_communes: bool, has_quartiers: bool) -> None:
    """The legend as text: each entry has its symbol, so colour is never the only cue."""
    items = []
    if has_communes:
        items.append(f"◯ **{_(language.lang(), 'commune lauréate')}** — "
                     f"{_(language.lang(), 'point blanc cerclé de noir, au centroïde calculé')}")
    if has_quartiers:
        items.append(f"◌ **{_(language.lang(), 'quartier')}** — "
                     + _(language.lang(), "grand cercle gris de {quartier_radius_m} m autour du repère ou de la position approximative",
                                          quartier_radius_m=QUARTIER_RADIUS_M))
    if has_contours:
        items.append(f"▭ **{_(language.lang(), 'contour communal')}** — "
                     f"{_(language.lang(), 'bleu pour les lauréates, gris pour les autres')}")
    if not sites.empty:
        by = _(language.lang(), "défi (numéro du défi)") if colour_by == "theme" \
            else _(language.lang(), "statut")
        items.append(f"● **{_(language.lang(), 'lieu d’expérimentation')}** — "
                     + _(language.lang(), "point coloré, avec à sa droite le symbole de son {by} :", by=by))
    keys = ["order", "legend", "symbol", sites["colour"].map(tuple)]
    for (_ignored, label, symbol, colour), count in sites.groupby(keys).size().items():
        swatch = "#{:02X}{:02X}{:02X}".format(*colour)
        items.append(f"    - <span style='color:{swatch};font-size:1.2em'>●</span> "
                     f"<span style='font-size:1.15em'>{escape.markdown(symbol)}</span> **{escape.markdown(label)}** — "
                     f"{fmt(count)} {_(language.lang(), 'projet(s)')}")
    if not sites.empty and (sites["ring"] > 0).any():
        items.append(_(language.lang(), "◎ anneaux concentriques : plusieurs projets au même lieu ; l'étiquette liste leurs "
                                        "symboles du centre vers l'extérieur"))
    lines = [item if item.startswith("    - ") else f"- {item}" for item in items]  # site categories are nested
    st.markdown("**" + _(language.lang(), "Légende") + "**\n\n" + "\n".join(lines),
                unsafe_allow_html=True)


def choropleth_legend(measured: pd.DataFrame, classes: list[tuple[float, float]], measure: str) -> None:
    """Each class: its shade, its range and its communes with their values (the words carry it all, the shade
    only repeats it); then the communes whose value is unknown."""
    unit = measured["unit"].iloc[0] if not measured.empty else "count"
    lines = []
    for index, (low, high) in enumerate(classes):
        members = measured[measured["class"] == index]
        names = ", ".join(f"{escape.markdown(c)} ({escape.markdown(t)})" for c, t in zip(members["commune"], members["text"]))
        lines.append(f"- <span style='color:{figures.CHOROPLETH_SHADES[index]};font-size:1.2em'>■</span> "
                     f"**{escape.markdown(figures.class_text(low, high, unit, lang))}** — {names}")
    unknown = measured[measured["class"].isna()]
    if not unknown.empty:
        lines.append(f"- <span style='color:#999999;font-size:1.2em'>■</span> **{vocabulary.not_known(lang)}** — "
                     + ", ".join(escape.markdown(c) for c in unknown["commune"]))
    st.markdown("**" + _(language.lang(), "Communes lauréates selon : {measure}",
                         measure=escape.markdown(figures.measure_label(measure, lang))) + "**\n\n" + "\n".join(lines),
                unsafe_allow_html=True)


def located_sentence(sites: pd.DataFrame, located: dict) -> str:
    total, with_site = int(located["projects"] or 0), int(located["located"] or 0)
    if total == 0:
        return _(language.lang(), "Aucun projet dans cette vue : aucun lieu d'expérimentation à montrer.")
    return _(language.lang(),
        "{len_sites} lieu(x) d'expérimentation localisé(s) pour {with_site} projet(s) sur {total} ; "
        "{total_with_site} projet(s) n'ont pas de lieu connu dans les données.",
        len_sites=len(sites), with_site=with_site, total=total, total_with_site=total - with_site)


def precision_sentence(table: pd.DataFrame) -> str | None:
    """Which positions are approximate or landmarks: the reader must not take them for addresses."""
    parts = []
    for code, which in (
            ("approximate", _(lang, "positions approximatives (environ 300 m, à ne pas prendre pour une adresse)")),
            ("landmark", _(lang, "repères publics (gares) placés pour le quartier")),
            ("computed", _(lang, "centroïdes calculés des contours communaux 2018"))):
        names = sorted(set(table.loc[table["precision_code"] == code, "name"]))
        if names:
            parts.append(f"{which} : {', '.join(names) if len(names) <= 8 else fmt(len(names)) + ' ' + _(lang, 'lieux')}")
    return (_(language.lang(), "Précision des positions — ") + " ; ".join(parts) + ".") if parts else None


def missing_quartiers_sentence(quartiers: pd.DataFrame) -> str | None:
    missing = quartiers[quartiers["lat"].isna()]
    if missing.empty:
        return None
    names = [f"{row['commune']}" + (f" ({row['quartier_name']})" if pd.notna(row["quartier_name"]) else "")
             for _ignored, row in missing.iterrows()]
    return _(language.lang(), "Quartier sans position connue ({len_names}) : {names}.", len_names=len(names),
                              names=', '.join(names))


def places_table(communes: pd.DataFrame, quartiers: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    kinds = {kind: vocabulary.words(vocabulary.PLACE_KINDS, kind, lang) for kind in vocabulary.PLACE_KINDS}
    rows = [{"name": r["commune"], "commune": r["commune"], "kind": kinds["commune"], "project": None,
             "precision_code": r["precision"], "lat": r["lat"], "lon": r["lon"], "source": r["source"],
             "bases": [(r["basis"], r["basis_rule"])]}
            for _ignored, r in communes.iterrows()]
    rows += [{"name": r["site_name"] if r["quartier_name"] == r["site_name"] else f"{text(r['quartier_name'])} — {r['site_name']}",
              "commune": r["commune"],
              "kind": kinds["quartier"], "project": None, "precision_code": r["precision"],
              "lat": r["lat"], "lon": r["lon"], "source": r["source"],
              "bases": [(r["basis"], r["basis_rule"]), (r["quartier_basis"], r["quartier_rule"])]}
             for _ignored, r in quartiers.iterrows()]
    rows += [{"name": r["site_name"], "commune": r["commune"], "kind": kinds["site"], "project": r["project"],
              "precision_code": r["precision"], "lat": r["lat"], "lon": r["lon"], "source": r["source"],
              "bases": [(r["basis"], r["basis_rule"]), (r["link_basis"], r["link_rule"])]}
             for _ignored, r in sites.sort_values(["commune", "site_name", "project"]).iterrows()]
    table = pd.DataFrame(rows, columns=["name", "commune", "kind", "project", "precision_code", "lat", "lon", "source",
                                        "bases"])
    table["precision"] = table["precision_code"].map(lambda p: vocabulary.site_precision(p, lang))
    # A place's basis: the weakest of its position's and of the row that puts it there (quartier, project's site).
    table["base"] = widgets.basis_column(vocabulary.weakest_basis(*(basis for basis, _rule in pairs))
                                         for pairs in table["bases"])
    table["project"] = table["project"].fillna("")  # only experimentation sites have a project
    return table


# --- the drawing of a view (cached per server) ----------------------------------------------------------

@dataclass(frozen=True)
class Drawing:
    """Everything the page shows of one view: built once per server, shared by every session, never changed."""

    data: dict
    communes: pd.DataFrame
    quartiers: pd.DataFrame
    sites: pd.DataFrame
    table: pd.DataFrame
    chart: pdk.Deck
    has_contours: bool
    contour_source: str | None  # the sources table's title of the contours drawn
    measured: pd.DataFrame | None  # the choropleth's rows (insee, commune, value, basis, unit, class, text)
    classes: list[tuple[float, float]]


@st.cache_resource(max_entries=32, show_spinner=False)
def drawing(version: str, filters: Filters, statuses: tuple[str, ...], colour_by: str, lang: str,
            contour_file: tuple[str, float | None, bool], has_contours: bool, measure: str | None = None) -> Drawing:
    """The deck, its layers' rows and the places table: about 250 ms at scale M, on every run otherwise. The
    arguments name all it depends on: the contour file's path and time (the shipped file, or a refreshed copy) and
    the refresh setting,
    whether contours were found (a fetch that failed is retried by `contours` every ten minutes) and what the
    choropleth colours the communes by (None: no choropleth)."""
    data = places(version, filters, statuses)
    communes = data["communes"].dropna(subset=["lat", "lon"])
    quartiers = quartier_rows(data["quartiers"]) if not data["quartiers"].empty else data["quartiers"]
    located_quartiers = quartiers.dropna(subset=["lat", "lon"]) if not quartiers.empty else quartiers
    geojson = contours(*contour_file)
    sites = site_rows(data["sites"], colour_by)
    measured, classes, shades = None, [], None
    if measure is not None:
        shades, classes, measured = choropleth(measure_values(version, filters, measure), lang)
    chart = deck(commune_rows(communes), located_quartiers, sites, geojson, data["metropole"], boundaries(version),
                 measured, shades)
    spec = chart.to_json()
    chart.to_json = lambda: spec  # Streamlit serialises the deck on every run: once per drawing instead
    source = contour_source(version, geo.contour_source_id(geojson)) if geojson is not None else None
    return Drawing(data, communes, located_quartiers, sites, places_table(communes, located_quartiers, sites),
                   chart, geojson is not None, source, measured, classes)


# --- page ---------------------------------------------------------------------------------------------

left, right = st.columns([1, 1])
with left:
    colour_by = st.radio(_(language.lang(), "Couleur :"), ["theme", "status"], horizontal=True, key="carte_couleur",
                         format_func=lambda v: {"theme": _(language.lang(), "défi"),
                                                "status": _(language.lang(), "statut")}[v])
    measure = st.selectbox(_(language.lang(), "Colorier les communes lauréates selon"), [None, *headlines.MAP_MEASURES],
                           key="carte_choroplethe", placeholder=_(language.lang(), "aucun indicateur"),
                           format_func=lambda m: _(language.lang(), "aucun indicateur") if m is None
                           else figures.measure_label(m, lang),
                           help=_(language.lang(), "Chaque commune lauréate prend la teinte de sa classe ; sa valeur "
                                                   "est écrite à côté de son nom et dans la légende."))
with right:
    participating = {row["insee"] for row in caches.choices(version)["communes"]}
    offered = picker_communes(version, view.filters.edition)
    offered = offered[offered["insee"].isin(participating)]
    names = dict(zip(offered["insee"], offered["commune"]))
    chosen = view.filters.communes
    # The picker shows the commune filter when it holds one commune of this edition.
    st.session_state["carte_commune"] = chosen[0] if len(chosen) == 1 and chosen[0] in names else None
    st.selectbox(_(language.lang(), "Commune à afficher"), [None, *names], key="carte_commune",
                 on_change=on_pick, placeholder=_(language.lang(), "Toutes les communes"), format_func=lambda i: names.get(i, _(language.lang(), "Toutes les communes")),
                 help=_(language.lang(), "Filtre tout le tableau de bord sur cette commune (comme un clic sur la carte)."))

contour_path = geo.contour_path()
contour_file = (str(contour_path), cache_mtime(contour_path), geo.refresh_on())
shown = drawing(version, view.filters, view.statuses, colour_by, lang, contour_file, contours(*contour_file) is not None,
                measure)
data, communes, located_quartiers, sites, table = shown.data, shown.communes, shown.quartiers, shown.sites, shown.table
map_key = f"carte_map_{view.filters.edition}_{'-'.join(view.filters.communes)}"
st.pydeck_chart(shown.chart, on_select=functools.partial(on_map_select, map_key, set(names)),
                selection_mode="single-object", key=map_key, height=560,
                alt=_(language.lang(), "Carte : {len_communes} commune(s) lauréate(s), {len_located_quartiers} quartier(s), "
                                       "{len_sites} lieu(x) d'expérimentation.",
                                       len_communes=len(communes), len_located_quartiers=len(located_quartiers),
                                       len_sites=len(sites)))
if not shown.has_contours:
    st.caption(_(language.lang(), "Contours des communes indisponibles (le fichier livré data/communes_contours.geojson "
                                  "manque ou est illisible) : la carte montre les centroïdes des communes et les cercles "
                                  "des quartiers."))
else:
    st.caption(_(language.lang(), "Source des contours : {source}. Traits fins : limites des établissements publics "
                                  "territoriaux (EPT) ; traits épais : limites des départements.",
                 source=escape.markdown(text(shown.contour_source))))

if shown.measured is not None:
    choropleth_legend(shown.measured, shown.classes, measure)
legend(sites, colour_by, shown.has_contours, not communes.empty, not located_quartiers.empty)
st.write(located_sentence(sites, data["located"]))
if view.filters.themes or view.statuses:
    st.caption(_(language.lang(), "Les filtres « défis » et « statut » s'appliquent aux projets ; les communes et les quartiers "
                                  "restent ceux de l'édition."))
if (sentence := missing_quartiers_sentence(data["quartiers"])) is not None:
    st.write(escape.markdown(sentence))
if len(data["communes"]) > len(communes):
    st.write(_(language.lang(), "{len_communes_len_communes} commune(s) sans centroïde connu : nommée(s) au "
                                "quartier quand il est localisé.",
                                len_communes_len_communes=len(data['communes']) - len(communes)))

st.header(_(language.lang(), "Lieux montrés sur la carte"))  # h2 under the page's h1
if (sentence := precision_sentence(table)) is not None:
    st.write(escape.markdown(sentence))
columns = {"name": _(language.lang(), "lieu"), "commune": "commune", "kind": _(language.lang(), "type"),
           "project": _(language.lang(), "projet"), "precision": _(language.lang(), "précision"),
           "base": _(language.lang(), "base"), "lat": "lat", "lon": "lon", "source": "source"}
widgets.table(table[list(columns)].rename(columns=columns), "qmi_carte_lieux", key="carte-lieux",
              column_config={"lat": st.column_config.NumberColumn(format="%.4f"),
                             "lon": st.column_config.NumberColumn(format="%.4f"), **widgets.basis_config()})
widgets.basis_note(pair for pairs in table["bases"] for pair in pairs)
