"""Text SHAP on Spark: the records cut and laid out on the driver, explained per partition.

The driver does everything the local backend does before and after the
estimator (:mod:`openclarify.explain.text.method`): it finds the free-text
columns, builds the baseline, splits every text into units with spaCy and lays
the records out (:func:`~openclarify.explain.text.shap.lay_out_text_records`:
the same matrix width, unit slots and replacements), and refuses what cannot
be explained before any task starts.  The records are cut into contiguous
parts that keep their global row offset; each task receives its records with
their own cut texts only (no spaCy on the executors), opens the model and runs
the same :meth:`~openclarify.explain.text.shap.TextPart.explain` as the local
backend.  Why the values are the local ones, bit for bit:

* record ``i`` draws its coalitions from ``default_rng([seed, i])`` wherever it
  runs (one seed for the job, drawn on the driver when the config has none);
* the parts are cut on the local backend's call boundaries and every task is
  given the local records per call
  (:func:`~openclarify.explain.kernel_shap.records_per_call`, which depends on
  every record's coalitions, so only the driver can compute it): each task
  sends the model exactly the calls the local backend sends for its records,
  row for row, so even a model whose rounding depends on the batch answers
  the same;
* the fits run with the driver's BLAS thread count (:func:`~.tasks.driver_blas`).

The driver puts the values back in record order and aggregates them with the
local code (``global_shap_values``, ``global_top_shap_text`` with its order of
ties, ``expected_value``), so ``analysis.json``, ``out.jsonl``, ``baseline.csv``
and the report are byte-identical to the local backend's.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .session import _refuse
from .shap import why_no_spark_shap
from .tasks import _map, blas_threads, driver_blas

_log = logging.getLogger("openclarify")


@dataclass(frozen=True)
class _TextTask:
    """The job's settings every task shares (its records come with its unit)."""

    config: Any
    feature_names: list[str]
    num_samples: int | None
    seed: int
    use_logit: bool
    max_batch_rows: int
    records_per_call: int
    blas_threads: int | None


def _explain_text_part(task: _TextTask, part: Any) -> Any:
    """Kernel SHAP of one part's records, by a model opened in the task."""
    from ...predict import open_model

    with driver_blas(task.blas_threads), open_model(task.config, task.feature_names) as session:
        return part.explain(
            session.scores,
            num_samples=task.num_samples,
            seed=task.seed,
            use_logit=task.use_logit,
            max_batch_rows=task.max_batch_rows,
            chunk_rows=task.records_per_call,
        )


def _bounds(n: int, per_call: int, parallelism: int) -> list[tuple[int, int]]:
    """Parts of ``n`` records made of whole model calls of ``per_call`` records each.

    Up to ``4 × parallelism`` parts, as for tabular SHAP; every part but the last
    starts and ends on a call boundary of the local backend, so each task sends
    the calls the local backend sends for those records.  No records: one empty
    part, whose task still gives the model's output on the baseline.
    """
    if n == 0:
        return [(0, 0)]
    calls = -(-n // per_call)
    count = max(1, min(calls, parallelism * 4))
    edges = np.linspace(0, calls, count + 1).astype(int) * per_call
    return [(int(a), int(min(b, n))) for a, b in itertools.pairwise(edges) if b > a]


def spark_text_shap(
    config: Any,
    table: Any,
    *,
    spark: Any,
    locations: Any = None,
    log: logging.Logger | None = None,
) -> Any:
    """``methods.shap`` with ``text_config``, the records explained by Spark tasks.

    Returns
    -------
    TextShapExplanation
        As :func:`~openclarify.explain.text.method.text_shap_for` builds it.

    Raises
    ------
    ConfigError
        A shadow endpoint (``$.predictor.model_name``): every task would create
        its own.
    """
    from ...explain.text.method import text_inputs, with_job_settings
    from ...explain.text.shap import lay_out_text_records
    from ...predict import rows_per_call

    log = log or _log
    reason = why_no_spark_shap(config)
    if reason is not None:
        raise _refuse(reason)
    shap = config.methods.shap
    inputs = text_inputs(config, table, locations=locations, log=log)
    laid_out = lay_out_text_records(
        inputs.features,
        inputs.types,
        inputs.baseline,
        inputs.segmenter,
        num_samples=shap.num_samples,
        log=log,
    )
    # no seed: one draw for the whole job, so that all parts share it
    seed = shap.seed if shap.seed is not None else int(np.random.default_rng().integers(2**62))
    max_rows = laid_out.max_batch_rows(rows_per_call(config))
    per_call = laid_out.records_per_call(
        seed=seed, num_samples=shap.num_samples, max_batch_rows=max_rows
    )
    task = _TextTask(
        config,
        [str(c) for c in inputs.features.columns],
        shap.num_samples,
        seed,
        bool(shap.use_logit),
        max_rows,
        max(1, per_call),
        blas_threads(),
    )
    n = laid_out.n_records
    context = spark.sparkContext
    parts = [laid_out.part(lo, hi) for lo, hi in _bounds(n, per_call, context.defaultParallelism)]
    started = time.perf_counter()
    results = _map(context, parts, functools.partial(_explain_text_part, task), "Spark text SHAP")
    log.info(
        "Text SHAP on Spark: %d records in %d task(s), %d per model call, in %.2fs",
        n,
        len(parts),
        per_call,
        time.perf_counter() - started,
    )
    phi = np.concatenate([r.phi for r in results])
    result = laid_out.explanation(
        phi,
        results[0].expected_value,
        label_headers=config.predictor.label_headers if config.predictor is not None else None,
        agg_method=shap.agg_method or "mean_abs",
        max_top_tokens=shap.text_config.max_top_tokens,
    )
    return with_job_settings(config, table, result)
