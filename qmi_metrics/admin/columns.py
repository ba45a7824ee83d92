"""What each importable column holds, declared once: its description, type, allowed values, bounds and text limit.

The template's « Colonnes » sheet and the validation's bounds and messages read them here, and so does the open
data's Table Schema (outputs/opendata.py), for every public table: `Doc` is where a column's title and description
belong. An importable column's description says what a manager may type; where that differs from what is stored
(a name for a code, French words for a status), `published_fr` says what the published value is."""

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
    title_fr: str = ""                       # its name for a reader (the open data's Table Schema title)
    published_fr: str = ""                   # what the stored value is, when description_fr says what may be typed
    separator: str = ""                      # several values in one cell, stored separated by this (open data: |)
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
                     title_fr="Source",
                     published_fr="Source de la ligne : identifiant d'une source de la table sources (ex. rapport_2025 ;"
                                  " import-… pour un fichier importé par un gestionnaire).",
                     generated=True, generated_fr="vide = le fichier importé"),
    "source_section": Doc("Section ou titre du document source où figure l'information.", title_fr="Section de la source",
                          example=""),
    "source_quote": Doc("Phrase du document source, recopiée mot pour mot.", title_fr="Citation de la source", example=""),
    "basis": Doc("Ce que la source dit de la ligne : stated (énoncé, elle le dit pour cette ligne même), inferred"
                 " (inféré par une règle, ex. une phrase sur tous les projets appliquée à chacun) ou modelled (modélisé"
                 " par le tableau de bord). Laissée vide : stated, le fichier importé énonce la ligne.",
                 title_fr="Base",
                 published_fr="Ce que la source dit de la ligne : stated (énoncé, elle le dit pour cette ligne même),"
                              " inferred (inféré par une règle, ex. une phrase sur tous les projets appliquée à chacun)"
                              " ou modelled (modélisé par le tableau de bord).",
                 allowed=BASES, generated=True, generated_fr="vide = stated (le fichier l'énonce)"),
    "basis_rule": Doc("Quand la ligne n'est pas énoncée (inferred ou modelled) : la règle qui la donne, en une phrase"
                      " en français.", title_fr="Règle de la base", example=""),
}


def _provenance(*columns: str) -> dict[str, Doc]:
    """The source columns' docs, and those of basis and basis_rule that every sourced row carries."""
    return {column: SOURCE_DOCS[column] for column in (*columns, "basis", "basis_rule")}


def _labels(what: str) -> dict[str, Doc]:
    """label_fr and label_en: `what` in French and in English."""
    return {"label_fr": Doc(f"{what} en français.", title_fr="Libellé"),
            "label_en": Doc(f"{what} en anglais.", title_fr="Libellé en anglais")}


def _rank(what: str) -> Doc:
    return Doc(f"Rang {what} (1 = le premier).", title_fr="Rang")


def _reference(title: str, what: str) -> Doc:
    """A published column holding another table's identifier."""
    return Doc(what, title_fr=title)


# What the import accepts for a referenced row (an identifier, a name, a label) is not what is stored: the identifier.
_PROJECT = "Projet : identifiant de la table projects (ex. faradae)."
_INSEE = "code INSEE (table communes)"
_COMMUNE = f"Commune : {_INSEE}."
_EDITION = "Édition du programme (edition_id de la table editions)."
_PRECISION = ("Précision de la date : day (jour), month (mois), season (saison) ou year (année) ; vide quand il n'y a"
              " pas de date.")
_PERIOD_START = "premier jour de la période si la date est au mois, à la saison ou à l'année"

