"""The words the outputs share, each defined once: statuses, unknown values, plurals, language switching."""

from __future__ import annotations

import pandas as pd

NOT_KNOWN = {"fr": "non renseigné", "en": "not available"}
# Status symbols, so that a status reads without colour: every output (pages, figures, slides, reports) uses these.
STATUS_SYMBOLS = {"selected": "○", "started": "◔", "agreement_signed": "◑", "deployed": "●", "tested": "◉",
                  "evaluated": "★", "continued": "➜", "stopped": "✕"}


def tr(lang: str, fr: str, en: str) -> str:
    """The text in `lang` (French unless "en")."""
    return en if lang == "en" else fr


def known(value) -> bool:
    """Not NULL: neither None nor a missing value of pandas (NaN, NaT, NA)."""
    return value is not None and not (not isinstance(value, str) and pd.isna(value))


def plural(n: int, singular: str, plural_form: str) -> str:
    """French agreement: 0 and 1 take the singular."""
    return singular if n < 2 else plural_form
