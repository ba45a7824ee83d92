"""The static showcase (`python -m qmi_metrics export-site`): the programme for an audience, as plain HTML files.

One page per view the event mode's QR code can open (the programme, each edition, each laureate commune of each
edition: `deck.showcase_path`), the project list and each project's evaluation sheet, the findings of the
reconciliation and the sources, in French and English. The pages say what the dashboard says through the same
code: a view's page is the event mode's slide list (`deck.build`) drawn as a page that scrolls, with the same
pieces (`graphics`: cards, bars, map); a project's page is its sheet (`reports.sheet`) with its charts as inline
SVG. No JavaScript, nothing loaded from the network, links relative (the folder works from a disk, copied to any
static host, or behind deploy/'s nginx, which serves the `.gz` written beside each file).

Layout: DIR/index.html (the language choice), DIR/fr/…, DIR/en/…, DIR/assets/site.<hash>.css, DIR/manifest.json.
DIR is a symbolic link to a folder of DIR.versions/: a build writes a new folder, then renames a new link over DIR
(atomic), so a reader sees the old site or the new one, never half of one; the previous folder is kept for the
readers still in it, older ones removed. Incremental: each page's inputs are digested from the database (its
project's rows, its edition's, the programme-wide tables); a page whose digest has not changed is carried over
(a hard link to the previous folder's file) with the publication date it had, the others are rendered again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import posixpath
import re
import shutil
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

from qmi_metrics.metrics import filters
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import deck, escape, graphics, reports, sheet_html
from qmi_metrics.present import findings, narratives, vocabulary
from qmi_metrics.present.i18n import _, _n, _p
from qmi_metrics.reads import geo
from qmi_metrics.store import db, settings

LANGS = ("fr", "en")
MANIFEST = "manifest.json"
MARKUP_VERSION = "3"  # part of every page's digest: change it when the pages' markup changes, and all are rewritten
PAGE_BUDGET_BYTES = 150 * 1024  # gzip-compressed, everything included (the budget for a phone)
PROJECTS_PER_TASK = 200  # projects a worker renders from one batch of reads
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")
# Tables whose changes every page shows (labels, sources, places) unless classified below; derived tables are
# left out (their inputs are digested: a roll-up's float sums may differ in their last bits from one refresh to the
# next), and so is what changes at every publish without changing a page.
NOT_DIGESTED = {"meta", "audit_log", "kpi_values", "kpi_bases", "kpi_keys", "indicator_monthly",
                "indicator_progress"}
EDITION_LABELS = "editions"  # has an edition_id, but its labels are on every page
# The sources row an import adds for its file: only the rows it brought cite it (their own digest has its id),
# so it enters the pages that read every row (programme, lists, sources), not every page.
IMPORT_SOURCES = "sources", "CASE WHEN t.kind = 'import' THEN 'w' END"

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:#111827;background:#fff;line-height:1.45;overflow-wrap:break-word;
 font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif}
a{color:#0b4f7c}a:focus-visible{outline:3px solid #E69F00;outline-offset:2px}
.top{background:#0b1f3a;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
.top a{color:#fff}.top .home{font-weight:800;text-decoration:none;margin-right:auto}
.top nav{display:flex;flex-wrap:wrap;gap:.3rem 1rem}
.synthetic{background:#F0E442;color:#000;border-bottom:3px solid #000;font-weight:700;padding:.5rem 1rem;margin:0}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.7rem;line-height:1.15;color:#0b1f3a;margin:.6rem 0 .2rem}
h2{font-size:1.3rem;color:#0b1f3a;margin:2rem 0 .4rem;border-bottom:2px solid #0b1f3a;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1.2rem 0 .3rem}
.subtitle,.scope{color:#374151;margin:.2rem 0}
.explore{display:inline-block;margin:.6rem 0;padding:.45rem .9rem;background:#0b1f3a;color:#fff;border-radius:.3rem;
 font-weight:700;text-decoration:none}
.published{color:#374151;font-size:.9rem}
.numbers{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr))!important;margin:.6rem 0}
.figure{border:1px solid #9ca3af;border-radius:.4rem;padding:.7rem;text-align:center}
.figure .label{font-weight:700;color:#0b1f3a}.figure .qualifier{color:#374151;min-height:1.2em}
.num{font-size:2.4rem;font-weight:800;line-height:1.05;color:#0b1f3a;font-variant-numeric:tabular-nums}
.unit{font-weight:600;color:#0b1f3a}.figure .note,.figure .source{font-size:.82rem;color:#374151;margin-top:.3rem}
.bars{display:grid;row-gap:.6rem;margin:.6rem 0}
.bar-row{display:grid;grid-template-columns:minmax(0,2fr) 5.5rem minmax(0,3fr);column-gap:.8rem;align-items:center}
.bar-row .what{text-align:right;font-weight:700}.bar-row .what small{display:block;font-weight:400;color:#374151}
.bar-row .value{font-weight:800;color:#0b1f3a;white-space:nowrap}
.track{height:1.4rem;display:flex}.funnel .track{justify-content:center}
.bar{height:100%;min-width:3px;background:#0072B2;border:2px solid #0b1f3a}
.bar.published{background:repeating-linear-gradient(135deg,#0072B2 0 6px,#fff 6px 10px)}
.bar.partial{background:#56B4E9;border-style:dashed}
.map{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:1rem;align-items:start}
.map svg,svg.chart{width:100%;height:auto;display:block}
figure{overflow-x:auto}svg.chart{min-width:34rem}
.legend{list-style:none;margin:0;padding:0}.legend li{display:flex;align-items:center;gap:.5rem;margin-bottom:.4rem}
.legend svg{width:1.6rem;height:1.6rem;flex:none}
.notes{padding-left:1.2rem}.sources{font-size:.85rem;color:#374151}
.empty-message{font-weight:700;color:#0b1f3a}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.4rem 0 .8rem}
th,td{border-bottom:1px solid #9ca3af;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#E4ECF3}table.facts th{background:#F2F5F8;width:32%}
figure{margin:.6rem 0 1rem}figcaption,.note{font-size:.9rem;color:#374151}.warning{color:#A00000;font-weight:700}
.links{columns:16rem;padding-left:1.2rem}
.finding{border-left:4px solid #0b1f3a;padding:.2rem .8rem;margin:.8rem 0}
.finding blockquote{margin:.3rem 0 .3rem 1rem;color:#374151}
footer{border-top:1px solid #9ca3af;margin:2rem auto 0;max-width:72rem;padding:1rem;font-size:.88rem;color:#374151}
@media (max-width:40rem){.map{grid-template-columns:1fr}.bar-row{grid-template-columns:minmax(0,1fr) 4.5rem}
 .bar-row .track{grid-column:1/-1}.bar-row .what{text-align:left}h1{font-size:1.4rem}.num{font-size:2rem}
 table.facts th{width:40%}}
"""


