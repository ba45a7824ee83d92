"""Consistency rules (docs/IMPORT.md, « Règles de cohérence »): a row against its own columns, the database and the
file's other rows, beyond each cell's type and allowed values.

A rule takes the validation's Checker and reports through it: `checker.add` refuses the file,
`checker.add_warning` accepts it with a remark. ROW_CHECKS run on each complete row, TABLE_CHECKS on the table
as the publish would write it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from qmi_metrics.admin.catalogue import IMPORTABLE_TABLES, table_schema
from qmi_metrics.admin.cells import CellError
from qmi_metrics.admin.columns import ALIASES, EVENT_KINDS, INDICATOR_UNIT_COLUMNS, PLAUSIBLE_MAXIMA, grouped
from qmi_metrics.admin.problems import readable
from qmi_metrics.store import db

if TYPE_CHECKING:  # annotations only: the checker runs these rules
    from qmi_metrics.admin.readers import Row
    from qmi_metrics.admin.validation import Checker


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


def check_plausible(table: str, column: str, value) -> None:
    """Above its column's plausible maximum (in absolute value), a number is most likely a typing slip."""
    maximum = PLAUSIBLE_MAXIMA.get((table, column))
    if maximum is not None and value is not None and abs(value) > maximum:
        signed_fr, signed_en = (" en valeur absolue", " in absolute value") if value < 0 else ("", "")
        raise CellError(f"une valeur plausible, d'au plus {grouped(maximum, 'fr')}{signed_fr} (au-delà, sans doute"
                        " une faute de frappe)", f"a plausible value, at most {grouped(maximum, 'en')}{signed_en}"
                        " (beyond that, most likely a typing slip)")


def _basis_has_its_rule(checker: Checker, row: Row, record: dict) -> None:
    """A row the source does not state for itself (inferred, modelled) says by which rule (schema.sql, basis)."""
    if "basis" in record and record["basis"] != "stated" and not record.get("basis_rule"):
        checker.add(row.number, "basis_rule", None, f"la règle qui donne la ligne, en une phrase : elle est"
                    f" « {ALIASES[record['basis']][0]} » ({record['basis']}), pas énoncée par sa source",
                    f"the rule the row comes from, in one sentence: it is {record['basis']}, not stated by its source")


def _precision_goes_with_date(checker: Checker, row: Row, record: dict) -> None:
    has_date, has_precision = record.get("date_start") is not None, record.get("date_precision") is not None
    if has_date and not has_precision:
        checker.add(row.number, "date_precision", None, "la précision de la date (day/jour, month/mois,"
                    " season/saison, year/année) : une date est donnée", "the date's precision (day, month, season,"
                    " year): a date is given")
    elif has_precision and not has_date and checker.table == "project_events":
        checker.add(row.number, "date_precision", record["date_precision"], "une précision vide : aucune date"
                    " n'est donnée", "an empty precision: no date is given")


def _end_after_start(checker: Checker, row: Row, record: dict) -> None:
    start, end = record.get("date_start"), record.get("date_end")
    if start is not None and end is not None and end < start:
        checker.add(row.number, "date_end", end, f"une date de fin au plus tôt le {readable(start)} (date de début)",
                    f"an end date no earlier than {readable(start)} (the start date)")
    if end is not None and start is None:
        checker.add(row.number, "date_start", None, "une date de début : une date de fin est donnée",
                    "a start date: an end date is given")


def _last_year_after_first(checker: Checker, row: Row, record: dict) -> None:
    first, last = record.get("first_year"), record.get("last_year")
    if first is not None and last is not None and last < first:
        checker.add(row.number, "last_year", last, f"une année au moins égale à la première année ({first})",
                    f"a year no earlier than the first year ({first})")


def _indicator_value_in_range(checker: Checker, row: Row, record: dict) -> None:
    """A rate (unit %) is a fraction between 0 and 1; a score /10 lies between 0 and 10 (a measurement, a baseline,
    a target: columns.INDICATOR_UNIT_COLUMNS)."""
    unit = checker.context.indicator_unit.get(record.get("indicator_id"))
    for column in INDICATOR_UNIT_COLUMNS[checker.table]:
        value, raw = record.get(column), row.values.get(column)
        if value is None:
            continue
        if isinstance(raw, str) and raw.strip().endswith("%") and unit != "%":
            checker.add(row.number, column, raw, f"un nombre dans l'unité de l'indicateur ({unit}), sans %",
                        f"a number in the indicator's unit ({unit}), without %")
        elif unit == "%" and not 0 <= value <= 1:
            checker.add(row.number, column, raw, "un taux entre 0 et 1 (ou entre 0 % et 100 %)",
                        "a rate between 0 and 1 (or between 0 % and 100 %)")
        elif unit == "note /10" and not 0 <= value <= 10:
            checker.add(row.number, column, raw, "une note entre 0 et 10", "a score between 0 and 10")


