"""SHAP and PDP for one job: from the feature table and a model to ``explanations``.

The job gives the features (a frame of the model's feature columns, in
dataset order) and a *score function* ``frame -> float[rows, K]`` (the model
through :class:`openclarify.predict.ModelSession`, or any callable in tests).
Nothing here reads files or talks to a model directly.

Decisions where the contract leaves room (§11):

* **Output labels** (§6.3): ``predictor.label_headers`` when it names one
  entry per score; a model giving one score with two ``label_headers`` is
  explained under the second name (a single score is the probability of the
  positive, second class, as scikit-learn's ``predict_proba[:, 1]``); without
  ``label_headers``, ``label0``, ``label1``, …  Any other mismatch is an error.
* **Indices** in ``features_to_explain`` and ``pdp.features`` count the
  model's feature columns (the dataset without label, predicted label, join
  and excluded columns), from 0.
* **PDP ranking** (``top_k_features``): descending global SHAP value of the
  first output label; ties keep dataset order.
* **``use_logit``** needs probabilities: a score outside ``[0, 1]`` is a
  :class:`~openclarify.errors.PredictorError` instead of a silently clipped value.
* **Local values** (``out.csv``): one row per record, columns
  ``<feature>_<label>`` label by label (all features of ``label0``, then of
  ``label1``, …), preceded by the join column when the dataset has one.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..progress import Tracker
from .aggregate import aggregate
from .pdp import partial_dependence, pdp_grid
from .shap_values import (
    ScoreFn,
    ShapExplanation,
    explain_records,
    output_labels,
    resolve_feature_names,
)
from .shap_values import (
    _scores_checked as _scores_checked,  # re-exported: the Spark SHAP tasks use it
)

__all__ = [
    "DEFAULT_GRID_RESOLUTION",
    "DEFAULT_TOP_K_FEATURES",
    "Explanations",
    "ScoreFn",
    "ShapExplanation",
    "explain_records",
    "explanations_for",
    "kernel_shap_for",
    "model_features",
    "output_labels",
    "partial_dependence_plots",
    "pdp_features",
    "pdp_for",
    "resolve_feature_names",
    "segment_explanation",
    "shap_setup",
]

#: ``pdp.grid_resolution`` when absent (the SDK's ``PDPConfig`` default).
DEFAULT_GRID_RESOLUTION = 15
#: ``pdp.top_k_features`` when absent (contract §2.8).
DEFAULT_TOP_K_FEATURES = 10

_log = logging.getLogger("openclarify")


def partial_dependence_plots(
    features: pd.DataFrame,
    scores: ScoreFn,
    chosen: Sequence[str],
    *,
    grid_resolution: int,
    label_headers: Sequence[Any] | None = None,
    log: logging.Logger | None = None,
) -> list[dict[str, Any]]:
    """``explanations.pdp``: one §4.4 object per chosen feature, in the given order."""
    log = log or _log
    if not chosen:
        return []
    n_outputs = scores(features.iloc[:1]).shape[1]
    labels = output_labels(n_outputs, label_headers)
    plots = []
    started = time.monotonic()
    grids = [pdp_grid(features[name], grid_resolution) for name in chosen]
    n = len(features)
    tracker = Tracker("PDP", sum(len(values) * n for _, values, _ in grids), "model rows", log=log)
    tracker.update(0)
    scored = 0  # model rows of the features done
    for name, grid in zip(chosen, grids, strict=True):

        def progress(rows: int, before: int = scored) -> None:
            tracker.update(before + rows)

        plots.append(
            partial_dependence(
                scores,
                features,
                name,
                grid_resolution=grid_resolution,
                label_headers=labels,
                grid=grid,
                progress=progress,
            )
        )
        scored += len(grid[1]) * n
    log.info(
        "PDP for %d feature(s) over %d rows took %.2fs",
        len(chosen),
        len(features),
        time.monotonic() - started,
    )
    return plots


def shap_setup(
    config: Any,
    features: pd.DataFrame,
    others: Sequence[str],
    locations: Any = None,
    log: logging.Logger | None = None,
) -> tuple[list[str] | None, pd.DataFrame]:
    """``methods.shap``'s explained features (``None``: all) and its baseline.

    The baseline is the configured one (:mod:`~openclarify.explain.baseline_input`)
    or, when absent, computed by clustering ``features``
    (:func:`~openclarify.explain.baseline.compute_baseline`).  ``others`` are the
    columns that are not features, named in messages.
    """
    from .baseline import compute_baseline
    from .baseline_input import baseline_from_config

    log = log or _log
    shap = config.methods.shap
    names = [str(c) for c in features.columns]
    to_explain = None
    if shap.features_to_explain is not None:
        to_explain = resolve_feature_names(
            shap.features_to_explain, names, "$.methods.shap.features_to_explain", others
        )
    started = time.monotonic()
    if shap.baseline is not None:
        baseline = baseline_from_config(
            shap.baseline,
            features,
            dataset_type=config.dataset_type,
            features_expression=config.features,
            locations=locations,
        )
        log.info("Using the given baseline of %d row(s)", len(baseline))
    else:
        baseline = compute_baseline(features, num_clusters=shap.num_clusters, seed=shap.seed)
        log.info(
            "Computed a baseline of %d row(s) by clustering in %.2fs",
            len(baseline),
            time.monotonic() - started,
        )
    return to_explain, baseline


def model_features(table: Any) -> tuple[list[str], pd.DataFrame, list[str]]:
    """The model's feature names, their frame (fresh index) and the other columns.

    ``table`` is a :class:`~openclarify.data.table.BiasTable`; the other columns are
    named in messages about a name that is not a feature.
    """
    names = list(table.feature_columns)
    features = table.frame[names].reset_index(drop=True)
    others = [c for c in table.frame.columns if c not in set(names)]
    return names, features, others


def pdp_features(
    pdp: Any, names: Sequence[str], others: Sequence[str], shap: ShapExplanation | None
) -> list[str]:
    """The features ``methods.pdp`` plots: ``features``, else the top SHAP ones.

    Raises
    ------
    ConfigError
        Neither ``features`` nor a SHAP ranking to take the top features from.
    """
    if pdp.features is not None:
        return resolve_feature_names(pdp.features, names, "$.methods.pdp.features", others)
    if shap is not None:
        return shap.ranking()[: pdp.top_k_features or DEFAULT_TOP_K_FEATURES]
    raise ConfigError(
        "$.methods.pdp.features",
        "is required when methods.shap is not run (there is no SHAP ranking to take "
        "the top features from)",
        "list the features to plot, or add methods.shap",
    )


@dataclass(frozen=True)
class Explanations:
    """What ``methods.shap`` and ``methods.pdp`` produced for one job."""

    shap: ShapExplanation | None
    pdp: list[dict[str, Any]] | None

    def section(self) -> dict[str, Any]:
        """``explanations`` of ``analysis.json`` (contract §4.1): ``kernel_shap``, then ``pdp``."""
        out: dict[str, Any] = {}
        if self.shap is not None:
            out["kernel_shap"] = self.shap.section()
        if self.pdp is not None:
            out["pdp"] = self.pdp
        return out


def kernel_shap_for(
    config: Any,
    table: Any,
    scores: ScoreFn,
    *,
    locations: Any = None,
    rows_per_call: int | None = None,
    log: logging.Logger | None = None,
) -> ShapExplanation:
    """Run ``methods.shap`` of ``config`` on ``table`` (see :func:`explanations_for`)."""
    log = log or _log
    _, features, others = model_features(table)
    label_headers = config.predictor.label_headers if config.predictor is not None else None
    shap = config.methods.shap
    to_explain, baseline = shap_setup(config, features, others, locations, log)
    join = table.frame[table.join] if table.join is not None else None
    result = explain_records(
        features,
        baseline,
        scores,
        label_headers=label_headers,
        features_to_explain=to_explain,
        num_samples=shap.num_samples,
        seed=shap.seed,
        agg_method=shap.agg_method or "mean_abs",
        use_logit=bool(shap.use_logit),
        max_batch_rows=rows_per_call,
        log=log,
    )
    return dataclasses.replace(
        result,
        join=join.reset_index(drop=True) if join is not None else None,
        save_local=bool(shap.save_local_shap_values),
    )


def segment_explanation(shap: ShapExplanation, rows: Any, settings: Any) -> ShapExplanation:
    """``shap`` restricted to the records ``rows`` (a boolean mask), aggregated again.

    ``settings`` is ``methods.shap`` (its ``agg_method``); ``expected_value`` and
    the baseline are unchanged (they depend on the baseline only).
    """
    selected = shap.local[rows]
    # in the layout explain_records gives its local values (numpy's pairwise summation
    # depends on it): the aggregate of all rows is then the whole run's, bit for bit,
    # and a segment's that of its records explained alone
    local = np.empty_like(shap.local, shape=selected.shape)
    local[...] = selected
    global_values = (
        aggregate(local, settings.agg_method or "mean_abs")
        if len(local)
        else np.zeros(shap.global_values.shape)
    )
    join = shap.join[rows].reset_index(drop=True) if shap.join is not None else None
    return dataclasses.replace(shap, local=local, global_values=global_values, join=join)


def pdp_for(
    config: Any,
    table: Any,
    scores: ScoreFn,
    *,
    shap: ShapExplanation | None = None,
    log: logging.Logger | None = None,
) -> list[dict[str, Any]]:
    """Run ``methods.pdp`` of ``config`` on ``table``; ``shap`` ranks ``top_k_features``."""
    log = log or _log
    names, features, others = model_features(table)
    label_headers = config.predictor.label_headers if config.predictor is not None else None
    pdp = config.methods.pdp
    chosen = pdp_features(pdp, names, others, shap)
    return partial_dependence_plots(
        features,
        scores,
        chosen,
        grid_resolution=pdp.grid_resolution or DEFAULT_GRID_RESOLUTION,
        label_headers=label_headers,
        log=log,
    )


def explanations_for(
    config: Any,
    table: Any,
    scores: ScoreFn,
    *,
    locations: Any = None,
    rows_per_call: int | None = None,
    log: logging.Logger | None = None,
) -> Explanations:
    """Run ``methods.shap`` and then ``methods.pdp`` of ``config`` on ``table``.

    Parameters
    ----------
    config:
        The :class:`~openclarify.config.AnalysisConfig`.
    table:
        The loaded :class:`~openclarify.data.table.BiasTable`; its
        ``feature_columns`` are the model's input.
    scores:
        The model (:data:`ScoreFn`).
    locations:
        :class:`~openclarify.locations.Locations` for a baseline file.
    rows_per_call:
        Synthetic rows per model call (``None``: the in-process default).
    log:
        Logger for progress lines.
    """
    shap = None
    if config.methods.shap is not None:
        shap = kernel_shap_for(
            config, table, scores, locations=locations, rows_per_call=rows_per_call, log=log
        )
    pdp = None
    if config.methods.pdp is not None:
        pdp = pdp_for(config, table, scores, shap=shap, log=log)
    return Explanations(shap, pdp)
