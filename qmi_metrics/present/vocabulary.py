"""The words the outputs share, each defined once: statuses, unknown values, domains, directions, bases…

A table here maps a stored value to the French text of the catalogue (a msgid marked `N_`): `words(table, key,
lang)` shows it in the reader's language through `i18n._`, so a new language is one catalogue file. The texts that
come in two languages from the data (`label_fr`/`label_en` columns of a row) are read with `localized`.
"""

from __future__ import annotations

import pandas as pd

from qmi_metrics.present.i18n import N_, N_p, _, _p

NOT_KNOWN = N_("non renseigné")
# Status symbols, so that a status reads without colour: every output (pages, figures, slides, reports) uses these.
STATUS_SYMBOLS = {"selected": "○", "started": "◔", "agreement_signed": "◑", "deployed": "●", "tested": "◉",
                  "evaluated": "★", "continued": "➜", "stopped": "✕"}


def localized(lang: str, fr: str, en: str) -> str:
    """A text that comes in French and English from outside the catalogue, in `lang`: a data row's own columns
    (label_fr/label_en…), a bilingual error (store.settings.SettingError). English for "en", else French: the
    data hold those two languages only. The interface's own words are the catalogue's (`_`)."""
    return en if lang == "en" else fr


def known(value) -> bool:
    """Not NULL: neither None nor a missing value of pandas (NaN, NaT, NA)."""
    return value is not None and not (not isinstance(value, str) and pd.isna(value))


def not_known(lang: str) -> str:
    """« non renseigné », what every output prints for a missing value."""
    return _(lang, NOT_KNOWN)


def synthetic_banner(lang: str) -> str:
    """What every page, report and showcase page of a synthetic database says first."""
    return _(lang, "DONNÉES SYNTHÉTIQUES : ces chiffres sont générés pour la démonstration, aucun n'est réel.")


def words(table: dict, key, lang: str) -> str:
    """The words of `key` in a table of msgids, in `lang`; the key itself when the table lacks it, '' for ''."""
    message = table.get(key)
    if message is None:
        return str(key)
    return _(lang, message) if message else ""  # an empty msgid would be the catalogue's header


STATUS_LABELS = {
    "selected": N_("sélectionné"), "started": N_("accompagné"), "agreement_signed": N_("convention signée"),
    "deployed": N_("déployé"), "tested": N_("testé"), "evaluated": N_("évalué"), "continued": N_("poursuivi"),
    "stopped": N_("arrêté"),
}


def status_label(status: str | None, lang: str = "fr", symbol: bool = True) -> str:
    """'● déployé' (the symbol tells the status without colour); « non renseigné » when unknown."""
    if not known(status):
        return not_known(lang)
    text = words(STATUS_LABELS, status, lang)
    return f"{STATUS_SYMBOLS.get(status, '')} {text}".strip() if symbol else text


# The indicator library's domains, in the order every output lists them (slug as stored: its label).
DOMAINS = {
    "environnemental": N_("Environnemental"),
    "social": N_("Social"),
    "économique": N_("Économique"),
    "retours usagers": N_("Retours usagers"),
    "efficacité": N_("Efficacité"),
}


def domain_label(slug: str | None, lang: str = "fr") -> str:
    return words(DOMAINS, slug, lang) if known(slug) else not_known(lang)


# An indicator's desired direction (one wording everywhere: the page, the sheet, the chart titles).
DIRECTIONS = {"hausse": N_("↑ hausse souhaitée"), "baisse": N_("↓ baisse souhaitée"),
              "neutre": N_("→ suivi sans sens souhaité")}

# How precisely a site's position is known (the sites table's `precision`).
SITE_PRECISIONS = {"approximate": N_("approximative (≈ 300 m)"), "landmark": N_("repère public"),
                   "computed": N_("calculée"), "unknown": NOT_KNOWN}


def site_precision(precision: str | None, lang: str = "fr") -> str:
    return words(SITE_PRECISIONS, precision if known(precision) else "unknown", lang)


# How precisely a date is known (`date_precision`). A context of its own: « mois » is "months" as a unit.
DATE_PRECISION = "précision d'une date"
DATE_PRECISIONS = {"day": N_p("précision d'une date", "jour"), "month": N_p("précision d'une date", "mois"),
                   "season": N_p("précision d'une date", "saison"), "year": N_p("précision d'une date", "année")}


def date_precision(precision: str, lang: str = "fr") -> str:
    """'jour', 'mois', 'saison', 'année'; the value itself when it is none of them."""
    message = DATE_PRECISIONS.get(precision)
    return _p(lang, DATE_PRECISION, message) if message else str(precision)


# The view's filters, named in « filtre non applicable : défi ».
FILTER_WORDS = {"edition": N_("édition"), "commune": N_("commune"), "theme": N_("défi")}

