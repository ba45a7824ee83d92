"""The interface's words in every language: gettext catalogues read with Babel, the French text as msgid.

`_(lang, "{n} projets suivis", n=3)` and `_n(lang, "{n} projet", "{n} projets", n)` return the text of
locales/<lang>/LC_MESSAGES/messages.po formatted with str.format, or the French text when lang is "fr",
when lang has no catalogue, or when its catalogue does not translate the message. `_p` and `_np` take a context
first, for a French text that has two translations (« mois »: "months" as a unit, "month" as a date's precision).
A table of words holds msgids marked with `N_` (or `N_p`), translated where they are shown.
"""

from __future__ import annotations

import ast
import functools
import gettext
import io
import logging
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages import mofile, pofile

_LOG = logging.getLogger("qmi")

SOURCE_LANGUAGE = "fr"  # the msgids are the French texts: French needs no catalogue
# The languages the interface offers. A new language: its code here and locales/<code>/LC_MESSAGES/messages.po.
LANGUAGES = ("fr", "en")
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
# What the extractor looks for (babel.cfg, tests, tools/i18n_migrate.py): the language comes first, so the
# msgid is the 2nd argument (and the plural the 3rd); a context ("c") comes before the msgid; the markers N_ and
# N_p of tables take no language.
KEYWORDS = {"_": (2,), "_n": (2, 3), "_p": ((2, "c"), 3), "_np": ((2, "c"), 3, 4), "N_": (1,), "N_p": ((1, "c"), 2)}
# Babel's locale for a language code when it is not the code itself.
BABEL_LOCALES = {"fr": "fr_FR"}


def catalogue_path(lang: str, locales_dir: Path | None = None) -> Path:
    return Path(locales_dir or LOCALES_DIR) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=None)
def babel_locale(lang: str) -> Locale:
    """Babel's locale for a language code: fr -> fr_FR, en -> en, any other code as itself."""
    try:
        return Locale.parse(BABEL_LOCALES.get(lang, lang))
    except (UnknownLocaleError, ValueError) as error:
        raise ValueError(f"unknown language code {lang!r}: {error}") from None


class _French(gettext.NullTranslations):
    """The source texts, with French agreement: 0 and 1 take the singular."""

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n < 2 else plural

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.ngettext(singular, plural, n)


def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of `lang`, French underneath for what it does not translate."""
    return _compiled(lang, str(LOCALES_DIR))


@functools.lru_cache(maxsize=None)
def _compiled(lang: str, locales_dir: str) -> gettext.NullTranslations:
    # The .po is compiled in memory once per process (no .mo in the repository); fuzzy and empty
    # translations are left out by write_mo, so French shows for them.
    french = _French()
    path = catalogue_path(lang, Path(locales_dir))
    if lang == SOURCE_LANGUAGE or not path.exists():
        return french
    try:
        with path.open("rb") as po:
            catalogue = pofile.read_po(po, locale=babel_locale(lang), abort_invalid=True)
    except pofile.PoFileError as error:
        raise ValueError(f"{path}: unreadable catalogue: {error}") from None
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalogue)
    compiled.seek(0)
    result = gettext.GNUTranslations(compiled)
    result.add_fallback(french)
    return result


def _(lang: str, message: str, /, **named) -> str:
    """`message` (French, a str.format template) in `lang`, formatted with `named`."""
    return _format(translations(lang).gettext(message), message, named)


def _n(lang: str, singular: str, plural: str, n: float, /, **named) -> str:
    """The form of `lang`'s catalogue for the count `n` (French: 0 and 1 singular; English: 1 only),
    formatted with `named` and, unless `named` has one, `n`."""
    text = translations(lang).ngettext(singular, plural, whole_count(lang, n))
    french = _French().ngettext(singular, plural, whole_count(SOURCE_LANGUAGE, n))
    return _format(text, french, {"n": n, **named})


def _p(lang: str, context: str, message: str, /, **named) -> str:
    """`_` for the translation of `message` in `context` (the catalogue's msgctxt)."""
    return _format(translations(lang).pgettext(context, message), message, named)


def _np(lang: str, context: str, singular: str, plural: str, n: float, /, **named) -> str:
    """`_n` for the translation in `context` (the catalogue's msgctxt)."""
    text = translations(lang).npgettext(context, singular, plural, whole_count(lang, n))
    french = _French().ngettext(singular, plural, whole_count(SOURCE_LANGUAGE, n))
    return _format(text, french, {"n": n, **named})


def N_(message: str) -> str:
    """Marks a French text of a table for the catalogue; `_` translates it where it is shown."""
    return message


def N_p(context: str, message: str) -> str:
    """`N_` for a text translated in `context` (shown with `_p(lang, context, message)`)."""
    return message


def whole_count(lang: str, n: float) -> int:
    """The whole number that gettext's plural rules are written for. A fraction counts as the first whole number
    of its CLDR plural category: 1.5 as 1 in French ("1,5 mois" is singular), as 0 in English ("1.5 months")."""
    n = abs(n)
    if float(n).is_integer():
        return int(n)
    rule = babel_locale(lang).plural_form
    category = rule(n)
    return next((whole for whole in range(1000) if rule(whole) == category), int(n))


def _format(text: str, french: str, named: dict) -> str:
    try:
        return text.format_map(named)
    except (KeyError, IndexError, ValueError) as error:
        if text == french:
            raise
        # A translation naming a value the code does not give must not break the page: French shows instead.
        _LOG.warning("translation %r does not fit its message %r (%r): shown in French", text, french, error)
        return french.format_map(named)


def extract_python(fileobj, keywords, comment_tags, options):
    """Babel's extraction method for babel.cfg, reading the syntax tree: Babel's own Python extractor works on
    tokens and, before Python 3.12, does not see the calls written inside f-string fields."""
    tree = ast.parse(fileobj.read().decode(options.get("encoding", "utf-8")))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id in keywords]
    for call in sorted(calls, key=lambda node: (node.lineno, node.col_offset)):
        arguments = tuple(a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                          for a in call.args)
        yield call.lineno, call.func.id, arguments, []
