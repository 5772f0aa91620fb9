"""The PDF printed by a child process (started early, it imports weasyprint while the
job runs) equals the PDF printed in process, and its failures give the same notes."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from openclarify.report import html, write_reports
from openclarify.report import pdf as pdf_module
from openclarify.report.content import build_report
from openclarify.report.pdf import PdfPrinter, _child_error, _readable, html_to_pdf, warm_up_page

from .conftest import LOG, synthetic_document


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as a job finds it: weasyprint not imported yet (the child is used)."""
    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)


def _page() -> str:
    report = build_report(synthetic_document(), title="T", stats=None, config={"k": 1})
    return html.render_html(report, LOG)


def test_child_prints_the_bytes_printed_in_process(fresh: None) -> None:
    page = _page()
    printer = PdfPrinter.start()
    assert printer is not None
    assert printer.print(page) == html_to_pdf(page)
    with pytest.raises(RuntimeError, match="already used"):
        printer.print(page)


def test_write_reports_uses_a_printer_it_is_given(fresh: None, tmp_path: Path) -> None:
    printer = PdfPrinter.start()
    assert printer is not None
    notes = write_reports(synthetic_document(), tmp_path, config={"k": 1}, log=LOG, printer=printer)
    assert notes == []
    assert "weasyprint" not in sys.modules  # printed by the child, not imported here
    assert (tmp_path / "report.pdf").read_bytes() == html_to_pdf(
        (tmp_path / "report.html").read_text(encoding="utf-8")
    )


def test_after_weasyprint_is_imported_pdfs_print_in_process() -> None:
    import weasyprint  # noqa: F401

    assert PdfPrinter.start() is None


def test_an_unused_printer_is_stopped(fresh: None, tmp_path: Path) -> None:
    printer = PdfPrinter.start()
    assert printer is not None
    process = printer._process
    assert process is not None
    printer.close()
    printer.close()  # idempotent
    assert process.returncode is not None
    # write_reports stops the printer it was given when the page cannot be written,
    # or when it writes no PDF
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for folder, pdf in ((blocker, True), (tmp_path / "out", False)):
        printer = PdfPrinter.start()
        assert printer is not None
        process = printer._process
        write_reports(synthetic_document(), folder, log=LOG, pdf=pdf, printer=printer)
        assert process is not None and process.returncode is not None


@pytest.mark.parametrize(
    ("failure", "note"),
    [
        (
            "raise ImportError('No module named cffi', name='cffi')",
            "report.pdf not written: cffi is missing",
        ),
        (
            "raise OSError(\"cannot load library 'libpango-1.0-0'\")",
            "report.pdf not written: OSError (is the pango library installed?)",
        ),
        ("raise ValueError('broken layout')", "report.pdf not written (see the log)"),
    ],
)
def test_child_failures_are_the_notes_of_an_in_process_failure(
    failure: str, note: str, fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A weasyprint that fails as the real one does without its dependencies, found
    # first by the child (it inherits PYTHONPATH); this process never imports it.
    fake = tmp_path / "fake" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(failure + "\n")
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))  # the child needs nothing else
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.pdf").write_bytes(b"%PDF- from an earlier run")
    printer = PdfPrinter.start()
    assert printer is not None
    notes = write_reports(synthetic_document(), tmp_path / "out", log=LOG, printer=printer)
    assert notes == [note]
    assert not (tmp_path / "out" / "report.pdf").exists()
    assert (tmp_path / "out" / "report.html").exists()


def test_a_child_without_a_failure_line_is_a_runtime_error() -> None:
    error = _child_error("Segmentation fault\n", -11)
    assert isinstance(error, RuntimeError) and "exited with code -11" in str(error)
    error = _child_error('Traceback ...\n{"kind": "KeyError", "message": "x"}\n', 1)
    assert isinstance(error, RuntimeError) and "Traceback" in str(error)


def test_the_warm_up_page_prints_with_the_reports_stylesheet() -> None:
    # A warm-up that failed would be swallowed (the real page reports failures) and
    # silently gain nothing: it must print, and carry what a report page carries.
    page = warm_up_page()
    assert html.stylesheet() in page
    for element in ("<table", "<svg", "<code>", "<strong>", "<figcaption>"):
        assert element in page
    assert html_to_pdf(page).startswith(b"%PDF-")


_PRINT = (
    "import sys; sys.path.insert(0, sys.argv[1]); from openclarify.report import pdf; "
    "{warm}sys.stdout.buffer.write(pdf.html_to_pdf(sys.stdin.read()))"
)


def test_a_warmed_up_process_prints_the_bytes_of_a_cold_one() -> None:
    page = _page()
    src = str(Path(pdf_module.__file__).resolve().parents[2])
    printed = [
        subprocess.run(
            [sys.executable, "-c", _PRINT.format(warm=warm), src],
            input=page.encode("utf-8"),
            capture_output=True,
            check=True,
        ).stdout
        for warm in ("", "pdf._warm_up(); ")
    ]
    assert printed[0].startswith(b"%PDF-")
    assert printed[0] == printed[1]


def test_the_child_warms_up_only_before_the_page_arrives() -> None:
    read, write = os.pipe()
    with os.fdopen(read, "rb") as stream, os.fdopen(write, "wb") as sink:
        assert not _readable(stream)  # nothing sent yet: time to warm up
        sink.write(b"<html>")
        sink.flush()
        assert _readable(stream)  # the page is arriving: print it at once
    with tempfile.TemporaryFile() as file:
        assert _readable(file)  # a file is always ready (select says so)


def test_weasyprint_subsets_fonts_with_harfbuzz() -> None:
    # Without libharfbuzz-subset weasyprint subsets the report's fonts with fontTools,
    # in Python: the same report, about 0.2 s slower to print (and other font bytes).
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None:
        message = "libharfbuzz-subset0 is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
