"""Every sample case renders: the HTML parses and shows every metric value, a
headless Chromium draws it, the PDF prints to non-blank pages, and the notebook
re-runs from analysis.json with the same values."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from openclarify.bias.registry import BY_CODE
from openclarify.report.content import format_value, to_float

from .conftest import (
    CASES,
    MODEL_CASES,
    SAMPLES,
    Rendered,
    document_metrics,
    exact,
    parse_page,
    png_is_not_blank,
    render_case,
    require_binary,
)

#: Pages a sample report prints to (A4): 1-4 facet groups, up to 21 metrics each.
PDF_PAGES = range(2, 21)


#: Sample cases whose report is proven by their own tests (a folder of images and its
#: model server: tests/explain/image/test_image_report.py and test_sample.py).
#: Samples whose reports are checked by their own tests: images (tests/explain/image),
#: text (tests/report/test_text_report.py); time series writes no report, as Clarify.
COVERED_ELSEWHERE = {"image_classification", "text_reviews", "time_series"}


def test_every_sample_case_is_covered() -> None:
    folders = {p.name for p in SAMPLES.iterdir() if (p / "analysis_config.json").exists()}
    assert folders == set(CASES) | COVERED_ELSEWHERE


@pytest.fixture(scope="module", params=sorted(CASES))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    case = request.param
    server = request.getfixturevalue("model_server") if case in MODEL_CASES else None
    return render_case(case, tmp_path_factory.mktemp(case), server)


def test_reports_are_written_without_notes(rendered: Rendered) -> None:
    assert rendered.notes == []
    for path in (rendered.html, rendered.ipynb, rendered.pdf):
        assert path.stat().st_size > 1000, path.name


def test_html_parses_and_shows_every_metric_value(rendered: Rendered) -> None:
    page = parse_page(rendered.html.read_text(encoding="utf-8"))
    assert page.unbalanced == [] and page.stack == []
    # Self-contained and inert: no script, nothing loaded from anywhere.
    assert page.scripts == 0
    assert page.external == []
    metrics = document_metrics(rendered.document)
    assert len(metrics) > 0
    expected = [
        (exact(m["value"]), "error" if "error" in m else format_value(to_float(m["value"])))
        for m in metrics
    ]
    assert page.values == expected
    text = " ".join(page.text)
    for metric in metrics:
        spec = BY_CODE[metric["name"]]
        assert metric["description"] in text
        assert spec.value_range in text
        if "error" in metric:
            assert metric["error"] in text


def test_html_states_the_label_facets_and_basic_statistics(rendered: Rendered) -> None:
    text = " ".join(parse_page(rendered.html.read_text(encoding="utf-8")).text)
    section = rendered.document.get("pre_training_bias_metrics") or rendered.document.get(
        "post_training_bias_metrics"
    )
    assert section is not None
    assert f"with positive value(s) {section['label_value_or_threshold']}" in text
    for facet in section["facets"]:
        assert f"Facet {facet}" in text
    assert rendered.stats is not None
    assert f"{rendered.stats.rows:,} rows" in text
    if "post_training_bias_metrics" in rendered.document:
        assert rendered.stats.performance is not None
        accuracy = rendered.stats.performance.metrics[0]
        assert accuracy.name == "Accuracy" and accuracy.value is not None
        assert f"{accuracy.value:.4f}" in text


def test_chromium_screenshot_is_not_blank(rendered: Rendered, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1024,1400",
            f"--screenshot={shot}",
            rendered.html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    png_is_not_blank(shot)


def test_pdf_pages_render_to_non_blank_images(rendered: Rendered, tmp_path: Path) -> None:
    pdftoppm = require_binary("pdftoppm")
    assert rendered.pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(
        [pdftoppm, "-r", "40", "-png", str(rendered.pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) in PDF_PAGES
    for page in pages:
        png_is_not_blank(page)


def test_notebook_reruns_from_analysis_json(rendered: Rendered) -> None:
    notebook = nbformat.read(rendered.ipynb, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []  # prove the outputs come from running the cells
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(rendered.folder)}},
    ).execute()
    html = "".join(
        output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert not any(
        output.get("output_type") == "error"
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    rows = parse_page(html).values
    metrics = document_metrics(rendered.document)
    assert [value for value, _ in rows] == [exact(m["value"]) for m in metrics]


def test_stored_notebook_outputs_equal_the_html_sections(rendered: Rendered) -> None:
    notebook = nbformat.read(rendered.ipynb, as_version=4)
    page = rendered.html.read_text(encoding="utf-8")
    fragments = [
        output["data"]["text/html"]
        for cell in notebook.cells[2:]
        for output in cell.outputs
        if "text/html" in output.get("data", {})
    ]
    assert len(fragments) >= 4
    for fragment in fragments:
        inner = fragment.removeprefix('<div class="oc-report">').removesuffix("</div>")
        assert inner in page


@pytest.fixture(scope="module")
def explained(model_server: str, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render_case("explain_local_model", tmp_path_factory.mktemp("explained"), model_server)


def test_shap_and_pdp_sections_carry_the_values(explained: Rendered) -> None:
    text = " ".join(parse_page(explained.html.read_text(encoding="utf-8")).text)
    kernel_shap = explained.document["explanations"]["kernel_shap"]["approved"]
    for feature, value in kernel_shap["global_shap_values"].items():
        assert feature in text
        assert f"{value:.4f}" in text
    pdp = explained.document["explanations"]["pdp"]
    assert len(pdp) == 3
    for plot in pdp:
        assert plot["feature_name"] in text
