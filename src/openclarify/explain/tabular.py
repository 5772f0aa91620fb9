"""Tabular records as the float matrix the Kernel SHAP estimator works on, and back.

:func:`~openclarify.explain.kernel_shap.explain` only moves values between a
record and the baseline rows; it never does arithmetic on them.  So any column
can travel through it as ``float64`` as long as the mapping is exact and
reversible:

* numeric columns (ints, floats, bools) are their values (every int below
  2^53 is exact in float64; ints and bools are cast back on the way out);
* every other column (strings, mixed objects, categoricals) is its integer
  code in the list of distinct values of the records *and* the baseline, and a
  missing value is ``NaN`` (which the estimator treats as equal to ``NaN``).

:meth:`TabularCodec.decode` gives the model exactly the values and dtypes it
would have seen in the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["TabularCodec"]

#: Ints beyond this cannot all be represented exactly in float64.
_EXACT_INT = 2**53


@dataclass(frozen=True)
class _Column:
    name: Any
    dtype: Any
    categories: pd.Index | None  # None: numeric, carried as its value


@dataclass(frozen=True)
class TabularCodec:
    """Exact, reversible mapping between feature frames and float matrices.

    Build it with :meth:`fit` on every frame whose values will be encoded
    (the records and the baseline), so that each value has a code.
    """

    columns: tuple[_Column, ...]

    @staticmethod
    def fit(*frames: pd.DataFrame) -> TabularCodec:
        """A codec for the columns of ``frames[0]`` and the values of all ``frames``.

        Numeric columns whose integers exceed 2^53 in magnitude are coded like
        categorical ones, so they too round-trip exactly.
        """
        first = frames[0]
        columns = []
        for position, name in enumerate(first.columns):
            series = [frame.iloc[:, position] for frame in frames]
            dtype = series[0].dtype
            if _carried_as_value(series):
                columns.append(_Column(name, dtype, None))
                continue
            values = pd.concat([s.astype(object) for s in series], ignore_index=True)
            categories = pd.Index(pd.unique(values.dropna()), dtype=object)
            columns.append(_Column(name, dtype, categories))
        return TabularCodec(tuple(columns))

    @property
    def names(self) -> list[Any]:
        return [c.name for c in self.columns]

    def encode(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """``frame`` (same columns, in order) as a ``float64`` matrix."""
        out = np.empty((len(frame), len(self.columns)))
        for position, column in enumerate(self.columns):
            series = frame.iloc[:, position]
            if column.categories is None:
                out[:, position] = pd.to_numeric(series, errors="raise").to_numpy(
                    dtype=np.float64, na_value=np.nan
                )
            else:
                codes = column.categories.get_indexer(pd.Index(series.astype(object)))
                missing = series.isna().to_numpy()
                if ((codes < 0) & ~missing).any():
                    raise ValueError(f"column {column.name!r} has a value the codec was not fit on")
                out[:, position] = np.where(missing, np.nan, codes)
        return out

    @cached_property
    def _floats_only(self) -> bool:
        """Every column decodes to its float64 values unchanged (no codes, ints or bools)."""
        return all(
            c.categories is None
            and not pd.api.types.is_bool_dtype(c.dtype)
            and not pd.api.types.is_integer_dtype(c.dtype)
            for c in self.columns
        )

    def decode(self, matrix: NDArray[np.float64]) -> pd.DataFrame:
        """The frame whose :meth:`encode` is ``matrix``, with the fitted dtypes.

        When every column is a float column the frame wraps ``matrix`` itself
        (no copy; Kernel SHAP calls this once per chunk of up to 2^16 synthetic
        rows): it is then valid only as long as ``matrix`` is not overwritten.
        """
        if self._floats_only and matrix.dtype == np.float64:
            return pd.DataFrame(matrix, columns=pd.Index(self.names), copy=False)
        data: dict[int, Any] = {}
        for position, column in enumerate(self.columns):
            values = matrix[:, position]
            if column.categories is None:
                data[position] = _numeric(values, column.dtype)
            else:
                missing = np.isnan(values)
                codes = np.where(missing, 0, values).astype(np.intp)
                decoded = column.categories.to_numpy()[codes] if len(column.categories) else None
                if decoded is None:
                    decoded = np.full(len(values), None, dtype=object)
                elif missing.any():
                    decoded = decoded.copy()
                    decoded[missing] = None
                data[position] = _categorical(decoded, column.dtype)
        frame = pd.DataFrame(data)
        frame.columns = pd.Index(self.names)
        return frame


def _carried_as_value(series: list[pd.Series]) -> bool:
    for s in series:
        if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
            return False
        if isinstance(s.dtype, pd.CategoricalDtype):
            return False
        if pd.api.types.is_integer_dtype(s.dtype) and len(s):
            biggest = s.abs().max()
            if pd.notna(biggest) and int(biggest) >= _EXACT_INT:
                return False
    return True


def _numeric(values: NDArray[np.float64], dtype: Any) -> Any:
    if pd.api.types.is_bool_dtype(dtype) and not np.isnan(values).any():
        return values.astype(bool)
    if pd.api.types.is_integer_dtype(dtype):
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # nullable Int64 and friends
            return pd.array(values, dtype="Float64").astype(dtype)
        if not np.isnan(values).any():
            return values.astype(dtype)
    return values


def _categorical(values: NDArray[Any], dtype: Any) -> Any:
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical(values, dtype=dtype)
    if not pd.api.types.is_object_dtype(dtype):
        try:
            return pd.array(values, dtype=dtype)
        except (TypeError, ValueError):
            return values
    # An explicit object Series: pandas would otherwise infer a string dtype for text.
    return pd.Series(values, dtype=object)
