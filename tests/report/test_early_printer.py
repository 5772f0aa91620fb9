"""A job with ``methods.report`` starts its PDF printer before the analysis and uses it.

``job.run`` starts :class:`PdfPrinter` first (so weasyprint is imported by a child on
the other core while the job works), sends it the page at the end, and stops it when
the job fails; a job without a report (or a time-series job, which gets none) starts
nothing.  The PDF is the same bytes as one printed in process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from openclarify import job
from openclarify.errors import UserError
from openclarify.report import pdf

SAMPLE = Path(__file__).resolve().parents[2] / "sample_configs" / "pre_training_csv"


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every printer a job starts (weasyprint not imported yet, as in a fresh job)."""
    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    printers: list[Any] = []
    real = pdf.PdfPrinter.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[pdf.PdfPrinter]) -> pdf.PdfPrinter | None:
        printer = real(cls)
        printers.append(printer)
        return printer

    monkeypatch.setattr(pdf.PdfPrinter, "start", classmethod(start))
    return printers


def _config(**change: Any) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((SAMPLE / "analysis_config.json").read_text())
    config["methods"] = {"pre_training_bias": {"methods": ["CI", "DPL"]}, **change}
    return config


def test_the_job_prints_its_pdf_with_the_printer_it_started_first(
    started: list[Any], tmp_path: Path
) -> None:
    config = _config(report={"name": "report", "title": "T"})
    job.run(config, SAMPLE / "loans.csv", tmp_path / "early")
    (printer,) = started
    assert printer is not None and printer._process is None  # used: it printed
    # the same job printing in this process (weasyprint imported here: no child)
    import weasyprint  # noqa: F401

    job.run(config, SAMPLE / "loans.csv", tmp_path / "here")
    assert started[1] is None
    early, here = tmp_path / "early" / "report.pdf", tmp_path / "here" / "report.pdf"
    assert early.read_bytes() == here.read_bytes()


def test_a_failing_job_stops_its_printer(started: list[Any], tmp_path: Path) -> None:
    config = _config(report={"name": "report", "title": "T"})
    config["label"] = "NoSuchColumn"
    with pytest.raises(UserError):
        job.run(config, SAMPLE / "loans.csv", tmp_path / "out")
    (printer,) = started
    assert printer is not None and printer._process is None  # closed, child killed
    assert not (tmp_path / "out" / "report.pdf").exists()


def test_a_job_without_a_report_starts_no_printer(started: list[Any], tmp_path: Path) -> None:
    job.run(_config(), SAMPLE / "loans.csv", tmp_path / "out")
    assert started == []
