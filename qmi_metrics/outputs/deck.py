"""Event mode ("Mode présentation"): the programme's story as a list of slides, one message each.

Plain data, no Streamlit and no HTML: the page renders these slides as a slideshow (qmi_metrics/outputs/slideshow.py)
and other outputs (a PowerPoint deck) can take the same list. Every number comes from the KPI registry
(kpis.compute_all) or the shared reads (queries, geo, programme, community) under the view's filters, and
is shown the way the dashboard's cards show it: the computed value when the rows are complete, else the
published figure (with its source), else nothing ("non renseigné" in a small line, never a big number).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import pandas as pd

from qmi_metrics.metrics import filters, kpis, reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import cards, findings, formatting, headlines, i18n, narratives, vocabulary
from qmi_metrics.present.i18n import _, _np
from qmi_metrics.present.vocabulary import known
from qmi_metrics.reads import community, geo, programme, queries
from qmi_metrics.store import db

DEFAULT_BASE_URL = "http://localhost:8501/"
DEFAULT_INTERVAL, MIN_INTERVAL, MAX_INTERVAL = 15, 3, 600  # seconds a slide stays on screen
PROJECTS_PER_SLIDE = 8  # rows of a commune's project list that stay legible from the back of a room
TRUE_WORDS = ("1", "true", "yes", "oui", "on")



# --- what a slide holds ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the value as printed next to the bar
    note: str = ""  # calculé / publié / partiel…, in words
    basis: str = "computed"  # computed | published | partial


@dataclass(frozen=True)
class Place:
    """A point of the offline map. kind: context (another commune of the Métropole), city (Paris, for
    orientation), commune (a laureate, `count` = its projects in view), quartier, site."""

    kind: str
    name: str
    lat: float
    lon: float
    count: int | None = None


@dataclass(frozen=True)
class Outline:
    """A commune's contour on the offline map: its exterior rings as (lon, lat) points."""

    insee: str
    laureate: bool
    rings: tuple[tuple[tuple[float, float], ...], ...]


@dataclass(frozen=True)
class Slide:
    kind: str  # title (rows[0][0]: the view's scope), empty, kpis, funnel, map, themes, commune, community, findings, qr
    title: str
    subtitle: str = ""
    numbers: tuple[cards.Card, ...] = ()
    bars: tuple[Bar, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    places: tuple[Place, ...] = ()
    outlines: tuple[Outline, ...] = ()  # kind "map": the communes' contours, drawn under the places
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    link: str = ""  # the QR code's payload (kind "qr")
    keys: tuple[str, ...] = ()  # the project id of each row (kind "commune"): the static site links them


@dataclass(frozen=True)
class Deck:
    slides: tuple[Slide, ...]
    lang: str
    synthetic: bool  # every slide then carries a "DONNÉES SYNTHÉTIQUES" mark
    link: str  # the QR code's address: the showcase page of the same view, else the dashboard with the same filters
    explore: str  # the dashboard's address with the same filters
    published: str = ""  # « Données publiées le … » (narratives.published_line): at the foot of every slide


def project(places: list[Place], width: float, height: float, margin: float, outlines: tuple[Outline, ...] = ()):
    """Equirectangular projection (longitudes shrunk by cos(latitude)) fitting the Métropole to a box of that size:
    (lat, lon) -> (x, y), and the scale in box units per degree. The slideshow's SVG and the PPTX use it.
    The frame is the communes' outlines when there are some, else the other communes' centroids, else the places."""
    frame = ([Place("context", "", lat, lon) for o in outlines for ring in o.rings for lon, lat in ring]
             or [p for p in places if p.kind in ("context", "city")] or places)
    lat0 = sum(p.lat for p in frame) / len(frame)
    k = math.cos(math.radians(lat0))
    xs, ys = [p.lon * k for p in frame], [p.lat for p in frame]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 0.03)
    x_mid, y_mid = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    scale = min((width - 2 * margin) / max(max(xs) - min(xs), span * 0.5),
                (height - 2 * margin) / max(max(ys) - min(ys), span * 0.5))

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return width / 2 + (lon * k - x_mid) * scale, height / 2 - (lat - y_mid) * scale
    return xy, scale


# --- URL parameters of the event mode ------------------------------------------------------------

def is_on(raw) -> bool:
    """?present=1 (or true, oui…) switches the event mode on."""
    return raw is not None and str(raw).strip().lower() in TRUE_WORDS


