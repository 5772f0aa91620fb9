"""Many rows per request, several requests in flight, results back in row order.

Batch size (rows per request), contract §7.3 and §11.13 (the heuristic is ours):

1. Serialise an evenly spread sample of up to :data:`SAMPLE_ROWS` rows and
   estimate bytes per row; the first batch size is the number of rows that
   fills :data:`FILL` (90 %) of the payload limit, so that rows longer than
   the sample's average rarely push a batch over.
2. Rows are also spread over the workers: never more than
   ``ceil(rows / max_concurrency)`` per batch unless that is below
   :data:`MIN_ROWS_PER_REQUEST` — a small dataset is one request, a large one
   keeps every worker busy.
3. ``$record`` templates force one row per request.
4. Every batch is serialised and checked before it is sent
   (:class:`~openclarify.predict.remote.RemotePredictor`); a body over the
   limit, or a model answering "payload too large" (HTTP 413, a
   ``ValidationError`` about the payload size), halves the batch size, which
   is kept for the rest of that batch and for the batches not yet started.  A single row too
   large to send is a :class:`~openclarify.errors.PredictorError`.

Up to ``max_concurrency`` requests run at once in a
:class:`~concurrent.futures.ThreadPoolExecutor` (requests spend their time
waiting on the network, which releases the GIL).  Batches are cut lazily, so a
shrink applies at once and memory holds only the batches in flight.  Outputs
are stored by first row and joined in row order at the end.

A progress line (rows done, rows/s) is logged every ``progress_seconds``
(default 10 s) on long runs, and a summary at the end.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from ..errors import PredictorError
from ..progress import report as report_progress
from .base import Predictor
from .faults import PayloadTooLarge
from .output import ModelOutput

__all__ = [
    "FILL",
    "IN_PROCESS_BATCH_ROWS",
    "MIN_ROWS_PER_REQUEST",
    "SAMPLE_ROWS",
    "BatchStats",
    "initial_batch_rows",
    "predict_all",
]

#: Rows serialised to estimate the size of a row.
SAMPLE_ROWS: Final = 256
#: Share of the payload limit the first batches aim to fill.
FILL: Final = 0.9
#: Below this, rows are not split further just to spread them over workers.
MIN_ROWS_PER_REQUEST: Final = 1000
#: Batch size when there is no payload limit (an in-process model).
IN_PROCESS_BATCH_ROWS: Final = 100_000

_log = logging.getLogger("openclarify")


@dataclass
class BatchStats:
    """What one prediction run did (for logs and benchmarks).

    Attributes
    ----------
    rows:
        Rows predicted.
    requests:
        Successful requests (calls of the model).
    initial_batch_rows, final_batch_rows:
        Batch size at the start and at the end (smaller after a shrink).
    shrinks:
        Times a batch was halved because it was too large.
    max_in_flight:
        Most requests running at the same time.
    seconds:
        Wall time.
    """

    rows: int = 0
    requests: int = 0
    initial_batch_rows: int = 0
    final_batch_rows: int = 0
    shrinks: int = 0
    max_in_flight: int = 0
    seconds: float = 0.0

    @property
    def rows_per_request(self) -> float:
        return self.rows / self.requests if self.requests else 0.0


def initial_batch_rows(
    predictor: Predictor, rows: pd.DataFrame, max_payload_bytes: int, max_concurrency: int
) -> int:
    """First batch size (rows per request); see the module docstring."""
    n = len(rows)
    if n == 0:
        return 1
    cap = predictor.max_batch_rows
    if cap == 1:
        return 1
    step = max(1, n // SAMPLE_ROWS)
    sample = rows.iloc[::step].iloc[:SAMPLE_ROWS]
    size = predictor.request_bytes(sample)
    if size is None:
        by_payload = IN_PROCESS_BATCH_ROWS
    else:
        per_row = max(size / len(sample), 1.0)
        by_payload = max(1, int(FILL * max_payload_bytes / per_row))
    spread = max(MIN_ROWS_PER_REQUEST, math.ceil(n / max_concurrency))
    batch = min(n, by_payload, spread)
    if cap is not None:
        batch = min(batch, cap)
    return max(1, batch)


class _Run:
    """State shared by the workers of one :func:`predict_all` call."""

    def __init__(
        self, predictor: Predictor, rows: pd.DataFrame, batch_rows: int, log: logging.Logger
    ) -> None:
        self.predictor = predictor
        self.rows = rows
        self.log = log
        self.batch_rows = batch_rows
        self.lock = threading.Lock()
        self.stats = BatchStats(rows=len(rows), initial_batch_rows=batch_rows)
        self.in_flight = 0
        self.done_rows = 0

    def shrink(self, rows: int, reason: str) -> None:
        with self.lock:
            self.stats.shrinks += 1
            if rows < self.batch_rows:
                self.batch_rows = rows
                self.log.warning("%s; batch size is now %d rows", reason, rows)

    def work(self, start: int, stop: int) -> list[tuple[int, ModelOutput]]:
        """Predict rows ``start:stop``, halving on PayloadTooLarge; outputs by first row."""
        with self.lock:
            self.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.in_flight)
        try:
            results: list[tuple[int, ModelOutput]] = []
            pending = [(start, stop)]
            while pending:
                a, b = pending.pop()
                with self.lock:
                    size = self.batch_rows
                if b - a > size:  # the batch size shrank since this range was cut
                    pending.extend(reversed([(i, min(i + size, b)) for i in range(a, b, size)]))
                    continue
                try:
                    output = self.predictor.predict(self.rows.iloc[a:b], a + 1)
                except PayloadTooLarge as fault:
                    if b - a == 1:
                        raise PredictorError(
                            "$.predictor",
                            f"row {a + 1} alone is too large for {self.predictor.description} "
                            f"({fault.message.splitlines()[0][:200] if fault.message else 'payload too large'})",
                            "raise predictor.openclarify.max_payload_mb if the model accepts more, "
                            "or drop long columns with $.excluded_columns",
                        ) from None
                    self.shrink(
                        (b - a) // 2,
                        f"Request of {b - a} rows was too large ({self.predictor.description})",
                    )
                    pending.append((a, b))  # cut again at the new size
                    continue
                if len(output) != b - a:
                    raise PredictorError(
                        "$.predictor",
                        f"{self.predictor.description} returned {len(output)} predictions for "
                        f"{b - a} rows starting at row {a + 1}",
                        "the model must return one prediction per record",
                    )
                results.append((a, output))
                with self.lock:
                    self.stats.requests += 1
                    self.done_rows += b - a
            return results
        finally:
            with self.lock:
                self.in_flight -= 1


def predict_all(
    predictor: Predictor,
    rows: pd.DataFrame,
    *,
    max_payload_bytes: int,
    max_concurrency: int,
    log: logging.Logger | None = None,
    progress_seconds: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    verbose: bool = True,
) -> tuple[ModelOutput, BatchStats]:
    """Outputs for every row of ``rows``, in row order.

    Parameters
    ----------
    predictor:
        The model.
    rows:
        Feature rows (the model's features only).
    max_payload_bytes:
        Largest request body.
    max_concurrency:
        Requests in flight at once (≥ 1).
    log:
        Logger for progress lines (default: ``openclarify``).
    progress_seconds:
        Seconds between progress lines.
    clock:
        Monotonic clock (injectable for tests).
    verbose:
        Log the batch size and the summary at INFO (``False``: DEBUG, for
        callers such as SHAP that predict many times and report progress
        themselves).

    Returns
    -------
    tuple
        The joined :class:`~openclarify.predict.output.ModelOutput` and the
        :class:`BatchStats`.

    Raises
    ------
    PredictorError
        From the first batch that fails; batches not yet started are cancelled.
    """
    log = log or _log
    n = len(rows)
    started = clock()
    batch = initial_batch_rows(predictor, rows, max_payload_bytes, max_concurrency)
    level = logging.INFO if verbose else logging.DEBUG
    log.log(
        level,
        "Prediction batch size is initialized with %d rows (%s, up to %d requests in flight)",
        batch,
        predictor.description,
        max_concurrency,
    )
    run = _Run(predictor, rows, batch, log)
    outputs: dict[int, ModelOutput] = {}
    next_start = 0
    last_progress = started
    pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="openclarify-predict")
    pending: set[Future[list[tuple[int, ModelOutput]]]] = set()
    try:
        while next_start < n or pending:
            while next_start < n and len(pending) < max_concurrency:
                with run.lock:
                    stop = min(n, next_start + run.batch_rows)
                pending.add(pool.submit(run.work, next_start, stop))
                next_start = stop
            done, pending = wait(pending, timeout=progress_seconds, return_when=FIRST_COMPLETED)
            for future in done:
                for first, output in future.result():
                    outputs[first] = output
            if verbose:  # SHAP's many small calls show SHAP's own progress instead
                with run.lock:
                    report_progress("Predictions", run.done_rows, n)
            now = clock()
            if now - last_progress >= progress_seconds and (next_start < n or pending):
                last_progress = now
                with run.lock:
                    done_rows = run.done_rows
                elapsed = max(now - started, 1e-9)
                log.log(
                    level,
                    "Predicted %d of %d rows (%.0f%%), %.0f rows/s",
                    done_rows,
                    n,
                    100.0 * done_rows / n,
                    done_rows / elapsed,
                )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    run.stats.seconds = clock() - started
    run.stats.final_batch_rows = run.batch_rows
    joined = ModelOutput.concat([outputs[k] for k in sorted(outputs)])
    _check_covered(outputs, n)
    stats = run.stats
    seconds = max(stats.seconds, 1e-9)
    log.log(
        level,
        "Model endpoint delivered %.2f requests per second and a total of %d requests over "
        "%.2f seconds (%d rows, %.0f rows/s, %.0f rows per request)",
        stats.requests / seconds,
        stats.requests,
        stats.seconds,
        n,
        n / seconds,
        stats.rows_per_request,
    )
    return joined, stats


def _check_covered(outputs: dict[int, ModelOutput], n: int) -> None:
    """Every row has exactly one output (a bug otherwise, never a user error)."""
    starts = np.array(sorted(outputs), dtype=np.int64)
    lengths = np.array([len(outputs[s]) for s in sorted(outputs)], dtype=np.int64)
    ends = starts + lengths
    if n and (starts[0] != 0 or ends[-1] != n or (starts[1:] != ends[:-1]).any()):
        raise RuntimeError("prediction batches do not cover the rows exactly once")
