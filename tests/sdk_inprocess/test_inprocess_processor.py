"""The in-process processor with the pinned SDK's own objects (sagemaker 2.257.7).

The SDK lives in its side venv (``.venv-sdk``), so ``driver.py`` runs there and the
checks run here: for every ``tests/sdk_configs`` case the processor wrote the SDK
generator's ``analysis_config.json`` and the container path's ``analysis.json``; a
``run_explainability`` with a live model equals the library's run; the lab's calls
run on S3 (moto) with only the import changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import joblib
import pytest

import openclarify
from openclarify.cli import main
from openclarify.results import dumps_analysis

from ..sdk_configs.test_sdk_configs import CASE_NAMES, _layout
from .linear_model import score

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
DRIVER = Path(__file__).with_name("driver.py")
sys.path.insert(0, str(ROOT / "examples"))
from womens_clothing_reviews import reviews  # noqa: E402

LAB_FILES = ["analysis.json", "analysis_config.json", "report.html", "report.ipynb", "report.pdf"]


def _env(home: Path, **extra: str) -> dict[str, str]:
    """Fake credentials, a region and no AWS config files: nothing of the caller's setup."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGEMAKER_"))}
    home.mkdir(parents=True, exist_ok=True)
    (home / "aws").write_text("")
    site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(home / "aws"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws"),
        AWS_EC2_METADATA_DISABLED="true",
        SAGEMAKER_SUPPRESS_V2_WARNING="1",
        HOME=str(home),
        PYTHONPATH=str(ROOT / "src"),
        OPENCLARIFY_FALLBACK_SITE=str(site),
        **extra,
    )
    return env


def _drive(work: Path, *args: str, **env: str) -> None:
    if not SDK_PYTHON.is_file():
        message = "no .venv-sdk: run `make .venv-sdk/.installed` (the pinned SageMaker SDK)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(
        [str(SDK_PYTHON), str(DRIVER), str(work), *args],
        env=_env(work / "home", **env),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def driven(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("inprocess")
    _drive(work)
    return work


@pytest.mark.slow  # the driver runs every case once (~40 s), in the SDK's venv
@pytest.mark.parametrize("case", CASE_NAMES)
def test_sdk_objects_give_the_generators_config_and_the_containers_results(
    driven: Path, case: str, tmp_path: Path
) -> None:
    out = driven / "cases" / case
    written = (out / "output" / "analysis_config.json").read_text()
    # the SDK's generator, for the same objects, in the same process
    assert written == (out / "generated.json").read_text()
    # ... and the fixture the generator wrote when the case was made
    fixture = ROOT / "tests" / "sdk_configs" / "cases" / case / "analysis_config.json"
    assert json.loads(written) == json.loads(fixture.read_text())
    assert sorted(p.name for p in (out / "output").iterdir()) == LAB_FILES
    base = _layout(case, tmp_path)
    assert main(["container", "--base-dir", str(base)]) == 0
    container = (base / "processing" / "output" / "analysis.json").read_text()
    assert (out / "output" / "analysis.json").read_text() == container


@pytest.mark.slow
def test_job_names_follow_the_sdk(driven: Path) -> None:
    assert (
        (driven / "cases" / "pre_csv_header" / "job_name.txt")
        .read_text()
        .startswith("Clarify-Pretraining-Bias-")
    )
    assert (
        (driven / "cases" / "pre_and_post" / "job_name.txt").read_text().startswith("Clarify-Bias-")
    )


@pytest.mark.slow
def test_run_explainability_with_a_live_model_equals_the_library(
    driven: Path, tmp_path: Path
) -> None:
    out = driven / "explain"
    written = (out / "output" / "analysis_config.json").read_text()
    assert written == (out / "generated.json").read_text()
    config = json.loads(written)
    assert config["predictor"]["model_name"] == "loan-model"
    joblib.dump(score, tmp_path / "model.joblib")
    config["predictor"]["openclarify"] = {
        "model_path": str(tmp_path / "model.joblib"),
        "allow_code_execution": True,
    }
    result = openclarify.analyze(config, (out / "dataset.txt").read_text())
    assert (out / "output" / "analysis.json").read_text() == dumps_analysis(result.to_dict())
    assert result.shap is not None
    shap = out / "output" / "explanations_shap"
    assert (shap / "out.csv").read_text() == result.shap.local_csv()


@pytest.mark.slow
def test_the_lab_on_s3_with_one_import_changed(tmp_path: Path) -> None:
    from tests.moto_server import moto_server

    dataset = tmp_path / "womens_clothing_ecommerce_reviews_transformed.csv"
    reviews(900).to_csv(dataset, index=False)
    bucket = f"openclarify-{uuid.uuid4().hex[:12]}"
    with moto_server() as port:
        url = f"http://127.0.0.1:{port}"
        import boto3

        boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=bucket)
        _drive(
            tmp_path,
            "--endpoint-url",
            url,
            "--bucket",
            bucket,
            "--dataset",
            str(dataset),
            AWS_ENDPOINT_URL_S3=url,
        )
    for run in ("unbalanced", "balanced"):
        folder = tmp_path / "lab" / run
        assert json.loads((folder / "keys.json").read_text()) == LAB_FILES
        assert (folder / "status.txt").read_text() == "Completed"
        config = json.loads((folder / "analysis_config.json").read_text())
        expected = openclarify.analyze(config, (folder / "dataset.txt").read_text())
        assert (folder / "analysis.json").read_text() == dumps_analysis(expected.to_dict())
    balanced = json.loads((tmp_path / "lab" / "balanced" / "analysis.json").read_text())
    groups = balanced["pre_training_bias_metrics"]["facets"]["product_category"]
    values = {
        g["value_or_threshold"]: {m["name"]: m["value"] for m in g["metrics"]} for g in groups
    }
    # every (category, sentiment) cell holds the same number of rows: DPL is exactly 0
    # and CI is the same for every category, as the lab shows
    assert {v["DPL"] for v in values.values()} == {0.0}
    assert len({v["CI"] for v in values.values()}) == 1


