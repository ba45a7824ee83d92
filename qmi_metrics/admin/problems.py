"""What is wrong with an imported file: one Problem per fault, located as the spreadsheet shows it, in French and
English, and the CLI's report of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

MAX_PROBLEMS = 10_000   # collected per file; a report beyond that says "more than"
SHOWN_PROBLEMS = 50     # lines a report prints before "… and N more errors"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, located as the spreadsheet shows it (the header is row 1)."""

    file: str
    row: int | None
    column: str | None
    value: Any
    expected_fr: str
    expected_en: str
    sheet: str | None = None

    def _place(self, lang: str) -> str:
        sheet, row, column = ("feuille", "ligne", "colonne") if lang == "fr" else ("sheet", "row", "column")
        parts = [self.file]
        if self.sheet:
            parts.append(f"{sheet} « {self.sheet} »" if lang == "fr" else f"{sheet} '{self.sheet}'")
        if self.row is not None:
            parts.append(f"{row} {self.row}")
        if self.column:
            parts.append(f"{column} « {self.column} »" if lang == "fr" else f"{column} '{self.column}'")
        return ", ".join(parts)

    def _value(self, lang: str) -> str:
        if (self.row is None and self.column is None) or (self.row == 1 and self.value is None):
            return ""  # a problem of the whole file, or of the header
        shown = readable(self.value)
        if lang == "fr":
            return " : valeur vide" if shown is None else f" : valeur « {shown} »"
        return ": empty value" if shown is None else f": value '{shown}'"

    @property
    def message_fr(self) -> str:
        return f"{self._place('fr')}{self._value('fr')} — {self.expected_fr}"

    @property
    def message_en(self) -> str:
        return f"{self._place('en')}{self._value('en')} — {self.expected_en}"

    @property
    def message(self) -> str:
        return f"{self.message_fr} / {self.message_en}"

    def as_dict(self) -> dict:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "value": readable(self.value), "expected_fr": self.expected_fr, "expected_en": self.expected_en,
                "message_fr": self.message_fr, "message_en": self.message_en}


def readable(value) -> str | None:
    """A cell as a person would read it: dates as JJ/MM/AAAA, long texts cut, control characters visible."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        value = value.date() if value.time() == time(0) else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return text if len(text) <= 80 else text[:77] + "…"


def report_lines(problems: list[Problem], limit: int = SHOWN_PROBLEMS, truncated: bool = False) -> list[str]:
    """At most `limit` messages, then how many more there are."""
    lines = [p.message for p in problems[:limit]]
    more = len(problems) - limit
    if more > 0 or truncated:
        more = max(more, 0)
        if truncated:
            lines.append(f"… et plus de {more} autres erreurs (l'analyse s'est arrêtée à {MAX_PROBLEMS})"
                         f" / … and more than {more} other errors (checking stopped at {MAX_PROBLEMS})")
        else:
            lines.append(f"… et {more} autres erreurs / … and {more} more errors")
    return lines
