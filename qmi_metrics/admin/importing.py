"""Managers' spreadsheets in: templates, reading (CSV, xlsx) and validation of a whole file.

Nothing here writes to the database: `publishing.publish_import` does, once `prepare` has found
no problem. The flow, for the CLI and the admin page alike:

    parsed = read_file(path_or_bytes, filename, table)   # never raises for a bad file
    problems = validate(con, parsed, table, mode)        # every problem of the file, in French and English
    publishing.publish_import(db_path, parsed, table, mode, by, source_name)

Values are only ever bound as SQL parameters or loaded from a registered frame: a cell holding
`'; DROP TABLE projects; --` is a string like any other.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import hashlib
import io
import math
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

import duckdb

from qmi_metrics.admin import xlsx_guard
from qmi_metrics.metrics.filters import normalise
from qmi_metrics.outputs.spreadsheet import neutralise, unneutralise
from qmi_metrics.store import db, loader

IMPORTABLE_TABLES = ("projects", "project_events", "candidatures", "indicator_values", "replicability_scores",
                     "community_events", "communes", "editions")
MODES = ("append", "upsert", "replace")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# What a file may hold, checked while reading so that a hostile file costs little (docs/IMPORT.md, « Limites »).
MAX_COLUMNS = 200                         # cells per row (the widest table has 13 columns)
MAX_CELLS = 2_000_000                     # cells per sheet or CSV (10 per row at MAX_ROWS)
SHORT_TEXT = 200                          # identifiers, codes, names, labels (the longest today: 125)
LONG_TEXT = 5000                          # descriptions, lessons, quotes (the longest today: 558)
XLSX_LIMITS = xlsx_guard.Limits(
    parts=1000,                           # members of the zip (a workbook has ~15)
    sheet_part_bytes=200 * 2**20,         # one sheet's XML, uncompressed (read as a stream)
    shared_strings_bytes=64 * 2**20,      # xl/sharedStrings.xml: openpyxl keeps every string
    other_part_bytes=10 * 2**20,          # styles, workbook…: parsed whole by openpyxl
    total_bytes=300 * 2**20,              # every member, uncompressed
    ratio=200,                            # uncompressed / compressed, for members over 1 MB
    rows=MAX_ROWS, columns=MAX_COLUMNS, cells=MAX_CELLS,
    text=LONG_TEXT)                       # the longest text any column accepts
MAX_PROBLEMS = 10_000   # collected per file; a report beyond that says "more than"
SHOWN_PROBLEMS = 50     # lines a report prints before "… and N more errors"
EXAMPLE_MARK = "EXEMPLE —"
COLUMNS_SHEET = "Colonnes"
REFERENCES_SHEET = "Références"
IMPORT_SOURCE_PREFIX = "import-"
PROVENANCE_COLUMNS = ("source_id", "source_section", "source_quote")

# --- problems ---------------------------------------------------------------------------------


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
        shown = _show(self.value)
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
                "value": _show(self.value), "expected_fr": self.expected_fr, "expected_en": self.expected_en,
                "message_fr": self.message_fr, "message_en": self.message_en}


def _show(value) -> str | None:
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


# --- the tables, from the schema --------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str       # VARCHAR, INTEGER, DOUBLE, DATE, BOOLEAN
    not_null: bool


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...]
    foreign_keys: tuple[tuple[str, str, str], ...]  # (column, referenced table, referenced column)
    checks: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def reference(self, column: str) -> tuple[str, str] | None:
        return next(((t, c) for col, t, c in self.foreign_keys if col == column), None)


@functools.cache
def _catalog() -> dict[str, TableSchema]:
    """Every table as schema.sql declares it, read from a fresh in-memory database."""
    con = duckdb.connect(":memory:")
    loader.create_schema(con)
    columns = db.fetch_rows(con, """
        SELECT table_name, column_name, data_type, is_nullable = 'NO' AS not_null
        FROM information_schema.columns WHERE table_schema = 'main'
          AND table_name IN (SELECT table_name FROM duckdb_tables())
        ORDER BY table_name, ordinal_position""")
    constraints = db.fetch_rows(con, """
        SELECT table_name, constraint_type, constraint_column_names AS columns, referenced_table,
               referenced_column_names AS referenced, expression
        FROM duckdb_constraints()""")
    con.close()
    catalog = {}
    for table in dict.fromkeys(row["table_name"] for row in columns):
        mine = [c for c in constraints if c["table_name"] == table]
        catalog[table] = TableSchema(
            name=table,
            columns=tuple(Column(r["column_name"], r["data_type"], r["not_null"]) for r in columns
                          if r["table_name"] == table),
            primary_key=next((tuple(c["columns"]) for c in mine if c["constraint_type"] == "PRIMARY KEY"), ()),
            unique=tuple(tuple(c["columns"]) for c in mine if c["constraint_type"] == "UNIQUE"),
            foreign_keys=tuple((c["columns"][0], c["referenced_table"], c["referenced"][0])
                               for c in mine if c["constraint_type"] == "FOREIGN KEY"),
            checks=tuple(c["expression"] for c in mine if c["constraint_type"] == "CHECK"),
        )
    return catalog


def table_schema(table: str) -> TableSchema:
    return _catalog()[table]


def schema_tables() -> dict[str, TableSchema]:
    return dict(_catalog())


def referencing(table: str) -> list[tuple[str, str, str]]:
    """(child table, child column, referenced column) for every foreign key pointing at `table`."""
    return [(child.name, column, ref_column) for child in _catalog().values()
            for column, ref_table, ref_column in child.foreign_keys if ref_table == table]


# --- what each column means (French), declared once -------------------------------------------


@dataclass(frozen=True)
class Doc:
    fr: str                                  # what the column holds, for the "Colonnes" sheet
    example: Any = None                      # the value of the template's example row
    allowed: tuple[str, ...] = ()            # the values its CHECK accepts
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None               # a regular expression the text must match
    pattern_fr: str = ""
    pattern_en: str = ""
    generated: bool = False                  # may be left empty: the import fills it in
    generated_fr: str = ""


# French words a manager may type for a stored value (matched without accents or case).
ALIASES = {
    "day": ("jour",), "month": ("mois",), "season": ("saison",), "year": ("année", "an"),
    "selected": ("sélectionné", "sélection"), "started": ("démarré", "démarrage", "lancé", "début"),
    "agreement_signed": ("convention signée", "convention"), "deployed": ("déployé", "déploiement"),
    "tested": ("testé", "test"), "evaluated": ("évalué", "évaluation"),
    "continued": ("poursuivi", "pérennisé", "prolongé"), "stopped": ("arrêté", "arrêt", "abandonné"),
}
PRECISIONS = ("day", "month", "season", "year")
EVENT_KINDS = ("selected", "started", "agreement_signed", "deployed", "tested", "evaluated", "continued", "stopped")

SOURCE_DOCS = {
    "source_id": Doc("Source de la ligne : identifiant d'une source de la table sources (ex. rapport_2025). Laissée"
                     " vide, la source est le fichier importé lui-même (enregistré dans sources avec son SHA-256).",
                     generated=True, generated_fr="vide = le fichier importé"),
    "source_section": Doc("Section ou titre du document source où figure l'information.", example=""),
    "source_quote": Doc("Phrase du document source, recopiée mot pour mot.", example=""),
}


def _provenance(*columns: str) -> dict[str, Doc]:
    return {column: SOURCE_DOCS[column] for column in columns}


DOCS: dict[str, dict[str, Doc]] = {
    "editions": {
        "edition_id": Doc("Numéro de l'édition du programme (1, 2, 3…).", example=3, minimum=1),
        "label_fr": Doc("Nom de l'édition en français.", example="3e édition"),
        "label_en": Doc("Nom de l'édition en anglais.", example="3rd edition"),
        "first_year": Doc("Première année de l'édition (lancement de l'appel aux communes).", example=2025,
                          minimum=2000, maximum=2100),
        "last_year": Doc("Dernière année de l'édition (fin des expérimentations) ; au moins la première année.",
                         example=2028, minimum=2000, maximum=2100),
        "status": Doc("Où en est l'édition.", example="à venir", allowed=("terminée", "en cours", "à venir")),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "communes": {
        "insee": Doc("Code INSEE de la commune (5 caractères, pas le code postal).", example="92048",
                     pattern=r"^(\d{5}|2[AB]\d{3})$", pattern_fr="un code INSEE de 5 caractères (ex. 92048)",
                     pattern_en="a 5-character INSEE code (e.g. 92048)"),
        "name": Doc("Nom officiel de la commune (unique).", example="Meudon"),
        "departement": Doc("Numéro du département (75, 92, 93, 94…).", example="92"),
        "ept_siren": Doc("SIREN de l'établissement public territorial (EPT) de la commune.", example="200057966"),
        "ept_name": Doc("Nom de l'établissement public territorial (EPT).", example="Grand Paris Seine Ouest"),
        "population": Doc("Population municipale INSEE (nombre entier > 0).", example=45748, minimum=1),
        "postcodes": Doc("Codes postaux de la commune, séparés par des espaces.", example="92190 92360"),
        "siren": Doc("SIREN de la commune.", example="219200482"),
        **_provenance("source_id"),
    },
    "projects": {
        "project_id": Doc("Identifiant du projet : court, en minuscules, sans espace (ex. faradae).",
                          example="mon-projet", pattern=r"^[a-z0-9][a-z0-9_-]*$",
                          pattern_fr="minuscules, chiffres, tirets, sans espace ni accent (ex. mon-projet)",
                          pattern_en="lower case, digits and hyphens, no spaces or accents (e.g. my-project)"),
        "edition_id": Doc("Édition du programme où le projet a été sélectionné.", example=2),
        "name": Doc("Nom du projet tel qu'il est publié.", example="Mon projet"),
        "operator": Doc("Porteur du projet (entreprise, association…).", example="Mon entreprise"),
        "insee": Doc("Commune d'expérimentation : code INSEE ou nom de la commune.", example="Meudon"),
        "family_slug": Doc("Famille de projets du rapport (identifiant ou libellé, ex. energie ou Énergie).",
                           example="energie"),
        "type_slug": Doc("Type de solution (identifiant ou libellé, ex. numerique ou NUMÉRIQUE).", example="numerique"),
        "subtype_fr": Doc("Second libellé imprimé après le type (ex. CITOYENNETÉ).", example=""),
        "theme_slug": Doc("Défi urbain prioritaire (identifiant ou libellé, ex. economie-circulaire).",
                          example="economie-circulaire"),
        "description_fr": Doc("Description du projet.", example="Ce que fait la solution, en une ou deux phrases."),
        "lessons_fr": Doc("Enseignements de l'expérimentation.", example=""),
        **_provenance("source_id", "source_section"),
    },
    "project_events": {
        "event_id": Doc("Identifiant de l'événement. Laissé vide : <projet>-<type> (ex. faradae-deployed), ce qui"
                        " met à jour le même événement à chaque import.", example="faradae-deployed",
                        generated=True, generated_fr="vide = <projet>-<type>"),
        "project_id": Doc("Projet concerné : identifiant (ex. faradae) ou nom du projet.", example="faradae"),
        "kind": Doc("Étape franchie par le projet (les mots français sont acceptés : déployé, arrêté…).",
                    example="deployed", allowed=EVENT_KINDS),
        "date_start": Doc("Date de l'étape (premier jour de la période si la date est au mois, à la saison ou à"
                          " l'année). Pas avant la première année de l'édition, pas dans le futur.",
                          example="01/02/2024"),
        "date_end": Doc("Fin de la période (pour un test sur une saison, par exemple) ; après la date de début.",
                        example=""),
        "date_precision": Doc("Précision de la date : obligatoire quand une date est donnée, vide sinon"
                              " (jour, mois, saison ou année sont acceptés).", example="month", allowed=PRECISIONS),
        **_provenance("source_id", "source_section"),
        "source_quote": Doc("Phrase du document source, recopiée mot pour mot.",
                            example="Installation mise en service en février 2024."),
    },
    "candidatures": {
        "candidature_id": Doc("Identifiant de la candidature (unique).", example="e2-aap-mon-projet"),
        "call_id": Doc("Appel concerné (identifiant de la table calls, ex. e2_aap_phase1).", example="e2_aap_phase1"),
        "applicant": Doc("Nom du candidat (porteur de projet ou commune).", example="Mon entreprise"),
        "insee": Doc("Commune concernée : code INSEE ou nom.", example="Sceaux"),
        "project_id": Doc("Projet issu de la candidature, s'il a été retenu (identifiant ou nom).", example=""),
        "theme_slug": Doc("Défi urbain visé (identifiant ou libellé).", example="flux-mobilites"),
        "is_international": Doc("Candidat venant de l'étranger (oui / non).", example="non"),
        "status": Doc("Issue de la candidature.", example="déposée", allowed=("déposée", "lauréate", "non retenue")),
        "submitted_on": Doc("Date de dépôt. Pas avant la première année de l'édition, pas dans le futur.",
                            example="15/01/2025"),
        **_provenance("source_id", "source_section"),
    },
    "indicator_values": {
        "project_id": Doc("Projet mesuré : identifiant ou nom.", example="faradae"),
        "indicator_id": Doc("Indicateur (identifiant ou libellé de la table indicators). Un indicateur en % se"
                            " saisit entre 0 et 1 ou avec le signe % (35 %) ; une note /10 entre 0 et 10.",
                            example="energie-partagee"),
        "measured_on": Doc("Date de la mesure. Pas avant la première année de l'édition, pas dans le futur.",
                           example="31/03/2024"),
        "value": Doc("Valeur mesurée, dans l'unité de l'indicateur (virgule décimale et espaces acceptés :"
                     " 1 234,5).", example="1 234,5"),
        "source_id": SOURCE_DOCS["source_id"],
    },
    "replicability_scores": {
        "project_id": Doc("Projet noté : identifiant ou nom.", example="faradae"),
        "criterion_id": Doc("Critère de répliquabilité (identifiant ou libellé de la table replicability_criteria).",
                            example="ampleur-deploiement"),
        "score": Doc("Note de 0 (nulle) à 5 (forte) ; les décimales sont acceptées (3,5).", example="3,5",
                     minimum=0, maximum=5),
        "scored_on": Doc("Date de la notation. Pas avant la première année de l'édition, pas dans le futur.",
                         example="30/06/2025"),
        "source_id": SOURCE_DOCS["source_id"],
    },
    "community_events": {
        "event_id": Doc("Identifiant de la rencontre (unique, ex. e2_communaute_2025_03_argenteuil).",
                        example="e2_communaute_2025_03_argenteuil"),
        "edition_id": Doc("Édition du programme.", example=2),
        "insee": Doc("Commune qui accueille la rencontre : code INSEE ou nom.", example="Argenteuil"),
        "date_start": Doc("Date de la rencontre. Pas avant la première année de l'édition, pas dans le futur.",
                          example="01/03/2025"),
        "date_precision": Doc("Précision de la date : obligatoire quand une date est donnée (jour, mois, saison,"
                              " année).", example="month", allowed=PRECISIONS),
        "format_fr": Doc("Format de la rencontre, en français.", example="Conférence et visite"),
        "format_en": Doc("Format de la rencontre, en anglais.", example="Conference and visit"),
        "participants": Doc("Nombre de participants (entier, 0 ou plus).", example=60, minimum=0),
        **_provenance("source_id", "source_section", "source_quote"),
    },
}

# Characters a text cell may hold, per column; any other text column: SHORT_TEXT. A cell longer than its
# column's limit is refused (a 104 MB name froze every reader's browser); so are C0 control characters.
TEXT_LIMITS = {
    "description_fr": LONG_TEXT, "lessons_fr": LONG_TEXT, "source_quote": LONG_TEXT,
    "source_section": 500,        # a section title, sometimes with its sub-section
}


def text_limit(table: str, column: str) -> int | None:
    """The most characters a cell of this column may hold (None: not a text column)."""
    if table_schema(table).column(column).sql_type != "VARCHAR":
        return None
    return TEXT_LIMITS.get(column, SHORT_TEXT)


# Referenced tables whose rows people name by a label rather than an identifier.
REFERENCE_LABELS = {
    "communes": ("name",), "projects": ("name",), "themes": ("label_fr", "label_en"),
    "project_families": ("label_fr", "label_en"), "solution_types": ("label_fr", "label_en"),
    "indicators": ("label_fr", "label_en"), "replicability_criteria": ("label_fr", "label_en"),
}
REFERENCE_NAMES = {  # what a referenced table holds: French, English, French feminine?
    "communes": ("commune", "commune", True), "projects": ("projet", "project", False),
    "editions": ("édition", "edition", True), "themes": ("défi", "challenge", False),
    "project_families": ("famille de projets", "project family", True),
    "solution_types": ("type de solution", "solution type", False), "indicators": ("indicateur", "indicator", False),
    "replicability_criteria": ("critère", "criterion", False), "calls": ("appel", "call", False),
    "sources": ("source", "source", True),
}


def _reference_name(table: str) -> tuple[str, str, bool]:
    return REFERENCE_NAMES.get(table, (table, table, False))

TYPE_LABELS = {
    "VARCHAR": ("texte", "text"),
    "INTEGER": ("nombre entier", "whole number"),
    "DOUBLE": ("nombre (virgule décimale et espaces acceptés : 1 234,5)", "number (decimal comma and spaces accepted: 1 234,5)"),
    "DATE": ("date JJ/MM/AAAA ou AAAA-MM-JJ", "date DD/MM/YYYY or YYYY-MM-DD"),
    "BOOLEAN": ("oui / non", "yes / no"),
}


def doc(table: str, column: str) -> Doc:
    return DOCS[table][column]


def is_required(table: str, column: str) -> bool:
    return table_schema(table).column(column).not_null and not doc(table, column).generated


def allowed_text(table: str, column: str) -> str:
    """What a cell may hold, in French, for the template's "Colonnes" sheet."""
    spec, documented = table_schema(table), doc(table, column)
    if documented.allowed:
        return ", ".join(f"{v} ({ALIASES[v][0]})" if v in ALIASES else v for v in documented.allowed)
    reference = spec.reference(column)
    if column == "source_id":
        return "une source existante (source_id de la table sources), ou vide"
    if reference:
        name, _, feminine = _reference_name(reference[0])
        label_columns = REFERENCE_LABELS.get(reference[0], ())
        labels = "" if not label_columns else " ou son nom" if label_columns[0] == "name" else " ou son libellé"
        article, existing = ("une", "existante") if feminine else ("un", "existant")
        return f"{article} {name} {existing} : {reference[1]} de la table {reference[0]}{labels}"
    bounds = []
    if documented.minimum is not None:
        bounds.append(f"au moins {documented.minimum:g}")
    if documented.maximum is not None:
        bounds.append(f"au plus {documented.maximum:g}")
    if (table, column) in PLAUSIBLE_MAXIMA:
        bounds.append(f"au plus {_grouped(PLAUSIBLE_MAXIMA[table, column], 'fr')} (valeur plausible)")
    if documented.pattern_fr:
        bounds.append(documented.pattern_fr)
    if text_limit(table, column):
        bounds.append(f"{text_limit(table, column)} caractères au plus")
    return ", ".join(bounds)


