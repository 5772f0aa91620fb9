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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..errors import ConfigError, PredictorError
from ..limits import check_shap_fits
from .aggregate import aggregate
from .kernel_shap import DEFAULT_MAX_BATCH_ROWS, default_num_samples, explain
from .pdp import partial_dependence
from .tabular import TabularCodec

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
    "shap_setup",
]

#: ``scores(frame) -> float64[rows, K]``: the model's explained outputs.
ScoreFn = Callable[[pd.DataFrame], NDArray[np.float64]]

#: ``pdp.grid_resolution`` when absent (the SDK's ``PDPConfig`` default).
DEFAULT_GRID_RESOLUTION = 15
#: ``pdp.top_k_features`` when absent (contract §2.8).
DEFAULT_TOP_K_FEATURES = 10
#: Seconds between SHAP progress lines.
PROGRESS_SECONDS = 10.0

_log = logging.getLogger("openclarify")


def output_labels(n_outputs: int, label_headers: Sequence[Any] | None) -> list[str]:
    """Names of the model's ``n_outputs`` scores (module docstring, "Output labels")."""
    if not label_headers:
        return [f"label{k}" for k in range(n_outputs)]
    headers = [str(h) for h in label_headers]
    if len(headers) == n_outputs:
        return headers
    if n_outputs == 1 and len(headers) == 2:
        return headers[1:]
    raise PredictorError(
        "$.predictor.label_headers",
        f"names {len(headers)} labels but the model returns {n_outputs} score(s) per record",
        "give one label header per score the model returns (predictor.probability)",
    )


def resolve_feature_names(
    items: Sequence[str | int], features: Sequence[str], where: str, excluded: Sequence[str] = ()
) -> list[str]:
    """Names for ``features_to_explain`` / ``pdp.features`` entries, in the given order.

    Raises
    ------
    ConfigError
        An entry that is not a feature (naming the label or an excluded column
        says so), an index out of range, or a duplicate.
    """
    names: list[str] = []
    for i, item in enumerate(items):
        path = f"{where}[{i}]"
        if isinstance(item, int):
            if not 0 <= item < len(features):
                raise ConfigError(
                    path,
                    f"feature index {item} is out of range: the model has {len(features)} "
                    f"feature columns (0-{len(features) - 1})",
                    "count the feature columns only (without label, predicted label, join "
                    "and excluded columns), from 0",
                )
            name = features[item]
        else:
            name = str(item)
            if name not in features:
                kind = "is not a model feature" + (
                    " (it is the label, predicted label, join or an excluded column)"
                    if name in excluded
                    else ""
                )
                raise ConfigError(path, f"column '{name}' {kind}", "name a feature column")
        if name in names:
            raise ConfigError(path, f"feature '{name}' is listed twice", "list each feature once")
        names.append(name)
    return names


@dataclass(frozen=True)
class ShapExplanation:
    """Kernel SHAP results for every record and output label.

    Attributes
    ----------
    labels:
        Output label names (§6.3).
    features:
        Explained features, in dataset order.
    local:
        ``local[i, j, k]``: attribution of feature ``j`` to output ``k`` of record ``i``.
    expected_value:
        Per output: the mean model score over the baseline (log-odds with ``use_logit``).
    global_values:
        ``global_values[j, k]``: the ``agg_method`` aggregation of ``local[:, j, k]``.
    baseline:
        The baseline used (feature columns, dataset dtypes).
    num_samples:
        Coalitions per record (``None``: the default rule per record).
    join:
        The join column's values, written first in ``out.csv`` (``None``: no join column).
    save_local:
        ``save_local_shap_values``: whether ``out.csv`` is written.
    """

    labels: tuple[str, ...]
    features: tuple[str, ...]
    local: NDArray[np.float64]
    expected_value: NDArray[np.float64]
    global_values: NDArray[np.float64]
    baseline: pd.DataFrame
    num_samples: int | None
    join: pd.Series | None = None
    save_local: bool = False

    def section(self) -> dict[str, Any]:
        """``explanations.kernel_shap`` (contract §4.3)."""
        return {
            label: {
                "global_shap_values": {
                    feature: float(self.global_values[j, k])
                    for j, feature in enumerate(self.features)
                },
                "expected_value": float(self.expected_value[k]),
            }
            for k, label in enumerate(self.labels)
        }

    def ranking(self) -> list[str]:
        """Features by descending global value of the first label; ties in dataset order."""
        order = np.argsort(-self.global_values[:, 0], kind="stable")
        return [self.features[j] for j in order]

    def local_frame(self) -> pd.DataFrame:
        """``explanations_shap/out.csv`` as a frame (module docstring, "Local values")."""
        n = self.local.shape[0]
        columns: dict[str, Any] = {}
        if self.join is not None:
            columns[str(self.join.name)] = self.join.to_numpy()
        for k, label in enumerate(self.labels):
            for j, feature in enumerate(self.features):
                columns[f"{feature}_{label}"] = self.local[:, j, k]
        return pd.DataFrame(columns, index=range(n))

    def local_csv(self) -> str:
        """``out.csv``: a header row, then one row per record (floats in shortest exact form)."""
        return str(self.local_frame().to_csv(index=False, lineterminator="\n"))

    def baseline_csv(self) -> str:
        """``baseline.csv``: the baseline rows as CSV without a header.

        No header, features only, in dataset order: the form ``methods.shap.baseline``
        accepts as a file, so the file can be given back to a later run unchanged.
        """
        return str(self.baseline.to_csv(index=False, header=False, lineterminator="\n"))


