"""A small CSV bias job imports only what it uses: the fixed cost of every job.

Each heavy dependency lives in the one module that uses it (ARCHITECTURE.md,
"Dependencies point one way") and is imported when that module first runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "sample_configs" / "pre_training_csv"
#: Top-level packages a job must not load unless it uses them.
HEAVY = (
    "boto3",
    "botocore",
    "IPython",
    "PIL",
    "jinja2",
    "matplotlib",
    "nbclient",
    "nbformat",
    "pyspark",
    "scipy",
    "skimage",
    "sklearn",
    "spacy",
    "weasyprint",
)
#: Runs the command line in this process and prints the heavy packages it loaded.
PROBE = """
import json, runpy, sys
heavy = set(json.loads(sys.argv[1]))
sys.argv = ["openclarify", *sys.argv[2:]]
try:
    runpy.run_module("openclarify", run_name="__main__")
except SystemExit as exit:
    code = exit.code
else:
    code = 0
loaded = sorted(heavy & {name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}))
"""


def _loaded(tmp_path: Path, config: dict[str, Any]) -> list[str]:
    (tmp_path / "analysis_config.json").write_text(json.dumps(config))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            json.dumps(HEAVY),
            "analyze",
            "--config",
            str(tmp_path / "analysis_config.json"),
            "--dataset",
            str(SAMPLE / "loans.csv"),
            "--output",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] in (0, None), done.stderr
    assert (tmp_path / "out" / "analysis.json").exists()
    return list(result["loaded"])


@pytest.fixture(scope="module")
def sample_config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((SAMPLE / "analysis_config.json").read_text())
    return config


def test_a_csv_bias_job_imports_none_of_the_heavy_packages(
    tmp_path: Path, sample_config: dict[str, Any]
) -> None:
    methods = {k: v for k, v in sample_config["methods"].items() if k != "report"}
    assert _loaded(tmp_path, {**sample_config, "methods": methods}) == []


def test_reports_add_only_the_report_extra(tmp_path: Path, sample_config: dict[str, Any]) -> None:
    loaded = _loaded(tmp_path, sample_config)
    # PIL comes with matplotlib and weasyprint (their dependency), not from the image code
    assert set(loaded) <= {"jinja2", "matplotlib", "nbformat", "weasyprint", "PIL"}
