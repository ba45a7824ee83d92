"""The KPI registry: every indicator of the dashboard, declared once.

Each KPI's SQL returns one row with three columns:
  value    the figure (NULL when nothing backs it),
  covered  how many rows the value rests on,
  total    how many rows there are (NULL when unknown).
It reads the filters as bound parameters $edition, and $commune, $theme as lists (NULL = all)
and, for a family (theme_share:<slug>...), the member's key as $key.

Unknown is not zero: a KPI declares with `edition_rows` the rows it rests on, and where the edition has
none of them at all (the 2nd edition has no project yet) its value is NULL — « non renseigné » —, never a
0 counted over nothing. Where the published figures themselves determine a KPI (30 projects selected out
of 168 applications), `published_ratios` computes it from them, said « calculé à partir des chiffres publiés ».

A KPI whose rows may not all be stated by their sources (schema.sql, basis) says which it rests on in
`basis_sql` (see `rests_on`). A KPI whose rows may lack what it needs (an indicator without a target has no
progress) says why in `reasons_sql`: without a value it is then « non calculable », with those reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import duckdb

from qmi_metrics.metrics.filters import Filters
from qmi_metrics.store import db

# How a shown value was obtained (KpiResult.shown), in French and English.
UNITS = ("count", "ratio", "months", "people", "index", "score_10", "inhabitants")
FILTER_NAMES = ("edition", "commune", "theme")
FILTER_FIELDS = {"edition": "edition", "commune": "communes", "theme": "themes"}  # KPI filter -> Filters field


@dataclass(frozen=True)
class FigureRef:
    """A published figure a KPI reproduces, under the filters it was published for."""

    figure_id: str
    commune: str | None = None  # INSEE code when the figure is about one commune


@dataclass(frozen=True)
class Kpi:
    id: str
    label_fr: str
    label_en: str
    unit: str
    definition_fr: str
    definition_en: str
    sql: str
    filters: tuple[str, ...] = FILTER_NAMES  # the filters that apply; others are ignored
    figures: tuple[FigureRef, ...] = ()
    # A family expands into one KPI per key: keys_sql returns key, label_fr, label_en.
    keys_sql: str | None = None
    figures_by_key: dict = field(default_factory=dict)
    key: str | None = None
    # For counts of a list, a list shorter than the total it announces is itself a finding.
    partial_is_finding: bool = False
    # Extra context for a disagreement: SQL returning one text, {detail} in note_fr/note_en.
    detail_sql: str | None = None
    note_fr: str | None = None
    note_en: str | None = None
    # The rows the value rests on, as (basis, basis_rule) for the view: the card names those not stated.
    basis_sql: str | None = None
    # The rows the value rests on, as a table expression read with $edition only: when the edition has
    # none, the value is unknown (NULL), not 0. None: the SQL's own aggregate already gives NULL.
    edition_rows: str | None = None
    # (numerator, denominator) published figure ids whose quotient is this KPI, first pair preferred.
    published_ratios: tuple[tuple[str, str], ...] = ()
    # Why rows the value needs are not covered: SQL returning (reason, rows) for the view, reason a key of
    # present/vocabulary.PROGRESS_REASONS. Asked only when the value is missing or the rows are not complete.
    reasons_sql: str | None = None

    @property
    def query(self) -> str:
        """The SQL that is run: `sql`, its value NULL where the edition has none of `edition_rows`."""
        if self.edition_rows is None:
            return self.sql
        known = f"EXISTS (SELECT 1 FROM {self.edition_rows})"
        return (f"SELECT CASE WHEN {known} THEN k.value END AS value,"
                f" CASE WHEN {known} THEN k.covered ELSE 0 END AS covered, k.total FROM ({self.sql}) k")

    @property
    def is_family(self) -> bool:
        return self.keys_sql is not None and self.key is None

    def label(self, lang: str = "fr") -> str:
        return self.label_en if lang == "en" else self.label_fr

    def definition(self, lang: str = "fr") -> str:
        return self.definition_en if lang == "en" else self.definition_fr


def _figs(*ids: str) -> tuple[FigureRef, ...]:
    return tuple(FigureRef(i) for i in ids)


def rests_on(rows_sql: str) -> str:
    """A basis_sql: the inferred and modelled rows among `rows_sql`'s (columns basis, basis_rule), per rule."""
    return (f"SELECT basis, basis_rule, count(*) AS rows FROM ({rows_sql}) WHERE basis <> 'stated'"
            " GROUP BY ALL ORDER BY basis, basis_rule")


PROJECTS = "f_projects($edition, $commune, $theme)"
# A KPI that compares its count with published_call_total() counts in a subquery first: DuckDB 2.0
# cannot bind an aggregate beside that macro when store_all runs the SQL for every view at once.
# Projects with their number of measurements (NULL: none), from the monthly roll-up of the series.
MEASURED_PROJECTS = (f"{PROJECTS} p LEFT JOIN (SELECT project_id, sum(measurements) AS measurements"
                     f" FROM indicator_monthly GROUP BY project_id) m USING (project_id)")
# Projects hosted by each laureate commune that hosts any (a commune laureate twice counts once).
PROJECTS_PER_COMMUNE = ("(SELECT p.insee, count(*) AS n FROM f_projects($edition, NULL, NULL) p"
                        " WHERE p.insee IN (SELECT insee FROM f_laureate_communes($edition, NULL)) GROUP BY p.insee)")
# The events that say whether the view's projects were deployed or stopped, with their basis.
OUTCOME_EVENTS = (f"SELECT e.basis, e.basis_rule FROM project_events e JOIN {PROJECTS} p USING (project_id)"
                  " WHERE e.kind IN ('deployed', 'tested', 'evaluated', 'continued', 'stopped')")
# The laureate communes of the edition, one row each (all editions: a commune laureate twice is one commune).
LAUREATES = "(SELECT DISTINCT insee, name, departement, ept_name, population FROM f_laureate_communes($edition, NULL))"
# The rows an edition's counts rest on (Kpi.edition_rows): none at all for the edition -> unknown, not 0.
EDITION_LAUREATES = "f_laureate_communes($edition, NULL)"
EDITION_PROJECTS = "f_projects($edition, NULL, NULL)"
EDITION_OUTCOMES = "(SELECT 1 FROM f_projects($edition, NULL, NULL) WHERE outcome_known)"
EDITION_EVALUATIONS = "(SELECT 1 FROM f_projects($edition, NULL, NULL) WHERE is_evaluated)"
EDITION_MEASUREMENTS = "(SELECT 1 FROM indicator_monthly m JOIN f_projects($edition, NULL, NULL) p USING (project_id))"