class SiteError(Exception):
    """The site cannot be written where asked; the message says why (French / English)."""


@dataclass(frozen=True)
class Page:
    path: str  # from the site's root, e.g. "fr/edition-1/index.html"
    kind: str  # programme | edition | commune | projects | project | findings | sources
    lang: str
    view: Filters = Filters()
    project_id: str | None = None
    title: str = ""  # for the lists that link to it


@dataclass
class Summary:
    out: Path
    folder: Path  # the versioned folder the link now names
    pages: int
    rendered: list[str] = field(default_factory=list)  # the pages written again (the others carried over)
    seconds: float = 0.0
    largest_gz_bytes: int = 0
    largest_page: str = ""


# --- where pages live ------------------------------------------------------------------------------------------

def project_path(project_id: str, lang: str) -> str:
    """The sheet's page; an id that is not a plain file name is named by its digest."""
    name = project_id if SAFE_NAME.match(project_id) else "p-" + hashlib.sha256(project_id.encode()).hexdigest()[:16]
    return f"{lang}/projets/{name}.html"


def other_language(path: str) -> str:
    lang, rest = path.split("/", 1)
    return f"{'en' if lang == 'fr' else 'fr'}/{rest}"


def relative(from_path: str, to_path: str) -> str:
    return posixpath.relpath(to_path, posixpath.dirname(from_path) or ".")


