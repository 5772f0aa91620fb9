"""Boolean masks for facet groups and positive (predicted) labels.

Reproduces smclarify 0.5's selection semantics (contract §5.1) on whole
columns at once:

* categorical values: a row is selected when it equals any configured value;
  if nothing matches, the values are converted to the column's element type
  (``int('1')``, float fallback, ``bool(...)``) and matched again;
* continuous thresholds: breaks = thresholds plus the column maximum (unless
  ``|max|`` is already a threshold), sorted; intervals are right-closed
  ``(b_i, b_{i+1}]`` and a row is selected when it falls in any of them;
* the rendered ``value_or_threshold`` string is ``",".join(map(str, x))`` of
  the configured values or of the intervals (``"(40, 89]"``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .kinds import Kind, Offsets, infer_kind, small_int_codes, small_int_offsets

BoolArray = npt.NDArray[np.bool_]

NO_THRESHOLD = "Threshold values must be provided for continuous features"
NOT_NUMERIC_THRESHOLD = (
    "Facet/label value provided must be a single numeric threshold for continuous data"
)
PREDICTED_TYPE_MISMATCH = (
    "Predicted Label Column series datatype is not the same as Label Column series"
)
NO_POSITIVE_PREDICTION = (
    "No Label values are present in the predicted Label Column,"
    "Positive Predicted Index Series contains all False values"
)


class SelectionError(ValueError):
    """A column cannot be split as configured (message is smclarify's)."""


@dataclass(frozen=True)
class Selection:
    """Rows selected by a value list or threshold, and how Clarify names it."""

    mask: BoolArray
    rendered: str
    kind: Kind
    #: For one-vs-rest facets: the facet's category codes (shared by all its
    #: groups) and this group's code, so all groups can be counted in one pass.
    codes: npt.NDArray[np.int64] | None = None
    code: int | None = None


def _numeric_threshold(values: list[Any]) -> list[Any]:
    """smclarify converts only the first value of a continuous threshold."""
    values = list(values)
    if values and not isinstance(values[0], int | float):
        try:
            values[0] = float(values[0])
        except ValueError as exc:
            raise SelectionError(NOT_NUMERIC_THRESHOLD) from exc
    return values


def interval_breaks(data: pd.Series, thresholds: Sequence[Any]) -> pd.IntervalIndex:
    """Right-closed intervals from thresholds and the column maximum."""
    if not thresholds:
        raise SelectionError(NO_THRESHOLD)
    max_value = data.max()
    breaks = list(thresholds)
    if abs(max_value) not in thresholds:
        breaks.append(max_value)
    try:
        return pd.IntervalIndex.from_breaks(sorted(breaks))
    except (ValueError, TypeError) as exc:
        raise SelectionError(f"Cannot build threshold intervals: {exc}") from exc


def in_intervals(data: pd.Series, intervals: pd.IntervalIndex) -> BoolArray:
    """Rows whose value lies in any interval (missing values never do)."""
    values = data.to_numpy(dtype=np.float64, na_value=np.nan)
    mask = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        for left, right in zip(intervals.left, intervals.right, strict=True):
            mask |= (values > left) & (values <= right)
    return mask


def render(values: Iterable[Any]) -> str:
    """Clarify's string for a value list or an interval list."""
    return ",".join(map(str, values))


def as_categorical(series: pd.Series) -> pd.Series:
    """``series.astype("category")``, with a fast exact path for small ints.

    Categories are the sorted distinct values either way.
    """
    offsets = small_int_offsets(series)
    if offsets is None:
        return series.astype("category")
    codes, distinct = small_int_codes(offsets)
    categories = pd.Index(distinct, dtype=series.dtype)
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=categories),
        index=series.index,
        name=series.name,
    )


def _match(categories: pd.Index, values: Sequence[Any]) -> BoolArray:
    matched = np.zeros(len(categories), dtype=bool)
    for value in values:
        try:
            matched |= np.asarray(categories == value, dtype=bool)
        except (TypeError, ValueError):  # incomparable types never match
            continue
    return matched


def _converter(element: Any) -> Callable[[Any], Any]:
    def convert(item: Any) -> Any:
        try:
            return type(element)(item)
        except ValueError as exc:
            if "invalid literal for int() with base 10" in str(exc):
                return float(item)
            raise

    return convert


def matched_categories(categories: pd.Index, first: Any, values: Sequence[Any]) -> BoolArray:
    """Which distinct values equal any of ``values``, with smclarify's retry.

    When nothing matches and the values' type differs from the column's first
    element (``first``), the values are converted to that type (``int('1')``,
    float fallback, ``bool(...)``) and matched again.  A value that cannot be
    converted matches nothing (smclarify would crash instead).
    """
    matched = _match(categories, values)
    if matched.any() or first is None or isinstance(values[0], type(first)):
        return matched
    try:
        converted = [_converter(first)(value) for value in values]
    except (ValueError, TypeError, OverflowError):
        return matched
    return _match(categories, converted)