# Each followed indicator of the view's projects with its protocol and progress (rollups.INDICATOR_PROGRESS).
PROGRESS = f"(SELECT g.* FROM indicator_progress g JOIN {PROJECTS} p USING (project_id))"
# Progress is expected of an indicator whose protocol gives a baseline and a different target.
PROGRESS_EXPECTED = "(reason IS NULL OR reason IN ('no_measurement', 'only_older_measurements'))"
PROGRESS_REASONS = (f"SELECT reason, count(*) AS rows FROM {PROGRESS} WHERE reason IS NOT NULL"
                    " GROUP BY ALL ORDER BY rows DESC, reason")

REGISTRY: tuple[Kpi, ...] = (
    Kpi(
        id="communes_count",
        label_fr="Communes lauréates", label_en="Laureate communes", unit="count",
        definition_fr="Nombre de communes lauréates de l'édition (toutes éditions : sans doublon).",
        definition_en="Number of laureate communes of the edition (all editions: without duplicates).",
        sql="SELECT count(DISTINCT insee) AS value, count(DISTINCT insee) AS covered, count(DISTINCT insee) AS total"
            " FROM f_laureate_communes($edition, $commune)",
        filters=("edition", "commune"),
        edition_rows=EDITION_LAUREATES,
        figures=_figs("rapport_communes_laureates", "cp_communes_e1", "rapport_ami_laureates", "mgp_e2_communes_laureates"),
    ),
    Kpi(
        id="network_communes_count",
        label_fr="Communes du réseau QMI", label_en="Communes in the QMI network", unit="count",
        definition_fr="Nombre de communes ayant été lauréates d'au moins une édition.",
        definition_en="Number of communes that were laureates of at least one edition.",
        sql="SELECT count(DISTINCT insee) AS value, count(DISTINCT insee) AS covered, count(DISTINCT insee) AS total"
            " FROM f_laureate_communes(NULL, $commune)",
        filters=("commune",),
        figures=_figs("rapport_reseau_villes"),
    ),
    Kpi(
        id="departements_count",
        label_fr="Départements représentés", label_en="Départements represented", unit="count",
        definition_fr="Nombre de départements des communes lauréates.",
        definition_en="Number of départements of the laureate communes.",
        sql=f"SELECT count(DISTINCT departement) AS value, count(*) AS covered, count(*) AS total"
            f" FROM {LAUREATES}",
        filters=("edition",),
        edition_rows=EDITION_LAUREATES,
        figures=_figs("rapport_departements"),
        detail_sql=f"SELECT string_agg(name || ' (' || departement || ')', ', ' ORDER BY name)"
                   f" FROM {LAUREATES}",
        note_fr="Communes lauréates : {detail}.", note_en="Laureate communes: {detail}.",
    ),
    Kpi(
        id="ept_count",
        label_fr="Établissements publics territoriaux représentés", label_en="Territorial public bodies (EPT) represented",
        unit="count",
        definition_fr="Nombre d'EPT des communes lauréates, d'après la liste officielle des communes de la Métropole.",
        definition_en="Number of EPTs of the laureate communes, from the official list of the Métropole's communes.",
        sql=f"SELECT count(DISTINCT ept_name) AS value, count(ept_name) AS covered, count(*) AS total"
            f" FROM {LAUREATES}",
        filters=("edition",),
        edition_rows=EDITION_LAUREATES,
        figures=_figs("rapport_ept"),
        detail_sql=f"SELECT string_agg(name || ' (' || coalesce(ept_name, 'EPT non renseigné') || ')', ', ' ORDER BY name)"
                   f" FROM {LAUREATES}",
        note_fr="D'après la liste officielle (INSEE / découpage administratif) : {detail}.",
        note_en="According to the official list (INSEE / découpage administratif): {detail}.",
    ),
    Kpi(
        id="commune_population_min",
        label_fr="Population de la plus petite commune lauréate", label_en="Population of the smallest laureate commune",
        unit="inhabitants",
        definition_fr="Plus petite population municipale (INSEE) parmi les communes lauréates.",
        definition_en="Smallest municipal population (INSEE) among the laureate communes.",
        sql=f"SELECT min(population) AS value, count(population) AS covered, count(*) AS total"
            f" FROM {LAUREATES}",
        filters=("edition",),
        figures=_figs("rapport_population_min"),
    ),
    Kpi(
        id="commune_population_max",
        label_fr="Population de la plus grande commune lauréate", label_en="Population of the largest laureate commune",
        unit="inhabitants",
        definition_fr="Plus grande population municipale (INSEE) parmi les communes lauréates.",
        definition_en="Largest municipal population (INSEE) among the laureate communes.",
        sql=f"SELECT max(population) AS value, count(population) AS covered, count(*) AS total"
            f" FROM {LAUREATES}",
        filters=("edition",),
        figures=_figs("rapport_population_max"),
        detail_sql=f"SELECT string_agg(name || ' : ' || population, ', ' ORDER BY population DESC)"
                   f" FROM {LAUREATES}",
        note_fr="Population municipale INSEE de la liste de référence : {detail}.",
        note_en="INSEE municipal population in the reference list: {detail}.",
    ),
    Kpi(
        id="commune_applications_count",
        label_fr="Candidatures de communes", label_en="Applications from communes", unit="count",
        definition_fr="Candidatures de communes à l'appel à manifestation d'intérêt (lignes connues).",
        definition_en="Applications from communes to the call for expressions of interest (known rows).",
        sql="SELECT value, covered,"
            " CASE WHEN $commune IS NULL THEN greatest(value, published_call_total($edition, 'communes', 'applications')) END AS total"
            " FROM (SELECT count(*) AS value, count(*) AS covered FROM f_candidatures($edition, $commune, NULL, 'communes'))",
        basis_sql=rests_on("SELECT basis, basis_rule FROM f_candidatures($edition, $commune, NULL, 'communes')"),
        filters=("edition", "commune"),
        edition_rows="f_candidatures($edition, NULL, NULL, 'communes')",
        figures=_figs("rapport_ami_candidatures", "mgp_e2_ami_candidatures"),
    ),
    Kpi(
        id="candidatures_count",
        label_fr="Candidatures de projets", label_en="Project applications", unit="count",
        definition_fr="Candidatures reçues à l'appel à projets (lignes connues).",
        definition_en="Applications received by the call for projects (known rows).",
        sql="SELECT value, covered,"
            " CASE WHEN $commune IS NULL AND $theme IS NULL"
            " THEN greatest(value, published_call_total($edition, 'projects', 'applications')) END AS total"
            " FROM (SELECT count(*) AS value, count(*) AS covered FROM f_candidatures($edition, $commune, $theme, 'projects'))",
        basis_sql=rests_on("SELECT basis, basis_rule FROM f_candidatures($edition, $commune, $theme, 'projects')"),
        figures=_figs("rapport_candidatures_aap", "cp_candidatures_aap"),
        edition_rows="f_candidatures($edition, NULL, NULL, 'projects')",
    ),
    Kpi(
        id="projects_selected_count",
        label_fr="Projets sélectionnés", label_en="Selected projects", unit="count",
        definition_fr="Projets d'expérimentation sélectionnés (liste des projets).",
        definition_en="Experimentation projects selected (list of projects).",
        sql=f"SELECT value, covered,"
            f" CASE WHEN $commune IS NULL AND $theme IS NULL"
            f" THEN greatest(value, published_call_total($edition, 'projects', 'selected')) END AS total"
            f" FROM (SELECT count(*) AS value, count(*) AS covered FROM {PROJECTS})",
        figures=_figs("rapport_projets_selectionnes", "cp_solutions_e1", "mgp_e2_projets_phase1"),
        partial_is_finding=True,
        edition_rows=EDITION_PROJECTS,
        note_fr="La liste des projets du rapport en nomme {value} ; le total annoncé est {total}.",
        note_en="The report's list of projects names {value}; the announced total is {total}.",
    ),
    Kpi(
        id="projects_deployed_count",
        label_fr="Projets déployés", label_en="Deployed projects", unit="count",
        definition_fr="Projets déployés ou testés sur le terrain (issue connue : déployé ou arrêté).",
        definition_en="Projects deployed or tested in the field (known outcome: deployed or stopped).",
        sql=f"SELECT count(*) FILTER (WHERE is_deployed) AS value, count(*) FILTER (WHERE outcome_known) AS covered,"
            f" count(*) AS total FROM {PROJECTS}",
        edition_rows=EDITION_OUTCOMES,
        basis_sql=rests_on(OUTCOME_EVENTS),
    ),
    Kpi(
        id="projects_per_commune_min",
        label_fr="Projets par commune (minimum)", label_en="Projects per commune (minimum)", unit="count",
        definition_fr="Plus petit nombre de projets accueillis par une commune lauréate.",
        definition_en="Smallest number of projects hosted by a laureate commune.",
        sql=f"SELECT min(n) AS value, count(*) AS covered, count(*) AS total FROM {PROJECTS_PER_COMMUNE}",
        filters=("edition",),
        figures=_figs("rapport_solutions_par_quartier_min"),
    ),
    Kpi(
        id="projects_per_commune_max",
        label_fr="Projets par commune (maximum)", label_en="Projects per commune (maximum)", unit="count",
        definition_fr="Plus grand nombre de projets accueillis par une commune lauréate.",
        definition_en="Largest number of projects hosted by a laureate commune.",
        sql=f"SELECT max(n) AS value, count(*) AS covered, count(*) AS total FROM {PROJECTS_PER_COMMUNE}",
        filters=("edition",),
        figures=_figs("rapport_solutions_par_quartier_max"),
    ),
    Kpi(
        id="selection_rate",
        label_fr="Taux de sélection", label_en="Selection rate", unit="ratio",
        definition_fr="Part des candidatures à l'appel à projets retenues (lignes connues).",
        definition_en="Share of project applications selected (known rows).",
        sql="SELECT value, covered,"
            " CASE WHEN $commune IS NULL AND $theme IS NULL"
            " THEN greatest(covered, published_call_total($edition, 'projects', 'applications')) END AS total"
            " FROM (SELECT avg(CASE WHEN status = 'lauréate' THEN 1.0 ELSE 0.0 END) AS value, count(*) AS covered"
            "       FROM f_candidatures($edition, $commune, $theme, 'projects'))",
        basis_sql=rests_on("SELECT basis, basis_rule FROM f_candidatures($edition, $commune, $theme, 'projects')"),
        # The report's 30 of 168 first; the press release counts 170 applications.
        published_ratios=(("rapport_projets_selectionnes", "rapport_candidatures_aap"),
                          ("cp_solutions_e1", "cp_candidatures_aap")),
    ),
    Kpi(
        id="deployment_rate",
        label_fr="Taux de déploiement", label_en="Deployment rate", unit="ratio",
        definition_fr="Part des projets déployés parmi ceux dont l'issue (déployé ou arrêté) est connue.",
        definition_en="Share of projects deployed among those whose outcome (deployed or stopped) is known.",
        sql=f"SELECT avg(CASE WHEN is_deployed THEN 1.0 ELSE 0.0 END) FILTER (WHERE outcome_known) AS value,"
            f" count(*) FILTER (WHERE outcome_known) AS covered, count(*) AS total FROM {PROJECTS}",
        basis_sql=rests_on(OUTCOME_EVENTS),
        figures=_figs("rapport_taux_deploiement_moyen", "rapport_taux_deploiement_global"),
    ),
    Kpi(
        id="mean_deployment_months",
        label_fr="Délai moyen de déploiement", label_en="Mean time to deployment", unit="months",
        definition_fr="Mois entre le début de l'accompagnement et le déploiement, en moyenne sur les projets datés au mois près.",
        definition_en="Months from the start of support to deployment, averaged over projects dated to the month.",
        sql=f"SELECT avg(deployment_months) AS value, count(deployment_months) AS covered,"
            f" count(*) FILTER (WHERE is_deployed) AS total FROM {PROJECTS}",
        basis_sql=rests_on(f"SELECT delay_basis AS basis, delay_rule AS basis_rule FROM {PROJECTS}"
                           " WHERE deployment_months IS NOT NULL"),
        figures=_figs("rapport_deploiement_mois"),
    ),
    Kpi(
        id="theme_share",
        label_fr="Part des projets du défi « {label} »", label_en="Share of projects in “{label}”", unit="ratio",
        definition_fr="Part des projets rattachés à ce défi parmi les projets dont le défi est connu.",
        definition_en="Share of projects in this challenge among projects whose challenge is known.",
        sql="SELECT avg(CASE WHEN theme_slug = $key THEN 1.0 ELSE 0.0 END) FILTER (WHERE theme_slug IS NOT NULL) AS value,"
            " count(theme_slug) AS covered, count(*) AS total FROM f_projects($edition, $commune, NULL)",
        basis_sql=rests_on("SELECT basis, basis_rule FROM f_projects($edition, $commune, NULL)"
                           " WHERE theme_slug IS NOT NULL"),
        filters=("edition", "commune"),
        keys_sql="SELECT theme_slug AS key, label_fr, label_en FROM themes ORDER BY rank",
        figures_by_key={
            "economie-circulaire": _figs("rapport_theme_economie_circulaire"),
            "flux-mobilites": _figs("rapport_theme_flux_mobilites"),
            "renouvellement-urbain": _figs("rapport_theme_renouvellement_urbain"),
            "adaptation-climat": _figs("rapport_theme_adaptation_climat"),
            "espaces-publics": _figs("rapport_theme_espaces_publics"),
        },
    ),
    Kpi(
        id="international_share",
        label_fr="Part de candidats internationaux", label_en="Share of international applicants", unit="ratio",
        definition_fr="Part des candidatures à l'appel à projets venant de l'étranger (lignes où c'est connu).",
        definition_en="Share of project applications from abroad (rows where it is known).",
        sql="SELECT value, covered,"
            " CASE WHEN $commune IS NULL AND $theme IS NULL"
            " THEN greatest(rows, published_call_total($edition, 'projects', 'applications')) ELSE rows END AS total"
            " FROM (SELECT avg(CASE WHEN is_international THEN 1.0 ELSE 0.0 END) FILTER (WHERE is_international IS NOT NULL)"
            "       AS value, count(is_international) AS covered, count(*) AS rows"
            "       FROM f_candidatures($edition, $commune, $theme, 'projects'))",
        basis_sql=rests_on("SELECT basis, basis_rule FROM f_candidatures($edition, $commune, $theme, 'projects')"
                           " WHERE is_international IS NOT NULL"),
        figures=_figs("cp_part_internationaux"),
    ),
    Kpi(
        id="digital_share",
        label_fr="Part de solutions numériques", label_en="Share of digital solutions", unit="ratio",
        definition_fr="Part des projets de type NUMÉRIQUE parmi les projets dont le type est connu.",
        definition_en="Share of DIGITAL-type projects among projects whose type is known.",
        sql=f"SELECT avg(CASE WHEN is_digital THEN 1.0 ELSE 0.0 END) FILTER (WHERE is_digital IS NOT NULL) AS value,"
            f" count(is_digital) AS covered, count(*) AS total FROM {PROJECTS}",
        basis_sql=rests_on(f"SELECT t.basis, t.basis_rule FROM {PROJECTS} p JOIN solution_types t USING (type_slug)"),
        figures=_figs("rapport_part_numerique"),
        detail_sql=f"SELECT string_agg(name, ', ' ORDER BY name) FROM {PROJECTS} WHERE is_digital",
        note_fr="Projets de type NUMÉRIQUE dans la liste : {detail}. Le rapport parle de solutions qui « intègrent pleinement"
                " des solutions numériques avancées », notion qui peut inclure des capteurs connectés (type ÉQUIPEMENT).",
        note_en="DIGITAL-type projects in the list: {detail}. The report speaks of solutions that 'fully integrate advanced"
                " digital solutions', which may include connected sensors (EQUIPMENT type).",
    ),
    Kpi(
        id="community_events_count",
        label_fr="Rencontres de la Communauté", label_en="Community meetings", unit="count",
        definition_fr="Nombre de rencontres de la Communauté des Expérimentateurs.",
        definition_en="Number of meetings of the Community of Experimenters.",
        sql="SELECT count(*) AS value, count(*) AS covered, count(*) AS total FROM f_community_events($edition, $commune)",
        filters=("edition", "commune"),
        edition_rows="f_community_events($edition, NULL)",
    ),
    Kpi(
        id="community_participants_total",
        label_fr="Participants aux rencontres de la Communauté", label_en="Participants in community meetings",
        unit="people",
        definition_fr="Somme des participants des rencontres de la Communauté des Expérimentateurs.",
        definition_en="Sum of the participants of the Community of Experimenters' meetings.",
        sql="SELECT sum(participants) AS value, count(participants) AS covered, count(*) AS total"
            " FROM f_community_events($edition, $commune)",
        filters=("edition", "commune"),
        figures=(FigureRef("rapport_communaute_personnes"),
                 FigureRef("rapport_communaute_aulnay", commune="93005"),
                 FigureRef("rapport_communaute_meudon", commune="92048"),
                 FigureRef("rapport_communaute_noisy", commune="93051"),
                 FigureRef("rapport_communaute_sceaux", commune="92071")),
        partial_is_finding=True,
        detail_sql="SELECT string_agg(coalesce(c.name, 'commune non renseignée') || ' ' || coalesce(e.participants::VARCHAR, '?'),"
                   " ' + ' ORDER BY e.date_start) FROM f_community_events($edition, $commune) e LEFT JOIN communes c USING (insee)",
        note_fr="Rencontres listées : {detail}.", note_en="Meetings listed: {detail}.",
    ),
    Kpi(
        id="community_participants_min",
        label_fr="Participants par rencontre (minimum)", label_en="Participants per meeting (minimum)", unit="people",
        definition_fr="Plus petite affluence d'une rencontre de la Communauté.",
        definition_en="Smallest attendance of a community meeting.",
        sql="SELECT min(participants) AS value, count(participants) AS covered, count(*) AS total"
            " FROM f_community_events($edition, NULL)",
        filters=("edition",),
        figures=_figs("rapport_communaute_participants_min"),
    ),
    Kpi(
        id="community_participants_max",
        label_fr="Participants par rencontre (maximum)", label_en="Participants per meeting (maximum)", unit="people",
        definition_fr="Plus forte affluence d'une rencontre de la Communauté.",
        definition_en="Largest attendance of a community meeting.",
        sql="SELECT max(participants) AS value, count(participants) AS covered, count(*) AS total"
            " FROM f_community_events($edition, NULL)",
        filters=("edition",),
        figures=_figs("rapport_communaute_participants_max"),
    ),
    Kpi(
        id="diagnostics_people_total",
        label_fr="Personnes mobilisées par les diagnostics", label_en="People reached by the diagnostics", unit="people",
        definition_fr="Somme des participants aux marches, entretiens et ateliers des diagnostics territoriaux.",
        definition_en="Sum of participants in the walks, interviews and workshops of the territorial diagnostics.",
        sql="SELECT sum(participants) AS value, count(participants) AS covered, count(*) AS total"
            " FROM f_diagnostics($edition, $commune)",
        basis_sql=rests_on("SELECT basis, basis_rule FROM f_diagnostics($edition, $commune)"
                           " WHERE participants IS NOT NULL"),
        filters=("edition", "commune"),
        figures=_figs("rapport_diagnostics_personnes"),
    ),
    Kpi(
        id="diagnostic_mean_participants",
        label_fr="Participants moyens par {label}", label_en="Mean participants per {label}", unit="people",
        definition_fr="Participants moyens par commune pour ce format de diagnostic.",
        definition_en="Mean participants per commune for this diagnostic format.",
        sql="SELECT avg(participants) AS value, count(participants) AS covered, count(*) AS total"
            " FROM f_diagnostics($edition, $commune) WHERE kind = $key",
        basis_sql=rests_on("SELECT basis, basis_rule FROM f_diagnostics($edition, $commune)"
                           " WHERE kind = $key AND participants IS NOT NULL"),
        filters=("edition", "commune"),
        keys_sql="SELECT DISTINCT kind AS key, kind AS label_fr, kind AS label_en FROM diagnostics"
                 " WHERE kind IN ('marche sensible', 'entretiens', 'atelier carte sur table') ORDER BY kind",
        figures_by_key={
            "marche sensible": _figs("rapport_marche_sensible_moyenne"),
            "entretiens": _figs("rapport_entretiens_moyenne"),
            "atelier carte sur table": _figs("rapport_ateliers_moyenne"),
        },
    ),
    Kpi(
        id="indicators_count",
        label_fr="Indicateurs dans la bibliothèque", label_en="Indicators in the library", unit="count",
        definition_fr="Nombre d'indicateurs d'évaluation de la bibliothèque livrée avec le tableau de bord.",
        definition_en="Number of evaluation indicators in the library shipped with the dashboard.",
        # The library's size is published; the shipped one is the part the documents name.
        sql="SELECT count(*) AS value, count(*) AS covered,"
            " greatest(count(*), (SELECT max(value) FROM published_figures"
            "                     WHERE figure_id = 'rapport_indicateurs_bibliotheque'))::INTEGER AS total"
            " FROM indicators",
        basis_sql=rests_on("SELECT basis, basis_rule FROM indicators"),
        filters=(),
        figures=_figs("rapport_indicateurs_bibliotheque"),
        partial_is_finding=True,
        note_fr="La bibliothèque complète n'est pas publique : celle-ci ne contient que les mesures que nomment les"
                " descriptions des projets (et un champ d'évaluation que cite le rapport), unité et sens souhaité"
                " modélisés.",
        note_en="The full library is not public: this one holds only the measures the projects' descriptions name (and"
                " one evaluation field the report cites), their unit and desired direction modelled.",
    ),
    Kpi(
        id="evaluation_sheets_count",
        label_fr="Fiches évaluation produites", label_en="Evaluation sheets produced", unit="count",
        definition_fr="Nombre de projets évalués (fiche évaluation produite).",
        definition_en="Number of projects evaluated (evaluation sheet produced).",
        sql=f"SELECT count(*) FILTER (WHERE is_evaluated) AS value, count(*) FILTER (WHERE is_evaluated) AS covered,"
            f" count(*) AS total FROM {PROJECTS}",
        figures=_figs("rapport_fiches_evaluation"),
        edition_rows=EDITION_EVALUATIONS,
    ),
    Kpi(
        id="measurements_count",
        label_fr="Mesures d'indicateurs publiées", label_en="Indicator measurements published", unit="count",
        definition_fr="Nombre de mesures d'indicateurs des projets ; couverture : projets ayant au moins une mesure.",
        definition_en="Number of indicator measurements of the projects; coverage: projects with at least one.",
        sql=f"SELECT coalesce(sum(m.measurements), 0) AS value, count(m.measurements) AS covered, count(*) AS total"
            f" FROM {MEASURED_PROJECTS}",
        edition_rows=EDITION_MEASUREMENTS,
    ),
    Kpi(
        id="measured_projects_share",
        label_fr="Part des projets avec des mesures publiées", label_en="Share of projects with published measurements",
        unit="ratio",
        definition_fr="Part des projets ayant au moins une mesure d'indicateur publiée.",
        definition_en="Share of projects with at least one published indicator measurement.",
        sql=f"SELECT avg(CASE WHEN m.measurements IS NOT NULL THEN 1.0 ELSE 0.0 END) AS value,"
            f" count(*) AS covered, count(*) AS total FROM {MEASURED_PROJECTS}",
        edition_rows=EDITION_MEASUREMENTS,
    ),
    Kpi(
        id="protocol_target_share",
        label_fr="Part des indicateurs suivis ayant une cible", label_en="Share of followed indicators with a target",
        unit="ratio",
        definition_fr="Part des indicateurs suivis dont le protocole fixe une cible, parmi ceux dont le protocole est"
                      " saisi ; couverture : indicateurs suivis ayant un protocole.",
        definition_en="Share of followed indicators whose protocol sets a target, among those with a protocol"
                      " entered; coverage: followed indicators with a protocol.",
        sql=f"SELECT avg(CASE WHEN target_value IS NOT NULL THEN 1.0 ELSE 0.0 END) FILTER (WHERE has_protocol) AS value,"
            f" count(*) FILTER (WHERE has_protocol) AS covered, count(*) AS total FROM {PROGRESS}",
        reasons_sql=f"SELECT 'no_protocol' AS reason, count(*) AS rows FROM {PROGRESS} WHERE NOT has_protocol"
                    " HAVING count(*) > 0",
    ),
    Kpi(
        id="progress_mean",
        label_fr="Avancement moyen vers les cibles", label_en="Mean progress towards the targets", unit="ratio",
        definition_fr="Moyenne, sur les indicateurs suivis ayant une valeur de départ et une cible, de (dernière"
                      " valeur − départ) / (cible − départ), bornée entre 0 et 1 ; les mesures antérieures au"
                      " départ sont ignorées.",
        definition_en="Mean, over the followed indicators with a baseline and a target, of (latest value − baseline)"
                      " / (target − baseline), clamped to [0, 1]; measurements older than the baseline are ignored.",
        sql=f"SELECT avg(progress) AS value, count(progress) AS covered,"
            f" count(*) FILTER (WHERE {PROGRESS_EXPECTED}) AS total FROM {PROGRESS}",
        reasons_sql=PROGRESS_REASONS,
    ),
    Kpi(
        id="progress_on_track_share",
        label_fr="Part des indicateurs dans les temps", label_en="Share of indicators on track", unit="ratio",
        definition_fr="Part des indicateurs dont l'avancement atteint au moins la part écoulée de la période entre"
                      " la date de départ et la date de la cible, à la date de la dernière mesure.",
        definition_en="Share of indicators whose progress is at least the elapsed share of the period from the"
                      " baseline date to the target date, at the date of the latest measurement.",
        sql=f"SELECT avg(CASE WHEN on_track THEN 1.0 ELSE 0.0 END) FILTER (WHERE on_track IS NOT NULL) AS value,"
            f" count(on_track) AS covered, count(*) FILTER (WHERE {PROGRESS_EXPECTED}) AS total FROM {PROGRESS}",
        reasons_sql=f"SELECT coalesce(reason, 'no_target_date') AS reason, count(*) AS rows FROM {PROGRESS}"
                    " WHERE on_track IS NULL GROUP BY ALL ORDER BY rows DESC, reason",
    ),
    Kpi(
        id="replicability_index",
        label_fr="Indice de répliquabilité — {label}", label_en="Replicability index — {label}", unit="index",
        definition_fr="Moyenne des cinq critères de répliquabilité (notés de 0 à 5), ramenée entre 0 et 1.",
        definition_en="Mean of the five replicability criteria (scored 0 to 5), scaled to 0–1.",
        sql="SELECT index_ratio AS value, criteria_scored AS covered, criteria_total AS total"
            " FROM replicability_index WHERE project_id = $key",
        filters=(),
        keys_sql="SELECT p.project_id AS key, p.name AS label_fr, p.name AS label_en"
                 " FROM projects p WHERE p.project_id IN (SELECT project_id FROM replicability_scores) ORDER BY p.project_id",
    ),
    Kpi(
        id="replicability_index_mean",
        label_fr="Indice de répliquabilité moyen", label_en="Mean replicability index", unit="index",
        definition_fr="Moyenne des indices de répliquabilité des projets notés.",
        definition_en="Mean replicability index of the scored projects.",
        sql=f"SELECT avg(r.index_ratio) AS value, count(r.project_id) AS covered, count(*) AS total"
            f" FROM {PROJECTS} p LEFT JOIN replicability_index r USING (project_id)",
    ),
    Kpi(
        id="financing_brake_score",
        label_fr="Frein du financement (note des porteurs)", label_en="Financing as a brake (project holders' score)",
        unit="score_10",
        definition_fr="Note moyenne, sur 10, donnée par les porteurs de projet au frein que représente le financement.",
        definition_en="Mean score out of 10 given by project holders to financing as a brake on deployment.",
        sql="SELECT avg(value) AS value, count(*) AS covered, count(*) AS total FROM surveys"
            " WHERE topic = 'frein' AND unit = 'score_10' AND ($edition IS NULL OR edition_id = $edition)",
        filters=("edition",),
        figures=_figs("rapport_frein_financement"),
        note_fr="Repris de l'agrégat publié : les réponses individuelles ne sont pas publiques.",
        note_en="Taken from the published aggregate: individual answers are not public.",
    ),
)

