"""The sentences around charts and slides, once: functions of the data that return text (French or English),
used by the pages, the reports, the event slides and the PPTX alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone

import pandas as pd

from qmi_metrics.metrics.filters import Filters
from qmi_metrics.metrics.reconcile import document_name
from qmi_metrics.present import formatting
from qmi_metrics.present.i18n import _, _n, _np
from qmi_metrics.present.vocabulary import FINDINGS, FINDINGS_PLURAL, basis_summary, words

# --- défis: computed shares beside the published ones ------------------------------------------------

SHARE_SCOPES = {
    "projects": {"share": "projects_share", "count": "projects", "known": "projects_known", "bases": "projects_bases"},
    "applications": {"share": "applications_share", "count": "applications", "known": "applications_known",
                     "bases": "applications_bases"},
}


def scope_noun(scope: str, lang: str, count: int | None = None) -> str:
    """'projets', 'projet' (0 or 1 in French, 1 in English), 'applications'…; the plural without a count."""
    n = 2 if count is None else count
    # A context of their own: « projet » and « projets » without one are column names, each of a single form.
    if scope == "projects":
        return _np(lang, "nom après un nombre", "projet", "projets", n)
    if scope == "applications":
        return _np(lang, "nom après un nombre", "candidature", "candidatures", n)
    raise KeyError(scope)


@dataclass(frozen=True)
class ThemeStory:
    """What a chart of shares per défi may say. The rule: computed shares are read beside the published ones
    only when the défi is known for every row of the view; published shares are edition-wide, and say so
    under a commune filter (they stay in sight, they are not the commune's)."""

    total: int  # rows of the view (projects listed, or applications received)
    known: int  # rows whose défi is known
    comparable: bool  # every row's défi is known: the computed shares stand on their own
    coverage: str  # what the computed shares rest on, and whether they compare
    published: str  # what the published shares are, or that there are none
    published_scope: str  # which editions the published shares are of ('' when none): under bars that show them
    notes: tuple[str, ...]  # filters the shares do not follow
    summary: str  # the chart's one-sentence summary (its alternative text)


def _total(scope: str, first: pd.Series, lang: str) -> tuple[int, str]:
    if scope == "projects":
        total = int(first["projects_total"])
        return total, _(lang, "{total} listés", total=total)
    rows, published = int(first["applications_rows"]), first["applications_published"]
    if pd.isna(published):
        return rows, _(lang, "{rows} connues", rows=rows)
    total = int(published)
    if total == rows:
        return total, _(lang, "{total} connues", total=total)
    return total, _(lang, "{total} reçues selon les documents ({rows} connues ligne à ligne)", total=total, rows=rows)


def _theme_name(row, lang: str) -> str:
    return row["theme_en"] if lang == "en" else row["theme_fr"]


def theme_story(shares: pd.DataFrame, published: pd.DataFrame, scope: str, view: Filters, lang: str = "fr",
                reference: bool = True) -> ThemeStory:
    """`shares` is programme.theme_shares of the view (its défi filter dropped), `published` the rows of
    programme.published_theme_shares of the scope; `reference`: the reference data, whose documents give the
    défi only for the projects they cite (synthetic data has no such reason)."""
    keys = SHARE_SCOPES[scope]
    first = shares.iloc[0]
    known = int(first[keys["known"]])
    total, total_text = _total(scope, first, lang)
    noun = scope_noun(scope, lang)
    comparable = total > 0 and known >= total
    if total == 0:
        coverage = _(lang, "Aucune ligne de {noun} dans cette vue.", noun=noun)
    elif known == 0:
        coverage = _(lang, "Aucun défi n'est renseigné pour les {noun} de cette vue ({total_text}) : aucune part "
                           "n'est calculée.",
                           noun=noun, total_text=total_text)
    elif comparable:
        coverage = _n(lang, "Calculé sur le {n} {scope_noun_scope} de "
                            "la vue : le défi est renseigné pour chacun.",
                            "Calculé sur les {n} {scope_noun_scope} de "
                            "la vue : le défi est renseigné pour chacun.",
                            known, scope_noun_scope=scope_noun(scope, lang, known))
    else:
        why = _(lang, " (les documents publics ne le donnent que pour les projets cités en exemple)") if reference else ""
        coverage = _(lang, "Calculé sur {known} {scope_noun_scope} sur {total_text} : le défi n'est "
                           "renseigné que pour ces lignes{why}. Les parts calculées ne sont donc PAS comparables aux "
                           "parts publiées.",
                           known=known, scope_noun_scope=scope_noun(scope, lang, known), total_text=total_text, why=why)
    published_scope = ""
    if published.empty:
        published_text = _(lang, "Aucune part par défi n'est publiée pour cette vue.")
    else:
        editions = sorted({int(e) for e in published["edition_id"].dropna()})
        listed = ", ".join(f"{_theme_name(r, lang)} {formatting.value(float(r['value']), 'ratio', lang)}"
                           for _ignored, r in published.sort_values("value", ascending=False).iterrows())
        which = ", ".join(_(lang, "édition {e}", e=e) for e in editions)
        published_text = _(lang, "Parts publiées ({which}) : {listed}.", which=which, listed=listed)
        published_scope = _(lang, "Parts publiées ({which}).", which=which)
    notes = []
    if view.themes:
        notes.append(_(lang, "Les parts ignorent le filtre « Défis » : une part se calcule sur tous les défis."))
    if view.communes and not published.empty:
        notes.append(_(lang, "Les parts publiées portent sur toute l'édition, pas sur les seules communes choisies."))
    unstated = basis_summary([tuple(pair) for pair in first.get(keys["bases"], ())], lang) if known else ""
    if unstated:  # the défis the computed shares rest on are not stated row by row
        notes.append(_(lang, "Défis connus que leur source n'énonce pas pour la ligne — {unstated}.",
                       unstated=unstated))
    summary = [published_text]
    if known:
        present = shares[shares[keys["count"]] > 0]
        listed = ", ".join(f"{r['label_en'] if lang == 'en' else r['label_fr']} "
                           f"{formatting.value(float(r[keys['share']]), 'ratio', lang)}" for _ignored, r in present.iterrows())
        summary.append(_(lang, "Parts calculées sur {known} {scope_noun_scope} au défi connu : {listed}.", known=known,
                               scope_noun_scope=scope_noun(scope, lang, known), listed=listed))
    return ThemeStory(total=total, known=known, comparable=comparable, coverage=coverage, published=published_text,
                      published_scope=published_scope, notes=tuple(notes), summary=" ".join(summary))


# --- the Communauté des Expérimentateurs ------------------------------------------------------------

def community_summary(events: pd.DataFrame, lang: str = "fr") -> str:
    """'4 rencontres entre novembre 2023 et février 2025, de 50 à 90 personnes par rencontre, 280 personnes au total.'"""
    counted = events.dropna(subset=["participants"])
    dated = events.dropna(subset=["date_start"])
    meetings = len(events)
    sentence = _n(lang, "{n} rencontre", "{n} rencontres", meetings)
    if len(dated) == 1:
        sentence += _(lang, " en ") + formatting.date(dated.iloc[0]["date_start"], dated.iloc[0]["date_precision"], lang)
    elif len(dated) > 1:
        first, last = dated.iloc[0], dated.iloc[-1]
        sentence += (_(lang, " entre ") + formatting.date(first["date_start"], first["date_precision"], lang)
                     + _(lang, " et ") + formatting.date(last["date_start"], last["date_precision"], lang))
    if len(counted) == 1:
        sentence += f", {formatting.value(counted['participants'].iloc[0], 'people', lang)}"
    elif len(counted) > 1:
        low = formatting.value(counted["participants"].min(), "count", lang)
        high = formatting.value(counted["participants"].max(), "people", lang)
        total = formatting.value(counted["participants"].sum(), "people", lang)
        sentence += _(lang, ", de {low} à {high} par rencontre, {total} au total", low=low, high=high, total=total)
    missing = meetings - len(counted)
    if missing:
        sentence += _n(lang, " ; participants non renseignés pour {n} rencontre",
                             " ; participants non renseignés pour {n} rencontres", missing)
    return sentence + "."


# --- a project's other spellings --------------------------------------------------------------------

def other_spellings(aliases: pd.DataFrame, lang: str = "fr") -> str:
    """'Pélican Cycles (le communiqué de presse du 26 octobre 2023) ; Pelican Cycle, Pelican Train (le rapport …)':
    each document once, in the order of the rows (`reads.projects.aliases`), with the names it writes."""
    names: dict[str, list[str]] = {}
    for row in aliases.itertuples():
        written = names.setdefault(row.document, [])
        if row.name_as_written not in written:
            written.append(row.name_as_written)
    return _(lang, " ; ").join(f"{', '.join(written)} ({document_name(document, lang)})"
                               for document, written in names.items())


# --- the reconciliation's findings -----------------------------------------------------------------

def findings_summary(findings: list, lang: str = "fr") -> str:
    """'86 chiffres publiés : 16 concordent, 7 diffèrent, 63 non calculables.'"""
    counts = {status: sum(f.status == status for f in findings) for status in FINDINGS_PLURAL}
    listed = ", ".join(f"{counts[s]} {words(FINDINGS_PLURAL if counts[s] > 1 else FINDINGS, s, lang)}" for s in counts)
    figures = len(findings)
    return _n(lang, "{n} chiffre publié : {listed}.", "{n} chiffres publiés : {listed}.", figures, listed=listed)


# --- when the data were published ---------------------------------------------------------------------------

def published_line(publication, lang: str = "fr") -> str:
    """« Données publiées le 2 décembre 2026 à 13:45 UTC (version …). »: the served data version's publication
    (store.db.publication), said the same on every page, report, slide, export and showcase page."""
    if publication.at is None:
        return _(lang, "Date de publication des données non renseignée.")
    at = publication.at.astimezone(timezone.utc)
    return _(lang, "Données publiées le {date} à {time} UTC (version {version}).",
             date=formatting.date(at.date(), "day", lang), time=at.strftime("%H:%M"), version=publication.version)