def column_descriptions(table: str) -> list[dict]:
    """One entry per column: what the "Colonnes" sheet and the docs say about it."""
    spec = table_schema(table)
    rows = []
    for column in spec.columns:
        documented = doc(table, column.name)
        required = "oui" if is_required(table, column.name) else (
            f"non ({documented.generated_fr})" if documented.generated else "non")
        rows.append({"colonne": column.name, "description": documented.fr, "type": TYPE_LABELS[column.sql_type][0],
                     "obligatoire": required, "valeurs possibles": allowed_text(table, column.name),
                     "exemple": _show(documented.example) or ""})
    return rows


# --- templates --------------------------------------------------------------------------------


def example_row(table: str) -> list:
    """The template's example row: its first cell starts with EXEMPLE — so the import skips it."""
    spec = table_schema(table)
    values = [doc(table, c.name).example for c in spec.columns]
    values[0] = f"{EXAMPLE_MARK} {values[0]}"
    return ["" if v is None else v for v in values]


def write_template(table: str, out: Path, con=None) -> list[Path]:
    """An empty template for a table: .xlsx (data + Colonnes sheets) or .csv (+ <name>.colonnes.csv).

    With a connection, the xlsx also lists the identifiers the foreign keys accept (Références)."""
    out = Path(out)
    if table not in IMPORTABLE_TABLES:
        raise ValueError(f"table non importable / table not importable: {table}")
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx_template(table, out, con)
        return [out]
    if suffix == ".csv":
        return _write_csv_template(table, out)
    raise ValueError("extension attendue : .xlsx ou .csv / expected extension: .xlsx or .csv")