BY_ID = {kpi.id: kpi for kpi in REGISTRY}


def expand(con, kpis=REGISTRY) -> list[Kpi]:
    """The registry with each family replaced by one KPI per key present in the database."""
    members = family_members(con)
    expanded = []
    for kpi in kpis:
        if not kpi.is_family:
            expanded.append(kpi)
            continue
        rows = members[kpi.id] if members is not None else db.execute(con, kpi.keys_sql).fetchall()
        expanded.extend(_member(kpi, *row) for row in rows)
    return expanded


_MEMBERS: dict[tuple, Kpi] = {}  # (family, key, labels) -> Kpi: a page's registry is rebuilt per view


def _member(kpi: Kpi, key: str, label_fr: str, label_en: str) -> Kpi:
    memo_key = (kpi.id, key, label_fr, label_en)
    member = _MEMBERS.get(memo_key)
    if member is None:
        if len(_MEMBERS) > 100_000:  # bounded: keys come from the data
            _MEMBERS.clear()
        member = _MEMBERS[memo_key] = replace(
            kpi, id=f"{kpi.id}:{key}", key=key, label_fr=kpi.label_fr.format(label=label_fr),
            label_en=kpi.label_en.format(label=label_en), figures=kpi.figures_by_key.get(key, kpi.figures))
    return member