def explore_base(dashboard_url: str | None) -> str:
    """The dashboard's root for the « Explorer » links: `public_url`; unset, the root of the host that serves the
    site ("/": the dashboard beside the site behind one nginx, as deploy/ does)."""
    return deck._folder(dashboard_url) if dashboard_url and deck._is_web_address(dashboard_url) else "/"


def explore_link(base: str, view: Filters, lang: str, names: dict) -> str:
    link = deck.dashboard_link("http://x/", view, (), lang, names)  # the sidebar's URL form, then our own root
    return base + link[len("http://x/"):]


# --- the pages of a database -------------------------------------------------------------------------------------

def pages(con) -> list[Page]:
    """Every page of the site, both languages."""
    editions = [row["edition_id"] for row in filters.editions(con)]
    laureates = db.fetch_rows(con, """
        SELECT DISTINCT ce.edition_id, ce.insee, c.name FROM commune_editions ce JOIN communes c USING (insee)
        WHERE ce.role = 'lauréate' ORDER BY ce.edition_id, c.name""")
    projects = db.fetch_rows(con, "SELECT project_id, name, edition_id, insee FROM projects ORDER BY project_id")
    found = []
    for lang in LANGS:
        found.append(Page(deck.showcase_path(Filters(), (), lang), "programme", lang))
        for edition in editions:
            found.append(Page(deck.showcase_path(Filters(edition=edition), (), lang), "edition", lang, Filters(edition=edition)))
        for row in laureates:
            view = Filters(edition=row["edition_id"], communes=(row["insee"],))
            found.append(Page(deck.showcase_path(view, (), lang), "commune", lang, view, title=row["name"]))
        found.append(Page(f"{lang}/projets/index.html", "projects", lang))
        for row in projects:
            found.append(Page(project_path(row["project_id"], lang), "project", lang,
                              Filters(edition=row["edition_id"], communes=(row["insee"],) if row["insee"] else ()),
                              project_id=row["project_id"], title=row["name"]))
        found.append(Page(f"{lang}/ecarts.html", "findings", lang))
        found.append(Page(f"{lang}/sources.html", "sources", lang))
    return found


def digests(con) -> dict[str, str]:
    """Each page's input digest: what it shows can change only when this does. Programme-wide tables (labels,
    sources, places, published figures without an edition) enter every page; a table's rows of one edition enter
    that edition's pages; a project's rows its own page and the pages of its commune and edition."""
    global_parts, whole_parts, edition_parts, project_parts = [], [], {}, {}
    tables = {row["table_name"]: row["columns"] for row in db.fetch_rows(con, """
        SELECT table_name, list(column_name) AS columns FROM duckdb_columns()
        WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
          AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE database_name = current_database())
        GROUP BY table_name ORDER BY table_name""")}
    for table, columns in tables.items():
        if table in NOT_DIGESTED:
            continue
        name = db.quote_identifier(table)
        if table == IMPORT_SOURCES[0]:
            key = IMPORT_SOURCES[1]
        elif "project_id" in columns:
            key = "t.project_id"
        elif "edition_id" in columns and table != EDITION_LABELS:
            key = "'e' || t.edition_id"
        else:
            key = "NULL"
        for row in db.fetch_rows(con, f"""
                SELECT {key} AS part, sum(hash(t)::HUGEINT)::VARCHAR AS digest FROM {name} t GROUP BY ALL ORDER BY 1"""):
            part = row["part"]
            entry = f"{table}:{row['digest']}"
            if part is None:
                global_parts.append(entry)
            elif part == "w":
                whole_parts.append(entry)
            elif part.startswith("e") and "project_id" not in columns:
                edition_parts.setdefault(int(part[1:]), []).append(entry)
            else:
                project_parts.setdefault(part, []).append(entry)
    global_parts.append(f"synthetic:{db.is_synthetic(con)}")
    global_parts.append(f"contours:{geo.contours_version()}")  # the maps' contours (a file, not a table)
    whole = _digest(global_parts, whole_parts, *edition_parts.values(), *project_parts.values())
    projects = db.fetch_rows(con, "SELECT project_id, edition_id, insee FROM projects ORDER BY project_id")
    of_edition, of_commune = {}, {}
    for row in projects:
        own = _digest(project_parts.get(row["project_id"], []))
        of_edition.setdefault(row["edition_id"], []).append(own)
        of_commune.setdefault((row["edition_id"], row["insee"]), []).append(own)
    shared = _digest(global_parts)
    edition_only = {e: _digest(parts) for e, parts in edition_parts.items()}
    result = {"whole": whole}
    for row in projects:
        result[f"project:{row['project_id']}"] = _digest([shared, edition_only.get(row["edition_id"], ""),
                                                          _digest(project_parts.get(row["project_id"], []))])
    for edition in {row["edition_id"] for row in filters.editions(con)}:
        result[f"edition:{edition}"] = _digest([shared, edition_only.get(edition, ""), *of_edition.get(edition, [])])
    for row in db.fetch_rows(con, "SELECT DISTINCT edition_id, insee FROM commune_editions"):
        own = of_commune.get((row["edition_id"], row["insee"]), [])  # a commune without projects has its page too
        result[f"commune:{row['edition_id']}:{row['insee']}"] = _digest([shared, edition_only.get(row["edition_id"], ""),
                                                                         *own])
    return result


