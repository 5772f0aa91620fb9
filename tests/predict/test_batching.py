"""Batching: row order, payload limit, halving on "too large", requests in flight."""

from __future__ import annotations

import itertools
import logging
import threading
import time

import numpy as np
import pandas as pd
import pytest

from openclarify.errors import PredictorError
from openclarify.predict.batching import MIN_ROWS_PER_REQUEST, initial_batch_rows, predict_all
from openclarify.predict.faults import PayloadTooLarge
from openclarify.predict.parse import ModelOutput, ResponseParser
from openclarify.predict.remote import RemotePredictor
from openclarify.predict.retry import RetryPolicy
from openclarify.predict.serialize import Serializer


class EchoModel:
    """Returns each row's ``id`` as its prediction; a CSV body measures the payload."""

    description = "echo model"

    def __init__(
        self,
        *,
        accepts_bytes: int | None = None,
        hold: float = 0.0,
        max_batch_rows: int | None = None,
        shuffle_finish: bool = False,
    ) -> None:
        self.serializer = Serializer("text/csv", ["id", "x"])
        self.accepts_bytes = accepts_bytes
        self.hold = hold
        self.max_batch_rows = max_batch_rows
        self.shuffle_finish = shuffle_finish
        self.batches: list[tuple[int, int, int]] = []  # first row, rows, bytes
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def request_bytes(self, rows: pd.DataFrame) -> int | None:
        return len(self.serializer.serialize(rows))

    def predict(self, rows: pd.DataFrame, first_row: int) -> ModelOutput:
        size = len(self.serializer.serialize(rows))
        if self.accepts_bytes is not None and size > self.accepts_bytes:
            raise PayloadTooLarge("413 from the model", 413)
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.batches.append((first_row, len(rows), size))
        try:
            if self.hold:
                time.sleep(self.hold)
            if self.shuffle_finish:  # later batches finish first
                time.sleep(0.002 * (50 - first_row % 50))
            return ModelOutput(rows["id"].tolist(), None)
        finally:
            with self.lock:
                self.in_flight -= 1


class EchoTransport:
    """Answers each CSV line with its first field; refuses bodies above ``accepts_bytes``."""

    description = "echo server"

    def __init__(self, accepts_bytes: int | None = None) -> None:
        self.accepts_bytes = accepts_bytes
        self.sizes: list[int] = []

    def invoke(self, body: bytes) -> bytes:
        if self.accepts_bytes is not None and len(body) > self.accepts_bytes:
            raise PayloadTooLarge("HTTP content length exceeded", 413)
        self.sizes.append(len(body))
        return b"".join(line.split(b",")[0] + b"\n" for line in body.splitlines())

    def close(self) -> None:
        pass


def echo_predictor(limit: int, accepts_bytes: int | None = None) -> RemotePredictor:
    return RemotePredictor(
        Serializer("text/csv", ["id", "x"]),
        ResponseParser("text/csv", None, None),
        EchoTransport(accepts_bytes),
        RetryPolicy(sleep=lambda _: None),
        limit,
    )


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": np.arange(n), "x": np.linspace(0, 1, n)})


def test_rows_come_back_in_order_with_concurrency() -> None:
    rows = frame(5000)
    model = EchoModel(shuffle_finish=True)
    output, stats = predict_all(model, rows, max_payload_bytes=2000, max_concurrency=8)
    assert output.labels == list(range(5000))
    assert stats.requests == len(model.batches) > 8
    assert stats.rows == 5000


def test_every_request_is_under_the_payload_limit() -> None:
    rows = frame(3000)
    predictor = echo_predictor(4096)
    output, _ = predict_all(predictor, rows, max_payload_bytes=4096, max_concurrency=2)
    assert output.labels == list(range(3000))
    sizes = predictor.transport.sizes  # type: ignore[attr-defined]
    assert max(sizes) <= 4096
    assert sorted(sizes)[1] > 0.5 * 4096  # batches are not needlessly small (but the last)


def test_rows_longer_than_the_sample_shrink_the_batch() -> None:
    rows = pd.DataFrame({"id": np.arange(2000), "x": ["s"] * 2000})
    rows.loc[1500:, "x"] = "long" * 30  # the evenly spread sample underestimates these
    predictor = echo_predictor(3000)
    output, stats = predict_all(predictor, rows, max_payload_bytes=3000, max_concurrency=1)
    assert output.labels == list(range(2000))
    assert max(predictor.transport.sizes) <= 3000  # type: ignore[attr-defined]
    assert stats.shrinks > 0


