"""PDP on Spark: the grid scored per partition, the scores summed on the driver in local order."""

from __future__ import annotations

import functools
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .session import _refuse
from .shap import why_no_spark_shap
from .tasks import _map

_log = logging.getLogger("openclarify")


@dataclass(frozen=True)
class _PdpTask:
    """What a task needs to score its rows of one PDP feature at every grid value."""

    config: Any
    feature_names: list[str]
    feature: str
    replacement: pd.Series  # the grid, in the dtype the model takes (pdp._replacement)
    max_rows_per_call: int


def _pdp_scores(task: _PdpTask, part: pd.DataFrame) -> Any:
    """The scores of ``part``'s synthetic rows, ``(G·len(part), K)`` in grid-major order.

    Row ``t`` is record ``t % len(part)`` with the feature set to grid value
    ``t // len(part)``: the order :func:`~openclarify.explain.pdp.partial_dependence`
    scores the whole table in, restricted to this part.  The model is called
    as there, on stacked copies of at most ``max_rows_per_call`` rows.  A
    malformed result comes back as ``("error", message)`` (a ``ValueError``
    would fail the Spark job instead of being raised on the driver).
    """
    from ...explain.pdp import _as_scores
    from ...predict import open_model

    n, g_count = len(part), len(task.replacement)
    base = part.reset_index(drop=True)
    col_pos = base.columns.get_loc(task.feature)
    total = g_count * n
    chunks: list[npt.NDArray[np.float64]] = []
    with open_model(task.config, task.feature_names) as session:
        for start in range(0, total, task.max_rows_per_call):
            t = np.arange(start, min(start + task.max_rows_per_call, total))
            g_idx = t // n
            frame = base.take(t - g_idx * n).reset_index(drop=True)
            new_col = task.replacement.take(g_idx).reset_index(drop=True)
            if isinstance(col_pos, int):
                frame.isetitem(col_pos, new_col.array)
            else:  # duplicated column name: replace every copy, as pdp does
                frame[task.feature] = new_col
            try:
                scores = _as_scores(session.scores(frame), len(t))
            except ValueError as exc:
                return ("error", str(exc))
            if chunks and scores.shape[1] != chunks[0].shape[1]:
                return (
                    "error",
                    f"predict returned {scores.shape[1]} outputs, "
                    f"earlier calls {chunks[0].shape[1]}",
                )
            chunks.append(scores)
    return ("ok", np.concatenate(chunks))


def _pdp_sums(
    parts: list[npt.NDArray[np.float64]], sizes: list[int], g_count: int, max_rows_per_call: int
) -> npt.NDArray[np.float64]:
    """Per grid value and output, the sum of the scores, added in the local order.

    Floating-point addition is not associative, so per-part sums added on the
    driver would differ from the local result in the last bits.  The parts'
    scores are put back into the whole table's synthetic-row order and summed
    by the same ``np.bincount`` calls over the same chunks of
    ``max_rows_per_call`` rows as :func:`~openclarify.explain.pdp.partial_dependence`:
    the sums, and so ``model_predictions``, are bit-identical.
    """
    n = sum(sizes)
    k_count = parts[0].shape[1]
    whole = np.concatenate(
        [p.reshape(g_count, size, k_count) for p, size in zip(parts, sizes, strict=True)], axis=1
    ).reshape(g_count * n, k_count)
    sums = np.zeros((g_count, k_count))
    total = g_count * n
    for start in range(0, total, max_rows_per_call):
        t = np.arange(start, min(start + max_rows_per_call, total))
        g_idx = t // n
        for k in range(k_count):
            sums[:, k] += np.bincount(g_idx, weights=whole[t, k], minlength=g_count)
    return sums