def _write_csv_template(table: str, out: Path) -> list[Path]:
    # UTF-8 with BOM and ';': what French Excel opens in columns, accents intact.
    spec = table_schema(table)
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(spec.names)
        writer.writerow([neutralise(_show(v) or "") for v in example_row(table)])
    columns_path = out.with_name(out.stem + ".colonnes.csv")
    descriptions = column_descriptions(table)
    with columns_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(descriptions[0]), delimiter=";")
        writer.writeheader()
        writer.writerows({k: neutralise(v) for k, v in row.items()} for row in descriptions)
    return [out, columns_path]


def _write_xlsx_template(table: str, out: Path, con=None) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = table_schema(table)
    book = Workbook()
    sheet = book.active
    sheet.title = table
    sheet.append(list(spec.names))
    sheet.append([neutralise(v) for v in example_row(table)])
    sheet.freeze_panes = "A2"
    grey = PatternFill("solid", fgColor="EEEEEE")
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        header, example = sheet.cell(1, index), sheet.cell(2, index)
        header.font = Font(bold=True, color="FFFFFF" if is_required(table, column.name) else "000000")
        header.fill = PatternFill("solid", fgColor="1F4E79" if is_required(table, column.name) else "BDD7EE")
        header.comment = Comment(doc(table, column.name).fr, "QMI")
        example.font, example.fill = Font(italic=True, color="666666"), grey
        sheet.column_dimensions[letter].width = max(14, min(40, len(column.name) + 6))
        if column.sql_type == "VARCHAR":  # codes like 92048 stay text, not numbers (a column style: no empty cells)
            sheet.column_dimensions[letter].number_format = "@"
        documented = doc(table, column.name)
        if documented.allowed:
            validation = DataValidation(type="list", formula1='"' + ",".join(documented.allowed) + '"',
                                        allow_blank=True, showErrorMessage=False)
            validation.add(f"{letter}3:{letter}1000")
            sheet.add_data_validation(validation)
    sheet.cell(2, 1).comment = Comment("Ligne d'exemple : l'import l'ignore tant que la première cellule commence"
                                       f" par « {EXAMPLE_MARK} ». Remplacez-la ou laissez-la.", "QMI")
    _write_columns_sheet(book.create_sheet(COLUMNS_SHEET), table)
    if con is not None:
        _write_references_sheet(book.create_sheet(REFERENCES_SHEET), table, con)
    book.save(out)


