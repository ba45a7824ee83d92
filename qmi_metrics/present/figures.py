"""The dashboard's plotly figures, built once for every output: the pages (interactive), the reports
(PDF / HTML images) and the slides (PPTX images). Plain plotly, no Streamlit: each function takes the
rows it draws and the reader's language, and returns a go.Figure whose layout height is its natural
height (pages pass it to `widgets.chart`, reports to `render.figure_png`).

Accessibility rules of the dashboard hold here too: Okabe–Ito colours, and every series told apart by
a text label, a symbol or a hatch, never by colour alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from qmi_metrics.metrics import kpis
from qmi_metrics.outputs import escape
from qmi_metrics.present import formatting, narratives, vocabulary
from qmi_metrics.present.i18n import _, _n
from qmi_metrics.present.vocabulary import STATUS_SYMBOLS, funnel_label, known, not_known  # noqa: F401  (also read as figures.STATUS_SYMBOLS)

# Okabe–Ito: distinguishable by colour-blind readers.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
STAGE_ORDER = ("selected", "started", "agreement_signed", "deployed", "tested", "evaluated", "continued", "stopped")
# Marker symbols of the status timeline: the stage is told by its shape as well as by its row.
STAGE_MARKERS = {"selected": "circle-open", "started": "circle", "agreement_signed": "square", "deployed": "diamond",
                 "tested": "diamond-open", "evaluated": "star", "continued": "triangle-right", "stopped": "x"}
PUBLISHED_COLOUR, COMPUTED_COLOUR = PALETTE[1], PALETTE[0]
PATTERNS = ("", "/", "\\", "x", "-", "|", "+", ".")  # hatches that tell series apart without colour
DOMAIN_RANK = {slug: rank for rank, slug in enumerate(vocabulary.DOMAINS)}  # a domain keeps its colour


# --- language and formats -------------------------------------------------------------------------

def data_text(value) -> str:
    """A data value as plotly text (escape.plotly); empty when unknown."""
    return escape.plotly(value) if known(value) else ""


def fmt(value, unit: str = "count", lang: str = "fr", decimals: int | None = None) -> str:
    return formatting.value(value, unit, lang, decimals)


def pct(value, lang: str = "fr") -> str:
    return fmt(None if not known(value) else float(value), "ratio", lang)


def date_text(day, precision, lang: str = "fr") -> str:
    return formatting.date(day, precision, lang) if known(day) else not_known(lang)


def separators(lang: str) -> str:
    """Plotly's decimal and thousands separators: '70,5' and '1 234' in French."""
    return ", " if lang == "fr" else ".,"


def month_ticks(first, last, every_months: int = 6, lang: str = "fr") -> tuple[list, list[str]]:
    """Tick positions and French/English labels for a date axis (plotly's own labels are English)."""
    first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
    year, month = first.year, 1 if first.month <= 6 else 7
    values, labels = [], []
    while dt.date(year, month, 1) <= last:
        day = dt.date(year, month, 1)
        values.append(day)
        labels.append(formatting.date(day, "month", lang, short=True))
        month += every_months
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return values, labels


def wrap(text: str, width: int = 22) -> str:
    """Break a long label into lines (plotly does not wrap) so it is not cut at the chart's edge; the
    label's own text is escaped for plotly (only the line breaks are markup)."""
    lines, line = [], ""
    for word in str(text).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join(escape.plotly(part) for part in [*lines, line])


@functools.lru_cache(maxsize=1)
def _white_template() -> dict:
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()


def print_style(fig: go.Figure, lang: str = "fr", width: int = 900, height: int | None = None,
                font_size: int = 14) -> dict:
    """The figure as a plain dict laid out for a static image: white ground, the palette, French separators,
    print-size text. (A dict, not a go.Figure: re-validating every property would cost more than the image.)"""
    spec = fig.to_dict()
    layout = spec.setdefault("layout", {})
    layout.update(template=_white_template(), width=width, height=height or layout.get("height") or 420,
                  colorway=PALETTE, separators=separators(lang), paper_bgcolor="white")
    layout["font"] = {**(layout.get("font") or {}), "size": font_size, "family": "DejaVu Sans, Arial, sans-serif"}
    if (layout.get("margin") or {}).get("t") is None:
        layout["margin"] = {"l": 10, "r": 20, "t": 40, "b": 10, **(layout.get("margin") or {})}
    return spec


# --- programme funnel -----------------------------------------------------------------------------

def funnel(stages: list[dict], lang: str = "fr") -> go.Figure:
    """The programme funnel (`queries.funnel`, stages with a value): each bar says its value and whether it is
    computed, published or partial."""
    names = [escape.plotly(funnel_label(s["stage"], lang)) for s in stages]
    texts = [f"{fmt(s['value'], lang=lang)} ({vocabulary.words(vocabulary.BASES, s['basis'], lang)})" for s in stages]
    figure = go.Figure(go.Funnel(y=names, x=[s["value"] for s in stages], text=texts, textinfo="text",
                                 marker={"color": [PALETTE[i % len(PALETTE)] for i in range(len(stages))]}))
    figure.update_layout(height=380, separators=separators(lang))
    return figure