def test_without_the_sdk_the_error_names_the_extra() -> None:
    pytest.importorskip("pandas")
    try:
        import sagemaker  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("the SDK is installed in this environment")
    with pytest.raises(ImportError, match=r"pip install 'openclarify\[sdk\]'"):
        import openclarify.clarify  # noqa: F401


@pytest.mark.slow  # the SDK's venv: a few seconds to import the SDK
def test_from_processing_name_describes_an_in_process_run_through_clarify_session(
    tmp_path: Path,
) -> None:
    from tests.unreachable import closed_port_url

    # anything that reaches the SageMaker API fails at once (a closed port, one attempt)
    _drive(
        tmp_path,
        "--from-processing-name",
        AWS_ENDPOINT_URL_SAGEMAKER=closed_port_url(),
        AWS_MAX_ATTEMPTS="1",
    )
    got = json.loads((tmp_path / "from_processing_name.json").read_text())
    assert got["job_name"] == got["latest_job"]
    assert got["job_name"].startswith("Clarify-Pretraining-Bias-")
    # the SDK's ProcessingJob, built from our answer, describes what latest_job does
    assert got["describe"] == got["latest_describe"]
    assert got["describe"]["ProcessingJobStatus"] == "Completed"
    assert got["outputs"] == [
        ["analysis_result", "/opt/ml/processing/output", str(tmp_path / "output")]
    ]
    assert (tmp_path / "output" / "analysis.json").is_file()
    # another name goes to the SageMaker API, and so does the SDK's own Session: no answer
    # is made up for a job that did not run here
    assert got["unknown_name"] == "EndpointConnectionError"
    assert got["sdk_session"] == "EndpointConnectionError"