DOCS: dict[str, dict[str, Doc]] = {
    "sources": {
        "source_id": Doc("Identifiant de la source, cité par la colonne source_id des autres tables.",
                         title_fr="Identifiant"),
        "kind": Doc("Nature de la source : document (publication), reference (fichier de référence), web (page web),"
                    " computed (calculée), general_knowledge (connaissance générale), synthetic (données de"
                    " démonstration) ou import (fichier importé par un gestionnaire).", title_fr="Nature",
                    allowed=("document", "reference", "web", "computed", "general_knowledge", "synthetic", "import")),
        "title": Doc("Titre de la source.", title_fr="Titre"),
        "publisher": Doc("Qui publie la source ; vide pour un fichier importé (le nom de la personne qui importe"
                         " n'est pas publié).", title_fr="Éditeur"),
        "published_on": Doc("Date de publication, aussi précise que la source la donne : AAAA, AAAA-MM ou AAAA-MM-JJ.",
                            title_fr="Date de publication", pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
                            pattern_fr="AAAA, AAAA-MM ou AAAA-MM-JJ", pattern_en="YYYY, YYYY-MM or YYYY-MM-DD"),
        "file": Doc("Fichier de la source : chemin dans les documents de référence du projet, ou nom du fichier importé.",
                    title_fr="Fichier"),
        "note": Doc("Remarque sur la source (ce qu'elle couvre, comment elle a été calculée, empreinte SHA-256 d'un"
                    " fichier importé).", title_fr="Remarque"),
        **_provenance(),
    },
    "editions": {
        "edition_id": Doc("Numéro de l'édition du programme (1, 2, 3…).", title_fr="Édition", example=3, minimum=1),
        "label_fr": Doc("Nom de l'édition en français.", title_fr="Libellé", example="3e édition"),
        "label_en": Doc("Nom de l'édition en anglais.", title_fr="Libellé en anglais", example="3rd edition"),
        "first_year": Doc("Première année de l'édition (lancement de l'appel aux communes).", title_fr="Première année",
                          example=2025, minimum=2000, maximum=2100),
        "last_year": Doc("Dernière année de l'édition (fin des expérimentations) ; au moins la première année.",
                         title_fr="Dernière année", example=2028, minimum=2000, maximum=2100),
        "status": Doc("Où en est l'édition.", title_fr="État", example="à venir",
                      allowed=("terminée", "en cours", "à venir")),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "milestones": {
        "milestone_id": Doc("Identifiant de l'étape du calendrier.", title_fr="Identifiant"),
        "edition_id": _reference("Édition", _EDITION),
        "kind": Doc("Nature de l'étape : programme, call_communes (appel aux communes), communes_announced (communes"
                    " annoncées), diagnostic, call_projects (appel à projets), experimenters_announced (lauréats"
                    " annoncés), experimentation, community (communauté), evaluation, closing (clôture) ou information.",
                    title_fr="Nature",
                    allowed=("programme", "call_communes", "communes_announced", "diagnostic", "call_projects",
                             "experimenters_announced", "experimentation", "community", "evaluation", "closing",
                             "information")),
        **_labels("Nom de l'étape"),
        "date_start": Doc(f"Date de l'étape ({_PERIOD_START}).", title_fr="Date"),
        "date_end": Doc("Fin de la période, quand l'étape dure.", title_fr="Date de fin"),
        "date_precision": Doc(_PRECISION, title_fr="Précision de la date", allowed=PRECISIONS),
        "planned": Doc("true : étape annoncée à l'avance (un calendrier), pas constatée ; false sinon.",
                       title_fr="Annoncée"),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "themes": {
        "theme_slug": Doc("Identifiant du défi urbain prioritaire.", title_fr="Identifiant"),
        **_labels("Nom du défi"),
        "rank": _rank("du défi dans la liste des documents"),
        **_provenance("source_id", "source_section"),
    },
    "project_families": {
        "family_slug": Doc("Identifiant de la famille de projets.", title_fr="Identifiant"),
        **_labels("Nom de la famille"),
        "rank": _rank("de la famille dans la liste du rapport"),
        **_provenance("source_id", "source_section"),
    },
    "solution_types": {
        "type_slug": Doc("Identifiant du type de solution.", title_fr="Identifiant"),
        **_labels("Nom du type, tel que le rapport l'imprime"),
        "is_digital": Doc("true : le tableau de bord compte ce type comme une solution numérique.",
                          title_fr="Numérique"),
        **_provenance("source_id", "source_section"),
    },
    "communes": {
        "insee": Doc("Code INSEE de la commune (5 caractères, pas le code postal).", title_fr="Code INSEE",
                     example="92048", pattern=r"^(\d{5}|2[AB]\d{3})$",
                     pattern_fr="un code INSEE de 5 caractères (ex. 92048)",
                     pattern_en="a 5-character INSEE code (e.g. 92048)"),
        "name": Doc("Nom officiel de la commune (unique).", title_fr="Nom", example="Meudon"),
        "departement": Doc("Numéro du département (75, 92, 93, 94…).", title_fr="Département", example="92"),
        "ept_siren": Doc("SIREN de l'établissement public territorial (EPT) de la commune.", title_fr="SIREN de l'EPT",
                         example="200057966"),
        "ept_name": Doc("Nom de l'établissement public territorial (EPT).", title_fr="EPT",
                        example="Grand Paris Seine Ouest"),
        "population": Doc("Population municipale INSEE (nombre entier > 0).", title_fr="Population", example=45748,
                          minimum=1),
        "postcodes": Doc("Codes postaux de la commune, séparés par des espaces.", title_fr="Codes postaux",
                         published_fr="Codes postaux de la commune.", separator=" ", example="92190 92360"),
        "siren": Doc("SIREN de la commune.", title_fr="SIREN", example="219200482"),
        **_provenance("source_id"),
    },
    "sites": {
        "site_id": Doc("Identifiant du lieu.", title_fr="Identifiant"),
        "insee": _reference("Commune", _COMMUNE),
        "name": Doc("Nom du lieu.", title_fr="Nom"),
        "kind": Doc("Nature du lieu : commune_centroid (centre de la commune), quartier, experimentation_site (site"
                    " d'expérimentation) ou landmark (repère public, une gare).", title_fr="Nature",
                    allowed=("commune_centroid", "quartier", "experimentation_site", "landmark")),
        "lat": Doc("Latitude (WGS 84, degrés décimaux).", title_fr="Latitude", minimum=48.0, maximum=49.5),
        "lon": Doc("Longitude (WGS 84, degrés décimaux).", title_fr="Longitude", minimum=1.5, maximum=3.5),
        "precision": Doc("Précision de la position : computed (calculée depuis les contours), landmark (celle d'un"
                         " repère), approximate (environ 300 m) ou unknown (inconnue).", title_fr="Précision",
                         allowed=("computed", "landmark", "approximate", "unknown")),
        "source_id": SOURCE_DOCS["source_id"],
        "note": Doc("Remarque sur le lieu ou sa position.", title_fr="Remarque"),
        **_provenance(),
    },
    "commune_editions": {
        "edition_id": _reference("Édition", _EDITION),
        "insee": _reference("Commune", _COMMUNE),
        "role": Doc("Part de la commune à l'édition : lauréate, candidate ou intéressée.", title_fr="Rôle",
                    allowed=("lauréate", "candidate", "intéressée")),
        "phase": Doc("Phase de l'édition où la commune entre (1, 2…) ; vide quand l'édition n'en a pas.",
                     title_fr="Phase", minimum=1),
        "quartier_name": Doc("Nom du quartier d'innovation de la commune.", title_fr="Quartier"),
        "quartier_site_id": _reference("Lieu du quartier", "Position du quartier : identifiant de la table sites."),
        "quartier_source_id": _reference("Source du quartier", "Source du nom du quartier quand ce n'est pas celle de"
                                                               " la ligne (identifiant de la table sources)."),
        "theme_slug": _reference("Défi", "Défi urbain de la commune (identifiant de la table themes) ; vide : non"
                                         " renseigné par les documents."),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "calls": {
        "call_id": Doc("Identifiant de l'appel.", title_fr="Identifiant"),
        "edition_id": _reference("Édition", _EDITION),
        "kind": Doc("Appel aux communes (communes : appel à manifestation d'intérêt) ou aux porteurs de projets"
                    " (projects : appel à projets).", title_fr="Nature", allowed=("communes", "projects")),
        **_labels("Nom de l'appel"),
        "phase": Doc("Phase de l'édition (1, 2…) ; vide quand l'édition n'en a pas.", title_fr="Phase"),
        "opens_on": Doc("Date d'ouverture de l'appel.", title_fr="Ouverture"),
        "closes_on": Doc("Date de clôture de l'appel.", title_fr="Clôture"),
        **_provenance("source_id", "source_section"),
    },
    "published_figures": {
        "figure_id": Doc("Identifiant du chiffre publié.", title_fr="Identifiant"),
        "edition_id": _reference("Édition", "Édition concernée (edition_id de la table editions) ; vide : le"
                                            " programme entier."),
        "value": Doc("Valeur publiée, dans son unité (un ratio entre 0 et 1 : 0.7 pour 70 %).", title_fr="Valeur"),
        "unit": Doc("Unité : count (nombre), ratio (part entre 0 et 1), months (mois), years (années), people"
                    " (personnes), score_10 (note sur 10), euros, kg, m3 ou inhabitants (habitants).", title_fr="Unité",
                    allowed=("count", "ratio", "months", "years", "people", "score_10", "euros", "kg", "m3",
                             "inhabitants")),
        "qualifier": Doc("Ce qui borne le chiffre, tel que le document l'écrit (plus de, près de…) ; vide : exact.",
                         title_fr="Qualificatif",
                         allowed=("plus de", "près de", "environ", "en moyenne", "au moins", "jusqu'à", "minimum",
                                  "maximum")),
        "rounding_step": Doc("Précision avec laquelle le chiffre est imprimé (0.01 pour « 70 % »).",
                             title_fr="Arrondi"),
        **_labels("Ce que mesure le chiffre"),
        "document": Doc("Fichier du document qui publie le chiffre.", title_fr="Document"),
        "section": Doc("Titre sous lequel le chiffre est publié.", title_fr="Section"),
        "quote": Doc("Phrase où le chiffre est publié, recopiée mot pour mot.", title_fr="Citation"),
        "note": Doc("Pourquoi le chiffre ne peut pas être recalculé, quand on le sait.", title_fr="Remarque"),
        **_provenance("source_id"),
    },
    "call_figures": {
        "call_id": _reference("Appel", "Appel concerné (identifiant de la table calls)."),
        "measure": Doc("Ce qui est compté : marks_of_interest (marques d'intérêt), applications (candidatures),"
                       " selected (sélectionnés), international_share (part de candidats internationaux) ou"
                       " increase_vs_paris_calls (hausse par rapport aux appels parisiens).", title_fr="Mesure",
                       allowed=("marks_of_interest", "applications", "selected", "international_share",
                                "increase_vs_paris_calls")),
        "value": Doc("Valeur publiée (une part entre 0 et 1).", title_fr="Valeur"),
        "figure_id": _reference("Chiffre publié", "Le chiffre publié d'où vient la valeur (table published_figures)."),
        **_provenance("source_id"),
    },
    "projects": {
        "project_id": Doc("Identifiant du projet : court, en minuscules, sans espace (ex. faradae).",
                          title_fr="Identifiant", example="mon-projet", pattern=r"^[a-z0-9][a-z0-9_-]*$",
                          pattern_fr="minuscules, chiffres, tirets, sans espace ni accent (ex. mon-projet)",
                          pattern_en="lower case, digits and hyphens, no spaces or accents (e.g. my-project)"),
        "edition_id": Doc("Édition du programme où le projet a été sélectionné.", title_fr="Édition", example=2),
        "name": Doc("Nom du projet tel qu'il est publié.", title_fr="Nom", example="Mon projet"),
        "operator": Doc("Porteur du projet (entreprise, association…).", title_fr="Porteur", example="Mon entreprise"),
        "insee": Doc("Commune d'expérimentation : code INSEE ou nom de la commune.", title_fr="Commune",
                     published_fr=f"Commune d'expérimentation : {_INSEE}.", example="Meudon"),
        "family_slug": Doc("Famille de projets du rapport (identifiant ou libellé, ex. energie ou Énergie).",
                           title_fr="Famille", published_fr="Famille de projets du rapport (identifiant de la table"
                                                           " project_families).", example="energie"),
        "type_slug": Doc("Type de solution (identifiant ou libellé, ex. numerique ou NUMÉRIQUE).", title_fr="Type",
                         published_fr="Type de solution (identifiant de la table solution_types).",
                         example="numerique"),
        "subtype_fr": Doc("Second libellé imprimé après le type (ex. CITOYENNETÉ).", title_fr="Sous-type", example=""),
        "theme_slug": Doc("Défi urbain prioritaire (identifiant ou libellé, ex. economie-circulaire).", title_fr="Défi",
                          published_fr="Défi urbain prioritaire (identifiant de la table themes) ; vide : non"
                                       " renseigné.", example="economie-circulaire"),
        "theme_source_id": Doc("Source du défi quand ce n'est pas celle de la ligne (identifiant de la table sources,"
                               " ex. cp_2023) ; vide sinon.", title_fr="Source du défi", example=""),
        "description_fr": Doc("Description du projet.", title_fr="Description",
                              example="Ce que fait la solution, en une ou deux phrases."),
        "lessons_fr": Doc("Enseignements de l'expérimentation.", title_fr="Enseignements", example=""),
        **_provenance("source_id", "source_section"),
        "lessons_section": Doc("Section du document source où figurent les enseignements, quand ce n'est pas celle"
                               " de la description.", title_fr="Section des enseignements", example=""),
    },
    "project_sites": {
        "project_id": _reference("Projet", _PROJECT),
        "site_id": _reference("Lieu", "Lieu où le projet est expérimenté (identifiant de la table sites)."),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "project_events": {
        "event_id": Doc("Identifiant de l'événement. Laissé vide : <projet>-<type> (ex. faradae-deployed), ce qui"
                        " met à jour le même événement à chaque import.", title_fr="Identifiant",
                        published_fr="Identifiant de l'événement (ex. faradae-deployed).", example="faradae-deployed",
                        generated=True, generated_fr="vide = <projet>-<type>"),
        "project_id": Doc("Projet concerné : identifiant (ex. faradae) ou nom du projet.", title_fr="Projet",
                          published_fr=_PROJECT, example="faradae"),
        "kind": Doc("Étape franchie par le projet (les mots français sont acceptés : déployé, arrêté…).",
                    title_fr="Étape",
                    published_fr="Étape franchie par le projet : selected (sélectionné), started (démarré),"
                                 " agreement_signed (convention signée), deployed (déployé), tested (testé), evaluated"
                                 " (évalué), continued (poursuivi) ou stopped (arrêté).",
                    example="deployed", allowed=EVENT_KINDS),
        "date_start": Doc("Date de l'étape (premier jour de la période si la date est au mois, à la saison ou à"
                          f" l'année). {WITHIN_EDITION}", title_fr="Date",
                          published_fr=f"Date de l'étape ({_PERIOD_START}).", example="01/02/2024"),
        "date_end": Doc("Fin de la période (pour un test sur une saison, par exemple) ; après la date de début.",
                        title_fr="Date de fin", example=""),
        "date_precision": Doc("Précision de la date : obligatoire quand une date est donnée, vide sinon"
                              " (jour, mois, saison ou année sont acceptés).", title_fr="Précision de la date",
                              published_fr=_PRECISION, example="month", allowed=PRECISIONS),
        **_provenance("source_id", "source_section"),
        "source_quote": Doc("Phrase du document source, recopiée mot pour mot.", title_fr="Citation de la source",
                            example="Installation mise en service en février 2024."),
    },
    "candidatures": {
        "candidature_id": Doc("Identifiant de la candidature (unique).", title_fr="Identifiant",
                              example="e2-aap-mon-projet"),
        "call_id": Doc("Appel concerné (identifiant de la table calls, ex. e2_aap_phase1).", title_fr="Appel",
                       example="e2_aap_phase1"),
        "applicant": Doc("Nom du candidat (porteur de projet ou commune).", title_fr="Candidat",
                         example="Mon entreprise"),
        "insee": Doc("Commune concernée : code INSEE ou nom.", title_fr="Commune",
                     published_fr=f"Commune concernée : {_INSEE}.", example="Sceaux"),
        "project_id": Doc("Projet issu de la candidature, s'il a été retenu (identifiant ou nom).", title_fr="Projet",
                          published_fr="Projet issu de la candidature, s'il a été retenu (identifiant de la table"
                                       " projects).", example=""),
        "theme_slug": Doc("Défi urbain visé (identifiant ou libellé).", title_fr="Défi",
                          published_fr="Défi urbain visé (identifiant de la table themes).", example="flux-mobilites"),
        "is_international": Doc("Candidat venant de l'étranger (oui / non).", title_fr="International",
                                published_fr="true : candidat venant de l'étranger ; false : de France ; vide : non"
                                             " renseigné.", example="non"),
        "status": Doc("Issue de la candidature.", title_fr="Issue", example="déposée",
                      allowed=("déposée", "lauréate", "non retenue")),
        "submitted_on": Doc(f"Date de dépôt. {WITHIN_EDITION}", title_fr="Date de dépôt",
                            published_fr="Date de dépôt.", example="15/01/2025"),
        **_provenance("source_id", "source_section"),
    },
    "indicators": {
        "indicator_id": Doc("Identifiant de l'indicateur.", title_fr="Identifiant"),
        **_labels("Nom de l'indicateur"),
        "domain": Doc("Domaine de l'indicateur.", title_fr="Domaine",
                      allowed=("environnemental", "social", "économique", "retours usagers", "efficacité")),
        "unit": Doc("Unité des mesures (%, kWh, /10…).", title_fr="Unité"),
        "direction": Doc("Sens souhaité : hausse, baisse ou neutre.", title_fr="Sens souhaité",
                         allowed=("hausse", "baisse", "neutre")),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "project_indicators": {
        "project_id": _reference("Projet", _PROJECT),
        "indicator_id": _reference("Indicateur", "Indicateur suivi par le projet (identifiant de la table"
                                                 " indicators)."),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "indicator_values": {
        "project_id": Doc("Projet mesuré : identifiant ou nom.", title_fr="Projet", published_fr=_PROJECT,
                          example="faradae"),
        "indicator_id": Doc("Indicateur (identifiant ou libellé de la table indicators). Un indicateur en % se"
                            " saisit entre 0 et 1 ou avec le signe % (35 %) ; une note /10 entre 0 et 10.",
                            title_fr="Indicateur", published_fr="Indicateur mesuré (identifiant de la table"
                                                                " indicators).", example="energie-partagee"),
        "measured_on": Doc(f"Date de la mesure. {WITHIN_EDITION}", title_fr="Date de la mesure",
                           published_fr="Date de la mesure.", example="31/03/2024"),
        "value": Doc("Valeur mesurée, dans l'unité de l'indicateur (virgule décimale et espaces acceptés :"
                     " 1 234,5).", title_fr="Valeur",
                     published_fr="Valeur mesurée, dans l'unité de l'indicateur (une part en % entre 0 et 1).",
                     example="1 234,5"),
        **_provenance("source_id"),
    },
    "indicator_protocols": {
        "project_id": Doc("Projet : identifiant ou nom. Le projet doit suivre l'indicateur (table project_indicators).",
                          example="faradae", title_fr="Projet", published_fr=_PROJECT),
        "indicator_id": Doc("Indicateur suivi (identifiant ou libellé de la table indicators).",
                            example="energie-partagee", title_fr="Indicateur",
                            published_fr="Indicateur : identifiant de la table indicators."),
        "status": Doc("Où en est le protocole : à définir (valeurs incomplètes), défini (départ et cible fixés, dates"
                      " comprises) ou validé (défini et validé par le comité).", example="défini",
                      allowed=PROTOCOL_STATUSES, title_fr="Statut du protocole"),
        "baseline_value": Doc("Valeur de départ, dans l'unité de l'indicateur (un % entre 0 et 1 ou avec le signe %)."
                              " Obligatoire sauf « à définir ».", example="1 200", title_fr="Valeur de départ"),
        "baseline_on": Doc(f"Date de la valeur de départ : les mesures plus anciennes sont ignorées. {WITHIN_EDITION}",
                           example="01/01/2024", title_fr="Date de départ"),
        "target_value": Doc("Valeur visée (cible), dans l'unité de l'indicateur, du côté du sens souhaité. Obligatoire"
                            " sauf « à définir ».", example="5 000", title_fr="Valeur cible"),
        "target_on": Doc("Date à laquelle la cible doit être atteinte : après la date de départ (elle peut être à"
                         " venir).", example="31/12/2025", future_allowed=True, title_fr="Date cible"),
        "direction": Doc("Sens souhaité, s'il diffère de celui de l'indicateur (hausse, baisse, neutre) ; vide : celui"
                         " de l'indicateur. Donné, il demande sa raison.", example="", allowed=DIRECTIONS, title_fr="Sens souhaité (s'il diffère)"),
        "direction_reason": Doc("Pourquoi le sens souhaité diffère de celui de l'indicateur, en une phrase.",
                                example="", title_fr="Raison du sens"),
        "author": Doc("Qui a fixé ou validé le protocole (personne, comité).", example="Comité de pilotage", title_fr="Auteur du protocole"),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "replicability_criteria": {
        "criterion_id": Doc("Identifiant du critère de répliquabilité.", title_fr="Identifiant"),
        **_labels("Nom du critère"),
        "rank": _rank("du critère dans la liste du rapport"),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "replicability_scores": {
        "project_id": Doc("Projet noté : identifiant ou nom.", title_fr="Projet", published_fr=_PROJECT,
                          example="faradae"),
        "criterion_id": Doc("Critère de répliquabilité (identifiant ou libellé de la table replicability_criteria).",
                            title_fr="Critère", published_fr="Critère de répliquabilité (identifiant de la table"
                                                             " replicability_criteria).",
                            example="ampleur-deploiement"),
        "score": Doc("Note de 0 (nulle) à 5 (forte) ; les décimales sont acceptées (3,5).", title_fr="Note",
                     published_fr="Note de 0 (nulle) à 5 (forte).", example="3,5", minimum=0, maximum=5),
        "scored_on": Doc(f"Date de la notation. {WITHIN_EDITION}", title_fr="Date de la notation",
                         published_fr="Date de la notation.", example="30/06/2025"),
        **_provenance("source_id"),
    },
    "community_events": {
        "event_id": Doc("Identifiant de la rencontre (unique, ex. e2_communaute_2025_03_argenteuil).",
                        title_fr="Identifiant", example="e2_communaute_2025_03_argenteuil"),
        "edition_id": Doc("Édition du programme.", title_fr="Édition", example=2),
        "insee": Doc("Commune qui accueille la rencontre : code INSEE ou nom.", title_fr="Commune",
                     published_fr=f"Commune qui accueille la rencontre : {_INSEE}.", example="Argenteuil"),
        "date_start": Doc(f"Date de la rencontre. {WITHIN_EDITION}", title_fr="Date",
                          published_fr=f"Date de la rencontre ({_PERIOD_START}).", example="01/03/2025"),
        "date_precision": Doc("Précision de la date : obligatoire quand une date est donnée (jour, mois, saison,"
                              " année).", title_fr="Précision de la date", published_fr=_PRECISION, example="month",
                              allowed=PRECISIONS),
        "format_fr": Doc("Format de la rencontre, en français.", title_fr="Format", example="Conférence et visite"),
        "format_en": Doc("Format de la rencontre, en anglais.", title_fr="Format en anglais",
                         example="Conference and visit"),
        "participants": Doc("Nombre de participants (entier, 0 ou plus).", title_fr="Participants", example=60,
                            minimum=0),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "diagnostics": {
        "diagnostic_id": Doc("Identifiant du diagnostic.", title_fr="Identifiant"),
        "edition_id": _reference("Édition", _EDITION),
        "insee": _reference("Commune", _COMMUNE),
        "kind": Doc("Format du diagnostic territorial.", title_fr="Format",
                    allowed=("marche sensible", "balade urbaine", "entretiens", "atelier carte sur table")),
        "held_on": Doc(f"Date du diagnostic ({_PERIOD_START}).", title_fr="Date"),
        "date_precision": Doc(_PRECISION, title_fr="Précision de la date", allowed=PRECISIONS),
        "participants": Doc("Nombre de participants ; vide : non renseigné.", title_fr="Participants", minimum=0),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "surveys": {
        "result_id": Doc("Identifiant du résultat de questionnaire.", title_fr="Identifiant"),
        "edition_id": _reference("Édition", _EDITION),
        "respondents": Doc("Qui a répondu : communes ou porteurs de projet.", title_fr="Répondants",
                           allowed=("communes", "porteurs de projet")),
        "topic": Doc("Sujet de la question : motif, frein, compétences ou perspectives.", title_fr="Sujet",
                     allowed=("motif", "frein", "compétences", "perspectives")),
        "rank": Doc("Rang de la réponse dans le document ; vide quand il n'en donne pas.", title_fr="Rang"),
        **_labels("La réponse"),
        "value": Doc("Résultat publié, dans son unité.", title_fr="Valeur"),
        "unit": Doc("Unité : ratio (part entre 0 et 1), score_10 (note sur 10) ou people (personnes).",
                    title_fr="Unité", allowed=("ratio", "score_10", "people")),
        "figure_id": _reference("Chiffre publié", "Le chiffre publié d'où vient le résultat (table published_figures)."),
        **_provenance("source_id"),
    },
    "partners": {
        "partner_id": Doc("Identifiant du partenaire (une organisation).", title_fr="Identifiant"),
        "name": Doc("Nom de l'organisation.", title_fr="Nom"),
        "role": Doc("Rôle dans le programme, tel que le document le dit.", title_fr="Rôle",
                    allowed=("organisateur", "opérateur", "financeur", "partenaire", "accompagnement", "diagnostic",
                             "international", "évaluation", "jury", "rédaction")),
        "edition_id": _reference("Édition", "Édition concernée (table editions) ; vide : le programme entier."),
        "project_id": _reference("Projet", "Le projet que le partenaire aide, s'il en aide un (table projects)."),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "awards": {
        "award_id": Doc("Identifiant du prix ou du label.", title_fr="Identifiant"),
        "project_id": _reference("Projet", "Projet distingué (table projects) ; vide : le programme."),
        "label": Doc("Nom du prix ou du label.", title_fr="Prix ou label"),
        "awarded_by": Doc("Qui le décerne.", title_fr="Décerné par"),
        "year": Doc("Année.", title_fr="Année", minimum=2000, maximum=2100),
        "outcome": Doc("Résultat : lauréat, finaliste, label ou mention.", title_fr="Résultat",
                       allowed=("lauréat", "finaliste", "label", "mention")),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "aliases": {
        "alias_id": Doc("Identifiant de la graphie.", title_fr="Identifiant"),
        "entity_kind": Doc("Ce que le nom désigne : project, partner, programme, edition, call, theme ou publication.",
                           title_fr="Nature",
                           allowed=("project", "partner", "programme", "edition", "call", "theme", "publication")),
        "entity_id": Doc("Identifiant de ce que le nom désigne, dans sa table (project_id, partner_id…).",
                         title_fr="Désigne"),
        "name_as_written": Doc("Le nom tel que le document l'écrit.", title_fr="Graphie"),
        **_provenance("source_id", "source_section", "source_quote"),
    },
    "contradictions": {
        "contradiction_id": Doc("Identifiant de la contradiction.", title_fr="Identifiant"),
        "edition_id": _reference("Édition", "Édition concernée (table editions) ; vide : le programme entier."),
        "topic_fr": Doc("Sujet, en français.", title_fr="Sujet"),
        "topic_en": Doc("Sujet, en anglais.", title_fr="Sujet en anglais"),
        "kind": Doc("Entre deux documents (between_documents), dans un même document (within_document), ou entre un"
                    " document et les données de référence (data_vs_document).", title_fr="Nature",
                    allowed=("between_documents", "within_document", "data_vs_document")),
        "source_a": _reference("Source A", "Source de la première phrase (table sources)."),
        "section_a": Doc("Section de la première phrase.", title_fr="Section A"),
        "quote_a": Doc("Première phrase, mot pour mot (plusieurs passages séparés par « […] »).", title_fr="Citation A"),
        "source_b": _reference("Source B", "Source de la seconde phrase (table sources)."),
        "section_b": Doc("Section de la seconde phrase.", title_fr="Section B"),
        "quote_b": Doc("Seconde phrase, mot pour mot (plusieurs passages séparés par « […] »).", title_fr="Citation B"),
        "shown_fr": Doc("Ce que le tableau de bord montre et pourquoi, en français.", title_fr="Ce qui est montré"),
        "shown_en": Doc("Ce que le tableau de bord montre et pourquoi, en anglais.",
                        title_fr="Ce qui est montré, en anglais"),
        "page": Doc("La page du tableau de bord concernée (son adresse /<page>).", title_fr="Page"),
        "kpi_id": Doc("L'indicateur concerné (identifiant du registre des indicateurs).", title_fr="Indicateur"),
        "figure_ids": Doc("Les chiffres publiés concernés (identifiants de la table published_figures), séparés par"
                          " des espaces.", title_fr="Chiffres publiés",
                          published_fr="Les chiffres publiés concernés (identifiants de la table published_figures).",
                          separator=" "),
        **_provenance(),
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