def parse_interval(raw, lang: str = "fr") -> tuple[float, str | None]:
    """Seconds per slide from ?interval=: default 15, kept within 3–600; a bad value gives the default
    and a notice (in `lang`) to show, never an exception."""
    if raw is None or str(raw).strip() == "":
        return DEFAULT_INTERVAL, None
    text = str(raw).strip()
    try:
        seconds = float(text.replace(",", "."))
    except ValueError:
        seconds = math.nan
    if math.isnan(seconds) or math.isinf(seconds):
        return DEFAULT_INTERVAL, _(lang, "Intervalle « {text} » non compris : {default} s par diapositive.",
                                   text=text, default=DEFAULT_INTERVAL)
    bounded = min(max(seconds, MIN_INTERVAL), MAX_INTERVAL)
    if bounded != seconds:
        return bounded, _(lang, "Intervalle « {text} » hors bornes ({low}–{high} s) : {bounded:g} s par diapositive.",
                          text=text, low=MIN_INTERVAL, high=MAX_INTERVAL, bounded=bounded)
    return seconds, None


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c in url for c in "<>\"' \n")


def _folder(url: str) -> str:
    """The address without query and fragment, ending with '/'."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def base_url(param: str | None = None, configured: str | None = None, context_url: str | None = None,
             page_paths: tuple[str, ...] = (), lang: str = "fr") -> tuple[str, str | None]:
    """The dashboard's root address for the QR code: ?base= wins, then `public_url` (secrets), then the
    address the browser uses (st.context.url, the page's own segment removed), then localhost; with a notice
    (in `lang`) when a given address is not one."""
    notice = None
    for candidate in (param, configured):
        if not candidate:
            continue
        if _is_web_address(str(candidate)):
            return _folder(str(candidate)), notice
        notice = _(lang, "Adresse de base ignorée (http:// ou https:// attendu) : « {candidate} »", candidate=candidate)
    if context_url and _is_web_address(context_url):
        parts = urlsplit(context_url)
        segments = parts.path.rstrip("/").split("/")
        if segments and segments[-1] in page_paths:
            segments = segments[:-1]
        return _folder(urlunsplit((parts.scheme, parts.netloc, "/".join(segments), "", ""))), notice
    return DEFAULT_BASE_URL, notice


def is_local(url: str) -> bool:
    """An address phones in the room cannot open (it names the presenter's own machine)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "0.0.0.0", "::1") or host.startswith("127.")


def dashboard_link(base: str, view: Filters, statuses: tuple[str, ...] = (), lang: str = "fr",
                   commune_names: dict | None = None) -> str:
    """The dashboard's home page with the same filters, in the URL form the sidebar writes."""
    names = commune_names or {}
    pairs = [("edition", "all" if view.edition is None else str(view.edition))]
    pairs += [("commune", names.get(insee, insee)) for insee in view.communes]
    pairs += [("theme", slug) for slug in view.themes]
    pairs += [("status", status) for status in statuses]
    if lang != i18n.SOURCE_LANGUAGE:
        pairs.append(("lang", lang))
    return _folder(base) + "?" + urlencode(pairs, quote_via=quote)


def showcase_path(view: Filters, statuses: tuple[str, ...] = (), lang: str = "fr") -> str | None:
    """The static site's page of a view, relative to the site's root (outputs/site writes it there): the programme,
    an edition, a laureate commune of an edition; None for a view it has no page for (several communes, a défi,
    statuses, a commune over every edition)."""
    if view.themes or statuses or len(view.communes) > 1 or (view.communes and view.edition is None):
        return None
    if view.edition is None:
        return f"{lang}/index.html"
    if view.communes:
        return f"{lang}/edition-{view.edition}/{view.communes[0]}.html"
    return f"{lang}/edition-{view.edition}/index.html"


def qr_link(site_base: str | None, dashboard: str, view: Filters, statuses: tuple[str, ...] = (), lang: str = "fr") -> str:
    """What the QR code opens: the showcase page of the view when the site has a public address and a page for
    it (no Streamlit session per phone), else the dashboard with the same filters."""
    path = showcase_path(view, statuses, lang) if site_base and _is_web_address(site_base) else None
    return _folder(site_base) + path if path else dashboard


# --- headline numbers ------------------------------------------------------------------------------

def _lower_first(text: str) -> str:
    """'Rencontres de la Communauté' -> 'rencontres de la Communauté' (proper nouns keep their capital)."""
    return text[:1].lower() + text[1:]


def kpi_slide(results: dict, ids: tuple[str, ...], title: str, lang: str, subtitle: str = "") -> Slide:
    """Big numbers for the KPIs that have a value; those without one are named in a small line."""
    numbers, unknown = [], []
    for kpi_id in ids:
        if kpi_id not in results:
            continue
        shown = cards.card(results[kpi_id], lang)
        (unknown if shown.value is None or cards.rests_on_no_row(results[kpi_id].total, shown.basis) else numbers).append(shown)
    notes = []
    if unknown:
        notes.append(_(lang, "Non renseigné pour cette vue : ")
                     + ", ".join(_lower_first(n.label) if lang == "fr" else n.label for n in unknown) + ".")
    if not numbers:
        notes.insert(0, _(lang, "Aucun de ces chiffres n'est connu pour cette vue."))
    return Slide(kind="kpis", title=title, subtitle=subtitle, numbers=tuple(numbers), notes=tuple(notes),
                 sources=tuple(dict.fromkeys(n.source_line for n in numbers)))


# --- the other slides --------------------------------------------------------------------------------

def funnel_slide(con, view: Filters, results: dict, lang: str) -> Slide:
    stages = queries.funnel(con, view, results)
    bars, unknown = [], []
    for stage in stages:
        label = vocabulary.funnel_label(stage["stage"], lang)
        if stage["value"] is None or cards.rests_on_no_row(stage["total"], stage["basis"]):
            unknown.append(_lower_first(label) if lang == "fr" else label)
            continue
        note = vocabulary.words(vocabulary.BASES, stage["basis"], lang)
        if stage["basis"] == "partial":
            total = stage["total"] if stage["total"] is not None else "?"
            note += f" · {_(lang, 'couverture')} {stage['covered']}/{total}"
        bars.append(Bar(label=label, value=stage["value"], text=formatting.value(stage["value"], "count", lang), note=note,
                        basis=stage["basis"]))
    notes = []
    if not bars:
        notes.append(_(lang, "Aucune étape de l'entonnoir n'est connue pour cette vue."))
    if any(s["basis"] == "published" for s in stages if s["value"] is not None):
        notes.append(_(lang, "« publié » : chiffre des documents, là où les lignes de la base sont incomplètes."))
    if any(s["basis"] == "partial" for s in stages if s["value"] is not None):
        notes.append(_(lang, "« partiel » : les lignes connues ne couvrent qu'une partie des projets."))
    if unknown:
        notes.append(_(lang, "Non renseigné : ") + ", ".join(unknown) + ".")
    return Slide(kind="funnel", title=_(lang, "Du premier appel aux projets évalués"),
                 bars=tuple(bars), notes=tuple(notes))


def map_slide(con, view: Filters, statuses: tuple[str, ...], lang: str) -> Slide:
    """Communes, quartiers and sites placed from their coordinates: drawn without any map tiles."""
    communes = geo.laureate_communes(con, view)
    quartiers = geo.quartiers(con, view)
    laureate_codes = set(communes["insee"])
    places: list[Place] = []
    for row in geo.metropole_centroids(con).itertuples():
        if row.insee not in laureate_codes:  # laureates are drawn as such below
            places.append(Place("city" if row.commune == "Paris" else "context", row.commune, row.lat, row.lon))
    quartier_at = {r.insee: (r.lat, r.lon) for r in quartiers.itertuples() if known(r.lat) and known(r.lon)}
    unplaced, at_quartier = [], set()
    for row in communes.itertuples():
        # A commune without a centroid is drawn at its quartier: the only place the data give.
        if known(row.lat) and known(row.lon):
            lat, lon = row.lat, row.lon
        elif row.insee in quartier_at:
            lat, lon = quartier_at[row.insee]
            at_quartier.add(row.insee)
        else:
            unplaced.append(row.commune)
            continue
        places.append(Place("commune", row.commune, float(lat), float(lon), int(row.projects)))
    for row in quartiers.drop_duplicates("site_id").itertuples():
        if known(row.lat) and known(row.lon) and row.insee not in at_quartier:
            places.append(Place("quartier", row.quartier_name or row.site_name, float(row.lat), float(row.lon)))
    sites = geo.experimentation_sites(con, view, statuses).drop_duplicates("site_id")
    for row in sites.itertuples():
        places.append(Place("site", row.site_name, float(row.lat), float(row.lon)))
    notes = []
    if communes.empty:
        notes.append(_(lang, "Aucune commune lauréate dans cette vue."))
    without_quartier = [r.commune for r in quartiers.itertuples() if not known(r.lat)]
    if without_quartier:
        notes.append(_(lang, "Quartier non localisé : ") + ", ".join(sorted(set(without_quartier))) + ".")
    if at_quartier:
        notes.append(_(lang, "Communes sans centroïde connu : placées à leur quartier."))
    if unplaced:
        notes.append(_(lang, "Position non renseignée : ") + ", ".join(unplaced) + ".")
    precisions = sorted({vocabulary.site_precision(p, lang) for p in quartiers["precision"] if p and p != "unknown"})
    if precisions:
        notes.append(_(lang, "Précision des quartiers : ") + ", ".join(precisions) + ".")
    contours = geo.contours_on_disk()
    outlines = () if contours is None else tuple(
        Outline(str(f["properties"]["code"]), str(f["properties"]["code"]) in laureate_codes,
                tuple(tuple((float(lon), float(lat)) for lon, lat in ring) for ring in geo.exterior_rings(f["geometry"])))
        for f in contours["features"])
    has_context = any(p.kind in ("context", "city") for p in places)
    if outlines:
        background = _(lang, "Fond : contours des communes — {source}.",
                       source=geo.source_title(con, geo.contour_source_id(contours)) or vocabulary.not_known(lang))
    elif has_context:
        background = _(lang, "Fond : les communes de la Métropole (points gris), sans fond de carte.")
    else:
        background = _(lang, "Sans fond de carte : positions relatives.")
    return Slide(kind="map", title=_(lang, "Les quartiers d'innovation"),
                 places=tuple(places), outlines=outlines, notes=tuple(notes), sources=(background,))


def themes_slide(con, view: Filters, lang: str) -> Slide:
    """Shares per défi: computed when every project's défi is known, else the published ones with their
    source, and the sentences of narratives.theme_story (the pages' and the reports' too)."""
    title = _(lang, "Les défis des projets")
    shares = programme.theme_shares(con, Filters(edition=view.edition, communes=view.communes))
    published = programme.published_theme_shares(con, view.edition)
    published = published[published["scope"] == "projects"].drop_duplicates("theme_slug")
    story = narratives.theme_story(shares, published, "projects", view, lang, reference=not db.is_synthetic(con))
    label = "label_en" if lang == "en" else "label_fr"
    if story.comparable:
        bars = tuple(Bar(label=row[label], value=float(row["projects_share"]),
                         text=formatting.value(float(row["projects_share"]), "ratio", lang),
                         note=f"{int(row['projects'])}/{story.known}")
                     for _ignored, row in shares.sort_values(["projects_share", "rank"], ascending=[False, True]).iterrows())
        return Slide(kind="themes", title=title, bars=bars, notes=(story.coverage, *story.notes),
                     sources=(_(lang, "Calculé à partir des lignes de la base du tableau de bord"),))
    column = "theme_en" if lang == "en" else "theme_fr"
    bars = tuple(Bar(label=row[column], value=float(row["value"]),
                     text=" ".join(filter(None, [vocabulary.qualifier(row["qualifier"], lang),
                                                 formatting.value(float(row["value"]), "ratio", lang)])),
                     note=vocabulary.words(vocabulary.BASES, "published", lang), basis="published")
                 for _ignored, row in published.sort_values("value", ascending=False).iterrows())
    sources = [f"{_(lang, 'Source')}{_(lang, ' : ')}{reconcile.document_name(row['document'], lang)} — "
               f"{row['section']}" for _ignored, row in published.iterrows()]
    return Slide(kind="themes", title=title, bars=bars, notes=(story.published_scope or story.published, story.coverage, *story.notes),
                 sources=tuple(dict.fromkeys(sources)))


def _edition_word(edition: int, lang: str) -> str:
    return _(lang, "édition {edition}", edition=edition)


def _text(value, lang: str) -> str:
    return vocabulary.not_known(lang) if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def commune_slides(con, view: Filters, statuses: tuple[str, ...], lang: str,
                   editions_label: dict[int, str], per_slide: int | None = PROJECTS_PER_SLIDE) -> list[Slide]:
    """One slide per laureate commune of the view with its projects (name, type, status); a list longer than
    `per_slide` continues on a second slide (None: one slide whatever its length, for a page that scrolls)."""
    laureates = queries.laureate_communes(con, view)
    projects = queries.projects(con, view, statuses)
    slides = []
    for insee, rows in laureates.groupby("insee", sort=False):
        first = rows.iloc[0]
        quartiers = [q for q in dict.fromkeys(rows["quartier_name"]) if isinstance(q, str) and q]
        facts = [", ".join(editions_label.get(int(e), str(e)) for e in rows["edition_id"]),
                 _(lang, "quartier : ") + (", ".join(quartiers) if quartiers else vocabulary.not_known(lang))]
        if known(first["population"]):
            facts.append(formatting.value(float(first["population"]), "inhabitants", lang))
        own = projects[projects["insee"] == insee]
        table = [(row.name, _text(row.type_en if lang == "en" else row.type_fr, lang), vocabulary.status_label(row.current_status, lang))
                 for row in own.itertuples()]
        keys = tuple(own["project_id"])
        count = cards.count_card("projects_in_commune", len(own),
                                 _np(lang, "nom après un nombre", "projet", "projets", len(own)))
        notes = []
        if statuses:
            notes.append(_(lang, "Projets aux statuts : ")
                         + ", ".join(vocabulary.status_label(s, lang) for s in statuses) + ".")
        if not table:
            notes.insert(0, _(lang, "Aucun projet de cette commune n'est connu dans la base pour cette vue."))
        size = per_slide or max(len(table), 1)
        starts = range(0, len(table), size)
        chunks = [table[i:i + size] for i in starts] or [[]]
        key_chunks = [keys[i:i + size] for i in starts] or [()]
        for part, (chunk, chunk_keys) in enumerate(zip(chunks, key_chunks), start=1):
            suffix = f" ({part}/{len(chunks)})" if len(chunks) > 1 else ""
            slides.append(Slide(kind="commune", title=f"{first['name']}{suffix}", subtitle=" · ".join(facts),
                                numbers=(count,) if table else (), columns=(_(lang, "Projet"), _(lang, "Type"),
                                                           _(lang, "Statut")),
                                rows=tuple(chunk), notes=tuple(notes), keys=tuple(chunk_keys)))
    return slides


def community_slide(con, view: Filters, results: dict, lang: str) -> Slide:
    slide = kpi_slide(results, headlines.SLIDE_COMMUNITY, _(lang, "La Communauté des Expérimentateurs"), lang)
    meetings = community.events(con, view)
    dated = [f"{_text(r.commune, lang)} ({formatting.date(r.date_start, r.date_precision, lang)})"
             for r in meetings.itertuples() if r.date_start is not None and not pd.isna(r.date_start)]
    subtitle = (_(lang, "Rencontres : ") + ", ".join(dated)) if dated and len(dated) <= 6 else ""
    summary = (narratives.community_summary(meetings, lang),) if not meetings.empty else ()
    return replace(slide, kind="community", subtitle=subtitle, notes=summary + slide.notes)


FINDINGS_SHOWN = 2  # findings read on the slide (figures not confirmed first); the Sources page has them all


def findings_slide(con, view: Filters, lang: str) -> Slide:
    """The edition's findings in the sentences of the Sources et écarts page and the edition report
    (present/findings): how many in each group, and the first figures not confirmed, then contradictions."""
    found = findings.collect(con, lang, view.edition)
    groups = findings.by_group(found)
    numbers = tuple(cards.count_card(f"findings_{group}", len(groups[group]),
                                     findings.group_short(group, len(groups[group]), lang))
                    for group in findings.GROUPS)
    told = groups[reconcile.DIFFERS] + groups[findings.CONTRADICTION]  # the figures an official quotes first
    rows = tuple((f.title, f.sentence) for f in told[:FINDINGS_SHOWN])
    notes = [findings.summary(found, lang)]
    if len(told) > FINDINGS_SHOWN:
        notes.append(_(lang, "… et {n} autres, contradictions et chiffres non confirmés.", n=len(told) - FINDINGS_SHOWN))
    notes.append(_(lang, "Chaque écart est expliqué sur la page « Sources et écarts » du tableau de bord."))
    return Slide(kind="findings", title=_(lang, "Ce que disent les documents"),
                 numbers=numbers if found else (), columns=(_(lang, "Sujet"), _(lang, "Ce qu'il faut savoir")),
                 rows=rows, notes=tuple(notes))


def _scope(con, view: Filters, statuses: tuple[str, ...], lang: str, editions_label: dict[int, str]) -> str:
    parts = [_(lang, "Toutes les éditions") if view.edition is None
             else editions_label.get(view.edition, str(view.edition))]
    if view.communes:
        names = {row["insee"]: row["name"] for row in filters.communes(con)}
        parts.append(", ".join(names.get(c, c) for c in view.communes))
    if view.themes:
        labels = {row["theme_slug"]: row["label_en" if lang == "en" else "label_fr"] for row in filters.themes(con)}
        parts.append(", ".join(labels.get(t, t) for t in view.themes))
    if statuses:
        parts.append(", ".join(vocabulary.status_label(s, lang) for s in statuses))
    return " · ".join(parts)


def qr_slide(link: str, scope: str, lang: str) -> Slide:
    notes = [_(lang, "Même vue que cette présentation : {scope}.", scope=scope)]
    if is_local(link):
        notes.append(_(lang, "Cette adresse désigne l'ordinateur de présentation : les téléphones ne l'ouvriront pas. "
                             "Réglez l'adresse publique (?base=… ou public_url dans secrets.toml)."))
    return Slide(kind="qr", title=_(lang, "Le tableau de bord sur votre téléphone"),
                 subtitle=_(lang, "Scannez pour ouvrir les mêmes chiffres"),
                 notes=tuple(notes), link=link)


# --- the deck ------------------------------------------------------------------------------------------

def build(con, view: Filters = Filters(), statuses: tuple[str, ...] = (), lang: str = "fr",
          base: str = DEFAULT_BASE_URL, notices: tuple[str, ...] = (), site_base: str | None = None,
          communes: bool = True, per_slide: int | None = PROJECTS_PER_SLIDE) -> Deck:
    """The slides of the view, in the order they are shown; `notices` (already in `lang`) go on the first. The QR
    code opens the static site's page of the view when `site_base` (its public address) is given. The static site
    leaves out the communes' slides of a view of several (`communes`: it links their own pages) and does not cut a
    commune's list (`per_slide`: None)."""
    results = {r.id: r for r in kpis.compute_all(con, view)}
    editions_label = {row["edition_id"]: row["label_en" if lang == "en" else "label_fr"] for row in filters.editions(con)}
    names = {row["insee"]: row["name"] for row in filters.communes(con)}
    explore = dashboard_link(base, view, statuses, lang, names)
    link = qr_link(site_base, explore, view, statuses, lang)
    scope = _scope(con, view, statuses, lang, editions_label)
    slides = [Slide(kind="title", title=_(lang, "Quartiers Métropolitains d'Innovation"),
                    subtitle=_(lang, "Métropole du Grand Paris · programme opéré par Paris&Co"),
                    rows=((scope,),), notes=tuple(notices))]
    laureates = queries.laureate_communes(con, view)
    in_view = int(results["projects_selected_count"].value or 0) if "projects_selected_count" in results else 0
    if laureates.empty and in_view == 0:
        slides.append(Slide(kind="empty", title=_(lang, "Rien à montrer pour cette vue"),
                            subtitle=scope,
                            notes=(_(lang, "Aucune commune lauréate et aucun projet ne correspondent à ces filtres."),)))
    else:
        slides += [
            kpi_slide(results, headlines.SLIDE_PROGRAMME, _(lang, "Le programme en chiffres"), lang, scope),
            funnel_slide(con, view, results, lang),
            map_slide(con, view, statuses, lang),
            kpi_slide(results, headlines.SLIDE_DEPLOYMENT, _(lang, "Déploiement et évaluation"), lang, scope),
            themes_slide(con, view, lang),
            *(commune_slides(con, view, statuses, lang, editions_label, per_slide) if communes else ()),
            community_slide(con, view, results, lang),
            findings_slide(con, view, lang),
        ]
    slides.append(qr_slide(link, scope, lang))
    return Deck(slides=tuple(slides), lang=lang, synthetic=db.is_synthetic(con), link=link, explore=explore,
                published=narratives.published_line(db.publication(con), lang))
