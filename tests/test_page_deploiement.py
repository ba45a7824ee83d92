"""Déploiement: qmi_metrics.reads.projects' deployment aggregates against counts made by hand from
data/project_events.csv and data/projects.csv, and the page itself (AppTest) on the reference and
synthetic databases for every edition and commune."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from helpers import each_view, first_edition_communes, open_page, show_chart_data, shown, views

from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.reads import projects
from qmi_metrics.store import db

DATA = Path(__file__).resolve().parent.parent / "data"
AULNAY, MEUDON, NOISY, SCEAUX = "93005", "92048", "93051", "92071"
NBSP = "\u202f"

# Months from June 2023 (support started, press release) to the month-precise deployments of the report:
# Purple in November 2024 (Aulnay), Source Urbaine in May 2024 (Sceaux). Pelican's test is dated to a
# season (summer 2024): it measures no delay.
PURPLE_MONTHS = (dt.date(2024, 11, 1) - dt.date(2023, 6, 1)).days / 30.4375      # 519 days ≈ 17.05
SOURCE_URBAINE_MONTHS = (dt.date(2024, 5, 1) - dt.date(2023, 6, 1)).days / 30.4375  # 335 days ≈ 11.01

# Edition 1 per commune: projects, outcome known, deployed, delay measured, rate, mean months.
# Deployed (or tested), none stopped: Purple (Aulnay); Pelican (Meudon); Wintics, EcoFlow, Evolukid
# (Noisy); Source Urbaine, Kunagi (Sceaux — Kunagi's app was « proposée en test »).
BY_COMMUNE_E1 = {
    AULNAY: (7, 1, 1, 1, 1.0, PURPLE_MONTHS),
    MEUDON: (7, 1, 1, 0, 1.0, None),
    NOISY: (8, 3, 3, 0, 1.0, None),
    SCEAUX: (6, 2, 2, 1, 1.0, SOURCE_URBAINE_MONTHS),
}
# Per défi: the défi is known for 4 projects (Purple, Végétalisation 2nde vie, Vytal, Pelican); the 24
# others share the « non renseigné » row (key None).
BY_THEME_E1 = {
    "espaces-publics": (1, 1, 1, 1, 1.0, PURPLE_MONTHS),
    "adaptation-climat": (1, 0, 0, 0, None, None),
    "flux-mobilites": (1, 1, 1, 0, 1.0, None),
    "economie-circulaire": (1, 0, 0, 0, None, None),
    None: (24, 5, 5, 1, 1.0, SOURCE_URBAINE_MONTHS),
}
COLUMNS = ("projects", "outcome_known", "deployed", "measured", "rate", "mean_months")


def as_dict(frame: pd.DataFrame) -> dict:
    def plain(value):
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
    return {(None if pd.isna(row["key"]) else row["key"]): tuple(plain(row[c]) for c in COLUMNS)
            for _, row in frame.iterrows()}


def assert_groups(frame: pd.DataFrame, expected: dict) -> None:
    got = as_dict(frame)
    assert set(got) == set(expected)
    for key, values in expected.items():
        assert got[key][:4] == values[:4], key
        for computed, wanted in zip(got[key][4:], values[4:]):
            assert (computed is None) == (wanted is None), key
            if wanted is not None:
                assert computed == pytest.approx(wanted), key


# --- qmi_metrics.reads.projects: deployment ---------------------------------------------------------------

def test_deployment_per_commune_of_edition_1(reference_con):
    frame = projects.deployment_by(reference_con, Filters(edition=1), "commune")
    assert_groups(frame, BY_COMMUNE_E1)
    assert list(frame["label_fr"]) == ["Aulnay-sous-Bois", "Meudon", "Noisy-le-Grand", "Sceaux"]


def test_deployment_per_theme_of_edition_1_keeps_the_unknown_row_last(reference_con):
    frame = projects.deployment_by(reference_con, Filters(edition=1), "theme")
    assert_groups(frame, BY_THEME_E1)
    assert frame["key"].iloc[-1] is None or pd.isna(frame["key"].iloc[-1])
    assert list(frame["key"][:-1]) == ["espaces-publics", "adaptation-climat", "flux-mobilites", "economie-circulaire"]


def events_from_csv() -> dict[str, list[dict]]:
    events: dict[str, list[dict]] = {}
    with open(DATA / "project_events.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            events.setdefault(row["project_id"], []).append(row)
    return events


def test_per_commune_counts_follow_the_csv_files(reference_con):
    """The same counts, recomputed from the text sources without SQL."""
    events = events_from_csv()
    with open(DATA / "projects.csv", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["edition_id"] == "1"]
    expected = {}
    for insee in {row["insee"] for row in rows}:
        ids = [row["project_id"] for row in rows if row["insee"] == insee]
        kinds = {pid: {e["kind"] for e in events.get(pid, [])} for pid in ids}
        deployed = sum(bool(k & {"deployed", "tested", "evaluated", "continued"}) for k in kinds.values())
        known = sum(bool(k & {"deployed", "tested", "evaluated", "continued", "stopped"}) for k in kinds.values())
        measured = sum(any(e["kind"] in ("deployed", "tested") and e["date_precision"] in ("day", "month")
                           for e in events.get(pid, [])) for pid in ids)
        expected[insee] = (len(ids), known, deployed, measured)
    got = {key: values[:4] for key, values in as_dict(
        projects.deployment_by(reference_con, Filters(edition=1), "commune")).items()}
    assert got == expected


def test_coverage_of_edition_1(reference_con):
    totals = projects.coverage(projects.deployment_by(reference_con, Filters(edition=1), "commune"))
    assert totals == {"projects": 28, "outcome_known": 7, "deployed": 7, "measured": 2,
                      "outcome_missing": 21, "date_missing": 5}


def test_commune_filter_and_empty_edition(reference_con):
    meudon = projects.deployment_by(reference_con, Filters(edition=1, communes=(MEUDON,)), "commune")
    assert_groups(meudon, {MEUDON: BY_COMMUNE_E1[MEUDON]})
    empty = projects.deployment_by(reference_con, Filters(edition=2), "theme")
    assert empty.empty
    assert projects.coverage(empty) == {"projects": 0, "outcome_known": 0, "deployed": 0, "measured": 0,
                                        "outcome_missing": 0, "date_missing": 0}
    with pytest.raises(ValueError):
        projects.deployment_by(reference_con, Filters(), "commune; DROP TABLE projects")


def test_groups_add_up_to_the_kpis_on_synthetic_data(demo_con):
    view = Filters(edition=1)
    totals = projects.coverage(projects.deployment_by(demo_con, view, "commune"))
    results = {r.id: r for r in kpis.compute_all(demo_con, view)}
    assert totals["outcome_known"] == results["deployment_rate"].covered
    assert totals["deployed"] / totals["outcome_known"] == pytest.approx(results["deployment_rate"].value)
    assert totals["measured"] == results["mean_deployment_months"].covered
    by_theme = projects.coverage(projects.deployment_by(demo_con, view, "theme"))
    assert by_theme == totals


def test_delays_of_edition_1(reference_con):
    frame = projects.delays(reference_con, Filters(edition=1))
    assert list(frame["name"]) == ["Source Urbaine", "Purple"]  # shortest first
    assert list(frame["deployment_months"]) == pytest.approx([SOURCE_URBAINE_MONTHS, PURPLE_MONTHS])
    assert projects.delays(reference_con, Filters(edition=1, communes=(MEUDON,))).empty


def test_delay_bins():
    bins = projects.delay_bins(pd.Series([1.0, 2.5, 3.0, 7.9, None]), width=3)
    assert list(bins["start"]) == [0, 3, 6]
    assert list(bins["end"]) == [3, 6, 9]
    assert list(bins["projects"]) == [2, 1, 1]  # 3.0 opens the second class; the empty value is ignored
    assert projects.delay_bins(pd.Series([], dtype=float)).empty
    assert list(projects.delay_bins(pd.Series([10.0, 20.0]), width=5)["projects"]) == [1, 0, 1]


def test_board_and_stages_reached_of_edition_1(reference_con):
    from qmi_metrics.reads import queries

    frame = queries.projects(reference_con, Filters(edition=1))
    board = projects.board(frame)
    assert board["deployed"] == ["EcoFlow", "Evolukid", "Kunagi", "Pelican", "Purple", "Source Urbaine",
                                 "Wintics Cityvision"]
    # « l'installation d'un hyperviseur … permettra … de continuer » announces a sequel: Wintics is not « poursuivi ».
    assert board["continued"] == [] and board["evaluated"] == [] and board["stopped"] == []
    assert len(board["selected"]) == 21  # every other project: only « accompagné » since June 2023
    assert projects.reached(frame) == {"deployed": 7, "evaluated": 0, "continued": 0, "stopped": 0}
    # Those 21 stand where they are by the programme's milestone applied to each: an inferred status.
    bases = frame.groupby("current_status")["status_basis"].agg(set).to_dict()
    assert bases["started"] == {"inferred"} and bases["deployed"] == {"stated"}


def test_board_sorts_numbers_naturally():
    frame = pd.DataFrame({"name": ["Projet 15", "Projet 5", "projet 2"], "current_status": ["stopped"] * 3})
    assert projects.board(frame)["stopped"] == ["projet 2", "Projet 5", "Projet 15"]


# --- the page -------------------------------------------------------------------------------------

@pytest.fixture
def deploiement(monkeypatch):
    return lambda db_path, **url: open_page(monkeypatch, db_path, "deploiement", **url)


def plotly_specs(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def texts(at) -> str:
    return shown("\n".join(e.value for e in [*at.markdown, *at.caption, *at.info, *at.warning]))


def test_page_on_the_reference_edition_1(deploiement, reference_db_path):
    at = deploiement(reference_db_path)
    assert not at.exception
    cards = {shown(m.label): m.value for m in at.metric}
    assert set(cards) == {"Taux de déploiement", "Délai moyen de déploiement", "Projets sélectionnés",
                          "Fiches évaluation produites"}
    everything = texts(at)
    assert "Issue connue (déployé ou arrêté) pour 7 projets sur 28 : 21 sans issue connue" in everything
    assert "pour 2 des 7 projets déployés : 5 sans date assez précise" in everything
    # The per-commune table, as computed by hand.
    table = next(df.value for df in at.dataframe if "commune" in df.value.columns).set_index("commune")
    assert table.loc["Sceaux", ["projets", "issue connue", "déployés", "délai mesuré"]].tolist() == [6, 2, 2, 1]
    assert table.loc["Noisy-le-Grand", ["projets", "issue connue", "déployés", "délai mesuré"]].tolist() == [8, 3, 3, 0]
    assert table.loc["Aulnay-sous-Bois", "délai moyen (mois)"] == pytest.approx(round(PURPLE_MONTHS, 1))
    assert pd.isna(table.loc["Meudon", "délai moyen (mois)"])
    assert (table["taux de déploiement (%)"] == 100).all()
    themes = next(df.value for df in at.dataframe if "défi" in df.value.columns).set_index("défi")
    assert themes.loc["Défi non renseigné", "projets"] == 24
    assert themes.loc["Défi non renseigné", "issue connue"] == 5
    # The chart's labels say n/N first; a rate on fewer than 5 known outcomes is not drawn (no full bar
    # reading "100 % deployed" for Aulnay's one known outcome), the défi chart's 5 of 24 is.
    specs = plotly_specs(at)
    bars = json.dumps(specs, ensure_ascii=False)
    assert "1/7 · trop peu pour un taux" in bars and "3/8 · trop peu pour un taux" in bars
    assert f"5/24 · 100{NBSP}%" in bars
    assert "0/1 · non renseigné" in bars  # Meudon: Pelican deployed, dated to a season only
    by_commune = next(spec["data"][0] for spec in specs if "1/7 · trop peu pour un taux" in spec["data"][0]["text"])
    assert by_commune["x"] == [0, 0, 0, 0]
    # The board and the delays.
    headers = [m.value for m in at.markdown if m.value.startswith("**")]
    assert "**● Déployés ou testés (7)**" in headers and "**➜ Poursuivis (0)**" in headers
    assert "**○ Sélectionnés, pas encore déployés (21)**" in headers
    assert "Délais connus pour 2 projets sur 28 : pas de distribution significative." in everything
    # Each delay runs from an inferred start: « inféré » beside the number, and the rule under the list.
    assert "Purple (Aulnay-sous-Bois) : 17,1\u00a0mois · inféré — juin 2023 → novembre 2024" in everything
    assert "inféré : Jalon du programme (juin 2023, les 4 communes accueillent les 30 solutions) appliqué à chaque projet" \
        in everything
    assert table.loc["Aulnay-sous-Bois", "base du délai"] == "inféré" and table.loc["Meudon", "base du délai"] == ""
    assert "17,1\u00a0mois · inféré" in bars  # the chart says it beside the number too
    assert "- Soy PV · inféré" in "\n".join(m.value for m in at.markdown)  # the board names an inferred stage
    assert not any("délai entre" in json.dumps(spec, ensure_ascii=False) for spec in plotly_specs(at))


def test_page_draws_the_histogram_on_synthetic_data(deploiement, demo_db_path):
    at = deploiement(demo_db_path)
    assert not at.exception
    histogram = [spec for spec in plotly_specs(at) if "délai entre" in json.dumps(spec, ensure_ascii=False)]
    assert len(histogram) == 1
    con = db.connect(demo_db_path)
    try:
        measured = db.fetch_value(con, "SELECT count(deployment_months) FROM f_projects(1, NULL, NULL)")
    finally:
        con.close()
    assert measured >= projects.MIN_DELAYS_FOR_HISTOGRAM
    assert any(c.value.startswith(f"{measured} délais mesurés sur ") for c in at.caption), [c.value for c in at.caption]


def test_empty_edition_says_so(deploiement, reference_db_path):
    at = deploiement(reference_db_path, edition="2")
    assert not at.exception
    assert any("Aucun projet dans cette vue" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_page_in_english(deploiement, reference_db_path):
    at = deploiement(reference_db_path)
    at.session_state["lang"] = "en"
    at.session_state["f_communes"] = [SCEAUX]
    at.run()
    assert not at.exception
    assert at.title[0].value == "Deployment"
    assert "Outcome known (deployed or stopped) for 2 of 6 projects" in texts(at)


@pytest.mark.parametrize("database", ["reference", "synthetic"])
def test_page_renders_for_every_edition_and_commune(deploiement, reference_db_path, demo_db_path, database):
    path = reference_db_path if database == "reference" else demo_db_path
    at = deploiement(path)
    communes = [AULNAY, MEUDON, NOISY, SCEAUX] if database == "reference" else first_edition_communes(path)
    for edition, chosen in each_view(at, views(path, communes, commune_edition=1)):
        assert not at.exception, (database, edition, chosen, at.exception)
        assert at.title[0].value == "Déploiement"