def _digest(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        for item in part:
            digest.update(str(item).encode())
            digest.update(b"\0")
    return digest.hexdigest()


def page_digest(page: Page, found: dict[str, str], context: str) -> str:
    """The digest of a page's inputs (`digests`), its kind and language, the markup and the site's options."""
    if page.kind == "project":
        key = f"project:{page.project_id}"
    elif page.kind == "edition":
        key = f"edition:{page.view.edition}"
    elif page.kind == "commune":
        key = f"commune:{page.view.edition}:{page.view.communes[0]}"
    else:  # the programme, the lists, the findings and the sources read every row
        key = "whole"
    return _digest([MARKUP_VERSION, context, page.path, page.kind, found[key]])


# --- drawing a page --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What every page of one build shares: the stylesheet's name, the publication, the dashboard's root."""

    css_path: str  # from the root: assets/site.<hash>.css
    synthetic: bool
    explore: str  # the dashboard's root for the « Explorer » links
    names: dict  # INSEE code -> commune name (the dashboard's URL names communes)
    published: dict  # page path -> its publication's ISO time (carried over for unchanged pages)


def _nav(page: Page, lang: str) -> str:
    e = escape.html
    items = [(f"{lang}/index.html", _p(lang, "navigation", "Programme")), (f"{lang}/projets/index.html", _(lang, "Projets")),
             (f"{lang}/ecarts.html", _(lang, "Écarts")), (f"{lang}/sources.html", "Sources")]
    links = "".join(f"<a href='{e(relative(page.path, path))}'{' aria-current=page' if path == page.path else ''}>"
                    f"{e(text)}</a>" for path, text in items)
    other = other_language(page.path)
    switch = (f"<a href='{e(relative(page.path, other))}' hreflang='{other[:2]}' lang='{other[:2]}'>"
              f"{'English' if lang == 'fr' else 'Français'}</a>")
    home, name = relative(page.path, f"{lang}/index.html"), _(lang, "Quartiers Métropolitains d'Innovation")
    return (f"<header class='top'><a class='home' href='{e(home)}'>"
            f"{e(name)}</a><nav aria-label='{e(_(lang, 'Navigation'))}'>"
            f"{links}{switch}</nav></header>")


def document(page: Page, title: str, body: str, context: Context, version: str, explore: str | None) -> str:
    """A whole page: navigation, synthetic banner, title, body, and when its data were published."""
    e, lang = escape.html, page.lang
    banner = f"<p class='synthetic' role='note'>{e(vocabulary.synthetic_banner(lang))}</p>" if context.synthetic else ""
    link = (f"<a class='explore' href='{e(explore)}'>{e(_(lang, 'Explorer dans le tableau de bord'))} →</a>"
            if explore is not None else "")
    published = narratives.published_line(db.Publication(version, datetime.fromisoformat(context.published[page.path])),
                                          lang)
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{e(title)} — QMI</title><link rel='stylesheet' href='{e(relative(page.path, context.css_path))}'>"
            f"</head><body>{_nav(page, lang)}{banner}<main><h1>{e(title)}</h1>"
            f"<p class='published'>{e(published)}</p>{link}{body}</main>"
            f"<footer><p>{e(published)}</p><p>{e(_(lang, 'Les mêmes chiffres que le tableau de bord, calculés à partir des lignes de la base ; chaque chiffre publié est confronté aux données sur la page « Écarts ».'))}</p>"
            f"{link}</footer></body></html>")


