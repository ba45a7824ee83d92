"""What a careful reading of the two documents finds (data/contradictions.csv, aliases.csv, partners.csv,
awards.csv): the contradictions by topic, both sentences of each; the other spellings of names, and that each
finds its project the way the Projets page searches; the read function the « Sources et écarts » page uses.
(That every quote stands verbatim in its document: tests/test_data.py.)"""

from __future__ import annotations

import re

import pytest

from dashboard import registry
from qmi_metrics.metrics import kpis, reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import narratives
from qmi_metrics.reads import projects, queries
from qmi_metrics.store import db

PRESS_RELEASE, REPORT = "cp_2023", "rapport_2025"


def contradiction(con, contradiction_id: str) -> dict:
    return db.fetch_one(con, "SELECT * FROM contradictions WHERE contradiction_id = $id", {"id": contradiction_id})


# --- the contradictions, by topic -------------------------------------------------------------------------------

# id: (kind, source_a, words of quote_a, source_b, words of quote_b): the examples every reader of the two
# documents stumbles on, each found by its two sentences.
EXAMPLES = {
    "lancement-2022-ou-2023": ("between_documents", PRESS_RELEASE, "Initié en 2022",
                               REPORT, "se réinvente en 2023 à une nouvelle échelle métropolitaine"),
    "candidatures-168-ou-170": ("between_documents", PRESS_RELEASE, "170 candidatures déposées",
                                REPORT, "168 CANDIDATURES REÇUES"),
    "participants-communaute-280-ou-290": ("within_document", REPORT, "+ 290 PERSONNES", REPORT, "80 participants"),
    "projets-28-nommes-sur-30": ("within_document", REPORT, "sélection finale de 30 projets", REPORT, "Electra"),
    "population-aulnay-au-dela-de-80000": ("data_vs_document", REPORT, "entre 20 et 80 000 habitants",
                                           "ref_communes", "Aulnay-sous-Bois,93,200058097,Paris Terres d'Envol,87599"),
    "ept-3-ou-4": ("data_vs_document", REPORT, "3 Établissements Publics Territoriaux (EPT)",
                   "ref_communes", "Vallée Sud-Grand Paris"),
    "duree-18-mois-ou-deux-ans": ("within_document", REPORT, "18 mois du programme", REPORT, "En deux ans"),
    "diagnostics-410-personnes": ("within_document", REPORT, "+ 410 PERSONNES", REPORT, "en moyenne 11 personnes"),
    "motif-80-pour-cent-de-4-communes": ("within_document", REPORT, "4 COMMUNES LAURÉATES", REPORT, "(80%)"),
    "chaque-projet-evalue-18-fiches": ("within_document", REPORT, "chaque projet fait donc l'objet",
                                       REPORT, "18 FICHES ÉVALUATION"),
    "deploiement-70-pour-cent-18-fiches": ("within_document", REPORT, "Toute expérimentation déployée sera également"
                                           " évaluée", REPORT, "70% TAUX DE DÉPLOIEMENT"),
    "repartition-candidatures-et-projets": ("within_document", REPORT, "se retrouve également dans les candidatures"
                                            " finalement sélectionnées", REPORT, "Économie circulaire 23%"),
    "atelier-baskets-absent-de-la-liste": ("between_documents", PRESS_RELEASE, "réinsertion de baskets",
                                           REPORT, "Circular Place"),
    "hyperviseur-wintics-ou-ecoflow": ("within_document", REPORT, "permettra la mise en commun",
                                       REPORT, "a permis le test d'un hyperviseur"),
    "appel-experimenter-avril-mai-ou-mai-juin": ("between_documents", PRESS_RELEASE, "Avril-Mai 2024",
                                                 "mgp_web_e2", "13 May – 16 June 2024"),
    "faradae-collective-ou-individuelle": ("within_document", REPORT, "AUTO-CONSOMMATION COLLECTIVE",
                                           REPORT, "autoconsommation individuelle"),
}


@pytest.mark.parametrize("contradiction_id", list(EXAMPLES))
def test_the_contradictions_a_careful_reader_finds_are_listed_with_both_sentences(reference_con, contradiction_id):
    kind, source_a, words_a, source_b, words_b = EXAMPLES[contradiction_id]
    row = contradiction(reference_con, contradiction_id)
    assert row is not None, contradiction_id
    assert (row["kind"], row["source_a"], row["source_b"]) == (kind, source_a, source_b)
    assert words_a in row["quote_a"] and words_b in row["quote_b"]
    assert row["topic_fr"] and row["topic_en"] and row["shown_fr"] and row["shown_en"]


def test_the_participants_of_the_four_meetings_add_up_to_280_not_290(reference_con):
    row = contradiction(reference_con, "participants-communaute-280-ou-290")
    counts = [int(n) for n in re.findall(r"(\d+) participants", row["quote_b"])]
    assert len(counts) == 4 and sum(counts) == 280
    assert "290" in row["quote_a"]


