"""A KPI as every output shows it: the dashboard's card, the reports' key figures, the slides and the PPTX.

One rule (`KpiResult.shown`): the computed value when the rows are complete, else the published figure
(with its source and its qualifier, « plus de 290 »), else nothing for a partial ratio, duration or index
(« non renseigné », basis « non calculable »), else the partial count, said partial. Where the copies of
this rule disagreed, these won: a published value keeps the document's own qualifier everywhere
(« près de 170 », English "nearly", "more than"); a non-computable value says « non calculable », never
« partiel »; filters that do not apply are named in the reader's language. A computed value that rests on
rows their sources do not state for themselves says so next to it, with the rule: « calculé · inféré : <rule> ».
"""

from __future__ import annotations

from dataclasses import dataclass

from qmi_metrics.metrics import kpis, reconcile
from qmi_metrics.present import formatting
from qmi_metrics.present.i18n import _
from qmi_metrics.present.vocabulary import BASES, FILTER_WORDS, PARTIAL_DATA, basis_summary, qualifier, tr, words


@dataclass(frozen=True)
class Card:
    kpi_id: str
    label: str
    value: float | None  # the value shown: computed, or published when the rows are partial
    unit: str
    basis: str  # computed | published | partial | not computable
    qualifier: str  # printed before a published value: 'plus de', 'nearly'… ('' otherwise)
    text: str  # what the card prints: 'plus de 290 personnes', '70 %', 'non renseigné'
    number: str  # the part drawn big on a slide: '290'
    unit_text: str  # the part drawn small: 'personnes'
    basis_text: str  # 'publié · données partielles'
    rests_on: str  # the inferred or modelled rows a computed value rests on: 'inféré : <rule>', or ''
    coverage: str  # 'couverture 4/4'
    ignored: str  # 'filtre non applicable : défi', or ''
    note: str  # the line under the card: basis · rows it rests on · coverage · ignored filters
    document: str  # the published figure's document, or ''
    source: str  # 'document — section' of the published figure, or ''
    quote: str  # the published sentence, or ''
    source_line: str  # where the shown value comes from, in one line (slides, notes)
    definition: str

    @property
    def is_known(self) -> bool:
        return self.value is not None


def basis_text(basis: str, lang: str) -> str:
    """'calculé', 'publié · données partielles', 'non calculable · données partielles'…"""
    if basis == "computed":
        return tr(lang, *BASES["computed"])
    if basis == "partial":  # a count over the rows there are: computed, on partial data
        return f"{tr(lang, *BASES['computed'])} · {tr(lang, *PARTIAL_DATA)}"
    return f"{words(BASES, basis, lang)} · {tr(lang, *PARTIAL_DATA)}"


def rests_on_text(result: kpis.KpiResult, lang: str) -> str:
    """The rows the computed value rests on that their sources do not state: 'inféré : <rule> ; <rule>'."""
    return basis_summary(((b.basis, b.rule) for b in result.bases), lang)


def coverage_text(result: kpis.KpiResult, lang: str) -> str:
    covered = result.covered if result.covered is not None else "?"
    total = result.total if result.total is not None else "?"
    return f"{_(lang, 'couverture')} {covered}/{total}"


def ignored_text(result: kpis.KpiResult, lang: str) -> str:
    if not result.ignored_filters:
        return ""
    names = ", ".join(words(FILTER_WORDS, name, lang) for name in result.ignored_filters)
    if len(result.ignored_filters) == 1:
        return _(lang, "filtre non applicable : {names}", names=names)
    return _(lang, "filtres non applicables : {names}", names=names)


def split_value(text: str, value: float | None, unit: str) -> tuple[str, str]:
    """(part drawn big, unit drawn small): '280 personnes' -> '280', 'personnes'; '70 %' stays whole."""
    if value is not None and formatting.NBSP in text and unit != "euros":
        number, _ignored, word = text.partition(formatting.NBSP)
        return number, word
    return text, ""


def published_text(figure: kpis.PublishedFigure, lang: str) -> str:
    """A published figure as its document prints it: 'plus de 290 personnes'."""
    return " ".join(filter(None, [qualifier(figure.qualifier, lang), formatting.value(figure.value, figure.unit, lang)]))


def card(result: kpis.KpiResult, lang: str = "fr") -> Card:
    value, basis, _lower_bound = result.shown()
    published = result.published[0] if result.published else None
    word = qualifier(published.qualifier, lang) if basis == "published" else ""
    value_text = formatting.value(value, result.unit, lang)
    number, unit_text = split_value(value_text, value, result.unit)
    rests_on = rests_on_text(result, lang) if basis in ("computed", "partial") else ""  # a published value does not
    note = " · ".join(filter(None, [basis_text(basis, lang), rests_on, coverage_text(result, lang),
                                    ignored_text(result, lang)]))
    document = reconcile.document_name(published.document, lang) if published else ""
    source = f"{document} — {published.section}" if published else ""
    if basis == "published":
        source_line = f"{_(lang, 'Source')}{_(lang, ' : ')}{source}"
    elif published:  # the published figure stays in sight, agreeing or not
        source_line = f"{_(lang, 'Publié')}{_(lang, ' : ')}{published_text(published, lang)} — {document}"
    else:
        source_line = _(lang, "Calculé à partir des lignes de la base du tableau de bord")
    return Card(kpi_id=result.id, label=result.kpi.label(lang), value=value, unit=result.unit, basis=basis,
                qualifier=word, text=" ".join(filter(None, [word, value_text])), number=number, unit_text=unit_text,
                basis_text=basis_text(basis, lang), rests_on=rests_on, coverage=coverage_text(result, lang),
                ignored=ignored_text(result, lang), note=note, document=document, source=source,
                quote=published.quote if published else "", source_line=source_line,
                definition=result.kpi.definition(lang))


def count_card(kpi_id: str, count: int, unit_text: str) -> Card:
    """A count of rows drawn like a card (a commune's projects on its slide): computed, no label, no source."""
    return Card(kpi_id=kpi_id, label="", value=float(count), unit="count", basis="computed", qualifier="",
                text=str(count), number=str(count), unit_text=unit_text, basis_text="", rests_on="", coverage="",
                ignored="",
                note="", document="", source="", quote="", source_line="", definition="")


def rests_on_no_row(total: int | None, basis: str) -> bool:
    """A computed count over no row at all (0 of 0): the database knows nothing yet, which is not « 0 ».
    Slides leave it out of the big numbers."""
    return total == 0 and basis != "published"
