"""Configs made by the real SageMaker SDK run unchanged through the container.

``make_sdk_configs.py`` (run with ``sagemaker==2.257.7``) wrote each case's
``analysis_config.json`` with ``_AnalysisConfigGenerator``; ``make goldens``
wrote ``expected.json`` with smclarify 0.5.  Here each case is laid out as a
SageMaker Processing job would see it, the container entry point runs, and the
result must equal smclarify's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openclarify.cli import main

from ..golden.compare import assert_matches_golden

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.parent.name for p in CASES.glob("*/analysis_config.json"))


def _layout(case: str, base: Path) -> Path:
    config_dir = base / "processing" / "input" / "config"
    config_dir.mkdir(parents=True)
    shutil.copy(CASES / case / "analysis_config.json", config_dir / "analysis_config.json")
    shutil.copytree(CASES / case / "data", base / "processing" / "input" / "data")
    return base


def test_at_least_five_sdk_cases() -> None:
    assert len(CASE_NAMES) >= 5
    for case in CASE_NAMES:
        assert (CASES / case / "sdk_call.txt").exists(), case
        assert (CASES / case / "expected.json").exists(), (
            f"missing golden for {case}: run `make goldens`"
        )


@pytest.mark.parametrize("case", CASE_NAMES)
def test_sdk_config_runs_unchanged_in_container(case: str, tmp_path: Path) -> None:
    base = _layout(case, tmp_path)
    assert main(["container", "--base-dir", str(base)]) == 0
    message = (base / "output" / "message").read_text()
    assert message.startswith("Completed: openclarify analysis ran successfully")
    ours = json.loads((base / "processing" / "output" / "analysis.json").read_text())
    expected = json.loads((CASES / case / "expected.json").read_text())
    assert_matches_golden(ours, expected, case)


def test_container_entry_point_as_a_process(tmp_path: Path) -> None:
    """``python -m openclarify container`` — what the image's entrypoint execs."""
    base = _layout("pre_and_post", tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "openclarify", "container", "--base-dir", str(base)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    text = (base / "processing" / "output" / "analysis.json").read_text()
    assert text.startswith('{\n    "version": "1.0",\n    "post_training_bias_metrics": {')
