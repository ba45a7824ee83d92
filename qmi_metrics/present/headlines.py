"""Which KPIs each page, report and slide shows as cards, declared once (ids of the KPI registry).

Pages, reports, the event deck and the PPTX read these tuples; tests read them too instead of parsing a page."""

# Vue d'ensemble's cards; the key figures of a commune's or an edition's report.
OVERVIEW = ("communes_count", "candidatures_count", "projects_selected_count", "selection_rate",
            "deployment_rate", "mean_deployment_months", "community_participants_total", "indicators_count")
# Éditions: one row per edition, these KPIs side by side.
EDITIONS_COMPARED = ("communes_count", "commune_applications_count", "candidatures_count", "projects_selected_count",
                     "selection_rate", "projects_deployed_count", "deployment_rate", "mean_deployment_months",
                     "international_share", "digital_share", "community_events_count", "community_participants_total",
                     "evaluation_sheets_count", "replicability_index_mean")
DEPLOYMENT = ("deployment_rate", "mean_deployment_months", "projects_selected_count", "evaluation_sheets_count")
COMMUNITY = ("community_events_count", "community_participants_total", "community_participants_min",
             "community_participants_max")
EVALUATION_LIBRARY = ("indicators_count",)
EVALUATION_MEASURES = ("measurements_count", "measured_projects_share")
EVALUATION_PROGRESS = ("progress_mean", "progress_on_track_share", "protocol_target_share")
EVALUATION_SURVEY = ("financing_brake_score",)
THEMES_DIGITAL = ("digital_share",)
# The map's choropleth: what the communes can be coloured by (geo.LAUREATE_EDITIONS, then KPI ids).
MAP_MEASURES = ("laureate_editions", "projects_selected_count", "projects_deployed_count", "deployment_rate")

# The event deck's (and PPTX's) slides of big numbers: three or four a slide, legible from the back of a room.
SLIDE_PROGRAMME = ("communes_count", "candidatures_count", "projects_selected_count")
SLIDE_DEPLOYMENT = ("deployment_rate", "mean_deployment_months", "evaluation_sheets_count", "indicators_count")
SLIDE_COMMUNITY = ("community_events_count", "community_participants_total", "diagnostics_people_total")

# Where an official finds each KPI's card, in reading order (a finding links to the first page showing it).
PAGE_CARDS = {
    "vue_ensemble": OVERVIEW,
    "deploiement": DEPLOYMENT,
    "thematiques": THEMES_DIGITAL + ("theme_share",),
    "evaluation": EVALUATION_LIBRARY + EVALUATION_MEASURES + EVALUATION_PROGRESS + EVALUATION_SURVEY,
    "communaute": COMMUNITY,
    "editions": EDITIONS_COMPARED,
}
