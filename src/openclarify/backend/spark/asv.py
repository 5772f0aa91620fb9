"""Asymmetric Shapley values on Spark: the forecasts of each chunk of items by one task.

The driver reads the items and plans every item exactly as the local backend does
(:func:`openclarify.explain.asymmetric.estimator.plan_items`: the same games, the
same sampled orderings drawn item after item from the same seed, the same rendered
records) and cuts the same chunks; each task opens the model and forecasts one
chunk's records; the driver turns the forecasts into attributions with the same
arithmetic.  A forecast depends only on its record, so the values — and
``out.jsonl`` — are byte-identical to the local backend's.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .tasks import _map

_log = logging.getLogger("openclarify")


@dataclass(frozen=True)
class _ForecastTask:
    config: Any


def _forecast_part(task: _ForecastTask, records: list[str]) -> npt.NDArray[np.float64]:
    """The forecasts of one chunk's records, by a model opened in the task."""
    import pandas as pd

    from ...predict import open_model
    from ...predict.timeseries import RECORD_COLUMN, forecast_matrix

    with open_model(task.config, [RECORD_COLUMN]) as session:
        output = session.outputs(pd.DataFrame({RECORD_COLUMN: records}), verbose=False)
    return forecast_matrix(output, len(records), None)


def spark_asymmetric(
    config: Any, dataset: Any, *, spark: Any, log: logging.Logger | None = None
) -> list[Any]:
    """``methods.asymmetric_shapley_value`` with the model called by Spark tasks.

    Returns
    -------
    list of ItemExplanation
        In item order, as :func:`~openclarify.explain.asymmetric.estimator.explain_items`.
    """
    from ...errors import PredictorError
    from ...explain.asymmetric.estimator import (
        RECORDS_PER_CALL,
        chunks,
        explain_chunk,
        log_summary,
        plan_items,
    )
    from ...predict.timeseries import record_template

    log = log or _log
    asv = config.methods.asymmetric_shapley_value
    parts = list(chunks(plan_items(dataset, asv, record_template(config)), RECORDS_PER_CALL))
    started = time.perf_counter()
    forecasts = _map(
        spark.sparkContext,
        [[r for plan in chunk for r in plan.records] for chunk in parts],
        functools.partial(_forecast_part, _ForecastTask(config)),
        "Spark asymmetric Shapley values",
    )
    widths = sorted({values.shape[1] for values in forecasts})
    if len(widths) > 1:
        raise PredictorError(
            "$.predictor.time_series_predictor_config.forecast",
            f"gives forecasts of {widths[0]} and {widths[-1]} steps (must all be as long)",
            "return the same forecast horizon for every request",
        )
    out = []
    for chunk, values in zip(parts, forecasts, strict=True):
        out.extend(explain_chunk(chunk, values))
    log.info(
        "Asymmetric Shapley values on Spark: %d items in %d task(s) in %.2fs",
        len(out),
        len(parts),
        time.perf_counter() - started,
    )
    log_summary(out, log)
    return out