def _write_columns_sheet(sheet, table: str) -> None:
    from openpyxl.styles import Alignment, Font

    descriptions = column_descriptions(table)
    sheet.append(list(descriptions[0]))
    for row in descriptions:
        sheet.append([neutralise(v) for v in row.values()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (18, 70, 28, 22, 50, 22)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.append([])
    sheet.append(["Dates : JJ/MM/AAAA ou AAAA-MM-JJ. Nombres : virgule décimale, espaces entre les milliers"
                  " (1 234,5). Les formules sont refusées : saisissez les valeurs."])


def _write_references_sheet(sheet, table: str, con) -> None:
    """The identifiers each foreign key accepts today, so a manager can copy them."""
    from openpyxl.styles import Font

    column_index = 1
    for column, ref_table, ref_column in table_schema(table).foreign_keys:
        if ref_table == "sources" and column == "source_id":
            continue
        labels = REFERENCE_LABELS.get(ref_table, ())[:1]
        select = ", ".join(quote_identifier(c) for c in (ref_column, *labels))
        rows = con.execute(f"SELECT {select} FROM {quote_identifier(ref_table)} ORDER BY 1").fetchall()
        sheet.cell(1, column_index, f"{column} ({ref_table})").font = Font(bold=True)
        for row_index, row in enumerate(rows, start=2):
            for offset, value in enumerate(row):
                sheet.cell(row_index, column_index + offset, neutralise(value))  # data text: never a formula
        column_index += len(labels) + 2


def quote_identifier(identifier: str) -> str:
    """An identifier from the schema catalog (never from a file), quoted for SQL."""
    return '"' + identifier.replace('"', '""') + '"'


# --- reading a file ---------------------------------------------------------------------------


@dataclass
class Row:
    number: int                 # as the spreadsheet shows it: the header is row 1
    values: dict[str, Any]      # header name -> cell value (None when empty)


@dataclass
class Parsed:
    filename: str
    table: str | None
    sheet: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    formulas: set = field(default_factory=set)      # (row, header) of cells holding an Excel formula
    problems: list[Problem] = field(default_factory=list)   # the file cannot be read as a table
    notices: list[str] = field(default_factory=list)        # "fr / en" remarks that are not errors
    sha256: str = ""
    size: int = 0
    file_format: str = ""

    def problem(self, expected_fr: str, expected_en: str, row=None, column=None, value=None) -> None:
        self.problems.append(Problem(self.filename, row, column, value, expected_fr, expected_en, self.sheet))


def read_file(source, filename: str | None = None, table: str | None = None) -> Parsed:
    """Read a CSV or xlsx file (a path, bytes or a binary file object, with its file name) into rows of raw cells.

    Never raises for a bad file: what makes it unreadable is in `parsed.problems`."""
    if hasattr(source, "read"):  # an uploaded file
        filename = filename or getattr(source, "name", None)
        source = source.read(MAX_FILE_BYTES + 1)
    path = None if isinstance(source, (bytes, bytearray, memoryview)) else Path(source)
    parsed = Parsed(filename=filename or (path.name if path else "fichier"), table=table)
    data = _load_bytes(parsed, source, path)
    if data is None:
        return parsed
    parsed.size, parsed.sha256 = len(data), hashlib.sha256(data).hexdigest()
    kind = _sniff_kind(parsed, data)
    if kind == "xlsx":
        _read_xlsx(parsed, data)
    elif kind == "csv":
        _read_csv(parsed, data)
    if not parsed.problems:
        _skip_example_rows(parsed)
    return parsed


# What a path that is not a regular file is, for the message (st_mode test, French, English).
_NOT_REGULAR = ((stat.S_ISDIR, "un dossier", "a directory"), (stat.S_ISFIFO, "un tube nommé (FIFO)", "a named pipe (FIFO)"),
                (stat.S_ISCHR, "un périphérique (caractères)", "a character device"),
                (stat.S_ISBLK, "un périphérique (blocs)", "a block device"), (stat.S_ISSOCK, "une socket", "a socket"))


def _too_large(parsed: Parsed, size: int, more: bool = False) -> None:
    megabytes, limit = size / 2**20, MAX_FILE_BYTES / 2**20
    over_fr, over_en = ("plus de ", "over ") if more else ("", "")
    parsed.problem(f"fichier trop volumineux : {over_fr}{megabytes:.1f} Mo (limite : {limit:.0f} Mo) ;".replace(".", ",")
                   + " découpez-le en plusieurs fichiers",
                   f"file too large: {over_en}{megabytes:.1f} MB (limit: {limit:.0f} MB); split it into several files")


def _read_path(parsed: Parsed, path: Path) -> bytes | None:
    """A regular file's bytes, at most MAX_FILE_BYTES + 1 read; anything else is named, never read or waited on."""
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once; fstat then says what was opened.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        parsed.problem(f"fichier introuvable : {path}", f"file not found: {path}")
        return None
    except PermissionError:
        parsed.problem(f"fichier illisible (accès refusé) : {path}", f"file cannot be read (permission denied): {path}")
        return None
    except OSError as error:
        parsed.problem(f"fichier illisible ({error.strerror}) : {path}", f"file cannot be read ({error.strerror}): {path}")
        return None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        kind_fr, kind_en = next(((fr, en) for test, fr, en in _NOT_REGULAR if test(mode)), ("autre chose", "something else"))
        parsed.problem(f"{path} n'est pas un fichier ordinaire : c'est {kind_fr} ; donnez le chemin d'un fichier"
                       " .xlsx ou .csv", f"{path} is not a regular file: it is {kind_en}; give the path of an .xlsx"
                       " or .csv file")
        return None
    with os.fdopen(descriptor, "rb", buffering=0) as handle:
        size = os.fstat(descriptor).st_size
        if size > MAX_FILE_BYTES:  # before reading a byte of it
            _too_large(parsed, size)
            return None
        os.set_blocking(descriptor, True)
        chunks, read = [], 0
        while read <= MAX_FILE_BYTES:  # the file may grow after the fstat
            chunk = handle.read(min(2**20, MAX_FILE_BYTES + 1 - read))
            if not chunk:
                break
            chunks.append(chunk)
            read += len(chunk)
    if read > MAX_FILE_BYTES:
        _too_large(parsed, read, more=True)
        return None
    return b"".join(chunks)


def _load_bytes(parsed: Parsed, source, path: Path | None) -> bytes | None:
    if path is None:
        if len(source) > MAX_FILE_BYTES:
            _too_large(parsed, len(source))
            return None
        data = bytes(source)
    else:
        data = _read_path(parsed, path)
        if data is None:
            return None
    if not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        parsed.problem("fichier vide", "empty file")
        return None
    return data


def _sniff_kind(parsed: Parsed, data: bytes) -> str | None:
    """What the bytes are, whatever the extension says."""
    extension = Path(parsed.filename).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        parsed.problem("classeur Excel 97-2003 (.xls) non pris en charge : enregistrez-le en .xlsx ou en CSV",
                       "Excel 97-2003 workbook (.xls) not supported: save it as .xlsx or CSV")
        return None
    if extension in (".xlsx", ".xlsm"):
        parsed.problem("ce fichier n'est pas un classeur Excel .xlsx valide", "this file is not a valid .xlsx workbook")
        return None
    if _looks_binary(data):
        parsed.problem("fichier binaire : ni un CSV (texte) ni un classeur Excel (.xlsx)",
                       "binary file: neither a CSV (text) nor an Excel workbook (.xlsx)")
        return None
    return "csv"


def _looks_binary(data: bytes) -> bool:
    head = data[:65536]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return b"\x00" in head or controls > len(head) / 100


def _decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"), else Windows-1252 (French Excel)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return data.decode("latin-1"), "latin-1"


def _header_key(text) -> str:
    return str(text or "").replace("\ufeff", "").strip().lower().replace(" ", "_")


def _sniff_delimiter(text: str, table: str | None) -> tuple[str, list[str]]:
    """The separator whose header names the most known columns (then gives the most columns)."""
    known = set(table_schema(table).names) if table in _catalog() else set()
    best = None
    for delimiter in (";", ",", "\t"):
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
        score = (sum(_header_key(h) in known for h in header), len(header))
        if best is None or score > best[0]:
            best = (score, delimiter, header)
    return best[1], best[2]


def _csv_too_wide(parsed: Parsed, text: str, delimiter: str) -> bool:
    """A record of more than MAX_COLUMNS fields, found before the csv module builds it (20 MB of ';')."""
    if text.count(delimiter) <= MAX_COLUMNS:
        return False
    d = re.escape(delimiter)
    # Quoted fields (a quote opening a field, as the csv module reads it) may hold separators and line breaks.
    unquoted = re.sub(rf'(?:\A|(?<=[{d}\r\n]))"(?:[^"]|"")*"?', "", text) if '"' in text else text
    wide = re.search(rf"(?:\A|(?<=[\r\n]))(?:[^\r\n{d}]*{d}){{{MAX_COLUMNS}}}", unquoted)
    if wide is None:
        return False
    row = len(re.findall(r"\r\n|\r|\n", unquoted[:wide.start()])) + 1
    parsed.problem(f"au plus {MAX_COLUMNS} colonnes par ligne : cette ligne en a davantage",
                   f"at most {MAX_COLUMNS} columns per row: this row has more", row=row, column=f"#{MAX_COLUMNS + 1}")
    return True


def _read_csv(parsed: Parsed, data: bytes) -> None:
    text, encoding = _decode(data)
    delimiter, header = _sniff_delimiter(text[:65536], parsed.table)  # the header line is enough
    parsed.file_format = f"csv ({encoding}, {'tab' if delimiter == chr(9) else delimiter})"
    if len(header) <= 1 and parsed.table in _catalog() and len(table_schema(parsed.table).columns) > 1:
        parsed.problem(
            f"toutes les valeurs sont dans une seule colonne (« {_show(header[0] if header else '')} ») :"
            " séparateur non reconnu ; enregistrez le fichier en « CSV (séparateur : point-virgule) »"
            " ou « CSV UTF-8 (délimité par des virgules) »",
            f"everything is in one column ('{_show(header[0] if header else '')}'): separator not recognised;"
            " save the file as CSV separated by semicolons or commas")
        return
    if _csv_too_wide(parsed, text, delimiter):
        return
    # A field may be as long as the file: _take_records refuses it with its row and column.
    previous = csv.field_size_limit(MAX_FILE_BYTES)
    try:
        _take_records(parsed, csv.reader(_lines(text), delimiter=delimiter))
    except csv.Error as error:
        parsed.problem(f"CSV illisible : {error}", f"unreadable CSV: {error}")
    finally:
        csv.field_size_limit(previous)


def _lines(text: str):
    """The text's lines, line ends kept, one at a time: io.StringIO would hold a second, wider copy of the file."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _xlsx_finding(parsed: Parsed, finding: xlsx_guard.Finding) -> None:
    column = None
    if finding.column:
        named = _header_key((finding.header or {}).get(finding.column))
        column = named or xlsx_guard.column_letters(finding.column)
    parsed.problems.append(Problem(parsed.filename, finding.row, column, finding.value, finding.fr, finding.en,
                                   finding.sheet or (finding.part if finding.row else None)))


def _read_xlsx(parsed: Parsed, data: bytes) -> None:
    from openpyxl import load_workbook

    # Sizes inside the archive, rows, cells, shared strings, number cells: checked before openpyxl reads any.
    findings = xlsx_guard.check(data, XLSX_LIMITS)
    for finding in findings:
        _xlsx_finding(parsed, finding)
    if findings:
        return
    try:
        # data_only=False: a formula stays a formula (rejected), it is never evaluated.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - whatever openpyxl trips on, the file is refused, never a traceback
        parsed.problem(f"classeur Excel illisible ({type(error).__name__})",
                       f"unreadable Excel workbook ({type(error).__name__})")
        return
    records, number = [], 0
    try:
        sheet = _data_sheet(book, parsed.table)
        parsed.sheet, parsed.file_format = sheet.title, "xlsx"
        sheet.reset_dimensions()  # a <dimension> of A1:XFD1048576 would pad every row to 16 384 cells
        for number, cells in enumerate(sheet.iter_rows(min_row=1), start=1):
            if number > MAX_ROWS + 1:
                parsed.problem(f"trop de lignes (plus de {MAX_ROWS})", f"too many rows (more than {MAX_ROWS})")
                return
            records.append([_xlsx_value(cell) for cell in cells])
    except Exception as error:  # noqa: BLE001 - a cell openpyxl cannot convert (bad shared-string index…)
        parsed.problem(f"classeur Excel illisible après la ligne {number} ({type(error).__name__})",
                       f"unreadable Excel workbook after row {number} ({type(error).__name__})")
        return
    finally:
        book.close()
    _take_records(parsed, records)


def _data_sheet(book, table: str | None):
    """The sheet named after the table, else the first one that is not the template's explanations."""
    names = {name.lower(): name for name in book.sheetnames}
    if table and table.lower() in names:
        return book[names[table.lower()]]
    for name in book.sheetnames:
        if name not in (COLUMNS_SHEET, REFERENCES_SHEET):
            return book[name]
    return book[book.sheetnames[0]]


class _Formula(str):
    """The text of a cell that holds a formula: kept only to be reported."""


def _xlsx_value(cell):
    # "f": a formula; "e": an error such as #N/A. Both are reported, never evaluated.
    if getattr(cell, "data_type", None) in ("f", "e"):
        return _Formula(str(cell.value))
    return cell.value


def _take_records(parsed: Parsed, records) -> None:
    """Header from the first record; one Row per non-empty record, numbered as the spreadsheet shows it.

    `records` may be a stream (the csv reader): read one at a time, stopped at the first limit passed."""
    records = iter(records)
    first = next(records, None)
    if not first or all(_is_blank(v) for v in first):
        parsed.problem("la première ligne doit contenir les noms des colonnes",
                       "the first row must hold the column names")
        return
    header = [_header_key(h) if not _is_blank(h) else "" for h in first]
    width = max(i + 1 for i, h in enumerate(header) if h)  # Excel often adds empty columns on the right
    header = header[:width]
    unnamed_with_values = set()
    cells = len(first)
    for number, record in enumerate(records, start=2):
        cells += len(record)
        if number > MAX_ROWS + 1 or cells > MAX_CELLS:  # empty rows count: 20 MB of line breaks is 20 M rows
            what_fr, what_en, limit = (("lignes", "rows", MAX_ROWS) if number > MAX_ROWS + 1
                                       else ("cellules", "cells", MAX_CELLS))
            parsed.problem(f"trop de {what_fr} : au plus {limit} (limite dépassée à la ligne {number})",
                           f"too many {what_en}: at most {limit} (limit passed on row {number})")
            return
        if all(_is_blank(v) for v in record):
            continue  # spreadsheets keep empty rows at the end
        if len(parsed.rows) >= MAX_ROWS:
            parsed.problem(f"trop de lignes (plus de {MAX_ROWS})", f"too many rows (more than {MAX_ROWS})")
            return
        long = next((i for i, v in enumerate(record) if isinstance(v, str) and len(v) > LONG_TEXT), None)
        if long is not None:  # before it is kept: the column's own limit is checked in validation
            name = header[long] if long < width and header[long] else f"#{long + 1}"
            parsed.problem(f"un texte d'au plus {LONG_TEXT} caractères (la plus longue des limites des colonnes) :"
                           f" celui-ci en a {len(record[long])}", f"a text of at most {LONG_TEXT} characters (the longest"
                           f" any column accepts): this one has {len(record[long])}", row=number, column=name,
                           value=record[long][:80])
            continue
        extra = [v for v in record[width:] if not _is_blank(v)]
        if extra:
            parsed.problem(f"{len(extra)} valeur(s) après la dernière colonne (« {header[-1]} ») : une valeur de trop,"
                           " ou un séparateur dans une valeur sans guillemets",
                           f"{len(extra)} value(s) after the last column ('{header[-1]}'): one value too many, or a"
                           " separator inside an unquoted value", row=number, value=extra[0])
            continue
        values = {}
        for index, name in enumerate(header):
            value = record[index] if index < len(record) else None
            if not name:
                if not _is_blank(value):
                    unnamed_with_values.add(index)
                continue
            if isinstance(value, _Formula):
                parsed.formulas.add((number, name))
            values[name] = None if _is_blank(value) else value
        parsed.rows.append(Row(number, values))
    for index in sorted(unnamed_with_values):
        parsed.problem("un nom de colonne : cette colonne a des valeurs mais pas d'en-tête",
                       "a column name: this column has values but no header", row=1, column=f"#{index + 1}")
    parsed.header = [h for h in header if h]


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _skip_example_rows(parsed: Parsed) -> None:
    kept = []
    for row in parsed.rows:
        first = next(iter(row.values.values()), None) if row.values else None
        if isinstance(first, str) and first.strip().startswith("EXEMPLE"):
            parsed.notices.append(f"ligne {row.number} ignorée : ligne d'exemple du modèle"
                                  f" / row {row.number} skipped: template example row")
            continue
        kept.append(row)
    parsed.rows = kept


# --- cell values ------------------------------------------------------------------------------


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


# --- validation -------------------------------------------------------------------------------


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed}


@dataclass
class Prepared:
    """A validated file: the complete rows to write, what they change, or the problems."""

    table: str
    mode: str
    records: list[dict] = field(default_factory=list)   # complete rows (every column), in file order
    counts: dict[str, Counts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    import_source: dict | None = None                   # the sources row recording the file, if used
    notices: list[str] = field(default_factory=list)
    truncated: bool = False
    warnings: list[Problem] = field(default_factory=list)  # accepted, but worth a look (docs/IMPORT.md)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Lookup:
    """Valid values of a foreign key, by identifier and, where people use them, by name."""

    def __init__(self, table: str, key_column: str, keys: list, labels: list[tuple]):
        self.table, self.key_column, self.keys = table, key_column, set(keys)
        self.by_name: dict[str, set] = {}
        for key, *names in labels:
            for name in (key, *names):
                if name is not None:
                    self.by_name.setdefault(normalise(str(name)), set()).add(key)

    def resolve(self, value):
        if value in self.keys:
            return value
        found = self.by_name.get(normalise(str(value)), set())
        if len(found) == 1:
            return next(iter(found))
        fr, en, feminine = _reference_name(self.table)
        if found:
            raise CellError(f"{fr} {'ambiguë' if feminine else 'ambigu'} : plusieurs correspondances ({', '.join(sorted(map(str, found)))}) ;"
                            " donnez l'identifiant", f"ambiguous {en}: several matches; give the identifier")
        close = difflib.get_close_matches(normalise(str(value)), list(self.by_name), n=1, cutoff=0.75)
        hint_fr = f" ; vouliez-vous dire « {sorted(self.by_name[close[0]])[0]} » ?" if close else ""
        hint_en = f"; did you mean '{sorted(self.by_name[close[0]])[0]}'?" if close else ""
        named = f" ({self.key_column}) ni un nom" if self.table in REFERENCE_LABELS else f" ({self.key_column})"
        raise CellError(
            f"{fr} {'inconnue' if feminine else 'inconnu'} : ni un identifiant{named} de la table {self.table}{hint_fr}",
            f"unknown {en}: not an identifier ({self.key_column}){' or a name' if self.table in REFERENCE_LABELS else ''}"
            f" in table {self.table}{hint_en}")


class _Context:
    """What the checks need from the current database: foreign keys, editions' first years, units."""

    def __init__(self, con, spec: TableSchema, import_source_id: str):
        self.lookups = {}
        for column, ref_table, ref_column in spec.foreign_keys:
            labels = REFERENCE_LABELS.get(ref_table, ()) if column != "source_id" else ()
            rows = con.execute(f"SELECT {', '.join(quote_identifier(c) for c in (ref_column, *labels))}"
                               f" FROM {quote_identifier(ref_table)}").fetchall()
            keys = [r[0] for r in rows] + ([import_source_id] if ref_table == "sources" else [])
            self.lookups[column] = _Lookup(ref_table, ref_column, keys, rows if labels else [])
        self.first_year = dict(con.execute("SELECT edition_id, first_year FROM editions").fetchall())
        self.project_edition = dict(con.execute("SELECT project_id, edition_id FROM projects").fetchall())
        self.call_edition = dict(con.execute("SELECT call_id, edition_id FROM calls").fetchall())
        self.indicator_unit = dict(con.execute("SELECT indicator_id, unit FROM indicators").fetchall())
        self.laureates = set(con.execute("SELECT edition_id, insee FROM commune_editions"
                                         " WHERE role = 'lauréate'").fetchall())
        self.today = datetime.now(timezone.utc).date()


def validate(con, parsed: Parsed, table: str, mode: str = "append") -> list[Problem]:
    """Every problem of the file against the current database; an empty list means it can be published."""
    return prepare(con, parsed, table, mode).problems


def import_source_id(parsed: Parsed) -> str:
    return f"{IMPORT_SOURCE_PREFIX}{parsed.sha256[:12]}"


def prepare(con, parsed: Parsed, table: str, mode: str = "append") -> Prepared:
    """Validate a parsed file and, when it is clean, compute the complete rows it writes and what changes."""
    prepared = Prepared(table=table, mode=mode, notices=list(parsed.notices))
    if table not in IMPORTABLE_TABLES or mode not in MODES:
        prepared.problems.append(Problem(parsed.filename, None, None, None,
                                         f"table importable attendue ({', '.join(IMPORTABLE_TABLES)}) et mode parmi"
                                         f" {', '.join(MODES)}",
                                         f"expected an importable table and a mode among {', '.join(MODES)}"))
        return prepared
    prepared.problems.extend(parsed.problems)
    if prepared.problems:
        return prepared
    spec = table_schema(table)
    checker = _Checker(con, parsed, spec, mode)
    prepared.problems = checker.run()
    prepared.warnings = checker.warnings
    prepared.truncated = checker.truncated
    if prepared.problems:
        return prepared
    prepared.records = checker.records
    prepared.counts = checker.counts
    if checker.uses_import_source:
        prepared.import_source = checker.import_source_row()
        if not con.execute("SELECT count(*) FROM sources WHERE source_id = $id",
                           {"id": prepared.import_source["source_id"]}).fetchone()[0]:
            prepared.counts = {"sources": Counts(added=1), **prepared.counts}
        else:
            prepared.import_source = None  # the same file was imported before: its source is there
    return prepared


class _Checker:
    """The checks of one file, in order: header, cells, keys, rows merged with the database, dependents."""

    def __init__(self, con, parsed: Parsed, spec: TableSchema, mode: str):
        self.con, self.parsed, self.spec, self.mode = con, parsed, spec, mode
        self.table = spec.name
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.truncated = False
        self.records: list[dict] = []
        self.record_rows: list[int] = []   # the spreadsheet row of each record
        self.counts: dict[str, Counts] = {}
        self.uses_import_source = False
        self.source_id = import_source_id(parsed)

    # -- reporting --
    def add(self, row, column, value, expected_fr, expected_en) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.truncated = True
            return
        self.problems.append(Problem(self.parsed.filename, row, column, value, expected_fr, expected_en,
                                     self.parsed.sheet))

    def add_error(self, row, column, value, error: CellError) -> None:
        self.add(row, column, value, error.expected_fr, error.expected_en)

    def add_warning(self, row, column, value, expected_fr, expected_en) -> None:
        if len(self.warnings) < MAX_PROBLEMS:
            self.warnings.append(Problem(self.parsed.filename, row, column, value, expected_fr, expected_en,
                                         self.parsed.sheet))

    def run(self) -> list[Problem]:
        self.check_header()
        if self.problems:
            return self.problems
        if not self.parsed.rows:
            self.add(None, None, None, "aucune ligne de données sous l'en-tête (la ligne d'exemple ne compte pas)",
                     "no data rows under the header (the example row does not count)")
            return self.problems
        self.context = _Context(self.con, self.spec, self.source_id)
        cells = [(row, self.convert_row(row)) for row in self.parsed.rows]
        if self.truncated:
            return self.sorted()
        keyed = self.check_keys(cells)
        existing = self.existing_rows([key for key, _, _ in keyed])
        self.merge(keyed, existing)
        for check in TABLE_CHECKS.get(self.table, ()):
            check(self)
        self.check_unique()
        if self.mode == "replace":
            self.check_dependents([key for key, _, _ in keyed])
        return self.sorted()

    def sorted(self) -> list[Problem]:
        order = {name: i for i, name in enumerate(self.spec.names)}
        return sorted(self.problems, key=lambda p: (p.row or 0, order.get(p.column, -1)))

    # -- header --
    @functools.cached_property
    def provided(self) -> list[str]:
        return [h for h in self.parsed.header if h in self.spec.names]

    def check_header(self) -> None:
        names, seen = self.spec.names, set()
        for header in self.parsed.header:
            if header in seen:
                self.add(1, header, header, "une seule colonne de ce nom", "a single column of that name")
            elif header not in names:
                self.add(1, header, header, f"colonne inconnue de la table {self.table} ; colonnes possibles :"
                         f" {', '.join(names)}", f"unknown column of table {self.table}; valid columns:"
                         f" {', '.join(names)}")
            seen.add(header)
        for column in names:
            if is_required(self.table, column) and column not in seen:
                self.add(1, column, None, "colonne obligatoire absente de l'en-tête",
                         "required column missing from the header")

    # -- cells --
    def convert_row(self, row: Row) -> dict:
        values = {}
        for column in self.provided:
            raw = row.values.get(column)
            if (row.number, column) in self.parsed.formulas:
                self.add(row.number, column, raw, "une valeur, pas une formule Excel : copiez puis collez les"
                         " valeurs (collage spécial)", "a value, not an Excel formula: copy and paste values only")
                values[column] = _INVALID
                continue
            try:
                values[column] = self.convert_cell(column, raw, row)
            except CellError as error:
                self.add_error(row.number, column, raw, error)
                values[column] = _INVALID
        return values

    def convert_cell(self, column: str, raw, row: Row):
        if _is_blank(raw):
            if is_required(self.table, column):
                raise CellError("une valeur : cette colonne est obligatoire", "a value: this column is required")
            return None
        raw = unneutralise(raw)  # our exports' ' before =, +, -, @: the text as it was
        reject_formula_text(raw)
        sql_type, documented = self.spec.column(column).sql_type, doc(self.table, column)
        if sql_type == "DOUBLE":
            value = parse_number(raw, percent_allowed=(self.table, column) == ("indicator_values", "value"))
        else:
            value = PARSERS[sql_type](raw)
        if sql_type == "VARCHAR" and not value:
            return None
        if sql_type == "VARCHAR":
            check_text_length(value, text_limit(self.table, column))
        if documented.allowed:
            value = parse_allowed(value, documented.allowed)
        if column in self.context.lookups:
            value = self.context.lookups[column].resolve(value)
        self.check_bounds(documented, value)
        check_plausible(self.table, column, value)
        return value

    @staticmethod
    def check_bounds(documented: Doc, value) -> None:
        if documented.minimum is not None and value < documented.minimum:
            raise CellError(f"une valeur d'au moins {documented.minimum:g}", f"a value of at least {documented.minimum:g}")
        if documented.maximum is not None and value > documented.maximum:
            raise CellError(f"une valeur d'au plus {documented.maximum:g}", f"a value of at most {documented.maximum:g}")
        if documented.pattern and not re.match(documented.pattern, str(value)):
            raise CellError(documented.pattern_fr, documented.pattern_en)

    # -- keys --
    def check_keys(self, cells: list[tuple[Row, dict]]) -> list[tuple[tuple, Row, dict]]:
        """(key, row, values) of the rows whose key is readable; a key twice in the file is an error."""
        seen: dict[tuple, int] = {}
        keyed = []
        for row, values in cells:
            self.fill_generated_key(values)
            key = tuple(values.get(c) for c in self.spec.primary_key)
            if any(v is None or v is _INVALID for v in key):
                if all(v is not _INVALID for v in key) and not self.problems_on(row.number):
                    self.add(row.number, self.spec.primary_key[0], None, "une valeur : la clé de la ligne est vide",
                             "a value: the row's key is empty")
                continue
            if key in seen:
                shown = " / ".join(_show(v) or "" for v in key)
                self.add(row.number, self.spec.primary_key[-1], shown,
                         f"une clé unique : « {shown} » figure déjà à la ligne {seen[key]}",
                         f"a unique key: '{shown}' is already on row {seen[key]}")
                continue
            seen[key] = row.number
            keyed.append((key, row, values))
        return keyed

    def problems_on(self, row_number: int) -> bool:
        return any(p.row == row_number for p in self.problems)

    def fill_generated_key(self, values: dict) -> None:
        # A project event named <project>-<kind>, as in data/project_events.csv: importing again updates it.
        if self.table == "project_events" and values.get("event_id") is None:
            project, kind = values.get("project_id"), values.get("kind")
            if project not in (None, _INVALID) and kind not in (None, _INVALID):
                values["event_id"] = f"{project}-{kind}"

    def existing_rows(self, keys: list[tuple]) -> dict[tuple, dict]:
        """The database's rows with the file's keys (the join runs in DuckDB: the table may be large)."""
        if not keys:
            return {}
        key_columns = self.spec.primary_key
        bound = [dict(zip(key_columns, key)) for key in keys]  # a list of structs, bound as one parameter
        join = " AND ".join(f"t.{quote_identifier(c)} = k.{quote_identifier(c)}" for c in key_columns)
        cursor = self.con.cursor()
        try:
            cursor.execute(f"SELECT t.* FROM {quote_identifier(self.table)} t"
                           f" JOIN (SELECT unnest($keys, recursive := true)) k ON {join}", {"keys": bound})
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, r)) for r in cursor.fetchall()]
        finally:
            cursor.close()
        return {tuple(r[c] for c in key_columns): r for r in rows}

    # -- complete rows --
    def merge(self, keyed: list[tuple[tuple, Row, dict]], existing: dict[tuple, dict]) -> None:
        counts = Counts()
        for key, row, values in keyed:
            old = existing.get(key)
            if old is not None and self.mode == "append":
                shown = " / ".join(_show(v) or "" for v in key)
                self.add(row.number, self.spec.primary_key[0], shown,
                         "une clé nouvelle : cette ligne existe déjà dans la base (mode append) ; importez avec"
                         " --mode upsert pour la mettre à jour",
                         "a new key: this row already exists in the database (append mode); import with"
                         " --mode upsert to update it")
                continue
            if any(v is _INVALID for v in values.values()):
                continue
            record = self.complete(values, old)
            if not self.check_row(row, record):
                continue
            if old is None:
                counts.added += 1
            elif record == old:
                counts.unchanged += 1
            else:
                counts.updated += 1
            self.records.append(record)
            self.record_rows.append(row.number)
        if self.mode == "replace":
            counts.removed = self.count_removed([k for k, _, _ in keyed])
        self.counts = {self.table: counts}

    def complete(self, values: dict, old: dict | None) -> dict:
        """Every column: the file's value, else (upsert) the database's, else NULL; provenance filled in."""
        keep_absent = old is not None and self.mode == "upsert"
        record = {c: values[c] if c in values else (old[c] if keep_absent else None) for c in self.spec.names}
        present = [c for c in PROVENANCE_COLUMNS if c in self.spec.names]
        if "source_id" in present and all(values.get(c) is None for c in present):
            # No provenance given: an unchanged row keeps its own; a new or changed one comes from this file
            # (an old quote does not back new values).
            data_columns = [c for c in self.spec.names if c not in present]
            if old is not None and all(record[c] == old[c] for c in data_columns):
                record.update({c: old[c] for c in present})
            else:
                record.update({c: None for c in present})
                record["source_id"] = self.source_id
                self.uses_import_source = True
        elif "source_id" in present:
            record.update({c: values.get(c) for c in present})  # provenance travels together
            if record["source_id"] is None:  # a quote without a source: the file is the source
                record["source_id"] = self.source_id
                self.uses_import_source = True
        return record

    def import_source_row(self) -> dict:
        return {"source_id": self.source_id, "kind": "import",
                "title": f"Import « {self.parsed.filename} » ({self.table})", "publisher": None,
                "published_on": datetime.now(timezone.utc).date().isoformat(), "file": self.parsed.filename,
                "note": f"SHA-256 {self.parsed.sha256}"}

    # -- rows against each other and the database --
    def check_row(self, row: Row, record: dict) -> bool:
        before = len(self.problems)
        for check in ROW_CHECKS.get(self.table, ()):
            check(self, row, record)
        self.check_dates(row, record)
        return len(self.problems) == before

    def edition_of(self, record: dict):
        if "edition_id" in record:
            return record["edition_id"]
        if record.get("project_id") is not None:
            return self.context.project_edition.get(record["project_id"])
        if record.get("call_id") is not None:
            return self.context.call_edition.get(record["call_id"])
        return None

    def check_dates(self, row: Row, record: dict) -> None:
        """No date before its edition's first year, none in the future."""
        first_year = self.context.first_year.get(self.edition_of(record)) if self.table != "editions" else None
        for column in (c.name for c in self.spec.columns if c.sql_type == "DATE"):
            value = record.get(column)
            if value is None:
                continue
            if first_year and value < date(first_year, 1, 1):
                self.add(row.number, column, value, f"une date à partir du 01/01/{first_year} (première année de"
                         " l'édition)", f"a date from 01/01/{first_year} (the edition's first year)")
            elif value > self.context.today:
                self.add(row.number, column, value, "une date passée ou d'aujourd'hui, pas dans le futur",
                         "a date in the past or today, not in the future")

    def check_unique(self) -> None:
        """UNIQUE columns (a commune's name): not twice in the file, not taken by another row of the database."""
        for columns in self.spec.unique:
            seen: dict[tuple, tuple] = {}
            for record, number in zip(self.records, self.record_rows):
                value, key = tuple(record[c] for c in columns), tuple(record[c] for c in self.spec.primary_key)
                if value in seen and seen[value][0] != key:
                    self.add(number, columns[0], value[0], f"une valeur unique : déjà celle de la ligne {seen[value][1]}",
                             f"a unique value: already that of row {seen[value][1]}")
                seen.setdefault(value, (key, number))
            if self.mode == "replace" or len(columns) != 1 or not seen:
                continue
            column, key_column = quote_identifier(columns[0]), quote_identifier(self.spec.primary_key[0])
            taken = dict(self.con.execute(
                f"SELECT {column}, {key_column} FROM {quote_identifier(self.table)}"
                f" WHERE {column} IN (SELECT unnest($values))", {"values": [v[0] for v in seen]}).fetchall())
            for (value,), (key, number) in seen.items():
                if value in taken and (taken[value],) != key:
                    self.add(number, columns[0], value, f"une valeur unique : déjà celle de {taken[value]} dans la base",
                             f"a unique value: already that of {taken[value]} in the database")

    def count_removed(self, keys: list[tuple]) -> int:
        total = self.con.execute(f"SELECT count(*) FROM {quote_identifier(self.table)}").fetchone()[0]
        return total - len(self.existing_rows(keys))

    def check_dependents(self, keys: list[tuple]) -> None:
        """Replace must not remove a row other tables still point at."""
        if len(self.spec.primary_key) != 1:
            return
        key_column = self.spec.primary_key[0]
        kept = [k[0] for k in keys]
        for child, column, ref_column in referencing(self.table):
            orphans = self.con.execute(
                f"SELECT {quote_identifier(column)} AS key, count(*) AS n FROM {quote_identifier(child)}"
                f" WHERE {quote_identifier(column)} IS NOT NULL AND NOT list_contains($kept, {quote_identifier(column)})"
                f" GROUP BY ALL ORDER BY 1", {"kept": kept}).fetchall()
            for key, n in orphans:
                self.add(None, key_column, key,
                         f"une ligne conservée : {n} ligne(s) de {child} y font référence ({column}) ; le mode replace"
                         " ne peut pas la supprimer", f"a kept row: {n} row(s) of {child} refer to it ({column});"
                         " replace mode cannot remove it")


