"""Community of Experimenters' meetings and territorial diagnostics: row-level reads and published figures."""

from __future__ import annotations

import pandas as pd

from qmi_metrics.metrics.filters import Filters
from qmi_metrics.store import db

DIAGNOSTIC_KINDS = ("marche sensible", "balade urbaine", "entretiens", "atelier carte sur table")
# What the report publishes about the diagnostics (their participants are not given row by row).
DIAGNOSTIC_FIGURES = ("rapport_diagnostics_nombre", "rapport_diagnostics_personnes", "rapport_marche_sensible_moyenne",
                      "rapport_entretiens_moyenne", "rapport_ateliers_moyenne")


def events(con, view: Filters = Filters()) -> pd.DataFrame:
    """The meetings of the view, oldest first (undated last), with their commune and source."""
    return db.fetch_df(con, """
        SELECT e.event_id, e.edition_id, e.insee, c.name AS commune, e.date_start, e.date_precision,
               e.format_fr, e.format_en, e.participants, e.source_id, s.title AS source,
               e.source_section, e.source_quote, e.basis, e.basis_rule
        FROM f_community_events($edition, $commune) e
        LEFT JOIN communes c ON c.insee = e.insee
        LEFT JOIN sources s ON s.source_id = e.source_id
        ORDER BY e.date_start NULLS LAST, e.event_id
    """, view.params())


def diagnostics(con, view: Filters = Filters()) -> pd.DataFrame:
    """The diagnostics of the view (walks, interviews, workshops), by commune then date."""
    return db.fetch_df(con, """
        SELECT d.diagnostic_id, d.edition_id, d.insee, c.name AS commune, d.kind, d.held_on, d.date_precision,
               d.participants, d.source_id, s.title AS source, d.source_section, d.source_quote, d.basis, d.basis_rule
        FROM f_diagnostics($edition, $commune) d
        LEFT JOIN communes c ON c.insee = d.insee
        LEFT JOIN sources s ON s.source_id = d.source_id
        ORDER BY c.name NULLS LAST, list_position($kinds, d.kind), d.held_on NULLS LAST, d.diagnostic_id
    """, {**view.params(), "kinds": list(DIAGNOSTIC_KINDS)})


def diagnostics_by_commune(con, view: Filters = Filters()) -> pd.DataFrame:
    """Per commune and format: how many were held, how many have a known attendance, and its sum."""
    return db.fetch_df(con, """
        SELECT d.insee, c.name AS commune, d.kind, count(*) AS held,
               count(d.participants) AS with_participants, sum(d.participants) AS participants
        FROM f_diagnostics($edition, $commune) d
        LEFT JOIN communes c ON c.insee = d.insee
        GROUP BY d.insee, c.name, d.kind
        ORDER BY c.name NULLS LAST, list_position($kinds, d.kind)
    """, {**view.params(), "kinds": list(DIAGNOSTIC_KINDS)})


def published_figures(con, figure_ids: tuple[str, ...], edition: int | None = None) -> pd.DataFrame:
    """Published figures by id, in the order asked, for the edition (all editions when None)."""
    return db.fetch_df(con, """
        SELECT f.figure_id, f.edition_id, f.value, f.unit, f.qualifier, f.label_fr, f.label_en,
               f.document, f.section, f.quote, f.note
        FROM published_figures f
        WHERE list_contains($ids, f.figure_id) AND ($edition IS NULL OR f.edition_id = $edition)
        ORDER BY list_position($ids, f.figure_id)
    """, {"ids": list(figure_ids), "edition": edition})
