"""The dashboard's filters (edition, commune, défi) and their validation."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from . import db


@dataclass(frozen=True)
class Filters:
    """A view of the data. None means "all"."""

    edition: int | None = None
    commune: str | None = None  # INSEE code
    theme: str | None = None  # défi slug

    def params(self) -> dict:
        return {"edition": self.edition, "commune": self.commune, "theme": self.theme}

    def is_programme_wide(self) -> bool:
        return self.commune is None and self.theme is None


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


def resolve(con, edition=None, commune=None, theme=None) -> Filters:
    """Filters from what a user typed; raises UnknownFilterValue with the valid values."""
    return Filters(
        edition=resolve_edition(con, edition),
        commune=resolve_commune(con, commune),
        theme=resolve_theme(con, theme),
    )
