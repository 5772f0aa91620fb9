"""SHAP on Spark: the records explained per partition, each task with its global row offset."""

from __future__ import annotations

import functools
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .session import _refuse
from .tasks import _map, blas_threads, driver_blas

_log = logging.getLogger("openclarify")


def why_no_spark_shap(config: Any) -> str | None:
    """Why ``methods.shap`` of this config cannot run on Spark (``None``: it can)."""
    predictor = config.predictor
    extension = predictor.openclarify if predictor is not None else None
    local = extension is not None and extension.local_target
    if predictor is not None and predictor.model_name is not None and not local:
        # every task would create (and delete) its own shadow endpoint
        return "a shadow endpoint ($.predictor.model_name) is created by the local backend only"
    from ...predict.inprocess import is_lent

    if extension is not None and extension.model_path is not None and is_lent(extension.model_path):
        # the object lives in this process; Spark's Python workers are other processes
        return (
            "a model passed as a Python object (model=...) exists only in this process, not "
            "in the Spark workers (or save it with joblib.dump and give its model_path)"
        )
    return None


@dataclass(frozen=True)
class _ShapTask:
    """Everything a task needs to explain its records with the job's settings."""

    config: Any
    feature_names: list[str]
    codec: Any  # explain.tabular.TabularCodec
    background: npt.NDArray[np.float64]
    num_samples: int | None
    seed: int
    positions: list[int] | None
    use_logit: bool
    blas_threads: int | None


def _explain_part(task: _ShapTask, part: tuple[int, npt.NDArray[np.float64]]) -> Any:
    """Kernel SHAP of one partition's records, with their global row offset."""
    from ...explain.analysis import _scores_checked
    from ...explain.kernel_shap import DEFAULT_MAX_BATCH_ROWS, explain
    from ...predict import open_model

    offset, records = part
    # the fits round as on the driver (tasks.blas_threads: from about 25 players on)
    with driver_blas(task.blas_threads), open_model(task.config, task.feature_names) as session:
        model = _scores_checked(session.scores, task.use_logit)

        def predict(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return model(task.codec.decode(matrix))

        return explain(
            predict,
            records,
            task.background,
            num_samples=task.num_samples,
            seed=task.seed,
            row_offset=offset,
            max_batch_rows=session.rows_per_call or DEFAULT_MAX_BATCH_ROWS,
            features_to_explain=task.positions,
            use_logit=task.use_logit,
        )


def spark_shap(
    config: Any,
    table: Any,
    *,
    spark: Any,
    locations: Any = None,
    log: logging.Logger | None = None,
) -> Any:
    """``methods.shap`` with the records explained by Spark tasks.

    The driver prepares what the local backend prepares
    (:func:`openclarify.explain.analysis.explanations_for`: the feature
    columns, the baseline, the encoding); the records are split into
    partitions that keep their global row offset, and each task runs
    :func:`~openclarify.explain.kernel_shap.explain` with that ``row_offset``:
    record ``i`` draws its coalitions from ``default_rng([seed, i])`` wherever
    it runs, so the values equal the local backend's.  Each task opens the
    model itself (an in-process model is loaded per task; an endpoint is
    called from the executors, at most ``max_concurrency`` requests per task).

    Returns
    -------
    ShapExplanation
        As :func:`~openclarify.explain.analysis.explanations_for` builds it.
    """
    from ...explain.aggregate import aggregate
    from ...explain.analysis import ShapExplanation, model_features, output_labels, shap_setup
    from ...explain.kernel_shap import default_num_samples
    from ...explain.tabular import TabularCodec
    from ...limits import check_shap_fits

    log = log or _log
    reason = why_no_spark_shap(config)
    if reason is not None:
        raise _refuse(reason)
    shap = config.methods.shap
    names, features, others = model_features(table)
    to_explain, baseline = shap_setup(config, features, others, locations, log)
    explained = list(to_explain) if to_explain is not None else names
    coalitions = (
        shap.num_samples
        if shap.num_samples is not None
        else default_num_samples(max(len(explained), 1))
    )
    if len(explained) < 63:
        coalitions = min(coalitions, 2 ** len(explained) - 2)
    check_shap_fits(coalitions, len(baseline), len(names), len(features))
    codec = TabularCodec.fit(features, baseline)
    records = codec.encode(features)
    positions = sorted(names.index(name) for name in explained)
    # no seed: one draw for the whole job, so that all partitions share it
    seed = shap.seed if shap.seed is not None else int(np.random.default_rng().integers(2**62))
    task = _ShapTask(
        config,
        names,
        codec,
        codec.encode(baseline),
        shap.num_samples,
        seed,
        positions if to_explain is not None else None,
        bool(shap.use_logit),
        blas_threads(),
    )
    n = len(records)
    slices = max(1, min(n, spark.sparkContext.defaultParallelism * 4))
    bounds = np.linspace(0, n, slices + 1).astype(int)
    parts = [(int(a), records[a:b]) for a, b in itertools.pairwise(bounds) if b > a]
    started = time.perf_counter()
    results = _map(spark.sparkContext, parts, functools.partial(_explain_part, task), "Spark SHAP")
    phi = np.concatenate([r.phi for r in results])
    local = phi[:, positions, :]
    log.info(
        "SHAP on Spark: %d records in %d task(s) in %.2fs",
        n,
        len(parts),
        time.perf_counter() - started,
    )
    label_headers = config.predictor.label_headers if config.predictor is not None else None
    return ShapExplanation(
        labels=tuple(output_labels(phi.shape[2], label_headers)),
        features=tuple(names[j] for j in positions),
        local=local,
        expected_value=np.asarray(results[0].expected_value, dtype=np.float64),
        global_values=aggregate(local, shap.agg_method or "mean_abs"),
        baseline=baseline,
        num_samples=shap.num_samples,
        join=table.frame[table.join].reset_index(drop=True) if table.join is not None else None,
        save_local=bool(shap.save_local_shap_values),
    )
