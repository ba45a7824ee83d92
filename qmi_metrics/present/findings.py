"""The reconciliation's findings told to an official preparing a speech: in plain sentences, grouped, each
with the sentences it rests on, what the dashboard shows and where. One function (`collect`) for the
« Sources et écarts » page, the edition report and the event mode's findings slide.

The groups, in the order a reader needs them:
  contradiction   the documents contradict each other, or themselves (data/contradictions.csv): both sentences;
  differs         a published figure the data do not confirm (reconcile: « diffère »);
  agrees          a published figure the data confirm;
  not computable  a published figure the public data cannot check.
"""

from __future__ import annotations

from dataclasses import dataclass

from qmi_metrics.metrics import kpis, reconcile
from qmi_metrics.present import cards, formatting, headlines
from qmi_metrics.present.i18n import _, _n

CONTRADICTION = "contradiction"
GROUPS = (CONTRADICTION, reconcile.DIFFERS, reconcile.AGREES, reconcile.NOT_COMPUTABLE)


def group_title(group: str, lang: str) -> str:
    return {CONTRADICTION: _(lang, "Les documents se contredisent"),
            reconcile.DIFFERS: _(lang, "Les données ne confirment pas"),
            reconcile.AGREES: _(lang, "Confirmé par les données"),
            reconcile.NOT_COMPUTABLE: _(lang, "Non vérifiable avec les données publiques")}[group]


def group_noun(group: str, n: int, lang: str) -> str:
    """What a group's count counts: 'contradictions', 'chiffres non confirmés'… (drawn small beside the number)."""
    return {CONTRADICTION: _n(lang, "contradiction", "contradictions", n),
            reconcile.DIFFERS: _n(lang, "chiffre non confirmé", "chiffres non confirmés", n),
            reconcile.AGREES: _n(lang, "chiffre confirmé", "chiffres confirmés", n),
            reconcile.NOT_COMPUTABLE: _n(lang, "chiffre non vérifiable", "chiffres non vérifiables", n)}[group]


def group_short(group: str, n: int, lang: str) -> str:
    """The same, short, beside a big number on a slide: 'contradictions', 'non confirmés'…"""
    return {CONTRADICTION: _n(lang, "contradiction", "contradictions", n),
            reconcile.DIFFERS: _n(lang, "non confirmé", "non confirmés", n),
            reconcile.AGREES: _n(lang, "confirmé", "confirmés", n),
            reconcile.NOT_COMPUTABLE: _n(lang, "non vérifiable", "non vérifiables", n)}[group]


def group_count(group: str, n: int, lang: str) -> str:
    """'19 contradictions', '7 chiffres non confirmés'…: a group's count in words."""
    return f"{formatting.number(n)} {group_noun(group, n, lang)}"


@dataclass(frozen=True)
class Passage:
    """A sentence a finding rests on, and where it is written."""

    document: str  # the document's name in the reader's language
    section: str
    quote: str


@dataclass(frozen=True)
class Finding:
    group: str  # one of GROUPS
    key: str  # the contradiction's or the published figure's id: the finding's address on the Sources page
    title: str  # what it is about: 'Participants aux rencontres de la Communauté'
    sentence: str  # what an official can read aloud
    passages: tuple[Passage, ...]  # both sentences of a contradiction, the published one otherwise
    shown: str  # what the dashboard shows, and why
    page: str | None  # the page (dashboard/registry.py name) where the figure is shown, None: Sources itself
    kpi_id: str | None
    figure_ids: tuple[str, ...]


def page_of(kpi_id: str | None) -> str | None:
    """The page whose cards show this KPI (headlines), first in the reading order."""
    if not kpi_id:
        return None
    family = kpi_id.split(":", 1)[0]
    for page, ids in headlines.PAGE_CARDS.items():
        if kpi_id in ids or family in ids:
            return page
    return None


def _shown_text(result: kpis.KpiResult, lang: str) -> str:
    card = cards.card(result, lang)
    return _(lang, "Le tableau de bord affiche {text} ({basis}).", text=card.text, basis=card.basis_text)


def _figure_finding(finding: reconcile.Reconciliation, lang: str) -> Finding:
    figure = finding.figure
    title = (figure.label_en or figure.label_fr) if lang == "en" else figure.label_fr
    explanation = finding.explanation_en if lang == "en" else finding.explanation_fr
    published = cards.published_text(figure, lang)
    document = reconcile.document_name(figure.document, lang)
    if finding.status == reconcile.DIFFERS:  # the explanation names both values already
        sentence = explanation
    else:
        sentence = _(lang, "{document} publie {published}. {explanation}", document=document, published=published,
                     explanation=explanation)
    shown = _shown_text(finding.result, lang) if finding.result is not None else ""
    return Finding(group=finding.status, key=figure.figure_id, title=title, sentence=sentence[:1].upper() + sentence[1:],
                   passages=(Passage(document, figure.section, figure.quote),), shown=shown,
                   page=page_of(finding.kpi_id), kpi_id=finding.kpi_id, figure_ids=(figure.figure_id,))


def _contradiction_finding(row: dict, lang: str) -> Finding:
    a, b = row["a"], row["b"]
    if row["kind"] == "within_document":
        sentence = _(lang, "{document} se contredit : « {quote_a} », puis « {quote_b} ».",
                     document=a["document_name"], quote_a=a["quote"], quote_b=b["quote"])
    else:
        sentence = _(lang, "{document_a} écrit « {quote_a} » ; {document_b} écrit « {quote_b} ».",
                     document_a=a["document_name"], quote_a=a["quote"], document_b=b["document_name"], quote_b=b["quote"])
    return Finding(group=CONTRADICTION, key=row["contradiction_id"], title=row["topic"],
                   sentence=sentence[:1].upper() + sentence[1:],
                   passages=tuple(Passage(side["document_name"], side["section"], side["quote"]) for side in (a, b)),
                   shown=row["shown"] or "", page=row["page"] or page_of(row["kpi_id"]), kpi_id=row["kpi_id"],
                   figure_ids=tuple(row["figure_ids"]))


def collect(con, lang: str = "fr", edition: int | None = None) -> list[Finding]:
    """Every finding, grouped in the order of GROUPS: the edition's and the programme-wide ones when
    `edition` is given, all otherwise."""
    contradictions = [_contradiction_finding(row, lang) for row in reconcile.contradictions(con, lang, edition)]
    figures = [_figure_finding(f, lang) for f in reconcile.reconcile(con)
               if edition is None or f.figure.edition_id in (None, edition)]
    order = {group: rank for rank, group in enumerate(GROUPS)}
    return sorted(contradictions + figures, key=lambda f: order[f.group])


def by_group(found: list[Finding]) -> dict[str, list[Finding]]:
    return {group: [f for f in found if f.group == group] for group in GROUPS}


def summary(found: list[Finding], lang: str = "fr") -> str:
    """'12 contradictions, 7 chiffres non confirmés, 16 chiffres confirmés, 63 chiffres non vérifiables.'"""
    counts = by_group(found)
    return ", ".join(group_count(group, len(counts[group]), lang) for group in GROUPS) + "."


def about(found: list[Finding], figure_id: str) -> list[Finding]:
    """The findings a card's « écart » leads to (Card.finding): the figure's own, and the contradictions naming it."""
    return [f for f in found if f.key == figure_id or figure_id in f.figure_ids]
