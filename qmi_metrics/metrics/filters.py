"""The dashboard's filters (edition, commune, défi) and their validation."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from qmi_metrics.store import db


@dataclass(frozen=True)
class Filters:
    """A view of the data. None means "all"."""

    edition: int | None = None
    communes: tuple[str, ...] = ()  # INSEE codes; empty = all
    themes: tuple[str, ...] = ()  # défi slugs; empty = all

    def params(self) -> dict:
        """The SQL parameters: $edition, and $commune / $theme as lists (NULL when empty)."""
        return {"edition": self.edition, "commune": list(self.communes) or None, "theme": list(self.themes) or None}

    def is_programme_wide(self) -> bool:
        return not self.communes and not self.themes


class UnknownFilterValue(ValueError):
    """A filter value the database does not know; carries the valid ones."""

    def __init__(self, kind: str, value, valid: list[str]):
        self.kind, self.value, self.valid = kind, value, valid
        names = {"edition": "Édition", "commune": "Commune", "theme": "Défi"}
        super().__init__(
            f"{names[kind]} inconnue : {value!r}. Valeurs possibles : {', '.join(valid)}"
            f" / Unknown {kind}: {value!r}. Valid values: {', '.join(valid)}"
        )


def normalise(text: str) -> str:
    """Compare names the way people type them: no accents, case, hyphens or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    for separator in "-'’ _.":
        plain = plain.replace(separator, "")
    return plain.strip()


def editions(con) -> list[dict]:
    return db.fetch_rows(con, "SELECT edition_id, label_fr, label_en, status FROM editions ORDER BY edition_id")


def communes(con, participating_only: bool = False) -> list[dict]:
    sql = """
        SELECT c.insee, c.name, c.departement, c.ept_name,
               list(ce.edition_id ORDER BY ce.edition_id) FILTER (WHERE ce.role = 'lauréate') AS editions
        FROM communes c LEFT JOIN commune_editions ce USING (insee)
        GROUP BY ALL
        HAVING NOT $participating_only OR count(ce.edition_id) FILTER (WHERE ce.role = 'lauréate') > 0
        ORDER BY c.name
    """
    return db.fetch_rows(con, sql, {"participating_only": participating_only})


def themes(con) -> list[dict]:
    return db.fetch_rows(con, "SELECT theme_slug, label_fr, label_en FROM themes ORDER BY rank")


def resolve_edition(con, value) -> int | None:
    if value in (None, ""):
        return None
    valid = [row["edition_id"] for row in editions(con)]
    try:
        edition = int(str(value).strip())
    except ValueError:
        edition = None
    if edition not in valid:
        raise UnknownFilterValue("edition", value, [str(v) for v in valid])
    return edition


def resolve_commune(con, value) -> str | None:
    """An INSEE code or a commune name (any case, accents optional) to an INSEE code."""
    if value in (None, ""):
        return None
    wanted = normalise(value)
    for row in communes(con):
        if wanted in (row["insee"], normalise(row["name"])):
            return row["insee"]
    participating = [row["name"] for row in communes(con, participating_only=True)]
    raise UnknownFilterValue("commune", value, participating + ["(ou toute commune de la Métropole / or any commune of the Métropole)"])


def resolve_theme(con, value) -> str | None:
    if value in (None, ""):
        return None
    wanted = normalise(value)
    for row in themes(con):
        if wanted in (normalise(row["theme_slug"]), normalise(row["label_fr"]), normalise(row["label_en"])):
            return row["theme_slug"]
    raise UnknownFilterValue("theme", value, [row["theme_slug"] for row in themes(con)])


def _many(value) -> list:
    if value in (None, ""):
        return []
    return [value] if isinstance(value, (str, int)) else list(value)


def resolve(con, edition=None, commune=None, theme=None) -> Filters:
    """Filters from what a user typed (one value or several); raises UnknownFilterValue with the valid values."""
    communes = [resolve_commune(con, value) for value in _many(commune)]
    themes = [resolve_theme(con, value) for value in _many(theme)]
    return Filters(
        edition=resolve_edition(con, edition),
        communes=tuple(dict.fromkeys(c for c in communes if c)),
        themes=tuple(dict.fromkeys(t for t in themes if t)),
    )
