"""Projets: the list of the view's projects (search, sort, exports) and one project's detail view,
opened from the list, the selectbox or the address (`?projet=<project_id>`)."""

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard.ui import caches, database, language, sidebar, widgets
from dashboard.ui.language import fmt, fmt_date, status_label
from qmi_metrics.metrics.filters import Filters
from qmi_metrics.outputs import escape, reports
from qmi_metrics.present import figures, narratives, protocol, vocabulary
from qmi_metrics.present.i18n import N_p, _, _n, _p
from qmi_metrics.reads import projects, queries

# What a site is (the sites table's `kind`), in a catalogue context of its own: « quartier » is "district" here,
# "quartier" on the map.
SITE_KIND = "nature d'un lieu"
SITE_KINDS = {"experimentation_site": N_p("nature d'un lieu", "site d'expérimentation"),
              "quartier": N_p("nature d'un lieu", "quartier"), "landmark": N_p("nature d'un lieu", "repère"),
              "commune_centroid": N_p("nature d'un lieu", "centre de la commune")}



# --- data (cached per data version and view) -----------------------------------------------------

@st.cache_data(max_entries=256, max_size=caches.CACHE_BYTES, show_spinner=False)
def project_list(version: str, filters: Filters, statuses: tuple[str, ...]) -> pd.DataFrame:
    dates = projects.deployment_dates(database.connection(), filters)
    return projects.with_deployment_dates(caches.projects(version, filters, statuses), dates)


@st.cache_data(max_entries=64, show_spinner=False)
def project_exists(version: str, project_id: str) -> bool:
    return projects.exists(database.connection(), project_id)


@st.cache_data(max_entries=128, max_size=caches.CACHE_BYTES, show_spinner=False)
def project_detail(version: str, project_id: str) -> dict:
    con = database.connection()
    return {
        "project": queries.project(con, project_id),
        "events": queries.project_events(con, project_id),
        "deployment": projects.deployment_dates(con, Filters(), project_id),
        "aliases": projects.aliases(con, project_id),
        "sites": projects.sites(con, project_id),
        "indicators": projects.indicators(con, project_id),
        "values": projects.indicator_values(con, project_id),
        "progress": projects.progress(con, project_id).to_dict("records"),
        "replicability": projects.replicability(con, project_id),
    }


# --- small helpers -----------------------------------------------------------------------------------

def not_known() -> str:
    return vocabulary.not_known(language.lang())


def or_not_known(value) -> str:
    """The value as text, « non renseigné » when NULL."""
    return str(value) if vocabulary.known(value) else not_known()


def localised(row, column: str):
    """The English label when reading in English and one exists, else the French one."""
    if language.lang() == "en" and row.get(f"{column}_en") is not None:
        return row.get(f"{column}_en")
    return row.get(f"{column}_fr")


def md(text) -> str:
    """Data shown as typed inside Markdown (escape.markdown), « non renseigné » when NULL."""
    return escape.markdown(or_not_known(text), lines=True)


def colon() -> str:
    """French puts a space before a colon, English does not."""
    return _(language.lang(), " : ")


def detail_link(project_id: str) -> str:
    """A link to this page keeping the current filters and opening the project's detail view."""
    params = {key: st.query_params.get_all(key) for key in st.query_params if key != "projet"}
    params["projet"] = [project_id]
    return "?" + urlencode(params, doseq=True)


# --- project list --------------------------------------------------------------------------------------

def row_bases(frame: pd.DataFrame) -> list[tuple]:
    """(basis, rule) of what each listed project's line rests on: its row, its status, its delay."""
    return [pair for row in frame.itertuples() for pair in
            ((row.basis, row.basis_rule), (row.status_basis, row.status_rule), (row.delay_basis, row.delay_rule))]


def display_table(frame: pd.DataFrame) -> pd.DataFrame:
    en = language.lang() == "en"
    columns = {
        _(language.lang(), "projet"): frame["name"],
        _(language.lang(), "fiche"): [detail_link(pid) for pid in frame["project_id"]],
        _(language.lang(), "porteur"): frame["operator"].map(or_not_known),
        "commune": frame["commune"].map(or_not_known),
        _(language.lang(), "famille"): frame["family_en" if en else "family_fr"].map(or_not_known),
        "type": frame["type_en" if en else "type_fr"].map(or_not_known),
        _(language.lang(), "défi"): frame["theme_en" if en else "theme_fr"].map(or_not_known),
        _(language.lang(), "statut"): frame["current_status"].map(status_label),
        _(language.lang(), "déploiement"): [fmt_date(day, precision) for day, precision
                                          in zip(frame["deployment_date"], frame["deployment_precision"])],
        _(language.lang(), "délai (mois)"): frame["deployment_months"].round(1),
        _(language.lang(), "base"): widgets.basis_column(vocabulary.weakest_basis(*bases) for bases in zip(
            frame["basis"], frame["status_basis"], frame["delay_basis"])),
        _(language.lang(), "identifiant"): frame["project_id"],
    }
    return pd.DataFrame(columns)


