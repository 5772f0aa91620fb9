"""One open model for a whole job: predicted labels for bias, scores for SHAP and PDP.

A job that needs a model opens it once (:func:`openclarify.predict.open_model`),
so a shadow endpoint is created once and deleted as soon as every method that
needs the model is done — before any metric is computed.  Every call goes
through :func:`~openclarify.predict.batching.predict_all` (payload-sized
batches, bounded concurrency, retries) and the session adds up what was sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .base import ModelOutput, Predictor
from .batching import BatchStats, predict_all
from .output import predicted_column, score_matrix

__all__ = ["ModelSession"]


@dataclass
class ModelSession:
    """Batched, retried access to one opened :class:`Predictor`.

    Attributes
    ----------
    predictor:
        The opened model.
    max_payload_bytes, max_concurrency:
        Request size limit and requests in flight.
    label_headers:
        ``predictor.label_headers`` from the config (class names for score positions).
    log:
        Logger for progress lines.
    progress_seconds:
        Seconds between progress lines of one long call.
    clock:
        Monotonic clock.
    stats:
        Totals over every call: rows, requests, seconds and shrinks added up,
        the largest ``max_in_flight``, the first call's initial and the last
        call's final batch size.
    calls:
        Calls of :meth:`outputs` (one per SHAP chunk, PDP chunk or bias run).
    rows_per_call:
        Preferred rows per call (see the attribute comment).
    """

    predictor: Predictor
    max_payload_bytes: int
    max_concurrency: int
    label_headers: list[object] | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("openclarify"))
    progress_seconds: float = 10.0
    clock: Callable[[], float] = time.monotonic
    stats: BatchStats = field(default_factory=BatchStats)
    calls: int = 0
    #: Rows worth handing to :meth:`scores` in one call: enough for a remote model
    #: to keep ``max_concurrency`` full requests in flight; ``None`` lets the caller
    #: pick (an in-process model prefers cache-sized calls).
    rows_per_call: int | None = None

    def outputs(self, rows: pd.DataFrame, *, verbose: bool = True) -> ModelOutput:
        """Raw model outputs for ``rows`` (feature columns only), in row order."""
        output, batch_stats = predict_all(
            self.predictor,
            rows,
            max_payload_bytes=self.max_payload_bytes,
            max_concurrency=self.max_concurrency,
            log=self.log,
            progress_seconds=self.progress_seconds,
            clock=self.clock,
            verbose=verbose,
        )
        totals = self.stats
        if self.calls == 0:
            totals.initial_batch_rows = batch_stats.initial_batch_rows
        self.calls += 1
        totals.rows += batch_stats.rows
        totals.requests += batch_stats.requests
        totals.seconds += batch_stats.seconds
        totals.shrinks += batch_stats.shrinks
        totals.max_in_flight = max(totals.max_in_flight, batch_stats.max_in_flight)
        totals.final_batch_rows = batch_stats.final_batch_rows
        return output

    def predicted_labels(self, rows: pd.DataFrame) -> pd.Series:
        """The predicted-label (or score) column, aligned with ``rows.index``.

        What the values mean: :func:`openclarify.predict.output.predicted_column`.
        """
        output = self.outputs(rows)
        headers = self.label_headers
        if headers is None:
            headers = getattr(self.predictor, "label_headers", None)
        column = predicted_column(output, headers)
        column.index = rows.index
        return column

    def scores(self, rows: pd.DataFrame) -> NDArray[np.float64]:
        """The explained scores of ``rows``: ``float64`` of shape ``(len(rows), K)``.

        See :func:`openclarify.predict.output.score_matrix`.  Calls are logged
        at DEBUG only; SHAP and PDP report their own progress.
        """
        if len(rows) == 0:
            return np.zeros((0, 1))
        return score_matrix(self.outputs(rows, verbose=False))
