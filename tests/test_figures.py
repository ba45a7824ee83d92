"""The charts the pages took out into qmi_metrics/present/figures.py, built from a few hand-written rows in French
and in English: their titles, labels and texts are there, in the reader's language, and data text is escaped."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from qmi_metrics.present import figures

LANGS = ("fr", "en")


def spec(figure) -> str:
    """Everything the figure carries (data and layout) as one searchable text."""
    return json.dumps(json.loads(figure.to_json()), ensure_ascii=False)


def in_lang(lang: str, fr: str, en: str) -> str:
    return en if lang == "en" else fr


@pytest.mark.parametrize("lang", LANGS)
def test_milestones(lang):
    dated = pd.DataFrame({
        "edition_id": [1, 1, 2], "planned": [False, False, True],
        "date_start": [dt.date(2023, 10, 26), dt.date(2024, 3, 1), dt.date(2025, 6, 1)],
        "date_end": [None, dt.date(2024, 9, 30), None], "date_precision": ["day", "month", "month"],
        "label_fr": ["Lauréats annoncés", "Expérimentations", "Appel <b>2</b>"],
        "label_en": ["Laureates announced", "Experimentations", "Call <b>2</b>"]})
    figure = figures.milestones(dated, lang)
    text = spec(figure)
    assert in_lang(lang, "Édition 1", "Edition 1") in text and in_lang(lang, "Édition 2", "Edition 2") in text
    assert in_lang(lang, "constaté", "observed") in text
    assert in_lang(lang, "prévu (calendrier annoncé)", "planned (announced calendar)") in text
    assert in_lang(lang, "Lauréats annoncés", "Laureates announced") in text
    assert in_lang(lang, "26 octobre 2023", "26 October 2023") in text
    assert "<b>" not in text  # a label is data: escaped for plotly
    assert figure.layout.height == 300


@pytest.mark.parametrize("lang", LANGS)
def test_breakdown(lang):
    frame = pd.DataFrame({"slug": ["energie", None], "label_fr": ["Énergie", "Non renseigné"],
                          "label_en": ["Energy", "Not available"], "projects": [3, 7], "share": [0.3, None]})
    figure = figures.breakdown(frame, figures.PALETTE[2], lang)
    [bar] = figure.data
    assert list(bar.y) == [in_lang(lang, "Énergie", "Energy"), in_lang(lang, "Non renseigné", "Not available")]
    assert list(bar.text) == [in_lang(lang, "3 (30\u202f%)", "3 (30%)"), "7"]  # no share when it is not known
    assert figure.layout.xaxis.title.text == in_lang(lang, "projets", "projects")
    assert bar.marker.color == figures.PALETTE[2]


@pytest.mark.parametrize("lang", LANGS)
def test_digital_split(lang):
    split = {"digital": 2, "not_digital": 6, "unknown": 4}
    figure = figures.digital_split(split, lang)
    [pie] = figure.data
    assert list(pie.labels) == [in_lang(lang, "Numérique", "Digital"), in_lang(lang, "Autres types", "Other types"),
                                in_lang(lang, "Non renseigné", "Not available")]
    assert list(pie.values) == [2, 6, 4]
    assert list(pie.text) == [in_lang(lang, "2 (25\u202f%)", "2 (25%)"), in_lang(lang, "6 (75\u202f%)", "6 (75%)"), "4"]
    # A part without projects is left out.
    assert [p[0] for p in figures.digital_parts({"digital": 0, "not_digital": 3, "unknown": 0}, lang)] == \
        [in_lang(lang, "Autres types", "Other types")]


@pytest.mark.parametrize("lang", LANGS)
def test_delay_histogram(lang):
    bins = pd.DataFrame({"start": [0, 6], "end": [6, 12], "projects": [4, 1]})
    figure = figures.delay_histogram(bins, lang)
    [bar] = figure.data
    assert list(bar.x) == [in_lang(lang, "0–6 mois", "0–6 months"), in_lang(lang, "6–12 mois", "6–12 months")]
    assert list(bar.y) == [4, 1]
    assert figure.layout.xaxis.title.text == in_lang(lang, "délai entre le début de l'accompagnement et le déploiement",
                                                     "time from the start of support to deployment")
    assert figure.layout.yaxis.title.text == in_lang(lang, "projets", "projects")


@pytest.mark.parametrize("lang", LANGS)
def test_indicator_matrix(lang):
    matrix = pd.DataFrame({"CO2 évité": ["✓", ""], "Usagers satisfaits": ["", "✓"]},
                          index=pd.Index(["Pelican", "Sol <i>x</i>"], name="project"))
    figure = figures.indicator_matrix(matrix, lang)
    [heatmap] = figure.data
    assert list(heatmap.x) == ["Pelican", "Sol &lt;i&gt;x&lt;/i&gt;"]
    assert list(heatmap.y) == ["CO2 évité", "Usagers satisfaits"]
    assert heatmap.customdata[0][0] == in_lang(lang, "suivi", "followed")
    assert heatmap.customdata[0][1] == in_lang(lang, "non suivi", "not followed")
    assert figure.layout.height == 180 + 26 * 2


@pytest.mark.parametrize("lang", LANGS)
def test_measurements_by_month(lang):
    frame = pd.DataFrame({"month": [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 8, 1)],
                          "domain": ["social", "environnemental", "social"], "measurements": [3, 5, 2]})
    figure = figures.measurements_by_month(frame, lang)
    # One series per domain, in the order of vocabulary.DOMAINS, each keeping its colour.
    assert [trace.name for trace in figure.data] == [in_lang(lang, "Environnemental", "Environmental"), "Social"]
    assert [trace.marker.color for trace in figure.data] == [figures.PALETTE[0], figures.PALETTE[1]]
    assert figure.layout.yaxis.title.text == in_lang(lang, "mesures", "measurements")
    assert in_lang(lang, "janv. 2024", "January 2024") in list(figure.layout.xaxis.ticktext)
    assert figure.layout.barmode == "stack"


@pytest.mark.parametrize("lang", LANGS)
def test_replicability_ranking(lang):
    frame = pd.DataFrame({"project": ["Pelican", "Solaire"], "commune": ["Sceaux", None],
                          "index_ratio": [0.75, 0.5], "criteria_scored": [4, 2], "criteria_total": [4, 4]})
    figure = figures.replicability_ranking(frame, lang)
    [bar] = figure.data
    assert list(bar.y) == ["Pelican (Sceaux)", "Solaire"]
    assert list(bar.text) == [in_lang(lang, "0,75 · 4/4 critères", "0.75 · 4/4 criteria"),
                              in_lang(lang, "0,50 · 2/4 critères", "0.50 · 2/4 criteria")]
    assert figure.layout.xaxis.title.text == in_lang(lang, "indice (0 à 1)", "index (0 to 1)")
    assert figure.layout.height == 140 + 26 * 2


@pytest.mark.parametrize("lang", LANGS)
def test_survey_ratios(lang):
    rows = pd.DataFrame({"edition_id": [1, 2], "value": [0.8, 0.45],
                         "label_fr": ["Tester une solution en conditions réelles", "Visibilité"],
                         "label_en": ["Test a solution in real conditions", "Visibility"]})
    figure = figures.survey_ratios(rows, several_editions=True, lang=lang)
    [bar] = figure.data
    assert bar.y[0] == in_lang(lang, "Éd. 1 · Tester une solution en conditions<br>réelles",
                               "Ed. 1 · Test a solution in real conditions")
    assert bar.y[1] == in_lang(lang, "Éd. 2 · Visibilité", "Ed. 2 · Visibility")
    assert list(bar.text) == [in_lang(lang, "80\u202f%", "80%"), in_lang(lang, "45\u202f%", "45%")]
    single = figures.survey_ratios(rows, several_editions=False, lang=lang)
    assert single.data[0].y[1] == in_lang(lang, "Visibilité", "Visibility")


@pytest.mark.parametrize("lang", LANGS)
def test_diagnostics_participants(lang):
    totals = pd.DataFrame({"commune": ["Sceaux", "Meudon", "Sceaux"],
                           "kind": ["marche sensible", "marche sensible", "atelier carte sur table"],
                           "participants": [12, 30, 8]})
    figure = figures.diagnostics_participants(totals, lang)
    assert [trace.name for trace in figure.data] == [in_lang(lang, "marche sensible", "sensory walk"),
                                                     in_lang(lang, "atelier « carte sur table »",
                                                             "“carte sur table” workshop")]
    walk, workshop = figure.data
    assert list(walk.y) == ["Sceaux", "Meudon"] and list(walk.text) == [12, 30]
    assert walk.marker.pattern.shape != workshop.marker.pattern.shape  # told apart without colour
    assert figure.layout.title.text == in_lang(lang, "Participants aux diagnostics, par commune et format",
                                               "Diagnostics participants, by commune and format")
    assert figure.layout.legend.title.text == "format"


@pytest.mark.parametrize("lang", LANGS)
def test_replicability_radar(lang):
    scored = pd.DataFrame({"label_fr": ["Coût maîtrisé", "Facilité d'installation", "Acceptabilité"],
                           "label_en": ["Controlled cost", "Ease of installation", "Acceptability"],
                           "score": [4.0, 2.5, 5.0]})
    figure = figures.replicability_radar(scored, lang)
    [radar] = figure.data
    labels = [in_lang(lang, "Coût maîtrisé", "Controlled cost"),
              in_lang(lang, "Facilité<br>d'installation", "Ease of installation"),  # wrapped: plotly does not
              in_lang(lang, "Acceptabilité", "Acceptability")]
    assert list(radar.theta) == [*labels, labels[0]]  # the line closes on the first criterion
    assert list(radar.text) == ["4", in_lang(lang, "2,5", "2.5"), "5", "4"]
    assert radar.hovertemplate.startswith("%{theta}" + in_lang(lang, " : ", ": "))
    assert figure.layout.polar.radialaxis.range == (0, 5)
