"""The summary pass and every whole-column decision taken from the merged summaries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..data.kinds import Kind
from ..data.selection import PREDICTED_TYPE_MISMATCH, SelectionError, render
from ..errors import AnalysisError
from .plan import ColumnPlan, _Columns
from .rules import (
    FacetRule,
    GroupRule,
    TooManyValues,
    categorical_rule,
    continuous_intervals,
    facet_rule,
    group_rule,
    interval_rule,
    match_values,
)
from .summary import ColumnSummary

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Rules:
    """The row rules decided from whole-column summaries; applied to any batch."""

    label: _LabelRule
    prediction: _PredictionRule | None
    group: GroupRule | None
    facets: list[FacetRule]
    columns: _Columns


def decide_rules(plan: ColumnPlan, summaries: dict[str, ColumnSummary]) -> Rules:
    """Every whole-column decision smclarify makes, from the merged summaries."""
    columns = plan.columns
    label = _label_rule(summaries[columns.label], plan.label_values)
    prediction: _PredictionRule | None = None
    if plan.predicted is not None:
        prediction = _prediction_rule(
            columns,
            summaries[plan.predicted],
            label,
            plan.label_values,
            plan.probability_threshold,
        )
    group = group_rule(columns.group, summaries[columns.group]) if columns.group else None
    facets = [
        _facet_rule(name, values, path, summaries[name]) for name, values, path in columns.facets
    ]
    return Rules(label, prediction, group, facets, columns)


def new_summaries(
    plan: ColumnPlan, dtypes: dict[str, Any], n_rows: int
) -> dict[str, ColumnSummary]:
    """Empty summaries of the used columns (fold batches in with :func:`update_summaries`)."""
    columns = plan.columns
    summaries = {}
    for name in plan.names:
        keep_order = name == columns.group or any(f[0] == name and not f[1] for f in columns.facets)
        match: list[list[Any]] = []
        if name in (columns.label, columns.predicted) and plan.label_values:
            match.append(plan.label_values)
        summaries[name] = ColumnSummary(dtypes[name], n_rows, keep_order, match)
    # facet value lists get their own match slots, after the label's
    for facet_name, values, _ in columns.facets:
        if values:
            summaries[facet_name].match_values.append(values)
            summaries[facet_name].any_match.append(False)
    return summaries


def update_summaries(summaries: dict[str, ColumnSummary], batch: pd.DataFrame) -> None:
    """Fold one batch (holding every summarised column) into the summaries."""
    for name, summary in summaries.items():
        summary.update(batch[name])


def _match_slot(summary: ColumnSummary, values: list[Any]) -> int:
    for i, candidate in enumerate(summary.match_values):
        if candidate is values or candidate == values:
            return i
    raise AssertionError("values were registered before the summary pass")  # pragma: no cover


@dataclass(frozen=True)
class _LabelRule:
    kind: Kind
    rendered: str
    mask: Callable[[pd.Series], BoolArray]
    numeric: ColumnSummary  # the label's summary (numeric dtype and maximum)


def _label_rule(summary: ColumnSummary, values: list[Any]) -> _LabelRule:
    """:func:`openclarify.data.selection.positive_label` decided from a summary."""
    try:
        if not values:
            raise SelectionError("Positive label values or thresholds are empty for Label column")
        kind = summary.kind(values)
        if kind is Kind.CONTINUOUS:
            intervals = continuous_intervals(summary, values)
            return _LabelRule(kind, render(intervals), interval_rule(intervals), summary)
        chosen = match_values(summary, _match_slot(summary, values), values)
        return _LabelRule(kind, render(values), categorical_rule(chosen), summary)
    except SelectionError as exc:
        raise AnalysisError("$.label_values_or_threshold", str(exc)) from exc


@dataclass(frozen=True)
class _PredictionRule:
    mask: Callable[[pd.Series], BoolArray] | None
    failure: str | None = None


def _prediction_rule(
    columns: _Columns,
    summary: ColumnSummary,
    label: _LabelRule,
    values: list[Any],
    probability_threshold: float,
) -> _PredictionRule:
    """:func:`openclarify.bias.analysis.resolve_labels`' prediction branch, from summaries."""
    dtype = summary.dtype
    if (
        label.kind is Kind.CATEGORICAL
        and pd.api.types.is_float_dtype(dtype)
        and summary.non_null > 0
        and summary.num_min >= 0
        and summary.num_max <= 1
    ):
        # probabilities next to a categorical label: score > threshold (contract §2.4)
        return _PredictionRule(
            lambda s: np.asarray(
                s.to_numpy(dtype=np.float64, na_value=np.nan) > probability_threshold, dtype=bool
            )
        )
    try:
        kind = summary.kind(values)
        if kind is not label.kind:
            raise SelectionError(PREDICTED_TYPE_MISMATCH)
        if kind is Kind.CONTINUOUS:
            return _PredictionRule(_continuous_prediction(summary, label, values))
        chosen = match_values(summary, _match_slot(summary, values), values)
        return _PredictionRule(categorical_rule(chosen))
    except SelectionError as exc:
        if str(exc) != PREDICTED_TYPE_MISMATCH:
            raise AnalysisError(
                "$.predicted_label",
                f"predicted label column '{columns.predicted}': {exc}",
                "give one prediction for every row",
            ) from exc
        raise AnalysisError(
            "$.predicted_label",
            f"{exc}: label column '{columns.label}' is {label.kind.value} but predicted label "
            f"column '{columns.predicted}' is not",
            "give predictions of the same type as the labels (or probabilities with "
            "$.probability_threshold)",
        ) from exc


