"""The words the outputs share, each defined once: statuses, unknown values, plurals, language switching."""

from __future__ import annotations

import pandas as pd

from qmi_metrics.present.i18n import _

NOT_KNOWN_PAIR = ("non renseigné", "not available")
NOT_KNOWN = {"fr": NOT_KNOWN_PAIR[0], "en": NOT_KNOWN_PAIR[1]}
# Status symbols, so that a status reads without colour: every output (pages, figures, slides, reports) uses these.
STATUS_SYMBOLS = {"selected": "○", "started": "◔", "agreement_signed": "◑", "deployed": "●", "tested": "◉",
                  "evaluated": "★", "continued": "➜", "stopped": "✕"}


def tr(lang: str, fr: str, en: str) -> str:
    """The text in `lang` (French unless "en")."""
    return en if lang == "en" else fr


def known(value) -> bool:
    """Not NULL: neither None nor a missing value of pandas (NaN, NaT, NA)."""
    return value is not None and not (not isinstance(value, str) and pd.isna(value))


def plural(n: int, singular: str, plural_form: str) -> str:
    """French agreement: 0 and 1 take the singular."""
    return singular if n < 2 else plural_form


def words(table: dict, key, lang: str) -> str:
    """The words of `key` in a table of (French, English) pairs; the key itself when the table lacks it."""
    pair = table.get(key)
    return tr(lang, *pair) if pair else str(key)


STATUS_LABELS = {
    "selected": ("sélectionné", "selected"), "started": ("accompagné", "supported"),
    "agreement_signed": ("convention signée", "agreement signed"), "deployed": ("déployé", "deployed"),
    "tested": ("testé", "tested"), "evaluated": ("évalué", "evaluated"), "continued": ("poursuivi", "continued"),
    "stopped": ("arrêté", "stopped"),
}


def status_label(status: str | None, lang: str = "fr", symbol: bool = True) -> str:
    """'● déployé' (the symbol tells the status without colour); « non renseigné » when unknown."""
    if not known(status):
        return NOT_KNOWN[lang]
    text = words(STATUS_LABELS, status, lang)
    return f"{STATUS_SYMBOLS.get(status, '')} {text}".strip() if symbol else text


# The indicator library's domains, in the order every output lists them (slug as stored, French, English).
DOMAINS = (
    ("environnemental", "Environnemental", "Environmental"),
    ("social", "Social", "Social"),
    ("économique", "Économique", "Economic"),
    ("retours usagers", "Retours usagers", "User feedback"),
    ("efficacité", "Efficacité", "Effectiveness"),
)


def domain_label(slug: str | None, lang: str = "fr") -> str:
    for key, fr, en in DOMAINS:
        if key == slug:
            return tr(lang, fr, en)
    return str(slug) if known(slug) else NOT_KNOWN[lang]


# An indicator's desired direction (one wording everywhere: the page, the sheet, the chart titles).
DIRECTIONS = {"hausse": ("↑ hausse souhaitée", "↑ increase wanted"),
              "baisse": ("↓ baisse souhaitée", "↓ decrease wanted"),
              "neutre": ("→ suivi sans sens souhaité", "→ tracked, no preferred direction")}

# How precisely a site's position is known (the sites table's `precision`).
SITE_PRECISIONS = {"approximate": ("approximative (≈ 300 m)", "approximate (≈ 300 m)"),
                   "landmark": ("repère public", "public landmark"), "computed": ("calculée", "computed"),
                   "unknown": NOT_KNOWN_PAIR}


def site_precision(precision: str | None, lang: str = "fr") -> str:
    return words(SITE_PRECISIONS, precision if known(precision) else "unknown", lang)


# How precisely a date is known (`date_precision`).
DATE_PRECISIONS = {"day": ("jour", "day"), "month": ("mois", "month"), "season": ("saison", "season"),
                   "year": ("année", "year")}

# The view's filters, named in « filtre non applicable : défi ».
FILTER_WORDS = {"edition": ("édition", "edition"), "commune": ("commune", "commune"), "theme": ("défi", "challenge")}

# What a number rests on. A card's basis is one of the first four; a row's basis (issue 12) one of the last three.
BASES = {
    "computed": ("calculé", "computed"),
    "published": ("publié", "published"),
    "partial": ("partiel", "partial"),
    "not computable": ("non calculable", "not computable"),
    "computed_from_published": ("calculé à partir des chiffres publiés", "computed from the published figures"),
    "inferred": ("inféré", "inferred"),
    "modelled": ("modélisé", "modelled"),
    "unknown": NOT_KNOWN_PAIR,
}
PARTIAL_DATA = ("données partielles", "partial data")