def test_the_list_quoted_names_28_projects_one_per_project_of_the_data(reference_con):
    row = contradiction(reference_con, "projets-28-nommes-sur-30")
    names = reconcile.excerpts(row["quote_b"])
    listed = db.fetch_rows(reference_con, "SELECT name FROM projects WHERE edition_id = 1 ORDER BY name")
    assert len(names) == len(listed) == 28 and len(set(names)) == 28
    for project in listed:  # « Rob Etics, par Batiprint3D » is how the list prints Rob Etics
        assert sum(name.startswith(project["name"]) for name in names) >= 1, project


def test_every_contradiction_points_at_a_page_a_kpi_and_figures_that_exist(reference_con):
    rows = db.fetch_rows(reference_con, "SELECT * FROM contradictions")
    kpi_ids = {kpi.id for kpi in kpis.expand(reference_con)}
    figure_ids = set(kpis.published_figures(reference_con))
    for row in rows:
        assert row["page"] in registry.NAMES, row["contradiction_id"]
        assert row["kpi_id"] is None or row["kpi_id"] in kpi_ids, row["contradiction_id"]
        assert set((row["figure_ids"] or "").split()) <= figure_ids, row["contradiction_id"]
    for language in ("fr", "en"):
        topics = [row[f"topic_{language}"] for row in rows]
        assert len(set(topics)) == len(topics), language  # a topic names one contradiction
    assert all(row["shown_fr"] != row["shown_en"] for row in rows)


def test_a_kind_says_how_many_documents_the_two_sentences_come_from(reference_con):
    documents = dict(db.fetch_tuples(reference_con, "SELECT source_id, kind FROM sources"))
    for row in db.fetch_rows(reference_con, "SELECT * FROM contradictions"):
        same = row["source_a"] == row["source_b"]
        assert same == (row["kind"] == "within_document"), row["contradiction_id"]
        if row["kind"] == "data_vs_document":  # one side is the reference data, not a document
            assert {documents[row["source_a"]], documents[row["source_b"]]} == {"document", "reference"}


# --- the read function -------------------------------------------------------------------------------------------

def test_the_read_function_gives_both_sides_with_their_documents_names(reference_con):
    rows = {row["contradiction_id"]: row for row in reconcile.contradictions(reference_con, "en")}
    assert set(rows) == {r[0] for r in db.fetch_tuples(reference_con, "SELECT contradiction_id FROM contradictions")}
    applications = rows["candidatures-168-ou-170"]
    assert applications["topic"] == "Applications to the 1st edition's call for projects"
    assert applications["a"]["document_name"] == "the press release of 26 October 2023"
    assert applications["b"]["document_name"] == "the 2025 impact report"
    assert applications["b"]["document"] == "seeds/004_39930cb31348f1d2.txt"
    assert applications["figure_ids"] == ["cp_candidatures_aap", "rapport_candidatures_aap"]
    assert applications["shown"].startswith("Both figures are kept")
    meetings = rows["participants-communaute-280-ou-290"]
    assert len(meetings["b"]["excerpts"]) == 4 and meetings["kpi_id"] == "community_participants_total"
    french = {row["contradiction_id"]: row for row in reconcile.contradictions(reference_con, "fr")}
    assert french["ept-3-ou-4"]["b"]["document_name"] == "la liste officielle des communes de la Métropole (INSEE)"
    assert french["candidatures-168-ou-170"]["a"]["document_name"] == "le communiqué de presse du 26 octobre 2023"


def test_the_read_function_keeps_an_edition_or_a_page(reference_con):
    second = reconcile.contradictions(reference_con, edition=2)
    assert second and {row["edition_id"] for row in second} == {2, None}
    assert "appel-experimenter-avril-mai-ou-mai-juin" in {row["contradiction_id"] for row in second}
    first = {row["contradiction_id"] for row in reconcile.contradictions(reference_con, edition=1)}
    assert "candidatures-168-ou-170" in first and "appel-experimenter-avril-mai-ou-mai-juin" not in first
    community = reconcile.contradictions(reference_con, page="communaute")
    assert community and {row["page"] for row in community} == {"communaute"}
    editions = [row["edition_id"] for row in reconcile.contradictions(reference_con)]
    assert editions == sorted(editions, key=lambda e: -1 if e is None else e)  # programme-wide first


def test_a_synthetic_database_has_no_contradiction(demo_con):
    assert reconcile.contradictions(demo_con) == []


# --- other spellings ---------------------------------------------------------------------------------------------

