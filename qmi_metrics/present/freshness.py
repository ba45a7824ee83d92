"""The words around freshness (reads/freshness), once: the thresholds, what each project lacks, who last updated
it, and the tables the « À mettre à jour » page, its exports and the weekly digest show."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from qmi_metrics.present import formatting, vocabulary
from qmi_metrics.present.i18n import _, _n
from qmi_metrics.reads import freshness
from qmi_metrics.reads.freshness import Thresholds, day_of


def thresholds_text(limits: Thresholds, lang: str = "fr") -> str:
    late, stale = limits.late_after_days, limits.stale_after_days
    return _(lang, "À jour : dernière mise à jour il y a {late} jours au plus ; en retard : de {late_plus} à {stale}"
                   " jours ; obsolète : plus de {stale} jours. La dernière mise à jour est le plus récent d'un import"
                   " qui concerne le projet, d'un statut daté et d'une mesure.",
             late=late, late_plus=late + 1, stale=stale)


def what_the_dates_rest_on(any_import: bool, synthetic: bool, lang: str = "fr") -> str:
    """Said under the tables: where the dates come from, and why « qui » may be unknown."""
    if synthetic:
        return _(lang, "Les dates sont celles des données synthétiques (statuts et mesures générés) ; « qui » n'est"
                       " connu que pour un import.")
    if not any_import:
        return _(lang, "Aucun import n'a encore été publié : les dates sont celles des événements que les documents"
                       " publics datent (souvent au mois ou à l'année, certains inférés, voir la colonne « base ») ;"
                       " « qui » n'est connu que pour un import.")
    return _(lang, "Les dates viennent des imports (journal d'audit : quand et par qui), des statuts datés et des"
                   " mesures ; « qui » n'est connu que pour un import.")


def missing(row, today: dt.date, limits: Thresholds, lang: str = "fr") -> list[str]:
    """What a project lacks, each in a few words: the one place each check of « ce qui manque » is written."""
    found = []
    measured = day_of(row["last_measurement_on"])
    if measured is None:
        if row["indicators_followed"]:
            found.append(_(lang, "aucune mesure"))
    elif freshness.state(measured, today, limits) != freshness.CURRENT:
        found.append(_(lang, "aucune mesure depuis le {date}", date=formatting.date(measured, "day", lang)))
    status_on = day_of(row["last_status_on"])
    if status_on is None:
        found.append(_(lang, "aucun statut daté"))
    elif freshness.state(status_on, today, limits) != freshness.CURRENT:
        precision = row["last_status_precision"]
        found.append(_(lang, "aucun statut depuis le {date}", date=formatting.date(status_on, "day", lang))
                     if precision == "day" else
                     _(lang, "aucun statut depuis {date}", date=formatting.date(status_on, precision, lang)))
    if incomplete := int(row["protocols_incomplete"]):  # reads/programme.to_complete lists them on Évaluation
        found.append(_n(lang, "protocole incomplet ({n} indicateur)", "protocole incomplet ({n} indicateurs)",
                        incomplete))
    return found


def last_update_text(row, lang: str = "fr") -> str:
    """The last update's date at the precision of what dates it (an event « juin 2023 »), « non renseigné »."""
    day = day_of(row["last_update_on"])
    if day is None:
        return vocabulary.not_known(lang)
    return formatting.date(day, row["last_update_precision"], lang)


def age_text(days, lang: str = "fr") -> str:
    if days is None or pd.isna(days):
        return vocabulary.not_known(lang)
    return _n(lang, "{n} jour", "{n} jours", int(days), n=formatting.number(int(days), lang=lang))


def who_text(row, lang: str = "fr") -> str:
    """Who published the last import of the row's project or commune (the audit log), « non renseigné »."""
    by, at = row["last_import_by"], row["last_import_at"]
    if not vocabulary.known(by):
        return vocabulary.not_known(lang)
    return _(lang, "{by} (import du {date})", by=by, date=formatting.date(day_of(at), "day", lang))


def project_table(frame: pd.DataFrame, today: dt.date, limits: Thresholds, lang: str = "fr") -> pd.DataFrame:
    """The projects as the page, its export and the digest list them."""
    return pd.DataFrame({
        _(lang, "commune"): [c if vocabulary.known(c) else vocabulary.not_known(lang) for c in frame["commune"]],
        _(lang, "projet"): frame["name"],
        _(lang, "état"): [vocabulary.freshness_state(s, lang) for s in frame["state"]],
        _(lang, "dernière mise à jour"): [last_update_text(r, lang) for _i, r in frame.iterrows()],
        _(lang, "nature"): [vocabulary.words(vocabulary.UPDATE_KINDS, k, lang) if k else vocabulary.not_known(lang)
                            for k in frame["last_update_kind"]],
        _(lang, "depuis"): [age_text(d, lang) for d in frame["age_days"]],
        _(lang, "ce qui manque"): [_(lang, " ; ").join(missing(r, today, limits, lang)) or "—" for _i, r in frame.iterrows()],
        _(lang, "qui"): [who_text(r, lang) for _i, r in frame.iterrows()],
        _(lang, "base"): [vocabulary.basis_label(b, lang) for b in frame["last_update_basis"]],
        _(lang, "identifiant"): frame["project_id"],
    })


def commune_table(frame: pd.DataFrame, lang: str = "fr") -> pd.DataFrame:
    """One line per commune: its state, its last update, who, and its projects by state."""
    return pd.DataFrame({
        _(lang, "commune"): [c if vocabulary.known(c) else vocabulary.not_known(lang) for c in frame["commune"]],
        _(lang, "état"): [vocabulary.freshness_state(s, lang) for s in frame["state"]],
        _(lang, "dernière mise à jour"): [last_update_text(r, lang) for _i, r in frame.iterrows()],
        _(lang, "depuis"): [age_text(d, lang) for d in frame["age_days"]],
        _(lang, "qui"): [who_text(r, lang) for _i, r in frame.iterrows()],
        _(lang, "projets en retard"): frame["late_projects"],
        _(lang, "projets obsolètes"): frame["stale_projects"],
        _(lang, "projets à jour"): frame["current_projects"],
        _(lang, "projets sans date"): frame["undated_projects"],
    })


def to_update(frame: pd.DataFrame) -> pd.DataFrame:
    """The late and stale projects, stalest first within each commune (the page's « who to call » list)."""
    shown = frame[frame["state"].isin([freshness.LATE, freshness.STALE])]
    return shown.sort_values(["commune", "age_days", "name"], ascending=[True, False, True], na_position="last")
