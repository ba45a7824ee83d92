"""Reconciliation: each published figure against what the rows give, and why they differ; and the
contradictions a careful reading finds between the documents (data/contradictions.csv)."""

from __future__ import annotations

from dataclasses import dataclass

from qmi_metrics.metrics import kpis
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.present import formatting
from qmi_metrics.present.i18n import N_, _, _n
from qmi_metrics.present.vocabulary import basis_summary
from qmi_metrics.store import db

AGREES, DIFFERS, NOT_COMPUTABLE = "agrees", "differs", "not computable"

DOCUMENT_NAMES = {
    "seeds/000_01547c4c7264418f.txt": N_("le communiqué de presse du 26 octobre 2023"),
    "seeds/004_39930cb31348f1d2.txt": N_("le rapport « Retours d'expérimentations » (2025)"),
    "reference/README.md": N_("les pages web de la Métropole (faits de référence)"),
    "reference/mgp_communes.csv": N_("la liste officielle des communes de la Métropole (INSEE)"),
}
EXCERPT_SEPARATOR = "[…]"  # joins the excerpts of a quote made of several passages


@dataclass(frozen=True)
class Reconciliation:
    figure: kpis.PublishedFigure
    kpi_id: str | None
    computed_value: float | None
    covered: int | None
    total: int | None
    status: str
    explanation_fr: str
    explanation_en: str
    result: kpis.KpiResult | None = None  # the KPI's result for the figure's view (what its card shows)

    def as_dict(self, lang: str = "fr") -> dict:
        return {
            "figure_id": self.figure.figure_id,
            "label": self.figure.label_fr,
            "published_value": self.figure.value,
            "qualifier": self.figure.qualifier,
            "unit": self.figure.unit,
            "computed_value": self.computed_value,
            "kpi_id": self.kpi_id,
            "coverage": {"covered": self.covered, "total": self.total},
            "status": self.status,
            "explanation": self.explanation_en if lang == "en" else self.explanation_fr,
            "source": self.figure.source,
            "quote": self.figure.quote,
        }


def document_name(document: str, lang: str) -> str:
    """How a sentence names a source document; its path when it has no name."""
    return _(lang, DOCUMENT_NAMES[document]) if document in DOCUMENT_NAMES else document


def agrees(computed: float, figure: kpis.PublishedFigure) -> bool:
    """Whether a computed value matches a figure as printed (its rounding and its qualifier)."""
    step = figure.rounding_step or (0.01 if figure.unit == "ratio" else 1.0)
    half = step / 2 + 1e-9
    if figure.qualifier in ("plus de", "au moins"):
        return computed >= figure.value - half
    if figure.qualifier == "jusqu'à":
        return computed <= figure.value + half
    if figure.qualifier == "minimum":
        return computed >= figure.value - half
    if figure.qualifier == "maximum":
        return computed <= figure.value + half
    if figure.qualifier in ("près de", "environ"):
        return abs(computed - figure.value) <= step + 1e-9
    return abs(computed - figure.value) <= half


def _published_text(figure: kpis.PublishedFigure, lang: str) -> str:
    qualifier = f"{figure.qualifier} " if figure.qualifier and lang == "fr" and figure.qualifier not in ("minimum", "maximum") else ""
    return qualifier + formatting.value(figure.value, figure.unit, lang)


def _sentences(con, kpi: kpis.Kpi, filters: Filters, result: kpis.KpiResult, figure, status: str, lang: str) -> str:
    fmt = lambda v: formatting.value(v, kpi.unit, lang)  # noqa: E731
    fr = lang == "fr"
    parts = []
    if status == AGREES:
        parts.append(f"Recalculé à partir de {result.covered} ligne(s) : {fmt(result.value)}." if fr
                     else f"Recomputed from {result.covered} row(s): {fmt(result.value)}.")
        if result.value != figure.value and figure.qualifier not in ("plus de", "au moins", "minimum", "maximum"):
            parts.append("L'écart tient à l'arrondi du chiffre publié." if fr
                         else "The gap is the published figure's rounding.")
    elif result.value is None or not result.covered:
        parts.append(f"Aucune ligne des données ne porte ce calcul ({result.covered or 0} ligne(s) renseignée(s) sur {result.total if result.total is not None else '?'})."
                     if fr else f"No row of the data carries this computation ({result.covered or 0} filled row(s) of {result.total if result.total is not None else '?'}).")
    elif status == NOT_COMPUTABLE:
        parts.append(f"Calcul partiel : {fmt(result.value)} à partir de {result.covered} ligne(s) renseignée(s) sur {result.total} ; "
                     "le chiffre publié ne peut pas être vérifié." if fr else
                     f"Partial computation: {fmt(result.value)} from {result.covered} filled row(s) of {result.total}; "
                     "the published figure cannot be checked.")
    else:
        parts.append(f"Les données donnent {fmt(result.value)}, {document_name(figure.document, lang)} publie {_published_text(figure, lang)}."
                     if fr else f"The data give {fmt(result.value)}; {document_name(figure.document, lang)} publishes {_published_text(figure, lang)}.")
    if result.value is not None and result.covered:
        parts.append(rests_on(result, lang))
    note = kpi.note_fr if fr else kpi.note_en
    if note and status != AGREES and result.covered:
        parts.append(note.format(detail=kpis.detail(con, kpi, filters) or "—",
                                 value=formatting.value(result.value, kpi.unit, lang),
                                 total=formatting.value(result.total, kpi.unit, lang)))
    if status != AGREES and figure.note and fr and not note:
        parts.append(figure.note.rstrip(".") + ".")
    return " ".join(filter(None, parts))


