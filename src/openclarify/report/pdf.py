"""The report as PDF, printed from the HTML page by weasyprint (imported only here).

weasyprint lays out with pango, a system library (the image and ``.ci/run``
install it); without it the import fails, and the caller notes that the PDF
was skipped.
"""

from __future__ import annotations

import logging


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    # The page is self-contained; refusing every fetch keeps the PDF offline
    # even if a URL ever slipped into the content.
    raise ValueError(f"report PDF does not fetch resources ({url[:40]})")


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of a self-contained HTML document (no network is touched)."""
    import weasyprint

    # weasyprint logs every CSS property it ignores at WARNING; those are
    # layout details of our own stylesheet, not problems of the run.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()
    return bytes(pdf) if pdf is not None else b""
