"""qmi_metrics.outputs.escape: each destination reads data as typed, and ordinary French names are unchanged."""

from __future__ import annotations

import html
import io
import re

import pypdf
import pytest

from qmi_metrics.outputs import document, escape, sheet_pdf
from qmi_metrics.present import figures

NAMES = ["Boucl'Énergie", "Paris&Co", "« Cœur de ville » — l'été 2024", 'Le "Lab" (Sceaux)', "Saint-Ouen-sur-Seine",
         "Vélo & co. : 70 % à 12,5 €", "1er prix #3 !"]
MARKUP = ('**gras** [lien](http://127.0.0.2:9/x) ![i](http://127.0.0.2:9/i.png) <b>b</b> '
          '<a href="http://127.0.0.2:9/a">a</a> :red[rouge] :material/home: $x^2$ &amp; _i_ `c` ~~s~~ | t |')


def commonmark_unescape(text: str) -> str:
    """What CommonMark shows for text made only of characters and backslash escapes."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def test_markdown_breaks_what_streamlit_rewrites_after_parsing():
    # GFM autolinks and Streamlit's shortcodes match the parsed text, where backslashes are gone.
    shown = commonmark_unescape(escape.markdown("HTTP://a.fr https://b.fr www.c.fr d@e.fr :smile: :material/home:"))
    for pattern in ("://", "www.", "d@", ":smile", ":material"):
        assert pattern not in shown.lower()
    assert shown.replace(escape.WORD_JOINER, "") == "HTTP://a.fr https://b.fr www.c.fr d@e.fr :smile: :material/home:"


@pytest.mark.parametrize("value", NAMES + [MARKUP])
def test_markdown_shows_the_text_as_typed(value):
    escaped = escape.markdown(value)
    assert commonmark_unescape(escaped).replace(escape.WORD_JOINER, "") == value  # the joiner is invisible
    # No markup character is left bare: no emphasis, link, image, tag, directive, maths or entity.
    assert not re.search(r"(?<!\\)[*_\[\]()<>!:$&`~|]", escaped), escaped


def test_markdown_keeps_letters_and_cuts_long_values():
    assert escape.markdown("Vitry-sur-Seine") == "Vitry\\-sur\\-Seine"
    assert escape.markdown("Élan à Sceaux") == "Élan à Sceaux"  # letters, accents and spaces as they are
    assert escape.markdown("a\nb\tc") == "a b c"
    assert escape.markdown("a\nb", lines=True) == "a\nb"
    assert escape.markdown("x" * 10, limit=4) == "xxxx…"
    assert escape.markdown(None) == ""


@pytest.mark.parametrize("value", NAMES + [MARKUP])
def test_html_is_text(value):
    escaped = escape.html(value)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped
    assert html.unescape(escaped) == value


@pytest.mark.parametrize("value", NAMES + [MARKUP])
def test_plotly_text_has_no_tag_and_reads_back(value):
    escaped = escape.plotly(value)
    assert "<" not in escaped and ">" not in escaped
    # plotly turns &amp; &lt; &gt; back into their characters (svg_text_utils.convertEntities).
    assert escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == value
    assert escape.plotly("Boucl'Énergie") == "Boucl'Énergie"


def test_wrapped_plotly_labels_keep_only_their_line_breaks():
    wrapped = figures.wrap("<b>gras</b> et <a href='http://127.0.0.2:9/'>lien</a> Paris&Co", 12)
    assert "<b>" not in wrapped and "<a " not in wrapped
    assert wrapped.split("<br>")[0] == "&lt;b&gt;gras&lt;/b&gt;"
    assert figures.wrap("Boucl'Énergie à Sceaux", 40) == "Boucl'Énergie à Sceaux"


@pytest.mark.parametrize("value", NAMES + [MARKUP + ' <img src="x.png"/> <font color="red">r</font>'])
def test_pdf_reads_the_text_and_bolds_nothing(value):
    """A report's text in the PDF (its HTML printed by WeasyPrint): as typed, in the regular font, no link, no image."""
    report = document.Report("project", "x", "", "", "fr", False, [document.Text(value)])
    page = pypdf.PdfReader(io.BytesIO(sheet_pdf.to_pdf(report))).pages[0]
    drawn = []  # (text, font) of each piece of text on the page
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: drawn.append((text, font and font["/BaseFont"])))
    # Lines wrap where WeasyPrint breaks them: compared without the blanks, every character is there as typed.
    assert "".join(value.split()) in "".join("".join(text for text, _ in drawn).split())
    fonts = {font for text, font in drawn if text.strip()}
    assert fonts and not any("Bold" in font for font in fonts), fonts
    assert "/Annots" not in page and not page.images
