"""Thématiques: the défis of applications and projects (published vs computed), the families and solution
types of the selected projects, and the low-tech / digital split."""

import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from qmi_metrics.metrics import reconcile
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import figures, headlines, narratives, vocabulary
from qmi_metrics.present.i18n import N_, _, _p
from qmi_metrics.reads import programme

# --- cached reads -----------------------------------------------------------------------------

@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def theme_shares(version: str, view: Filters) -> pd.DataFrame:
    return programme.theme_shares(database.connection(), view)


@st.cache_data(max_entries=16, show_spinner=False)
def published_shares(version: str, edition: int | None) -> pd.DataFrame:
    return programme.published_theme_shares(database.connection(), edition)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def families(version: str, view: Filters) -> pd.DataFrame:
    return programme.family_counts(database.connection(), view)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def types(version: str, view: Filters) -> pd.DataFrame:
    return programme.type_counts(database.connection(), view)


@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def digital(version: str, view: Filters) -> dict:
    return programme.digital_split(database.connection(), view)


# --- helpers ----------------------------------------------------------------------------------

def label(row) -> str:
    return row["label_en"] if language.lang() == "en" else row["label_fr"]


def pct(value) -> str:
    return figures.pct(value, language.lang())


def count_with_share(count: int, share) -> str:
    return figures.count_with_share(count, share, language.lang())


def source_text(row) -> str:
    return f"{reconcile.document_name(row['document'], language.lang())} — {row['section']}"


# --- défis: published vs computed ---------------------------------------------------------------

TITLES = {"projects": N_("Projets sélectionnés"), "applications": N_("Candidatures")}


def noun(scope: str, count: int | None = None) -> str:
    return narratives.scope_noun(scope, language.lang(), count)