def funnel_summary(stages: list[dict], lang: str = "fr") -> str:
    summary = _(lang, "De ") + ", ".join(
        f"{fmt(s['value'], lang=lang)} {funnel_label(s['stage'], lang).lower()}" for s in stages) + "."
    if any(s["basis"] == "partial" for s in stages):
        summary += " " + _(lang, "« partiel » : les données ligne à ligne ne couvrent qu'une partie des projets.")
    return summary


# --- calendar -----------------------------------------------------------------------------------------

def milestones(dated: pd.DataFrame, lang: str = "fr") -> go.Figure:
    """The editions' dated milestones (`queries.milestones` rows with a date) on a time axis, one row per
    edition: periods as grey segments, observed dates as dots, dates announced ahead as open diamonds."""
    label_column = "label_en" if lang == "en" else "label_fr"
    when = [date_text(row.date_start, row.date_precision, lang) for row in dated.itertuples()]
    edition = _(lang, "Édition")
    figure = go.Figure()
    # Periods as one trace of segments (None breaks the line): one add_shape per period costs
    # plotly ~10 ms of validation each, a second at ten editions.
    periods = dated[dated["date_end"].notna()]
    edition_names = [f"{edition} {e}" for e in periods["edition_id"]]
    figure.add_trace(go.Scatter(
        x=[d for start, end in zip(periods["date_start"], periods["date_end"]) for d in (start, end, None)],
        y=[n for name in edition_names for n in (name, name, None)],
        mode="lines", line={"width": 6, "color": "#999999"}, hoverinfo="skip", showlegend=False))
    for planned, symbol, name in ((False, "circle", _(lang, "constaté")),
                                  (True, "diamond-open", _(lang, "prévu (calendrier annoncé)"))):
        part = dated[dated["planned"] == planned]
        figure.add_trace(go.Scatter(
            x=part["date_start"], y=[f"{edition} {e}" for e in part["edition_id"]],
            mode="markers", name=name, marker={"symbol": symbol, "size": 13},
            customdata=[[escape.plotly(label), when[i]]
                        for i, label in zip(part.index.map(dated.index.get_loc), part[label_column])],
            hovertemplate="%{customdata[1]} — %{customdata[0]}<extra></extra>"))
    ticks, tick_labels = month_ticks(dated["date_start"].min(), dated[["date_start", "date_end"]].max().max(), 6, lang)
    figure.update_xaxes(tickvals=ticks, ticktext=tick_labels)
    figure.update_layout(height=300, separators=separators(lang))
    return figure


# --- défis: published vs computed shares ----------------------------------------------------------

def theme_shares(shares: pd.DataFrame, published: pd.DataFrame, scope: str = "projects", lang: str = "fr") -> go.Figure:
    """Share of each défi as published (hatched bars) and as computed from the rows (solid bars).

    `shares` is `programme.theme_shares`, `published` the rows of `programme.published_theme_shares` of the scope."""
    keys = narratives.SHARE_SCOPES[scope]
    names = [escape.plotly(row["label_en"] if lang == "en" else row["label_fr"]) for _ignored, row in shares.iterrows()]
    by_theme = published.drop_duplicates("theme_slug").set_index("theme_slug")["value"] if not published.empty else {}
    published_values = [by_theme.get(slug) for slug in shares["theme_slug"]]
    figure = go.Figure()
    # The published bars are hatched: the two series differ by more than their colour.
    if any(v is not None for v in published_values):
        figure.add_bar(y=names, x=published_values, orientation="h", name=_(lang, "publié"),
                       marker={"color": PUBLISHED_COLOUR, "pattern": {"shape": "/"}},
                       text=[f"{_(lang, 'publié')} {pct(v, lang)}" if v is not None else ""
                             for v in published_values],
                       textposition="outside", cliponaxis=False)
    computed = shares[keys["share"]]
    known_rows = shares[keys["known"]].iloc[0] if not shares.empty else 0
    if known_rows:
        figure.add_bar(y=names, x=computed, orientation="h", name=_(lang, "calculé"),
                       marker={"color": COMPUTED_COLOUR},
                       text=[f"{_(lang, 'calculé')} {pct(v, lang)} ({n}/{known_rows})"
                             for v, n in zip(computed, shares[keys["count"]])],
                       textposition="outside", cliponaxis=False)
    top = max([v for v in published_values if v is not None] + [float(v) for v in computed.fillna(0)] + [0.1])
    figure.update_layout(barmode="group", bargap=0.25, height=480, separators=separators(lang))
    # Room on the right for the text labels, but no tick beyond 100 %.
    step = 0.05 if top <= 0.3 else 0.1 if top <= 0.6 else 0.25
    ticks = [i * step for i in range(int(min(top, 1.0) / step + 1e-9) + 1)]
    figure.update_xaxes(tickvals=ticks, ticktext=[pct(t, lang) for t in ticks], range=[0, top * 1.6], title=None)
    figure.update_yaxes(autorange="reversed", title=None)
    return figure


# --- families, solution types, low-tech / digital ------------------------------------------------------

def count_with_share(count: int, share, lang: str = "fr") -> str:
    """'12 (40 %)'; the count alone when the share is not known."""
    return f"{count} ({pct(share, lang)})" if known(share) else str(count)


