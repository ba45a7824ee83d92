import datetime as dt

import pytest

from qmi_metrics.present import formatting


@pytest.mark.parametrize("value, unit, lang, expected", [
    (0.7, "ratio", "fr", "70\u202f%"),
    (0.7, "ratio", "en", "70%"),
    (8 / 28, "ratio", "fr", "28,6\u202f%"),
    (11, "months", "fr", "11\u00a0mois"),
    (1, "months", "en", "1\u00a0month"),
    (87599, "inhabitants", "fr", "87\u202f599\u00a0habitants"),
    (6, "score_10", "fr", "6/10"),
    (1234567, "count", "fr", "1\u202f234\u202f567"),
    (1234567, "count", "en", "1,234,567"),
    (None, "count", "fr", "non renseigné"),
    (None, "ratio", "en", "not available"),
])
def test_values(value, unit, lang, expected):
    assert formatting.value(value, unit, lang) == expected


@pytest.mark.parametrize("day, precision, lang, expected", [
    (dt.date(2023, 10, 26), "day", "fr", "26 octobre 2023"),
    (dt.date(2023, 10, 1), "day", "fr", "1er octobre 2023"),
    ("2024-09-01", "month", "fr", "septembre 2024"),
    ("2024-06-01", "season", "fr", "été 2024"),
    ("2026-01-01", "year", "fr", "2026"),
    (dt.date(2023, 10, 26), "day", "en", "26 October 2023"),
    (None, "day", "fr", "non renseigné"),
])
def test_dates(day, precision, lang, expected):
    assert formatting.date(day, precision, lang) == expected


def test_short_date():
    assert formatting.date(dt.date(2023, 10, 26), "day", "fr", short=True) == "26 oct. 2023"
