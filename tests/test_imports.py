"""A small CSV bias job imports only what it uses: the fixed cost of every job.

Each heavy dependency lives in the one module that uses it (ARCHITECTURE.md,
"Dependencies point one way") and is imported when that module first runs.  The
packages that carry a module-level ``__getattr__`` (``openclarify``,
``openclarify.backend``, ``openclarify.monitor``) import their parts on first use,
so that importing a light module does not load its siblings.

The job as the image runs it (``openclarify container``) writes its first log
line before it imports the analysis: the data and config libraries load after it.
"""

from __future__ import annotations

import json
import shutil
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
#: What a CSV bias job needs, loaded only once it knows it runs the analysis: not
#: before the container's first log line, and not by ``import openclarify``.
ANALYSIS = ("numpy", "pandas", "pyarrow", "pydantic", "pydantic_core")
#: Runs the command line in this process as ``python -m openclarify`` does and, at
#: its exit (this atexit handler is the first registered, so it runs last), prints
#: the top-level packages loaded at the end and at the first write to stderr.
PROBE = """
import atexit, json, runpy, sys
first_line = None
class Stderr:
    def __init__(self, stream):
        self.stream = stream
    def write(self, text):
        global first_line
        if first_line is None:
            first_line = sorted({name.split(".")[0] for name in sys.modules})
        return self.stream.write(text)
    def __getattr__(self, name):
        return getattr(self.stream, name)
sys.stderr = Stderr(sys.stderr)
def report():
    loaded = sorted({name.split(".")[0] for name in sys.modules})
    print(json.dumps({"loaded": loaded, "first_line": first_line}), flush=True)
atexit.register(report)
sys.argv = ["openclarify", *sys.argv[1:]]
runpy.run_module("openclarify", run_name="__main__")
"""


def _probe(*argv: str) -> dict[str, list[str]]:
    """The packages the command ``openclarify *argv`` loaded, at exit and at its first log line."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    return result


def _heavy(packages: list[str] | None) -> list[str]:
    return sorted(set(HEAVY) & set(packages or []))


def _analyze(tmp_path: Path, config: dict[str, Any]) -> dict[str, list[str]]:
    (tmp_path / "analysis_config.json").write_text(json.dumps(config))
    result = _probe(
        "analyze",
        "--config",
        str(tmp_path / "analysis_config.json"),
        "--dataset",
        str(SAMPLE / "loans.csv"),
        "--output",
        str(tmp_path / "out"),
    )
    assert (tmp_path / "out" / "analysis.json").exists()
    return result


def _container(tmp_path: Path, config: dict[str, Any]) -> dict[str, list[str]]:
    """The image's command on a SageMaker Processing layout under ``tmp_path``."""
    inputs = tmp_path / "processing" / "input"
    (inputs / "config").mkdir(parents=True)
    (inputs / "data").mkdir()
    (inputs / "config" / "analysis_config.json").write_text(json.dumps(config))
    shutil.copy(SAMPLE / "loans.csv", inputs / "data")
    result = _probe("container", "--base-dir", str(tmp_path))
    assert (tmp_path / "processing" / "output" / "analysis.json").exists()
    message = (tmp_path / "output" / "message").read_text()
    assert message.startswith("Completed"), message
    return result


@pytest.fixture(scope="module")
def sample_config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((SAMPLE / "analysis_config.json").read_text())
    return config


@pytest.fixture(scope="module")
def bias_only(sample_config: dict[str, Any]) -> dict[str, Any]:
    """The sample's bias job without ``methods.report``."""
    methods = {k: v for k, v in sample_config["methods"].items() if k != "report"}
    return {**sample_config, "methods": methods}


def test_import_openclarify_loads_neither_the_analysis_nor_any_heavy_package() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, openclarify; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = set(json.loads(done.stdout))
    assert loaded & {*HEAVY, *ANALYSIS} == set()


def test_a_csv_bias_job_imports_none_of_the_heavy_packages(
    tmp_path: Path, bias_only: dict[str, Any]
) -> None:
    assert _heavy(_analyze(tmp_path, bias_only)["loaded"]) == []


def test_the_container_job_logs_before_it_imports_the_analysis(
    tmp_path: Path, bias_only: dict[str, Any]
) -> None:
    result = _container(tmp_path, bias_only)
    # the probe itself saw the first log line, and then the analysis ran with pandas
    assert result["first_line"] is not None
    assert set(ANALYSIS) <= set(result["loaded"])
    assert set(result["first_line"]) & {*HEAVY, *ANALYSIS} == set()
    assert _heavy(result["loaded"]) == []


def test_reports_add_only_the_report_extra(tmp_path: Path, sample_config: dict[str, Any]) -> None:
    loaded = _analyze(tmp_path, sample_config)["loaded"]
    # PIL comes with matplotlib and weasyprint (their dependency), not from the image code
    assert set(_heavy(loaded)) <= {"jinja2", "matplotlib", "nbformat", "weasyprint", "PIL"}
