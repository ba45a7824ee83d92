"""Event mode: the slides' content (qmi_metrics.outputs.deck), their HTML (qmi_metrics.outputs.slideshow) and the page
(AppTest). Numbers are checked against kpis.compute_all and against values computed by hand from the data."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import segno
from helpers import app_test, open_page

from qmi_metrics.metrics import filters, kpis, reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import deck, graphics, slideshow
from qmi_metrics.present import findings, formatting, vocabulary
from qmi_metrics.store import db

NNBSP, NBSP = formatting.NARROW_NBSP, formatting.NBSP
SCEAUX = "92071"


def by_kind(shown, kind):
    return [s for s in shown.slides if s.kind == kind]


def numbers(slide):
    return {n.kpi_id: n for n in slide.numbers}


# --- content of the slides, reference database, edition 1 ----------------------------------------

@pytest.fixture
def edition_1(reference_con):
    return deck.build(reference_con, Filters(edition=1))


def test_edition_1_tells_the_story_in_order(edition_1):
    assert [s.kind for s in edition_1.slides] == [
        "title", "kpis", "funnel", "map", "kpis", "themes", "commune", "commune", "commune", "commune", "community", "findings", "qr"]
    assert [s.title for s in edition_1.slides[:6]] == [
        "Quartiers Métropolitains d'Innovation", "Le programme en chiffres", "Du premier appel aux projets évalués",
        "Les quartiers d'innovation", "Déploiement et évaluation", "Les défis des projets"]
    assert edition_1.slides[0].rows == (("1re édition",),)
    assert edition_1.slides[-1].title == "Le tableau de bord sur votre téléphone"
    assert not edition_1.synthetic


def test_findings_say_how_many_published_figures_agree_and_which_differ(reference_con, edition_1):
    """The slide speaks through present/findings: one count per group (the published figures' three add up to
    the reconciliation of the edition), the summary sentence, then the first figures not confirmed in the
    sentences of the Sources page and the edition report."""
    slide = next(s for s in edition_1.slides if s.kind == "findings")
    report = [f for f in reconcile.reconcile(reference_con) if f.figure.edition_id in (None, 1)]
    contradictions = reconcile.contradictions(reference_con, "fr", 1)
    counts = {n.kpi_id: int(n.value) for n in slide.numbers}
    assert counts == {"findings_contradiction": len(contradictions),
                      **{f"findings_{status}": sum(f.status == status for f in report)
                         for status in ("differs", "agrees", "not computable")}}
    assert sum(counts.values()) - len(contradictions) == len(report) and counts["findings_differs"] > 0
    told = findings.collect(reference_con, "fr", 1)
    assert slide.notes[0] == findings.summary(told, "fr")
    assert slide.notes[0].startswith(f"{len(contradictions)} contradictions, {counts['findings_differs']} chiffres non confirmés")
    differing = [f for f in told if f.group == "differs"]
    assert len(slide.rows) == min(len(differing) + len(contradictions), deck.FINDINGS_SHOWN)
    assert slide.rows[0] == (differing[0].title, differing[0].sentence)
    assert all(row[0] and row[1] for row in slide.rows)


def test_headline_numbers_are_what_the_dashboard_computes(reference_con, edition_1):
    results = {r.id: r for r in kpis.compute_all(reference_con, Filters(edition=1))}
    shown = {}
    for slide in edition_1.slides:
        for number in slide.numbers:
            if number.kpi_id in results:
                result = results[number.kpi_id]
                # The card's rule: computed when the rows are complete, else the published figure.
                expected = result.value if result.is_complete else result.published_value
                assert number.value == pytest.approx(expected), number.kpi_id
                # A published value keeps its document's bounding qualifier (« plus de 290 »), drawn apart from the number.
                qualifier = result.published[0].qualifier if not result.is_complete else None
                assert number.qualifier == vocabulary.qualifier(qualifier), number.kpi_id
                assert number.text == " ".join(filter(None, [number.qualifier, formatting.value(expected, result.unit)]))
                shown[number.kpi_id] = number.number + (f"{NBSP}{number.unit_text}" if number.unit_text else "")
    # By hand: 4 laureate communes (complete); 168 applications and 30 selected projects published by the report
    # (the rows hold 28 of each); 70 % and 11 months published (7 and 2 dated rows); 18 evaluation sheets published;
    # 4 meetings of 50 + 90 + 60 + 80 = 280 people (complete rows; the report says « plus de 290 »);
    # « plus de 410 » people in the diagnostics (no row has attendance); « +60 » indicators in the library (21 rows).
    assert shown == {
        "indicators_count": "60",
        "communes_count": "4", "candidatures_count": "168", "projects_selected_count": "30",
        "deployment_rate": f"70{NNBSP}%", "mean_deployment_months": f"11{NBSP}mois", "evaluation_sheets_count": "18",
        "community_events_count": "4", "community_participants_total": f"280{NBSP}personnes",
        "diagnostics_people_total": f"410{NBSP}personnes",
    }


def test_a_number_says_where_it_comes_from(edition_1):
    programme = numbers(edition_1.slides[1])
    assert programme["communes_count"].basis == "computed" and "4/4" in programme["communes_count"].note
    assert programme["candidatures_count"].basis == "published"
    assert programme["candidatures_count"].source_line.startswith("Source : le rapport « Retours d'expérimentations » (2025)")
    community = numbers(by_kind(edition_1, "community")[0])
    participants = community["community_participants_total"]
    # Computed 280 with the disagreeing published « plus de 290 » kept in sight.
    assert (participants.number, participants.unit_text) == ("280", "personnes")
    assert f"Publié : plus de 290{NBSP}personnes" in participants.source_line
    assert community["diagnostics_people_total"].qualifier == "plus de"


def test_funnel_holds_the_overview_stages(edition_1):
    funnel = by_kind(edition_1, "funnel")[0]
    assert [(b.label, b.value, b.basis) for b in funnel.bars] == [
        ("Marques d'intérêt", 360, "published"), ("Candidatures", 168, "published"),
        ("Projets sélectionnés", 30, "published"), ("Projets déployés", 7, "partial"),
        ("Projets évalués (fiches)", 18, "published")]
    assert "couverture 7/28" in funnel.bars[3].note


def test_one_slide_per_commune_with_its_projects(reference_con, edition_1):
    communes = by_kind(edition_1, "commune")
    assert [(s.title, len(s.rows), s.numbers[0].value) for s in communes] == [
        ("Aulnay-sous-Bois", 7, 7), ("Meudon", 7, 7), ("Noisy-le-Grand", 8, 8), ("Sceaux", 6, 6)]
    assert sum(len(s.rows) for s in communes) == 28
    aulnay = communes[0]
    assert aulnay.subtitle == f"1re édition · quartier : Centre-Gare · 87{NNBSP}599{NBSP}habitants"
    assert ("Purple", "INFRASTRUCTURE", "● déployé") in aulnay.rows
    assert communes[3].subtitle.startswith("1re édition · quartier : non renseigné")


def test_themes_are_the_published_shares_with_their_source_and_coverage(edition_1):
    themes = by_kind(edition_1, "themes")[0]
    assert [(b.label, b.text) for b in themes.bars] == [
        ("Économie circulaire", f"23{NNBSP}%"), ("Flux, mobilités et logistique", f"20{NNBSP}%"),
        ("Espaces publics et services urbains", f"17{NNBSP}%"), ("Adaptation au changement climatique", f"17{NNBSP}%"),
        ("Renouvellement urbain et chantiers", f"10{NNBSP}%")]
    assert all(b.basis == "published" for b in themes.bars)
    assert themes.notes[0] == "Parts publiées (édition 1)."
    assert "Calculé sur 4 projets sur 28 listés : le défi n'est renseigné que pour ces lignes" in themes.notes[1]
    # Those four défis are the press release's thématiques, read as the projects' défis: the slide says so.
    assert ("Défis connus que leur source n'énonce pas pour la ligne — inféré : Défi pris de la thématique sous laquelle"
            " le communiqué du 26 octobre 2023 cite le projet en exemple.") in themes.notes
    assert themes.sources == ("Source : le rapport « Retours d'expérimentations » (2025) — "
                              "LES 5 THÉMATIQUES LES PLUS REPRÉSENTÉES PARMI NOS PROJETS",)


def test_map_places_communes_quartiers_and_sites_without_tiles(edition_1):
    places = by_kind(edition_1, "map")[0].places
    communes = {p.name: p.count for p in places if p.kind == "commune"}
    assert communes == {"Aulnay-sous-Bois": 7, "Meudon": 7, "Noisy-le-Grand": 8, "Sceaux": 6}
    assert sum(p.kind == "context" for p in places) == 130 - 4 - 1  # the other communes, Paris apart
    assert [p.name for p in places if p.kind == "city"] == ["Paris"]
    assert len([p for p in places if p.kind == "quartier"]) == 3  # Sceaux's quartier is not located
    assert {p.kind for p in places} == {"context", "city", "commune", "quartier", "site"}
    assert any("Sceaux" in note for note in by_kind(edition_1, "map")[0].notes)


# --- filters -------------------------------------------------------------------------------------

def test_a_commune_filter_gives_one_commune_slide(reference_con):
    shown = deck.build(reference_con, Filters(edition=1, communes=(SCEAUX,)))
    communes = by_kind(shown, "commune")
    assert [(s.title, len(s.rows)) for s in communes] == [("Sceaux", 6)]
    assert numbers(shown.slides[1])["communes_count"].value == 1
    assert shown.slides[0].rows == (("1re édition · Sceaux",),)


def test_an_empty_view_says_so_on_a_slide(reference_con):
    shown = deck.build(reference_con, Filters(edition=2, communes=(SCEAUX,)))  # Sceaux: edition 1 only
    assert [s.kind for s in shown.slides] == ["title", "empty", "qr"]
    assert shown.slides[1].notes == ("Aucune commune lauréate et aucun projet ne correspondent à ces filtres.",)


def test_edition_2_has_communes_but_no_known_project(reference_con):
    shown = deck.build(reference_con, Filters(edition=2))
    communes = by_kind(shown, "commune")
    assert len(communes) == 6
    assert all(not s.rows and not s.numbers and "Aucun projet" in s.notes[0] for s in communes)
    # 6 communes (complete), 19 projects published for phase 1; no application row at all: no big zero.
    assert {k: n.text for k, n in numbers(shown.slides[1]).items()} == {"communes_count": "6", "projects_selected_count": "19"}
    assert shown.slides[1].notes == ("Non renseigné pour cette vue : candidatures de projets.",)
    deployment = by_kind(shown, "kpis")[1]
    assert [n.kpi_id for n in deployment.numbers] == ["indicators_count"]  # the library is the programme's
    assert deployment.notes[0] == ("Non renseigné pour cette vue : taux de déploiement, délai moyen de déploiement, "
                                   "fiches évaluation produites.")
    assert [(b.label, b.value) for b in by_kind(shown, "funnel")[0].bars] == [("Projets sélectionnés", 19)]
    assert by_kind(shown, "themes")[0].notes[0].startswith("Aucune part par défi n'est publiée pour cette vue")


def test_status_filter_narrows_the_commune_lists(reference_con):
    shown = deck.build(reference_con, Filters(edition=1), statuses=("deployed",))
    rows = [row for s in by_kind(shown, "commune") for row in s.rows]
    assert rows and all(row[2] == "● déployé" for row in rows)
    assert "status=deployed" in shown.link


# --- QR code and link ----------------------------------------------------------------------------

def test_qr_payload_carries_the_filters(reference_con):
    view = Filters(edition=1, communes=(SCEAUX, "92048"), themes=("economie-circulaire",))
    shown = deck.build(reference_con, view, statuses=("deployed",), lang="en", base="https://qmi.example.org/tdb")
    link = shown.slides[-1].link
    assert link == shown.link
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "qmi.example.org", "/tdb/")
    assert parse_qs(parts.query) == {"edition": ["1"], "commune": ["Sceaux", "Meudon"],
                                     "theme": ["economie-circulaire"], "status": ["deployed"], "lang": ["en"]}
    assert not any("phones will not open it" in n for n in shown.slides[-1].notes)
    html = slideshow.render(shown, 15)
    assert qr_svg_of(link) in html  # the QR code drawn is the code of that link


def qr_svg_of(link):
    return segno.make(link, error="m").svg_inline(scale=1, border=4, omitsize=True, dark="#000000", light="#ffffff",
                                                  title="QR code of the dashboard")


def test_all_editions_link_and_local_address_warning(reference_con):
    shown = deck.build(reference_con, Filters())
    assert shown.link == "http://localhost:8501/?edition=all"
    assert any("les téléphones ne l'ouvriront pas" in n for n in shown.slides[-1].notes)


@pytest.mark.parametrize("param, configured, context, expected, noticed", [
    ("https://qmi.example.org", None, "http://10.0.0.5:8501/presentation", "https://qmi.example.org/", False),
    (None, "https://public.example.org/qmi/", "http://10.0.0.5:8501/presentation", "https://public.example.org/qmi/", False),
    (None, None, "http://10.0.0.5:8501/presentation", "http://10.0.0.5:8501/", False),
    (None, None, "http://10.0.0.5:8501/app/presentation", "http://10.0.0.5:8501/app/", False),
    (None, None, "http://10.0.0.5:8501/", "http://10.0.0.5:8501/", False),
    (None, None, None, "http://localhost:8501/", False),
    ("javascript:alert(1)", None, None, "http://localhost:8501/", True),
    ("http://x.org/\"><script>", None, "http://10.0.0.5:8501/carte", "http://10.0.0.5:8501/", True),
])
def test_base_address_of_the_qr_code(param, configured, context, expected, noticed):
    base, notice = deck.base_url(param, configured, context, ("presentation", "carte"))
    assert base == expected
    assert (notice is not None) == noticed


@pytest.mark.parametrize("raw, seconds, noticed", [
    (None, 15, False), ("", 15, False), ("20", 20, False), ("7.5", 7.5, False), ("3", 3, False), ("600", 600, False),
    ("abc", 15, True), ("nan", 15, True), ("inf", 15, True), ("1", 3, True), ("-4", 3, True), ("9999", 600, True),
])
def test_interval_is_bounded_and_bad_values_fall_back(raw, seconds, noticed):
    value, notice = deck.parse_interval(raw)
    assert value == seconds
    assert (notice is not None) == noticed


def test_present_flag_words():
    assert all(deck.is_on(v) for v in ("1", "true", "oui", "ON"))
    assert not any(deck.is_on(v) for v in (None, "0", "", "non"))


# --- English and synthetic data --------------------------------------------------------------------

def test_english_deck(reference_con):
    shown = deck.build(reference_con, Filters(edition=1), lang="en")
    assert shown.slides[1].title == "The programme in figures"
    rate = numbers(by_kind(shown, "kpis")[1])["deployment_rate"]
    assert (rate.qualifier, rate.number, rate.text) == ("", "70%", "70%")  # « en moyenne » is the label's to say
    assert by_kind(shown, "commune")[0].columns == ("Project", "Type", "Status")
    assert "edition=1&lang=en" in shown.link


def test_synthetic_deck_is_marked_on_every_slide(demo_con):
    shown = deck.build(demo_con, Filters(edition=1))
    assert shown.synthetic
    html = slideshow.render(shown, 15)
    assert html.count("class='synthetic'") == len(shown.slides) == html.count("<section ")
    themes = by_kind(shown, "themes")[0]
    # Synthetic projects all have a défi: the shares are computed and add up to 100 %.
    assert themes.bars and all(b.basis == "computed" for b in themes.bars)
    assert sum(b.value for b in themes.bars) == pytest.approx(1.0)
    # Synthetic communes have no centroid: they are drawn at their quartier.
    assert {p.kind for p in by_kind(shown, "map")[0].places} >= {"commune", "site"}


def test_reference_deck_has_no_synthetic_mark(edition_1):
    assert "DONNÉES SYNTHÉTIQUES" not in slideshow.render(edition_1, 15)


# --- the HTML document -------------------------------------------------------------------------------

def test_slideshow_is_self_contained_and_sized_for_a_room(edition_1):
    html = slideshow.render(edition_1, 20)
    assert "data-interval-ms='20000'" in html
    assert html.count("<section ") == len(edition_1.slides)
    # Nothing fetched from the network: no external script, style, font or image.
    assert not re.search(r"""(src|href)\s*=\s*['"]?https?:""", html)
    assert "@import" not in html and "url(" not in html
    # Only the first slide is visible before the script runs.
    assert html.count(" hidden>") == len(edition_1.slides) - 1
    # Headline numbers 8.4 u, body text 1.45 u: 5.8 times.
    assert ".num { font-size: calc(8.4 * var(--u))" in html and "font-size: calc(1.45 * var(--u))" in html


def test_text_from_the_database_is_escaped():
    slide = deck.Slide(kind="commune", title="<script>alert(1)</script>", rows=(("<b>x</b>", "t", "s"),),
                               columns=("a", "b", "c"))
    shown = deck.Deck(slides=(slide,), lang="fr", synthetic=False, link="http://localhost:8501/?edition=1",
                      explore="http://localhost:8501/?edition=1")
    html = slideshow.render(shown, 15)
    assert "<script>alert(1)" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


# --- the page (AppTest) --------------------------------------------------------------------------------

def frame_html(at) -> str:
    frames = at.get("iframe")
    assert len(frames) == 1
    return frames[0].proto.srcdoc


def demo_commune(demo_db_path) -> str:
    with db.connect(demo_db_path) as con:
        return filters.communes(con, participating_only=True)[0]["name"]


@pytest.mark.parametrize("which", ["reference", "demo"])
@pytest.mark.parametrize("edition", ["1", "2", "all", "commune"])
def test_page_renders_every_view(monkeypatch, reference_db_path, demo_db_path, which, edition):
    db_path = reference_db_path if which == "reference" else demo_db_path
    params = {"edition": edition}
    if edition == "commune":
        params = {"edition": "all", "commune": "Sceaux" if which == "reference" else demo_commune(demo_db_path)}
    at = open_page(monkeypatch, db_path, "presentation", **params)
    assert not at.exception, at.exception
    html = frame_html(at)
    assert ("DONNÉES SYNTHÉTIQUES" in html) == (which == "demo")
    assert "Le tableau de bord sur votre téléphone" in html
    if edition == "commune":
        names = [m for m in re.findall(r"data-kind='commune' data-title='([^']*)'", html)]
        assert names and {re.sub(r" \(\d/\d\)$", "", n) for n in names} == {params["commune"]}
        assert f"?edition=all&amp;commune={quote(params['commune'])}" in html


def test_page_numbers_match_the_overview(monkeypatch, reference_db_path):
    at = open_page(monkeypatch, reference_db_path, "presentation", edition="1")
    html = frame_html(at)
    for text in ("<div class='num'>168</div>", f"<div class='num'>70{NNBSP}%</div>", "<div class='num'>280</div>",
                 "http://localhost:8501/?edition=1"):
        assert text in html, text


def test_present_flag_on_any_page_opens_the_slideshow(monkeypatch, reference_db_path):
    at = app_test(monkeypatch, reference_db_path, present="1", edition="1", commune="Sceaux", interval="abc").run()
    assert not at.exception
    html = frame_html(at)
    assert not at.title  # no page heading around the slideshow
    assert html.count("data-kind='commune'") == 1 and "data-title='Sceaux'" in html
    assert "data-interval-ms='15000'" in html
    assert graphics.esc("Intervalle « abc » non compris : 15 s par diapositive.") in html


def test_page_interval_and_base_from_the_url(monkeypatch, reference_db_path):
    at = open_page(monkeypatch, reference_db_path, "presentation", edition="2", interval="20",
                   base="https://qmi.example.org/")
    html = frame_html(at)
    assert "data-interval-ms='20000'" in html
    assert "https://qmi.example.org/?edition=2" in html
    assert "les téléphones ne l&#x27;ouvriront pas" not in html
