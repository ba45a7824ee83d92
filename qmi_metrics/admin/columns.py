"""What each importable column holds, declared once: its description, type, allowed values, bounds and text limit.

The template's « Colonnes » sheet and the validation's bounds and messages read them here; so should any export
that documents the tables (an open-data Table Schema): `Doc` is where a column's titles and descriptions belong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qmi_metrics.admin.catalogue import ALIAS_KINDS, REFERENCE_LABELS, table_schema
from qmi_metrics.admin.problems import readable

SHORT_TEXT = 200                          # identifiers, codes, names, labels (the longest today: 125)
LONG_TEXT = 5000                          # descriptions, lessons, quotes (the longest today: 558)


@dataclass(frozen=True)
class Doc:
    description_fr: str                      # what the column holds, for the "Colonnes" sheet
    example: Any = None                      # the value of the template's example row
    allowed: tuple[str, ...] = ()            # the values its CHECK accepts
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None               # a regular expression the text must match
    pattern_fr: str = ""
    pattern_en: str = ""
    generated: bool = False                  # may be left empty: the import fills it in
    generated_fr: str = ""
    future_allowed: bool = False             # a date that may lie ahead (a target's), not before its edition


# French words a manager may type for a stored value (matched without accents or case).
ALIASES = {
    "day": ("jour",), "month": ("mois",), "season": ("saison",), "year": ("année", "an"),
    "selected": ("sélectionné", "sélection"), "started": ("démarré", "démarrage", "lancé", "début"),
    "agreement_signed": ("convention signée", "convention"), "deployed": ("déployé", "déploiement"),
    "tested": ("testé", "test"), "evaluated": ("évalué", "évaluation"),
    "continued": ("poursuivi", "pérennisé", "prolongé"), "stopped": ("arrêté", "arrêt", "abandonné"),
    "stated": ("énoncé", "dit"), "inferred": ("inféré", "déduit"), "modelled": ("modélisé", "modèle"),
}
PRECISIONS = ("day", "month", "season", "year")
EVENT_KINDS = ("selected", "started", "agreement_signed", "deployed", "tested", "evaluated", "continued", "stopped")
BASES = ("stated", "inferred", "modelled")  # schema.sql: how a row stands to its source
PROTOCOL_STATUSES = ("à définir", "défini", "validé")
DIRECTIONS = ("hausse", "baisse", "neutre")

# The rule every date follows (validation.Checker.check_dates), as the date columns' descriptions say it.
WITHIN_EDITION = "Pas avant la première année de l'édition, pas dans le futur."

SOURCE_DOCS = {
    "source_id": Doc("Source de la ligne : identifiant d'une source de la table sources (ex. rapport_2025). Laissée"
                     " vide, la source est le fichier importé lui-même (enregistré dans sources avec son SHA-256).",
                     generated=True, generated_fr="vide = le fichier importé"),
    "source_section": Doc("Section ou titre du document source où figure l'information.", example=""),
    "source_quote": Doc("Phrase du document source, recopiée mot pour mot.", example=""),
    "basis": Doc("Ce que la source dit de la ligne : stated (énoncé, elle le dit pour cette ligne même), inferred"
                 " (inféré par une règle, ex. une phrase sur tous les projets appliquée à chacun) ou modelled (modélisé"
                 " par le tableau de bord). Laissée vide : stated, le fichier importé énonce la ligne.",
                 allowed=BASES, generated=True, generated_fr="vide = stated (le fichier l'énonce)"),
    "basis_rule": Doc("Quand la ligne n'est pas énoncée (inferred ou modelled) : la règle qui la donne, en une phrase"
                      " en français.", example=""),
}


def _provenance(*columns: str) -> dict[str, Doc]:
    """The source columns' docs, and those of basis and basis_rule that every sourced row carries."""
    return {column: SOURCE_DOCS[column] for column in (*columns, "basis", "basis_rule")}


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
        "theme_source_id": Doc("Source du défi quand ce n'est pas celle de la ligne (identifiant de la table sources,"
                               " ex. cp_2023) ; vide sinon.", example=""),
        "description_fr": Doc("Description du projet.", example="Ce que fait la solution, en une ou deux phrases."),
        "lessons_fr": Doc("Enseignements de l'expérimentation.", example=""),
        **_provenance("source_id", "source_section"),
        "lessons_section": Doc("Section du document source où figurent les enseignements, quand ce n'est pas celle"
                               " de la description.", example=""),
    },
    "project_events": {
        "event_id": Doc("Identifiant de l'événement. Laissé vide : <projet>-<type> (ex. faradae-deployed), ce qui"
                        " met à jour le même événement à chaque import.", example="faradae-deployed",
                        generated=True, generated_fr="vide = <projet>-<type>"),
        "project_id": Doc("Projet concerné : identifiant (ex. faradae) ou nom du projet.", example="faradae"),
        "kind": Doc("Étape franchie par le projet (les mots français sont acceptés : déployé, arrêté…).",
                    example="deployed", allowed=EVENT_KINDS),
        "date_start": Doc("Date de l'étape (premier jour de la période si la date est au mois, à la saison ou à"
                          f" l'année). {WITHIN_EDITION}", example="01/02/2024"),
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
        "submitted_on": Doc(f"Date de dépôt. {WITHIN_EDITION}", example="15/01/2025"),
        **_provenance("source_id", "source_section"),
    },
    "indicator_values": {
        "project_id": Doc("Projet mesuré : identifiant ou nom.", example="faradae"),
        "indicator_id": Doc("Indicateur (identifiant ou libellé de la table indicators). Un indicateur en % se"
                            " saisit entre 0 et 1 ou avec le signe % (35 %) ; une note /10 entre 0 et 10.",
                            example="energie-partagee"),
        "measured_on": Doc(f"Date de la mesure. {WITHIN_EDITION}", example="31/03/2024"),
        "value": Doc("Valeur mesurée, dans l'unité de l'indicateur (virgule décimale et espaces acceptés :"
                     " 1 234,5).", example="1 234,5"),
        **_provenance("source_id"),
    },
    "indicator_protocols": {
        "project_id": Doc("Projet : identifiant ou nom. Le projet doit suivre l'indicateur (table project_indicators).",
                          example="faradae"),
        "indicator_id": Doc("Indicateur suivi (identifiant ou libellé de la table indicators).",
                            example="energie-partagee"),
        "status": Doc("Où en est le protocole : à définir (valeurs incomplètes), défini (départ et cible fixés, dates"
                      " comprises) ou validé (défini et validé par le comité).", example="défini",
                      allowed=PROTOCOL_STATUSES),
        "baseline_value": Doc("Valeur de départ, dans l'unité de l'indicateur (un % entre 0 et 1 ou avec le signe %)."
                              " Obligatoire sauf « à définir ».", example="1 200"),
        "baseline_on": Doc(f"Date de la valeur de départ : les mesures plus anciennes sont ignorées. {WITHIN_EDITION}",
                           example="01/01/2024"),
        "target_value": Doc("Valeur visée (cible), dans l'unité de l'indicateur, du côté du sens souhaité. Obligatoire"
                            " sauf « à définir ».", example="5 000"),
        "target_on": Doc("Date à laquelle la cible doit être atteinte : après la date de départ (elle peut être à"
                         " venir).", example="31/12/2025", future_allowed=True),
        "direction": Doc("Sens souhaité, s'il diffère de celui de l'indicateur (hausse, baisse, neutre) ; vide : celui"
                         " de l'indicateur. Donné, il demande sa raison.", example="", allowed=DIRECTIONS),
        "direction_reason": Doc("Pourquoi le sens souhaité diffère de celui de l'indicateur, en une phrase.",
                                example=""),
        "author": Doc("Qui a fixé ou validé le protocole (personne, comité).", example="Comité de pilotage"),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "replicability_scores": {
        "project_id": Doc("Projet noté : identifiant ou nom.", example="faradae"),
        "criterion_id": Doc("Critère de répliquabilité (identifiant ou libellé de la table replicability_criteria).",
                            example="ampleur-deploiement"),
        "score": Doc("Note de 0 (nulle) à 5 (forte) ; les décimales sont acceptées (3,5).", example="3,5",
                     minimum=0, maximum=5),
        "scored_on": Doc(f"Date de la notation. {WITHIN_EDITION}", example="30/06/2025"),
        **_provenance("source_id"),
    },
    "community_events": {
        "event_id": Doc("Identifiant de la rencontre (unique, ex. e2_communaute_2025_03_argenteuil).",
                        example="e2_communaute_2025_03_argenteuil"),
        "edition_id": Doc("Édition du programme.", example=2),
        "insee": Doc("Commune qui accueille la rencontre : code INSEE ou nom.", example="Argenteuil"),
        "date_start": Doc(f"Date de la rencontre. {WITHIN_EDITION}", example="01/03/2025"),
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
    "source_section": 500, "lessons_section": 500,   # a section title, sometimes with its sub-section
    "basis_rule": 500,            # one sentence
    "direction_reason": 500,      # one sentence
}


# Plausible maxima, one per numeric column: above, the value is a typing slip (2 147 483 647 participants).
PLAUSIBLE_MAXIMA = {
    ("community_events", "participants"): 10_000,     # the largest reference meeting had 90
    ("communes", "population"): 3_000_000,            # Paris, the largest commune in France, has 2.1 million
    ("editions", "edition_id"): 100,
    ("indicator_values", "value"): 1_000_000_000,     # in any unit, in absolute value
    ("indicator_protocols", "baseline_value"): 1_000_000_000,
    ("indicator_protocols", "target_value"): 1_000_000_000,
}
# Columns holding a value in its indicator's unit: a rate may be typed with %, its range is the unit's (rules.py).
INDICATOR_UNIT_COLUMNS = {"indicator_values": ("value",), "indicator_protocols": ("baseline_value", "target_value")}


def text_limit(table: str, column: str) -> int | None:
    """The most characters a cell of this column may hold (None: not a text column)."""
    if table_schema(table).column(column).sql_type != "VARCHAR":
        return None
    return TEXT_LIMITS.get(column, SHORT_TEXT)


def grouped(number: float, lang: str) -> str:
    """A whole number with its thousands grouped: 10 000 in French, 10,000 in English."""
    return f"{number:,.0f}".replace(",", " " if lang == "fr" else ",")


REFERENCE_NAMES = {  # what a referenced table holds: French, English, French feminine?
    "communes": ("commune", "commune", True), "projects": ("projet", "project", False),
    "editions": ("édition", "edition", True), "themes": ("défi", "challenge", False),
    "project_families": ("famille de projets", "project family", True),
    "solution_types": ("type de solution", "solution type", False), "indicators": ("indicateur", "indicator", False),
    "replicability_criteria": ("critère", "criterion", False), "calls": ("appel", "call", False),
    "sources": ("source", "source", True),
}


def reference_name(table: str) -> tuple[str, str, bool]:
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
        name, _, feminine = reference_name(reference[0])
        label_columns = REFERENCE_LABELS.get(reference[0], ())
        labels = "" if not label_columns else " ou son nom" if label_columns[0] == "name" else " ou son libellé"
        if reference[0] in ALIAS_KINDS:
            labels += " (ou une autre graphie publiée, table aliases)"
        article, existing = ("une", "existante") if feminine else ("un", "existant")
        return f"{article} {name} {existing} : {reference[1]} de la table {reference[0]}{labels}"
    bounds = []
    if documented.minimum is not None:
        bounds.append(f"au moins {documented.minimum:g}")
    if documented.maximum is not None:
        bounds.append(f"au plus {documented.maximum:g}")
    if (table, column) in PLAUSIBLE_MAXIMA:
        bounds.append(f"au plus {grouped(PLAUSIBLE_MAXIMA[table, column], 'fr')} (valeur plausible)")
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
        rows.append({"colonne": column.name, "description": documented.description_fr,
                     "type": TYPE_LABELS[column.sql_type][0], "obligatoire": required,
                     "valeurs possibles": allowed_text(table, column.name), "exemple": readable(documented.example) or ""})
    return rows