@st.cache_resource(max_entries=32, show_spinner=False)
def list_table(version: str, filters: Filters, statuses: tuple[str, ...], lang: str, address: str) -> pd.DataFrame:
    """The whole view's list as shown (labels, dates, links that keep `address`'s filters), built once per server:
    about a thousand rows at scale M, on every run otherwise. Shared by every session: nothing may change it."""
    return display_table(project_list(version, filters, statuses))


def filters_address() -> str:
    """The address's query string but the open project: what the list's links keep."""
    return urlencode(sorted((key, value) for key in st.query_params if key != "projet"
                            for value in st.query_params.get_all(key)))


def render_list(frame: pd.DataFrame, full_table: pd.DataFrame) -> None:
    st.header(_(language.lang(), "Liste des projets"))
    if frame.empty:
        st.info(_(language.lang(), "Aucun projet dans cette vue (édition, communes, défis, statuts choisis)."))
        return
    text = st.text_input(_(language.lang(), "Rechercher (nom ou autre graphie, porteur, description)"),
                         key="project_search", placeholder=_(language.lang(), "ex. : vélo, photovoltaïque"))
    shown = projects.search(frame, text)
    measured = int(shown["deployment_months"].notna().sum())
    st.caption(_n(language.lang(),
        "{n} projet sur {len_frame} dans la vue ; "
        "délai de déploiement connu pour {measured}. Cliquez sur un en-tête pour trier.",
        "{n} projets sur {len_frame} dans la vue ; "
        "délai de déploiement connu pour {measured}. Cliquez sur un en-tête pour trier.",
        len(shown), len_frame=len(frame), measured=measured))
    if shown.empty:
        st.write(_(language.lang(), "Aucun projet ne correspond à cette recherche."))
        return
    table = full_table if len(shown) == len(frame) else full_table.loc[shown.index]
    config = {
        _(language.lang(), "projet"): st.column_config.TextColumn(pinned=True),
        _(language.lang(), "délai (mois)"): st.column_config.NumberColumn(
            format="%.0f", help=_(language.lang(), "Mois entre le début de l'accompagnement et le déploiement (dates au mois près).")),
        _(language.lang(), "fiche"): st.column_config.LinkColumn(
            display_text=_(language.lang(), "ouvrir la fiche"),
            help=_(language.lang(), "Ouvre la fiche du projet (nouvel onglet).")),
        _(language.lang(), "déploiement"): st.column_config.TextColumn(
            help=_(language.lang(), "Date du déploiement à la précision de sa source (jour, mois, saison).")),
        **widgets.basis_config(),
    }
    widgets.table(table, "qmi_projets", key="projects-table", column_config=config, placeholder=not_known())
    widgets.basis_note(row_bases(shown), _(language.lang(), "Base : la plus faible de la ligne, de son statut et de son"
                                                             " délai."))


# --- project selection -----------------------------------------------------------------------------

def _remember_choice() -> None:
    """Keep the chosen project in the address, so the view can be shared."""
    chosen = st.session_state.get("projet_choice")
    if chosen:
        st.query_params["projet"] = chosen
    elif "projet" in st.query_params:
        del st.query_params["projet"]


