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

Importing weasyprint (cffi parsing pango's declarations, mostly) costs about as
much CPU as laying out a sample report.  :class:`PdfPrinter` imports it in a
child process as soon as it is started, so a job that starts the printer when
it starts has the import done on the second core by the time its reports are
written.  Started at the reports themselves it gains nothing (measured by
``benchmarks/report_bench.py``): the rest of a report takes a tenth of the
import, and the child imports again the standard modules this process has.
While no page has arrived, the child prints a small page of its own
(:func:`warm_up_page`) to pay weasyprint's first-document costs ahead of the
report.  The child runs this file as a script and imports nothing of this
package, so it works from any ``sys.path``.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
import re
import subprocess
import sys
from typing import IO, Any

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


#: A child that has not answered in this long is stopped (the page of a sample report
#: takes about a second; a report is bounded by MAX_DETAILED_GROUPS).
PRINT_TIMEOUT_S = 600.0

# The child's entry: this file run as a script, without the current directory on
# sys.path (a folder holding e.g. ``html.py`` must not shadow the standard library).
_CHILD = (
    "import runpy, sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
    "runpy.run_path(sys.argv[1], run_name='__main__')"
)


class PdfPrinter:
    """weasyprint in a child process that imports it as soon as it starts.

    :meth:`start` the printer early; :meth:`print` sends the page and returns
    the PDF bytes, raising what :func:`html_to_pdf` would raise in this process
    (``ImportError`` naming the missing module, ``OSError`` without pango,
    ``RuntimeError`` carrying the child's traceback otherwise).  :meth:`close`
    stops a printer that was not used; a printer prints once.
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process: subprocess.Popen[bytes] | None = process

    @classmethod
    def start(cls) -> PdfPrinter | None:
        """A started printer, or ``None`` to print in this process instead.

        ``None`` when weasyprint is already imported here (a later report of the
        same process: nothing is left to overlap, and a child would import it
        again), when it is not installed (printing here then raises the
        ``ImportError`` that names it) or when no child process can be started.
        """
        if "weasyprint" in sys.modules or not sys.executable:
            return None
        if importlib.util.find_spec("weasyprint") is None:
            return None
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, __file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError:
            return None
        return cls(process)

    def print(self, html: str, timeout: float = PRINT_TIMEOUT_S) -> bytes:
        """PDF bytes of ``html``, printed by the child (see :func:`html_to_pdf`)."""
        process, self._process = self._process, None
        if process is None:
            raise RuntimeError("this PDF printer was already used or closed")
        try:
            out, err = process.communicate(html.encode("utf-8"), timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise RuntimeError(f"the PDF was not printed within {timeout:.0f} s") from None
        if process.returncode == 0:
            if err:
                logging.getLogger("openclarify").debug(
                    "weasyprint: %s", err.decode(errors="replace")
                )
            return out
        raise _child_error(err.decode("utf-8", errors="replace"), process.returncode)

    def close(self) -> None:
        """Stop the child if it has not printed (idempotent)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.communicate()


def _child_error(err: str, code: int) -> Exception:
    """The child's failure (its last stderr line, JSON) as the exception it raised."""
    lines = err.strip().splitlines()
    try:
        failure = json.loads(lines[-1])
        kind, name, message = failure["kind"], failure.get("name"), str(failure["message"])
    except (IndexError, ValueError, KeyError, TypeError):
        return RuntimeError(f"the PDF printer exited with code {code}: {err[-2000:]}")
    if kind == "ImportError":
        return ImportError(message, name=name)
    if kind == "OSError":
        return OSError(message)
    return RuntimeError(f"the PDF printer failed: {message}\n" + "\n".join(lines[:-1]))


#: A page with what every report has (the stylesheet, headings, a table, styled text
#: in both fonts and a chart with text): printing it makes weasyprint do its one-off
#: work (cffi parsing the C types it allocates, fontconfig and pango loading the
#: faces, the font subsetter) before the report arrives.
_WARM_UP_CHART = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20" viewBox="0 0 60 20">'
    '<rect x="0" y="0" width="60" height="20" style="fill: #ffffff"/>'
    '<path d="M 1 19 L 59 1" style="stroke: #1565c0; stroke-width: 1"/>'
    '<text x="2" y="12" style="font-size: 8px; font-family: \'DejaVu Sans\'">0.1</text>'
    "</svg>"
)
_WARM_UP_BODY = (
    '<main class="oc-report"><h1>T</h1><h2>S</h2><h3>s</h3><p class="summary">'
    "<strong>b</strong> <em>i</em> <code>c</code> "
    '<span class="flag flag-far">far</span></p><table class="metrics"><thead><tr>'
    '<th>m</th><th>v</th></tr></thead><tbody><tr class="row-far"><td>CI</td>'
    '<td class="num">0.1</td></tr></tbody></table><figure>'
    + _WARM_UP_CHART
    + "<figcaption>f</figcaption></figure>"
    '<pre class="config">{}</pre></main>'
)


def _readable(stream: IO[bytes]) -> bool:
    """Whether the page has started to arrive (then there is no time to warm up)."""
    import select

    try:
        ready, _, _ = select.select([stream], [], [], 0)
    except (OSError, ValueError):  # not a pipe or socket select can watch
        return True
    return bool(ready)


def warm_up_page() -> str:
    """The page the child prints while it waits: :data:`_WARM_UP_BODY`, the report's stylesheet."""
    from pathlib import Path

    css = (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")
    return f"<html><head><style>{css}</style></head><body>{_WARM_UP_BODY}</body></html>"


def _warm_up() -> None:
    """Print :func:`warm_up_page` and drop the PDF.

    Run by the child while it waits for the page (a job's analysis is still
    going): the first page a process prints costs about 0.1-0.2 s more than the
    next (``benchmarks/report_bench.py``), and that share is paid here, on the
    other core.  weasyprint keeps no state from one document to the next that
    changes a PDF (tests/report/test_pdf_printer.py compares the bytes), and a
    failure here is left for the real page to meet.
    """
    try:
        html_to_pdf(warm_up_page())
    except Exception:  # the real page reports what is wrong
        return


def _serve(stdin: IO[bytes], stdout: IO[bytes], stderr: IO[str]) -> int:
    """The child: import weasyprint at once, then print the page read from stdin."""
    import traceback

    failure: dict[str, Any]
    try:
        import weasyprint  # noqa: F401  (the import is the work done ahead of the page)

        if not _readable(stdin):
            _warm_up()
        html = stdin.read().decode("utf-8")
        stdout.write(html_to_pdf(html))
        stdout.flush()
        return 0
    except ImportError as exc:
        failure = {"kind": "ImportError", "name": exc.name, "message": str(exc)}
    except OSError as exc:
        failure = {"kind": "OSError", "message": str(exc)}
    except Exception as exc:
        traceback.print_exc(file=stderr)
        failure = {"kind": type(exc).__name__, "message": str(exc)}
    print(json.dumps(failure), file=stderr)
    return 1


if __name__ == "__main__":
    code = _serve(sys.stdin.buffer, sys.stdout.buffer, sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    # The parent waits for this process to end; tearing down an interpreter that
    # holds weasyprint (cffi's types, pango's objects) takes about 0.1 s and frees
    # nothing the exit would not.
    os._exit(code)