def breakdown(frame: pd.DataFrame, colour: str, lang: str = "fr") -> go.Figure:
    """Projects per family or per solution type (`programme.family_counts`, `programme.type_counts`), each bar
    saying its count and share."""
    names = [escape.plotly(row["label_en"] if lang == "en" else row["label_fr"]) for _ignored, row in frame.iterrows()]
    figure = go.Figure(go.Bar(
        y=names, x=frame["projects"], orientation="h", marker={"color": colour},
        text=[count_with_share(n, share, lang) for n, share in zip(frame["projects"], frame["share"])],
        textposition="outside", cliponaxis=False))
    figure.update_xaxes(range=[0, max(frame["projects"].max(), 1) * 1.35], title=_(lang, "projets"))
    figure.update_yaxes(autorange="reversed", title=None)
    figure.update_layout(height=220 + 20 * len(frame), separators=separators(lang))
    return figure


def digital_parts(split: dict, lang: str = "fr") -> list[tuple[str, int, str, float | None]]:
    """(label, projects, colour, share among the known types) of `programme.digital_split`; an unknown type
    has no share, and a part without projects is left out."""
    typed = split["digital"] + split["not_digital"]
    parts = [(_(lang, "Numérique"), split["digital"], COMPUTED_COLOUR,
              split["digital"] / typed if typed else None),
             (_(lang, "Autres types"), split["not_digital"], PALETTE[6],
              split["not_digital"] / typed if typed else None),
             (_(lang, "Non renseigné"), split["unknown"], "#BBBBBB", None)]
    return [part for part in parts if part[1]]


def digital_split(split: dict, lang: str = "fr") -> go.Figure:
    """The selected projects of digital type, of another type and of unknown type, as a labelled donut."""
    parts = digital_parts(split, lang)
    figure = go.Figure(go.Pie(
        labels=[p[0] for p in parts], values=[p[1] for p in parts], hole=0.5, sort=False,
        text=[count_with_share(p[1], p[3], lang) for p in parts], textinfo="label+text", textposition="inside",
        insidetextorientation="horizontal",
        marker={"colors": [p[2] for p in parts], "line": {"color": "white", "width": 2}}))
    figure.update_layout(showlegend=False, height=380, separators=separators(lang))
    return figure


# --- deployment per commune or per défi --------------------------------------------------------------

# A group's deployment rate is drawn only when it rests on at least this many known outcomes: below it,
# one project more or less moves the rate by 20 points or more, and a full bar resting on 1 or 2 projects
# reads as "100 % deployed". The bar is left out and its label says why; the table keeps the figures.
MIN_RATE_BASE = 5


def rate_is_drawn(row) -> bool:
    return not pd.isna(row.rate) and row.outcome_known >= MIN_RATE_BASE


def _rate_text(row, lang: str) -> str:
    """n/N first, then the rate, or why there is none: '3/8 · trop peu pour un taux'."""
    base = f"{row.outcome_known}/{row.projects}"
    if pd.isna(row.rate):
        return f"{base} · {not_known(lang)}"
    if not rate_is_drawn(row):
        return f"{base} · {_(lang, 'trop peu pour un taux')}"
    return f"{base} · {fmt(row.rate, 'ratio', lang)}"


def _months_text(row, lang: str) -> str:
    if not row.deployed:
        return _(lang, "aucun déployé")
    value = fmt(round(row.mean_months, 1), "months", lang) if not pd.isna(row.mean_months) else not_known(lang)
    value += vocabulary.basis_mark(getattr(row, "delay_basis", None), lang)  # « 17,1 mois · inféré »
    return f"{row.measured}/{row.deployed} · {value}"


def deployment(groups: pd.DataFrame, labels: list[str], lang: str = "fr") -> go.Figure:
    """Deployment rate and mean time to deployment per group (`projects.deployment_by`), side by side;
    each bar says first how many rows it rests on (n/N); a rate on fewer than MIN_RATE_BASE known
    outcomes is not drawn."""
    figure = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04, subplot_titles=[
        _(lang, "Taux de déploiement (n/N : issue connue / projets)"),
        _(lang, "Délai moyen (n/N : datés / déployés)")])
    rows = list(groups.itertuples())
    labels = [escape.plotly(label) for label in labels]  # commune and défi names on the axis
    figure.add_trace(go.Bar(y=labels, x=[r.rate if rate_is_drawn(r) else 0 for r in rows], orientation="h",
                            text=[_rate_text(r, lang) for r in rows], textposition="outside", cliponaxis=False,
                            marker={"color": PALETTE[0]}, hoverinfo="text", showlegend=False), row=1, col=1)
    figure.add_trace(go.Bar(y=labels, x=[0 if pd.isna(r.mean_months) else r.mean_months for r in rows],
                            orientation="h", text=[_months_text(r, lang) for r in rows], textposition="outside",
                            cliponaxis=False, marker={"color": PALETTE[1], "pattern": {"shape": "/"}},
                            hoverinfo="text", showlegend=False), row=1, col=2)
    longest = groups["mean_months"].max()
    figure.update_xaxes(range=[0, 1.7], tickvals=[0, 0.5, 1], tickformat=".0%", row=1, col=1)
    figure.update_xaxes(range=[0, 1.8 * (longest if not pd.isna(longest) and longest > 0 else 12)],
                        ticksuffix=_(lang, " mois"), row=1, col=2)
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure.update_annotations(font_size=13)
    figure.update_layout(height=160 + 48 * len(groups), separators=separators(lang))
    return figure