def share_table(scope: str, shares: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    keys = narratives.SHARE_SCOPES[scope]
    rows = []
    for _ignored, theme in shares.iterrows():
        match = published[published["theme_slug"] == theme["theme_slug"]]
        figure = match.iloc[0] if not match.empty else None
        rows.append({
            _(language.lang(), "défi"): label(theme),
            _(language.lang(), "part publiée"): None if figure is None else pct(figure["value"]),
            _(language.lang(), "part calculée"): pct(theme[keys["share"]]),
            noun(scope) + _(language.lang(), " du défi"): int(theme[keys["count"]]),
            _(language.lang(), "défi connu"): int(theme[keys["known"]]),
            _(language.lang(), "édition (publié)"): None if figure is None else figure["edition_id"],
            "source": None if figure is None else source_text(figure),
            _(language.lang(), "citation"): None if figure is None else f"« {figure['quote']} »",
            _(language.lang(), "chiffre"): None if figure is None else figure["figure_id"],
        })
    return pd.DataFrame(rows)


@widgets.cached_chart
def share_chart(version: str, edition: int | None, communes: tuple[str, ...], scope: str, summary: str,
                lang: str) -> widgets.Chart:
    shares = theme_shares(version, Filters(edition=edition, communes=communes))
    published = published_shares(version, edition)
    scoped = published[published["scope"] == scope]
    # The same figure as the reports and slides (qmi_metrics.present.figures).
    return widgets.Chart(figures.theme_shares(shares, scoped, scope, lang), share_table(scope, shares, scoped), summary)


def theme_section(view: sidebar.View, version: str) -> None:
    st.header(_(language.lang(), "Défis : candidatures et projets"))
    st.write(_(language.lang(),
        "Part de chacun des 8 défis urbains prioritaires, telle que le rapport la publie (barres hachurées) "
        "et telle que les lignes de la base la donnent (barres pleines)."))
    shares = theme_shares(version, Filters(edition=view.filters.edition, communes=view.filters.communes))
    published = published_shares(version, view.filters.edition)
    for scope in ("applications", "projects"):
        st.subheader(_(language.lang(), TITLES[scope]))
        scoped = published[published["scope"] == scope]
        story = narratives.theme_story(shares, scoped, scope, view.filters, language.lang(),
                                       reference=not caches.is_synthetic())
        # The story quotes data (the basis rules of the rows it rests on): written as text, never as Markdown.
        if story.total == 0 and scoped.empty:
            st.info(escape.markdown(story.coverage))
            continue
        # The coverage sentence stands right above its chart: it decides how the chart may be read.
        (st.info if story.comparable else st.warning)(escape.markdown(story.coverage),
                                                      icon="ℹ️" if story.comparable else "⚠️")
        for note in story.notes:
            st.info(escape.markdown(note), icon="ℹ️")
        widgets.chart(share_chart(version, view.filters.edition, view.filters.communes, scope, story.summary,
                                  language.lang()), f"qmi_defis_{scope}", key=f"themes-{scope}")


# --- families and solution types ----------------------------------------------------------------

def breakdown_table(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    table = pd.DataFrame({
        what: [label(row) for _ignored, row in frame.iterrows()],
        _(language.lang(), "projets"): frame["projects"].astype(int),
        _(language.lang(), "part"): [pct(s) for s in frame["share"]],
    })
    if "is_digital" in frame:
        table[_(language.lang(), "numérique")] = [_(language.lang(), "oui") if d is True else _(language.lang(), "non")
                                             if d is False else "" for d in frame["is_digital"]]
    return table


def breakdown_summary(frame: pd.DataFrame, what: str) -> str:
    known = frame[frame["slug"].notna()]
    total, covered = int(frame["projects"].sum()), int(known["projects"].sum())
    leaders = known.sort_values("projects", ascending=False).head(3)
    listed = ", ".join(f"{label(r)} {count_with_share(int(r['projects']), r['share'])}" for _ignored, r in leaders.iterrows())
    return _(language.lang(), "{what} renseigné(e) pour {covered} projets sur {total}. Les plus fréquent(e)s : {listed}.",
                              what=what, covered=covered, total=total, listed=listed)


def families_section(view: sidebar.View, version: str) -> None:
    st.header(_(language.lang(), "Familles et types de solutions"))
    if families(version, view.filters)["projects"].sum() == 0:
        st.info(_(language.lang(), "Aucun projet sélectionné dans cette vue."))
        return
    st.subheader(_(language.lang(), "Familles de projets"))
    widgets.chart(breakdown_chart(version, view.filters, "families", language.lang()), "qmi_familles", key="families")
    st.subheader(_(language.lang(), "Types de solutions"))
    widgets.chart(breakdown_chart(version, view.filters, "types", language.lang()), "qmi_types", key="types")


@widgets.cached_chart
def breakdown_chart(version: str, view: Filters, what: str, lang: str) -> widgets.Chart:
    if what == "families":
        frame, colour = families(version, view), figures.PALETTE[2]
        column, noun = _(lang, "famille"), _(lang, "Famille")
    else:
        frame, colour = types(version, view), figures.PALETTE[0]
        column, noun = _p(lang, "type de solution", "type"), _(lang, "Type")
    return widgets.Chart(figures.breakdown(frame, colour, lang), breakdown_table(frame, column),
                         breakdown_summary(frame, noun))


# --- low-tech / digital -------------------------------------------------------------------------

def digital_section(view: sidebar.View, version: str) -> None:
    st.header(_(language.lang(), "Low-tech ou numérique"))
    split = digital(version, view.filters)
    if not split["total"]:
        st.info(_(language.lang(), "Aucun projet sélectionné dans cette vue."))
        return
    results = caches.kpi_results(version, view.filters)
    left, right = st.columns([2, 3])
    with left:
        widgets.kpi_row(results, headlines.THEMES_DIGITAL, columns=1)
        explain_digital_gap(results, version)
    with right:
        widgets.chart(digital_chart(version, view.filters, language.lang()), "qmi_numerique", key="digital")


@widgets.cached_chart
def digital_chart(version: str, view: Filters, lang: str) -> widgets.Chart:
    split = digital(version, view)
    return widgets.Chart(figures.digital_split(split, lang), digital_table(split), digital_summary(split))


def digital_table(split: dict) -> pd.DataFrame:
    parts = figures.digital_parts(split, language.lang())
    return pd.DataFrame({_(language.lang(), "catégorie"): [p[0] for p in parts],
                         _(language.lang(), "projets"): [p[1] for p in parts],
                         _(language.lang(), "part"): [pct(p[3]) if p[3] is not None else "" for p in parts]})


def digital_summary(split: dict) -> str:
    known = split["digital"] + split["not_digital"]
    names = ", ".join(split["digital_names"]) or "—"
    return _(language.lang(),
        "{digital} projets sur {known} au type connu sont de type NUMÉRIQUE ({pct_share}) : {names}.",
        digital=split['digital'], known=known, pct_share=pct(split['share']), names=names)


def explain_digital_gap(results: dict, version: str) -> None:
    """The report's « seul un tiers » next to the count of the list, and why they differ."""
    entry = next((r for r in caches.reconciliation(version) if r.figure.figure_id == "rapport_part_numerique"), None)
    if entry is None:
        return
    figure = entry.figure
    st.markdown(escape.markdown(_(language.lang(),
        "Le rapport écrit : « {quote} » ({pct_value}, édition {edition_id}).", quote=figure.quote,
        pct_value=pct(figure.value), edition_id=figure.edition_id)))
    st.caption(escape.markdown(
        f"{_(language.lang(), 'Écart expliqué')} : {vocabulary.localized(language.lang(), entry.explanation_fr, entry.explanation_en)}"
        f" — {reconcile.document_name(figure.document, language.lang())}, {figure.section}."))


# --- page ---------------------------------------------------------------------------------------

view = sidebar.page(_(language.lang(), "Thématiques"),
                    _(language.lang(), "Quels défis urbains les candidatures et les projets abordent, de quelles "
                                       "familles et de quels types sont les solutions sélectionnées, et quelle part "
                                       "est numérique."))
if view.statuses:
    st.caption(_(language.lang(), "Le filtre « Statut des projets » ne s'applique pas à cette page : elle décrit tous les projets sélectionnés."))
data_version = caches.data_version()
theme_section(view, data_version)
families_section(view, data_version)
digital_section(view, data_version)
