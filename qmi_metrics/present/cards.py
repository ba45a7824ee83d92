"""A KPI as every output shows it: the dashboard's card, the reports' key figures, the slides and the PPTX.

One rule (`KpiResult.shown`): the computed value when the rows are complete, else the published figure
(with its source and its qualifier, « plus de 290 »), else the quotient of two published figures (« calculé
à partir des chiffres publiés : 30 / 168 »), else nothing for a partial ratio, duration or index
(« non renseigné », basis « non calculable »; with what the rows lack when the KPI says it, Kpi.reasons_sql),
else the partial count, said partial. Where the copies of
this rule disagreed, these won: a published value keeps the document's own qualifier everywhere
(« près de 170 », English "nearly", "more than"); a non-computable value says « non calculable », never
« partiel »; filters that do not apply are named in the reader's language. A computed value that rests on
rows their sources do not state for themselves says so next to it, with the rule: « calculé · inféré : <rule> ».
"""

from __future__ import annotations

from dataclasses import dataclass

from qmi_metrics.metrics import kpis, reconcile
from qmi_metrics.present import formatting, protocol
from qmi_metrics.present.i18n import _
from qmi_metrics.present.vocabulary import BASES, FILTER_WORDS, PARTIAL_DATA, basis_summary, qualifier, words


@dataclass(frozen=True)
class Card:
    kpi_id: str
    label: str
    value: float | None  # the value shown: computed, or published when the rows are partial
    unit: str
    basis: str  # computed | published | computed_from_published | partial | not computable | unknown
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
    gap: str = ""  # « écart » and what it is, when the data and a published figure, or two documents, disagree
    finding: str = ""  # the published figure whose finding explains the gap (Sources et écarts), or ''

    @property
    def is_known(self) -> bool:
        return self.value is not None


def basis_text(basis: str, lang: str) -> str:
    """'calculé', 'publié · données partielles', 'non calculable · données partielles'…"""
    if basis == "computed":
        return words(BASES, "computed", lang)
    if basis == "partial":  # a count over the rows there are: computed, on partial data
        return f"{words(BASES, 'computed', lang)} · {_(lang, PARTIAL_DATA)}"
    if basis == "unknown":  # not a single row of the view carries it
        return _(lang, "aucune donnée")
    if basis == "computed_from_published":
        return words(BASES, basis, lang)
    return f"{words(BASES, basis, lang)} · {_(lang, PARTIAL_DATA)}"


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


def ratio_text(ratio: kpis.PublishedRatio, lang: str) -> str:
    """'30 / 168 (le rapport « Retours d'expérimentations » (2025))': the two published figures divided."""
    documents = {reconcile.document_name(f.document, lang) for f in (ratio.numerator, ratio.denominator)}
    return (f"{formatting.value(ratio.numerator.value, ratio.numerator.unit, lang)} / "
            f"{formatting.value(ratio.denominator.value, ratio.denominator.unit, lang)} ({', '.join(sorted(documents))})")


def ratios_text(result: kpis.KpiResult, lang: str) -> str:
    """The first quotient, then the others with their values: '30 / 168 (rapport) ; 17,6 % avec 30 / 170 (communiqué)'."""
    if not result.ratios:
        return ""
    first, *others = result.ratios
    parts = [ratio_text(first, lang)] + [
        _(lang, "{value} avec {ratio}", value=formatting.value(other.value, result.unit, lang), ratio=ratio_text(other, lang))
        for other in others if other.value != first.value]
    return _(lang, " ; ").join(parts)


def card(result: kpis.KpiResult, lang: str = "fr") -> Card:
    value, basis, _lower_bound = result.shown()
    published = result.published[0] if result.published else None
    word = qualifier(published.qualifier, lang) if basis == "published" else ""
    value_text = formatting.value(value, result.unit, lang)
    number, unit_text = split_value(value_text, value, result.unit)
    shown_basis = basis_text(basis, lang)
    if basis == "computed_from_published":
        shown_basis = f"{shown_basis}{_(lang, ' : ')}{ratios_text(result, lang)}"
    elif basis == "not computable" and result.reasons:  # what the rows lack, said instead of « données partielles »
        shown_basis = f"{words(BASES, basis, lang)}{_(lang, ' : ')}{protocol.reasons_summary(result.reasons, lang)}"
    rests_on = rests_on_text(result, lang) if basis in ("computed", "partial") else ""  # a published value does not
    disputed, finding = gap(result, lang)
    note = " · ".join(filter(None, [shown_basis, rests_on, coverage_text(result, lang), ignored_text(result, lang),
                                    _(lang, "écart") if disputed else ""]))
    cited = published or (result.ratios[0].denominator if basis == "computed_from_published" else None)
    document = reconcile.document_name(cited.document, lang) if cited else ""
    source = f"{document} — {cited.section}" if cited else ""
    if basis == "published":
        source_line = f"{_(lang, 'Source')}{_(lang, ' : ')}{source}"
    elif basis == "computed_from_published":
        source_line = f"{shown_basis[:1].upper()}{shown_basis[1:]}"
    elif basis == "unknown":
        source_line = _(lang, "Aucune donnée de la base pour cette vue")
    elif published:  # the published figure stays in sight, agreeing or not
        source_line = f"{_(lang, 'Publié')}{_(lang, ' : ')}{published_text(published, lang)} — {document}"
    else:
        source_line = _(lang, "Calculé à partir des lignes de la base du tableau de bord")
    return Card(kpi_id=result.id, label=result.kpi.label(lang), value=value, unit=result.unit, basis=basis,
                qualifier=word, text=" ".join(filter(None, [word, value_text])), number=number, unit_text=unit_text,
                basis_text=shown_basis, rests_on=rests_on, coverage=coverage_text(result, lang),
                ignored=ignored_text(result, lang), note=note, document=document, source=source,
                quote=cited.quote if cited else "", source_line=source_line,
                definition=result.kpi.definition(lang), gap=disputed, finding=finding)


def gap(result: kpis.KpiResult, lang: str) -> tuple[str, str]:
    """(sentence, figure id) when the card's figure is disputed, else ('', ''): the rows give a value that a
    published figure of this very view contradicts (the reconciliation's « diffère »: 280 counted, « plus de
    290 » published), or two documents publish different values (168 and 170 applications)."""
    for figure in result.published:
        if result.value is not None and reconcile.status_of(result.kpi, result, figure) == reconcile.DIFFERS:
            return _(lang, "écart : les données donnent {computed}, {document} publie {published}",
                     computed=formatting.value(result.value, result.unit, lang),
                     document=reconcile.document_name(figure.document, lang),
                     published=published_text(figure, lang)), figure.figure_id
    if len({figure.value for figure in result.published}) > 1:
        listed = _(lang, " ; ").join(f"{published_text(f, lang)} ({reconcile.document_name(f.document, lang)})"
                                    for f in result.published)
        return _(lang, "écart : les documents divergent — {listed}", listed=listed), result.published[0].figure_id
    return "", ""


def cell_text(result: kpis.KpiResult, lang: str = "fr") -> str:
    """The card's value in one table cell, its basis in brackets unless computed from complete rows:
    '4', '168 (publié)', '7 (partiel 7/28)', '17,9 % (calculé à partir des chiffres publiés)', 'non renseigné'."""
    shown = card(result, lang)
    if not shown.is_known or shown.basis == "computed":
        return shown.text
    basis = words(BASES, shown.basis, lang)
    if shown.basis == "partial":
        basis += f" {result.covered}/{result.total if result.total is not None else '?'}"
    return f"{shown.text} ({basis})"


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