def family_members(con) -> dict[str, list[tuple]] | None:
    """Each family's (key, label_fr, label_en) as stored by store_all, None for a database without them."""
    try:
        rows = db.execute(con, "SELECT family, key, label_fr, label_en FROM kpi_keys ORDER BY family, position").fetchall()
    except duckdb.CatalogException:  # a database built before kpi_keys existed
        return None
    members = {kpi.id: [] for kpi in REGISTRY if kpi.is_family}
    for family, *member in rows:
        members.setdefault(family, []).append(member)
    return members


def get(con, kpi_id: str) -> Kpi:
    """One KPI by id, family members included (theme_share:economie-circulaire)."""
    for kpi in expand(con, [BY_ID[kpi_id.split(":", 1)[0]]] if kpi_id.split(":", 1)[0] in BY_ID else []):
        if kpi.id == kpi_id:
            return kpi
    raise KeyError(kpi_id)


@dataclass(frozen=True)
class PublishedFigure:
    figure_id: str
    edition_id: int | None
    value: float
    unit: str
    qualifier: str | None
    rounding_step: float | None
    label_fr: str
    document: str
    section: str
    quote: str
    note: str | None
    label_en: str = ""

    @property
    def source(self) -> str:
        return f"{self.document} — {self.section}"


@dataclass(frozen=True)
class RowBasis:
    """Rows a computed value rests on that their sources do not state for themselves (schema.sql, basis)."""
    basis: str  # inferred | modelled
    rule: str   # how, in French
    rows: int


