"""The two openclarify extensions: a local HTTP model server and an in-process model."""

from __future__ import annotations

import functools
import pickle
import random
import socket
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

from openclarify.config import load_config
from openclarify.data.table import load_bias_table
from openclarify.errors import ConfigError, PredictorError
from openclarify.predict import PredictRuntime, check_predictor_config, predictions_for
from openclarify.predict.faults import ModelFault, PayloadTooLarge, TransientFault
from openclarify.predict.transport import HttpTransport
from tests.emulator import SklearnModel
from tests.predict.conftest import ModelServer
from tests.predict.data import FEATURES, config, expected_scores, frame, write


def predict(tmp_path: Path, predictor: dict[str, Any], sleeps: list[float] | None = None) -> Any:
    document = config(predictor)
    table = load_bias_table(load_config(document), write(tmp_path / "rows.csv", frame()))
    runtime = PredictRuntime(
        rng=random.Random(0), sleep=(sleeps if sleeps is not None else []).append
    )
    return predictions_for(load_config(document), table, runtime=runtime)


def server(url: str, **extension: Any) -> dict[str, Any]:
    return {"openclarify": {"endpoint_url": url, **extension}}


# ------------------------------------------------------------------ HTTP


def test_http_headers_and_protocol(tmp_path: Path, model_server: ModelServer) -> None:
    predictor = {
        **server(model_server.url),
        "custom_attributes": "a=1",
        "target_model": "m.tar.gz",
    }
    column = predict(tmp_path, predictor)
    np.testing.assert_allclose(column.to_numpy(), expected_scores(frame()), atol=1e-15)
    ping, call = model_server.requests
    assert (ping.method, ping.path) == ("GET", "/ping")
    assert (call.method, call.path) == ("POST", "/invocations")
    assert call.headers["content-type"] == "text/csv"
    assert call.headers["accept"] == "text/csv"
    assert call.headers["x-amzn-sagemaker-custom-attributes"] == "a=1"
    assert call.headers["x-amzn-sagemaker-target-model"] == "m.tar.gz"
    # features only, in dataset order, exact floats, no header
    first = call.body.decode().splitlines()[0]
    assert first == ",".join(repr(float(v)) for v in frame().loc[0, FEATURES])


def test_http_413_halves_the_batch(tmp_path: Path, model_server: ModelServer) -> None:
    model_server.max_body = 3000
    column = predict(tmp_path, server(model_server.url))
    np.testing.assert_allclose(column.to_numpy(), expected_scores(frame()), atol=1e-15)
    sizes = [len(r.body) for r in model_server.invocations]
    refused = [size for size in sizes if size > 3000]
    assert sizes[0] > 3000 and sizes[-1] <= 3000
    # 400 -> 200 -> 100 rows: each size is refused once, later batches start small
    assert len(refused) == 2
    assert sum(1 for size in sizes if size <= 3000) == 4


def test_http_5xx_is_retried(tmp_path: Path, model_server: ModelServer) -> None:
    model_server.answer(503, b"busy", times=2)
    sleeps: list[float] = []
    assert len(predict(tmp_path, server(model_server.url), sleeps)) == 400
    assert len(model_server.invocations) == 3 and len(sleeps) == 2


def test_http_model_error(tmp_path: Path, model_server: ModelServer) -> None:
    model_server.answer(400, b"unexpected feature count", times=5)
    with pytest.raises(PredictorError) as error:
        predict(tmp_path, server(model_server.url))
    assert error.value.problem == (
        f"model server {model_server.url} returned a model error (HTTP 400) for the "
        "batch of 400 rows starting at row 1 after 2 attempts: unexpected feature count"
    )


def test_http_ping_must_answer(tmp_path: Path, model_server: ModelServer) -> None:
    model_server.ping_status = 404
    with pytest.raises(PredictorError, match="GET /ping"):
        predict(tmp_path, server(model_server.url))
    assert not model_server.invocations


def test_http_concurrency(tmp_path: Path, model_server: ModelServer) -> None:
    model_server.hold = 0.05
    predict(tmp_path, server(model_server.url, max_concurrency=3, max_payload_mb=0.003))
    assert model_server.peak_in_flight >= 2  # 3 when the machine is not loaded


