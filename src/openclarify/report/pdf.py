"""The report as PDF, printed from the HTML page by weasyprint (imported only here).

weasyprint lays out with pango, a system library (the image and ``.ci/run``
install it); without it the import fails, and the caller notes that the PDF
was skipped.

weasyprint is given a leaner copy of the page (:func:`print_html`): each
inline chart becomes an ``<img>`` of the same SVG document.  Inline, the
chart's hundreds of elements go through weasyprint's pure-Python HTML parser
and its CSS cascade, which draw nothing from them; as an image the same SVG
is parsed by ElementTree and drawn by the same SVG renderer, so the pages
come out the same (the tests compare them) in about a fifth less time.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import Any

#: A chart as matplotlib writes it (its own text is escaped, so it holds no ``</svg>``;
#: strings from the data are escaped by the templates, so no other ``<svg`` exists).
_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)
#: What ``.oc-report figure svg`` gives an inline chart, for the chart as an image.
_IMAGE_RULE = ".oc-report figure img { max-width: 100%; height: auto; }\n"


def _as_image(match: re.Match[str]) -> str:
    data = base64.b64encode(match.group(0).encode("utf-8")).decode("ascii")
    return f'<img alt="" src="data:image/svg+xml;base64,{data}">'


def print_html(html: str) -> str:
    """The page as weasyprint is given it: every inline SVG chart as a ``data:`` image.

    Parameters
    ----------
    html:
        A self-contained page of this package (report or comparison).

    Returns
    -------
    str
        The same page, its charts as images and a rule sizing them as the
        stylesheet sizes inline charts.
    """
    page, charts = _SVG.subn(_as_image, html)
    if charts:
        page = page.replace("</style>", _IMAGE_RULE + "</style>", 1)
    return page


def _fetcher() -> Any:
    """A URL fetcher that fetches ``data:`` URLs (the charts) and nothing else.

    The page is self-contained; refusing every other URL keeps the PDF offline
    even if a URL ever slipped into the content.
    """
    try:
        from weasyprint.urls import URLFetcher  # weasyprint >= 68
    except ImportError:  # older weasyprint: a fetcher is a function
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: object, **kwargs: object) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"report PDF does not fetch resources ({url[:40]})")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols={"data"})


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of a self-contained HTML document (no network is touched)."""
    import weasyprint

    # weasyprint logs every CSS property it ignores at WARNING; those are
    # layout details of our own stylesheet, not problems of the run.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=print_html(html), base_url=None, url_fetcher=_fetcher())
    pdf = document.write_pdf()
    return bytes(pdf) if pdf is not None else b""