# (entity_kind, entity_id, name as written, source): the spellings the two documents disagree on.
SPELLINGS = [
    ("project", "pelican", "Pélican Cycles", PRESS_RELEASE), ("project", "pelican", "Pelican Cycle", REPORT),
    ("project", "vegetalisation-2nde-vie", "Végétalisation 2e vie", PRESS_RELEASE),
    ("project", "digiponts92", "Digiponts", REPORT),
    ("project", "purple", "Purple Alternative Surface", PRESS_RELEASE),
    ("programme", "innover-dans-la-ville", "Innov Dans la Ville", REPORT),
    ("partner", "choose-paris-region", "Choise Paris Region", REPORT),
    ("publication", "de-l-essai-a-l-essaimage", "L'Essai à l'essaimage", REPORT),
    ("edition", "2", "seconde promotion", REPORT), ("theme", "espaces-publics", "Espace public", PRESS_RELEASE),
]


def test_the_spellings_the_documents_disagree_on_are_listed(reference_con):
    listed = set(db.fetch_tuples(reference_con,
                                 "SELECT entity_kind, entity_id, name_as_written, source_id FROM aliases"))
    for spelling in SPELLINGS:
        assert spelling in listed, spelling


def test_every_alias_names_an_entity_that_exists_and_differs_from_its_name(reference_con):
    tables = {"project": ("projects", "project_id", "name"), "partner": ("partners", "partner_id", "name"),
              "edition": ("editions", "CAST(edition_id AS VARCHAR)", "label_fr"),
              "call": ("calls", "call_id", "label_fr"), "theme": ("themes", "theme_slug", "label_fr")}
    for row in db.fetch_rows(reference_con, "SELECT * FROM aliases"):
        if row["entity_kind"] not in tables:  # programme, publication: no table of their own
            assert re.fullmatch(r"[a-z0-9-]+", row["entity_id"]), row
            continue
        table, key, name = tables[row["entity_kind"]]
        names = [r[0] for r in db.fetch_tuples(reference_con, f"SELECT {name} FROM {table} WHERE {key} = $id",
                                               {"id": row["entity_id"]})]
        assert names, row  # the entity exists
        assert row["name_as_written"] not in names, row  # and the alias is another spelling


def test_every_alias_of_a_project_finds_it_with_the_projets_search(reference_con):
    frame = queries.projects(reference_con, Filters())
    aliases = db.fetch_rows(reference_con, "SELECT entity_id, name_as_written FROM aliases WHERE entity_kind = 'project'")
    assert len(aliases) >= 10
    for alias in aliases:
        found = set(projects.search(frame, alias["name_as_written"])["project_id"])
        assert alias["entity_id"] in found, alias
    # The press release's spelling alone: not in the report's name, operator or description.
    assert list(projects.search(frame, "Pélican Cycles")["project_id"]) == ["pelican"]
    assert list(projects.search(frame, "végétalisation 2e vie")["project_id"]) == ["vegetalisation-2nde-vie"]


def test_a_projects_other_spellings_with_their_documents(reference_con):
    pelican = projects.aliases(reference_con, "pelican")
    assert list(pelican["name_as_written"]) == ["Pélican Cycles", "Pelican Cycle", "Pelican Train"]  # oldest first
    assert narratives.other_spellings(pelican, "fr") == (
        "Pélican Cycles (le communiqué de presse du 26 octobre 2023) ; Pelican Cycle, Pelican Train"
        " (le rapport « Retours d'expérimentations » (2025))")
    assert narratives.other_spellings(projects.aliases(reference_con, "purple"), "en") == (
        "Purple Alternative Surface (the press release of 26 October 2023); Purple Alternative Surface"
        " (the 2025 impact report)")
    assert projects.aliases(reference_con, "soy-pv").empty


# --- partners and awards -----------------------------------------------------------------------------------------

def test_who_organises_operates_and_funds_the_programme(reference_con):
    roles = set(db.fetch_tuples(reference_con, "SELECT partner_id, role FROM partners"))
    assert {("metropole-grand-paris", "organisateur"), ("paris-and-co", "opérateur"),
            ("metropole-grand-paris", "financeur"), ("banque-des-territoires", "financeur"),
            ("institut-paris-region", "diagnostic"), ("choose-paris-region", "international")} <= roles
    funders = {r[0] for r in db.fetch_tuples(reference_con, "SELECT partner_id FROM partners"
                                                            " WHERE role = 'financeur' AND project_id IS NULL")}
    assert funders == {"metropole-grand-paris", "banque-des-territoires"}  # « entièrement financé par » the two
    # A partner of one project says which.
    assert db.fetch_value(reference_con, "SELECT project_id FROM partners WHERE partner_id = 'colas'") == "purple"
    names = db.fetch_tuples(reference_con, "SELECT partner_id, count(DISTINCT name) FROM partners GROUP BY ALL")
    assert all(n == 1 for _, n in names)  # one name per partner


def test_the_programmes_two_awards(reference_con):
    awards = db.fetch_rows(reference_con, "SELECT * FROM awards ORDER BY year")
    assert [(a["label"], a["year"], a["outcome"]) for a in awards] == [
        ("Innovative Award", 2024, "finaliste"), ("Label Or « Territoire Innovant »", 2025, "label")]
    assert all(a["project_id"] is None for a in awards)  # the report names awards for the programme, none for a project
