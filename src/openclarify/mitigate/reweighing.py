"""Reweighing (Kamiran & Calders, 2012): weights under which facet and label are independent.

For facet value ``a`` and label value ``y`` over ``n`` rows::

    w(a, y) = P(a) · P(y) / P(a, y) = n_a · n_y / (n · n_ay)

Every row of the cell ``(a, y)`` gets ``w(a, y)``.  The weighted counts are then
``W(a, y) = n_ay · w(a, y) = n_a · n_y / n``, and the weighted marginals are the
unweighted ones (``W(a) = n_a``, ``W(y) = n_y``, ``W = n``), so
``W(a, y) / W = (W(a) / W) · (W(y) / W)``: in the weighted data facet and label are
independent.  Consequences: weighted DPL, KL, JS, LP, TVD and KS are 0 for every
facet value; weighted CI is the unweighted CI (each facet value keeps its total
weight — reweighing changes who is positive, not how many rows a group has).

Cells are the distinct (facet, label) values, as for resampling, so independence
holds for the label itself, and therefore for any positive / negative split of it.
Nothing is dropped: the weights go in a column next to the data, for an estimator's
``sample_weight``.

The "after" metrics are the registry's own functions (:mod:`openclarify.bias.registry`)
on weighted counts, so they are the job's formulas with weighted sums for counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..bias.common import MetricFailure, MetricInputs
from ..bias.counts import ConfusionCounts
from ..bias.registry import BY_CODE
from ..errors import ConfigError
from .common import LAB_METHODS, Mitigation, as_frame, bias_metrics, check_columns

__all__ = ["WeightedCounts", "reweigh", "weighted_metrics"]


class WeightedCounts(ConfusionCounts):
    """Confusion cells holding sums of weights (floats) instead of row counts."""

    def n(self, d: int) -> float:  # type: ignore[override]
        return math.fsum(self.cells[d].ravel())

    def n_label(self, d: int, y: int) -> float:  # type: ignore[override]
        return math.fsum(self.cells[d, y].ravel())

    def n_pred(self, d: int, yhat: int) -> float:  # type: ignore[override]
        return math.fsum(self.cells[d, :, yhat].ravel())

    def cell(self, d: int, y: int, yhat: int) -> float:  # type: ignore[override]
        return float(self.cells[d, y, yhat])


def weighted_metrics(
    facet_values: pd.Series,
    positive: np.ndarray,
    weights: np.ndarray,
    methods: Sequence[str],
) -> pd.DataFrame:
    """Pre-training metrics one-vs-rest for every facet value, with rows weighted.

    Counts are exactly-rounded sums of weights (:func:`math.fsum`); with all
    weights 1 they are the job's integer counts.
    """
    rows = []
    for value in sorted(facet_values.unique(), key=str):
        d = (facet_values == value).to_numpy()
        cells = np.zeros((2, 2, 2))
        for group in (0, 1):
            for y in (0, 1):
                mask = (d == bool(group)) & (positive == bool(y))
                cells[group, y, 0] = math.fsum(weights[mask])
        inputs = MetricInputs(WeightedCounts(cells))  # type: ignore[arg-type]  # float cells
        for code in methods:
            spec = BY_CODE[code]
            if spec.stage != "pre_training" or spec.needs != "counts":
                raise ConfigError(
                    "methods",
                    f"{code} cannot be weighted here (needs {spec.needs}, stage {spec.stage})",
                    f"use codes from {', '.join(LAB_METHODS)}",
                )
            try:
                result = float(spec.compute(inputs))
            except MetricFailure:
                result = float("nan")
            rows.append(
                {
                    "stage": "pre_training",
                    "facet": str(facet_values.name),
                    "value_or_threshold": str(value),
                    "metric": code,
                    "value": result,
                }
            )
    return pd.DataFrame(rows, columns=["stage", "facet", "value_or_threshold", "metric", "value"])


def reweigh(
    data: Any,
    *,
    label: str,
    facet: str,
    label_values: Sequence[Any],
    weight_column: str = "sample_weight",
    methods: Sequence[str] = LAB_METHODS,
) -> Mitigation:
    """Add Kamiran & Calders weights ``w(a, y) = P(a)·P(y)/P(a, y)`` as a column.

    Parameters
    ----------
    data:
        A pandas DataFrame or a pyarrow Table.
    label, facet:
        The label and sensitive columns; their distinct values make the cells.
    label_values:
        The positive label values, for the before / after metrics.
    weight_column:
        Name of the new column (must not exist yet).
    methods:
        Pre-training count metrics for the before / after tables (default: the lab's).

    Returns
    -------
    Mitigation
        ``data`` every row with ``weight_column``; ``after`` the weighted metrics;
        ``details["weights"]`` the weight of each cell ``"facet|label"``.
    """
    frame = as_frame(data)
    check_columns(frame, label=label, facet=facet)
    if weight_column in frame.columns:
        raise ConfigError(
            "weight_column",
            f"the column {weight_column!r} already exists",
            "choose another name: weight_column='...'",
        )
    n = len(frame)
    n_a = frame.groupby(facet).size()
    n_y = frame.groupby(label).size()
    n_ay = frame.groupby([facet, label]).size()
    # integers exact below 2**53; one correctly rounded division per cell
    cell_weight: dict[tuple[Any, Any], float] = {}
    pairs: dict[Any, Any] = dict(n_ay.items())  # a two-level index: keys are pairs
    for (a, y), count in pairs.items():
        cell_weight[(a, y)] = (int(n_a[a]) * int(n_y[y])) / (n * int(count))
    keys = list(zip(frame[facet], frame[label], strict=True))
    weights = np.array([cell_weight[key] for key in keys], dtype=np.float64)
    weighted = frame.assign(**{weight_column: weights})
    positive = frame[label].isin(list(label_values)).to_numpy()
    return Mitigation(
        data=weighted,
        before=bias_metrics(
            frame, label=label, label_values=label_values, facet=facet, methods=methods
        ),
        after=weighted_metrics(frame[facet], positive, weights, methods),
        method="reweigh",
        details={"weights": {f"{a}|{y}": w for (a, y), w in cell_weight.items()}},
    )