def _continuous_prediction(
    summary: ColumnSummary, label: _LabelRule, values: list[Any]
) -> Callable[[pd.Series], BoolArray]:
    """:func:`openclarify.data.selection.positive_prediction`, continuous branch."""
    from ..data.selection import _numeric_threshold, in_intervals, interval_breaks

    thresholds = _numeric_threshold(list(values))
    label_dtype = label.numeric.numeric_dtype()
    missing = summary.rows - summary.non_null
    if missing and not pd.api.types.is_float_dtype(label_dtype):
        raise SelectionError(
            f"{missing} predicted label(s) are missing; they cannot be cast to the label's type "
            f"({label_dtype})"
        )
    try:
        # casting is monotone, so the cast maximum is the maximum of the cast column
        extremes = summary.extremes_series().astype(label_dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise SelectionError(f"predicted labels cannot be cast to the label's type: {exc}") from exc
    both = pd.concat([label.numeric.max_series().astype(label_dtype), extremes], ignore_index=True)
    intervals = interval_breaks(both, thresholds)
    return lambda s: in_intervals(pd.to_numeric(s).astype(label_dtype), intervals)


def _facet_rule(
    name: str, values: list[Any] | None, path: str, summary: ColumnSummary
) -> FacetRule:
    try:
        if values:
            # the facet's own match slot (the label's, if the facet is the label, comes first)
            slot = max(i for i, v in enumerate(summary.match_values) if v == values)
            if slot != 0:
                summary = _with_slot_first(summary, slot)
        return facet_rule(name, summary, values)
    except (AnalysisError, TooManyValues):
        raise
    except SelectionError as exc:
        raise AnalysisError(
            f"{path}.value_or_threshold",
            f"facet column '{name}' is continuous; {exc}",
            "give one numeric threshold, e.g. [40], or several category values",
        ) from exc


def _with_slot_first(summary: ColumnSummary, slot: int) -> ColumnSummary:
    """The summary with match slot ``slot`` moved to position 0 (what facet_rule reads)."""
    import copy

    moved = copy.copy(summary)
    moved.match_values = [summary.match_values[slot]]
    moved.any_match = [summary.any_match[slot]]
    return moved