def _scores_checked(scores: ScoreFn, use_logit: bool) -> ScoreFn:
    if not use_logit:
        return scores

    def checked(frame: pd.DataFrame) -> NDArray[np.float64]:
        values = scores(frame)
        if ((values < 0) | (values > 1)).any():
            raise PredictorError(
                "$.methods.shap.use_logit",
                "is true but the model returned scores outside [0, 1], which have no log-odds",
                "set use_logit to false, or point predictor.probability at probabilities",
            )
        return values

    return checked


def explain_records(
    features: pd.DataFrame,
    baseline: pd.DataFrame,
    scores: ScoreFn,
    *,
    label_headers: Sequence[Any] | None = None,
    features_to_explain: Sequence[str] | None = None,
    num_samples: int | None = None,
    seed: int | None = None,
    agg_method: str = "mean_abs",
    use_logit: bool = False,
    chunk_rows: int | None = None,
    max_batch_rows: int | None = None,
    log: logging.Logger | None = None,
) -> ShapExplanation:
    """Kernel SHAP for every row of ``features`` (contract §6.1).

    Parameters
    ----------
    features:
        Records to explain: the model's feature columns, in dataset order.
    baseline:
        Background rows with the same columns (:mod:`~openclarify.explain.baseline`,
        :mod:`~openclarify.explain.baseline_input`).
    scores:
        The model (:data:`ScoreFn`).
    label_headers:
        ``predictor.label_headers``.
    features_to_explain:
        Names of the features to attribute (default all); the others are
        always taken from the record.
    num_samples, seed, agg_method, use_logit:
        ``methods.shap`` settings (see :func:`~openclarify.explain.kernel_shap.explain`).
    chunk_rows:
        Records per model call (default: from ``max_batch_rows``).
    max_batch_rows:
        Synthetic rows per model call (default
        :data:`~openclarify.explain.kernel_shap.DEFAULT_MAX_BATCH_ROWS`, right for
        in-process models; remote models want more to keep requests in flight).
    log:
        Logger for progress lines.
    """
    log = log or _log
    names = [str(c) for c in features.columns]
    explained = list(features_to_explain) if features_to_explain is not None else names
    players = len(explained)
    coalitions = num_samples if num_samples is not None else default_num_samples(max(players, 1))
    if players < 63:
        coalitions = min(coalitions, 2**players - 2)
    model_rows = check_shap_fits(coalitions, len(baseline), len(names), len(features))
    log.info("SHAP will evaluate the model on about %d rows", model_rows)
    codec = TabularCodec.fit(features, baseline)
    records = codec.encode(features)
    background = codec.encode(baseline)
    model = _scores_checked(scores, use_logit)

    def predict(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        return model(codec.decode(matrix))

    positions = [names.index(name) for name in explained]
    positions.sort()
    n, m = records.shape
    log.info(
        "SHAP n_samples %s",
        num_samples if num_samples is not None else default_num_samples(len(positions)),
    )
    log.info(
        "Shap analyzer: explaining %d rows, %d columns (%d explained) against %d baseline row(s)",
        n,
        m,
        len(positions),
        len(background),
    )
    started = time.monotonic()
    last = [started]

    def progress(done: int, model_rows: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_SECONDS or done == n:
            last[0] = now
            log.info(
                "SHAP: %d of %d records explained, %d model rows evaluated, %.1fs",
                done,
                n,
                model_rows,
                now - started,
            )

    result = explain(
        predict,
        records,
        background,
        num_samples=num_samples,
        seed=seed,
        chunk_rows=chunk_rows,
        max_batch_rows=max_batch_rows or DEFAULT_MAX_BATCH_ROWS,
        features_to_explain=positions if features_to_explain is not None else None,
        use_logit=use_logit,
        progress=progress,
    )
    labels = output_labels(result.phi.shape[2], label_headers)
    local = result.phi[:, positions, :]
    global_values = (
        aggregate(local, agg_method) if n else np.zeros((len(positions), local.shape[2]))
    )
    log.info("getting explanations took %.2fs", time.monotonic() - started)
    return ShapExplanation(
        labels=tuple(labels),
        features=tuple(names[j] for j in positions),
        local=local,
        expected_value=np.asarray(result.expected_value, dtype=np.float64),
        global_values=global_values,
        baseline=baseline,
        num_samples=num_samples,
    )


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
    for name in chosen:
        plots.append(
            partial_dependence(
                scores, features, name, grid_resolution=grid_resolution, label_headers=labels
            )
        )
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