def deployment_summary(groups: pd.DataFrame, labels: list[str], lang: str = "fr") -> str:
    rated = [(label, row) for label, row in zip(labels, groups.itertuples()) if not pd.isna(row.rate)]
    parts = [f"{label} {fmt(row.rate, 'ratio', lang)} ({row.deployed}/{row.outcome_known})" if rate_is_drawn(row)
             else _(lang, "{label} {deployed}/{known} (trop peu pour un taux)", label=label,
                    deployed=row.deployed, known=row.outcome_known)
             for label, row in rated]
    sentence = _(lang, "Taux de déploiement parmi les issues connues : ")
    sentence += _(lang, " ; ").join(parts) if parts else not_known(lang)
    timed = [(label, row) for label, row in zip(labels, groups.itertuples()) if not pd.isna(row.mean_months)]
    if timed:
        sentence += _(lang, " ; délai moyen : ") + _(lang, " ; ").join(
            f"{label} {fmt(round(row.mean_months, 1), 'months', lang)}"
            f"{vocabulary.basis_mark(getattr(row, 'delay_basis', None), lang)} ({row.measured})" for label, row in timed)
    return sentence + "."


def group_labels(groups: pd.DataFrame, by: str, lang: str = "fr") -> list[str]:
    """The groups' names; a project without commune or défi keeps its own, named, row."""
    unknown = _(lang, "Commune non renseignée") if by == "commune" \
        else _(lang, "Défi non renseigné")
    column = "label_en" if lang == "en" else "label_fr"
    return [unknown if key is None or pd.isna(key) else label for key, label in zip(groups["key"], groups[column])]


def delay_labels(bins: pd.DataFrame, lang: str = "fr") -> list[str]:
    return [_(lang, "{start}–{end} mois", start=start, end=end) for start, end in zip(bins["start"], bins["end"])]


def delay_histogram(bins: pd.DataFrame, lang: str = "fr") -> go.Figure:
    """Projects per class of time to deployment (`projects.delay_bins`)."""
    figure = go.Figure(go.Bar(x=delay_labels(bins, lang), y=bins["projects"], text=bins["projects"],
                              textposition="outside", cliponaxis=False, marker={"color": PALETTE[0]}, showlegend=False))
    figure.update_xaxes(title=_(lang, "délai entre le début de l'accompagnement et le déploiement"))
    figure.update_yaxes(title=_(lang, "projets"))
    figure.update_layout(height=380, separators=separators(lang))
    return figure


# --- evaluation: who follows what, measurements, replicability, questionnaires ----------------------------

def domain_labels(lang: str = "fr") -> dict[str, str]:
    """The indicator domains' labels (`vocabulary.DOMAINS`) in the reader's language."""
    return {slug: vocabulary.domain_label(slug, lang) for slug in vocabulary.DOMAINS}


def indicator_matrix(matrix: pd.DataFrame, lang: str = "fr") -> go.Figure:
    """Who follows which indicator (`programme.indicator_matrix`: a row per project, ✓ where followed), the
    indicators on the rows (long labels read horizontally), the projects on the columns."""
    followed = matrix.T == "✓"
    figure = go.Figure(go.Heatmap(
        z=followed.astype(int).values, x=[escape.plotly(p) for p in matrix.index], y=[wrap(c, 55) for c in matrix.columns],
        text=matrix.T.values, texttemplate="%{text}", textfont={"size": 14, "color": "black"},
        colorscale=[[0, "#FFFFFF"], [1, PALETTE[5]]], showscale=False, xgap=2, ygap=2,
        customdata=[[_(lang, "suivi") if v else _(lang, "non suivi") for v in row]
                    for row in followed.values],
        hovertemplate="%{x} — %{y}: %{customdata}<extra></extra>"))
    figure.update_xaxes(tickangle=-45, side="top")
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(plot_bgcolor="#EEEEEE", height=180 + 26 * matrix.shape[1], separators=separators(lang))
    return figure


def measurements_by_month(frame: pd.DataFrame, lang: str = "fr") -> go.Figure:
    """Measurements recorded per month (`programme.measurements_by_month`), stacked by indicator domain."""
    labels = domain_labels(lang)
    figure = go.Figure()
    for slug in [slug for slug in vocabulary.DOMAINS if slug in set(frame["domain"])]:
        rows = frame[frame["domain"] == slug]
        figure.add_trace(go.Bar(x=rows["month"], y=rows["measurements"], name=labels[slug],
                                marker={"color": PALETTE[DOMAIN_RANK[slug] % len(PALETTE)]}))
    ticks, tick_labels = month_ticks(frame["month"].min(), frame["month"].max(), 6, lang)
    figure.update_xaxes(tickvals=ticks, ticktext=tick_labels)
    figure.update_yaxes(title=_(lang, "mesures"), exponentformat="none", separatethousands=True)
    figure.update_layout(barmode="stack", height=420, separators=separators(lang))
    return figure


def replicability_ranking(frame: pd.DataFrame, lang: str = "fr") -> go.Figure:
    """Scored projects by replicability index (`programme.replicability_ranking`), each bar saying how many
    criteria its index rests on."""
    names = [escape.plotly(f"{p} ({c})" if c else p) for p, c in zip(frame["project"], frame["commune"].fillna(""))]
    figure = go.Figure(go.Bar(
        y=names, x=frame["index_ratio"], orientation="h", marker={"color": PALETTE[2]},
        text=[f"{fmt(v, 'index', lang)} · {s}/{t} {_(lang, 'critères')}"
              for v, s, t in zip(frame["index_ratio"], frame["criteria_scored"], frame["criteria_total"])],
        textposition="outside", cliponaxis=False))
    figure.update_xaxes(range=[0, 1.3], tickvals=[0, 0.25, 0.5, 0.75, 1],
                        title=_(lang, "indice (0 à 1)"))
    figure.update_yaxes(autorange="reversed", title=None)
    figure.update_layout(height=140 + 26 * len(frame), separators=separators(lang))
    return figure