# What a number rests on. A card's basis is one of the first four; a row's basis (issue 12) one of the last three.
BASES = {
    "computed": N_("calculé"),
    "published": N_("publié"),
    "partial": N_("partiel"),
    "not computable": N_("non calculable"),
    "computed_from_published": N_("calculé à partir des chiffres publiés"),
    "inferred": N_("inféré"),
    "modelled": N_("modélisé"),
    "unknown": NOT_KNOWN,
}
PARTIAL_DATA = N_("données partielles")

# How a row stands to its sources (schema.sql, basis), from the firmest to the weakest.
ROW_BASES = ("stated", "inferred", "modelled")


def basis_label(basis: str | None, lang: str = "fr") -> str:
    """A row's basis as a table's « base » column shows it: « énoncé », « inféré », « modélisé »."""
    if basis == "stated":
        return _(lang, "énoncé")
    return words(BASES, basis, lang) if basis in ROW_BASES else not_known(lang)


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
# the KPI's label (« Délai moyen de déploiement »), not printed again on the value: '' for those.
QUALIFIERS = {"plus de": N_("plus de"), "près de": N_("près de"), "au moins": N_("au moins"),
              "jusqu'à": N_("jusqu'à"), "environ": N_("environ"), "en moyenne": "", "minimum": "", "maximum": ""}
LOWER_BOUNDS = ("plus de", "au moins")  # a published value that the true one may exceed


def qualifier(word: str | None, lang: str = "fr") -> str:
    """The printed qualifier of a published figure: '' when there is none or the label says it."""
    return words(QUALIFIERS, word, lang) if known(word) and word else ""

# A published figure against the rows (metrics/reconcile): one finding's status, and the same in the plural.
FINDINGS = {"agrees": N_("concorde"), "differs": N_("diffère"), "not computable": N_("non calculable")}
FINDINGS_PLURAL = {"agrees": N_("concordent"), "differs": N_("diffèrent"), "not computable": N_("non calculables")}

# The territorial diagnostics' formats (the diagnostics table's `kind`, community.DIAGNOSTIC_KINDS).
DIAGNOSTIC_LABELS = {"marche sensible": N_("marche sensible"), "balade urbaine": N_("balade urbaine"),
                     "entretiens": N_("entretiens"), "atelier carte sur table": N_("atelier « carte sur table »")}

# What a place of the map is (reads/geo).
PLACE_KINDS = {"commune": N_("commune lauréate (centroïde)"), "quartier": N_("quartier"),
               "site": N_("lieu d'expérimentation")}

# The programme funnel's stages (reads/queries.FUNNEL_STAGES).
FUNNEL_LABELS = {"marks_of_interest": N_("Marques d'intérêt"), "applications": N_("Candidatures"),
                 "selected": N_("Projets sélectionnés"), "deployed": N_("Projets déployés"),
                 "evaluated": N_("Projets évalués (fiches)")}


def funnel_label(stage: str, lang: str = "fr") -> str:
    return words(FUNNEL_LABELS, stage, lang)

# Where two sentences disagree (metrics/reconcile.contradictions): between the two documents, inside one, or
# between a document and the reference data.
CONTRADICTION_KINDS = {"between_documents": N_("entre deux documents"), "within_document": N_("dans un même document"),
                       "data_vs_document": N_("document et données de référence")}

# A protocol's status (indicator_protocols.status; a followed indicator without one is « à définir »).
PROTOCOL_STATUSES = {"à définir": N_("à définir"), "défini": N_("défini"), "validé": N_("validé")}

# Why an indicator's progress is not computable (indicator_progress.reason, Kpi.reasons_sql).
PROGRESS_REASONS = {
    "no_protocol": N_("aucun protocole (à définir)"),
    "no_baseline": N_("pas de valeur de départ datée"),
    "no_target": N_("pas de cible"),
    "target_is_baseline": N_("cible égale à la valeur de départ"),
    "no_measurement": N_("aucune mesure depuis la valeur de départ"),
    "only_older_measurements": N_("seules des mesures antérieures à la valeur de départ (ignorées)"),
    "no_target_date": N_("pas de date de cible"),
}

# The trend since the previous measurement (indicator_progress.trend), with its symbol.
TRENDS = {"up": N_("↑ en hausse"), "stable": N_("→ stable"), "down": N_("↓ en baisse")}

# Freshness (reads/freshness): a project's or a commune's state, and what its last update was.
FRESHNESS_STATES = {"current": N_("à jour"), "late": N_("en retard"), "stale": N_("obsolète")}
UPDATE_KINDS = {"import": N_("import"), "status": N_("statut daté"), "measurement": N_("mesure")}


def freshness_state(state: str | None, lang: str = "fr") -> str:
    """« à jour », « en retard », « obsolète »; « non renseigné » when nothing is dated."""
    return words(FRESHNESS_STATES, state, lang) if state in FRESHNESS_STATES else not_known(lang)


# Who may do what (qmi_metrics/admin/roles.py): the roles as the Administration page names them.
ROLE_LABELS = {"reader": N_("lecteur"), "commune_editor": N_("éditeur de commune"),
               "programme_manager": N_("gestionnaire du programme"), "administrator": N_("administrateur")}
