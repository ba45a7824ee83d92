"""Which tables a manager may import, and every table as schema.sql declares it: columns, keys, references."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import duckdb

from qmi_metrics.store import db, loader

IMPORTABLE_TABLES = ("projects", "project_events", "candidatures", "indicator_values", "indicator_protocols",
                     "replicability_scores", "community_events", "communes", "editions")
# They travel together: where a row comes from, and how it stands to that source (schema.sql, basis).
PROVENANCE_COLUMNS = ("source_id", "source_section", "source_quote", "basis", "basis_rule")

# Every table of schema.sql is either open data (export-opendata publishes it: its French title and what it holds)
# or withheld (and why). Declared here only; tests/test_opendata.py fails on a table in neither.
OPEN_DATA_TABLES = {  # in load order: a table comes after those it references
    "sources": ("Sources", "Les documents, fichiers de référence et pages web d'où vient chaque ligne, et les"
                           " fichiers importés par les gestionnaires."),
    "editions": ("Éditions", "Les éditions du programme, leurs années et leur état."),
    "milestones": ("Calendrier", "Les étapes du calendrier de chaque édition, datées à la précision que donne la"
                                 " source ; les étapes annoncées à l'avance sont marquées."),
    "themes": ("Défis urbains", "Les 8 défis urbains prioritaires."),
    "project_families": ("Familles de projets", "Les familles de projets du rapport (Énergie…)."),
    "solution_types": ("Types de solution", "Les types de solution du rapport (NUMÉRIQUE…) et ceux que le tableau"
                                            " de bord compte comme numériques."),
    "communes": ("Communes", "Les 130 communes de la Métropole du Grand Paris : code INSEE, département, EPT,"
                             " population."),
    "sites": ("Lieux", "Les lieux nommés, avec leur position (WGS 84) et sa précision : centres des communes,"
                       " quartiers, sites d'expérimentation, repères."),
    "commune_editions": ("Communes par édition", "Quelle commune a pris part à quelle édition, avec son quartier"
                                                 " et son défi."),
    "calls": ("Appels", "Les appels aux communes (AMI) et les appels à projets (AAP) de chaque édition."),
    "published_figures": ("Chiffres publiés", "Chaque chiffre que publient les documents, avec la phrase où il"
                                              " figure."),
    "call_figures": ("Chiffres des appels", "Les chiffres publiés de chaque appel (candidatures, sélectionnés…)."),
    "projects": ("Projets", "Les projets d'expérimentation : porteur, commune, famille, type, défi, description,"
                            " enseignements."),
    "project_sites": ("Lieux des projets", "Où chaque projet est expérimenté."),
    "candidatures": ("Candidatures", "Les candidatures connues ligne à ligne (communes à l'AMI, projets à l'AAP)."),
    "project_events": ("Étapes des projets", "L'historique des projets (sélection, démarrage, déploiement, arrêt…),"
                                             " daté quand un document le date."),
    "indicators": ("Indicateurs", "La bibliothèque d'indicateurs d'évaluation : unité, sens souhaité, domaine."),
    "project_indicators": ("Indicateurs des projets", "Quel projet suit quel indicateur."),
    "indicator_values": ("Mesures", "Les mesures des indicateurs, projet par projet."),
    "indicator_protocols": ("Protocoles des indicateurs", "Le protocole de chaque indicateur suivi par un projet :"
                                                          " valeur de départ, cible, dates, statut, auteur."),
    "replicability_criteria": ("Critères de répliquabilité", "Les cinq critères de répliquabilité du rapport."),
    "replicability_scores": ("Notes de répliquabilité", "Les notes de 0 à 5 de chaque projet sur chaque critère."),
    "community_events": ("Rencontres de la Communauté", "Les rencontres de la Communauté des Expérimentateurs et"
                                                        " leurs participants."),
    "diagnostics": ("Diagnostics territoriaux", "Les diagnostics de l'Institut Paris Région, commune par commune."),
    "surveys": ("Questionnaires", "Les résultats publiés des questionnaires aux communes et aux porteurs de"
                                  " projet."),
    "partners": ("Partenaires", "Qui organise, opère, finance ou aide le programme ou un projet, selon les"
                                " documents."),
    "awards": ("Prix et labels", "Les prix et labels que nomment les documents."),
    "aliases": ("Autres graphies", "Les autres façons dont les documents écrivent un nom (Pélican Cycles pour"
                                   " Pelican)."),
    "contradictions": ("Contradictions", "Les contradictions entre les documents, avec les deux phrases et ce que"
                                         " le tableau de bord montre."),
}
WITHHELD_TABLES = {
    "audit_log": "qui a importé quoi et quand : noms et adresses électroniques des personnes (by_user), leurs rôles",
    "meta": "les réglages de la base elle-même ; sa version des données est celle du paquet",
    "indicator_monthly": "dérivée des mesures (indicator_values), recalculée à chaque publication",
    "kpi_values": "dérivée : les indicateurs clés calculés depuis les tables publiées",
    "kpi_bases": "dérivée : ce sur quoi reposent les indicateurs clés",
    "kpi_keys": "dérivée : les membres des familles d'indicateurs clés",
    "indicator_progress": "dérivée des protocoles et des mesures (avancement), recalculée à chaque publication",
}
# Values of a public table that name a person, published empty: an import's source row records who imported it.
PERSONAL_VALUES = {("sources", "publisher"): "kind = 'import'"}


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


# Referenced tables whose rows people name by a label rather than an identifier.
REFERENCE_LABELS = {
    "communes": ("name",), "projects": ("name",), "themes": ("label_fr", "label_en"),
    "project_families": ("label_fr", "label_en"), "solution_types": ("label_fr", "label_en"),
    "indicators": ("label_fr", "label_en"), "replicability_criteria": ("label_fr", "label_en"),
}
# Referenced tables whose rows may also be named by another spelling the documents use (table aliases, by
# entity_kind): a project typed « Pélican Cycles » is the project pelican.
ALIAS_KINDS = {"projects": "project"}
