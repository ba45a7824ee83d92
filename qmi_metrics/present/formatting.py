"""French-first formatting of numbers, units and dates (`70 %`, `11 mois`, `26 octobre 2023`), by Babel's
CLDR locales (fr_FR, en); the words around them (seasons, units, "du … au …") are the catalogue's."""

from __future__ import annotations

import datetime as dt
import functools
import math

from babel import dates, numbers

from qmi_metrics.present.i18n import _, _n, babel_locale
from qmi_metrics.present.vocabulary import not_known

NARROW_NBSP = "\u202f"  # thousands separator and space before % in French typography
NBSP = "\u00a0"


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


@functools.cache
def _symbols(lang: str) -> tuple[str, str, str]:
    """The locale's (group, decimal, minus) signs, from Babel's CLDR data. CLDR's French group separator is
    already U+202F."""
    symbols = babel_locale(lang).number_symbols["latn"]
    return symbols["group"], symbols["decimal"], symbols["minusSign"]


def number(value: float | None, decimals: int = 0, lang: str = "fr") -> str:
    """1234.5 -> '1 234,5' in French (narrow no-break space), '1,234.5' in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return not_known(lang)
    # The locale's signs on Python's own formatting: numbers.format_decimal parses its pattern on every call
    # (17 times slower, and a page formats thousands of numbers). Python rounds the float's exact binary value
    # (0.15 -> 0.1), as round() does in tables and tests.
    group, decimal, minus = _symbols(lang)
    text = f"{round(value, decimals):,.{decimals}f}"
    return text.translate({ord(","): group, ord("."): decimal, ord("-"): minus})


def _percent(value: float, decimals: int, lang: str) -> str:
    # The locale's percent pattern (where the sign goes) with our decimals. CLDR's French puts a no-break
    # space U+00A0 before « % »; we keep the narrow one U+202F of French typography (Imprimerie nationale),
    # the same as the thousands separator, which the pages, sheets and PDF fonts already handle.
    pattern = babel_locale(lang).percent_formats[None].pattern.replace("#,##0", _pattern(decimals))
    if lang == "fr":
        pattern = pattern.replace(NBSP, NARROW_NBSP)
    return numbers.format_percent(round(value * 100, decimals) / 100, pattern, locale=babel_locale(lang))


def _euros(value: float, decimals: int, lang: str) -> str:
    # The locale's currency pattern ('1 234 €' with U+00A0 in French, '€1,234' in English, as before), whole
    # euros unless asked: CLDR's two cents digits are not shown. A negative amount now reads '-€5' (CLDR),
    # where the hand-made format wrote '€-5'.
    pattern = babel_locale(lang).currency_formats["standard"].pattern.replace("#,##0.00", _pattern(decimals))
    return numbers.format_currency(round(value, decimals), "EUR", pattern, currency_digits=False,
                                   locale=babel_locale(lang))


def unit_label(unit: str, lang: str = "fr") -> str | None:
    """The name of a unit in a label or a column heading ('mois', 'personnes'); None for a unit written as a sign."""
    if unit == "months":
        return _(lang, "mois")
    if unit == "people":
        return _(lang, "personnes")
    if unit == "inhabitants":
        return _(lang, "habitants")
    if unit == "years":
        return _(lang, "ans")
    return None


def _counted(unit: str, number_text: str, count: float, lang: str) -> str | None:
    # The number and its word, which agrees with the count by the language's plural rule. The no-break space
    # is part of the texts (as in CLDR's unit patterns): it keeps the two together, and the deck splits on it.
    if unit == "months":
        return _n(lang, "{n}\u00a0mois", "{n}\u00a0mois", count, n=number_text)
    if unit == "people":
        return _n(lang, "{n}\u00a0personne", "{n}\u00a0personnes", count, n=number_text)
    if unit == "inhabitants":
        return _n(lang, "{n}\u00a0habitant", "{n}\u00a0habitants", count, n=number_text)
    if unit == "years":
        return _n(lang, "{n}\u00a0an", "{n}\u00a0ans", count, n=number_text)
    return None


def _decimals(value: float, unit: str) -> int:
    if unit in ("ratio", "index"):
        return 0 if abs(value * 100 - round(value * 100)) < 0.05 else 1
    if unit in ("months", "score_10"):
        return 0 if float(value).is_integer() else 1
    return 0 if float(value).is_integer() else 1


def value(value: float | None, unit: str, lang: str = "fr", decimals: int | None = None) -> str:
    """A KPI value with its unit: '70 %', '11 mois', '6/10', '1 234'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return not_known(lang)
    decimals = _decimals(value, unit) if decimals is None else decimals
    if unit == "ratio":
        return _percent(value, decimals, lang)
    if unit == "index":
        return number(value, 2, lang)
    if unit == "score_10":
        return f"{number(value, decimals, lang)}/10"
    if unit == "euros":
        return _euros(value, decimals, lang)
    counted = _counted(unit, number(value, decimals, lang), value, lang)
    if counted is not None:
        return counted
    if unit in ("kg", "m3"):
        return f"{number(value, decimals, lang)}{NBSP}{'m³' if unit == 'm3' else 'kg'}"
    return number(value, decimals, lang)


def _season(month: int, lang: str) -> str | None:
    # CLDR has no seasons: they are words of the catalogue. A season is dated by its first month (winter also by January).
    if month == 3:
        return _(lang, "printemps")
    if month == 6:
        return _(lang, "été")
    if month == 9:
        return _(lang, "automne")
    if month in (12, 1):
        return _(lang, "hiver")
    return None


def date(day: dt.date | str | None, precision: str | None = "day", lang: str = "fr", short: bool = False) -> str:
    """A date at the precision its source gives: '26 octobre 2023', 'septembre 2024', 'été 2024', '2026'."""
    if day is None:
        return not_known(lang)
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    if precision == "year":
        return str(day.year)
    locale = babel_locale(lang)
    if precision == "season":
        season = _season(day.month, lang)
        return f"{season} {day.year}" if season else dates.format_date(day, "LLLL y", locale=locale)
    if precision == "month":
        return dates.format_date(day, "MMM y" if short and lang == "fr" else "LLLL y", locale=locale)
    # Day, month, year in every language: CLDR's English long date is 'October 26, 2023', we keep
    # '26 October 2023' as before. Short months ('janv.') only in French, English keeps full names as before.
    # CLDR has no '1er': French typography writes the first day of a month as an ordinal.
    month = "MMM" if short and lang == "fr" else "MMMM"
    first = lang == "fr" and day.day == 1
    return dates.format_date(day, f"'1er' {month} y" if first else f"d {month} y", locale=locale)


def date_range(start, end, precision: str | None, lang: str = "fr") -> str:
    if end is None:
        return date(start, precision, lang)
    return _(lang, "du {start} au {end}", start=date(start, precision, lang), end=date(end, precision, lang))
