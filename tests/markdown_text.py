"""What a reader sees of Markdown the pages write: data go in through qmi_metrics.outputs.escape.markdown, so page
tests compare expectations with the source minus its backslash escapes and invisible word joiners."""

import re

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(source: str) -> str:
    return _ESCAPED.sub(r"\1", source).replace("\u2060", "")