_INVALID = object()  # a cell that failed its check: the row is reported, not written


def _precision_goes_with_date(checker: _Checker, row: Row, record: dict) -> None:
    has_date, has_precision = record.get("date_start") is not None, record.get("date_precision") is not None
    if has_date and not has_precision:
        checker.add(row.number, "date_precision", None, "la précision de la date (day/jour, month/mois,"
                    " season/saison, year/année) : une date est donnée", "the date's precision (day, month, season,"
                    " year): a date is given")
    elif has_precision and not has_date and checker.table == "project_events":
        checker.add(row.number, "date_precision", record["date_precision"], "une précision vide : aucune date"
                    " n'est donnée", "an empty precision: no date is given")


def _end_after_start(checker: _Checker, row: Row, record: dict) -> None:
    start, end = record.get("date_start"), record.get("date_end")
    if start is not None and end is not None and end < start:
        checker.add(row.number, "date_end", end, f"une date de fin au plus tôt le {_show(start)} (date de début)",
                    f"an end date no earlier than {_show(start)} (the start date)")
    if end is not None and start is None:
        checker.add(row.number, "date_start", None, "une date de début : une date de fin est donnée",
                    "a start date: an end date is given")


def _last_year_after_first(checker: _Checker, row: Row, record: dict) -> None:
    first, last = record.get("first_year"), record.get("last_year")
    if first is not None and last is not None and last < first:
        checker.add(row.number, "last_year", last, f"une année au moins égale à la première année ({first})",
                    f"a year no earlier than the first year ({first})")


