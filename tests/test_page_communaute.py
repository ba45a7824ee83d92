"""Communauté: meetings and diagnostics (qmi_metrics.reads.community) and the page (AppTest, no browser)."""

from __future__ import annotations

import json
import re

import pytest
from helpers import app_test, show_chart_data, show_view, shown
from streamlit.testing.v1 import AppTest

from dashboard import registry
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.reads import community

# data/community_events.csv: one meeting in each commune of edition 1.
MEETINGS = {"92071": ("novembre 2023", 50), "93051": ("février 2024", 90), "92048": ("novembre 2024", 60),
            "93005": ("février 2025", 80)}


# --- the module ---------------------------------------------------------------------------------------------

def test_events_of_edition_1_in_date_order(reference_con):
    events = community.events(reference_con, Filters(edition=1))
    assert list(events["commune"]) == ["Sceaux", "Noisy-le-Grand", "Meudon", "Aulnay-sous-Bois"]
    assert list(events["participants"]) == [50, 90, 60, 80] and events["participants"].sum() == 280
    assert set(events["date_precision"]) == {"month"}
    assert events["source_quote"].str.contains("participants").all()
    assert community.events(reference_con, Filters(edition=2)).empty
    sceaux = community.events(reference_con, Filters(edition=1, communes=("92071",)))
    assert list(sceaux["participants"]) == [50]


def test_diagnostics_and_their_unknown_attendance(reference_con):
    diagnostics = community.diagnostics(reference_con, Filters(edition=1))
    assert len(diagnostics) == 14 and diagnostics["participants"].isna().all()
    assert diagnostics["insee"].isna().sum() == 2  # the walk of 4 April and the walk of 15 May 2023
    by_commune = community.diagnostics_by_commune(reference_con, Filters(edition=1, communes=("92071",)))
    assert list(by_commune["kind"]) == ["marche sensible", "entretiens", "atelier carte sur table"]
    assert list(by_commune["held"]) == [1, 1, 1] and list(by_commune["with_participants"]) == [0, 0, 0]
    assert community.diagnostics(reference_con, Filters(edition=2)).empty


def test_published_figures_in_the_order_asked(reference_con):
    figures = community.published_figures(reference_con, community.DIAGNOSTIC_FIGURES, edition=1)
    assert list(figures["figure_id"]) == list(community.DIAGNOSTIC_FIGURES)
    values = dict(zip(figures["figure_id"], figures["value"]))
    assert values["rapport_marche_sensible_moyenne"] == 11 and values["rapport_entretiens_moyenne"] == 2
    assert values["rapport_ateliers_moyenne"] == 11 and values["rapport_diagnostics_personnes"] == 410
    assert figures.set_index("figure_id").loc["rapport_diagnostics_personnes", "qualifier"] == "plus de"
    assert community.published_figures(reference_con, community.DIAGNOSTIC_FIGURES, edition=2).empty


def test_synthetic_diagnostics_have_participants(demo_con):
    diagnostics = community.diagnostics(demo_con, Filters())
    assert len(diagnostics) > 0 and diagnostics["participants"].notna().all()
    by_commune = community.diagnostics_by_commune(demo_con, Filters())
    assert by_commune["participants"].sum() == diagnostics["participants"].sum()


# --- the page ------------------------------------------------------------------------------------------------

def open_in_view(monkeypatch, db_path, edition=1, communes=()) -> AppTest:
    """The page drawn in a view (edition, communes), without exception."""
    at = app_test(monkeypatch, db_path).run()
    show_view(at.switch_page(registry.page("communaute").file), edition, communes)
    assert not at.exception, at.exception
    return at


def plain(text: str) -> str:
    """What the reader sees (Markdown escapes gone), no-break spaces as plain spaces, for readable expectations."""
    return shown(text).replace("\u00a0", " ").replace("\u202f", " ")


def number(text: str) -> int:
    """'280 personnes' or '280' -> 280."""
    return int(re.sub(r"\D", "", text))