# How a row stands to its sources (schema.sql, basis), from the firmest to the weakest.
ROW_BASES = ("stated", "inferred", "modelled")


def basis_label(basis: str | None, lang: str = "fr") -> str:
    """A row's basis as a table's « base » column shows it: « énoncé », « inféré », « modélisé »."""
    if basis == "stated":
        return _(lang, "énoncé")
    return words(BASES, basis, lang) if basis in ROW_BASES else NOT_KNOWN[lang]


def weakest_basis(*bases: str | None) -> str | None:
    """The weakest of several rows' bases (what a line resting on all of them is worth); None when none is known."""
    found = [basis for basis in bases if basis in ROW_BASES]
    return max(found, key=ROW_BASES.index) if found else None


def basis_notes(pairs, lang: str = "fr") -> list[str]:
    """One line per rule of the rows that are not stated, in the order met: « inféré : <rule> ». `pairs` are
    (basis, rule); the rule is the data's own sentence (French), its full stop left to the line."""
    notes = []
    for basis, rule in pairs:
        if basis in ROW_BASES[1:] and known(rule):
            line = f"{words(BASES, basis, lang)}{_(lang, ' : ')}{str(rule).rstrip('.')}"
            if line not in notes:
                notes.append(line)
    return notes


def basis_mark(basis: str | None, lang: str = "fr", what: str = "") -> str:
    """After a value that rests on a row its source does not state: ' · inféré' (' · délai inféré' with `what`,
    already in the reader's language); '' after a stated one."""
    if basis not in ROW_BASES[1:]:
        return ""
    return " · " + " ".join(filter(None, [what, words(BASES, basis, lang)]))


def basis_help(lang: str = "fr") -> str:
    """What a « base » column says, for its header's help and the reports' notes."""
    return _(lang, "Énoncé : la source le dit pour cette ligne même ; inféré : déduit par une règle de ce qu'elle dit"
                   " (une phrase sur tous les projets appliquée à chacun…) ; modélisé : construit par le tableau de bord."
                   " La règle de chaque ligne non énoncée est donnée sous le tableau.")


def indicator_model_note(lang: str = "fr") -> str:
    """Said wherever an indicator is shown: its unit and desired direction are the dashboard's model."""
    return _(lang, "Unité et sens souhaité : modélisés par le tableau de bord, le rapport ne les publie pas.")


def basis_summary(pairs, lang: str = "fr") -> str:
    """The rules of the rows that are not stated, on one line, one word for each basis: « inféré : <rule> ; <rule> »
    (a card's note, the reconciliation's computed side)."""
    colon = _(lang, " : ")
    by_word: dict[str, list[str]] = {}
    for note in basis_notes(pairs, lang):
        word, _colon, rule = note.partition(colon)
        by_word.setdefault(word, []).append(rule)
    return " · ".join(f"{word}{colon}{_(lang, ' ; ').join(rules)}" for word, rules in by_word.items())

# Qualifiers of a published figure that bound its value, printed before it as the document prints them
# (« plus de 290 », « près de 170 »). What the figure is (« en moyenne », « minimum », « maximum ») is said by
# the KPI's label (« Délai moyen de déploiement »), not printed again on the value.
QUALIFIERS = {"plus de": ("plus de", "more than"), "près de": ("près de", "nearly"), "au moins": ("au moins", "at least"),
              "jusqu'à": ("jusqu'à", "up to"), "environ": ("environ", "about"), "en moyenne": ("", ""),
              "minimum": ("", ""), "maximum": ("", "")}
LOWER_BOUNDS = ("plus de", "au moins")  # a published value that the true one may exceed


def qualifier(word: str | None, lang: str = "fr") -> str:
    """The printed qualifier of a published figure: '' when there is none or the label says it."""
    return words(QUALIFIERS, word, lang) if known(word) and word else ""

# A published figure against the rows (metrics/reconcile): one finding's status, and the same in the plural.
FINDINGS = {"agrees": ("concorde", "agrees"), "differs": ("diffère", "differs"),
            "not computable": ("non calculable", "not computable")}
FINDINGS_PLURAL = {"agrees": ("concordent", "agree"), "differs": ("diffèrent", "differ"),
                   "not computable": ("non calculables", "not computable")}
