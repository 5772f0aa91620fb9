"""Reports of an analysis: ``<name>.html``, ``<name>.ipynb`` and ``<name>.pdf``.

Two entry points for the job, both of which never raise:

* :func:`compute_report_stats` — basic statistics and model performance from
  the rows, while the table is in memory (``None`` on failure);
* :func:`write_reports` — the three files next to ``analysis.json``; every
  failure (a missing optional dependency, a drawing error, a full disk) is
  logged and returned as a short note for the exit message, because the
  analysis itself is already written and must not be lost to its report.

:func:`write_comparison` renders two runs side by side (``openclarify report
--compare``).  The rendering modules import jinja2, weasyprint and, for a
partial dependence plot of several model outputs only, matplotlib (the
``report`` extra; the other charts are written as SVG directly, and nbformat
is the notebook's format, not needed to write it); this module imports none of
them, so the core package works without the extra.

The charts are drawn once, into the HTML sections; the notebook stores those
sections as its outputs and the PDF is printed from the page.  What is left of
a first render is importing weasyprint and laying the page out; a caller can
start a :class:`.pdf.PdfPrinter` (weasyprint in a child process) well before
the reports — when the job starts — so that the import runs during the
analysis, and pass it to :func:`write_reports`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lazy import lazy_attributes
from ..results import write_atomic

if TYPE_CHECKING:
    from .drift import DriftSection
    from .pdf import PdfPrinter
    from .stats import ReportStats, compute_report_stats

__all__ = [
    "DEFAULT_NAME",
    "ReportStats",
    "compute_report_stats",
    "safe_name",
    "write_comparison",
    "write_reports",
]

# Imported on first use: .stats brings NumPy, and a job imports .pdf (this package
# first) to start its PDF printer before it has imported anything of the analysis.
_LAZY = {"ReportStats": "stats", "compute_report_stats": "stats"}


__getattr__ = lazy_attributes(__name__, _LAZY)


DEFAULT_NAME = "report"
EXTRA_HINT = "install the report extra: pip install 'openclarify[report]'"

_log = logging.getLogger("openclarify")


def safe_name(name: str | None) -> str | None:
    """``name`` if it is a plain file name (no folder, not hidden), else ``None``."""
    if not name or name.startswith(".") or any(c in name for c in "/\\\0"):
        return None
    return name


def _missing(exc: ImportError) -> str:
    return exc.name.split(".")[0] if exc.name else "a dependency"


def _remove_stale(path: Path) -> None:
    # A report left by an earlier run in the same folder would be mistaken for this run's.
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def write_reports(
    document: dict[str, Any],
    output_dir: Path,
    *,
    name: str | None = DEFAULT_NAME,
    title: str | None = None,
    stats: ReportStats | None = None,
    config: dict[str, Any] | None = None,
    log: logging.Logger | None = None,
    pdf: bool = True,
    drift: DriftSection | None = None,
    text_examples: tuple[Any, ...] = (),
    printer: PdfPrinter | None = None,
) -> list[str]:
    """Write ``<name>.html``, ``<name>.ipynb`` and ``<name>.pdf``; never raises.

    Parameters
    ----------
    document:
        The ``analysis.json`` document (:meth:`AnalysisResult.to_dict`).
    output_dir:
        The folder of ``analysis.json``; the notebook re-reads it from there.
    name, title:
        ``methods.report.name`` and ``methods.report.title``.  A name that is not
        a plain file name is replaced by ``report`` (and noted).
    stats:
        From :func:`compute_report_stats`; ``None`` leaves the statistics and
        model-performance sections empty with a note in the report.
    config:
        The configuration to show at the end of the report (the parsed
        ``analysis_config.json``).
    log:
        Where progress and failures go (default: the ``openclarify`` logger).
    pdf:
        Also write the PDF (the slowest part).
    drift:
        The drift section of a Model Monitor check (:mod:`.drift`); shown after the
        summary.  None (no check) leaves the reports exactly as without it.
    text_examples:
        :class:`~openclarify.results.TextExample` records to show with their
        units coloured (text explanations).
    printer:
        A :class:`.pdf.PdfPrinter` started earlier (say when the job starts, so
        that weasyprint is imported while the analysis runs); it prints the PDF
        and is closed in any case.  ``None`` prints in this process (a printer
        started here would gain nothing: the charts, HTML and notebook take a
        tenth of the import it would overlap, and the child imports more).

    Returns
    -------
    list of str
        Short notes for the exit message, one per file that could not be
        written; empty when all went well.  Notes never contain data values.
    """
    log = log or _log
    notes: list[str] = []
    try:
        started = time.perf_counter()
        chosen = safe_name(name)
        if chosen is None:
            notes.append(
                f"methods.report.name is not a plain file name; reports are named {DEFAULT_NAME}.*"
            )
            log.warning(notes[-1])
            chosen = DEFAULT_NAME
        output_dir = Path(output_dir)
        paths = {ext: output_dir / f"{chosen}.{ext}" for ext in ("html", "ipynb", "pdf")}
        try:
            from . import html
            from .content import build_report
        except ImportError as exc:
            notes.append(f"report files not written: {_missing(exc)} is missing ({EXTRA_HINT})")
            log.warning(notes[-1])
            return notes
        try:
            report = build_report(
                document,
                title=title,
                stats=stats,
                config=config,
                drift=drift,
                output_dir=output_dir,
                text_examples=text_examples,
            )
            parts = html.sections(report, log)
            page = html.render_page(report.title, [part for _, part in parts])
            write_atomic(paths["html"], page)
        except Exception:
            log.exception("%s could not be written", paths["html"].name)
            for path in paths.values():
                _remove_stale(path)
            notes.append(f"{paths['html'].name} not written (see the log)")
            return notes
        written = [paths["html"].name]
        try:
            from .notebook import notebook_text

            text = notebook_text(report, [(k, str(p)) for k, p in parts], html.stylesheet())
            write_atomic(paths["ipynb"], text)
            written.append(paths["ipynb"].name)
        except ImportError as exc:
            _remove_stale(paths["ipynb"])
            notes.append(f"{paths['ipynb'].name} not written: {_missing(exc)} is missing")
            log.warning("%s (%s)", notes[-1], EXTRA_HINT)
        except Exception:
            _remove_stale(paths["ipynb"])
            log.exception("%s could not be written", paths["ipynb"].name)
            notes.append(f"{paths['ipynb'].name} not written (see the log)")
        if pdf:
            notes.extend(_write_pdf(page, paths["pdf"], log, printer))
            if paths["pdf"].exists():
                written.append(paths["pdf"].name)
        log.info("Wrote %s in %.2fs", ", ".join(written), time.perf_counter() - started)
    except Exception:  # the last line of defence: the analysis is already written
        log.exception("Reports could not be written")
        notes.append("report files not written (see the log)")
    finally:
        if printer is not None:
            printer.close()  # a no-op once it printed; stops it when the HTML failed
    return notes


def _write_pdf(
    page: str, path: Path, log: logging.Logger, printer: PdfPrinter | None = None
) -> list[str]:
    try:
        if printer is not None:
            write_atomic(path, printer.print(page))
        else:
            from .pdf import html_to_pdf

            write_atomic(path, html_to_pdf(page))
        return []
    except ImportError as exc:
        note = f"{path.name} not written: {_missing(exc)} is missing"
        log.warning("%s (%s)", note, EXTRA_HINT)
    except OSError as exc:
        # weasyprint raises OSError when the pango system library is absent.
        note = f"{path.name} not written: {type(exc).__name__} (is the pango library installed?)"
        log.warning("%s: %s", note, exc)
    except Exception:
        note = f"{path.name} not written (see the log)"
        log.exception("%s could not be written", path.name)
    _remove_stale(path)
    return [note]


def write_comparison(
    document_a: dict[str, Any],
    document_b: dict[str, Any],
    output_dir: Path,
    *,
    name: str = "comparison",
    name_a: str = "A",
    name_b: str = "B",
    title: str | None = None,
    log: logging.Logger | None = None,
    pdf: bool = True,
) -> list[str]:
    """Write ``<name>.html`` (and ``<name>.pdf``) comparing two runs; never raises.

    Returns notes as :func:`write_reports` does.
    """
    log = log or _log
    chosen = safe_name(name) or "comparison"
    target = Path(output_dir) / f"{chosen}.html"
    try:
        from . import html
        from .compare import build_comparison
    except ImportError as exc:
        note = f"comparison not written: {_missing(exc)} is missing ({EXTRA_HINT})"
        log.warning(note)
        return [note]
    try:
        comparison = build_comparison(
            document_a, document_b, name_a=name_a, name_b=name_b, title=title
        )
        page = html.render_comparison(comparison, log)
        write_atomic(target, page)
    except Exception:
        log.exception("%s could not be written", target.name)
        _remove_stale(target)
        return [f"{target.name} not written (see the log)"]
    notes = _write_pdf(page, target.with_suffix(".pdf"), log) if pdf else []
    log.info("Wrote %s", target)
    return notes