def cards(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def card(at: AppTest, label_start: str) -> str:
    return next(value for label, value in cards(at).items() if label.startswith(label_start))


def bars(at: AppTest) -> dict:
    [chart] = [c for c in at.get("plotly_chart") if "Participants par rencontre" in c.proto.spec]
    trace = json.loads(chart.proto.spec)["data"][0]
    return dict(zip(trace["x"], trace["text"]))


def test_edition_1_shows_four_meetings_and_the_gap_with_the_report(monkeypatch, reference_db_path):
    at = open_in_view(monkeypatch, reference_db_path)
    assert number(card(at, "Rencontres de la Communauté")) == 4
    assert number(card(at, "Participants aux rencontres de la Communauté")) == 280
    # The report prints "+ 290": the note gives both figures and the four rows that sum to 280.
    [warning] = [plain(w.value) for w in at.warning if "290" in w.value]
    assert "plus de 290 personnes" in warning and "« + 290 PERSONNES" in warning and "diffère" in warning
    assert "280 personnes" in warning and "Sceaux 50 + Noisy-le-Grand 90 + Meudon 60 + Aulnay-sous-Bois 80" in warning
    assert bars(at) == {"novembre 2023<br>Sceaux": "50", "février 2024<br>Noisy-le-Grand": "90",
                        "novembre 2024<br>Meudon": "60", "février 2025<br>Aulnay-sous-Bois": "80"}
    assert any(plain(c.value) == "4 rencontres entre novembre 2023 et février 2025, de 50 à 90 personnes par rencontre, "
                          "280 personnes au total." for c in at.caption)


def test_edition_1_diagnostics_say_attendance_is_not_published(monkeypatch, reference_db_path):
    at = open_in_view(monkeypatch, reference_db_path)
    page = shown("\n".join(m.value for m in at.markdown))
    assert "nombre de participants connu pour 0 sur 14" in page
    assert "n'est pas publié : seules les moyennes et le total ci-dessous le sont" in page
    pivot = next(d.value for d in at.dataframe if "marche sensible" in d.value.columns)
    assert list(pivot["commune"]) == ["Aulnay-sous-Bois", "Meudon", "Noisy-le-Grand", "Sceaux", "commune non renseignée"]
    assert pivot.set_index("commune").loc["Sceaux", "entretiens"] == "1 · participants non renseignés"
    # The report's averages, each with its sentence.
    assert number(card(at, "Personnes mobilisées par marche sensible")) == 11
    assert number(card(at, "Acteurs clés rencontrés en entretien par ville")) == 2
    assert number(card(at, "Participants aux ateliers")) == 11
    assert number(card(at, "Personnes mobilisées ou sensibilisées aux diagnostics")) == 410
    quotes = "\n".join(plain(c.value) for c in at.caption)
    assert "« Chaque marche a donné lieu à une carte sensible « augmentée », et a mobilisé en moyenne 11 personnes. »" in quotes
    assert "**plus de** — « + 410 PERSONNES mobilisées ou sensibilisées aux diagnostics »" in quotes
    published = next(d.value for d in at.dataframe if "figure" in d.value.columns)
    assert len(published) == 5 and set(published["rapprochement"]) == {"non calculable"}
    assert at.download_button(key="diagnostics-publies-csv")
    assert show_chart_data(at).download_button(key="rencontres-data-csv")  # the meetings chart's data, once opened


def test_sceaux_shows_its_meeting_of_50(monkeypatch, reference_db_path):
    at = open_in_view(monkeypatch, reference_db_path, communes=["92071"])
    assert number(card(at, "Rencontres de la Communauté")) == 1
    assert number(card(at, "Participants aux rencontres de la Communauté")) == 50
    assert bars(at) == {"novembre 2023<br>Sceaux": "50"}
    assert any("« Sceaux NOVEMBRE 2023 CONFÉRENCE ET DÉMOSPACE 50 participants »" in c.value and "concorde" in c.value
               for c in at.caption)
    assert any("l'ensemble des villes de l'édition" in c.value for c in at.caption)


@pytest.mark.parametrize("insee", sorted(MEETINGS))
def test_each_commune_of_edition_1(monkeypatch, reference_db_path, insee):
    at = open_in_view(monkeypatch, reference_db_path, communes=[insee])
    month, participants = MEETINGS[insee]
    assert number(card(at, "Participants aux rencontres de la Communauté")) == participants
    [(label, text)] = bars(at).items()
    assert label.startswith(month) and text == str(participants)


@pytest.mark.parametrize("edition", [1, 2, "all"])
@pytest.mark.parametrize("database", ["reference_db_path", "demo_db_path"])
def test_every_edition_renders(monkeypatch, request, database, edition):
    at = open_in_view(monkeypatch, request.getfixturevalue(database), edition=edition)
    assert at.title[0].value == "Communauté"
    if database == "reference_db_path" and edition == 2:
        # No meeting row at all for edition 2: unknown, not « 0 » (Kpi.edition_rows)
        assert card(at, "Rencontres de la Communauté") == "non renseigné"
        assert any("Aucune rencontre" in i.value for i in at.info)
        assert any("Aucun chiffre publié sur les diagnostics" in m.value for m in at.markdown)
    if database == "demo_db_path":
        assert any("SYNTHÉTIQUES" in w.value for w in at.warning)
        # Synthetic diagnostics carry their attendance: the chart is drawn, with its data.
        assert any("Participants aux diagnostics" in c.proto.spec for c in at.get("plotly_chart"))