def _indicator_value_in_range(checker: _Checker, row: Row, record: dict) -> None:
    """A rate (unit %) is a fraction between 0 and 1; a score /10 lies between 0 and 10."""
    unit, value = checker.context.indicator_unit.get(record.get("indicator_id")), record.get("value")
    raw = row.values.get("value")
    if isinstance(raw, str) and raw.strip().endswith("%") and unit != "%":
        checker.add(row.number, "value", raw, f"un nombre dans l'unité de l'indicateur ({unit}), sans %",
                    f"a number in the indicator's unit ({unit}), without %")
    elif unit == "%" and not 0 <= value <= 1:
        checker.add(row.number, "value", raw, "un taux entre 0 et 1 (ou entre 0 % et 100 %)",
                    "a rate between 0 and 1 (or between 0 % and 100 %)")
    elif unit == "note /10" and not 0 <= value <= 10:
        checker.add(row.number, "value", raw, "une note entre 0 et 10", "a score between 0 and 10")


# --- consistency rules (docs/IMPORT.md, « Règles de cohérence ») --------------------------------

# Plausible maxima, one per numeric column: above, the value is a typing slip (2 147 483 647 participants).
PLAUSIBLE_MAXIMA = {
    ("community_events", "participants"): 10_000,     # the largest reference meeting had 90
    ("communes", "population"): 3_000_000,            # Paris, the largest commune in France, has 2.1 million
    ("editions", "edition_id"): 100,
    ("indicator_values", "value"): 1_000_000_000,     # in any unit, in absolute value
}
# Indicator units (data/indicators.csv) that cannot be negative; a new unit must be put in one of the two sets.
NON_NEGATIVE_UNITS = frozenset({"litres", "indice", "t CO2e", "kWh", "m²", "%", "contenants", "biens", "personnes",
                                "utilisateurs", "agents", "€", "note /10", "recharges", "passages par jour",
                                "cas d'usage", "kg", "ouvrages"})