@dataclass(frozen=True)
class PublishedRatio:
    """A KPI computed from two published figures: 30 projects selected / 168 applications."""

    numerator: PublishedFigure
    denominator: PublishedFigure

    @property
    def value(self) -> float:
        return self.numerator.value / self.denominator.value


@dataclass(slots=True)  # not frozen: a page builds a thousand per view, and frozen init costs 7× more
class KpiResult:
    kpi: Kpi
    filters: Filters
    value: float | None
    covered: int | None
    total: int | None
    published: tuple[PublishedFigure, ...]  # the figures published for exactly this view
    # The KPI computed from published figures of this view (Kpi.published_ratios), preferred first.
    ratios: tuple[PublishedRatio, ...] = ()
    bases: tuple[RowBasis, ...] = ()  # the inferred or modelled rows the computed value rests on
    reasons: tuple[tuple[str, int], ...] = ()  # (reason, rows) the value lacks (Kpi.reasons_sql)

    @property
    def id(self) -> str:
        return self.kpi.id

    @property
    def unit(self) -> str:
        return self.kpi.unit

    @property
    def is_complete(self) -> bool:
        """True when the value rests on every row there is."""
        return self.covered is not None and self.total is not None and self.covered >= self.total

    @property
    def ignored_filters(self) -> tuple[str, ...]:
        return tuple(n for n in FILTER_NAMES if getattr(self.filters, FILTER_FIELDS[n]) not in (None, ())
                     and n not in self.kpi.filters)

    def shown(self) -> tuple[float | None, str, bool]:
        """What a card shows: (value, basis, is_lower_bound), one rule for the dashboard, reports and slides.

        Complete rows -> the computed value; partial rows with a published figure -> the published one
        (a lower bound when printed « plus de »); else the quotient of two published figures; no value ->
        unknown; a partial ratio, duration or index -> nothing; a partial count of 0 -> nothing (none
        among the rows known says nothing of the others); a partial count -> the value, said partial."""
        if self.is_complete and self.value is not None:
            return self.value, "computed", False
        if self.published:
            return self.published_value, "published", self.published[0].qualifier in ("plus de", "au moins")
        if self.ratios:
            return self.ratios[0].value, "computed_from_published", False
        if self.value is None:  # rows there are, lacking what the value needs (reasons), or no row at all
            return None, "not computable" if self.reasons else "unknown", False
        if self.unit in ("ratio", "months", "index") or self.value == 0:
            return None, "not computable", False
        return self.value, "partial", False

    @property
    def published_value(self) -> float | None:
        return self.published[0].value if self.published else None

    @property
    def source(self) -> str | None:
        return self.published[0].source if self.published else None

    def as_dict(self, lang: str = "fr") -> dict:
        shown, basis, _lower_bound = self.shown()
        return {
            "id": self.id,
            "label": self.kpi.label(lang),
            "value": self.value,
            "shown": {"value": shown, "basis": basis},
            "unit": self.unit,
            "coverage": {"covered": self.covered, "total": self.total, "complete": self.is_complete},
            "published_value": self.published_value,
            "source": self.source,
            "published": [
                {"figure_id": f.figure_id, "value": f.value, "qualifier": f.qualifier, "source": f.source, "quote": f.quote}
                for f in self.published
            ],
            "from_published": [
                {"value": r.value, "numerator": r.numerator.figure_id, "denominator": r.denominator.figure_id}
                for r in self.ratios
            ],
            "ignored_filters": list(self.ignored_filters),
            "rests_on": [{"basis": b.basis, "rule": b.rule, "rows": b.rows} for b in self.bases],
            "not_computable_because": [{"reason": reason, "rows": rows} for reason, rows in self.reasons],
        }