def _pdp_feature(
    config: Any,
    features: pd.DataFrame,
    feature: str,
    labels: list[str],
    grid_resolution: int,
    context: Any,
    slices: list[pd.DataFrame],
) -> dict[str, Any]:
    """One ``explanations.pdp`` object, equal to :func:`~openclarify.explain.pdp.partial_dependence`'s."""
    from ...explain.pdp import DEFAULT_MAX_ROWS_PER_CALL, FREE_TEXT_ERROR, _replacement, pdp_grid

    column = features[feature]
    data_type, grid, shares = pdp_grid(column, grid_resolution)
    if data_type == "free_text":
        return {"feature_name": feature, "data_type": "free_text", "error": FREE_TEXT_ERROR}
    result: dict[str, Any] = {
        "feature_name": feature,
        "data_type": data_type,
        "feature_values": grid,
        "data_distribution": shares,
        "model_predictions": [[] for _ in labels],
        "label_headers": labels,
    }
    if not slices or not grid:
        return result  # nothing to vary or average over: no model call, as locally
    task = _PdpTask(
        config,
        [str(c) for c in features.columns],
        feature,
        _replacement(column, grid, data_type),
        DEFAULT_MAX_ROWS_PER_CALL,
    )
    parts = []
    scored = _map(context, slices, functools.partial(_pdp_scores, task), f"Spark PDP ({feature})")
    for status, value in scored:
        if status == "error":
            raise ValueError(value)
        parts.append(value)
    k_count = parts[0].shape[1]
    if k_count != len(labels):
        raise ValueError(
            f"predict returned {k_count} outputs but {len(labels)} label_headers were given"
        )
    for part in parts:
        if part.shape[1] != k_count:
            raise ValueError(f"predict returned {part.shape[1]} outputs, earlier calls {k_count}")
    sums = _pdp_sums(parts, [len(s) for s in slices], len(grid), DEFAULT_MAX_ROWS_PER_CALL)
    means = sums / len(features)
    result["model_predictions"] = [[float(v) for v in means[:, k]] for k in range(k_count)]
    return result


def spark_pdp(
    config: Any,
    table: Any,
    *,
    spark: Any,
    shap: Any = None,
    log: logging.Logger | None = None,
) -> list[dict[str, Any]]:
    """``explanations.pdp`` with the grid evaluated by Spark tasks.

    The driver chooses the features (``pdp.features``, else the
    ``top_k_features`` of ``shap``'s ranking) and computes every feature's
    grid and ``data_distribution`` from the whole column with the functions of
    :mod:`openclarify.explain.pdp`.  The records are split into slices; each
    task opens the model (:func:`openclarify.predict.open_model`) and scores
    its slice's synthetic rows for every grid value, one Spark job per
    feature.  The driver adds the scores up in the local order
    (:func:`_pdp_sums`), so the result equals the local backend's.

    Memory: the driver holds the feature table (as for SHAP) and, for one
    feature at a time, the gathered scores: ``8 × G × rows × K`` bytes for
    ``G`` grid values and ``K`` outputs (1M rows, 15 values, 1 output: 120 MB).

    Parameters
    ----------
    config:
        The validated :class:`~openclarify.config.AnalysisConfig`.
    table:
        The loaded :class:`~openclarify.data.table.BiasTable`.
    spark:
        The SparkSession.
    shap:
        The job's :class:`~openclarify.explain.analysis.ShapExplanation`, for
        ``top_k_features``; ``None`` when SHAP is not run.
    log:
        Where to say how long it took.

    Returns
    -------
    list of dict
        One §4.4 object per chosen feature, in the chosen order.

    Raises
    ------
    ConfigError
        A shadow endpoint (``$.predictor.model_name``), or features that are
        not features of the table.
    """
    from ...explain.analysis import (
        DEFAULT_GRID_RESOLUTION,
        model_features,
        output_labels,
        pdp_features,
    )
    from ...predict import open_model

    log = log or _log
    reason = why_no_spark_shap(config)
    if reason is not None:
        raise _refuse(reason)
    pdp = config.methods.pdp
    names, features, others = model_features(table)
    chosen = pdp_features(pdp, names, others, shap)
    if not chosen:
        return []
    # the number of outputs from one record, on the driver, as the local backend asks it
    with open_model(config, names, log=log) as session:
        n_outputs = session.scores(features.iloc[:1]).shape[1]
    label_headers = config.predictor.label_headers if config.predictor is not None else None
    labels = output_labels(n_outputs, label_headers)
    n = len(features)
    context = spark.sparkContext
    count = max(1, min(n, context.defaultParallelism * 4))
    bounds = np.linspace(0, n, count + 1).astype(int)
    slices = [features.iloc[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    grid_resolution = pdp.grid_resolution or DEFAULT_GRID_RESOLUTION
    started = time.perf_counter()
    plots = [
        _pdp_feature(config, features, name, labels, grid_resolution, context, slices)
        for name in chosen
    ]
    log.info(
        "PDP on Spark: %d feature(s) over %d rows in %d task(s) each in %.2fs",
        len(chosen),
        n,
        len(slices),
        time.perf_counter() - started,
    )
    return plots
