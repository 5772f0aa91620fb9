"""Per-batch row rules decided once from whole-column summaries.

Each rule is what :mod:`openclarify.data.selection` and
:func:`openclarify.bias.analysis.resolve_labels` compute on a whole column,
split into a *decision* taken from a :class:`~.summary.ColumnSummary` (kind,
interval breaks, which values to match, category codes) and a *row rule* that
turns one batch into a mask or codes.  Applying the row rule batch by batch
gives the same rows as applying the in-memory function to the whole column:

* a threshold interval is built by the same :func:`interval_breaks` from a
  one-row series holding the whole column's maximum, so it renders the same
  ``"(40, 89]"`` and selects with the same :func:`in_intervals`;
* a value match decides smclarify's "convert the values and retry" once, from
  whether *any* batch matched directly and from the column's first value; each
  batch then matches its own distinct values elementwise, which is what the
  whole-column match does per category;
* one-vs-rest facets and the group variable number their values by the whole
  column's sorted distinct values, so counts land in the same cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..bias.engine import GroupCodes
from ..data.kinds import Kind
from ..data.selection import (
    _converter,
    _match,
    _numeric_threshold,
    as_categorical,
    in_intervals,
    interval_breaks,
    render,
)
from .summary import ColumnSummary

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class TooManyValues(Exception):
    """More distinct values than the streaming engine keeps in order."""


def match_values(summary: ColumnSummary, index: int, values: Sequence[Any]) -> list[Any] | None:
    """The values a categorical match finally compares with (``None``: nothing matches).

    Mirrors :func:`openclarify.data.selection.matched_categories` on the whole
    column: the configured values when any row matched them directly (or when
    the first value's type makes a retry pointless), else the values converted
    to the first value's type.
    """
    first = summary.first_value()
    values = list(values)
    if summary.any_match[index] or first is None or isinstance(values[0], type(first)):
        return values
    try:
        return [_converter(first)(value) for value in values]
    except (ValueError, TypeError, OverflowError):
        return None


def value_mask(series: pd.Series, values: list[Any] | None) -> BoolArray:
    """Rows of one batch equal to any of ``values`` (missing values never match)."""
    if values is None or len(series) == 0:
        return np.zeros(len(series), dtype=bool)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.zeros(len(series), dtype=bool)
    categories = pd.Index(uniques)
    if categories.dtype != series.dtype and not pd.api.types.is_object_dtype(series.dtype):
        categories = pd.Index(uniques, dtype=series.dtype)
    matched = _match(categories, values)
    codes = np.asarray(codes, dtype=np.int64)
    return np.asarray((codes >= 0) & matched[np.maximum(codes, 0)], dtype=bool)


def interval_rule(intervals: pd.IntervalIndex) -> Callable[[pd.Series], BoolArray]:
    return lambda series: in_intervals(pd.to_numeric(series), intervals)


def categorical_rule(values: list[Any] | None) -> Callable[[pd.Series], BoolArray]:
    return lambda series: value_mask(series, values)


def codes_from_lookup(series: pd.Series, lookup: dict[Any, int]) -> IntArray:
    """Whole-column codes of one batch (``-1`` for missing values)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    if len(uniques) == 0:
        return np.full(len(series), -1, dtype=np.int64)
    table = np.array([lookup[value] for value in uniques], dtype=np.int64)
    return np.where(codes >= 0, table[np.maximum(codes, 0)], -1).astype(np.int64)


@dataclass(frozen=True)
class FacetGroupRule:
    """One facet group: its rendered value and how to find its rows in a batch."""

    rendered: str
    code: int | None = None  # one-vs-rest: this group's code (-1: the missing value)


@dataclass(frozen=True)
class FacetRule:
    """The facet groups of one facet and the batch rule that selects them.

    Exactly one of ``mask`` (one group) and ``codes`` (one-vs-rest) is set.
    """

    name: str
    groups: tuple[FacetGroupRule, ...]
    mask: Callable[[pd.Series], BoolArray] | None = None
    codes: Callable[[pd.Series], IntArray] | None = None
    n_values: int = 0


def continuous_intervals(summary: ColumnSummary, values: Sequence[Any] | None) -> pd.IntervalIndex:
    """Interval breaks from the thresholds and the whole column's maximum.

    Raises :class:`~openclarify.data.selection.SelectionError` like the
    in-memory selection does.
    """
    thresholds = _numeric_threshold(list(values or []))
    return interval_breaks(summary.max_series(), thresholds)


def facet_rule(name: str, summary: ColumnSummary, values: list[Any] | None) -> FacetRule:
    """:func:`openclarify.data.selection.facet_groups`, decided from a summary."""
    kind = summary.kind(values)
    if kind is Kind.CONTINUOUS:
        intervals = continuous_intervals(summary, values)
        return FacetRule(name, (FacetGroupRule(render(intervals)),), mask=interval_rule(intervals))
    if values:
        chosen = match_values(summary, 0, values)
        return FacetRule(name, (FacetGroupRule(render(values)),), mask=categorical_rule(chosen))
    ordered = summary.first_appearance()
    if ordered is None:
        raise TooManyValues(f"facet '{name}' has too many distinct values for one-vs-rest")
    data = as_categorical(ordered)
    categories = data.cat.categories
    lookup = {value: i for i, value in enumerate(categories)}
    groups = []
    for value in data.unique():
        if pd.isna(value):
            groups.append(FacetGroupRule(render([value]), -1))
        else:
            groups.append(FacetGroupRule(render([value]), int(lookup[value])))
    return FacetRule(
        name,
        tuple(groups),
        codes=lambda series: codes_from_lookup(series, lookup),
        n_values=len(categories),
    )


@dataclass(frozen=True)
class GroupRule:
    """Codes of the group variable in ``numpy.unique`` order of the whole column."""

    keys: tuple[object, ...]
    lookup: dict[Any, int]

    def codes(self, series: pd.Series) -> IntArray:
        return codes_from_lookup(series, self.lookup)


def group_rule(name: str, summary: ColumnSummary) -> GroupRule:
    """:class:`openclarify.bias.engine.GroupCodes` keys, from the distinct values."""
    ordered = summary.first_appearance()
    if ordered is None:
        raise TooManyValues(f"group variable '{name}' has too many distinct values")
    present = ordered[ordered.notna()].reset_index(drop=True)
    keys = GroupCodes.from_series(present).keys
    return GroupRule(keys, {key: i for i, key in enumerate(keys)})