def choose_project(frame: pd.DataFrame, version: str) -> str | None:
    """The project of the detail view: the address's `?projet=` wins, then the selectbox."""
    st.header(_(language.lang(), "Fiche projet"))
    requested = st.query_params.get("projet") or None
    options = list(frame["project_id"])
    names = dict(zip(frame["project_id"], frame["name"] + " — " + frame["commune"].map(or_not_known)))
    outside_view = False
    if requested:
        if project_exists(version, requested):
            if requested not in options:
                detail = project_detail(version, requested)["project"]
                options.append(requested)
                names[requested] = f"{detail['name']} — {or_not_known(detail['commune'])}"
                outside_view = True
            if st.session_state.get("projet_choice") != requested:
                st.session_state["projet_choice"] = requested
        else:
            st.warning(_(language.lang(), "Projet inconnu : « {literal_requested} ». Choisissez un projet dans la liste.",
                                          literal_requested=widgets.literal(requested)), icon="⚠️")
    if st.session_state.get("projet_choice") not in options:
        st.session_state.pop("projet_choice", None)
    if not options:
        st.write(_(language.lang(), "Aucun projet à afficher dans cette vue."))
        return None
    chosen = st.selectbox(_(language.lang(), "Projet"), options, index=None, key="projet_choice",
                          format_func=lambda pid: names.get(pid, pid), on_change=_remember_choice,
                          placeholder=_(language.lang(), "Choisir un projet"))
    if chosen:
        st.query_params["projet"] = chosen  # the address always names the project shown
        if outside_view and chosen == requested:
            st.caption(_(language.lang(), "Ce projet est hors des filtres actuels (il est affiché car l'adresse le demande)."))
    return chosen


# --- project detail -----------------------------------------------------------------------------------

def deployment_text(project: dict, deployment: pd.DataFrame) -> str:
    if deployment.empty:
        if project["is_deployed"]:
            return _(language.lang(), "déployé, date non renseignée")
        return not_known()
    row = deployment.iloc[0]
    text = fmt_date(row["deployment_date"], row["deployment_precision"])
    months = project.get("deployment_months")
    if months is not None and not pd.isna(months):
        started = fmt_date(project["started_on"], "month")
        text += _(language.lang(), " ({fmt_months} après le début de l'accompagnement, {started})",
                                   fmt_months=fmt(months, 'months'), started=started)
        text += vocabulary.basis_mark(project.get("delay_basis"), language.lang(), _(language.lang(), "délai"))
    return text


def render_facts(project: dict, deployment: pd.DataFrame) -> None:
    kind = localised(project, "type")
    if kind is not None and project.get("subtype_fr"):
        kind = f"{kind} ({project['subtype_fr']})"
    theme = localised(project, "theme")
    if theme is not None and project.get("theme_source_title"):  # the défi comes from another document
        theme += _(language.lang(), " (source : {title})", title=project["theme_source_title"])
    facts = [
        (_(language.lang(), "Porteur"), project.get("operator")),
        ("Commune", project.get("commune")),
        (_(language.lang(), "Édition"), project.get("edition_id")),
        (_(language.lang(), "Famille"), localised(project, "family")),
        ("Type", kind),
        (_(language.lang(), "Défi"), theme),
        (_(language.lang(), "Statut actuel"), status_label(project.get("current_status"))
         + vocabulary.basis_mark(project.get("status_basis"), language.lang())),
        (_(language.lang(), "Déploiement"), deployment_text(project, deployment)),
        (_(language.lang(), "Base de la fiche"), vocabulary.basis_label(project.get("basis"), language.lang())),
    ]
    left, right = st.columns([2, 3])
    with left:
        st.markdown("\n".join(f"- **{label}**{colon()}{md(value)}" for label, value in facts))
        widgets.basis_note([(project.get("basis"), project.get("basis_rule")),
                            (project.get("status_basis"), project.get("status_rule")),
                            (project.get("delay_basis"), project.get("delay_rule"))])
    with right:
        st.markdown(f"**{_(language.lang(), 'Description')}**")
        st.markdown(md(project.get("description_fr")))
        source = " — ".join(str(part) for part in (project.get("source_title"), project.get("source_section")) if part)
        st.caption(f"Source{colon()}{md(source or None)}")


def event_when(row) -> str:
    return figures.event_when(row, language.lang())


def render_timeline(version: str, project: dict, events: pd.DataFrame) -> None:
    st.subheader(_(language.lang(), "Historique des statuts"))
    if events.empty:
        st.write(_(language.lang(), "Aucun événement renseigné."))
        return
    dated = events[events["date_start"].notna()]
    undated = events[events["date_start"].isna()]
    if not dated.empty:
        widgets.chart(timeline_chart(version, project["project_id"], language.lang()),
                      f"qmi_projet_{project['project_id']}_historique", key="timeline")
    if not undated.empty:
        names = ", ".join(status_label(kind) for kind in undated["kind"])
        n = len(undated)
        st.write(_n(language.lang(), "{n} événement non daté : {names}.", "{n} événements non datés : {names}.", n,
                                     names=names))
    with st.expander(_(language.lang(), "Sources des événements")):
        for row in events.itertuples():
            where = " — ".join(md(part) for part in (row.source_title, row.source_section) if part)
            quote = f"{colon()}« {md(row.source_quote)} »" if row.source_quote else ""
            rule = "".join(f" — {md(note)}" for note in vocabulary.basis_notes([(row.basis, row.basis_rule)],
                                                                               language.lang()))
            st.markdown(f"- **{md(status_label(row.kind))}** ({event_when(row)}) — {where}{quote}{rule}")


