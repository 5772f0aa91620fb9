"""Whole-column facts gathered batch by batch, for the decisions smclarify makes per column.

smclarify decides several things from a *whole* column: its kind (distinct
share, castability, dtype — :mod:`openclarify.data.kinds`), the maximum that
closes a threshold interval (``"(40, 89]"``), the distinct values of a facet in
order of first appearance, the sorted values of the group variable, whether a
float prediction column holds probabilities, and whether any configured value
matches the column as given (else the values are converted and matched again).
:class:`ColumnSummary` collects exactly those facts in one pass over record
batches; every field merges associatively across batches, so the decisions
equal the ones made on the concatenated column.

Memory is bounded by the number of *distinct* values kept, never by rows:
distinct values are kept in first-appearance order up to :data:`ORDER_CAP`
(only needed for a one-vs-rest facet or a group variable), and integer or
numeric-text columns keep their distinct values only until 5 % of the rows are
distinct — from then on the column is known to be continuous.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..data.kinds import SMALL_INT_RANGE, UNIQUENESS_THRESHOLD, Kind, _casts_to_int64
from ..data.selection import _match

#: Most distinct values kept in order of first appearance (a one-vs-rest facet
#: or a group variable with more values than this is left to the in-memory path).
ORDER_CAP = 100_000

_NA = object()  # key of the missing value in the first-appearance order


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _is_int(dtype: Any) -> bool:
    return bool(pd.api.types.is_integer_dtype(dtype)) and isinstance(dtype, np.dtype)


def categories_of(values: Any, dtype: Any) -> pd.Index:
    """The ``category`` categories pandas builds from these (non-null) values."""
    return pd.Series(values, dtype=dtype).astype("category").cat.categories


@dataclass
class ColumnSummary:
    """Mergeable facts about one column (see module docstring).

    Parameters
    ----------
    dtype:
        The column's whole-dataset pandas dtype.
    n_rows:
        Rows in the whole dataset (to stop counting distinct values once 5 %
        of them are distinct).
    keep_order:
        Keep distinct values in order of first appearance (one-vs-rest facet,
        group variable).
    match_values:
        Configured value lists whose direct match against the column must be
        known (facet values, label values).
    """

    dtype: Any
    n_rows: int
    keep_order: bool = False
    match_values: list[list[Any]] = field(default_factory=list)
    rows: int = 0
    non_null: int = 0
    has_first: bool = False
    first: Any = None
    order: dict[Any, Any] | None = field(default_factory=dict)
    distinct: Any = None  # sorted ndarray (ints) or set (text), while counted
    many_distinct: bool = False  # distinct / rows ≥ 5 % already: continuous if castable
    castable: bool = True  # text column: every value so far casts to int64
    num_max: Any = None
    num_min: Any = None
    any_match: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.any_match = [False] * len(self.match_values)
        if _is_int(self.dtype):
            self.distinct = np.empty(0, dtype=np.int64)
        elif _is_text(self.dtype):
            self.distinct = set()

    # --- one batch ---------------------------------------------------------
    def update(self, series: pd.Series) -> None:
        """Fold one batch of the column into the summary."""
        if len(series) == 0:
            return
        if not self.has_first:
            self.first, self.has_first = series.iloc[0], True
        self.rows += len(series)
        count = int(series.count())
        self.non_null += count
        uniques = None
        if self.keep_order or self.match_values or _is_text(self.dtype):
            uniques = pd.unique(series)
        if uniques is not None and self.keep_order and self.order is not None:
            for value in uniques:
                self.order.setdefault(_NA if pd.isna(value) else value, value)
            if len(self.order) > ORDER_CAP:
                self.order = None
        if uniques is not None and self.match_values:
            present = [v for v in uniques if not pd.isna(v)]
            categories = categories_of(present, self.dtype)
            for i, values in enumerate(self.match_values):
                self.any_match[i] = self.any_match[i] or bool(_match(categories, values).any())
        if _is_int(self.dtype):
            self._count_ints(series.to_numpy())
        elif _is_text(self.dtype) and uniques is not None:
            self._count_text(series, uniques, count)
        if pd.api.types.is_numeric_dtype(self.dtype) and not pd.api.types.is_bool_dtype(self.dtype):
            self._extremes(series)

    def _stop_counting(self, n_distinct: int) -> None:
        # distinct/rows ≥ 5 % now implies distinct/non-null ≥ 5 % at the end
        # (distinct only grows, non-null ≤ rows), so the kind is settled.
        if n_distinct / self.n_rows >= UNIQUENESS_THRESHOLD:
            self.many_distinct, self.distinct = True, None

    def _count_ints(self, values: np.ndarray) -> None:
        if self.distinct is None:
            return
        low, high = int(values.min()), int(values.max())
        if high - low < SMALL_INT_RANGE:
            present = np.flatnonzero(np.bincount(values - low)) + low
        else:
            present = np.unique(values)
        self.distinct = np.union1d(self.distinct, present.astype(np.int64))
        self._stop_counting(len(self.distinct))

    def _count_text(self, series: pd.Series, uniques: Any, count: int) -> None:
        if not self.castable:
            return
        present = pd.Series([v for v in uniques if not pd.isna(v)], dtype=self.dtype)
        if count < len(series) or not _casts_to_int64(present):
            # one missing or non-integer value: categorical whatever the uniqueness
            self.castable, self.distinct = False, None
            return
        numeric = pd.to_numeric(present)
        self._fold_extremes(numeric.max(), numeric.min())
        if self.distinct is not None:
            self.distinct.update(present.tolist())
            self._stop_counting(len(self.distinct))

    def _extremes(self, series: pd.Series) -> None:
        self._fold_extremes(series.max(), series.min())

    def _fold_extremes(self, high: Any, low: Any) -> None:
        if not pd.isna(high):
            self.num_max = high if self.num_max is None else max(self.num_max, high)
        if not pd.isna(low):
            self.num_min = low if self.num_min is None else min(self.num_min, low)

    # --- decisions ---------------------------------------------------------
    def uniqueness_at_least_threshold(self) -> bool:
        """``uniqueness(column) >= 0.05`` (0/0 counts as 0)."""
        if self.many_distinct:
            return True
        if self.non_null == 0 or self.distinct is None:
            return False
        return len(self.distinct) / self.non_null >= UNIQUENESS_THRESHOLD

    def kind(self, values: Sequence[Any] | None) -> Kind:
        """:func:`openclarify.data.kinds.infer_kind` of the whole column."""
        dtype = self.dtype
        if isinstance(dtype, pd.CategoricalDtype) or (values is not None and len(values) > 1):
            return Kind.CATEGORICAL
        if _is_text(dtype):
            castable = self.castable and self.non_null == self.rows and self.rows > 0
            if castable and self.uniqueness_at_least_threshold():
                return Kind.CONTINUOUS
            return Kind.CATEGORICAL
        if pd.api.types.is_bool_dtype(dtype):
            return Kind.CATEGORICAL
        if pd.api.types.is_float_dtype(dtype):
            return Kind.CONTINUOUS
        if _is_int(dtype) and self.uniqueness_at_least_threshold():
            return Kind.CONTINUOUS
        return Kind.CATEGORICAL

    def numeric_dtype(self) -> Any:
        """Dtype of ``pd.to_numeric`` of the column (text columns hold integers here)."""
        return np.dtype(np.int64) if _is_text(self.dtype) else self.dtype

    def max_series(self) -> pd.Series:
        """A one-row series whose ``max()`` is the numeric column's maximum (NaN if none)."""
        value = self.num_max if self.num_max is not None else math.nan
        dtype = self.numeric_dtype() if self.num_max is not None else np.float64
        return pd.Series([value], dtype=dtype)

    def extremes_series(self) -> pd.Series:
        """Minimum and maximum, in the numeric dtype (empty when all missing)."""
        if self.num_max is None:
            return pd.Series([], dtype=self.numeric_dtype())
        return pd.Series([self.num_min, self.num_max], dtype=self.numeric_dtype())

    def first_appearance(self) -> pd.Series | None:
        """Distinct values (and the missing value) in order of first appearance.

        ``None`` when more than :data:`ORDER_CAP` values were seen.
        """
        if self.order is None:
            return None
        return pd.Series(list(self.order.values()), dtype=self.dtype)

    def first_value(self) -> Any:
        return self.first if self.has_first else None


