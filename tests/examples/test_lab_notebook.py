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