def survey_label(row, several_editions: bool, lang: str = "fr") -> str:
    """A questionnaire result's label (`programme.survey_results`), with its edition when several are shown."""
    text = row["label_en"] if lang == "en" else row["label_fr"]
    return f"{_(lang, 'Éd.')} {row['edition_id']} · {text}" if several_editions else text


def survey_ratios(rows: pd.DataFrame, several_editions: bool, lang: str = "fr") -> go.Figure:
    """One group of respondents' answers in percent (`programme.survey_results` rows of unit ratio), in the
    rows' order."""
    names = [wrap(survey_label(row, several_editions, lang), 42) for _ignored, row in rows.iterrows()]
    figure = go.Figure(go.Bar(
        y=names, x=rows["value"], orientation="h", marker={"color": PALETTE[0]},
        text=[fmt(v, "ratio", lang) for v in rows["value"]], textposition="outside", cliponaxis=False))
    figure.update_xaxes(range=[0, 1.15], tickformat=".0%", title=None)
    figure.update_yaxes(autorange="reversed", title=None)
    figure.update_layout(height=120 + 60 * len(rows), separators=separators(lang))
    return figure


# --- Community of Experimenters ----------------------------------------------------------------------

def event_bar_labels(events: pd.DataFrame, lang: str = "fr") -> list[str]:
    """'novembre 2023<br>Sceaux', made unique when two meetings share a month and a commune."""
    labels, seen = [], {}
    for day, precision, commune in zip(events["date_start"], events["date_precision"], events["commune"]):
        label = f"{date_text(day, precision, lang)}<br>{escape.plotly(commune) if known(commune) else not_known(lang)}"
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def community_events(events: pd.DataFrame, lang: str = "fr") -> go.Figure | None:
    """Participants per meeting (`community.events`) over time; None when no meeting has a published attendance."""
    counted = events.dropna(subset=["participants"])
    if counted.empty:
        return None
    labels = event_bar_labels(counted, lang)
    values = counted["participants"].astype(int).tolist()
    figure = go.Figure(go.Bar(
        x=labels, y=values, text=[fmt(v, lang=lang) for v in values], textposition="outside",
        marker_color=PALETTE[0], customdata=[fmt(v, "people", lang) for v in values], cliponaxis=False,
        hovertemplate="%{x}<br>%{customdata}<extra></extra>"))
    figure.update_layout(title=_(lang, "Participants par rencontre"),
                         yaxis_title=_(lang, "participants"), xaxis_title=None,
                         yaxis_range=[0, max(values) * 1.2], xaxis_type="category", height=420,
                         separators=separators(lang))
    return figure


def diagnostics_participants(totals: pd.DataFrame, lang: str = "fr") -> go.Figure:
    """Participants in the territorial diagnostics per commune and format (rows: commune, kind, participants),
    as horizontal bars (commune names stay readable however many there are), one hatched series per format."""
    figure = go.Figure()
    for i, (kind, rows) in enumerate(totals.groupby("kind", sort=False)):
        figure.add_trace(go.Bar(
            y=rows["commune"].map(escape.plotly), x=rows["participants"], name=vocabulary.words(vocabulary.DIAGNOSTIC_LABELS, kind, lang),
            orientation="h", text=rows["participants"], textposition="outside", cliponaxis=False,
            marker={"color": PALETTE[i % len(PALETTE)], "pattern": {"shape": PATTERNS[i % len(PATTERNS)]}}))
    figure.update_xaxes(title="participants", range=[0, totals["participants"].max() * 1.15])
    figure.update_yaxes(title=None, autorange="reversed")
    figure.update_layout(barmode="group", legend_title_text=_(lang, "format"),
                         title=_(lang, "Participants aux diagnostics, par commune et format"),
                         height=max(420, 160 + 22 * len(totals)), separators=separators(lang))
    return figure


# --- one project: status timeline and indicator series ---------------------------------------------------

def event_when(row, lang: str = "fr") -> str:
    """When a status event happened, at its source's precision: 'juin 2023', 'été 2024', 'non daté'."""
    if not known(row.date_start):
        return _(lang, "non daté")
    end = row.date_end if known(row.date_end) else None
    if end is None or row.date_precision == "season":  # a season already names its months
        return formatting.date(row.date_start, row.date_precision, lang)
    if row.date_precision == "day":
        return formatting.date_range(row.date_start, end, "day", lang)
    return f"{formatting.date(row.date_start, row.date_precision, lang)} – {formatting.date(end, row.date_precision, lang)}"


