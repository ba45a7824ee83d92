"""The static showcase (outputs/site.py): its pages say the numbers qmi_metrics computes for their view, link only
to files of the site, stay within the phone budget, load nothing from elsewhere, say when data are synthetic, and
follow a publish page by page (a failed one leaves the old site serving)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from qmi_metrics.admin import publishing, readers
from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import deck, site
from qmi_metrics.present import cards, vocabulary
from qmi_metrics.reads import queries
from qmi_metrics.store import db


class Parsed(HTMLParser):
    """A page's links, loaded resources, KPI cards (data-kpi → the number shown) and text."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.loaded, self.explore, self.cards, self.text, self.lang = [], [], [], {}, [], None
        self.scripts, self._kpi, self._in_num = 0, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "script":
            self.scripts += 1
        if "src" in attrs:
            self.loaded.append(attrs["src"])
        if tag == "link":
            self.loaded.append(attrs.get("href", ""))
        if tag == "a" and "href" in attrs:
            (self.explore if "explore" in (attrs.get("class") or "").split() else self.hrefs).append(attrs["href"])
        if "data-kpi" in attrs:
            self._kpi = attrs["data-kpi"]
        if self._kpi and "num" in (attrs.get("class") or "").split():
            self._in_num = True

    def handle_endtag(self, tag):
        if self._in_num and tag == "div":
            self._in_num, self._kpi = False, None

    def handle_data(self, data):
        self.text.append(data)
        if self._in_num:
            self.cards[self._kpi] = self.cards.get(self._kpi, "") + data


def parse(path: Path) -> Parsed:
    parsed = Parsed()
    parsed.feed(path.read_text(encoding="utf-8"))
    return parsed


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


