"""French-first formatting of numbers, units and dates (`70 %`, `11 mois`, `26 octobre 2023`)."""

from __future__ import annotations

import datetime as dt
import math

from qmi_metrics.present.vocabulary import NOT_KNOWN

NARROW_NBSP = "\u202f"  # thousands separator and space before % in French typography
NBSP = "\u00a0"

MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
MONTHS_SHORT_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
SEASONS = {"fr": {3: "printemps", 6: "été", 9: "automne", 12: "hiver", 1: "hiver"},
           "en": {3: "spring", 6: "summer", 9: "autumn", 12: "winter", 1: "winter"}}

UNIT_WORDS = {
    "fr": {"months": ("mois", "mois"), "people": ("personne", "personnes"), "inhabitants": ("habitant", "habitants"),
           "years": ("an", "ans")},
    "en": {"months": ("month", "months"), "people": ("person", "people"), "inhabitants": ("inhabitant", "inhabitants"),
           "years": ("year", "years")},
}


def number(value: float | None, decimals: int = 0, lang: str = "fr") -> str:
    """1234.5 -> '1 234,5' in French (narrow no-break space), '1,234.5' in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_KNOWN[lang]
    text = f"{value:,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", NARROW_NBSP).replace(".", ",")
    return text


def _decimals(value: float, unit: str) -> int:
    if unit in ("ratio", "index"):
        return 0 if abs(value * 100 - round(value * 100)) < 0.05 else 1
    if unit in ("months", "score_10"):
        return 0 if float(value).is_integer() else 1
    return 0 if float(value).is_integer() else 1


def value(value: float | None, unit: str, lang: str = "fr", decimals: int | None = None) -> str:
    """A KPI value with its unit: '70 %', '11 mois', '6/10', '1 234'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_KNOWN[lang]
    decimals = _decimals(value, unit) if decimals is None else decimals
    if unit == "ratio":
        sep = NARROW_NBSP if lang == "fr" else ""
        return f"{number(value * 100, decimals, lang)}{sep}%"
    if unit == "index":
        return number(value, 2, lang)
    if unit == "score_10":
        return f"{number(value, decimals, lang)}/10"
    if unit == "euros":
        return f"{number(value, decimals, lang)}{NBSP}€" if lang == "fr" else f"€{number(value, decimals, lang)}"
    if unit in UNIT_WORDS[lang]:
        singular, plural = UNIT_WORDS[lang][unit]
        word = singular if abs(value) < 2 else plural
        return f"{number(value, decimals, lang)}{NBSP}{word}"
    if unit in ("kg", "m3"):
        return f"{number(value, decimals, lang)}{NBSP}{'m³' if unit == 'm3' else 'kg'}"
    return number(value, decimals, lang)


def date(day: dt.date | str | None, precision: str | None = "day", lang: str = "fr", short: bool = False) -> str:
    """A date at the precision its source gives: '26 octobre 2023', 'septembre 2024', 'été 2024', '2026'."""
    if day is None:
        return NOT_KNOWN[lang]
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    if precision == "year":
        return str(day.year)
    if precision == "season":
        return f"{SEASONS[lang].get(day.month, MONTHS[lang][day.month - 1])} {day.year}"
    month = MONTHS_SHORT_FR[day.month - 1] if short and lang == "fr" else MONTHS[lang][day.month - 1]
    if precision == "month":
        return f"{month} {day.year}"
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def date_range(start, end, precision: str | None, lang: str = "fr") -> str:
    if end is None:
        return date(start, precision, lang)
    joiner = " au " if lang == "fr" else " to "
    prefix = "du " if lang == "fr" else ""
    return f"{prefix}{date(start, precision, lang)}{joiner}{date(end, precision, lang)}"