def project_timeline(events: pd.DataFrame, lang: str = "fr") -> go.Figure | None:
    """A project's dated status events (`queries.project_events`) on a time axis, one row per status, each
    marker labelled with its date at its precision; a period (a season) drawn as a segment. None when no
    event is dated."""
    dated = events[events["date_start"].notna()]
    if dated.empty:
        return None
    colon = _(lang, " : ")
    labels = [vocabulary.status_label(kind, lang) for kind in dated["kind"]]
    whens = [event_when(row, lang) for row in dated.itertuples()]
    figure = go.Figure(go.Scatter(
        x=dated["date_start"], y=labels, mode="markers+text", text=whens, textposition="top center",
        marker={"size": 16, "color": PALETTE[0],
                "symbol": [STAGE_MARKERS.get(kind, "circle") for kind in dated["kind"]]},
        customdata=[[_(lang, "précision"), row.date_precision] for row in dated.itertuples()],
        hovertemplate="%{y} — %{text}<br>%{customdata[0]}" + colon + "%{customdata[1]}<extra></extra>",
        showlegend=False))
    for row in dated[dated["date_end"].notna()].itertuples():  # a period (a season) drawn as a segment
        label = vocabulary.status_label(row.kind, lang)
        figure.add_trace(go.Scatter(x=[row.date_start, row.date_end], y=[label, label], mode="lines",
                                    line={"width": 6, "color": PALETTE[5]}, hoverinfo="skip", showlegend=False))
    order = [vocabulary.status_label(kind, lang) for kind in STAGE_ORDER if kind in set(dated["kind"])]
    # Room around the markers so the date labels above them are never cut.
    figure.update_yaxes(categoryorder="array", categoryarray=order, title=None, range=[-0.6, len(order) - 0.2])
    ends = dated["date_end"].dropna()
    first = pd.Timestamp(dated["date_start"].min())
    last = max(pd.Timestamp(dated["date_start"].max()), pd.Timestamp(ends.max()) if not ends.empty else first)
    ticks, tick_labels = month_ticks(first, last, 3, lang)
    figure.update_xaxes(title=None, tickvals=ticks, ticktext=tick_labels,
                        range=[first - pd.DateOffset(months=2), last + pd.DateOffset(months=2)])
    figure.update_layout(height=120 + 70 * len(order), separators=separators(lang))
    return figure


def indicator_title(row, lang: str = "fr") -> str:
    """An indicator series' title, with its unit and the direction sought (plain text)."""
    return f"{row.label_en if lang == 'en' else row.label_fr} ({row.unit}, {vocabulary.words(vocabulary.DIRECTIONS, row.direction, lang)})"


def indicator_titles(series: pd.DataFrame, lang: str = "fr") -> list[str]:
    return [escape.plotly(indicator_title(row, lang)) for row in series.itertuples()]


def indicator_series(series: pd.DataFrame, values: pd.DataFrame, lang: str = "fr", row_height: int = 230) -> go.Figure:
    """One small multiple per indicator followed (`projects.indicators` rows with values), its measurements
    over time (`projects.indicator_values`); each series has its own marker symbol."""
    titles = indicator_titles(series, lang)
    figure = make_subplots(rows=len(series), cols=1, shared_xaxes=True, subplot_titles=titles,
                           vertical_spacing=70 / (row_height * len(series)))  # about 70 px: room for each title
    for i, row in enumerate(series.itertuples(), start=1):
        points = values[values["indicator_id"] == row.indicator_id]
        figure.add_trace(go.Scatter(x=points["measured_on"], y=points["value"], mode="lines+markers", name=titles[i - 1],
                                    line={"color": PALETTE[(i - 1) % len(PALETTE)]},
                                    marker={"symbol": i - 1}, showlegend=False), row=i, col=1)
    ticks, tick_labels = month_ticks(values["measured_on"].min(), values["measured_on"].max(), 3, lang)
    figure.update_xaxes(tickvals=ticks, ticktext=tick_labels)  # French month names (plotly's are English)
    figure.update_yaxes(exponentformat="none", separatethousands=True)  # « 30 000 », not « 30k »
    figure.update_layout(height=60 + row_height * len(series), separators=separators(lang))
    return figure


def indicator_summary(series: pd.DataFrame, values: pd.DataFrame, lang: str = "fr") -> str:
    sentences = []
    by_indicator = series_points(values)
    for row in series.itertuples():
        points = by_indicator[row.indicator_id]
        (first_on, first), (final_on, final) = points[0], points[-1]
        label = row.label_en if lang == "en" else row.label_fr
        sentences.append(_(lang,
            "{label} : de {fmt_value} ({date_measured_on}) "
            "à {fmt_value_2} ({date_measured_on_2})",
            label=label, fmt_value=fmt(first, lang=lang),
            date_measured_on=formatting.date(first_on, 'month', lang),
            fmt_value_2=fmt(final, lang=lang),
            date_measured_on_2=formatting.date(final_on, 'month', lang)))
    return _(lang, " ; ").join(sentences) + "."


def series_points(values: pd.DataFrame) -> dict[str, list[tuple]]:
    """Each indicator's (measured_on, value) points, in their order (`projects.indicator_values` rows)."""
    found: dict[str, list[tuple]] = {}
    for indicator, day, value in zip(values["indicator_id"].tolist(), values["measured_on"].tolist(),
                                     values["value"].tolist()):
        found.setdefault(indicator, []).append((day, value))
    return found


