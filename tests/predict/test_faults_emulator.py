"""Faults through real boto3 clients against the emulator: retries, shrinking, clear errors."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openclarify.config import load_config
from openclarify.data.table import BiasTable, load_bias_table
from openclarify.errors import PredictorError
from openclarify.predict import PredictRuntime, predictions_for
from tests.emulator import DEFAULT_ENDPOINT_NAME, Emulator
from tests.predict.data import config, expected_scores, frame, write


def table(tmp_path: Path, document: dict[str, Any], n_rows: int = 400) -> BiasTable:
    dataset = write(tmp_path / "rows.csv", frame(n_rows))
    return load_bias_table(load_config(document), dataset)


def predict(
    tmp_path: Path, predictor: dict[str, Any] | None = None, n_rows: int = 400, **runtime: Any
) -> tuple[Any, PredictRuntime]:
    document = config({"endpoint_name": DEFAULT_ENDPOINT_NAME, **(predictor or {})})
    sleeps: list[float] = []
    run = PredictRuntime(rng=random.Random(0), sleep=sleeps.append, **runtime)
    result = predictions_for(load_config(document), table(tmp_path, document, n_rows), runtime=run)
    return result, run


def test_predictions_match_the_model(tmp_path: Path, emulator: Emulator) -> None:
    column, run = predict(tmp_path)
    assert column.name == "_aws_sagemaker_xai_predicted_labels_0"
    np.testing.assert_allclose(column.to_numpy(), expected_scores(frame()), rtol=0, atol=1e-15)
    assert run.stats is not None and run.stats.requests == 1


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("throttle", {}),
        ("server_error", {"status": 503}),
        ("server_error", {"status": 500}),
        ("model_not_ready", {}),
        ("reset", {}),
    ],
)
def test_transient_faults_are_retried(
    tmp_path: Path, emulator: Emulator, kind: str, options: dict[str, Any]
) -> None:
    emulator.inject(kind, times=3, **options)  # type: ignore[arg-type]
    column, _ = predict(tmp_path)
    np.testing.assert_allclose(column.to_numpy(), expected_scores(frame()), atol=1e-15)
    statuses = [r.status for r in emulator.invocations]
    assert len(statuses) == 4 and statuses[-1] == 200


def test_read_timeout_is_retried(tmp_path: Path, emulator: Emulator) -> None:
    slow = emulator.inject("slow", seconds=0.6)
    column, _ = predict(tmp_path, {"openclarify": {"timeout_seconds": 0.2}})
    assert len(column) == 400  # the second attempt answered
    assert slow.fired == 1


def test_persistent_throttling_gives_up_with_one_error(tmp_path: Path, emulator: Emulator) -> None:
    emulator.inject("throttle", times=None)
    with pytest.raises(PredictorError) as error:
        predict(tmp_path)
    assert error.value.exit_code == 5
    assert error.value.problem == (
        f"endpoint '{DEFAULT_ENDPOINT_NAME}' kept failing (HTTP 400) for the batch of 400 rows "
        "starting at row 1 after 6 attempts: ThrottlingException: Rate exceeded"
    )
    assert len(emulator.invocations) == 6


def test_model_error_quotes_the_model_and_the_first_row(tmp_path: Path, emulator: Emulator) -> None:
    secret = repr(float(frame().loc[250, "x1"]))
    emulator.inject(
        "model_error",
        times=None,
        min_records=1,
        after=1,
        status=400,
        message=f"could not convert string to float: '{secret}'",
    )
    with pytest.raises(PredictorError) as error:
        predict(tmp_path, {"openclarify": {"max_concurrency": 1, "max_payload_mb": 0.005}})
    message = str(error.value)
    assert "returned a model error (HTTP 400) for the batch of" in message
    assert "after 2 attempts: could not convert string to float: '<redacted>'" in message
    assert secret not in message
    first_batch = emulator.invocations[0].n_records
    assert f"rows starting at row {first_batch + 1} after" in message  # the second batch failed
    assert len(emulator.invocations) == 3  # one good batch, then two attempts


def test_payload_too_large_shrinks_the_batch(tmp_path: Path, emulator: Emulator) -> None:
    emulator.max_payload_bytes = 4000  # the service's 413 (bare, botocore code "413")
    column, run = predict(tmp_path)
    np.testing.assert_allclose(column.to_numpy(), expected_scores(frame()), atol=1e-15)
    assert run.stats is not None and run.stats.shrinks >= 1
    ok = [r for r in emulator.invocations if r.status == 200]
    assert sum(r.n_records or 0 for r in ok) == 400
    assert max(r.body_bytes for r in ok) <= 4000
    assert any(r.status == 413 for r in emulator.invocations)


def test_payload_limit_of_the_config(tmp_path: Path, emulator: Emulator) -> None:
    _, run = predict(tmp_path, {"openclarify": {"max_payload_mb": 0.002}})
    assert all(r.body_bytes <= 2000 for r in emulator.invocations)
    assert all(r.status == 200 for r in emulator.invocations)
    assert run.stats is not None and run.stats.requests == len(emulator.invocations) > 5


@pytest.mark.parametrize("delta", [-1, 1])
def test_wrong_number_of_predictions_is_an_error(
    tmp_path: Path, emulator: Emulator, delta: int
) -> None:
    emulator.inject("wrong_count", delta=delta)
    with pytest.raises(PredictorError) as error:
        predict(tmp_path)
    assert error.value.problem == (
        f"the model's text/csv response to rows 1-400 has {400 + delta} predictions for "
        "400 records (must be one per record)"
    )


def test_requests_run_concurrently(tmp_path: Path, emulator: Emulator) -> None:
    emulator.inject("slow", seconds=0.1, times=None)
    _, run = predict(
        tmp_path, {"openclarify": {"max_concurrency": 4, "max_payload_mb": 0.004}}, n_rows=400
    )
    assert emulator.peak_concurrency >= 2
    assert run.stats is not None and run.stats.max_in_flight >= 2


def test_unknown_endpoint(tmp_path: Path, emulator: Emulator) -> None:
    with pytest.raises(PredictorError) as error:
        predict(tmp_path, {"endpoint_name": "nope"})
    assert error.value.problem == "endpoint 'nope' does not exist"
    assert not emulator.invocations


def test_endpoint_still_creating_is_awaited(tmp_path: Path, emulator: Emulator) -> None:
    control = emulator.client("sagemaker")
    emulator.creating_describes = 2
    control.create_endpoint(
        EndpointName="starting", EndpointConfigName=f"{DEFAULT_ENDPOINT_NAME}-config"
    )
    column, _ = predict(tmp_path, {"endpoint_name": "starting"})
    assert len(column) == 400
    describes = [r for r in emulator.requests if r.operation == "DescribeEndpoint"]
    assert len(describes) == 3
    assert "starting" in emulator.endpoints  # not ours: never deleted


def test_injected_clients_are_used_and_left_open(tmp_path: Path, emulator: Emulator) -> None:
    runtime_client = emulator.client("sagemaker-runtime")
    control = emulator.client("sagemaker")
    column, _ = predict(tmp_path, runtime_client=runtime_client, sagemaker_client=control)
    assert len(column) == 400
    # still usable: openclarify closes only the clients it created
    assert control.describe_endpoint(EndpointName=DEFAULT_ENDPOINT_NAME)["EndpointStatus"]


def test_no_region_is_a_predictor_error(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(PredictorError) as error:
        predict(tmp_path)
    assert error.value.problem == "no AWS region is configured for SageMaker"
    assert error.value.fix == "set AWS_REGION"
