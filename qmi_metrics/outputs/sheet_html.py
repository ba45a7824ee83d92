"""A report of `reports` (its document model) as one self-contained HTML document: the file a browser shows,
and the page `sheet_pdf` prints. One template and one stylesheet for both: the print rules (A4, margins,
running header and footer, page numbers, breaks) are the stylesheet's @page and @media print parts."""

from __future__ import annotations

import re

from qmi_metrics.outputs import escape, render
from qmi_metrics.outputs.document import Bullets, Chart, Facts, Heading, Report, Table, Text, shorten, unavailable
from qmi_metrics.present import figures
from qmi_metrics.present.i18n import _

RUNNING_TITLE_MAX = 110  # characters of « title — subtitle » in the page header: one line
LONG_WORD = re.compile(r"\S{40}")  # no real word is this long
WHOLE_MAX = 40  # characters: a name of a `whole` column up to this length is kept on one line
# Characters a table row's cells share: each cell holds its share (a 5-column table 600), the rest cut with « … »,
# so that a row is at most about a third of an A4 page and always fits on one.
ROW_CHARACTERS_MAX = 3000

# Print sizes are in points; DejaVu Sans (fonts-dejavu-core) has every character a report uses: French
# letters, « », the narrow no-break space of « 70 % », ≈, the status symbols.
CSS = """
body { font-family: "DejaVu Sans", sans-serif; color: #1a1a1a; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; overflow-wrap: break-word; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; } h2 { color: #0B4F7C; font-size: 1.2rem; margin-top: 1.6rem; }
.subtitle { color: #444; margin-top: 0; } .note { color: #444; font-size: 0.9rem; }
.warning, .synthetic { color: #A00000; font-weight: bold; }
.synthetic { border: 2px solid #A00000; padding: 0.4rem 0.8rem; text-align: center; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin: 0.4rem 0 0.8rem; }
th, td { border-bottom: 1px solid #bbb; padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; }
th { background: #E4ECF3; } table.facts th { background: #F2F5F8; width: 30%; }
.whole { white-space: nowrap; }
/* A cell with a word of 40 characters or more: the column's width does not come from that word (measuring
   every place it could break is quadratic in WeasyPrint's table layout); the word wraps where it must. */
.long > div { width: 10em; min-width: 100%; }
figure { margin: 0.6rem 0 1rem; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #333; } footer { margin-top: 2rem; color: #555; font-size: 0.8rem; }
li { font-size: 0.9rem; margin-bottom: 0.2rem; }
.running-head, .running-foot { display: none; }

@page {
  size: A4; margin: 20mm 16mm 16mm;
  @top-left { content: element(head); vertical-align: bottom; padding-bottom: 3mm; }
  @top-right { content: element(synthetic); vertical-align: bottom; padding-bottom: 2.5mm; }
  @bottom-left { content: element(foot); vertical-align: top; padding-top: 3mm; }
  @bottom-right { content: "page " counter(page) " / " counter(pages); vertical-align: top; padding-top: 3mm;
                  font-family: "DejaVu Sans", sans-serif; font-size: 7pt; color: #555; }
}
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 8.5pt; line-height: 1.3; }
  h1 { font-size: 16pt; margin: 0 0 2pt; } .subtitle { font-size: 9.5pt; margin: 0 0 6pt; }
  h2 { font-size: 11pt; margin: 8pt 0 3pt; break-after: avoid; }
  p { margin: 0 0 3pt; } .note, figcaption, li { font-size: 7.8pt; }
  .running-head, .running-foot { display: block; font-size: 7pt; color: #555; margin: 0; }
  .running-head { position: running(head); } .running-foot { position: running(foot); }
  .synthetic { position: running(synthetic); border: 0; padding: 0; margin: 0; font-size: 10pt; text-align: right;
               white-space: nowrap; }
  footer { display: none; }
  table { font-size: 7.3pt; line-height: 1.25; margin: 2pt 0 5pt; }
  th, td { border-bottom: 0.25pt solid #bbb; padding: 1.5pt 3pt; }
  thead { display: table-header-group; }  /* repeated on every page the table runs over */
  tr, figure, li { break-inside: avoid; }  /* a row moves to the next page whole: no cell is taller than a third */
  figure { margin: 3pt 0 6pt; }
  figure img { width: auto; max-width: 100%; max-height: 150mm; border: 0; }  /* the text width, a tall chart less */
  ul { margin: 0 0 4pt; padding-left: 10pt; } li { margin-bottom: 1.5pt; }
}
"""