SIGNED_UNITS = frozenset({"°C"})  # a temperature difference: cooler or warmer
FAR_FUTURE_YEARS = 5              # an edition starting later than this many years ahead gets a warning
# The order a project's stages follow; continued and stopped are the same last stage.
STAGE_RANK = {kind: min(rank, EVENT_KINDS.index("continued")) for rank, kind in enumerate(EVENT_KINDS)}
STAGE_ORDER_FR = "sélectionné → démarré → convention signée → déployé → testé → évalué → poursuivi ou arrêté"
STAGE_ORDER_EN = "selected → started → agreement signed → deployed → tested → evaluated → continued or stopped"


def _grouped(number: float, lang: str) -> str:
    return f"{number:,.0f}".replace(",", " " if lang == "fr" else ",")


def check_plausible(table: str, column: str, value) -> None:
    maximum = PLAUSIBLE_MAXIMA.get((table, column))
    if maximum is not None and value is not None and abs(value) > maximum:
        signed_fr, signed_en = (" en valeur absolue", " in absolute value") if value < 0 else ("", "")
        raise CellError(f"une valeur plausible, d'au plus {_grouped(maximum, 'fr')}{signed_fr} (au-delà, sans doute"
                        " une faute de frappe)", f"a plausible value, at most {_grouped(maximum, 'en')}{signed_en}"
                        " (beyond that, most likely a typing slip)")