@widgets.cached_chart
def timeline_chart(version: str, project_id: str, lang: str) -> widgets.Chart:
    detail = project_detail(version, project_id)
    events = detail["events"]
    dated = events[events["date_start"].notna()]
    labels = [vocabulary.status_label(kind, lang) for kind in dated["kind"]]
    whens = [figures.event_when(row, lang) for row in dated.itertuples()]
    table = pd.DataFrame({_(lang, "statut"): labels, "date": whens, _(lang, "précision"): dated["date_precision"].values,
                          "source": dated["source_title"].values})
    summary = f"{detail['project']['name']}{colon()}" + _(lang, " ; ").join(
        f"{label} ({when})" for label, when in zip(labels, whens)) + "."
    # the same figure as the evaluation sheet
    return widgets.Chart(figures.project_timeline(events, lang), table, summary)


def render_sites(sites: pd.DataFrame) -> None:
    st.subheader(_(language.lang(), "Sites"))
    if sites.empty:
        st.write(_(language.lang(), "Aucun site d'expérimentation renseigné."))
        return
    table = pd.DataFrame({
        "site": sites["name"],
        _(language.lang(), "nature"): [_p(language.lang(), SITE_KIND, SITE_KINDS[k]) if k in SITE_KINDS else k for k in sites["kind"]],
        "commune": sites["commune"].map(or_not_known),
        _(language.lang(), "position"): [vocabulary.site_precision(p, language.lang()) for p in sites["precision"]],
        _(language.lang(), "base"): widgets.basis_column(
            vocabulary.weakest_basis(*bases) for bases in zip(sites["basis"], sites["site_basis"])),
        "source": sites["source_title"].map(or_not_known),
        _(language.lang(), "citation"): sites["source_quote"].map(or_not_known),
    })
    widgets.table(table, "qmi_projet_sites", key="sites", column_config=widgets.basis_config())
    widgets.basis_note([pair for row in sites.itertuples()
                        for pair in ((row.basis, row.basis_rule), (row.site_basis, row.site_rule))])


def render_indicators(version: str, project: dict, indicators: pd.DataFrame) -> None:
    st.subheader(_(language.lang(), "Indicateurs suivis"))
    if indicators.empty:
        st.write(_(language.lang(), "Aucun indicateur rattaché à ce projet."))
        return
    en = language.lang() == "en"
    last = [_(language.lang(), "aucune mesure publiée") if n == 0
            else f"{fmt(v, decimals=None)} ({fmt_date(d, 'day')})"
            for n, v, d in zip(indicators["values_count"], indicators["last_value"], indicators["last_measured_on"])]
    table = pd.DataFrame({
        _(language.lang(), "indicateur"): indicators["label_en" if en else "label_fr"],
        _(language.lang(), "domaine"): [vocabulary.domain_label(d, language.lang()) for d in indicators["domain"]],
        _(language.lang(), "unité"): indicators["unit"],
        _(language.lang(), "sens souhaité"): [vocabulary.words(vocabulary.DIRECTIONS, d, language.lang()) for d in indicators["direction"]],
        _(language.lang(), "mesures"): indicators["values_count"],
        _(language.lang(), "dernière valeur"): last,
        _(language.lang(), "base"): widgets.basis_column(
            vocabulary.weakest_basis(*bases) for bases in zip(indicators["basis"], indicators["link_basis"])),
        _(language.lang(), "citation"): indicators["source_quote"].map(or_not_known),
    })
    widgets.table(table, f"qmi_projet_{project['project_id']}_indicateurs", key="indicators",
                  column_config=widgets.basis_config())
    widgets.basis_note([pair for row in indicators.itertuples()
                        for pair in ((row.basis, row.basis_rule), (row.link_basis, row.link_rule))],
                       vocabulary.indicator_model_note(language.lang()))
    series = indicators[indicators["values_count"] >= 2]
    if series.empty:
        st.write(_(language.lang(), "Aucune série de mesures publiée pour ce projet : pas de courbe."))
        return
    shown = indicator_chart(version, project["project_id"], language.lang())
    if (shown.data[_(language.lang(), "mesures")] > 1).any():
        st.caption(_(language.lang(), "Un point par mois : la moyenne des mesures du mois (le tableau donne aussi le minimum,"
                                      " le maximum et le nombre de mesures)."))
    widgets.chart(shown, f"qmi_projet_{project['project_id']}_mesures", key="indicator-values")