def rests_on(result: kpis.KpiResult, lang: str) -> str:
    """What the computed side rests on when some of its rows are not stated by their sources, with the rules."""
    summary = basis_summary(((b.basis, b.rule) for b in result.bases), lang)
    if not summary:
        return ""
    return _n(lang, "Le calcul repose sur {n} ligne que sa source n'énonce pas ({summary}).",
              "Le calcul repose sur {n} lignes que leurs sources n'énoncent pas ({summary}).",
              sum(b.rows for b in result.bases), summary=summary)


def _disagreement(result: kpis.KpiResult, figure, lang: str) -> str | None:
    """When two documents publish different values for the same view, say so."""
    others = [f for f in result.published if f.figure_id != figure.figure_id and f.value != figure.value]
    if not others:
        return None
    listed = (" ; " if lang == "fr" else "; ").join(f"{document_name(f.document, lang)}{' :' if lang == 'fr' else ':'} {_published_text(f, lang)}" for f in (figure, *others))
    return (f"Les documents divergent — {listed}." if lang == "fr" else f"The documents disagree — {listed}.")


def status_of(kpi: kpis.Kpi, result: kpis.KpiResult, figure) -> str:
    if result.value is None or not result.covered:
        return NOT_COMPUTABLE
    if agrees(result.value, figure):
        return AGREES
    if not result.is_complete and not kpi.partial_is_finding:
        return NOT_COMPUTABLE
    return DIFFERS


def figure_to_kpis(con) -> dict[str, list[tuple[kpis.Kpi, Filters]]]:
    """For each figure id, the KPIs (and the view) that reproduce it."""
    figures = kpis.published_figures(con)
    mapping: dict[str, list] = {}
    for kpi in kpis.expand(con):
        for ref in kpi.figures:
            figure = figures.get(ref.figure_id)
            if figure is None:
                continue
            view = Filters(edition=figure.edition_id if "edition" in kpi.filters else None,
                           communes=(ref.commune,) if ref.commune else ())
            mapping.setdefault(ref.figure_id, []).append((kpi, view))
    return mapping


def reconcile(con) -> list[Reconciliation]:
    figures = kpis.published_figures(con)
    mapping = figure_to_kpis(con)
    _registry, _figures, fixed = kpis.catalog(con)
    stored: dict[Filters, tuple[dict, dict]] = {}  # per view: the values and bases build and publish stored
    report = []
    for figure in figures.values():
        linked = mapping.get(figure.figure_id)
        if not linked:
            default_fr = "Aucun indicateur ne recalcule ce chiffre : les documents n'en donnent pas les lignes."
            default_en = "No KPI recomputes this figure: the documents do not give the rows behind it."
            report.append(Reconciliation(figure, None, None, None, None, NOT_COMPUTABLE,
                                         " ".join(filter(None, [default_fr, figure.note])), default_en))
            continue
        kpi, view = linked[0]
        if view not in stored:
            stored[view] = ({**fixed, **kpis.stored_values(con, view)}, kpis.stored_bases(con, view))
        result = kpis.compute(con, kpi, view, figures, *stored[view])
        status = status_of(kpi, result, figure)
        texts = []
        for lang in ("fr", "en"):
            text = _sentences(con, kpi, view, result, figure, status, lang)
            disagreement = _disagreement(result, figure, lang)
            texts.append(" ".join(filter(None, [text, disagreement])))
        report.append(Reconciliation(figure, kpi.id, result.value, result.covered, result.total, status, *texts,
                                     result=result))
    return report


def excerpts(quote: str) -> list[str]:
    """The verbatim passages of a quote: one, or several joined by « […] »."""
    return [part.strip() for part in quote.split(EXCERPT_SEPARATOR) if part.strip()]


def contradictions(con, lang: str = "fr", edition: int | None = None, page: str | None = None) -> list[dict]:
    """The contradictions between the documents, inside one, or between a document and the reference data.

    One dict per row of `contradictions`, in `lang`: contradiction_id, edition_id (None: the programme as a whole),
    topic, kind (between_documents | within_document | data_vs_document), shown (what the dashboard shows and why),
    page (a page name of dashboard/registry.py), kpi_id, figure_ids (a list), and `a` and `b`, the two sides:
    source_id, document (its file under ../shared/), document_name (as `document_name` says it), section, quote
    and its excerpts. `edition` keeps that edition's rows and the programme-wide ones; `page` one page's rows.
    Ordered by edition (programme-wide first), kind, then id.
    """
    rows = db.fetch_rows(con, """
        SELECT c.*, sa.file AS file_a, sb.file AS file_b
        FROM contradictions c
        JOIN sources sa ON sa.source_id = c.source_a
        JOIN sources sb ON sb.source_id = c.source_b
        WHERE ($edition IS NULL OR c.edition_id IS NULL OR c.edition_id = $edition)
          AND ($page IS NULL OR c.page = $page)
        ORDER BY c.edition_id NULLS FIRST,
                 list_position(['between_documents', 'within_document', 'data_vs_document'], c.kind),
                 c.contradiction_id""", {"edition": edition, "page": page})
    en = lang == "en"

    def side(row: dict, letter: str) -> dict:
        document = row[f"file_{letter}"]
        return {"source_id": row[f"source_{letter}"], "document": document,
                "document_name": document_name(document, lang), "section": row[f"section_{letter}"],
                "quote": row[f"quote_{letter}"], "excerpts": excerpts(row[f"quote_{letter}"])}

    return [{
        "contradiction_id": row["contradiction_id"], "edition_id": row["edition_id"],
        "topic": row["topic_en" if en else "topic_fr"], "kind": row["kind"],
        "shown": row["shown_en" if en else "shown_fr"], "page": row["page"], "kpi_id": row["kpi_id"],
        "figure_ids": (row["figure_ids"] or "").split(), "a": side(row, "a"), "b": side(row, "b"),
    } for row in rows]