def _indicator_value_not_negative(checker: Checker, row: Row, record: dict) -> None:
    """kWh, tonnes, counts, euros… cannot be negative (% and /10 have their own range above)."""
    unit = checker.context.indicator_unit.get(record.get("indicator_id"))
    if unit in ("%", "note /10") or unit not in NON_NEGATIVE_UNITS:
        return
    for column in INDICATOR_UNIT_COLUMNS[checker.table]:
        value, raw = record.get(column), row.values.get(column)
        if value is None or value >= 0 or (isinstance(raw, str) and raw.strip().endswith("%")):
            continue  # a % sign on an indicator that is not a rate is already reported
        checker.add(row.number, column, raw, f"une valeur positive ou nulle : l'unité de l'indicateur ({unit}) ne"
                    " peut pas être négative", f"a value of zero or more: the indicator's unit ({unit}) cannot be"
                    " negative")


def _protocol_is_of_a_followed_indicator(checker: Checker, row: Row, record: dict) -> None:
    """A protocol sets where a followed indicator should go: the project must follow it (project_indicators)."""
    if (record["project_id"], record["indicator_id"]) not in checker.context.followed:
        checker.add(row.number, "indicator_id", row.values.get("indicator_id"),
                    f"un indicateur que le projet {record['project_id']} suit (table project_indicators)",
                    f"an indicator that project {record['project_id']} follows (table project_indicators)")


def _protocol_defined_has_its_values(checker: Checker, row: Row, record: dict) -> None:
    """« défini » and « validé » give the baseline and the target, each with its date; « à définir » may lack them."""
    if record.get("status") == "à définir":
        return
    for column in ("baseline_value", "baseline_on", "target_value", "target_on"):
        if record.get(column) is None:
            checker.add(row.number, column, None, f"une valeur : le protocole est « {record['status']} » (sinon son"
                        " statut est « à définir »)", f"a value: the protocol is « {record['status']} » (otherwise"
                        " its status is « à définir », to be defined)")


def _protocol_target_after_baseline(checker: Checker, row: Row, record: dict) -> None:
    baseline_on, target_on = record.get("baseline_on"), record.get("target_on")
    if baseline_on is not None and target_on is not None and target_on <= baseline_on:
        checker.add(row.number, "target_on", target_on, f"une date après le {readable(baseline_on)} (date de départ)",
                    f"a date after {readable(baseline_on)} (the baseline date)")


def _protocol_direction_has_its_reason(checker: Checker, row: Row, record: dict) -> None:
    if record.get("direction") is not None and not record.get("direction_reason"):
        checker.add(row.number, "direction_reason", None, "la raison, en une phrase : le sens souhaité est donné à la"
                    " place de celui de l'indicateur", "the reason, in one sentence: the desired direction is given"
                    " instead of the indicator's")


def _protocol_target_lies_in_the_desired_direction(checker: Checker, row: Row, record: dict) -> None:
    """A target above its baseline for « hausse », below for « baisse »; the same value leaves no way to go:
    accepted with a warning, its progress is « non calculable »."""
    baseline, target = record.get("baseline_value"), record.get("target_value")
    if baseline is None or target is None:
        return
    direction = record.get("direction") or checker.context.indicator_direction.get(record["indicator_id"])
    raw = row.values.get("target_value")
    if target == baseline:
        checker.add_warning(row.number, "target_value", raw, "cible égale à la valeur de départ : import accepté,"
                            " l'avancement sera « non calculable »", "target equal to the baseline: import accepted,"
                            " progress will be « non calculable » (not computable)")
    elif direction == "hausse" and target < baseline or direction == "baisse" and target > baseline:
        above_fr, above_en = ("supérieure", "above") if direction == "hausse" else ("inférieure", "below")
        checker.add(row.number, "target_value", raw, f"une cible {above_fr} à la valeur de départ ({readable(baseline)}) :"
                    f" sens souhaité « {direction} » ; sinon donnez le sens du protocole (direction) et sa raison",
                    f"a target {above_en} the baseline ({readable(baseline)}): desired direction « {direction} »;"
                    " otherwise give the protocol's direction and its reason")


def _edition_status_matches_years(checker: Checker, row: Row, record: dict) -> None:
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


def _commune_is_laureate(checker: Checker, row: Row, record: dict) -> None:
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
                    f" {readable(self.start)}{precision}")
        return f"the '{self.kind}' stage ({self.where('en')}) dated {readable(self.start)}{precision}"


def _history_goes_forward(checker: Checker) -> None:
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


