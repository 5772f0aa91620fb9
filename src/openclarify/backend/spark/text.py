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
backend, with the same limit of synthetic rows per call.  Record ``i`` draws
its coalitions from ``default_rng([seed, i])`` wherever it runs, and a model
output depends only on its row, so the values are the local ones; the driver
puts them back in record order and aggregates them exactly as locally
(``global_shap_values``, ``global_top_shap_text`` with its tie order,
``expected_value``), so ``analysis.json``, ``out.jsonl``, ``baseline.csv`` and
the report are byte-identical to the local backend's.
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
from .tasks import _map

_log = logging.getLogger("openclarify")


@dataclass(frozen=True)
class _TextTask:
    """The job's settings every task shares (its records come with its unit)."""

    config: Any
    feature_names: list[str]
    num_samples: int | None
    seed: int
    use_logit: bool


def _explain_text_part(task: _TextTask, part: Any) -> Any:
    """Kernel SHAP of one part's records, by a model opened in the task."""
    from ...predict import open_model

    with open_model(task.config, task.feature_names) as session:
        return part.explain(
            session.scores,
            num_samples=task.num_samples,
            seed=task.seed,
            use_logit=task.use_logit,
            max_batch_rows=part.max_batch_rows(session.rows_per_call),
        )


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
    task = _TextTask(
        config,
        [str(c) for c in inputs.features.columns],
        shap.num_samples,
        seed,
        bool(shap.use_logit),
    )
    n = laid_out.n_records
    context = spark.sparkContext
    slices = max(1, min(n, context.defaultParallelism * 4))
    bounds = np.linspace(0, n, slices + 1).astype(int)
    parts = [laid_out.part(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]
    started = time.perf_counter()
    results = _map(context, parts, functools.partial(_explain_text_part, task))
    log.info(
        "Text SHAP on Spark: %d records in %d task(s) in %.2fs",
        n,
        len(parts),
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
