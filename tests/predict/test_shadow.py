"""Shadow endpoints: created, used, and deleted in every outcome; never someone else's."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from openclarify import cleanup
from openclarify.config import load_config
from openclarify.data.table import load_bias_table
from openclarify.errors import PredictorError
from openclarify.predict import PredictRuntime, predictions_for
from openclarify.predict.shadow import ShadowEndpoint, shadow_endpoint_name
from tests.emulator import DEFAULT_ENDPOINT_NAME, DEFAULT_MODEL_NAME, Emulator, subprocess_env
from tests.predict.data import config, frame, write

SHADOW = {
    "model_name": DEFAULT_MODEL_NAME,
    "instance_type": "ml.m5.xlarge",
    "initial_instance_count": 1,
}


def only_default(emulator: Emulator) -> None:
    """Nothing but the emulator's own endpoint and config is left."""
    assert set(emulator.endpoints) == {DEFAULT_ENDPOINT_NAME}
    assert set(emulator.endpoint_configs) == {f"{DEFAULT_ENDPOINT_NAME}-config"}


def run(tmp_path: Path, predictor: dict[str, Any], sleeps: list[float] | None = None) -> Any:
    document = config(predictor)
    dataset = write(tmp_path / "rows.csv", frame())
    table = load_bias_table(load_config(document), dataset)
    runtime = PredictRuntime(
        rng=random.Random(3), sleep=(sleeps if sleeps is not None else []).append
    )
    return predictions_for(load_config(document), table, runtime=runtime)


def test_names() -> None:
    rng = random.Random(0)
    name = shadow_endpoint_name(
        "sm-clarify", "DEMO-clarify-xgb-model-08-02-2023-05-28-12", 1675833110, rng
    )
    assert len(name) == 63
    assert name.startswith("sm-clarify-DEMO-clarify-xgb-model-08-02-2023-05-1675833110-")
    short = shadow_endpoint_name("sm-clarify", "m", 1675833110, rng)
    assert len(short) == len("sm-clarify-m-1675833110-abcd")
    longest_prefix = shadow_endpoint_name("a" * 23, "b" * 80, 1675833110, rng)
    assert len(longest_prefix) == 63


def test_polls_until_in_service_then_deletes(tmp_path: Path, emulator: Emulator) -> None:
    emulator.creating_describes = 3
    sleeps: list[float] = []
    assert len(run(tmp_path, SHADOW, sleeps)) == 400
    assert sleeps == [1.0, 2.0, 4.0]  # doubling poll interval, first poll at once
    only_default(emulator)
    assert cleanup._actions == {}


def test_model_error_still_deletes(tmp_path: Path, emulator: Emulator) -> None:
    emulator.creating_describes = 0
    emulator.inject("model_error", times=None, status=500, message="boom")
    with pytest.raises(PredictorError, match="returned a model error"):
        run(tmp_path, SHADOW)
    only_default(emulator)
    assert cleanup._actions == {}


def test_failed_endpoint_reports_the_reason_and_deletes(tmp_path: Path, emulator: Emulator) -> None:
    emulator.inject("endpoint_failure", message="Insufficient capacity for ml.m5.xlarge")
    with pytest.raises(PredictorError) as error:
        run(tmp_path, SHADOW)
    assert error.value.problem.endswith("failed to start: Insufficient capacity for ml.m5.xlarge")
    only_default(emulator)
    assert not emulator.invocations


def test_unknown_model_is_a_clear_error(tmp_path: Path, emulator: Emulator) -> None:
    with pytest.raises(PredictorError) as error:
        run(tmp_path, {**SHADOW, "model_name": "no-such-model"})
    assert error.value.problem.startswith(
        "cannot create a shadow endpoint for model 'no-such-model'"
    )
    only_default(emulator)


def test_timeout_waiting_for_in_service(tmp_path: Path, emulator: Emulator) -> None:
    emulator.creating_describes = 10**6
    clock = iter(range(0, 10**6, 600))
    document = config(SHADOW)
    table = load_bias_table(load_config(document), write(tmp_path / "rows.csv", frame()))
    runtime = PredictRuntime(sleep=lambda _: None, clock=lambda: float(next(clock)))
    with pytest.raises(PredictorError, match="is still Creating after 1800s"):
        predictions_for(load_config(document), table, runtime=runtime)
    only_default(emulator)


def test_cleanup_registry_deletes_while_alive(emulator: Emulator) -> None:
    """What the container does on SIGTERM: run every cleanup action."""
    emulator.creating_describes = 0
    client = emulator.client("sagemaker")
    shadow = ShadowEndpoint(client, DEFAULT_MODEL_NAME, "ml.m5.xlarge", 1, rng=random.Random(1))
    with shadow as name:
        assert name in emulator.endpoints
        assert len(cleanup._actions) == 1
        cleanup.run_all()
        only_default(emulator)
    only_default(emulator)  # leaving the block again is harmless
    deletes = [r.operation for r in emulator.requests if r.operation.startswith("Delete")]
    assert deletes == ["DeleteEndpoint", "DeleteEndpointConfig"]


def test_existing_endpoint_is_never_deleted(tmp_path: Path, emulator: Emulator) -> None:
    emulator.inject("model_error", times=None, status=400, message="bad")
    with pytest.raises(PredictorError):
        run(tmp_path, {"endpoint_name": DEFAULT_ENDPOINT_NAME})
    only_default(emulator)
    assert not [r for r in emulator.requests if r.operation.startswith(("Delete", "Create"))]


def test_sigterm_in_the_container_leaves_no_endpoint(tmp_path: Path, emulator: Emulator) -> None:
    """The real container, stopped with SIGTERM while it is invoking the shadow endpoint."""
    emulator.creating_describes = 0
    emulator.inject("slow", seconds=30, times=None)
    base = tmp_path / "ml"
    (base / "processing/input/config").mkdir(parents=True)
    (base / "processing/input/data").mkdir(parents=True)
    (base / "processing/input/config/analysis_config.json").write_text(json.dumps(config(SHADOW)))
    write(base / "processing/input/data/rows.csv", frame())
    child = subprocess.Popen(
        [sys.executable, "-m", "openclarify", "container", "--base-dir", str(base)],
        env=subprocess_env(emulator, tmp_path / "aws"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            shadows = [n for n in emulator.endpoints if n != DEFAULT_ENDPOINT_NAME]
            invoking = any(r.operation == "DescribeEndpoint" for r in emulator.requests)
            if shadows and invoking:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the container never created its shadow endpoint")
        time.sleep(0.3)  # inside InvokeEndpoint now (held by the slow fault)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 128 + signal.SIGTERM, err.decode()
    only_default(emulator)
    assert not (base / "processing/output/analysis.json").exists()
    message = (base / "output/message").read_text()
    assert message.startswith("Stopped: received SIGTERM")
