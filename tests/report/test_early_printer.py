"""A job with ``methods.report`` starts its PDF printer before the analysis and uses it.

``job.run`` starts :class:`PdfPrinter` first (so weasyprint is imported by a child on
the other core while the job works), sends it the page at the end, and stops it when
the job fails; a job without a report (or a time-series job, which gets none) starts
nothing.  The PDF is the same bytes as one printed in process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openclarify import job, outputs
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


def _file(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "analysis_config.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize(
    ("content", "starts"),
    [
        (_config(report={"name": "report"}), True),
        (_config(), False),  # no methods.report
        (_config(report=None), False),
        ({**_config(report={}), "time_series_data_config": {"target_time_series": "y"}}, False),
        ("{not json", False),  # the job itself reports the broken file
        ([1, 2], False),
        ({"methods": "all"}, False),
    ],
)
def test_a_printer_is_started_from_the_config_file_when_it_asks_for_a_report(
    content: Any, starts: bool, started: list[Any], tmp_path: Path
) -> None:
    printer = outputs.printer_for_config_file(_file(tmp_path, content))
    assert (printer is not None) is starts
    assert len(started) == int(starts)
    if printer is not None:
        printer.close()
    assert outputs.printer_for_config_file(tmp_path / "missing.json") is None


def test_the_job_prints_with_a_printer_started_before_it(
    started: list[Any], tmp_path: Path
) -> None:
    config = _config(report={"name": "report", "title": "T"})
    printer = outputs.printer_for_config_file(_file(tmp_path, config))
    job.run(config, SAMPLE / "loans.csv", tmp_path / "out", printer=printer)
    assert len(started) == 1  # no second printer
    assert printer is not None and printer._process is None  # it printed
    assert (tmp_path / "out" / "report.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("why", ["no report", "job fails"])
def test_a_printer_started_before_the_job_is_stopped_when_unused(
    why: str, started: list[Any], tmp_path: Path
) -> None:
    printer = outputs.printer_for_config_file(_file(tmp_path, _config(report={})))
    assert printer is not None
    process = printer._process
    config = _config() if why == "no report" else _config(report={})
    if why == "job fails":
        config["label"] = "NoSuchColumn"
        with pytest.raises(UserError):
            job.run(config, SAMPLE / "loans.csv", tmp_path / "out", printer=printer)
    else:
        job.run(config, SAMPLE / "loans.csv", tmp_path / "out", printer=printer)
    assert printer._process is None and process is not None and process.returncode is not None
    assert not (tmp_path / "out" / "report.pdf").exists()


# The container and ``openclarify analyze`` start the printer before they import the
# analysis; in a fresh process, the printer's start sees ``openclarify.job`` unimported.
_ORDER = """
import json, sys
from openclarify.report import pdf
real = pdf.PdfPrinter.start.__func__
def start(cls):
    print(json.dumps({"job imported": "openclarify.job" in sys.modules}), file=sys.stderr)
    return real(cls)
pdf.PdfPrinter.start = classmethod(start)
from openclarify import cli
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("front_door", ["container", "analyze"])
def test_front_doors_start_the_printer_before_importing_the_analysis(
    front_door: str, tmp_path: Path
) -> None:
    config = _config(report={"name": "report"})
    if front_door == "container":
        base = tmp_path / "ml"
        (base / "processing/input/config").mkdir(parents=True)
        (base / "processing/input/data").mkdir(parents=True)
        _file(base / "processing/input/config", config)
        shutil.copy(SAMPLE / "loans.csv", base / "processing/input/data/loans.csv")
        arguments = ["container", "--base-dir", str(base)]
        pdf_path = base / "processing/output/report.pdf"
    else:
        arguments = ["analyze", "--config", str(_file(tmp_path, config))]
        arguments += ["--dataset", str(SAMPLE / "loans.csv"), "--output", str(tmp_path / "out")]
        pdf_path = tmp_path / "out" / "report.pdf"
    done = subprocess.run(
        [sys.executable, "-c", _ORDER, *arguments], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert '{"job imported": false}' in done.stderr.splitlines()
    assert pdf_path.read_bytes().startswith(b"%PDF-")