@widgets.cached_chart
def indicator_chart(version: str, project_id: str, lang: str) -> widgets.Chart:
    detail = project_detail(version, project_id)
    indicators, values = detail["indicators"], detail["values"]
    series = indicators[indicators["values_count"] >= 2]
    values = values[values["indicator_id"].isin(series["indicator_id"])]
    data = pd.DataFrame({
        _(lang, "indicateur"): values["label_en" if lang == "en" else "label_fr"],
        _(lang, "unité"): values["unit"],
        "date": values["measured_on"],
        _(lang, "valeur (moyenne du mois)"): values["value"],
        _(lang, "minimum"): values["min"],
        _(lang, "maximum"): values["max"],
        _(lang, "mesures"): values["measurements"],
        "source": values["source_id"],
    })
    # the same figure as the evaluation sheet
    return widgets.Chart(figures.indicator_series(series, values, lang), data,
                         figures.indicator_summary(series, values, lang))


def render_progress(project: dict, rows: list[dict]) -> None:
    """Per followed indicator: where it started, where it should go, how far it has come (a bar), and how."""
    lang = language.lang()
    st.subheader(_(lang, "Protocole et avancement"))
    if not rows:
        st.write(_(lang, "Aucun indicateur rattaché à ce projet : pas de protocole."))
        return
    st.caption(f"{protocol.formula_note(lang)} {protocol.on_track_note(lang)}")
    for row in rows:
        label = f"**{md(protocol.label_of(row, lang))}** · {_(lang, 'protocole')} {protocol.status_text(row.get('status'), lang)}"
        if vocabulary.known(row.get("author")):
            label += f" ({md(row['author'])})"
        st.markdown(label)
        text = f"{protocol.progress_text(row, lang)} — {protocol.bar_text(row, lang)}"
        if vocabulary.known(row.get("progress")):
            st.progress(float(row["progress"]), text=escape.markdown(text))
        else:  # no bar: an empty one would read « 0 % »
            st.caption(escape.markdown(text))
        if notes := protocol.notes(row, lang):
            st.caption(escape.markdown(" · ".join(notes)))
    headers, body = protocol.table(rows, lang)
    widgets.table(pd.DataFrame(body, columns=headers).assign(**{_(lang, "base"): widgets.basis_column(
        row.get("basis") for row in rows)}), f"qmi_projet_{project['project_id']}_protocole", key="protocol",
        column_config=widgets.basis_config())
    widgets.basis_note([(row.get("basis"), row.get("basis_rule")) for row in rows])


def render_replicability(version: str, project: dict, scores: pd.DataFrame) -> None:
    st.subheader(_(language.lang(), "Répliquabilité"))
    scored = scores[scores["score"].notna()]
    if scored.empty:
        st.write(_(language.lang(), "Répliquabilité : non noté (aucune note publiée pour ce projet)."))
        return
    en = language.lang() == "en"
    values = list(scored["score"])
    missing = scores[scores["score"].isna()]
    mean = sum(values) / len(values)
    summary = _(language.lang(), "Note moyenne {fmt_mean}/5 ({len_scored} critères notés sur {len_scores}",
                                 fmt_mean=fmt(mean, decimals=1), len_scored=len(scored), len_scores=len(scores))
    if len(scored) == len(scores):
        summary += _(language.lang(), ", indice {fmt_mean_5}", fmt_mean_5=fmt(mean / 5, 'index'))
    summary += ")"
    best, worst = scored.loc[scored["score"].idxmax()], scored.loc[scored["score"].idxmin()]
    summary += _(language.lang(),
        " ; critère le plus fort : {label_fr} ({fmt_score}/5), "
        "le plus faible : {label_fr_2} ({fmt_score_2}/5).",
        label_fr=best['label_fr'], fmt_score=fmt(best['score']), label_fr_2=worst['label_fr'],
        fmt_score_2=fmt(worst['score']), label_en=best['label_en'], label_en_2=worst['label_en'])
    if not missing.empty:
        summary += " " + _(language.lang(), "Non notés : ") + ", ".join(
            missing["label_en" if en else "label_fr"]) + "."
    data = pd.DataFrame({_(language.lang(), "critère"): scores["label_en" if en else "label_fr"],
                         _(language.lang(), "note (0 à 5)"): scores["score"],
                         _(language.lang(), "noté le"): scores["scored_on"], "source": scores["source_id"]})
    if len(scored) < 3:  # a radar needs at least three axes to mean anything
        st.write(md(summary))
        widgets.table(data, f"qmi_projet_{project['project_id']}_repliquabilite", key="replicability")
        return
    widgets.chart(radar_chart(version, project["project_id"], summary, language.lang()),
                  f"qmi_projet_{project['project_id']}_repliquabilite", key="replicability")


