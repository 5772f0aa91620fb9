"""The write stage: a result's files, then ``analysis.json``, then the reports, into a folder or S3."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import OutputError
from .results import ANALYSIS_FILE, AnalysisResult, dumps_analysis, write_atomic

if TYPE_CHECKING:
    from .config import AnalysisConfig
    from .report.drift import DriftSection
    from .report.pdf import PdfPrinter

__all__ = [
    "ANALYSIS_FILE",
    "early_pdf_printer",
    "output_folder",
    "write_outputs",
    "write_result_reports",
]


def _writes_reports(config: AnalysisConfig | None) -> bool:
    """Whether ``methods.report`` will be rendered (time-series jobs get none, as Clarify)."""
    return config is not None and config.methods.report is not None and not config.is_time_series


def printer_for_config_file(path: Path) -> PdfPrinter | None:
    """A PDF printer started for the job of ``path`` before that job is even imported.

    The container and the ``analyze`` command call this first: importing the
    analysis (pandas, the config models) takes a small job about 0.3 s, which
    the printer's child spends importing weasyprint on the other core.  The
    file is only peeked at here (``methods.report`` present, no
    ``time_series_data_config``); :func:`early_pdf_printer` decides on the parsed
    configuration and closes a printer the job does not use.  ``None`` when the
    file is unreadable or asks for no report: the job itself then says what is
    wrong, or prints nothing.
    """
    import json

    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    methods = raw.get("methods") if isinstance(raw, dict) else None
    if not isinstance(methods, dict) or methods.get("report") is None:
        return None
    if raw.get("time_series_data_config") is not None:
        return None
    from .report.pdf import PdfPrinter

    return PdfPrinter.start()


@contextlib.contextmanager
def early_pdf_printer(
    config: AnalysisConfig, started: PdfPrinter | None = None
) -> Iterator[PdfPrinter | None]:
    """A PDF printer started now, for a job whose reports come at its end; stopped after.

    Importing weasyprint is most of a small job's report cost (about 0.6 s): started
    before the analysis, a child process (:class:`openclarify.report.pdf.PdfPrinter`)
    imports it on the other core while this one reads, computes and draws, and
    prints the page it is sent.  The PDF is the same bytes either way.  ``None``
    (print in this process) when the job writes no report or no child can start.
    ``started``: a printer started earlier (:func:`printer_for_config_file`), used
    instead of a new one when the job writes reports and closed otherwise.
    """
    if not _writes_reports(config):
        if started is not None:
            started.close()
        yield None
        return
    printer = started
    if printer is None:
        from .report.pdf import PdfPrinter

        printer = PdfPrinter.start()
    try:
        yield printer
    finally:
        if printer is not None:
            printer.close()  # a no-op once it printed; stops it when the job failed


@contextlib.contextmanager
def output_folder(output_dir: str | Path, log: logging.Logger) -> Iterator[Path]:
    """The local folder to write into; for ``s3://bucket/prefix`` a staging folder.

    A staged folder is uploaded once every file in it is complete, ``analysis.json``
    last (:func:`openclarify.storage.upload_folder`), and only when the block ends
    without an error.  A malformed S3 URI fails before the block starts (before the
    analysis); a local path that is a file fails too.
    """
    if isinstance(output_dir, str) and output_dir.startswith("s3://"):
        from . import storage

        storage.parse_s3_uri(output_dir, "--output")
        with tempfile.TemporaryDirectory(prefix="openclarify-output-") as staging:
            yield Path(staging)
            uploaded = storage.upload_folder(Path(staging), output_dir, where="--output")
        log.info("Uploaded %d file(s) to %s", len(uploaded), output_dir)
        return
    output = Path(output_dir)
    if output.exists() and not output.is_dir():
        raise OutputError(
            str(output), "the output path is a file, expected a folder", "pass a folder path"
        )
    yield output


def write_outputs(
    result: AnalysisResult,
    output: Path,
    log: logging.Logger,
    *,
    drift: Callable[[dict[str, Any]], DriftSection | None] | None = None,
    printer: PdfPrinter | None = None,
) -> AnalysisResult:
    """Write every file of ``result`` atomically into ``output``; the result with report notes.

    The methods' files come first and ``analysis.json`` after them, so that when it
    exists the results are complete; the reports follow it, as Clarify does (the
    notebook re-reads it), and a report that cannot be rendered never fails the
    job: the notes say why.  ``drift`` (a Model Monitor check,
    :func:`openclarify.monitor.step.drift_stage`) runs between the two on the
    document just written; the section it returns is rendered in the reports.
    ``printer``: from :func:`early_pdf_printer`, for the PDF.
    """
    for extra in result.files:
        written = output.joinpath(*extra.path.split("/"))
        _write(written, extra.content())
        log.info(extra.note.format(target=written, folder=written.parent))
    target = output / ANALYSIS_FILE
    document = result.to_dict()
    _write(target, dumps_analysis(document))
    log.info("Wrote %s", target)
    section = drift(document) if drift is not None else None
    return write_result_reports(result, document, output, log, drift=section, printer=printer)


def write_result_reports(
    result: AnalysisResult,
    document: dict[str, Any],
    output: Path,
    log: logging.Logger,
    *,
    drift: DriftSection | None = None,
    printer: PdfPrinter | None = None,
) -> AnalysisResult:
    """The reports ``methods.report`` asks for, next to ``analysis.json``; the result with notes.

    ``drift`` (from a Model Monitor check, :mod:`openclarify.monitor.step`) adds the
    baseline-against-current section; without it the reports are those of the
    analysis alone, byte for byte.
    """
    report = result.config.methods.report if result.config is not None else None
    if report is None:
        return result
    if result.config is not None and result.config.is_time_series:
        # Clarify writes no report for time-series jobs although the SDK sends
        # methods.report (the 2024 run's log has no report step); the exit message
        # stays the plain success message, so this is logged, not noted.
        log.info("Report is not supported for time-series explanations; not written")
        return result
    from .report import write_reports

    notes = write_reports(
        document,
        output,
        name=report.name or "report",
        title=report.title,
        stats=result.report_stats,
        text_examples=result.text_examples,
        config=result.config.model_dump(mode="json", exclude_none=True)
        if result.config is not None
        else None,
        log=log,
        drift=drift,
        printer=printer,
    )
    return dataclasses.replace(result, notes=result.notes + tuple(notes))


def _write(target: Path, text: str | bytes) -> None:
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise OutputError(
            str(target.parent),
            f"cannot write {target.name} ({exc.strerror or type(exc).__name__})",
            "check that the output folder is writable and has space",
        ) from exc
