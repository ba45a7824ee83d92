"""Projets: the project-level reads of qmi_metrics.reads.projects against data/*.csv, and the page itself
(AppTest): the list, the search, the detail view opened from the address, on reference and synthetic data."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from helpers import each_view, first_edition_communes, open_page, show_chart_data, shown, views

from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import formatting, vocabulary
from qmi_metrics.reads import projects, queries
from qmi_metrics.store import db

AULNAY, MEUDON, NOISY, SCEAUX = "93005", "92048", "93051", "92071"


# --- qmi_metrics.reads.projects: one project, the list ------------------------------------------------------

def test_deployment_dates_keep_their_precision(reference_con):
    frame = projects.deployment_dates(reference_con, Filters(edition=1)).set_index("project_id")
    # data/project_events.csv: Purple deployed in November 2024, Source Urbaine in May 2024 (months),
    # Pelican tested during summer 2024 (a season, June to August); Wintics, EcoFlow, Evolukid, Kunagi undated.
    assert sorted(frame.index) == ["pelican", "purple", "source-urbaine"]
    assert frame.loc["purple", "deployment_date"].date() == dt.date(2024, 11, 1)
    assert frame.loc["purple", "deployment_precision"] == "month"
    assert frame.loc["pelican", "deployment_precision"] == "season"
    assert frame.loc["pelican", "deployment_date_end"].date() == dt.date(2024, 8, 31)
    assert list(projects.deployment_dates(reference_con, Filters(), "purple")["project_id"]) == ["purple"]
    assert projects.deployment_dates(reference_con, Filters(edition=1, communes=(NOISY,))).empty


def test_a_tie_keeps_the_most_precise_date(writable_reference):
    writable_reference.execute("""
        INSERT INTO project_events (event_id, project_id, kind, date_start, date_precision, source_id, basis)
        VALUES ('t-year', 'mube', 'deployed', DATE '2024-01-01', 'year', 'rapport_2025', 'stated'),
               ('t-day', 'mube', 'tested', DATE '2024-01-01', 'day', 'rapport_2025', 'stated')""")
    row = projects.deployment_dates(writable_reference, Filters(), "mube").iloc[0]
    assert row["deployment_precision"] == "day"


def test_list_with_deployment_dates(reference_con):
    view = Filters(edition=1)
    frame = projects.with_deployment_dates(queries.projects(reference_con, view), projects.deployment_dates(reference_con, view))
    assert len(frame) == 28
    by_id = frame.set_index("project_id")
    assert by_id.loc["purple", "deployment_date"] == dt.date(2024, 11, 1)
    assert by_id.loc["wintics-cityvision", "deployment_date"] is None  # deployed, but no date in the report
    assert by_id.loc["soy-pv", "deployment_precision"] is None


def test_search_ignores_case_and_accents(reference_con):
    frame = queries.projects(reference_con, Filters(edition=1))
    assert "Pelican" in set(projects.search(frame, "VÉLOS cargos")["name"])  # in the description
    assert list(projects.search(frame, "purple alternative")["name"]) == ["Purple"]  # operator, two words
    assert list(projects.search(frame, "eonsight")["name"]) == ["Digiponts92"]  # the platform its description names
    assert len(projects.search(frame, "  ")) == 28
    assert projects.search(frame, "zzz introuvable").empty


def test_one_projects_sites_indicators_and_replicability(reference_con):
    assert projects.exists(reference_con, "purple") and not projects.exists(reference_con, "nope")
    assert not projects.exists(reference_con, None)
    sites = projects.sites(reference_con, "purple")
    assert list(sites["site_id"]) == ["aulnay-parking-centre-administratif"]
    assert sites["precision"].iloc[0] == "approximate" and sites["commune"].iloc[0] == "Aulnay-sous-Bois"
    indicators = projects.indicators(reference_con, "source-urbaine")
    assert len(indicators) == 2  # data/project_indicators.csv
    assert (indicators["values_count"] == 0).all()  # the report publishes no measurement
    assert projects.indicator_values(reference_con, "source-urbaine").empty
    scores = projects.replicability(reference_con, "purple")
    assert len(scores) == 5 and scores["score"].isna().all()  # the five criteria, none scored
    assert list(scores["rank"]) == [1, 2, 3, 4, 5]
    assert projects.sites(reference_con, "soy-pv").empty


def test_synthetic_series_and_scores(demo_con):
    project_id = db.fetch_value(demo_con, "SELECT min(project_id) FROM replicability_scores")
    scores = projects.replicability(demo_con, project_id)
    raw = db.fetch_df(demo_con, "SELECT criterion_id, score FROM replicability_scores WHERE project_id = $p",
                      {"p": project_id})
    assert dict(zip(scores["criterion_id"], scores["score"])) == dict(zip(raw["criterion_id"], raw["score"]))
    indicators = projects.indicators(demo_con, project_id)
    values = projects.indicator_values(demo_con, project_id)
    assert indicators["values_count"].sum() == len(values) > 0
    latest = values.sort_values("measured_on").groupby("indicator_id").last()
    for row in indicators.itertuples():
        if row.values_count:
            assert row.last_value == pytest.approx(latest.loc[row.indicator_id, "value"])


# --- the page -------------------------------------------------------------------------------------

@pytest.fixture
def projets(monkeypatch):
    return lambda db_path, **url: open_page(monkeypatch, db_path, "projets", **url)


def project_table(at) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "fiche" in df.value.columns)


def test_list_of_edition_1_and_of_meudon(projets, reference_db_path):
    at = projets(reference_db_path)
    assert not at.exception
    table = project_table(at)
    assert len(table) == 28
    rows = table.set_index("identifiant")
    assert rows.loc["purple", "déploiement"] == "novembre 2024"
    assert rows.loc["purple", "statut"] == "● déployé"
    assert rows.loc["purple", "délai (mois)"] == pytest.approx(17.1)
    assert rows.loc["pelican", "déploiement"] == "été 2024"
    assert rows.loc["wintics-cityvision", "déploiement"] == "non renseigné"
    assert rows.loc["soy-pv", "porteur"] == "non renseigné"
    assert rows.loc["digiponts92", "porteur"] == "non renseigné"  # « La plate-forme eOnsight » names a product
    # The line's basis: the weakest of the row, its status and its delay, each rule under the list.
    assert rows.loc["purple", "base"] == "inféré"  # its start is the programme's milestone; its défi, the press's
    assert rows.loc["ecoflow", "base"] == "énoncé"  # « L'expérimentation a permis le test d'un hyperviseur »
    assert rows.loc["soy-pv", "base"] == "inféré"  # « accompagné » since June 2023: the milestone applied to each
    notes = "\n".join(shown(c.value) for c in at.caption)
    assert "Base : la plus faible de la ligne, de son statut et de son délai." in notes
    assert "- inféré : Jalon du programme (juin 2023, les 4 communes accueillent les 30 solutions) appliqué à chaque" \
           " projet" in notes
    assert rows.loc["purple", "fiche"].endswith("projet=purple") and "edition=1" in rows.loc["purple", "fiche"]
    assert at.download_button  # CSV and Excel of what is shown
    at.session_state["f_communes"] = [MEUDON]
    at.run()
    assert not at.exception
    meudon = project_table(at)
    assert len(meudon) == 7 and set(meudon["commune"]) == {"Meudon"}


def test_search_box_filters_the_list(projets, reference_db_path):
    at = projets(reference_db_path)
    at.text_input(key="project_search").input("vélos cargos").run()
    assert not at.exception
    assert list(project_table(at)["projet"]) == ["Pelican"]
    assert any(c.value.startswith("1 projet sur 28") for c in at.caption)


def test_search_box_finds_a_project_by_another_spelling(projets, reference_db_path):
    at = projets(reference_db_path)
    at.text_input(key="project_search").input("Pélican Cycles").run()  # the press release's spelling
    assert not at.exception
    assert list(project_table(at)["projet"]) == ["Pelican"]


def test_detail_shows_the_other_spellings_with_their_documents(projets, reference_db_path):
    at = projets(reference_db_path, projet="pelican")
    assert not at.exception
    spellings = [shown(c.value) for c in at.caption if c.value.startswith("Autres graphies")]
    assert spellings == ["Autres graphies : Pélican Cycles (le communiqué de presse du 26 octobre 2023) ;"
                         " Pelican Cycle, Pelican Train (le rapport « Retours d'expérimentations » (2025))"]
    at.session_state["lang"] = "en"
    english = at.run()
    assert not english.exception
    assert any(shown(c.value).startswith("Other spellings: Pélican Cycles (the press release of 26 October 2023)")
               for c in english.caption)
    assert not any(c.value.startswith("Autres graphies") for c in projets(reference_db_path, projet="soy-pv").caption)


def test_address_opens_purples_detail(projets, reference_db_path):
    at = projets(reference_db_path, projet="purple")
    assert not at.exception
    assert at.selectbox(key="projet_choice").value == "purple"
    assert [s.value for s in at.subheader][0] == "Purple"
    facts = shown(next(m.value for m in at.markdown if "**Déploiement**" in m.value))
    assert ("**Déploiement** : novembre 2024 (17,1\u00a0mois après le début de l'accompagnement, juin 2023)"
            " · délai inféré") in facts
    assert "**Défi** : Espaces publics et services urbains (source : Communiqué de presse" in facts
    assert "**Statut actuel** : ● déployé\n" in facts and "**Base de la fiche** : inféré" in facts
    assert any("inféré : Défi pris de la thématique sous laquelle le communiqué du 26 octobre 2023 cite le projet"
               in shown(c.value) for c in at.caption)
    texts = [m.value for m in at.markdown]
    assert "1 événement non daté : ○ sélectionné." in texts
    assert any("Répliquabilité : non noté" in t for t in texts)
    timeline = json.dumps([json.loads(el.proto.spec) for el in at.get("plotly_chart")], ensure_ascii=False)
    assert "novembre 2024" in timeline and "juin 2023" in timeline
    assert any("Son premier démonstrateur francilien" in t for t in texts)  # the lessons
    sites = next(df.value for df in at.dataframe if "site" in df.value.columns)
    assert list(sites["position"]) == ["approximative (≈ 300 m)"]
    assert list(sites["base"]) == ["inféré"]  # its coordinates are general knowledge, not the report's
    indicators = next(df.value for df in at.dataframe if "indicateur" in df.value.columns)
    assert list(indicators["dernière valeur"]) == ["aucune mesure publiée"]
    assert list(indicators["base"]) == ["modélisé"]
    assert any(shown(c.value).startswith("Unité et sens souhaité : modélisés") for c in at.caption)
    assert at.query_params["projet"] == "purple"


def test_picking_a_project_writes_the_address(projets, reference_db_path):
    at = projets(reference_db_path)
    assert at.selectbox(key="projet_choice").value is None  # nothing chosen yet: no detail
    at.selectbox(key="projet_choice").set_value("pelican").run()
    assert not at.exception
    assert at.query_params["projet"] == "pelican"
    facts = shown(next(m.value for m in at.markdown if "**Déploiement**" in m.value))
    assert "**Déploiement** : été 2024" in facts  # dated to a season: no delay in months


def test_unknown_project_gives_a_notice(projets, reference_db_path):
    at = projets(reference_db_path, projet="nope")
    assert not at.exception
    assert any("Projet inconnu : « nope »" in w.value for w in at.warning)
    assert at.selectbox(key="projet_choice").value is None
    assert len(project_table(at)) == 28


def test_project_outside_the_filters_still_opens(projets, reference_db_path):
    at = projets(reference_db_path, projet="purple", commune="Meudon")
    assert not at.exception
    assert at.selectbox(key="projet_choice").value == "purple"
    assert any("hors des filtres" in c.value for c in at.caption)


def test_synthetic_detail_draws_series_and_radar(projets, demo_db_path):
    with db.connect(demo_db_path) as con:
        project_id = db.fetch_value(con, """
            SELECT min(s.project_id) FROM replicability_scores s JOIN projects p USING (project_id)
            WHERE p.edition_id = 1""")
    at = projets(demo_db_path, projet=project_id)
    assert not at.exception
    kinds = [trace["type"] for el in at.get("plotly_chart") for trace in json.loads(el.proto.spec)["data"]]
    assert "scatterpolar" in kinds
    assert kinds.count("scatter") >= 2  # the timeline and at least one indicator series
    assert any(c.value.startswith("Note moyenne") for c in at.caption)


def test_synthetic_detail_shows_each_indicators_progress(projets, demo_db_path):
    """The project view draws one progress bar per indicator with a computable progress (its value, baseline,
    target, latest value and dates), says « non calculable » with the reason for the others."""
    with db.connect(demo_db_path) as con:
        project_id = db.fetch_value(con, """
            SELECT project_id FROM indicator_progress GROUP BY project_id
            HAVING count(progress) >= 1 AND count(*) > count(progress) ORDER BY project_id LIMIT 1""")
        rows = projects.progress(con, project_id).to_dict("records")
    at = projets(demo_db_path, projet=project_id)
    assert not at.exception
    bars = at.get("progress")
    computed = [row for row in rows if vocabulary.known(row["progress"])]
    assert len(bars) == len(computed) >= 1
    first = computed[0]
    assert bars[0].proto.value == int(first["progress"] * 100)  # st.progress keeps whole percents
    text = shown(bars[0].proto.text)
    assert text.startswith(formatting.value(first["progress"], "ratio", "fr") + " — départ") and "→ cible" in text
    assert "dernière valeur" in text and str(first["baseline_on"].year) in text
    assert len(computed) < len(rows) and any("non calculable" in shown(c.value) for c in at.caption)
    protocol_table = next(df.value for df in at.dataframe if "Avancement" in df.value.columns)
    assert len(protocol_table) == len(rows)


def test_reference_detail_says_every_protocol_is_to_be_defined(projets, reference_db_path):
    at = projets(reference_db_path, projet="source-urbaine")
    assert not at.exception
    assert not at.get("progress")  # no bar at 0 where nothing is known
    assert sum("non calculable : aucun protocole (à définir)" in shown(c.value) for c in at.caption) == 2
    protocol_table = next(df.value for df in at.dataframe if "Avancement" in df.value.columns)
    assert list(protocol_table["Protocole"]) == ["à définir", "à définir"]
    assert set(protocol_table["Départ → cible"]) == {"non renseigné → non renseigné"}


def test_empty_edition_says_so(projets, reference_db_path):
    at = projets(reference_db_path, edition="2")
    assert not at.exception
    assert any("Aucun projet dans cette vue" in i.value for i in at.info)


@pytest.mark.parametrize("database", ["reference", "synthetic"])
def test_page_renders_for_every_edition_and_commune(projets, reference_db_path, demo_db_path, database):
    path = reference_db_path if database == "reference" else demo_db_path
    at = projets(path)
    communes = [AULNAY, MEUDON, NOISY, SCEAUX] if database == "reference" else first_edition_communes(path)
    for edition, chosen in each_view(at, views(path, communes, commune_edition=1)):
        assert not at.exception, (database, edition, chosen, at.exception)
        assert at.title[0].value == "Projets"
        if database == "reference" and edition == 1 and chosen:
            expected = {AULNAY: 7, MEUDON: 7, NOISY: 8, SCEAUX: 6}[chosen[0]]
            assert len(project_table(at)) == expected