def place(table: str, record: dict, project_commune: dict) -> tuple[str, str | None]:
    """Where a row belongs (docs/IMPORT.md, « Droits par commune »): (the column that says so, its commune's INSEE
    code, None for no commune). Its own insee when it has one (a project always answers by its own); a row of a
    project (events, measurements, scores, a candidature without insee) by its project's commune in the database;
    an edition, or a row with neither, by none: it is the whole programme's."""
    if "insee" in record and (record["insee"] is not None or record.get("project_id") is None
                              or table == "projects"):
        return "insee", record["insee"]
    if record.get("project_id") is not None:
        return "project_id", project_commune.get(record["project_id"])
    return table_schema(table).primary_key[0], None


def commune_tables() -> tuple[str, ...]:
    """The importable tables whose rows may belong to a commune (place): the ones a commune editor imports."""
    return tuple(t for t in IMPORTABLE_TABLES if {"insee", "project_id"} & set(table_schema(t).names))


def _within_scope(checker: Checker, row: Row, record: dict) -> None:
    """A commune editor imports its communes' rows only: the row as the file makes it, and the row it replaces
    (upsert: a row of another commune is not its to take over). Every import notes the communes it touches, for
    the audit log and whose history shows it."""
    projects = checker.context.project_commune
    column, insee = place(checker.table, record, projects)
    old = checker.existing.get(tuple(record[c] for c in checker.spec.primary_key))
    old_column, old_insee = place(checker.table, old, projects) if old is not None else (column, insee)
    checker.communes.update({insee, old_insee})
    scope = checker.scope
    if scope is None:
        return
    mine_fr, mine_en = f"une ligne de vos communes ({checker.scope_names()})", \
        f"a row of your communes ({checker.scope_names()})"
    if insee not in scope:
        if insee is None and checker.table == "editions":
            fr, en = "une édition est à tout le programme", "an edition belongs to the whole programme"
        elif insee is None and column == "project_id":
            fr, en = (f"le projet {record['project_id']} n'a pas de commune dans la base",
                      f"project {record['project_id']} has no commune in the database")
        elif insee is None:
            fr, en = "cette ligne n'a pas de commune (elle serait à tout le programme)", \
                "this row has no commune (it would belong to the whole programme)"
        elif column == "project_id":
            fr, en = (f"le projet {record['project_id']} est à {checker.commune_name(insee)}",
                      f"project {record['project_id']} is in {checker.commune_name(insee)}")
        else:
            fr, en = f"{checker.commune_name(insee)} n'en fait pas partie", \
                f"{checker.commune_name(insee)} is not one of them"
        checker.add(row.number, column, row.values.get(column), f"{mine_fr} : {fr} ; seul un gestionnaire du"
                    " programme peut l'importer", f"{mine_en}: {en}; only a programme manager may import it")
    elif old_insee not in scope:
        where_fr = checker.commune_name(old_insee) if old_insee else "tout le programme"
        where_en = checker.commune_name(old_insee) if old_insee else "the whole programme"
        checker.add(row.number, old_column, row.values.get(old_column), f"{mine_fr} : dans la base, cette ligne est"
                    f" à {where_fr} ; seul un gestionnaire du programme peut la changer",
                    f"{mine_en}: in the database this row belongs to {where_en}; only a programme manager may"
                    " change it")


def check_scope_mode(checker: Checker) -> None:
    """Replace rewrites the whole table, every commune's rows with it: not a commune editor's to do."""
    if checker.scope is not None and checker.mode == "replace":
        checker.add(None, None, None, "le mode append ou upsert : le mode replace remplace toute la table, lignes des"
                    " autres communes comprises, et seul un gestionnaire du programme peut l'utiliser",
                    "append or upsert mode: replace rewrites the whole table, other communes' rows included, and"
                    " only a programme manager may use it")


EVERY_ROW_CHECKS = (_basis_has_its_rule, _within_scope)
ROW_CHECKS = {
    "project_events": (_precision_goes_with_date, _end_after_start),
    "community_events": (_precision_goes_with_date,),
    "editions": (_last_year_after_first, _edition_status_matches_years),
    "indicator_values": (_indicator_value_in_range, _indicator_value_not_negative),
    "indicator_protocols": (_protocol_is_of_a_followed_indicator, _indicator_value_in_range,
                            _indicator_value_not_negative, _protocol_defined_has_its_values,
                            _protocol_target_after_baseline, _protocol_direction_has_its_reason,
                            _protocol_target_lies_in_the_desired_direction),
    "projects": (_commune_is_laureate,),
}
# Checks of the whole table as the publish would write it, once every row is checked on its own.
TABLE_CHECKS = {
    "project_events": (_history_goes_forward,),
}
