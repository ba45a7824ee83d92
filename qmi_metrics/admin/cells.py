"""One cell as a manager typed it → the value stored: texts, numbers (1 234,5), dates (JJ/MM/AAAA), yes/no, allowed
values or their French words. Formulas and control characters are refused with what was expected, in both languages."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time

from qmi_metrics.admin.columns import ALIASES
from qmi_metrics.metrics.filters import normalise


class CellError(ValueError):
    def __init__(self, expected_fr: str, expected_en: str):
        super().__init__(expected_fr)
        self.expected_fr, self.expected_en = expected_fr, expected_en


# A text that a spreadsheet would run as a formula if the value were exported again.
FORMULA = re.compile(r"^\s*(=|[+\-@]\s*(\(|[A-Za-z_][\w.]*\(|\$?[A-Za-z]{1,3}\$?\d+\b|[A-Za-z]+\||\d[\d\s.,]*[-+*/^]))")
SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]")
DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
DOTTED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
TRUE_WORDS = {"oui", "o", "vrai", "true", "yes", "y", "1", "x"}
FALSE_WORDS = {"non", "n", "faux", "false", "no", "0"}


# C0 control characters but tab, line feed and carriage return: openpyxl refuses to write them (every
# Excel export of a view holding one failed).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(raw) -> str:
    if isinstance(raw, bool):
        return "oui" if raw else "non"
    if isinstance(raw, float) and not math.isfinite(raw):
        raise CellError("un texte ou un nombre fini (pas un nombre infini ni NaN)",
                        "a text or a finite number (not an infinite number nor NaN)")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # 92048 typed into a number cell
    if isinstance(raw, datetime):
        raw = raw.date() if raw.time() == time(0) else raw
    if isinstance(raw, date):
        return raw.isoformat()
    text = str(raw)
    control = CONTROL.search(text)
    if control:
        code = f"U+{ord(control.group()):04X}"
        raise CellError(f"un texte sans caractère de contrôle (trouvé : {code}, position {control.start() + 1})",
                        f"a text without control characters (found: {code}, position {control.start() + 1})")
    return text.strip()


def check_text_length(text: str, limit: int | None) -> None:
    if limit is not None and len(text) > limit:
        raise CellError(f"un texte d'au plus {limit} caractères (celui-ci en a {len(text)})",
                        f"a text of at most {limit} characters (this one has {len(text)})")


class _NotFinite(CellError):
    pass


def _finite(number: float) -> float:
    if not math.isfinite(number):  # 1e400, a 400-digit number, an xlsx cell holding inf
        raise _NotFinite("un nombre fini (ni infini ni NaN, au plus 1,8 × 10^308)",
                        "a finite number (not infinite nor NaN, at most 1.8 × 10^308)")
    return number


def reject_formula_text(raw) -> None:
    if isinstance(raw, str) and FORMULA.match(raw):
        raise CellError("une valeur, pas une formule (une cellule commençant par =, +, - ou @ suivi d'une"
                        " formule est refusée)",
                        "a value, not a formula (a cell starting with =, +, - or @ followed by a formula is rejected)")


def parse_number(raw, percent_allowed: bool = False) -> float:
    """1234,5 / 1 234,5 (espaces insécables compris) / 1.234,5 / 0,35 / 35 % when allowed."""
    if isinstance(raw, bool):
        raise CellError("un nombre", "a number")
    if isinstance(raw, (int, float)):
        try:
            return _finite(float(raw))
        except OverflowError:  # an int past 1.8e308
            return _finite(math.inf)
    text = SPACES.sub("", str(raw))
    percent = text.endswith("%")
    if percent:
        if not percent_allowed:
            raise CellError("un nombre sans signe %", "a number without a % sign")
        text = text[:-1]
    if DOTTED_THOUSANDS.match(text):
        text = text.replace(".", "")
    if "," in text and "." in text:
        raise CellError("un nombre avec une virgule décimale (ex. 1 234,5)", "a number with a decimal comma (e.g. 1 234,5)")
    text = text.replace(",", ".")
    if not DECIMAL.match(text):
        raise CellError("un nombre (virgule décimale et espaces entre les milliers acceptés : 1 234,5)",
                        "a number (decimal comma and thousands spaces accepted: 1 234,5)")
    return _finite(float(text) / 100 if percent else float(text))


def parse_integer(raw) -> int:
    try:
        number = parse_number(raw)
    except _NotFinite:
        raise
    except CellError:
        raise CellError("un nombre entier (ex. 1 234)", "a whole number (e.g. 1 234)") from None
    if not number.is_integer():
        raise CellError("un nombre entier, sans décimales", "a whole number, without decimals")
    if abs(number) > 2**31 - 1:
        raise CellError("un nombre entier plus petit", "a smaller whole number")
    return int(number)


def parse_date(raw) -> date:
    if isinstance(raw, datetime):
        if raw.time() != time(0):
            raise CellError("une date sans heure", "a date without a time")
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        text = ""
    for pattern, order in ((r"^(\d{1,2})/(\d{1,2})/(\d{4})$", "dmy"), (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "ymd"),
                           (r"^(\d{4})-(\d{2})-(\d{2})[T ]00:00(:00)?$", "ymd"), (r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", "dmy")):
        found = re.match(pattern, text)
        if found:
            parts = [int(x) for x in found.groups()[:3]]
            day, month, year = parts if order == "dmy" else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                raise CellError("une date qui existe (JJ/MM/AAAA ou AAAA-MM-JJ)",
                                "a date that exists (DD/MM/YYYY or YYYY-MM-DD)") from None
    raise CellError("une date JJ/MM/AAAA ou AAAA-MM-JJ", "a date DD/MM/YYYY or YYYY-MM-DD")


def parse_boolean(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    word = normalise(str(raw)) if not isinstance(raw, (int, float)) else str(int(raw)) if float(raw).is_integer() else ""
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError("oui ou non", "yes or no (oui / non)")


PARSERS = {"VARCHAR": parse_text, "INTEGER": parse_integer, "DOUBLE": parse_number, "DATE": parse_date,
           "BOOLEAN": parse_boolean}


def parse_allowed(text: str, allowed: tuple[str, ...]) -> str:
    """One of the allowed values, typed exactly, without accents or case, or as its French word."""
    if text in allowed:
        return text
    wanted = normalise(text)
    for value in allowed:
        if wanted == normalise(value) or wanted in {normalise(a) for a in ALIASES.get(value, ())}:
            return value
    listed = ", ".join(allowed)
    raise CellError(f"une de ces valeurs : {listed}", f"one of: {listed}")