def _indicator_value_not_negative(checker: _Checker, row: Row, record: dict) -> None:
    """kWh, tonnes, counts, euros… cannot be negative (% and /10 have their own range above)."""
    unit, value, raw = checker.context.indicator_unit.get(record.get("indicator_id")), record.get("value"), \
        row.values.get("value")
    if unit in ("%", "note /10") or unit not in NON_NEGATIVE_UNITS or value is None or value >= 0:
        return
    if isinstance(raw, str) and raw.strip().endswith("%"):
        return  # already reported: a % sign on an indicator that is not a rate
    checker.add(row.number, "value", raw, f"une valeur positive ou nulle : l'unité de l'indicateur ({unit}) ne peut"
                " pas être négative", f"a value of zero or more: the indicator's unit ({unit}) cannot be negative")


def _edition_status_matches_years(checker: _Checker, row: Row, record: dict) -> None:
    """« terminée » is over, « en cours » has begun, « à venir » is not over: against this year."""
    status, first, last = record.get("status"), record.get("first_year"), record.get("last_year")
    year = checker.context.today.year
    if status == "terminée" and (last if last is not None else first) is not None \
            and (last if last is not None else first) > year:
        column = "last_year" if last is not None else "first_year"
        checker.add(row.number, column, record[column], f"une année au plus égale à {year} : une édition « terminée »"
                    " ne finit pas dans le futur ; corrigez l'année ou le statut (« en cours », « à venir »)",
                    f"a year no later than {year}: an edition that is « terminée » (ended) does not end in the future;"
                    " correct the year or the status")
        return
    if status == "en cours" and first is not None and first > year:
        checker.add(row.number, "first_year", first, f"une année au plus égale à {year} : une édition « en cours » a"
                    " déjà commencé ; sinon son statut est « à venir »", f"a year no later than {year}: an edition"
                    " « en cours » (ongoing) has begun; otherwise its status is « à venir » (upcoming)")
        return
    if status == "à venir" and last is not None and last < year:
        checker.add(row.number, "last_year", last, f"une année au moins égale à {year} : une édition « à venir » n'est"
                    " pas déjà finie ; sinon son statut est « terminée »", f"a year no earlier than {year}: an edition"
                    " « à venir » (upcoming) is not over yet; otherwise its status is « terminée »")
        return
    if first is not None and first > year + FAR_FUTURE_YEARS:
        checker.add_warning(row.number, "first_year", first, f"édition lointaine : plus de {FAR_FUTURE_YEARS} ans"
                            f" après {year} ; import accepté, vérifiez l'année", f"distant edition: more than"
                            f" {FAR_FUTURE_YEARS} years after {year}; import accepted, check the year")


def _commune_is_laureate(checker: _Checker, row: Row, record: dict) -> None:
    """Warned, not refused: commune_editions is not importable, so a refusal would block a new edition."""
    insee, edition = record.get("insee"), record.get("edition_id")
    if insee is None or edition is None or (edition, insee) in checker.context.laureates:
        return
    checker.add_warning(row.number, "insee", row.values.get("insee"),
                        f"la commune {insee} n'est pas lauréate de l'édition {edition} (table commune_editions) :"
                        " import accepté ; vérifiez la commune ou l'édition du projet",
                        f"commune {insee} is not a laureate of edition {edition} (table commune_editions): import"
                        " accepted; check the project's commune or edition")


def _period_end(start: date, precision: str | None, end: date | None) -> date:
    """The last day a date given at this precision may stand for (a month: its last day)."""
    if precision == "year":
        last = date(start.year, 12, 31)
    elif precision in ("month", "season"):
        month = start.month - 1 + (3 if precision == "season" else 1)  # the month after the period, from 0
        last = date.fromordinal(date(start.year + month // 12, month % 12 + 1, 1).toordinal() - 1)
    else:
        last = start
    return max(last, end) if end is not None else last


@dataclass
class _Stage:
    event_id: str
    kind: str
    start: date
    precision: str | None
    latest: date            # the last day the event may have happened, given its precision
    row: int | None         # the spreadsheet row; None for a row of the database

    def where(self, lang: str) -> str:
        if self.row is not None:
            return f"ligne {self.row}" if lang == "fr" else f"row {self.row}"
        return f"dans la base : {self.event_id}" if lang == "fr" else f"in the database: {self.event_id}"

    def named(self, lang: str) -> str:
        precision = f", {ALIASES[self.precision][0]}" if lang == "fr" and self.precision else \
            f", {self.precision}" if self.precision else ""
        if lang == "fr":
            return (f"l'étape « {ALIASES[self.kind][0]} » ({self.kind}, {self.where('fr')}) datée du"
                    f" {_show(self.start)}{precision}")
        return f"the '{self.kind}' stage ({self.where('en')}) dated {_show(self.start)}{precision}"


def _history_goes_forward(checker: _Checker) -> None:
    """No stage of a project dated before an earlier stage (STAGE_RANK), over the file's rows and the database's
    (the table as the publish will write it). Dates compare by the period they stand for: a day in June is not
    before « June » at month precision."""
    stages: dict[str, list[_Stage]] = {}
    for record, number in zip(checker.records, checker.record_rows):
        if record.get("date_start") is not None:
            stages.setdefault(record["project_id"], []).append(_stage(record, number))
    if not stages:
        return
    if checker.mode != "replace":  # replace: the database's rows go
        in_file = {r["event_id"] for r in checker.records}
        for record in db.fetch_rows(checker.con, "SELECT * FROM project_events WHERE date_start IS NOT NULL"
                                    " AND project_id IN (SELECT unnest($projects))", {"projects": sorted(stages)}):
            if record["event_id"] not in in_file:
                stages[record["project_id"]].append(_stage(record, None))
    for project_stages in stages.values():
        project_stages.sort(key=lambda e: STAGE_RANK[e.kind])
        latest_before: _Stage | None = None   # of the lower stages, the one dated last
        rank_start = 0
        for later in project_stages:
            while STAGE_RANK[project_stages[rank_start].kind] < STAGE_RANK[later.kind]:
                candidate = project_stages[rank_start]
                if latest_before is None or candidate.start > latest_before.start:
                    latest_before = candidate
                rank_start += 1
            if later.row is not None:
                if latest_before is not None and later.latest < latest_before.start:
                    checker.add(later.row, "date_start", later.start,
                                f"une date qui ne précède pas {latest_before.named('fr')} : les étapes d'un projet se"
                                f" suivent ({STAGE_ORDER_FR})", f"a date not before {latest_before.named('en')}: a"
                                f" project's stages follow each other ({STAGE_ORDER_EN})")
                continue
            # A stage of the database: the file's earlier stages must not be dated after it.
            for first in project_stages[:rank_start]:
                if first.row is not None and later.latest < first.start:
                    checker.add(first.row, "date_start", first.start,
                                f"une date qui ne suit pas {later.named('fr')} : les étapes d'un projet se suivent"
                                f" ({STAGE_ORDER_FR})", f"a date not after {later.named('en')}: a project's stages"
                                f" follow each other ({STAGE_ORDER_EN})")


def _stage(record: dict, row: int | None) -> _Stage:
    return _Stage(record["event_id"], record["kind"], record["date_start"], record.get("date_precision"),
                  _period_end(record["date_start"], record.get("date_precision"), record.get("date_end")), row)


ROW_CHECKS = {
    "project_events": (_precision_goes_with_date, _end_after_start),
    "community_events": (_precision_goes_with_date,),
    "editions": (_last_year_after_first, _edition_status_matches_years),
    "indicator_values": (_indicator_value_in_range, _indicator_value_not_negative),
    "projects": (_commune_is_laureate,),
}
# Checks of the whole table as the publish would write it, once every row is checked on its own.
TABLE_CHECKS = {
    "project_events": (_history_goes_forward,),
}
