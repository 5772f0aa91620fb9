"""The text sample's report: top tokens and coloured records, in HTML, notebook and PDF.

The job runs against ``sample_configs/text_reviews/serve.py`` (a real process) and
writes its outputs as the command line does; the report must show every top token
of ``global_top_shap_text`` it charts, each explained record's units with their
attributions, and re-render the same text section when the notebook is re-run.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import openclarify
from openclarify.outputs import write_outputs
from openclarify.report.content import TOP_TOKENS
from tests.sample_server import serve_sample

from .conftest import SAMPLES, parse_page, png_is_not_blank, require_binary

CASE = SAMPLES / "text_reviews"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with serve_sample(CASE) as url:
        config = json.loads((CASE / "analysis_config.json").read_text())
        config["predictor"]["openclarify"]["endpoint_url"] = url
        folder = tmp_path_factory.mktemp("text_reviews")
        result = openclarify.analyze(config, CASE / "reviews.csv")
        done = write_outputs(result, folder, log=logging.getLogger("openclarify.tests.report"))
        assert done.notes == ()
        yield folder


def _units(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="unit" style="[^"]*" title="([^"]+)">([^<]*)</span>', html)


def test_html_shows_top_tokens_and_coloured_records(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    page = parse_page(html)
    assert page.unbalanced == [] and page.stack == [] and page.scripts == 0
    assert 'id="text"' in html and "Text attributions" in html
    document = json.loads((written / "analysis.json").read_text())
    top = document["explanations"]["kernel_shap"]["label0"]["global_top_shap_text"]["Review Text"]
    section = html[html.index('id="text"') :]
    for token in list(top)[:TOP_TOKENS]:
        assert token in section  # the chart's labels (SVG text)
    lines = (written / "explanations_shap" / "out.jsonl").read_text().splitlines()
    shown = _units(section)
    expected = []
    for line in lines[:3]:
        for unit in json.loads(line)["explanations"][0]["attributions"]:
            expected.append((f"{unit['attribution'][0]:.4f}", unit["description"]["partial_text"]))
    assert shown == expected


def test_pdf_prints_the_text_section(written: Path, tmp_path: Path) -> None:
    pdftoppm = require_binary("pdftoppm")
    subprocess.run(
        [pdftoppm, "-r", "40", "-png", str(written / "report.pdf"), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 2 <= len(pages) <= 6
    for page in pages:
        png_is_not_blank(page)


def test_notebook_reruns_to_the_same_text_section(written: Path) -> None:
    notebook = nbformat.read(written / "report.ipynb", as_version=4)
    stored = "".join(
        o.get("data", {}).get("text/html", "") for c in notebook.cells[2:] for o in c.outputs
    )
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(written)}}
    ).execute()
    rerun = "".join(
        o.get("data", {}).get("text/html", "") for c in notebook.cells[2:] for o in c.outputs
    )
    assert _units(rerun) == _units(stored) and _units(rerun)