def merge_summaries(left: ColumnSummary, right: ColumnSummary) -> ColumnSummary:
    """Summary of ``left``'s rows followed by ``right``'s (used by partitioned backends)."""
    out = ColumnSummary(left.dtype, left.n_rows, left.keep_order, left.match_values)
    out.rows, out.non_null = left.rows + right.rows, left.non_null + right.non_null
    first = left if left.has_first else right
    out.has_first, out.first = first.has_first, first.first
    if left.order is None or right.order is None:
        out.order = None
    else:
        out.order = dict(left.order)
        for key, value in right.order.items():
            out.order.setdefault(key, value)
        if len(out.order) > ORDER_CAP:
            out.order = None
    out.any_match = [a or b for a, b in zip(left.any_match, right.any_match, strict=True)]
    out.castable = left.castable and right.castable
    if left.many_distinct or right.many_distinct:
        out.many_distinct, out.distinct = True, None
    elif left.distinct is None or right.distinct is None:
        out.distinct = None
    elif isinstance(left.distinct, set):
        out.distinct = left.distinct | right.distinct
        out._stop_counting(len(out.distinct))
    else:
        out.distinct = np.union1d(left.distinct, right.distinct)
        out._stop_counting(len(out.distinct))
    if not out.castable and _is_text(out.dtype):
        out.distinct = None
    for value in (right.num_max, right.num_min):
        if value is not None:
            out._fold_extremes(value, value)
    for value in (left.num_max, left.num_min):
        if value is not None:
            out._fold_extremes(value, value)
    return out
