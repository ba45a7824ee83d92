"""Sources et écarts, for an elected official preparing a speech: first the findings in plain sentences,
grouped (the documents contradict each other, the data do not confirm, confirmed, not verifiable), each with
the sentences it rests on, what the dashboard shows and a link to its page; then, for managers, the full
tables. A card marked « écart » opens this page on its finding (?finding=<id>)."""

import pandas as pd
import streamlit as st

from dashboard import registry
from dashboard.ui import caches, database, language, sidebar, widgets
from qmi_metrics.metrics import reconcile
from qmi_metrics.outputs import escape, opendata
from qmi_metrics.present import findings, formatting, vocabulary
from qmi_metrics.present.i18n import _

# Groups read in full; the others open finding by finding (63 figures cannot be checked: a list to consult).
READ_IN_FULL = (findings.CONTRADICTION, reconcile.DIFFERS)


@st.cache_data(max_entries=16, show_spinner=False)
def collected(version: str, lang: str, edition: int | None) -> list[findings.Finding]:
    return findings.collect(database.connection(), lang, edition)


@st.cache_data(max_entries=2, show_spinner=False)
def open_data(version: str) -> bytes:
    return opendata.zip_bytes(database.connection())


def page_link(finding: findings.Finding) -> None:
    if finding.page and finding.page != "sources":
        spec = registry.page(finding.page)
        st.page_link(spec.file, label=_(language.lang(), "Voir sur la page « {title} »", title=spec.title(language.lang())),
                     icon=":material/arrow_forward:")


def render(finding: findings.Finding) -> None:
    """One finding: its sentence, the passages it rests on, what the dashboard shows, where."""
    st.markdown(escape.markdown(finding.sentence))
    for passage in finding.passages:  # a quote the sentence already reads is not printed twice: only its place
        where = f"{passage.document}, {passage.section}"
        st.caption(escape.markdown(where if passage.quote in finding.sentence else f"« {passage.quote} » — {where}"))
    if finding.shown:
        st.markdown(escape.markdown(finding.shown))
    page_link(finding)


def render_group(group: str, found: list[findings.Finding]) -> None:
    st.header(f"{findings.group_title(group, language.lang())} ({formatting.number(len(found))})", anchor=group)
    if not found:
        st.write(_(language.lang(), "Aucun."))
    for finding in found:
        if group in READ_IN_FULL:
            with st.container(border=True):
                st.subheader(escape.markdown(finding.title), anchor=finding.key)
                render(finding)
        else:
            with st.expander(escape.markdown(finding.title)):
                render(finding)


def figures_table(report) -> pd.DataFrame:
    lang = language.lang()
    return pd.DataFrame([{
        _(lang, "libellé"): (r.figure.label_en or r.figure.label_fr) if lang == "en" else r.figure.label_fr,
        _(lang, "explication"): vocabulary.localized(lang, r.explanation_fr, r.explanation_en),
        _(lang, "statut"): vocabulary.words(vocabulary.FINDINGS, r.status, lang),
        _(lang, "publié"): formatting.value(r.figure.value, r.figure.unit, lang),
        _(lang, "calculé"): formatting.value(r.computed_value, r.figure.unit, lang) if r.kpi_id else "—",
        "document": r.figure.document,
        "section": r.figure.section,
        _(lang, "citation"): r.figure.quote,
        _(lang, "identifiant"): r.figure.figure_id,
    } for r in report])


def contradictions_table(found: list[findings.Finding]) -> pd.DataFrame:
    lang = language.lang()
    rows = []
    for f in found:
        a, b = (f.passages + (None, None))[:2]
        rows.append({_(lang, "sujet"): f.title, _(lang, "ce que montre le tableau de bord"): f.shown,
                     _(lang, "document A"): a.document if a else "", _(lang, "citation A"): a.quote if a else "",
                     _(lang, "document B"): b.document if b else "", _(lang, "citation B"): b.quote if b else "",
                     _(lang, "identifiant"): f.key})
    return pd.DataFrame(rows)


view = sidebar.page(_(language.lang(), "Sources et écarts"),
                    _(language.lang(), "Ce que disent les documents, ce que les données confirment, et où ils se "
                                       "contredisent : de quoi citer chaque chiffre en sachant sur quoi il repose."))
version = caches.data_version()
found = collected(version, language.lang(), view.filters.edition)
groups = findings.by_group(found)

for row in (findings.GROUPS[:2], findings.GROUPS[2:]):  # two by two: the groups' titles stay whole
    for column, group in zip(st.columns(2), row):
        column.metric(findings.group_title(group, language.lang()), formatting.number(len(groups[group])), border=True)

wanted = st.query_params.get("finding")
arrived = findings.about(found, wanted) if wanted else []
if arrived:
    with st.container(border=True):
        st.subheader(_(language.lang(), "L'écart signalé sur la carte"))
        for finding in arrived:
            st.markdown(f"**{escape.markdown(finding.title)}** — {findings.group_title(finding.group, language.lang())}")
            render(finding)

for group in findings.GROUPS:
    render_group(group, groups[group])

st.header(_(language.lang(), "Pour les gestionnaires : les tableaux complets"))
st.subheader(_(language.lang(), "Les contradictions"))
widgets.table(contradictions_table(groups[findings.CONTRADICTION]), "qmi_contradictions", key="contradictions")
st.subheader(_(language.lang(), "Chaque chiffre publié face aux données"))
report = [r for r in caches.reconciliation(version)
          if view.filters.edition is None or r.figure.edition_id in (None, view.filters.edition)]
widgets.table(figures_table(report), "qmi_sources_ecarts", key="figures",
              column_config={_(language.lang(), "explication"): st.column_config.TextColumn(width="large")})

st.header(_(language.lang(), "Données ouvertes"))
if caches.is_synthetic():
    st.info(_(language.lang(), "Base synthétique : ses données sont générées par du code, ce ne sont pas des données"
                               " ouvertes ; le paquet n'est proposé que pour les données de référence."))
else:
    st.write(_(language.lang(), "Les tables publiques, comme data.gouv.fr les attend : un CSV par table, son schéma"
                                " (Table Schema) qui décrit chaque colonne, le fichier datapackage.json (licence,"
                                " sources, version des données) et un classeur Excel des mêmes tables. Licence"
                                " Ouverte 2.0 (Etalab). Rien sur les personnes : ni journal des imports, ni comptes."))
    # Built on click (deferred) and once per data version, not on every run of the page.
    st.download_button(_(language.lang(), "Télécharger les données ouvertes (zip)"), lambda: open_data(version),
                       "qmi-donnees-ouvertes.zip", "application/zip", key="opendata", icon=":material/download:")
