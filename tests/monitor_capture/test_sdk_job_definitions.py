"""End to end with the real SDK: the job definitions it builds, run as monitoring executions.

``sdk_job_definitions.py`` (run with the pinned SDK in ``.venv-sdk``) creates a
``ModelBiasMonitor`` and a ``ModelExplainabilityMonitor`` schedule; the SDK uploads
their analysis configs to moto's S3 and sends ``CreateModelBiasJobDefinition`` /
``CreateModelExplainabilityJobDefinition`` / ``CreateMonitoringSchedule`` to a
control-plane stub on 127.0.0.1 (the SageMaker JSON protocol, reached through
``AWS_ENDPOINT_URL_SAGEMAKER``; boto3 is never patched).  What a job definition holds
— the ``ConfigUri`` object, ``Environment``, the ``EndpointInput`` attributes, the
ground truth and the baseline — is then laid out as the service lays out an
execution (env + ``/opt/ml/processing/...`` mounts) and the image's entry point runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest

from openclarify.container import run_container
from tests.emulator.model import DEFAULT_MODEL_NAME
from tests.emulator.server import UNSET_ENV_VARS, start_emulator
from tests.moto_server import moto_server

from .records import capture_line, csv_row, write_lines
from .test_execution import _worse, lay_out_execution, plain_analysis, traffic

#: The SDK subprocess, moto and two report renderings take about a minute.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
DRIVER = Path(__file__).with_name("sdk_job_definitions.py")
BUCKET = "monitor-sdk"


class _ControlPlane(BaseHTTPRequestHandler):
    """Answers the SageMaker JSON protocol: records each request, returns an ARN."""

    calls: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        operation = self.headers.get("X-Amz-Target", "").split(".")[-1]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.calls.append((operation, body))
        arn = "arn:aws:sagemaker:us-west-2:123456789012:"
        answers = {
            "CreateModelBiasJobDefinition": {
                "JobDefinitionArn": arn + "model-bias-job-definition/x"
            },
            "CreateModelExplainabilityJobDefinition": {
                "JobDefinitionArn": arn + "model-explainability-job-definition/x"
            },
            "CreateMonitoringSchedule": {"MonitoringScheduleArn": arn + "monitoring-schedule/x"},
        }
        status, answer = (
            (200, answers[operation])
            if operation in answers
            else (
                400,
                {"__type": "ValidationException", "message": f"stub: {operation} not answered"},
            )
        )
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def job_definitions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The SDK's requests (by operation) and the S3 objects they name, read back."""
    if not SDK_PYTHON.is_file():
        message = "SDK job-definition test: no .venv-sdk; run `make .venv-sdk/.installed`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    _ControlPlane.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ControlPlane)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = tmp_path_factory.mktemp("aws")
    (config / "config").write_text("")
    env = {k: v for k, v in os.environ.items() if k not in UNSET_ENV_VARS}
    try:
        with moto_server() as port:
            env.update(
                AWS_ENDPOINT_URL_SAGEMAKER=f"http://127.0.0.1:{server.server_port}",
                AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{port}",
                AWS_ACCESS_KEY_ID="testing",
                AWS_SECRET_ACCESS_KEY="testing",
                AWS_DEFAULT_REGION="us-west-2",
                AWS_CONFIG_FILE=str(config / "config"),
                AWS_SHARED_CREDENTIALS_FILE=str(config / "config"),
                AWS_EC2_METADATA_DISABLED="true",
            )
            s3 = boto3.client(
                "s3",
                endpoint_url=env["AWS_ENDPOINT_URL_S3"],
                region_name="us-west-2",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            s3.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
            )
            # the baseline the bias monitor names (the SDK reads it back when scheduling)
            baseline = _worse(plain_analysis(tmp_path_factory.mktemp("plain"), traffic()))
            s3.put_object(
                Bucket=BUCKET, Key="baseline/analysis.json", Body=json.dumps(baseline).encode()
            )
            done = subprocess.run(
                [
                    str(SDK_PYTHON),
                    str(DRIVER),
                    "--bucket",
                    BUCKET,
                    "--model-name",
                    DEFAULT_MODEL_NAME,
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr[-3000:]
            found: dict[str, Any] = {name: body for name, body in _ControlPlane.calls}
            for name in ("CreateModelBiasJobDefinition", "CreateModelExplainabilityJobDefinition"):
                spec = next(v for k, v in found[name].items() if k.endswith("AppSpecification"))
                bucket, key = spec["ConfigUri"][len("s3://") :].split("/", 1)
                found[name]["config"] = json.loads(
                    s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                )
            named = found["CreateModelBiasJobDefinition"]["ModelBiasBaselineConfig"]
            bucket, key = named["ConstraintsResource"]["S3Uri"][len("s3://") :].split("/", 1)
            found["baseline"] = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            yield found
    finally:
        server.shutdown()
        server.server_close()


def execution_env(definition: dict[str, Any], kind: str) -> dict[str, str]:
    """What a job definition tells the execution, as env (monitor contract §1.3, Q1)."""
    spec = definition[f"{kind}AppSpecification"]
    endpoint = definition[f"{kind}JobInput"]["EndpointInput"]
    env = dict(spec.get("Environment", {}))
    env["sagemaker_endpoint_name"] = endpoint["EndpointName"]
    env["sagemaker_monitoring_schedule_name"] = "schedule"
    env["start_time"], env["end_time"] = (
        "2024-01-19T19:00:00Z",
        "2024-01-19T20:00:00Z",
    )  # -PT1H/-PT0H
    names = {
        "FeaturesAttribute": "features_attribute",
        "InferenceAttribute": "inference_attribute",
        "ProbabilityAttribute": "probability_attribute",
        "ProbabilityThresholdAttribute": "probability_threshold_attribute",
        "ExcludeFeaturesAttribute": "exclude_features_attribute",
    }
    for field, name in names.items():
        if field in endpoint:
            env[name] = str(endpoint[field])
    return env


def test_the_sdk_bias_job_definition_holds_what_the_execution_reads(
    job_definitions: dict[str, Any],
) -> None:
    definition = job_definitions["CreateModelBiasJobDefinition"]
    assert definition["config"] == {
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
        "group_variable": "Age",
        "headers": ["Target", "Age", "Sex", "Income"],
        "label": "Target",
    }
    endpoint = definition["ModelBiasJobInput"]["EndpointInput"]
    assert (endpoint["ProbabilityAttribute"], endpoint["ProbabilityThresholdAttribute"]) == (
        "0",
        0.6,
    )
    assert definition["ModelBiasAppSpecification"]["Environment"] == {
        "publish_cloudwatch_metrics": "Enabled"
    }
    assert definition["ModelBiasBaselineConfig"]["ConstraintsResource"]["S3Uri"].endswith(
        "baseline/analysis.json"
    )


def test_the_sdk_bias_job_definition_runs_as_an_execution(
    job_definitions: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = job_definitions["CreateModelBiasJobDefinition"]
    frame = traffic()
    base = tmp_path / "ml"
    lay_out_execution(base, frame, definition["config"])
    constraints = base / "processing" / "baseline" / "constraints"
    constraints.mkdir(parents=True)
    (constraints / "analysis.json").write_bytes(job_definitions["baseline"])
    for key, value in execution_env(definition, "ModelBias").items():
        monkeypatch.setenv(key, value)
    assert run_container(base) == 0, (base / "output" / "message").read_text()
    output = base / "processing" / "output"
    written = json.loads((output / "analysis.json").read_text())
    # the SDK's subset asks for every metric of both stages and the report
    plain = plain_analysis(tmp_path, frame)
    assert written["pre_training_bias_metrics"] == plain["pre_training_bias_metrics"]
    assert written["post_training_bias_metrics"] == plain["post_training_bias_metrics"]
    assert {p.name for p in output.iterdir()} >= {
        "analysis.json",
        "constraint_violations.json",
        "report.html",
        "report.ipynb",
        "report.pdf",
    }
    assert (base / "output" / "message").read_text().startswith("CompletedWithViolations: ")
    assert list((base / "output" / "metrics" / "cloudwatch").glob("*.jsonl"))


def test_the_sdk_explainability_job_definition_runs_with_its_shadow_endpoint(
    job_definitions: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = job_definitions["CreateModelExplainabilityJobDefinition"]
    config = definition["config"]
    assert config["headers"] == ["x0", "x1", "x2"]
    assert config["predictor"]["model_name"] == DEFAULT_MODEL_NAME
    assert definition["ModelExplainabilityJobInput"]["EndpointInput"]["InferenceAttribute"] == "0"
    base = tmp_path / "ml"
    processing = base / "processing"
    (processing / "input" / "config").mkdir(parents=True)
    (processing / "input" / "config" / "analysis_config.json").write_text(json.dumps(config))
    rows = [[0.1, -0.2, 0.3], [1.0, 0.5, -0.5], [-1.0, 0.2, 0.1]]
    hour = processing / "input_data" / "loans-endpoint" / "AllTraffic" / "2024" / "01" / "19" / "19"
    write_lines(
        hour / "a.jsonl",
        [capture_line(csv_row(r), "0.5", event_id=str(i)) for i, r in enumerate(rows)],
    )
    emulator = start_emulator(n_features=3, patch_env=False)
    try:
        for key in UNSET_ENV_VARS:
            monkeypatch.delenv(key, raising=False)
        for key, value in emulator.environment(tmp_path / "aws").items():
            monkeypatch.setenv(key, value)
        for key, value in execution_env(definition, "ModelExplainability").items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("dataset_format", '{"sagemakerCaptureJson": {}}')
        assert run_container(base) == 0, (base / "output" / "message").read_text()
    finally:
        emulator.stop()
    written = json.loads((processing / "output" / "analysis.json").read_text())
    assert set(written["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == {
        "x0",
        "x1",
        "x2",
    }
    operations = [r.operation for r in emulator.requests]
    assert "CreateEndpoint" in operations and "DeleteEndpoint" in operations
    assert (base / "output" / "message").read_text().startswith("Completed: ")
