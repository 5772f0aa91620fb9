"""The lab notebook (examples/detect_data_bias.ipynb) runs top to bottom, offline.

The kernel is the SDK's side venv (``.venv-sdk``: the pinned ``sagemaker``), with the
main environment's site-packages appended for what it lacks (ipykernel, moto, the
report and mitigation extras) — so the lab's SDK calls run as they are, with the one
import changed.  S3 is the moto server the notebook starts.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
sys.path.insert(0, str(EXAMPLES))
import build_lab_notebook as lab  # noqa: E402

LAB_FILES = ["analysis.json", "analysis_config.json", "report.html", "report.ipynb", "report.pdf"]


def _code_cell(notebook: Any, starts: str) -> Any:
    return next(c for c in notebook.cells if c.cell_type == "code" and starts in c.source)


def _value(cell: Any) -> str:
    return next(o for o in cell.outputs if o.output_type == "execute_result")["data"]["text/plain"]


def test_the_committed_notebook_is_the_built_one_with_outputs() -> None:
    import nbformat

    committed = nbformat.read(lab.NOTEBOOK, as_version=4)
    assert [c.source for c in committed.cells] == [source for _, source in lab.CELLS]
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert all(c.outputs for c in code[1:]), "run examples/build_lab_notebook.py"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)


@pytest.mark.slow
def test_the_notebook_runs_end_to_end(tmp_path: Path) -> None:
    if not SDK_PYTHON.is_file():
        message = "no .venv-sdk: run `make .venv-sdk/.installed` (the pinned SageMaker SDK)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    home = tmp_path / "home"
    home.mkdir()
    (home / "aws").write_text("")
    env = {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(EXAMPLES)]),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "aws"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    site = str(next(Path(sys.prefix).glob("lib/python3*/site-packages")))
    notebook = lab.execute(lab.build(), tmp_path, str(SDK_PYTHON), site, env)  # raises on error
    listing = _code_cell(notebook, 'ls("bias/generated_bias_report/unbalanced")')
    assert json.loads(_value(listing).replace("'", '"')) == LAB_FILES
    balanced = _code_cell(notebook, 'ls("bias/generated_bias_report/balanced")')
    assert json.loads(_value(balanced).replace("'", '"')) == LAB_FILES
    table = _code_cell(notebook, 'balanced[["CI", "DPL"]]')
    rows = [line.split() for line in _value(table).splitlines()[1:]]
    assert {row[-1] for row in rows} == {"0.0"}  # DPL 0 for every category
    assert len({row[-2] for row in rows}) == 1  # one CI for all
    plot = _code_cell(notebook, "result.plot()")
    assert "image/svg+xml" in plot.outputs[0]["data"]
    assert (tmp_path / "womens_clothing_ecommerce_reviews_balanced.csv").is_file()


def _page(notebook: Any) -> str:
    """The executed notebook as one HTML page: markdown as text, each cell's richest output."""
    import html

    parts = ["<!doctype html><meta charset='utf-8'><body style='font-family:sans-serif'>"]
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(f"<pre>{html.escape(cell.source)}</pre>")
            continue
        parts.append(f"<pre style='background:#eef'>{html.escape(cell.source)}</pre>")
        for output in cell.outputs:
            data = output.get("data", {})
            if "image/svg+xml" in data:
                parts.append(data["image/svg+xml"])
            elif "text/html" in data:
                parts.append(data["text/html"])
            elif "text/plain" in data or "text" in output:
                parts.append(
                    f"<pre>{html.escape(data.get('text/plain', output.get('text', '')))}</pre>"
                )
    return "\n".join(parts)


@pytest.mark.slow  # a headless Chromium start
def test_the_executed_notebook_renders_in_a_browser(tmp_path: Path) -> None:
    """Chromium draws the committed outputs (tables, the SVG plot): a screenshot check."""
    import subprocess

    import nbformat

    from ..report.conftest import png_is_not_blank, require_binary

    chromium = require_binary("chromium")
    page = tmp_path / "notebook.html"
    page.write_text(_page(nbformat.read(lab.NOTEBOOK, as_version=4)), encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1024,4000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    png_is_not_blank(shot)
    assert "<svg" in page.read_text() and "<table" in page.read_text()