def published_figures(con) -> dict[str, PublishedFigure]:
    rows = db.fetch_rows(con, """
        SELECT figure_id, edition_id, value, unit, qualifier, rounding_step, label_fr, document, section, quote, note,
               label_en
        FROM published_figures ORDER BY figure_id""")
    return {row["figure_id"]: PublishedFigure(**row) for row in rows}


def effective_filters(kpi: Kpi, filters: Filters) -> Filters:
    """The filters with those that do not apply to the KPI dropped."""
    return Filters(
        edition=filters.edition if "edition" in kpi.filters else None,
        communes=filters.communes if "commune" in kpi.filters else (),
        themes=filters.themes if "theme" in kpi.filters else (),
    )


def _speaks_of(kpi: Kpi, ref: FigureRef, applied: Filters, figures: dict[str, PublishedFigure]) -> PublishedFigure | None:
    """The figure of `ref` when it speaks of exactly the view `applied` (the KPI's own filters), else None."""
    figure = figures.get(ref.figure_id)
    if figure is None or applied.themes or ((ref.commune,) if ref.commune else ()) != applied.communes:
        return None
    # A programme-wide figure (no edition) speaks of the all-editions view.
    if "edition" in kpi.filters and figure.edition_id != applied.edition:
        return None
    return figure