def test_payload_too_large_from_the_model_halves_and_keeps_the_smaller_size(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = frame(4000)
    predictor = echo_predictor(10**6, accepts_bytes=10_000)
    with caplog.at_level(logging.WARNING, logger="openclarify"):
        output, stats = predict_all(predictor, rows, max_payload_bytes=10**6, max_concurrency=1)
    assert output.labels == list(range(4000))
    assert (stats.initial_batch_rows, stats.final_batch_rows) == (4000, 250)
    assert all(size <= 10_000 for size in predictor.transport.sizes)  # type: ignore[attr-defined]
    # 4000 -> 2000 -> 1000 -> 500 -> 250 rows, then every later batch starts at 250
    assert stats.shrinks == 4
    assert stats.requests == 16
    assert "batch size is now 250 rows" in caplog.text


def test_a_single_row_too_large_is_an_error() -> None:
    rows = pd.DataFrame({"id": [0, 1], "x": ["a", "b" * 500]})
    with pytest.raises(PredictorError) as error:
        predict_all(EchoModel(accepts_bytes=100), rows, max_payload_bytes=10**6, max_concurrency=1)
    assert error.value.problem.startswith("row 2 alone is too large for echo model")
    assert "bbbb" not in str(error.value)


def test_requests_run_concurrently() -> None:
    # every batch waits until four are in flight: passes only if they really overlap
    barrier = threading.Barrier(4, timeout=10)

    class Together(EchoModel):
        def predict(self, rows: pd.DataFrame, first_row: int) -> ModelOutput:
            barrier.wait()
            return super().predict(rows, first_row)

    model = Together()
    rows = frame(8 * MIN_ROWS_PER_REQUEST)
    _, stats = predict_all(model, rows, max_payload_bytes=10**7, max_concurrency=4)
    assert stats.max_in_flight == 4
    assert stats.requests == 4


def test_concurrency_one_is_sequential() -> None:
    model = EchoModel(hold=0.001)
    predict_all(model, frame(3000), max_payload_bytes=4000, max_concurrency=1)
    assert model.peak == 1


def test_record_templates_force_one_row() -> None:
    model = EchoModel(max_batch_rows=1)
    output, stats = predict_all(model, frame(7), max_payload_bytes=10**6, max_concurrency=3)
    assert output.labels == list(range(7))
    assert stats.requests == 7 and stats.rows_per_request == 1


def test_initial_batch_rows_spreads_rows_over_workers() -> None:
    model = EchoModel()
    assert initial_batch_rows(model, frame(100_000), 10**8, 4) == 25_000
    assert initial_batch_rows(model, frame(900), 10**8, 4) == 900  # a small dataset: one request
    assert initial_batch_rows(model, frame(1500), 10**8, 4) == 1000  # not split below 1000
    by_payload = initial_batch_rows(model, frame(100_000), 60_000, 4)
    assert (
        by_payload * len(model.serializer.serialize(frame(100_000).iloc[:1000])) / 1000
        >= 0.85 * 60_000
    )


def test_wrong_length_output_is_an_error() -> None:
    class Short(EchoModel):
        def predict(self, rows: pd.DataFrame, first_row: int) -> ModelOutput:
            return ModelOutput(rows["id"].tolist()[:-1], None)

    with pytest.raises(
        PredictorError, match="returned 9 predictions for 10 rows starting at row 1"
    ):
        predict_all(Short(), frame(10), max_payload_bytes=10**6, max_concurrency=1)


def test_first_error_cancels_the_rest() -> None:
    class FailsAt(EchoModel):
        def predict(self, rows: pd.DataFrame, first_row: int) -> ModelOutput:
            if first_row > 1000:
                raise PredictorError("$.predictor", "boom")
            return super().predict(rows, first_row)

    model = FailsAt()
    with pytest.raises(PredictorError, match="boom"):
        predict_all(model, frame(50_000), max_payload_bytes=3000, max_concurrency=2)
    assert len(model.batches) < 20


def test_progress_lines(caplog: pytest.LogCaptureFixture) -> None:
    ticks = itertools.count(0.0, 5.0)
    with caplog.at_level(logging.INFO, logger="openclarify"):
        predict_all(
            EchoModel(hold=0.01),
            frame(3000),
            max_payload_bytes=2000,
            max_concurrency=1,
            progress_seconds=0.001,
            clock=lambda: float(next(ticks)),
        )
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Predicted ")]
    assert progress and "rows/s" in progress[0]
    assert any("Model endpoint delivered" in r.getMessage() for r in caplog.records)
