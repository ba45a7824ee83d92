"""Thématiques: the qmi_metrics.reads.programme functions behind it against hand counts of data/projects.csv, and
the page itself (AppTest) on the reference and synthetic databases for every edition and commune."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import each_view, first_edition_communes, open_page, show_chart_data, shown, views

from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.reads import programme

DATA = Path(__file__).resolve().parent.parent / "data"
AULNAY, MEUDON, NOISY, SCEAUX = "93005", "92048", "93051", "92071"
NBSP = "\u202f"

# Edition 1, counted by hand in data/projects.csv (28 projects, every type and family known).
TYPES_E1 = {"numerique": 8, "infrastructure": 5, "mobilier-urbain": 5, "equipement": 3, "autoconsommation": 2,
            "borne-recharge": 2, "vehicule": 2, "production-energie": 1}
FAMILIES_E1 = {"espace-public-vegetalisation": 8, "construction-infrastructures": 5, "mobilites": 5,
               "ville-intelligente": 4, "energie": 3, "economie-circulaire": 3}
# The défi is known for 4 projects only (Purple, Source Urbaine… the press release's examples), one per défi.
KNOWN_THEMES_E1 = {"espaces-publics", "adaptation-climat", "flux-mobilites", "economie-circulaire"}
DIGITAL_E1 = ["Circular Place", "Digiponts92", "EIKO", "Evolukid", "Kunagi", "TiQuest", "Tracemob", "Wintics Cityvision"]


def csv_projects() -> list[dict]:
    with open(DATA / "projects.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- qmi_metrics.reads.programme ----------------------------------------------------------------------

def test_type_counts_of_edition_1(reference_con):
    frame = programme.type_counts(reference_con, Filters(edition=1))
    assert dict(zip(frame["slug"], frame["projects"])) == TYPES_E1
    assert frame["slug"].iloc[0] == "numerique"  # most frequent first
    assert frame.set_index("slug").loc["numerique", "share"] == pytest.approx(8 / 28)
    assert frame.set_index("slug").loc["numerique", "is_digital"]
    assert frame["share"].sum() == pytest.approx(1.0)


def test_family_counts_of_edition_1_in_the_reports_order(reference_con):
    frame = programme.family_counts(reference_con, Filters(edition=1))
    assert dict(zip(frame["slug"], frame["projects"])) == FAMILIES_E1
    assert list(frame["slug"]) == ["energie", "ville-intelligente", "espace-public-vegetalisation",
                                   "construction-infrastructures", "economie-circulaire", "mobilites"]


@pytest.mark.parametrize("insee", [AULNAY, MEUDON, NOISY, SCEAUX])
def test_type_counts_per_commune_match_the_csv(reference_con, insee):
    expected = Counter(row["type_slug"] for row in csv_projects() if row["insee"] == insee)
    frame = programme.type_counts(reference_con, Filters(edition=1, communes=(insee,)))
    assert {slug: n for slug, n in zip(frame["slug"], frame["projects"]) if n} == dict(expected)


def test_unknown_values_get_their_own_row(writable_reference):
    writable_reference.execute("INSERT INTO projects (project_id, edition_id, name, source_id, basis)"
                               " VALUES ('sans-type', 1, 'Sans type', 'rapport_2025', 'stated')")
    frame = programme.type_counts(writable_reference, Filters(edition=1))
    unknown = frame[frame["slug"].isna()]
    assert list(unknown["projects"]) == [1] and unknown["share"].isna().all()
    numerique = frame.set_index("slug").loc["numerique", "share"]
    assert numerique == pytest.approx(8 / 28)  # shares among the 28 projects whose type is known
    split = programme.digital_split(writable_reference, Filters(edition=1))
    assert (split["digital"], split["not_digital"], split["unknown"]) == (8, 20, 1)


def test_digital_split_of_edition_1(reference_con):
    split = programme.digital_split(reference_con, Filters(edition=1))
    assert (split["digital"], split["not_digital"], split["unknown"], split["total"]) == (8, 20, 0, 28)
    assert split["share"] == pytest.approx(8 / 28)
    assert split["digital_names"] == DIGITAL_E1


def test_digital_split_per_commune(reference_con):
    # Noisy-le-Grand hosts 4 NUMÉRIQUE projects of its 8 (data/projects.csv).
    split = programme.digital_split(reference_con, Filters(edition=1, communes=(NOISY,)))
    assert (split["digital"], split["total"]) == (4, 8)


def test_theme_shares_rest_on_the_4_known_projects_and_match_the_kpis(reference_con):
    frame = programme.theme_shares(reference_con, Filters(edition=1)).set_index("theme_slug")
    assert len(frame) == 8
    assert set(frame["projects_known"]) == {4} and set(frame["projects_total"]) == {28}
    assert {slug for slug, n in frame["projects"].items() if n} == KNOWN_THEMES_E1
    assert frame.loc["economie-circulaire", "projects_share"] == 0.25
    assert frame.loc["sport-en-ville", "projects_share"] == 0.0
    # The project side is the theme_share KPI family.
    results = {r.id: r for r in kpis.compute_all(reference_con, Filters(edition=1))}
    for slug, row in frame.iterrows():
        assert results[f"theme_share:{slug}"].value == pytest.approx(row["projects_share"])
    # Applications: the 28 known rows are the laureates; the 4 with a défi are those of the same projects.
    assert set(frame["applications_rows"]) == {28} and set(frame["applications_known"]) == {4}
    assert set(frame["applications_published"]) == {170}  # the larger of 170 (press) and 168 (report)


def test_theme_shares_ignore_no_commune_and_handle_an_empty_view(reference_con):
    sceaux = programme.theme_shares(reference_con, Filters(edition=1, communes=(SCEAUX,)))
    assert set(sceaux["projects_total"]) == {6}
    assert sceaux["applications_published"].isna().all()  # a call's total says nothing of one commune
    empty = programme.theme_shares(reference_con, Filters(edition=2))
    assert set(empty["projects_total"]) == {0} and empty["projects_share"].isna().all()


def test_published_theme_shares_with_their_source(reference_con):
    frame = programme.published_theme_shares(reference_con, 1)
    projects = frame[frame["scope"] == "projects"].set_index("theme_slug")["value"].to_dict()
    applications = frame[frame["scope"] == "applications"].set_index("theme_slug")["value"].to_dict()
    assert projects == {"economie-circulaire": 0.23, "flux-mobilites": 0.20, "renouvellement-urbain": 0.10,
                        "adaptation-climat": 0.17, "espaces-publics": 0.17}
    assert applications == {"flux-mobilites": 0.20, "espaces-publics": 0.17, "economie-circulaire": 0.15}
    circular = frame[(frame["scope"] == "projects") & (frame["theme_slug"] == "economie-circulaire")].iloc[0]
    assert circular["quote"] == "Économie circulaire 23%"
    assert circular["section"] == "LES 5 THÉMATIQUES LES PLUS REPRÉSENTÉES PARMI NOS PROJETS"
    assert programme.published_theme_shares(reference_con, 2).empty


def test_synthetic_shares_are_complete_and_sum_to_one(demo_con):
    frame = programme.theme_shares(demo_con, Filters(edition=1))
    assert (frame["projects_known"] == frame["projects_total"]).all()
    assert frame["projects_share"].sum() == pytest.approx(1.0)
    assert frame["applications_share"].sum() == pytest.approx(1.0)
    assert programme.published_theme_shares(demo_con).empty


# --- the page -------------------------------------------------------------------------------------

@pytest.fixture
def thematiques(monkeypatch):
    return lambda db_path, **url: open_page(monkeypatch, db_path, "thematiques", **url)


def plotly_specs(at) -> list[str]:
    return [json.dumps(json.loads(el.proto.spec), ensure_ascii=False) for el in at.get("plotly_chart")]


def table_with(at, column: str):
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_page_shows_the_digital_share_and_the_published_shares(thematiques, reference_db_path):
    at = thematiques(reference_db_path)
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Part de solutions numériques"] == f"28,6{NBSP}%"
    specs = plotly_specs(at)
    assert any(f"8 (28,6{NBSP}%)" in spec and "Numérique" in spec for spec in specs)  # the donut's label
    assert any(f"8 projets sur 28 au type connu sont de type NUMÉRIQUE (28,6{NBSP}%)" in shown(c.value) for c in at.caption)
    # The report's « seul un tiers » and why the list gives less.
    assert any("seul un tiers" in m.value for m in at.markdown)
    assert any("Écart expliqué" in c.value and "Circular Place" in c.value for c in at.caption)
    # Types: 8 NUMÉRIQUE projects (in the charts' data tables).
    show_chart_data(at)
    types = table_with(at, "type").set_index("type")
    assert types.loc["NUMÉRIQUE", "projets"] == 8 and types.loc["NUMÉRIQUE", "part"] == f"28,6{NBSP}%"
    families = table_with(at, "famille").set_index("famille")
    assert families.loc["Énergie", "projets"] == 3
    # Défis: the published 23 % for the circular economy, with its quote, next to a computation on 4 of 28.
    shares = [df.value for df in at.dataframe if "part publiée" in df.value.columns]
    projects = next(df for df in shares if "projets du défi" in df.columns).set_index("défi")
    assert projects.loc["Économie circulaire", "part publiée"] == f"23{NBSP}%"
    assert projects.loc["Économie circulaire", "citation"] == "« Économie circulaire 23% »"
    assert projects.loc["Économie circulaire", "part calculée"] == f"25{NBSP}%"
    assert any("Calculé sur 4 projets sur 28" in w.value and "PAS comparables" in w.value for w in at.warning)
    applications = next(df for df in shares if "candidatures du défi" in df.columns).set_index("défi")
    assert applications.loc["Flux, mobilités et logistique", "part publiée"] == f"20{NBSP}%"


def test_page_says_the_shares_ignore_the_defi_filter(thematiques, reference_db_path):
    at = thematiques(reference_db_path)
    at.session_state["f_themes"] = ["economie-circulaire"]
    at.run()
    assert not at.exception
    assert any("ignorent le filtre « Défis »" in i.value for i in at.info)
    # The défi filter still applies to types and the digital split: the one project of the défi is not digital.
    assert {m.label: m.value for m in at.metric}["Part de solutions numériques"] == f"0{NBSP}%"


@pytest.mark.parametrize("database", ["reference", "synthetic"])
def test_page_renders_for_every_edition_and_commune(thematiques, reference_db_path, demo_db_path, database):
    path = reference_db_path if database == "reference" else demo_db_path
    at = thematiques(path, edition="all")
    # Every commune of the reference; the first four of the synthetic edition 1 (keeps the test under 30 s).
    communes = [AULNAY, MEUDON, NOISY, SCEAUX] if database == "reference" else first_edition_communes(path)[:4]
    for edition, chosen in each_view(at, views(path, communes, commune_edition=1)):
        view = (database, edition, chosen)
        assert not at.exception, (view, at.exception)
        assert at.title[0].value == "Thématiques"
        assert at.get("plotly_chart") or any("Aucun projet" in i.value for i in at.info), view


def test_empty_edition_says_so(thematiques, reference_db_path):
    at = thematiques(reference_db_path, edition="2")
    assert not at.exception
    assert any("Aucun projet sélectionné dans cette vue" in i.value for i in at.info)
    assert not at.get("plotly_chart")
