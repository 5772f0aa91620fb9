"""Fuzzed predictors that cannot be reached: a result or one located UserError, never a traceback.

Each example is a post-training config whose model is an existing endpoint
(``endpoint_name``), a shadow endpoint (``model_name``) or a model server
(``predictor.openclarify.endpoint_url``), and whose service — the SageMaker
control plane and runtime through ``AWS_ENDPOINT_URL_SAGEMAKER`` /
``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``, or the server URL — is a closed port, a
host that does not resolve, or a server that accepts connections and never
answers.  Content types and timeouts vary too.  The predictions go through the
real boto3 clients and HTTP transport; the control-plane client is built with two
attempts instead of five and the runtime's backoff sleeps are skipped: the same
code paths, a fraction of the waiting.

``make test`` runs 12 examples; ``-m fuzz`` (CI) runs 150.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openclarify.config import load_config
from openclarify.data.table import load_bias_table
from openclarify.job import plan_analysis
from openclarify.predict import PredictRuntime, predictions_for
from openclarify.predict.shadow import control_client
from tests.predict.data import config, frame, write
from tests.unreachable import SilentServer, closed_port_url

from .harness import outcome

FAST_EXAMPLES = 12
FULL_EXAMPLES = 150


_SILENT: list[SilentServer] = []


def _address(kind: str) -> str:
    if kind == "closed port":
        return closed_port_url()
    if kind == "unresolvable host":
        return "http://model.does-not-resolve.invalid:8080"
    if not _SILENT:
        _SILENT.append(SilentServer())
    return _SILENT[0].url


@st.composite
def unreachable_predictors(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    target = draw(st.sampled_from(["endpoint_name", "model_name", "endpoint_url"]))
    where = draw(st.sampled_from(["closed port", "unresolvable host", "hanging server"]))
    content = draw(st.sampled_from(["text/csv", "application/jsonlines"]))
    predictor: dict[str, Any] = {"content_type": content, "accept_type": content}
    if content == "application/jsonlines":
        predictor["content_template"] = '{"features":$features}'
        predictor["label"] = "predicted_label"
    timeout = draw(st.sampled_from([1, 2]))
    extension: dict[str, Any] = {"timeout_seconds": timeout}
    if draw(st.booleans()):
        extension["max_concurrency"] = draw(st.integers(1, 4))
    if target == "endpoint_name":
        predictor["endpoint_name"] = draw(st.sampled_from(["my-endpoint", "e" * 63]))
    elif target == "model_name":
        predictor["model_name"] = draw(st.sampled_from(["my-model", "m" * 60]))
        predictor["instance_type"] = "ml.m5.xlarge"
        predictor["initial_instance_count"] = draw(st.integers(1, 3))
    else:
        extension["endpoint_url"] = "ADDRESS"
    predictor["openclarify"] = extension
    return predictor, where


@contextmanager
def _services_at(address: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in _ENVIRONMENT}
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_SAGEMAKER": address,
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": address,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_ENVIRONMENT = (
    "AWS_ENDPOINT_URL_SAGEMAKER",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_EC2_METADATA_DISABLED",
)


def check(tmp_path: Path, predictor: dict[str, Any], where: str) -> None:
    address = _address(where)
    if predictor["openclarify"].get("endpoint_url") == "ADDRESS":
        predictor["openclarify"]["endpoint_url"] = address
    document = config(predictor)
    document["methods"] = {"post_training_bias": {"methods": ["DPPL", "DI"]}}
    dataset = write(tmp_path / "rows.csv", frame(40))

    def predict() -> None:
        with _services_at(address):
            parsed = load_config(document)
            plan_analysis(parsed)
            table = load_bias_table(parsed, dataset)
            runtime = PredictRuntime(
                rng=random.Random(0),
                sleep=lambda _: None,
                sagemaker_client=control_client(read_timeout=1, max_attempts=2),
            )
            predictions_for(parsed, table, runtime=runtime)

    result = outcome("predictor.unreachable", predict)
    assert result == "user_error"  # nothing can answer, so nothing can succeed


_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


@settings(max_examples=FAST_EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
@given(unreachable_predictors())
def test_unreachable_predictors_fast(tmp_path: Path, case: tuple[dict[str, Any], str]) -> None:
    check(tmp_path, *case)


@pytest.mark.fuzz
@settings(max_examples=FULL_EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
@given(unreachable_predictors())
def test_unreachable_predictors_full(tmp_path: Path, case: tuple[dict[str, Any], str]) -> None:
    check(tmp_path, *case)
