"""Text from the data (names, descriptions, quotes…) made literal for the place it goes.

One function per destination, so a name like `**x** [lien](http://…) <img src=…>` reads as typed
everywhere and never becomes bold text, a link, an image or a request:

- `markdown`  Streamlit's Markdown (st.markdown / write / caption / info / metric / subheader…),
              with its directives :red[…], :material/…:, emoji shortcodes and $…$ maths;
- `html`      HTML documents and fragments: the slideshow, the reports (HTML, and the PDF printed from
              that HTML), pydeck tooltips;
- `plotly`    plotly strings (trace names, axis categories and tick labels, text, hover texts,
              annotations, titles): plotly reads a subset of HTML (<a href>, <b>, <br>…) and entities.

None of them changes how ordinary text reads: accents, apostrophes, « », & stay as they are.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata

# Every ASCII punctuation Markdown, GFM (autolinks, tables, strikethrough), HTML or Streamlit's
# directives could read; CommonMark shows a backslash-escaped punctuation mark as the mark itself.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$:&=\"'@])")


# Streamlit's Markdown also rewrites text after parsing, where a backslash no longer counts: GFM turns
# http://…, www.… and a@b.c into links, and shortcodes (:smile:, :material/home:) into emoji and icons.
# An invisible WORD JOINER (U+2060) breaks each of these patterns without changing what the reader sees.
WORD_JOINER = "\u2060"
_AUTOLINKED = re.compile(r"(?<=:)(?=[\w/])|(?i:(?<=www))(?=\.)|(?=@)")


def _text(value) -> str:
    return "" if value is None else str(value)


def markdown(value, limit: int | None = None, lines: bool = False) -> str:
    """`value` shown as it is inside Streamlit Markdown. Control characters become spaces (line breaks too,
    unless `lines`: then they stay, as paragraph text), and a value longer than `limit` is cut with "…"."""
    text = "".join(ch if lines and ch == "\n" else " " if unicodedata.category(ch)[0] == "C" else ch
                   for ch in _text(value))
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINKED.sub(WORD_JOINER, text))


def html(value) -> str:
    """`value` as HTML text or attribute value."""
    return _html.escape(_text(value), quote=True)


def plotly(value) -> str:
    """`value` as plotly text: its tags and entities stay literal (plotly turns &lt; &gt; &amp; back)."""
    return _text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