def _chart_png(block: Chart, lang: str) -> bytes:
    """The chart as a PNG of block.width CSS pixels, in the print style (white, larger type)."""
    static = figures.print_style(block.plotly(), lang, width=block.width, height=block.height)
    return render.figure_png(static, width=block.width, height=int(static["layout"]["height"]))


def _cell(tag: str, text, columns: int, whole: bool = False, attributes: str = "") -> str:
    text = str(text)
    if len(text) > ROW_CHARACTERS_MAX // columns:
        text = shorten(text, ROW_CHARACTERS_MAX // columns)
    if LONG_WORD.search(text):
        return f'<{tag}{attributes} class="long"><div>{escape.html(text)}</div></{tag}>'
    if whole and len(text) <= WHOLE_MAX:
        attributes += ' class="whole"'
    return f"<{tag}{attributes}>{escape.html(text)}</{tag}>"


def _table(block: Table) -> str:
    columns = len(block.header)
    head = "".join(_cell("th", h, columns, attributes=' scope="col"') for h in block.header)
    body = "".join("<tr>" + "".join(_cell("td", c, columns, i in block.whole) for i, c in enumerate(row)) + "</tr>"
                   for row in block.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _block(block, lang: str, charts: str = "png") -> str:
    e = escape.html  # text nodes and attribute values
    if isinstance(block, Heading):
        return f"<h{block.level}>{e(block.text)}</h{block.level}>"  # level 2 sits under the title's h1
    if isinstance(block, Text):
        return f'<p class="{block.style}">{e(block.text)}</p>'
    if isinstance(block, Facts):
        rows = "".join("<tr>" + _cell("th", k, 2, attributes=' scope="row"') + _cell("td", v, 2) + "</tr>"
                       for k, v in block.rows)
        return f'<table class="facts">{rows}</table>'
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + "</ul>"
    if charts == "svg":  # the static site: the chart's SVG where it has one, else its sentence
        drawn = block.svg() if block.svg else ""
        return (f"<figure>{drawn}<figcaption>{e(block.summary)}</figcaption></figure>" if drawn
                else f"<p>{e(block.summary)}</p>")
    try:
        uri = render.data_uri(_chart_png(block, lang))
    except render.RenderUnavailable as error:
        return f'<p class="note">{e(unavailable(error, lang))}</p><p>{e(block.summary)}</p>'
    return (f'<figure><img src="{uri}" alt="{e(block.summary)}" width="{block.width}">'
            f"<figcaption>{e(block.summary)}</figcaption></figure>")


def to_html(report: Report) -> str:
    """One self-contained HTML file (inline CSS, charts as inline PNG): what the browser shows and the PDF prints."""
    e = escape.html
    lang = report.lang
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(report.title)}</title>",
             f'<meta name="author" content="{e(_(lang, "QMI — tableau de bord"))}">',
             f'<meta name="description" content="{e(report.subtitle)}">',
             f"<style>{CSS}</style>\n</head>\n<body>",
             # The page header and footer of print, at the top so that every page has them (hidden on screen).
             f'<p class="running-head">{e(shorten(f"{report.title} — {report.subtitle}", RUNNING_TITLE_MAX))}</p>',
             f'<p class="running-foot">{e(report.footer)}</p>']
    if report.synthetic:  # on screen a banner; in print the page header's right side, on every page
        parts.append(f'<p class="synthetic">{e(_(lang, "DONNÉES SYNTHÉTIQUES"))}</p>')
    parts += [f"<h1>{e(report.title)}</h1>", f'<p class="subtitle">{e(report.subtitle)}</p>']
    parts.append(blocks_html(report))
    parts.append(f"<footer>{e(report.footer)}</footer>\n</body>\n</html>\n")
    return "\n".join(parts)


def blocks_html(report: Report, charts: str = "png") -> str:
    """The report's blocks as HTML; charts "png" (images drawn by kaleido) or "svg" (inline, the static site)."""
    return "\n".join(_block(block, report.lang, charts) for block in report.blocks)
