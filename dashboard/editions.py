import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape
from qmi_metrics.present import cards, headlines
from qmi_metrics.present.i18n import _
from qmi_metrics.reads import queries

COMPARED = headlines.EDITIONS_COMPARED


@st.cache_data(max_entries=16, show_spinner=False)
def communes_by_edition(version, filters):
    return queries.laureate_communes(database.connection(), filters)


@st.cache_resource(max_entries=64, show_spinner=False)
def laureate_lists(version: str, communes: tuple[str, ...], lang: str) -> dict[int, str]:
    """Each edition's laureate communes as one Markdown list (one element a column, not one a commune)."""
    frame = communes_by_edition(version, Filters(communes=communes))
    lists = {}
    for edition_id, mine in frame.groupby("edition_id", sort=False):
        lines = []
        for row in mine.itertuples():
            phase = f" — {_(lang, 'phase')} {int(row.phase)}" if pd.notna(row.phase) else ""
            quartier = row.quartier_name if isinstance(row.quartier_name, str) else _(lang, "quartier non renseigné")
            lines.append(f"- **{escape.markdown(row.name)}** ({escape.markdown(row.departement)}){phase} · "
                         f"{escape.markdown(quartier)}")
        lists[edition_id] = "\n".join(lines)
    return lists


view = sidebar.page(_(language.lang(), "Éditions"),
                    _(language.lang(), "Les éditions côte à côte sur les mêmes indicateurs ; « non renseigné » quand "
                                       "une édition ne le dit pas encore."))
version = caches.data_version()
editions = caches.choices(version)["editions"]
if view.filters.edition is not None:
    st.caption(_(language.lang(), "Le filtre d'édition est ignoré ici : toutes les éditions sont comparées."))

results = {e["edition_id"]: caches.kpi_results(version, Filters(edition=e["edition_id"], communes=view.filters.communes,
                                                                   themes=view.filters.themes))
           for e in editions}
label = "label_en" if language.lang() == "en" else "label_fr"
rows = []
for kpi_id in COMPARED:
    first = next(iter(results.values()))[kpi_id]
    row = {_(language.lang(), "indicateur"): first.kpi.label(language.lang())}
    for edition in editions:
        row[edition[label]] = cards.cell_text(results[edition["edition_id"]][kpi_id], language.lang())
    rows.append(row)
comparison = pd.DataFrame(rows)
status_row = {_(language.lang(), "indicateur"): _(language.lang(), "Statut")}
status_row.update({e[label]: e["status"] for e in editions})
comparison = pd.concat([pd.DataFrame([status_row]), comparison], ignore_index=True)
widgets.table(comparison, "qmi_editions", key="editions")

st.header(_(language.lang(), "Communes lauréates par édition"))
lists = laureate_lists(version, view.filters.communes, language.lang())
for column, edition in zip(st.columns(len(editions)), editions):
    with column:
        st.subheader(escape.markdown(edition[label]))
        st.markdown(lists.get(edition["edition_id"]) or _(language.lang(), "Aucune commune dans cette vue."))