@pytest.fixture(scope="session")
def reference_site(reference_db_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site-reference") / "site"
    site.build(reference_db_path, out, "https://qmi.example.org/tableau/")
    return out


@pytest.fixture(scope="session")
def demo_site(demo_db_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site-demo") / "site"
    site.build(demo_db_path, out)
    return out


@pytest.fixture(params=["reference", "demo"])
def built(request, reference_site, demo_site, reference_db_path, demo_db_path):
    return {"reference": (reference_site, reference_db_path), "demo": (demo_site, demo_db_path)}[request.param]


def test_every_page_of_both_languages_is_written_with_its_gz(built):
    out, db_path = built
    with db.connect(db_path) as con:
        expected = {page.path for page in site.pages(con)}
    written = {str(p.relative_to(out)) for p in html_files(out)} - {"index.html"}
    assert written == expected
    for path in html_files(out):
        assert gzip.decompress((path.parent / (path.name + ".gz")).read_bytes()) == path.read_bytes(), path
    assert any(name.startswith("en/") for name in written) and any(name.startswith("fr/") for name in written)


def test_each_view_page_shows_the_cards_qmi_metrics_computes_for_its_view(built):
    out, db_path = built
    with db.connect(db_path) as con:
        checked = 0
        for page in site.pages(con):
            if page.kind not in ("programme", "edition", "commune"):
                continue
            shown = parse(out / page.path).cards
            results = {r.id: r for r in kpis.compute_all(con, page.view)}
            assert shown, page.path
            for kpi_id, number in shown.items():
                if kpi_id in results:
                    assert number == cards.card(results[kpi_id], page.lang).number, (page.path, kpi_id)
                    checked += 1
        assert checked > 20


def test_each_project_page_is_its_sheet(built):
    out, db_path = built
    with db.connect(db_path) as con:
        for page in [p for p in site.pages(con) if p.kind == "project"][:40]:
            project = queries.project(con, page.project_id)
            text = " ".join(parse(out / page.path).text)
            assert project["name"] in text, page.path
            assert vocabulary.status_label(project["current_status"], page.lang, symbol=False) in text, page.path


def test_every_internal_link_resolves_to_a_file_of_the_site(built):
    out, _ = built
    for path in html_files(out):
        parsed = parse(path)
        for href in parsed.hrefs + parsed.loaded:
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc and not href.startswith("/"), (path, href)
            target = (path.parent / parts.path).resolve()
            assert target.is_file() and target.is_relative_to(out.resolve()), (path, href)


def test_nothing_is_loaded_from_elsewhere_and_no_script(built):
    out, _ = built
    for path in html_files(out):
        parsed = parse(path)
        assert parsed.scripts == 0, path
        assert all(not urlsplit(url).scheme and not url.startswith("//") for url in parsed.loaded), path
        assert parsed.lang in ("fr", "en") and path.relative_to(out).parts[0] in (parsed.lang, "index.html"), path


def test_every_page_within_the_phone_budget_everything_included(built):
    out, _ = built
    for path in html_files(out):
        size = len((path.parent / (path.name + ".gz")).read_bytes())
        size += sum(len((path.parent / (url + ".gz")).read_bytes()) for url in parse(path).loaded)
        assert size <= site.PAGE_BUDGET_BYTES, (path, size)


def test_every_page_says_when_its_data_were_published_and_links_to_the_dashboard(reference_site):
    for path in html_files(reference_site):
        if path.name == "index.html" and path.parent == reference_site:
            continue
        parsed = parse(path)
        text = " ".join(parsed.text)
        assert ("Données publiées le" if parsed.lang == "fr" else "Data published on") in text, path
        assert parsed.explore and all(link.startswith("https://qmi.example.org/tableau/") for link in parsed.explore)
    commune = parse(reference_site / "fr/edition-1/92048.html")
    assert "https://qmi.example.org/tableau/?edition=1&commune=Meudon" in commune.explore


def test_the_explore_link_without_a_public_address_is_the_host_s_root(demo_site):
    parsed = parse(demo_site / "en/edition-1/index.html")
    assert parsed.explore[0] == "/?edition=1&lang=en"


def test_a_synthetic_site_says_so_on_every_page_and_the_reference_one_does_not(demo_site, reference_site):
    for path in html_files(demo_site):
        if path.parent == demo_site:
            continue
        parsed = parse(path)
        assert vocabulary.synthetic_banner(parsed.lang) in " ".join(parsed.text), path
    assert not any(vocabulary.synthetic_banner("fr") in p.read_text(encoding="utf-8") for p in html_files(reference_site))


def test_the_showcase_path_of_each_view_and_none_for_the_others():
    assert deck.showcase_path(Filters(), (), "fr") == "fr/index.html"
    assert deck.showcase_path(Filters(edition=2), (), "en") == "en/edition-2/index.html"
    assert deck.showcase_path(Filters(edition=1, communes=("92048",)), (), "fr") == "fr/edition-1/92048.html"
    for view, statuses in ((Filters(edition=1, communes=("92048", "92071")), ()), (Filters(themes=("energie",)), ()),
                           (Filters(communes=("92048",)), ()), (Filters(edition=1), ("deployed",))):
        assert deck.showcase_path(view, statuses, "fr") is None


def test_the_qr_code_opens_the_showcase_page_when_it_has_an_address(reference_con, reference_site):
    view = Filters(edition=1, communes=("92048",))
    shown = deck.build(reference_con, view, site_base="https://vitrine.example.org/qmi")
    assert shown.slides[-1].link == shown.link == "https://vitrine.example.org/qmi/fr/edition-1/92048.html"
    assert (reference_site / "fr/edition-1/92048.html").is_file()
    assert deck.build(reference_con, view).link == shown.explore  # no showcase address: the dashboard, as before
    several = deck.build(reference_con, Filters(edition=1, themes=("economie-circulaire",)),
                         site_base="https://vitrine.example.org/qmi")
    assert several.link == several.explore  # the showcase has no page for that view


# --- regeneration -----------------------------------------------------------------------------------------------

EVENTS = "project_id,kind,date_start,date_precision,source_quote\n"


@pytest.fixture
def published_site(reference_db_path, tmp_path, monkeypatch):
    """A private copy of the reference database whose showcase (QMI_SITE_DIR) follows its publishes."""
    db_path = tmp_path / "data" / "qmi.duckdb"
    db_path.parent.mkdir()
    shutil.copy(reference_db_path, db_path)
    out = tmp_path / "site"
    monkeypatch.setenv("QMI_SITE_DIR", str(out))
    site.regenerate(db_path)
    return db_path, out


def manifest(out: Path) -> dict:
    return json.loads((out / site.MANIFEST).read_text(encoding="utf-8"))["pages"]


def test_a_publish_renders_again_exactly_the_pages_of_the_views_it_changed(published_site, tmp_path):
    db_path, out = published_site
    before, folder_before = manifest(out), out.resolve()
    path = tmp_path / "events.csv"
    path.write_text(EVENTS + "faradae,deployed,2024-05-01,month,Déployé en mai 2024\n", encoding="utf-8")
    result = publishing.publish_import(db_path, readers.read_file(path, table="project_events"), "project_events",
                                       "append", by="test")
    assert result.site_error is None and result.site is not None
    after = manifest(out)
    changed = {p for p in after if after[p]["digest"] != before[p]["digest"]}
    views = {"projets/faradae.html", "edition-1/index.html", "edition-1/92048.html", "index.html",
             "projets/index.html", "ecarts.html", "sources.html"}
    assert changed == {f"{lang}/{page}" for lang in site.LANGS for page in views}
    assert set(result.site.rendered) == changed
    assert (out / "fr/projets/faradae.html").read_text(encoding="utf-8") != (
        folder_before / "fr/projets/faradae.html").read_text(encoding="utf-8")
    unchanged = out / "fr/projets/purple.html"
    assert os.path.samefile(unchanged, folder_before / "fr/projets/purple.html")  # carried over, not rewritten
    assert after["fr/projets/purple.html"]["published"] == before["fr/projets/purple.html"]["published"]
    assert folder_before.is_dir()  # the previous folder stays for readers still in it


def test_a_rollback_brings_the_pages_back(published_site, tmp_path):
    db_path, out = published_site
    first = manifest(out)
    path = tmp_path / "events.csv"
    path.write_text(EVENTS + "soy-pv,evaluated,2024-11-01,month,Évalué\n", encoding="utf-8")
    result = publishing.publish_import(db_path, readers.read_file(path, table="project_events"), "project_events",
                                       "append", by="test")
    publishing.rollback(db_path, result.previous_version, by="test")
    back = manifest(out)
    assert {p: e["digest"] for p, e in back.items()} == {p: e["digest"] for p, e in first.items()}


def test_a_rejected_import_leaves_the_site_as_it_was(published_site, tmp_path):
    db_path, out = published_site
    folder, before = out.resolve(), manifest(out)
    path = tmp_path / "bad.csv"
    path.write_text(EVENTS + "faradae,deployed,31/02/2024,month,x\n", encoding="utf-8")
    with pytest.raises(publishing.ImportRejected):
        publishing.publish_import(db_path, readers.read_file(path, table="project_events"), "project_events",
                                  "append", by="test")
    assert out.resolve() == folder and manifest(out) == before


def test_a_site_that_fails_to_build_leaves_the_old_one_serving(published_site, tmp_path, monkeypatch):
    db_path, out = published_site
    folder, before = out.resolve(), manifest(out)

    def broken(*args, **kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(site, "project_page", broken)
    path = tmp_path / "events.csv"
    path.write_text(EVENTS + "faradae,deployed,2024-05-01,month,Déployé en mai 2024\n", encoding="utf-8")
    result = publishing.publish_import(db_path, readers.read_file(path, table="project_events"), "project_events",
                                       "append", by="test")
    assert result.version and "disque plein" in result.site_error  # the data are published all the same
    assert out.resolve() == folder and manifest(out) == before
    assert [p for p in out.parent.glob("site.versions/*")] == [folder]  # the half-written folder is gone


def test_a_folder_that_is_not_a_site_is_refused(reference_db_path, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("à moi", encoding="utf-8")
    with pytest.raises(site.SiteError, match="export-site"):
        site.build(reference_db_path, out, workers=1)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "à moi"


def test_the_command_line_writes_the_site(reference_db_path, tmp_path):
    from qmi_metrics import cli

    out = tmp_path / "vitrine"
    assert cli.main(["export-site", "--db", str(reference_db_path), "--out", str(out), "--workers", "1"]) == 0
    assert (out / "fr/index.html").is_file() and (out / "en/index.html").is_file() and out.is_symlink()
