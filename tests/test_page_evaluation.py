"""Évaluation: the qmi_metrics.reads.programme functions behind it against hand counts of data/*.csv, and the
page itself (AppTest) on the reference and synthetic databases for every edition and commune."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import each_view, first_edition_communes, open_page, show_chart_data, shown, views

from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import formatting
from qmi_metrics.reads import programme
from qmi_metrics.store import db

DATA = Path(__file__).resolve().parent.parent / "data"
AULNAY, MEUDON, NOISY, SCEAUX = "93005", "92048", "93051", "92071"
NBSP = "\u202f"

# data/indicators.csv, counted by hand: 21 indicators.
PER_DOMAIN = {"environnemental": 10, "social": 3, "économique": 2, "retours usagers": 1, "efficacité": 5}
TAB_LABELS = ["Environnemental (10)", "Social (3)", "Économique (2)", "Retours usagers (1)", "Efficacité (5)"]
# data/project_indicators.csv: 24 links, 19 projects, 20 indicators (user satisfaction is followed by none). Each
# link quotes its own project's passage: Faradae (« autoconsommation individuelle ») and EIKO (a platform, no app)
# name none of the measures they were once linked to with Boucl'Énergie's and Kunagi's sentences.
FOLLOWED_BY = {"energie-partagee": 1, "utilisateurs-actifs": 2, "recharges-realisees": 2, "flux-mobilite": 2,
               "marchandises-transportees": 2, "rafraichissement": 1, "satisfaction-usagers": 0}


def read_csv(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- qmi_metrics.reads.programme ----------------------------------------------------------------------

def test_indicator_library_per_domain(reference_con):
    frame = programme.indicators(reference_con)
    assert len(frame) == 21
    assert dict(Counter(frame["domain"])) == PER_DOMAIN
    assert list(dict.fromkeys(frame["domain"])) == list(PER_DOMAIN)  # the order of vocabulary.DOMAINS
    assert Counter(row["domain"] for row in read_csv("indicators.csv")) == Counter(PER_DOMAIN)
    assert frame["source_quote"].notna().all()


def test_how_many_projects_follow_each_indicator(reference_con):
    following = programme.indicators(reference_con, Filters(edition=1)).set_index("indicator_id")["projects_following"]
    assert {key: following[key] for key in FOLLOWED_BY} == FOLLOWED_BY
    assert following.sum() == 24
    assert programme.indicators(reference_con, Filters(edition=2))["projects_following"].sum() == 0


@pytest.mark.parametrize("insee", [AULNAY, MEUDON, NOISY, SCEAUX])
def test_links_per_commune_match_the_csv(reference_con, insee):
    in_commune = {row["project_id"] for row in read_csv("projects.csv") if row["insee"] == insee}
    expected = {(row["project_id"], row["indicator_id"]) for row in read_csv("project_indicators.csv")
                if row["project_id"] in in_commune}
    links = programme.project_indicators(reference_con, Filters(edition=1, communes=(insee,)))
    assert set(zip(links["project_id"], links["indicator_id"])) == expected


def test_indicator_coverage_and_matrix(reference_con):
    assert programme.indicator_coverage(reference_con, Filters(edition=1)) == {
        "projects": 28, "following": 19, "values_count": 0}
    links = programme.project_indicators(reference_con, Filters(edition=1))
    matrix = programme.indicator_matrix(links)
    assert matrix.shape == (19, 20)
    assert (matrix == "✓").sum().sum() == 24
    assert "Faradae" not in matrix.index and "EIKO" not in matrix.index
    assert matrix.loc["Pelican", "Marchandises transportées à vélo"] == "✓"
    assert matrix.loc["Purple", "Marchandises transportées à vélo"] == ""
    # Columns follow the domains: the environmental indicators come first.
    assert matrix.columns[0] in set(links.loc[links["domain"] == "environnemental", "indicator_fr"])
    assert programme.indicator_matrix(links.iloc[0:0]).empty


def test_status_filter_narrows_the_projects(reference_con):
    evaluated = programme.indicator_coverage(reference_con, Filters(edition=1), ("evaluated",))
    assert evaluated["projects"] == programme.projects_in_view(reference_con, Filters(edition=1), ("evaluated",))


def test_replicability_criteria_and_no_scores_in_the_reference(reference_con):
    criteria = programme.replicability_criteria(reference_con)
    assert list(criteria["criterion_id"]) == ["ampleur-deploiement", "facilite-operationnelle", "solidite-financiere",
                                              "industrialisation", "traction-commerciale"]
    assert criteria["source_quote"].str.contains("traction commerciale").all()
    assert programme.replicability_ranking(reference_con, Filters(edition=1)).empty


def test_replicability_ranking_on_synthetic_data(demo_con):
    frame = programme.replicability_ranking(demo_con, Filters(edition=1))
    assert len(frame) > 0
    assert list(frame["index_ratio"]) == sorted(frame["index_ratio"], reverse=True)
    results = {r.id: r for r in kpis.compute_all(demo_con, Filters(edition=1))}
    for _, row in frame.iterrows():
        assert row["index_ratio"] == pytest.approx(sum(row["scores"].values()) / len(row["scores"]) / 5)
        assert results[f"replicability_index:{row['project_id']}"].value == pytest.approx(row["index_ratio"])
    scored = db.fetch_value(demo_con, "SELECT count(DISTINCT s.project_id) FROM replicability_scores s"
                                      " JOIN projects p USING (project_id) WHERE p.edition_id = 1")
    assert len(frame) == scored


def test_survey_results_of_edition_1(reference_con):
    frame = programme.survey_results(reference_con, 1)
    assert list(frame["result_id"]) == [
        "e1_motif_1_innovations_locales", "e1_motif_2_visibilite", "e1_motif_3_gratuite", "e1_frein_financement",
        "e1_competences_startups", "e1_competences_juridique", "e1_perspectives_continuer"]
    assert list(frame["value"]) == [0.8, 0.5, 0.5, 6, 1, 0.5, 1]
    assert frame["quote"].notna().all()  # every published result carries its sentence
    assert frame.loc[frame["topic"] == "frein", "quote"].iloc[0].startswith("6/10 La note attribuée")
    assert programme.survey_results(reference_con, 2).empty


# --- the page -------------------------------------------------------------------------------------

@pytest.fixture
def evaluation(monkeypatch):
    return lambda db_path, **url: open_page(monkeypatch, db_path, "evaluation", **url)


def tables(at, column: str) -> list:
    return [df.value for df in at.dataframe if column in df.value.columns]


def chart_specs(at) -> list[str]:
    return [json.dumps(json.loads(el.proto.spec), ensure_ascii=False) for el in at.get("plotly_chart")]


def test_page_lists_the_library_per_domain(evaluation, reference_db_path):
    at = evaluation(reference_db_path)
    assert not at.exception
    # 21 shipped of the report's "plus de 60": the card shows the published size, the caption the coverage.
    assert {shown(m.label): m.value for m in at.metric}["Indicateurs dans la bibliothèque"] == "plus de 60"
    assert any("couverture 21/60" in c.value for c in at.caption)
    caveat = next(m.value for m in at.markdown if "La bibliothèque complète n'est pas publique" in m.value)
    assert "+60 INDICATEURS" in caveat
    # What the table is: the measures the projects' descriptions name, with units and directions modelled.
    assert "les mesures que nomment les descriptions des projets" in caveat and "que le rapport cite," not in caveat
    assert "modélisés par le tableau de bord" in caveat
    assert [tab.label for tab in at.tabs] == TAB_LABELS
    for tab, expected in zip(at.tabs, PER_DOMAIN.values()):
        assert len(tab.dataframe[0].value) == expected
    social = at.tabs[1].dataframe[0].value.set_index("indicateur")
    assert social.loc["Utilisateurs actifs de l'application", "projets qui le suivent (vue)"] == 2
    assert social.loc["Utilisateurs actifs de l'application", "sens souhaité"] == "↑ hausse souhaitée"
    environmental = at.tabs[0].dataframe[0].value.set_index("indicateur")
    assert environmental.loc["Qualité de l'air extérieur", "sens souhaité"] == "↑ hausse souhaitée"  # better air
    # Every indicator's unit and direction are the dashboard's: each row says « modélisé », the rule is under it.
    for tab in at.tabs:
        assert set(tab.dataframe[0].value["base"]) == {"modélisé"}
        assert any(shown(c.value).startswith("Unité et sens souhaité : modélisés par le tableau de bord")
                   and "modélisé : " in shown(c.value) for c in tab.caption)


def test_page_shows_who_follows_what_and_the_surveys(evaluation, reference_db_path):
    at = show_chart_data(evaluation(reference_db_path))
    assert any("19 projets sur 28 suivent au moins un indicateur" in m.value for m in at.markdown)
    links = tables(at, "phrase du rapport")
    assert any(len(df) == 24 and "projet" in df.columns and set(df["base"]) == {"énoncé"} for df in links)
    assert any("✓" in spec and "Pelican" in spec for spec in chart_specs(at))
    # Replicability: the criteria, no scores.
    assert any("Aucun projet n'est encore noté : les documents publics ne donnent pas les notes." in i.value
               for i in at.info)
    assert any("Traction commerciale" in m.value for m in at.markdown)
    # Surveys: the 80 % top motive, 6/10, and skills and outlook 100 %, 50 %, 100 %, each with its quote.
    assert any(f"« Porter des innovations locales » (80{NBSP}%)" in shown(c.value) for c in at.caption)
    assert {shown(m.label): m.value for m in at.metric}["Frein du financement (note des porteurs)"] == "6/10"
    survey = [df for df in tables(at, "citation") if "résultat" in df.columns]
    motives = next(df for df in survey if "Porter des innovations locales" in set(df["résultat"])).set_index("résultat")
    assert motives.loc["Porter des innovations locales", "valeur"] == f"80{NBSP}%"
    assert motives.loc["Porter des innovations locales", "citation"] == "« 1 Porter des innovations locales (80%) »"
    brake = next(df for df in survey if (df["valeur"] == "6/10").any())
    assert brake["citation"].iloc[0].startswith("« 6/10 La note attribuée")
    later = next(df for df in survey if df["résultat"].str.contains("startups").any())
    assert sorted(later["valeur"]) == sorted([f"100{NBSP}%", f"50{NBSP}%", f"100{NBSP}%"])
    assert later["source"].str.contains("Retours d'expérimentations").all()


def test_synthetic_database_draws_the_replicability_ranking(evaluation, demo_db_path):
    at = evaluation(demo_db_path, edition="1")
    assert not at.exception
    assert any("critères" in spec and '"type": "bar"' in spec for spec in chart_specs(at))
    ranking = next(df for df in tables(show_chart_data(at), "critères notés"))
    assert list(ranking["rang"]) == list(range(1, len(ranking) + 1))
    assert not any("Aucun projet n'est encore noté" in i.value for i in at.info)


def test_synthetic_series_are_drawn_per_month_from_the_rollup(evaluation, demo_db_path):
    at = evaluation(demo_db_path, edition="1")
    assert not at.exception
    assert any(h.value == "Mesures dans le temps" for h in at.header)
    con = db.connect(demo_db_path)
    try:
        raw = db.fetch_value(con, "SELECT count(*) FROM indicator_values JOIN projects USING (project_id)"
                                  " WHERE edition_id = 1")
    finally:
        con.close()
    per_month = next(df for df in tables(show_chart_data(at), "projets mesurés"))
    assert per_month["mesures"].sum() == raw  # the roll-up loses no measurement
    cards = {shown(m.label): m.value for m in at.metric}
    assert cards["Mesures d'indicateurs publiées"].replace(NBSP, "").replace("\u00a0", "") == str(raw)


def test_reference_database_has_no_measurement_section(evaluation, reference_db_path):
    at = evaluation(reference_db_path)
    assert not any(h.value == "Mesures dans le temps" for h in at.header)
    assert any("Aucune valeur mesurée n'est publiée" in m.value for m in at.markdown)


def test_synthetic_projects_by_progress_and_what_is_to_complete(evaluation, demo_db_path):
    at = evaluation(demo_db_path, edition="1")
    assert not at.exception
    assert any(h.value == "Protocoles et avancement" for h in at.header)
    with db.connect(demo_db_path) as con:
        expected = programme.progress_by_project(con, Filters(edition=1))
        missing = programme.to_complete(con, Filters(edition=1))
        mean = kpis.compute(con, kpis.BY_ID["progress_mean"], Filters(edition=1))
    ranked = next(df for df in tables(at, "avancement moyen"))
    assert list(ranked["projet"]) == list(expected[expected["computable"] > 0]["project"])  # highest progress first
    cards = {shown(m.label): m.value for m in at.metric}
    assert cards["Avancement moyen vers les cibles"] == formatting.value(mean.value, "ratio", "fr")
    complete = next(df for df in tables(at, "manque"))
    assert len(complete) == len(missing) > 0


def test_reference_lists_every_followed_indicator_as_to_complete(evaluation, reference_db_path):
    at = evaluation(reference_db_path, edition="1")
    assert not at.exception
    assert any("Aucun projet de la vue n'a d'avancement calculable" in m.value for m in at.markdown)
    complete = next(df for df in tables(at, "manque"))
    assert len(complete) == 24 and set(complete["manque"]) == {"aucun protocole (à définir)"}
    assert any(m.value.startswith("19 projet(s) sans aucun protocole ; 24 indicateur(s)") for m in at.markdown)
    cards = {shown(m.label): m.value for m in at.metric}
    assert cards["Avancement moyen vers les cibles"] == "non renseigné"
    assert any(shown(c.value).startswith("non calculable : aucun protocole (à définir) pour 24 indicateurs")
               for c in at.caption)


@pytest.mark.parametrize("database", ["reference", "synthetic"])
def test_page_renders_for_every_edition_and_commune(evaluation, reference_db_path, demo_db_path, database):
    path = reference_db_path if database == "reference" else demo_db_path
    at = evaluation(path, edition="all")
    # Every commune of the reference; the first four of the synthetic edition 1 (keeps the test under 30 s).
    communes = [AULNAY, MEUDON, NOISY, SCEAUX] if database == "reference" else first_edition_communes(path)[:4]
    for edition, chosen in each_view(at, views(path, communes, commune_edition=1)):
        view = (database, edition, chosen)
        assert not at.exception, (view, at.exception)
        assert at.title[0].value == "Évaluation"
        assert [tab.label for tab in at.tabs] == TAB_LABELS, view  # the library does not depend on the view
        if database == "synthetic" and edition != 2 and not chosen:
            assert any("critères" in spec for spec in chart_specs(at)), view


def test_edition_2_of_the_reference_has_no_project_and_no_survey(evaluation, reference_db_path):
    at = evaluation(reference_db_path, edition="2")
    assert not at.exception
    infos = " ".join(i.value for i in at.info)
    assert "Aucun projet dans cette vue." in infos
    assert "Aucun résultat de questionnaire pour cette vue." in infos