@widgets.cached_chart
def radar_chart(version: str, project_id: str, summary: str, lang: str) -> widgets.Chart:
    scores = project_detail(version, project_id)["replicability"]
    data = pd.DataFrame({_(lang, "critère"): scores["label_en" if lang == "en" else "label_fr"],
                         _(lang, "note (0 à 5)"): scores["score"],
                         _(lang, "noté le"): scores["scored_on"], "source": scores["source_id"]})
    return widgets.Chart(figures.replicability_radar(scores[scores["score"].notna()], lang), data, summary)


def render_lessons(project: dict) -> None:
    st.subheader(_(language.lang(), "Enseignements"))
    if project.get("lessons_fr"):
        st.markdown(md(project["lessons_fr"]))
    else:
        st.write(_(language.lang(), "Enseignements : non renseigné."))


def render_aliases(aliases: pd.DataFrame) -> None:
    """« Autres graphies : Pélican Cycles (le communiqué…) ; … »: the names the documents also write it with."""
    if not aliases.empty:
        st.caption(f"{_(language.lang(), 'Autres graphies')}{colon()}"
                   f"{md(narratives.other_spellings(aliases, language.lang()))}")


def render_sheet_downloads(project_id: str) -> None:
    """The project's evaluation sheet (« fiche évaluation »), made on click: PDF or self-contained HTML."""
    con, lang = database.connection(), language.lang()  # captured now: the file is made outside the page's run
    left, right = st.columns(2)
    left.download_button(_(language.lang(), "Fiche évaluation (PDF)"),
                         lambda: reports.project_sheet_pdf(con, project_id, lang), f"fiche_evaluation_{project_id}.pdf",
                         "application/pdf", key="sheet-pdf", icon=":material/picture_as_pdf:", width="stretch")
    right.download_button(_(language.lang(), "Fiche évaluation (HTML)"),
                          lambda: reports.project_sheet_html(con, project_id, lang),
                          f"fiche_evaluation_{project_id}.html", "text/html", key="sheet-html",
                          icon=":material/article:", width="stretch")


def render_detail(version: str, project_id: str) -> None:
    detail = project_detail(version, project_id)
    project = detail["project"]
    st.subheader(md(project["name"]))
    render_aliases(detail["aliases"])
    render_sheet_downloads(project_id)
    render_facts(project, detail["deployment"])
    render_timeline(version, project, detail["events"])
    render_sites(detail["sites"])
    render_indicators(version, project, detail["indicators"])
    render_progress(project, detail["progress"])
    render_replicability(version, project, detail["replicability"])
    render_lessons(project)


# --- page -------------------------------------------------------------------------------------------

view = sidebar.page(_(language.lang(), "Projets"),
                    _(language.lang(), "Les projets d'expérimentation de la vue : cherchez, triez, exportez, puis "
                                       "ouvrez la fiche d'un projet."))
version = caches.data_version()
frame = project_list(version, view.filters, view.statuses)
render_list(frame, list_table(version, view.filters, view.statuses, language.lang(), filters_address()))
left, right = st.columns(2)
with left:
    widgets.importable_export("projects", view.filters,
                              _(language.lang(), "Projets au format du modèle d'import (Excel)"))
with right:
    widgets.importable_export("project_events", view.filters,
                              _(language.lang(), "Historique des statuts au format du modèle d'import (Excel)"))
chosen = choose_project(frame, version)
if chosen:
    render_detail(version, chosen)
