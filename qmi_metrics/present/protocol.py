"""A followed indicator's protocol and progress in words, once for the project page, Évaluation, the evaluation
sheet and the showcase (rows of `reads.projects.progress`, as dicts; the numbers are `indicator_progress`'s)."""

from __future__ import annotations

from qmi_metrics.present import formatting
from qmi_metrics.present.i18n import _, _n
from qmi_metrics.present.vocabulary import PROGRESS_REASONS, PROTOCOL_STATUSES, TRENDS, known, not_known, words

# The desired direction in which a trend goes the right way.
_DESIRED = {"hausse": "up", "baisse": "down"}


def formula_note(lang: str) -> str:
    """How progress is computed, said wherever it is shown."""
    return _(lang, "Avancement = (dernière valeur − départ) / (cible − départ), borné entre 0 et 1 ; mesures"
                   " antérieures au départ ignorées.")


def on_track_note(lang: str) -> str:
    """What « dans les temps » means, said wherever the share on track is shown."""
    return _(lang, "Dans les temps : avancement au moins égal à la part écoulée de la période entre départ et cible,"
                   " à la date de la dernière mesure.")


def measure_text(value, unit: str | None, lang: str) -> str:
    """A value in its indicator's unit: « 1 234,5 kWh »; « non renseigné » when NULL."""
    if not known(value):
        return not_known(lang)
    value = float(value)
    decimals = 0 if value.is_integer() else 2 if abs(value) < 10 else 1  # a rate typed 0,35 keeps its hundredths
    number = formatting.number(value, decimals, lang)
    return f"{number}{formatting.NBSP}{unit}" if known(unit) and unit else number


def dated_text(value, day, unit: str | None, lang: str) -> str:
    """« 1 234 kWh (1er décembre 2023) »; « non renseigné » when the value is NULL."""
    if not known(value):
        return not_known(lang)
    when = f" ({formatting.date(day, 'day', lang)})" if known(day) else ""
    return measure_text(value, unit, lang) + when


def status_text(status: str | None, lang: str) -> str:
    return words(PROTOCOL_STATUSES, status if known(status) else "à définir", lang)


def reason_text(reason: str, lang: str) -> str:
    return words(PROGRESS_REASONS, reason, lang)


def progress_text(row: dict, lang: str) -> str:
    """« 45 % », or « non calculable : pas de cible »."""
    if known(row.get("progress")):
        return formatting.value(float(row["progress"]), "ratio", lang)
    return f"{_(lang, 'non calculable')}{_(lang, ' : ')}{reason_text(row.get('reason'), lang)}"


def trend_text(row: dict, lang: str) -> str:
    """« ↑ en hausse · dans le sens souhaité », « ↓ en baisse · à l'inverse du sens souhaité », « → stable »; '' when
    there is no previous measurement."""
    trend = row.get("trend")
    if not known(trend):
        return ""
    text = words(TRENDS, trend, lang)
    desired = _DESIRED.get(row.get("direction"))
    if desired is None or trend == "stable":
        return text
    judged = _(lang, "dans le sens souhaité") if trend == desired else _(lang, "à l'inverse du sens souhaité")
    return f"{text} · {judged}"


def on_track_text(row: dict, lang: str) -> str:
    """« dans les temps : 45 % atteints, 30 % de la période écoulée » (or « en retard »); '' when not computable."""
    if not known(row.get("on_track")):
        return ""
    return _(lang, "{word} : {progress} atteints, {elapsed} de la période écoulée", word=on_track_word(row, lang),
             progress=formatting.value(float(row["progress"]), "ratio", lang),
             elapsed=formatting.value(float(row["elapsed"]), "ratio", lang))


def on_track_word(row: dict, lang: str) -> str:
    """« dans les temps » or « en retard »; '' when not computable."""
    if not known(row.get("on_track")):
        return ""
    return _(lang, "dans les temps") if row["on_track"] else _(lang, "en retard")


def older_text(row: dict, lang: str) -> str:
    """« 3 mesures antérieures à la valeur de départ, ignorées »; '' when none."""
    n = int(row.get("older_ignored") or 0)
    if not n:
        return ""
    return _n(lang, "{n} mesure antérieure à la valeur de départ, ignorée",
              "{n} mesures antérieures à la valeur de départ, ignorées", n)


def reasons_summary(reasons, lang: str) -> str:
    """A KPI's reasons on one line: « aucun protocole (à définir) pour 24 indicateurs ; pas de cible pour 1 indicateur »."""
    return _(lang, " ; ").join(
        _(lang, "{reason} pour {indicators}", reason=reason_text(reason, lang),
          indicators=_n(lang, "{n} indicateur", "{n} indicateurs", rows))
        for reason, rows in reasons)


def label_of(row: dict, lang: str) -> str:
    return row.get("label_en") if lang == "en" and known(row.get("label_en")) else row.get("label_fr")


def bar_text(row: dict, lang: str) -> str:
    """What a progress bar says: « départ 1 200 kWh (1er décembre 2023) → cible 5 000 kWh (1er juin 2025) ·
    dernière valeur 2 910 kWh (1er mai 2025) »."""
    unit = row.get("unit")
    return _(lang, "départ {baseline} → cible {target} · dernière valeur {current}",
             baseline=dated_text(row.get("baseline_value"), row.get("baseline_on"), unit, lang),
             target=dated_text(row.get("target_value"), row.get("target_on"), unit, lang),
             current=dated_text(row.get("current_value"), row.get("current_on"), unit, lang))


def remarks(row: dict, lang: str) -> list[str]:
    """What the protocol table does not say: measurements ignored, a direction of the protocol's own."""
    found = [older_text(row, lang)]
    if known(row.get("direction_reason")):
        found.append(_(lang, "sens souhaité du protocole : {direction} ({reason})",
                       direction=row.get("direction"), reason=row.get("direction_reason")))
    return [text for text in found if text]


def notes(row: dict, lang: str) -> list[str]:
    """What goes under an indicator's bar: trend, on track, and the remarks."""
    return [text for text in (trend_text(row, lang), on_track_text(row, lang)) if text] + remarks(row, lang)


def plan_cell(row: dict, lang: str) -> str:
    """Where it started and where it should go, in a table cell (the unit is the table's, dates to the month):
    « 100 (janv. 2024) → 300 (janv. 2025) »; « non renseigné » for what is not set."""
    def one(value, day):
        if not known(value):
            return not_known(lang)
        return measure_text(value, None, lang) + (f" ({formatting.date(day, 'month', lang, short=True)})"
                                                  if known(day) else "")
    return f"{one(row.get('baseline_value'), row.get('baseline_on'))} → {one(row.get('target_value'), row.get('target_on'))}"


def progress_cell(row: dict, lang: str) -> str:
    """How far it has come, in a table cell: « 40 % · en retard · ↑ en hausse »."""
    trend = words(TRENDS, row["trend"], lang) if known(row.get("trend")) else ""
    return " · ".join(filter(None, [progress_text(row, lang), on_track_word(row, lang), trend]))


def table(rows: list[dict], lang: str) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the project page's protocol table, the data of its bars (the sheet has these cells in its
    indicators' table)."""
    headers = [_(lang, "Indicateur"), _(lang, "Protocole"), _(lang, "Unité"), _(lang, "Départ → cible"),
               _(lang, "Dernière valeur"), _(lang, "Avancement")]
    body = [[label_of(row, lang), status_text(row.get("status"), lang), row.get("unit") or "", plan_cell(row, lang),
             dated_text(row.get("current_value"), row.get("current_on"), None, lang), progress_cell(row, lang)]
            for row in rows]
    return headers, body
