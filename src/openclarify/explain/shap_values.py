"""Kernel SHAP over the records of a table: output labels, feature names, :class:`ShapExplanation`.

The decisions on labels, indices, ``use_logit`` and local values are stated in
:mod:`openclarify.explain.analysis`; this module holds the code that applies them.
"""

from __future__ import annotations

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
from ..progress import Tracker
from .aggregate import aggregate
from .kernel_shap import DEFAULT_MAX_BATCH_ROWS, default_num_samples, explain
from .tabular import TabularCodec

#: ``scores(frame) -> float64[rows, K]``: the model's explained outputs.
ScoreFn = Callable[[pd.DataFrame], NDArray[np.float64]]

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
    tracker = Tracker("SHAP", n, "records", log=log)

    def progress(done: int, model_rows: int) -> None:
        tracker.update(done, f", {model_rows} model rows evaluated")

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