def test_http_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = HttpTransport(
        f"http://127.0.0.1:{port}", content_type="text/csv", accept="text/csv"
    )
    with pytest.raises(TransientFault, match="cannot reach"):
        transport.invoke(b"1\n")


def test_http_timeout_is_transient(model_server: ModelServer) -> None:
    model_server.hold = 0.5
    transport = HttpTransport(
        model_server.url, content_type="text/csv", accept="text/csv", timeout=0.1
    )
    with pytest.raises(TransientFault):
        transport.invoke(b"1,2,3,4\n")


@pytest.mark.parametrize(
    ("status", "kind"), [(413, PayloadTooLarge), (429, TransientFault), (422, ModelFault)]
)
def test_http_status_kinds(model_server: ModelServer, status: int, kind: type[Exception]) -> None:
    model_server.answer(status, b"x")
    transport = HttpTransport(model_server.url, content_type="text/csv", accept="text/csv")
    with pytest.raises(kind):
        transport.invoke(b"1,2,3,4\n")


def test_endpoint_url_must_be_http() -> None:
    with pytest.raises(ConfigError) as error:
        load_config(config(server("file:///etc/passwd")))
    assert error.value.where == "$.predictor.openclarify.endpoint_url"


# ------------------------------------------------------------- in-process


def test_in_process_needs_the_opt_in(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(SklearnModel().estimator))
    with pytest.raises(ConfigError) as error:
        load_config(config({"openclarify": {"model_path": str(path)}}))
    assert error.value.where == "$.predictor.openclarify.allow_code_execution"
    with pytest.raises(ConfigError):
        load_config(
            config({"openclarify": {"model_path": str(path), "allow_code_execution": False}})
        )


def test_in_process_pickle(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(SklearnModel().estimator))
    column = predict(
        tmp_path, {"openclarify": {"model_path": str(path), "allow_code_execution": True}}
    )
    np.testing.assert_allclose(column.to_numpy(), expected_scores(frame()), atol=1e-15)


def test_in_process_multiclass_uses_classes(tmp_path: Path) -> None:
    model = SklearnModel(n_classes=3)
    path = tmp_path / "model.joblib"
    joblib.dump(model.estimator, path)
    column = predict(
        tmp_path, {"openclarify": {"model_path": str(path), "allow_code_execution": True}}
    )
    expected = model.estimator.predict(frame()[FEATURES].to_numpy())
    assert column.tolist() == expected.tolist()


def test_in_process_callable(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(functools.partial(np.mean, axis=1), path)
    column = predict(
        tmp_path, {"openclarify": {"model_path": str(path), "allow_code_execution": True}}
    )
    np.testing.assert_allclose(column.to_numpy(), frame()[FEATURES].mean(axis=1).to_numpy())


def test_in_process_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(np.linalg.norm, path)  # one number for the whole batch
    with pytest.raises(PredictorError, match="returned 1 values for 400 rows"):
        predict(tmp_path, {"openclarify": {"model_path": str(path), "allow_code_execution": True}})


class Broken:
    """A model whose error message quotes the data it was given."""

    def predict(self, rows: Any) -> Any:
        raise ValueError(f"bad value {rows[3][1]!r}")


def test_in_process_model_error_is_redacted(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(Broken(), path)
    with pytest.raises(PredictorError) as error:
        predict(tmp_path, {"openclarify": {"model_path": str(path), "allow_code_execution": True}})
    assert error.value.problem.startswith(
        "in-process model Broken returned a model error for the batch of 400 rows starting at row 1: "
        "ValueError: bad value "
    )
    assert "<redacted>" in error.value.problem
    assert repr(float(frame().loc[3, "x1"])) not in str(error.value)


def test_missing_model_file_is_checked_up_front(tmp_path: Path) -> None:
    document = load_config(
        config(
            {"openclarify": {"model_path": str(tmp_path / "nope"), "allow_code_execution": True}}
        )
    )
    with pytest.raises(ConfigError) as error:
        check_predictor_config(document)
    assert error.value.where == "$.predictor.openclarify.model_path"
