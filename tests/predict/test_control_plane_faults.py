"""An unreachable SageMaker control plane is a PredictorError (exit 5), never a traceback.

Real boto3 clients pointed (through ``AWS_ENDPOINT_URL_SAGEMAKER``) at a closed
port, a host that does not resolve and a server that accepts connections but
never answers; and no credentials at all.  Each failure names the operation and
the endpoint (or endpoint config), and says what was left behind when even the
deletion could not reach the service.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest

from openclarify import cleanup
from openclarify.config import load_config
from openclarify.data.table import load_bias_table
from openclarify.errors import PredictorError
from openclarify.predict import PredictRuntime, predictions_for
from openclarify.predict.shadow import ShadowEndpoint, control_client
from tests.predict.data import config, frame, write
from tests.unreachable import SilentServer, closed_port_url

SHADOW = {"model_name": "my-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1}
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def hanging_server() -> Iterator[str]:
    """Accepts connections and reads, never answers."""
    server = SilentServer()
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return monkeypatch


def _predict(tmp_path: Path, predictor: dict[str, Any], client: Any = None) -> Any:
    document = config(predictor)
    dataset = write(tmp_path / "rows.csv", frame())
    table = load_bias_table(load_config(document), dataset)
    runtime = PredictRuntime(rng=random.Random(3), sleep=lambda _: None, sagemaker_client=client)
    return predictions_for(load_config(document), table, runtime=runtime)


@pytest.mark.parametrize("where", ["closed port", "unresolvable host"])
def test_unreachable_service_names_the_operation_and_what_is_left(
    tmp_path: Path, aws_env: pytest.MonkeyPatch, where: str
) -> None:
    url = (
        closed_port_url() if where == "closed port" else "http://sagemaker.does-not-resolve.invalid"
    )
    aws_env.setenv("AWS_ENDPOINT_URL_SAGEMAKER", url)
    with pytest.raises(PredictorError) as error:
        # two attempts instead of five: the same code path, a quarter of the backoff
        _predict(tmp_path, SHADOW, control_client(read_timeout=5, max_attempts=2))
    problem = error.value.problem
    assert problem.startswith("CreateEndpointConfig 'sm-clarify-config-")
    assert "could not reach the SageMaker API after retries: EndpointConnectionError" in problem
    # the config may or may not exist on the far side: its deletion failed too, and says so
    assert "and could not delete endpoint config 'sm-clarify-config-" in problem
    assert "network path to SageMaker" in (error.value.fix or "")
    assert cleanup._actions == {}


def test_hanging_service_times_out_as_the_predictor_says(
    tmp_path: Path, aws_env: pytest.MonkeyPatch, hanging_server: str
) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL_SAGEMAKER", hanging_server)
    predictor = {**SHADOW, "openclarify": {"timeout_seconds": 1}}
    with pytest.raises(PredictorError) as error:
        _predict(tmp_path, predictor, control_client(read_timeout=1, max_attempts=2))
    assert "could not reach the SageMaker API after retries: ReadTimeoutError" in (
        error.value.problem
    )


def test_missing_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", closed_port_url())
    # a new default session: the one earlier tests made holds their credentials
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    with pytest.raises(PredictorError) as error:
        _predict(tmp_path, SHADOW, control_client(max_attempts=1))
    assert (
        error.value.problem.startswith("CreateEndpointConfig 'sm-clarify-config-")
        and "could not be signed: NoCredentialsError" in error.value.problem
    )
    assert "credentials" in (error.value.fix or "")


class _DeletesUnreachable:
    """A control-plane client whose create/describe work and whose deletes cannot connect."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create_endpoint_config(self, **kwargs: Any) -> None:
        self.created.append(kwargs["EndpointConfigName"])

    def create_endpoint(self, **kwargs: Any) -> None:
        self.created.append(kwargs["EndpointName"])

    def describe_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        return {"EndpointStatus": "InService"}

    def _unreachable(self, **kwargs: Any) -> None:
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    delete_endpoint = delete_endpoint_config = _unreachable


def test_endpoint_left_behind_after_success_fails_the_job_and_names_it() -> None:
    client = _DeletesUnreachable()
    endpoint = ShadowEndpoint(client, "my-model", "ml.m5.xlarge", 1, sleep=lambda _: None)
    with pytest.raises(PredictorError) as error, endpoint as name:
        assert name in client.created
    problem = error.value.problem
    assert problem.startswith("the analysis finished but the shadow endpoint could not be deleted")
    assert f"endpoint '{client.created[1]}' (EndpointConnectionError)" in problem
    assert f"endpoint config '{client.created[0]}'" in problem
    assert "delete-endpoint" in (error.value.fix or "")
    assert cleanup._actions == {}


def test_endpoint_left_behind_after_an_error_is_named_in_that_error() -> None:
    client = _DeletesUnreachable()
    endpoint = ShadowEndpoint(client, "my-model", "ml.m5.xlarge", 1, sleep=lambda _: None)
    with pytest.raises(PredictorError) as error, endpoint:
        raise PredictorError("$.predictor", "the model returned a model error")
    assert error.value.problem.startswith("the model returned a model error; and could not delete")
    assert client.created[1] in error.value.problem


def test_container_exit_5_one_line_no_traceback(
    tmp_path: Path, aws_env: pytest.MonkeyPatch
) -> None:
    """Through the real front door with the default retries (five attempts)."""
    base = tmp_path / "ml"
    (base / "processing" / "input" / "config").mkdir(parents=True)
    (base / "processing" / "input" / "data").mkdir(parents=True)
    document = config(SHADOW)
    document["methods"] = {"post_training_bias": {"methods": ["DPPL"]}}
    (base / "processing" / "input" / "config" / "analysis_config.json").write_text(
        json.dumps(document)
    )
    write(base / "processing" / "input" / "data" / "rows.csv", frame())
    aws_env.setenv("AWS_ENDPOINT_URL_SAGEMAKER", closed_port_url())
    done = subprocess.run(
        [sys.executable, "-m", "openclarify", "container", "--base-dir", str(base)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    assert done.returncode == 5, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    message = (base / "output" / "message").read_text()
    assert message.count("\n") == 1 and len(message.encode()) <= 1025
    assert message.startswith("ClientError: $.predictor: CreateEndpointConfig 'sm-clarify-config-")