def replicability_radar(scored: pd.DataFrame, lang: str = "fr") -> go.Figure:
    """A project's scored replicability criteria (`projects.replicability` rows with a score; a radar needs at
    least three) on a 0–5 scale, each point labelled with its score."""
    labels = [wrap(label) for label in scored["label_en" if lang == "en" else "label_fr"]]
    values = list(scored["score"])
    text = [fmt(v, lang=lang) for v in values]
    figure = go.Figure(go.Scatterpolar(
        r=values + values[:1], theta=labels + labels[:1], fill="toself", mode="lines+markers+text",
        text=text + text[:1], textposition="top center", line={"color": PALETTE[2]},
        hovertemplate="%{theta}" + _(lang, " : ") + "%{r}/5<extra></extra>", showlegend=False))
    # A smaller disc leaves room for the wrapped criterion labels.
    figure.update_layout(polar={"radialaxis": {"range": [0, 5], "dtick": 1},
                                "domain": {"x": [0.15, 0.85], "y": [0.08, 0.88]}},
                         height=460, separators=separators(lang))
    return figure


# --- static map of the laureate communes ------------------------------------------------------------------

EDITION_MARKERS = ("circle", "diamond", "square", "triangle-up", "star", "hexagon")
MAP_LAT = 48.85  # the Métropole's latitude: one degree of longitude is cos(48.85°) of a degree of latitude


def _points(frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["lat", "lon"])
    return frame[frame["lat"].notna() & frame["lon"].notna()]


def _ranges(frames: list[pd.DataFrame], pad: float, min_span: float) -> tuple[list[float], list[float]]:
    """Longitude and latitude ranges around the points, at least min_span degrees of latitude."""
    lats = [float(v) for f in frames for v in f["lat"]]
    lons = [float(v) for f in frames for v in f["lon"]]
    if not lats:
        lats, lons = [48.72, 48.98], [2.15, 2.62]  # the Métropole
    lat_c, lon_c = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    lat_half = max((max(lats) - min(lats)) / 2 + pad, min_span / 2)
    lon_half = max((max(lons) - min(lons)) / 2 + pad / math.cos(math.radians(MAP_LAT)),
                   lat_half / math.cos(math.radians(MAP_LAT)))
    return [lon_c - lon_half, lon_c + lon_half], [lat_c - lat_half, lat_c + lat_half]


# --- the map's choropleth (the Carte page) ------------------------------------------------------------------

# Light to dark blue: a class is told by its shade (ordered in lightness, so in grey too) and by the value printed on
# each commune and in the legend, never by colour alone.
CHOROPLETH_SHADES = ("#D6E6F4", "#8DBCE0", "#3F88C5", "#0B4F8A")


def measure_label(measure: str, lang: str = "fr") -> str:
    """What the communes are coloured by: a KPI's label from the registry, or the laureate editions."""
    if measure == "laureate_editions":
        return _(lang, "Éditions lauréates (toutes éditions)")
    return kpis.BY_ID[measure].label(lang)


def value_classes(values, count: int = len(CHOROPLETH_SHADES)) -> list[tuple[float, float]]:
    """Up to `count` classes (low, high) of the known values, as even in size as their distinct values allow."""
    distinct = sorted({float(v) for v in values if known(v)})
    chunks = [distinct[i * len(distinct) // count:(i + 1) * len(distinct) // count] for i in range(count)]
    return [(chunk[0], chunk[-1]) for chunk in chunks if chunk]


def class_index(value, classes: list[tuple[float, float]]) -> int | None:
    if not known(value):
        return None
    return next(i for i, (_low, high) in enumerate(classes) if float(value) <= high)


def class_text(low: float, high: float, unit: str, lang: str = "fr") -> str:
    low_text, high_text = formatting.value(low, unit, lang), formatting.value(high, unit, lang)
    return low_text if low == high else f"{low_text} – {high_text}"


def measure_text(value, unit: str, basis: str, lang: str = "fr") -> str:
    """A commune's value as the map labels it: the number, and its basis when it is not computed from every row."""
    text = formatting.value(value if known(value) else None, unit, lang)
    return text if basis in ("computed", "unknown", "not computable") else f"{text} ({vocabulary.words(vocabulary.BASES, basis, lang)})"


def _contour_lines(contours: dict | None, laureates: set[str]) -> list[go.Scatter]:
    """Commune outlines as plain lines (no tiles); the laureates' outlines filled lightly."""
    if not contours:
        return []
    traces = []
    for laureate in (False, True):
        xs, ys = [], []
        for feature in contours.get("features", []):
            if (str(feature["properties"].get("code")) in laureates) != laureate:
                continue
            geometry = feature["geometry"]
            polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            for polygon in polygons:
                ring = polygon[0]
                xs += [p[0] for p in ring] + [None]
                ys += [p[1] for p in ring] + [None]
        if xs:
            traces.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                     line={"color": "#777777" if laureate else "#BBBBBB", "width": 1.2 if laureate else 0.6},
                                     fill="toself" if laureate else None,
                                     fillcolor="rgba(0,114,178,0.10)" if laureate else None))
    return traces


def _projects_text(count: int, lang: str) -> str:
    return _n(lang, "{n} projet", "{n} projets", count)


