"""A report as PDF: its HTML (`sheet_html`) printed by WeasyPrint with the stylesheet's print rules, the
system's fonts (fontconfig) and nothing fetched: the document is self-contained, its images inline."""

from __future__ import annotations

from qmi_metrics.outputs import sheet_html
from qmi_metrics.outputs.document import Report


def to_pdf(report: Report) -> bytes:
    import weasyprint  # about a second to import: loaded by the first PDF only

    # Inline images (data:) only: any other address in a report, http(s) or file, is refused, never fetched.
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    return weasyprint.HTML(string=sheet_html.to_html(report), url_fetcher=fetcher).write_pdf()
