"""Bias analysis of one table: facets × facet groups × metrics.

Whole-analysis failures that smclarify raises from its report call are
handled here, by design (contract §11.6 leaves it open):

* a continuous facet without a threshold, a non-numeric threshold, or a
  predicted-label column whose kind differs from the label's ⇒ the job fails
  with an :class:`~openclarify.errors.AnalysisError` naming the JSON path;
* no positive predicted label at all ⇒ the job still succeeds: every
  requested post-training metric is reported with ``value: null`` and
  smclarify's error text, so pre-training results are not lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..data.kinds import Kind
from ..data.selection import (
    NO_POSITIVE_PREDICTION,
    Selection,
    SelectionError,
    facet_groups,
    positive_label,
    positive_prediction,
)
from ..data.table import BiasTable, FacetColumn
from ..errors import AnalysisError
from ..results import BiasSection, FacetGroupResult
from .engine import GroupCodes, evaluate_group, failed_group
from .fliptest import numeric_feature_matrix
from .registry import MetricSpec

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Labels:
    """Positive masks of the label and, when available, of the prediction."""

    label_name: str
    positive: Selection
    predicted: BoolArray | None
    predicted_failure: str | None = None


def _probability_scores(series: pd.Series) -> bool:
    """A float column of probabilities (every non-null value in [0, 1])."""
    if not pd.api.types.is_float_dtype(series.dtype):
        return False
    values = series.dropna()
    return len(values) > 0 and bool(((values >= 0) & (values <= 1)).all())


def resolve_labels(
    table: BiasTable,
    label_values: Sequence[Any],
    probability_threshold: float,
    need_predictions: bool,
) -> Labels:
    """Positive-label mask and positive-prediction mask for the whole table.

    A predicted-label column of probabilities next to a categorical label is
    binarised with ``score > probability_threshold`` (contract §2.4); any
    other predicted-label column is judged like smclarify judges it.
    """
    if table.label is None:
        raise AnalysisError("$.label", "bias analysis needs a label column", "set $.label")
    label_series = table.frame[table.label]
    try:
        positive, label_data = positive_label(label_series, list(label_values))
    except SelectionError as exc:
        raise AnalysisError("$.label_values_or_threshold", str(exc)) from exc
    if not need_predictions or table.predicted_label is None:
        return Labels(table.label, positive, None)
    predicted_series = table.frame[table.predicted_label]
    if positive.kind is Kind.CATEGORICAL and _probability_scores(predicted_series):
        mask = predicted_series.to_numpy(dtype=np.float64, na_value=np.nan) > probability_threshold
        if not mask.any():
            return Labels(table.label, positive, None, NO_POSITIVE_PREDICTION)
        return Labels(table.label, positive, np.asarray(mask, dtype=bool))
    try:
        predicted = positive_prediction(
            predicted_series, label_data, positive.kind, list(label_values)
        )
    except SelectionError as exc:
        if str(exc) == NO_POSITIVE_PREDICTION:
            return Labels(table.label, positive, None, NO_POSITIVE_PREDICTION)
        raise AnalysisError(
            "$.predicted_label",
            f"{exc}: label column '{table.label}' is {positive.kind.value} but predicted label column "
            f"'{table.predicted_label}' is not",
            "give predictions of the same type as the labels (or probabilities with $.probability_threshold)",
        ) from exc
    return Labels(table.label, positive, predicted.mask)


def _groups_of(facet: FacetColumn) -> list[Selection]:
    try:
        return facet_groups(facet.series, facet.values)
    except SelectionError as exc:
        raise AnalysisError(
            f"{facet.path}.value_or_threshold",
            f"facet column '{facet.name}' is continuous; {exc}",
            "give one numeric threshold, e.g. [40], or several category values",
        ) from exc


def bias_section(
    specs: Sequence[MetricSpec],
    table: BiasTable,
    labels: Labels,
    post_training: bool,
    n_jobs: int | None = None,
) -> BiasSection:
    """One ``*_training_bias_metrics`` section for every configured facet."""
    y = labels.positive.mask
    yhat = labels.predicted if post_training else None
    groups = GroupCodes.from_series(table.frame[table.group]) if table.group else None
    facets: dict[str, tuple[FacetGroupResult, ...]] = {}
    for facet in table.facets:
        selections = _groups_of(facet)
        if post_training and labels.predicted_failure is not None:
            facets[facet.name] = tuple(
                failed_group(specs, s.rendered, labels.predicted_failure) for s in selections
            )
            continue

        @cache
        def flip_matrix(facet_name: str = facet.name) -> npt.NDArray[np.float64] | None:
            columns = [c for c in table.feature_columns if c != facet_name]
            return numeric_feature_matrix(table.frame[columns])

        facets[facet.name] = tuple(
            evaluate_group(specs, s.rendered, s.mask, y, yhat, groups, flip_matrix, n_jobs)
            for s in selections
        )
    return BiasSection(labels.label_name, facets, labels.positive.rendered)
