"""Sources et écarts: the findings told to an official (qmi_metrics.present.findings) and the page (AppTest)."""

from __future__ import annotations

import pytest
from helpers import open_page, show_view, shown

from qmi_metrics.metrics import kpis, reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import cards, findings

GROUP_TITLES = ["Les documents se contredisent", "Les données ne confirment pas", "Confirmé par les données",
                "Non vérifiable avec les données publiques"]


# --- the module ---------------------------------------------------------------------------------------------

def test_findings_are_grouped_in_the_reader_s_order_and_add_up(reference_con):
    found = findings.collect(reference_con, "fr", 1)
    assert [findings.group_title(g, "fr") for g in findings.GROUPS] == GROUP_TITLES
    assert [f.group for f in found] == sorted((f.group for f in found), key=findings.GROUPS.index)
    groups = findings.by_group(found)
    report = [r for r in reconcile.reconcile(reference_con) if r.figure.edition_id in (None, 1)]
    assert len(groups["contradiction"]) == len(reconcile.contradictions(reference_con, "fr", 1))
    for status in ("differs", "agrees", "not computable"):
        assert len(groups[status]) == sum(r.status == status for r in report), status
    assert findings.summary(found, "fr") == (
        f"{len(groups['contradiction'])} contradictions, {len(groups['differs'])} chiffres non confirmés, "
        f"{len(groups['agrees'])} chiffres confirmés, {len(groups['not computable'])} chiffres non vérifiables.")


def test_a_contradiction_reads_both_sentences_and_what_the_dashboard_shows(reference_con):
    found = {f.key: f for f in findings.collect(reference_con, "fr")}
    row = next(r for r in reconcile.contradictions(reference_con, "fr") if r["kind"] == "between_documents")
    finding = found[row["contradiction_id"]]
    assert finding.group == "contradiction" and finding.title == row["topic"]
    assert row["a"]["quote"] in finding.sentence and row["b"]["quote"] in finding.sentence
    assert finding.sentence.startswith(row["a"]["document_name"][:1].upper() + row["a"]["document_name"][1:])
    assert [p.quote for p in finding.passages] == [row["a"]["quote"], row["b"]["quote"]]
    assert finding.shown == row["shown"]
    english = {f.key: f for f in findings.collect(reference_con, "en")}[row["contradiction_id"]]
    assert " writes “" in english.sentence and english.title == reconcile.contradictions(reference_con, "en")[
        [r["contradiction_id"] for r in reconcile.contradictions(reference_con, "en")].index(row["contradiction_id"])]["topic"]


def test_the_participants_finding_says_280_counted_and_more_than_290_published(reference_con):
    finding = {f.key: f for f in findings.collect(reference_con, "fr", 1)}["rapport_communaute_personnes"]
    assert finding.group == "differs" and finding.kpi_id == "community_participants_total"
    assert "Les données donnent 280\xa0personnes" in finding.sentence and "plus de 290\xa0personnes" in finding.sentence
    assert finding.shown == "Le tableau de bord affiche 280\xa0personnes (calculé)."
    assert finding.page == "vue_ensemble"
    # The card leads to it: marked « écart » on every output, the finding's id attached.
    result = kpis.compute(reference_con, kpis.BY_ID["community_participants_total"], Filters(edition=1))
    card = cards.card(result)
    assert card.note.endswith(" · écart") and card.finding == "rapport_communaute_personnes"
    assert card.gap == ("écart : les données donnent 280\xa0personnes, le rapport « Retours d'expérimentations »"
                        " (2025) publie plus de 290\xa0personnes")
    assert finding in findings.about(findings.collect(reference_con, "fr", 1), card.finding)


def test_a_card_that_agrees_carries_no_gap(reference_con):
    result = kpis.compute(reference_con, kpis.BY_ID["communes_count"], Filters(edition=1))
    card = cards.card(result)
    assert card.gap == "" and "écart" not in card.note


# --- the page -----------------------------------------------------------------------------------------------

def test_the_page_opens_on_the_grouped_findings_then_the_full_tables(monkeypatch, reference_db_path):
    at = show_view(open_page(monkeypatch, reference_db_path, "sources", timeout=90), 1, [])
    assert not at.exception
    headers = [h.value for h in at.header]
    starts = [next(i for i, h in enumerate(headers) if h.startswith(title)) for title in GROUP_TITLES]
    assert starts == sorted(starts) and starts[-1] < headers.index("Pour les gestionnaires : les tableaux complets")
    assert [m.label for m in at.metric] == GROUP_TITLES
    texts = [shown(m.value) for m in at.markdown]
    assert any(t.startswith("Les données donnent 280\xa0personnes") for t in texts)
    # The managers' table: the human label first, the explanation next to it, the internal id last.
    figures = at.dataframe[-1].value
    assert list(figures.columns[:2]) == ["libellé", "explication"] and figures.columns[-1] == "identifiant"
    assert "rapport_communaute_personnes" in set(figures["identifiant"])


def test_a_card_s_gap_link_opens_its_finding_first(monkeypatch, reference_db_path):
    at = open_page(monkeypatch, reference_db_path, "sources", timeout=90, finding="rapport_communaute_personnes")
    at = show_view(at, 1, [])
    assert [s.value for s in at.subheader][0] == "L'écart signalé sur la carte"
    texts = [shown(m.value) for m in at.markdown if not m.value.startswith("<style>")][1:]  # after the intro
    # The report's own contradiction (four meetings adding up to 280) and the figure the data do not confirm.
    arrived = [t for t in texts[:6] if t.startswith("**")]
    assert "**Participants aux rencontres de la Communauté** — Les documents se contredisent" in arrived
    assert "**Personnes présentes aux Communautés des Expérimentateurs** — Les données ne confirment pas" in arrived
    assert any(t.startswith("Les données donnent 280\xa0personnes") for t in texts[:8])


@pytest.mark.parametrize("edition", [2, "all"])
def test_the_page_renders_for_the_other_views(monkeypatch, reference_db_path, edition):
    at = show_view(open_page(monkeypatch, reference_db_path, "sources", timeout=90), edition, [])
    assert not at.exception and [m.label for m in at.metric] == GROUP_TITLES