def categorical_mask(
    data: pd.Series, values: Sequence[Any], offsets: Offsets | None = None
) -> BoolArray:
    """Rows equal to any of ``values`` (see :func:`matched_categories`).

    Small-integer columns are matched through a lookup table on the values;
    other columns through their ``category`` codes.  Same answer either way.
    """
    first = data.iloc[0] if len(data) else None
    offsets = offsets if offsets is not None else small_int_offsets(data)
    if offsets is not None:
        shifted, low, _ = offsets
        present = np.flatnonzero(np.bincount(shifted))
        categories = pd.Index(present + low, dtype=data.dtype)
        table = np.zeros(int(present[-1]) + 1, dtype=bool)
        table[present[matched_categories(categories, first, values)]] = True
        return np.asarray(table[shifted], dtype=bool)
    if not isinstance(data.dtype, pd.CategoricalDtype):
        data = data.astype("category")
    if len(data.cat.categories) == 0:  # every value missing: nothing can match
        return np.zeros(len(data), dtype=bool)
    matched = matched_categories(data.cat.categories, first, values)
    codes = data.cat.codes.to_numpy()
    return np.asarray((codes >= 0) & matched[np.maximum(codes, 0)], dtype=bool)


def positive_label(series: pd.Series, values: Sequence[Any]) -> tuple[Selection, pd.Series]:
    """Positive-label mask of the label column; also returns the typed column."""
    if not values:
        raise SelectionError("Positive label values or thresholds are empty for Label column")
    offsets = small_int_offsets(series)
    kind = infer_kind(series, values, offsets)
    if kind is Kind.CONTINUOUS:
        thresholds = _numeric_threshold(list(values))
        data = pd.to_numeric(series)
        intervals = interval_breaks(data, thresholds)
        return Selection(in_intervals(data, intervals), render(intervals), kind), data
    return Selection(categorical_mask(series, values, offsets), render(values), kind), series


def positive_prediction(
    predicted: pd.Series, label_data: pd.Series, label_kind: Kind, values: Sequence[Any]
) -> Selection:
    """Positive mask of the predicted label, judged against the label column.

    Raises
    ------
    SelectionError
        When the predicted column's kind differs from the label's, or when no
        prediction is positive (smclarify aborts the whole report then).
    """
    offsets = small_int_offsets(predicted)
    kind = infer_kind(predicted, values, offsets)
    if kind is not label_kind:
        raise SelectionError(PREDICTED_TYPE_MISMATCH)
    if kind is Kind.CONTINUOUS:
        thresholds = _numeric_threshold(list(values))
        numeric = pd.to_numeric(predicted)
        missing = int(numeric.isna().sum())
        if missing and not pd.api.types.is_float_dtype(label_data.dtype):
            raise SelectionError(
                f"{missing} predicted label(s) are missing; they cannot be cast to the label's type "
                f"({label_data.dtype})"
            )
        try:
            data = numeric.astype(label_data.dtype)
        except (ValueError, TypeError, OverflowError) as exc:
            raise SelectionError(
                f"predicted labels cannot be cast to the label's type: {exc}"
            ) from exc
        intervals = interval_breaks(pd.concat([label_data, data], ignore_index=True), thresholds)
        mask = in_intervals(data, intervals)
        rendered = render(intervals)
    else:
        mask = categorical_mask(predicted, values, offsets)
        rendered = render(values)
    if not mask.any():
        raise SelectionError(NO_POSITIVE_PREDICTION)
    return Selection(mask, rendered, kind)


def facet_groups(series: pd.Series, values: Sequence[Any] | None) -> list[Selection]:
    """The facet groups ``d`` to evaluate, in Clarify's order.

    Categorical with values: one group of rows equal to any value.
    Categorical without values: one group per distinct value in order of first
    appearance (a missing value yields a group that matches no row, as in
    smclarify).  Continuous: one group from the threshold interval(s).
    """
    values = list(values) if values else None
    offsets = small_int_offsets(series)
    kind = infer_kind(series, values, offsets)
    if kind is Kind.CONTINUOUS:
        thresholds = _numeric_threshold(values or [])
        data = pd.to_numeric(series)
        intervals = interval_breaks(data, thresholds)
        return [Selection(in_intervals(data, intervals), render(intervals), kind)]
    if values:
        return [Selection(categorical_mask(series, values, offsets), render(values), kind)]
    data = as_categorical(series)
    codes = data.cat.codes.to_numpy().astype(np.int64)
    groups = []
    for value in data.unique():
        if pd.isna(value):  # NaN == NaN is false: a group that selects no row
            code = -1
            mask = np.zeros(len(codes), dtype=bool)
        else:
            code = int(np.flatnonzero(data.cat.categories == value)[0])
            mask = codes == code
        groups.append(Selection(mask, render([value]), kind, codes, code))
    return groups