def _slide_section(slide: deck.Slide, page: Page, lang: str, scope: str) -> str:
    e = graphics.esc
    subtitle = slide.subtitle if slide.subtitle != scope else ""  # the page's title says the view already
    head = f"<h2>{e(slide.title)}</h2>" + (f"<p class='subtitle'>{e(subtitle)}</p>" if subtitle else "")
    notes = "".join(f"<li>{e(n)}</li>" for n in slide.notes)
    notes_html = f"<ul class='notes'>{notes}</ul>" if notes else ""
    sources = "".join(f"<p class='sources'>{e(s)}</p>" for s in slide.sources)
    if slide.kind == "map":
        return f"<section>{head}{graphics.map_block(slide, lang)}{sources}</section>"
    if slide.kind in ("kpis", "community"):
        body = graphics.numbers(slide) if slide.numbers else ""
        return f"<section>{head}{body}{notes_html}</section>"
    if slide.kind in ("funnel", "themes"):
        body = graphics.bars(slide, funnel=slide.kind == "funnel") if slide.bars else ""
        return f"<section>{head}{body}{notes_html}{sources}</section>"
    if slide.kind in ("commune", "findings"):
        rows = []
        for index, row in enumerate(slide.rows):
            cells = [e(cell) for cell in row]
            if slide.keys:  # a project's name links to its sheet
                cells[0] = f"<a href='{e(relative(page.path, project_path(slide.keys[index], lang)))}'>{cells[0]}</a>"
            rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
        table = (f"<div class='table'><table><thead><tr>{''.join(f'<th scope=col>{e(c)}</th>' for c in slide.columns)}"
                 f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>") if rows else ""
        numbers = graphics.numbers(slide, with_sources=False) if slide.numbers else ""
        return f"<section>{head}{numbers}{table}{notes_html}</section>"
    return f"<section>{head}<p class='empty-message'>{e(' '.join(slide.notes))}</p></section>"


def view_page(con, page: Page, context: Context, version: str, links: dict) -> str:
    """A view's page: the event mode's slides of that view (but its QR code: the page is where it leads)."""
    lang, view = page.lang, page.view
    shown = deck.build(con, view, (), lang, base="http://x/", communes=bool(view.communes), per_slide=None)
    title_slide, *slides = [s for s in shown.slides if s.kind != "qr"]
    if view.communes:  # the edition's findings are on the edition's page and on « Écarts »
        slides = [s for s in slides if s.kind != "findings"]
    scope = title_slide.rows[0][0] if title_slide.rows else ""
    programme = view.edition is None and not view.communes
    body = [f"<p class='scope'>{graphics.esc(scope)}</p>"] if programme else []  # « Toutes les éditions »
    body += [_slide_section(slide, page, lang, scope) for slide in slides]
    body.append(_view_links(page, links, lang))
    title = _(lang, "Le programme") if programme else scope or title_slide.title
    return document(page, title, "".join(body), context, version,
                    explore_link(context.explore, view, lang, context.names))


def _view_links(page: Page, links: dict, lang: str) -> str:
    """Below a view: the pages of its editions, or of its communes, or the edition of a commune."""
    e = escape.html
    view = page.view
    if view.communes:
        targets = [(deck.showcase_path(Filters(edition=view.edition), (), lang), _(lang, "Toute l'édition"))]
        heading = _(lang, "Voir aussi")
    elif view.edition is None:
        targets = [(deck.showcase_path(Filters(edition=edition), (), lang), label)
                   for edition, label in links["editions"][lang]]
        heading = _(lang, "Les éditions")
    else:
        targets = [(deck.showcase_path(Filters(edition=view.edition, communes=(insee,)), (), lang), name)
                   for insee, name in links["communes"].get(view.edition, [])]
        heading = _(lang, "Les communes lauréates")
    items = "".join(f"<li><a href='{e(relative(page.path, path))}'>{e(text)}</a></li>" for path, text in targets)
    return f"<section><h2>{e(heading)}</h2><ul class='links'>{items}</ul></section>" if items else ""


def project_page(rows: reports.SheetRows, page: Page, context: Context, version: str) -> str:
    report = reports.sheet(rows, page.lang)
    body = f"<p class='subtitle'>{escape.html(report.subtitle)}</p>" + sheet_html.blocks_html(report, charts="svg")
    body = body.replace("<table>", "<div class='table'><table>").replace("</table>", "</table></div>")
    view = Filters(edition=rows.project["edition_id"])
    link = explore_link(context.explore, view, page.lang, context.names)
    link += ("&" if "?" in link else "?") + urlencode({"projet": rows.project["project_id"]}, quote_via=quote)
    return document(page, report.title, body, context, version, link)


def projects_page(con, page: Page, context: Context, version: str) -> str:
    lang, e = page.lang, escape.html
    frame = reports.project_frame(con, Filters())
    table = reports.project_rows(frame, lang)
    head = [_(lang, "Projet"), "Commune", _(lang, "Édition"), _(lang, "Statut")]
    body_rows = []
    for row, cells in zip(frame.itertuples(), table):
        link = f"<a href='{e(relative(page.path, project_path(row.project_id, lang)))}'>{e(row.name)}</a>"
        body_rows.append(f"<tr><td>{link}</td><td>{e(cells[1])}</td><td>{e(row.edition_id)}</td><td>{e(cells[5])}</td></tr>")
    count = _n(lang, "{n} projet, avec sa fiche évaluation.", "{n} projets, chacun avec sa fiche évaluation.", len(body_rows))
    body = (f"<p>{e(count)}</p>"
            f"<div class='table'><table><thead><tr>{''.join(f'<th scope=col>{e(h)}</th>' for h in head)}</tr></thead>"
            f"<tbody>{''.join(body_rows)}</tbody></table></div>")
    return document(page, _(lang, "Les projets"), body, context, version, context.explore)


def findings_page(con, page: Page, context: Context, version: str) -> str:
    lang, e = page.lang, escape.html
    found = findings.collect(con, lang)
    groups = findings.by_group(found)
    body = [f"<p>{e(findings.summary(found, lang))}</p>"]
    for group in findings.GROUPS:
        if not groups[group]:
            continue
        body.append(f"<h2>{e(findings.group_title(group, lang))}</h2>")
        for finding in groups[group]:
            passages = "".join(f"<blockquote><p>« {e(p.quote)} »</p><footer>{e(p.document)} — {e(p.section)}</footer>"
                               f"</blockquote>" for p in finding.passages)
            shown = f"<p class='note'>{e(finding.shown)}</p>" if finding.shown else ""
            body.append(f"<article class='finding' id='{e(finding.key)}'><h3>{e(finding.title)}</h3>"
                        f"<p>{e(finding.sentence)}</p>{passages}{shown}</article>")
    return document(page, _(lang, "Ce que disent les documents"), "".join(body), context, version,
                    context.explore + "sources" + ("?lang=en" if lang == "en" else ""))


def sources_page(con, page: Page, context: Context, version: str) -> str:
    lang, e = page.lang, escape.html
    rows = db.fetch_rows(con, "SELECT title, publisher, published_on, kind, note FROM sources ORDER BY kind, title")
    items = "".join(
        "<li>" + e(", ".join(str(p) for p in (r["title"], r["publisher"], r["published_on"]) if vocabulary.known(p)))
        + (f" <span class='note'>({e(r['note'])})</span>" if vocabulary.known(r["note"]) else "") + "</li>" for r in rows)
    body = (f"<p>{e(_(lang, 'Chaque chiffre de ce site vient de ces documents et fichiers de référence, ou des données des gestionnaires du programme.'))}</p>"
            f"<ul>{items}</ul>")
    return document(page, "Sources", body, context, version,
                    context.explore + "sources" + ("?lang=en" if lang == "en" else ""))


def home_page(css_path: str) -> str:
    """DIR/index.html: the choice of language (two links: no script, no timed refresh)."""
    return ("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>QMI</title><link rel='stylesheet' href='{css_path}'></head><body><main>"
            "<h1>Quartiers Métropolitains d’Innovation</h1><ul>"
            "<li><a href='fr/index.html'>Français</a></li>"
            "<li lang='en'><a href='en/index.html' hreflang='en'>English</a></li></ul></main></body></html>")


# --- building --------------------------------------------------------------------------------------------------------

def _write(folder: Path, path: str, text: str) -> int:
    """The file and its .gz beside it (nginx's gzip_static serves that one); returns the compressed size."""
    data = text.encode("utf-8")
    target = folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    (folder / (path + ".gz")).write_bytes(packed)
    return len(packed)


@dataclass(frozen=True)
class _Task:
    db_path: str
    folder: str
    pages: tuple[Page, ...]
    context: Context
    version: str
    links: dict


def _render(task: _Task) -> list[tuple[str, int]]:
    """Render a batch of pages into the new folder (in a worker process, with its own connection)."""
    folder = Path(task.folder)
    done = []
    with closing(db.connect(task.db_path)) as connection:
        con = db.Remembering(connection)  # a view's second language asks the first one's questions
        sheets = [p for p in task.pages if p.kind == "project"]
        rows = reports.sheet_rows(con, sorted({p.project_id for p in sheets})) if sheets else {}
        for page in task.pages:
            if page.kind == "project":
                html = project_page(rows[page.project_id], page, task.context, task.version)
            elif page.kind in ("programme", "edition", "commune"):
                html = view_page(con, page, task.context, task.version, task.links)
            elif page.kind == "projects":
                html = projects_page(con, page, task.context, task.version)
            elif page.kind == "findings":
                html = findings_page(con, page, task.context, task.version)
            else:
                html = sources_page(con, page, task.context, task.version)
            done.append((page.path, _write(folder, page.path, html)))
    return done


def _tasks(todo: list[Page], **shared) -> list[_Task]:
    """Batches for the workers, both languages of a page in the same one (its rows read once): projects by
    PROJECTS_PER_TASK (their rows read at once), the other pages two by two; the slowest (the views) first."""
    same_page = lambda page: (page.path.split("/", 1)[1], page.lang)  # noqa: E731
    sheets = sorted((p for p in todo if p.kind == "project"), key=same_page)
    others = sorted((p for p in todo if p.kind != "project"), key=same_page)
    batches = [tuple(others[i:i + 4]) for i in range(0, len(others), 4)]
    batches += [tuple(sheets[i:i + PROJECTS_PER_TASK]) for i in range(0, len(sheets), PROJECTS_PER_TASK)]
    return [_Task(pages=batch, **shared) for batch in batches]


def _link_target(out: Path) -> Path | None:
    """The folder DIR names now, None when there is no site yet; refuses a DIR that is not one of ours."""
    if out.is_symlink():
        return (out.parent / os.readlink(out)).resolve()
    if not out.exists():
        return None
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()  # an empty folder made beforehand: the link takes its place
        return None
    raise SiteError(f"{out} existe et n'est pas un site écrit par export-site (lien vers {out.name}.versions/) :"
                    f" choisissez un autre dossier ou supprimez-le / {out} exists and is not a site written by"
                    f" export-site (a link to {out.name}.versions/): choose another folder or remove it")


def _versions_dir(out: Path) -> Path:
    return out.parent / f"{out.name}.versions"


def build(db_path, out, dashboard_url: str | None = None, workers: int = 2) -> Summary:
    """Write the site of the database at `db_path` into `out` (see the module's docstring), re-rendering only
    the pages whose inputs changed since the site `out` names now. Nothing visible changes until the end; a
    failure leaves the previous site in place."""
    from qmi_metrics.admin import publishing  # publishing calls this module after a publish

    started = time.perf_counter()
    out = Path(out).absolute()
    db_path = Path(db_path)
    current = _link_target(out)
    old = _read_manifest(current)
    version = publishing.current_version(db_path)
    moment = db.version_time(version).isoformat()
    with closing(db.connect(db_path)) as con:
        every = pages(con)
        found = digests(con)
        names = {row["insee"]: row["name"] for row in filters.communes(con)}
        labels = {lang: [(row["edition_id"], row["label_en" if lang == "en" else "label_fr"])
                         for row in filters.editions(con)] for lang in LANGS}
        communes = {}
        for page in every:
            if page.kind == "commune" and page.lang == "fr":
                communes.setdefault(page.view.edition, []).append((page.view.communes[0], page.title))
        synthetic = db.is_synthetic(con)
    css = CSS.strip() + "\n"
    css_path = f"assets/site.{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
    explore = explore_base(dashboard_url)
    options = _digest([css_path, explore])
    hashes = {page.path: page_digest(page, found, options) for page in every}
    carried = {path for path, digest in hashes.items()
               if current is not None and old.get("pages", {}).get(path, {}).get("digest") == digest
               and (current / path).is_file() and (current / (path + ".gz")).is_file()}
    published = {path: (old["pages"][path]["published"] if path in carried else moment) for path in hashes}
    folder = _versions_dir(out) / f"{version}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    try:
        sizes = {}
        for path in carried:  # unchanged: the same file, linked (never written in place, so sharing is safe)
            for name in (path, path + ".gz"):
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                os.link(current / name, folder / name)
            sizes[path] = old["pages"][path]["gz_bytes"]
        _write(folder, css_path, css)
        _write(folder, "index.html", home_page(css_path))
        context = Context(css_path, synthetic, explore, names, published)
        todo = [page for page in every if page.path not in carried]
        tasks = _tasks(todo, db_path=str(db_path), folder=str(folder), context=context, version=version,
                       links={"editions": labels, "communes": communes})
        if workers > 1 and len(tasks) > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(_render, tasks))
        else:
            results = [_render(task) for task in tasks]
        for done in results:
            sizes.update(dict(done))
        manifest = {"markup": MARKUP_VERSION, "version": version, "built_at": datetime.now(timezone.utc).isoformat(),
                    "css": css_path, "pages": {path: {"digest": hashes[path], "published": published[path],
                                                      "gz_bytes": sizes[path]} for path in sorted(hashes)}}
        (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _swap(out, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _prune(out, folder, current)
    largest = max(sizes, key=sizes.get)
    return Summary(out=out, folder=folder, pages=len(every), rendered=sorted(p.path for p in todo),
                   seconds=time.perf_counter() - started, largest_gz_bytes=sizes[largest], largest_page=largest)


def _read_manifest(folder: Path | None) -> dict:
    if folder is None:
        return {}
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if manifest.get("markup") == MARKUP_VERSION else {}


def _swap(out: Path, folder: Path) -> None:
    """Point DIR at the new folder in one step: a new link renamed over the old one (atomic on POSIX)."""
    link = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}.link"
    os.symlink(os.path.relpath(folder, out.parent), link)
    try:
        os.replace(link, out)
    except BaseException:
        link.unlink(missing_ok=True)
        raise


def _prune(out: Path, live: Path, previous: Path | None) -> None:
    """Keep the live folder and the one before it; remove older folders (and any a failed build left)."""
    keep = {live.resolve(), *((previous.resolve(),) if previous else ())}
    for folder in _versions_dir(out).iterdir():
        if folder.resolve() not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def configured_dir() -> Path | None:
    """The site folder a publish regenerates (QMI_SITE_DIR / site_dir), None when no site is configured."""
    found = settings.configured("QMI_SITE_DIR", settings.secrets_file())
    return Path(found) if found else None


def dashboard_url() -> str | None:
    """The dashboard's public address for the « Explorer » links (public_url in secrets.toml)."""
    return settings.configured("public_url", settings.secrets_file())


def regenerate(db_path) -> Summary | None:
    """After a build, a publish or a rollback: the configured site again (only its changed pages); None when no
    site is configured."""
    out = configured_dir()
    return build(db_path, out, dashboard_url()) if out else None