def laureate_map(communes: pd.DataFrame, quartiers: pd.DataFrame | None = None, sites: pd.DataFrame | None = None,
                 metropole: pd.DataFrame | None = None, lang: str = "fr", contours: dict | None = None,
                 focus: str = "metropole", height: int = 560) -> go.Figure:
    """A static map drawn with plotly alone (no tiles, works offline): the Métropole's commune centroids as a
    grey ground, the laureate communes labelled with their projects, their quartiers and the experimentation
    sites. Frames are those of `geo.laureate_communes`, `geo.quartiers`, `geo.experimentation_sites` and
    `geo.metropole_centroids`; `contours` the optional GeoJSON of `geo.read_cache`.

    focus='metropole' frames the whole Métropole, 'laureates' the laureate communes and their places."""
    figure = go.Figure()
    laureates = _points(communes)
    for trace in _contour_lines(contours, set(communes["insee"]) if not communes.empty else set()):
        figure.add_trace(trace)
    ground = _points(metropole)
    if not ground.empty:
        figure.add_trace(go.Scatter(
            x=ground["lon"], y=ground["lat"], mode="markers", name=_(lang, "autres communes de la Métropole"),
            marker={"size": 5, "color": "#C8C8C8"}, hovertext=ground["commune"].map(data_text), hoverinfo="text"))
    quartier_points = _points(quartiers)
    if not quartier_points.empty:
        quartier_points = quartier_points[quartier_points["site_kind"] != "commune_centroid"]
    if not quartier_points.empty:
        # A commune whose centre is not known is named at its quartier instead (never at a guessed place).
        placed = set(laureates["insee"])
        projects_of = dict(zip(communes["insee"], communes["projects"])) if not communes.empty else {}
        texts = ["" if row.insee in placed else f"<b>{data_text(row.commune)}</b><br>{data_text(row.quartier_name)}"
                 + (f" · {_projects_text(projects_of.get(row.insee, 0), lang)}" if row.insee in projects_of else "")
                 for row in quartier_points.itertuples()]
        figure.add_trace(go.Scatter(
            x=quartier_points["lon"], y=quartier_points["lat"], mode="markers+text", name=_(lang, "quartier (repère)"),
            marker={"size": 11, "symbol": "square-open", "color": PALETTE[3], "line": {"width": 2}},
            text=texts, textposition="top center", textfont={"color": "#1a1a1a"}, cliponaxis=False,
            hovertext=quartier_points["quartier_name"].map(data_text), hoverinfo="text"))
    site_points = _points(sites)
    if not site_points.empty:
        site_points = site_points.drop_duplicates("site_id")
        figure.add_trace(go.Scatter(
            x=site_points["lon"], y=site_points["lat"], mode="markers", name=_(lang, "lieu d'expérimentation"),
            marker={"size": 9, "symbol": "x", "color": PALETTE[7]}, hovertext=site_points["site_name"].map(data_text),
            hoverinfo="text"))
    for i, (editions, group) in enumerate(laureates.groupby("editions", sort=True)):
        name = (_(lang, "commune lauréate, édition ") + str(editions)
                if "," not in str(editions) else _(lang, "commune lauréate, éditions ")
                + str(editions))
        texts = [f"<b>{escape.plotly(row.commune)}</b><br>{_projects_text(row.projects, lang)}" for row in group.itertuples()]
        figure.add_trace(go.Scatter(
            x=group["lon"], y=group["lat"], mode="markers+text", name=name, text=texts,
            textposition=["top center" if j % 2 == 0 else "bottom center" for j in range(len(group))],
            textfont={"color": "#1a1a1a"},
            marker={"size": 18, "symbol": EDITION_MARKERS[i % len(EDITION_MARKERS)], "color": PALETTE[i % 3],
                    "line": {"color": "white", "width": 1.5}}, cliponaxis=False))
    if focus == "laureates" and not laureates.empty:
        x_range, y_range = _ranges([laureates, quartier_points, site_points], pad=0.02, min_span=0.08)
    else:
        shown = [ground] if not ground.empty else [laureates, quartier_points, site_points]
        x_range, y_range = _ranges(shown, pad=0.01, min_span=0.2)
    figure.update_xaxes(range=x_range, visible=False, showgrid=False)
    # One degree of latitude drawn 1/cos(lat) times as long as one of longitude: the map is not stretched.
    figure.update_yaxes(range=y_range, visible=False, showgrid=False, scaleanchor="x",
                        scaleratio=1 / math.cos(math.radians(MAP_LAT)))
    figure.update_layout(height=height, plot_bgcolor="white", paper_bgcolor="white", separators=separators(lang),
                         legend={"orientation": "h", "y": -0.02, "x": 0, "yanchor": "top"},
                         margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return figure


def map_summary(communes: pd.DataFrame, sites: pd.DataFrame | None, lang: str = "fr") -> str:
    if communes.empty:
        return _(lang, "Aucune commune lauréate dans cette vue.")
    listed = ", ".join(f"{row.commune} ({row.projects})" for row in communes.itertuples())
    located = 0 if sites is None or sites.empty else sites["project_id"].nunique()
    unplaced = [row.commune for row in communes.itertuples() if not (known(row.lat) and known(row.lon))]
    sentence = _(lang,
                  "{len_communes} commune(s) lauréate(s), avec leurs projets entre parenthèses : {listed}. "
                  "Lieux d'expérimentation connus pour {located} projet(s). Fond : centroïdes des communes de la "
                  "Métropole, sans fond de carte.",
                  len_communes=len(communes), listed=listed, located=located)
    if unplaced:
        sentence += " " + _(lang, "Centre de la commune non renseigné pour {unplaced} (nommée à son "
                                  "quartier quand il est connu).",
                                  unplaced=', '.join(unplaced))
    return sentence
