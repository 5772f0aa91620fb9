"""Column kind inference: categorical or continuous, exactly as Clarify decides.

This one function decides users' numbers (a threshold on a "continuous" label
means an interval, on a "categorical" one a value), so it reproduces
smclarify 0.5's ``series_datatype`` rule for rule (contract §5.1):

1. pandas ``category`` dtype, or more than one value/threshold given ⇒
   categorical;
2. string/object dtype ⇒ continuous if the whole column casts to int64 *and*
   uniqueness ≥ 0.05, else categorical;
3. any float dtype ⇒ continuous;
4. any integer dtype ⇒ continuous if uniqueness ≥ 0.05, else categorical;
5. anything else (bool, …) ⇒ categorical.

``uniqueness = #distinct non-null / #non-null`` (0/0 counts as 0).
Consequence users trip over: an int 0/1 column with 40 rows or fewer is
continuous (2/40 = 0.05).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

UNIQUENESS_THRESHOLD = 0.05


class Kind(enum.Enum):
    """How a facet, label or predicted-label column is interpreted."""

    CATEGORICAL = "categorical"
    CONTINUOUS = "continuous"


#: Integer columns whose values span less than this are handled with
#: ``bincount`` (exact, and ~5x faster than hashing on a million rows).
SMALL_INT_RANGE = 1 << 22


def small_int_offsets(series: pd.Series) -> tuple[np.ndarray, int, int] | None:
    """``(values − min, min, max)`` for a small-range numpy integer column."""
    if not (pd.api.types.is_integer_dtype(series.dtype) and isinstance(series.dtype, np.dtype)):
        return None
    values = series.to_numpy()
    if len(values) == 0:
        return None
    low, high = int(values.min()), int(values.max())
    if high - low >= SMALL_INT_RANGE:
        return None
    return (values - low).astype(np.int64, copy=False), low, high


Offsets = tuple[np.ndarray, int, int]


def small_int_codes(offsets: Offsets) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes and sorted distinct values of a small-integer column.

    ``codes[i]`` is the position of row ``i``'s value among the sorted
    distinct values — what ``astype("category")`` or a sorted factorize give,
    by ``bincount`` instead of hashing.
    """
    shifted, low, _ = offsets
    present = np.bincount(shifted) > 0
    lookup = (np.cumsum(present) - 1).astype(np.int64)
    return lookup[shifted], np.flatnonzero(present) + low


def distinct_count(series: pd.Series, offsets: Offsets | None = None) -> int:
    """Number of distinct non-null values (``Series.nunique``).

    ``offsets``: :func:`small_int_offsets` of the column when the caller has
    them already (each is a pass over the rows).
    """
    offsets = offsets if offsets is not None else small_int_offsets(series)
    if offsets is not None:
        return int(np.count_nonzero(np.bincount(offsets[0])))
    return int(series.nunique())


def uniqueness(series: pd.Series, offsets: Offsets | None = None) -> float:
    """``#distinct non-null / #non-null``, 0.0 for an all-null column."""
    count = int(series.count())
    return 0.0 if count == 0 else distinct_count(series, offsets) / count


def _casts_to_int64(series: pd.Series) -> bool:
    try:
        series.astype("int64")
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def infer_kind(
    series: pd.Series, values: Sequence[Any] | None = None, offsets: Offsets | None = None
) -> Kind:
    """Categorical or continuous, by smclarify's rules (module docstring).

    Parameters
    ----------
    series:
        The column as read (dtype matters: read CSVs with pandas defaults).
    values:
        The configured values/thresholds for the column, if any.
    offsets:
        :func:`small_int_offsets` of the column, if already computed.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or (values is not None and len(values) > 1):
        return Kind.CATEGORICAL
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        if uniqueness(series) >= UNIQUENESS_THRESHOLD and _casts_to_int64(series):
            return Kind.CONTINUOUS
        return Kind.CATEGORICAL
    if pd.api.types.is_bool_dtype(dtype):
        return Kind.CATEGORICAL
    if pd.api.types.is_float_dtype(dtype):
        return Kind.CONTINUOUS
    if pd.api.types.is_integer_dtype(dtype) and uniqueness(series, offsets) >= UNIQUENESS_THRESHOLD:
        return Kind.CONTINUOUS
    return Kind.CATEGORICAL