def matching_figures(kpi: Kpi, filters: Filters, figures: dict[str, PublishedFigure]) -> tuple[PublishedFigure, ...]:
    """The published figures that speak of exactly this view of the data."""
    applied = effective_filters(kpi, filters)
    return tuple(figure for ref in kpi.figures if (figure := _speaks_of(kpi, ref, applied, figures)))


def matching_ratios(kpi: Kpi, filters: Filters, figures: dict[str, PublishedFigure]) -> tuple[PublishedRatio, ...]:
    """The KPI as the quotient of two published figures of this view (both must speak of it)."""
    applied = effective_filters(kpi, filters)
    found = []
    for numerator_id, denominator_id in kpi.published_ratios:
        numerator = _speaks_of(kpi, FigureRef(numerator_id), applied, figures)
        denominator = _speaks_of(kpi, FigureRef(denominator_id), applied, figures)
        if numerator and denominator and denominator.value:
            found.append(PublishedRatio(numerator, denominator))
    return tuple(found)


def compute(con, kpi: Kpi, filters: Filters = Filters(), figures: dict | None = None,
            stored: dict | None = None, stored_bases: dict | None = None) -> KpiResult:
    """Compute one KPI for a view: its stored value (and bases) when `stored` has this view, else its SQL.
    Any filter string is safe: values are bound, never formatted."""
    key = _view_key(kpi, filters)
    row = stored.get(key) if stored else None
    bases = stored_bases.get(key, ()) if row is not None and stored_bases is not None else None
    if row is None:
        found = db.fetch_one(con, kpi.query, {**effective_filters(kpi, filters).params(), "key": kpi.key}) or {}
        row = (found.get("value"), found.get("covered"), found.get("total"))
    value, covered, total = row
    if (kpi.figures or kpi.published_ratios) and figures is None:
        figures = published_figures(con)
    complete = covered is not None and total is not None and covered >= total
    return KpiResult(
        kpi=kpi,
        filters=filters,
        value=None if value is None else float(value),
        covered=None if covered is None else int(covered),
        total=None if total is None else int(total),
        published=matching_figures(kpi, filters, figures) if kpi.figures else (),
        ratios=matching_ratios(kpi, filters, figures) if kpi.published_ratios else (),
        bases=(bases if bases is not None else row_bases(con, kpi, filters)) if covered else (),
        reasons=reasons(con, kpi, filters) if kpi.reasons_sql and (value is None or not complete) else (),
    )


def reasons(con, kpi: Kpi, filters: Filters) -> tuple[tuple[str, int], ...]:
    """Why the view's rows lack what the KPI needs: (reason, rows), the most frequent first."""
    rows = db.fetch_tuples(con, kpi.reasons_sql, {**effective_filters(kpi, filters).params(), "key": kpi.key})
    return tuple((reason, int(count)) for reason, count in rows if count)


def row_bases(con, kpi: Kpi, filters: Filters) -> tuple[RowBasis, ...]:
    """The inferred and modelled rows a KPI's value rests on in this view (none without basis_sql)."""
    if not kpi.basis_sql:
        return ()
    rows = db.fetch_rows(con, kpi.basis_sql, {**effective_filters(kpi, filters).params(), "key": kpi.key})
    return tuple(RowBasis(r["basis"], r["basis_rule"], int(r["rows"])) for r in rows)


def _view_key(kpi: Kpi, filters: Filters) -> tuple | None:
    """Where kpi_values keeps this KPI's value for the view: (id, edition, commune); None when it does not."""
    if filters.themes and "theme" in kpi.filters:
        return None
    communes = filters.communes if "commune" in kpi.filters else ()
    if len(communes) > 1:
        return None
    return kpi.id, filters.edition if "edition" in kpi.filters else None, communes[0] if communes else None


def compute_all(con, filters: Filters = Filters(), kpis=None) -> list[KpiResult]:
    """Every KPI for a view: one lookup in kpi_values, and the SQL only for what it cannot answer
    (several communes, or a défi filter)."""
    registry, figures, fixed = catalog(con)
    stored = {**fixed, **stored_values(con, filters)}
    bases = stored_bases(con, filters)
    return [compute(con, kpi, filters, figures, stored, bases) for kpi in (kpis if kpis is not None else registry)]


_CATALOGS: dict[str, tuple] = {}


def catalog(con) -> tuple[list[Kpi], dict[str, PublishedFigure], dict]:
    """The expanded registry, the published figures and the stored values of the KPIs that take no
    filter (a thousand replicability indices at scale M), kept under the digest of their rows that
    rollups.refresh writes: they change only with the data."""
    token = db.fetch_value(con, "SELECT value FROM meta WHERE key = 'catalog_token'")
    if token is None:
        return expand(con), published_figures(con), {}
    if token not in _CATALOGS:
        if len(_CATALOGS) >= 16:
            _CATALOGS.pop(next(iter(_CATALOGS)))
        _CATALOGS[token] = (expand(con), published_figures(con), stored_values(con, Filters(), fixed=True))
    return _CATALOGS[token]


# --- values stored at build and publish time ---------------------------------------------------------------
# store_all runs each KPI's own SQL once for every edition × commune view (and every member of a
# family), its parameters read from the view's columns: the same definition, computed set-wise.

_PARAMETER = re.compile(r"\$(edition|commune|theme|key)\b")
_VIEW_COLUMNS = {"edition": "v.edition_id", "commune": "v.communes", "theme": "CAST(NULL AS VARCHAR[])", "key": "v.key"}


def store_all(con) -> None:
    """Fill kpi_keys and kpi_values (emptied by the caller, rollups.refresh)."""
    for kpi in REGISTRY:
        if kpi.is_family:
            # con itself, not a cursor: a publish refreshes inside its open transaction.
            rows = con.execute(kpi.keys_sql).fetchall()
            if rows:
                con.executemany("INSERT INTO kpi_keys VALUES (?, ?, ?, ?, ?)",
                                [(kpi.id, *row, position) for position, row in enumerate(rows)])
    for kpi in REGISTRY:
        con.execute(_per_view_sql(kpi), {"id": kpi.id, "fixed": not kpi.filters})
        if kpi.basis_sql:
            con.execute(_per_view_bases_sql(kpi), {"id": kpi.id})


def _views(kpi: Kpi) -> str:
    """Every view a KPI is stored for: edition × commune (× the family's key), NULL meaning all."""
    editions = ("SELECT edition_id FROM editions UNION ALL SELECT NULL" if "edition" in kpi.filters
                else "SELECT NULL::INTEGER AS edition_id")
    communes = ("SELECT insee FROM communes UNION ALL SELECT NULL" if "commune" in kpi.filters
                else "SELECT NULL::VARCHAR AS insee")
    keys = "SELECT key FROM kpi_keys WHERE family = $id" if kpi.is_family else "SELECT NULL::VARCHAR AS key"
    return (f"(SELECT e.edition_id, c.insee, CASE WHEN c.insee IS NOT NULL THEN [c.insee] END AS communes, f.key"
            f" FROM ({editions}) e, ({communes}) c, ({keys}) f)")


def _per_view_sql(kpi: Kpi) -> str:
    body = _PARAMETER.sub(lambda match: _VIEW_COLUMNS[match.group(1)], kpi.query)
    return f"""
        INSERT INTO kpi_values
        SELECT CASE WHEN v.key IS NULL THEN $id ELSE $id || ':' || v.key END, v.edition_id, v.insee,
               k.value, k.covered, k.total, $fixed
        FROM {_views(kpi)} v
        LEFT JOIN LATERAL ({body}) k ON true"""


def _per_view_bases_sql(kpi: Kpi) -> str:
    body = _PARAMETER.sub(lambda match: _VIEW_COLUMNS[match.group(1)], kpi.basis_sql)
    return f"""
        INSERT INTO kpi_bases
        SELECT CASE WHEN v.key IS NULL THEN $id ELSE $id || ':' || v.key END, v.edition_id, v.insee,
               b.basis, b.basis_rule, b.rows
        FROM {_views(kpi)} v, LATERAL ({body}) b"""


def stored_values(con, filters: Filters, fixed: bool = False) -> dict:
    """The stored rows that can answer this view, by (KPI id, edition, commune): every KPI's
    all-communes rows, and the commune's own when exactly one is chosen; those of the KPIs that take
    no filter with fixed=True. Empty without kpi_values."""
    commune = filters.communes[0] if len(filters.communes) == 1 else None
    try:
        rows = db.execute(con, """
            SELECT kpi_id, edition_id, insee, value, covered, total FROM kpi_values
            WHERE fixed = $fixed
              AND (edition_id IS NULL OR edition_id = $edition) AND (insee IS NULL OR insee = $commune)""",
            {"edition": filters.edition, "commune": commune, "fixed": fixed}).fetchall()
    except duckdb.CatalogException:  # a database built before kpi_values existed
        return {}
    return {(kpi_id, edition, insee): (value, covered, total) for kpi_id, edition, insee, value, covered, total in rows}


def stored_bases(con, filters: Filters) -> dict | None:
    """The stored bases (kpi_bases) that can answer this view, by (KPI id, edition, commune), as stored_values;
    None without kpi_bases (compute then asks each KPI's basis_sql)."""
    commune = filters.communes[0] if len(filters.communes) == 1 else None
    try:
        rows = db.execute(con, """
            SELECT kpi_id, edition_id, insee, basis, basis_rule, rows FROM kpi_bases
            WHERE (edition_id IS NULL OR edition_id = $edition) AND (insee IS NULL OR insee = $commune)
            ORDER BY kpi_id, edition_id, insee, basis, basis_rule""",
            {"edition": filters.edition, "commune": commune}).fetchall()
    except duckdb.CatalogException:  # a database built before kpi_bases existed
        return None
    found: dict = {}
    for kpi_id, edition, insee, basis, rule, count in rows:
        found[(kpi_id, edition, insee)] = (*found.get((kpi_id, edition, insee), ()), RowBasis(basis, rule, int(count)))
    return found


def detail(con, kpi: Kpi, filters: Filters) -> str | None:
    if not kpi.detail_sql:
        return None
    return db.fetch_value(con, kpi.detail_sql, {**effective_filters(kpi, filters).params(), "key": kpi.key})
