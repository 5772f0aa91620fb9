"""Feature values as text, a column at a time (the fast half of request serialisation).

Formatting 10 million floats one ``repr`` at a time costs seconds of GIL-bound
Python; Arrow formats a whole column in C, without the GIL, so several request
threads serialise in parallel.  Every cell becomes a *token* — its text in the
target dialect — and rows are assembled from token columns with Arrow's
element-wise string joins.

Numbers (int and float columns, also nullable ones)
    Arrow's shortest exact form (``double-conversion``'s ``ToShortest``):
    the text reads back to the very same double.  Integral floats lose their
    ``.0`` (``1.0`` → ``1``) and large or tiny ones use an exponent
    (``1e+22``, ``1e-07`` → ``1e-7``); the *value* is always exact.
    ±inf is ``inf``/``-inf`` in CSV and ``Infinity``/``-Infinity`` in JSON (as
    Python's :mod:`json` writes it).
Booleans
    ``True``/``False`` in CSV (as the :mod:`csv` module writes them), ``true``/``false`` in JSON.
Anything else (strings, mixed object columns, categories, timestamps)
    One Python call per cell: CSV quotes a string only when it needs it (a
    comma, a double quote or a line break inside; ``QUOTE_MINIMAL``), JSON
    escapes it with :func:`json.dumps`.
Missing values (NaN, None, NA)
    An empty CSV field, JSON ``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CSV_DIALECT", "JSON_DIALECT", "join", "join_lines", "token_columns", "wrap"]

CSV_DIALECT: Final = "csv"
JSON_DIALECT: Final = "json"

_NEEDS_QUOTES = (",", '"', "\n", "\r")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, np.generic):
        return _csv_text(value.item())
    text = value if isinstance(value, str) else str(value)
    if any(mark in text for mark in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)  # timestamps, decimals: their text form


def _json_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _is_missing(series: pd.Series) -> np.ndarray:
    return np.asarray(series.isna().to_numpy(), dtype=bool)


def _number_tokens(series: pd.Series, dialect: str) -> pa.Array:
    array = pa.Array.from_pandas(series)  # NaN and NA become nulls
    text = pc.cast(array, pa.string())
    if pa.types.is_floating(array.type) and dialect == JSON_DIALECT:
        text = pc.replace_substring_regex(text, pattern="^(-?)inf$", replacement="\\1Infinity")
    return pc.fill_null(text, "" if dialect == CSV_DIALECT else "null")


def _bool_tokens(series: pd.Series, dialect: str) -> pa.Array:
    true, false = ("True", "False") if dialect == CSV_DIALECT else ("true", "false")
    missing = _is_missing(series)
    values = [
        ("" if dialect == CSV_DIALECT else "null") if gone else (true if v else false)
        for v, gone in zip(series.tolist(), missing, strict=True)
    ]
    return pa.array(values, type=pa.string())


def _object_tokens(series: pd.Series, dialect: str) -> pa.Array:
    values = series.tolist()
    missing = _is_missing(series)
    if missing.any():
        for i in np.flatnonzero(missing):
            values[i] = None
    to_text = _csv_text if dialect == CSV_DIALECT else _json_text
    return pa.array([to_text(v) for v in values], type=pa.string())


def token_columns(frame: pd.DataFrame, dialect: str) -> list[pa.Array]:
    """One string array of tokens per column of ``frame`` (see the module docstring)."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        dtype = series.dtype
        if pd.api.types.is_bool_dtype(dtype):
            columns.append(_bool_tokens(series, dialect))
        elif pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
            columns.append(_number_tokens(series, dialect))
        else:
            columns.append(_object_tokens(series, dialect))
    return columns


def join(parts: Sequence[pa.Array | str], separator: str) -> pa.Array:
    """Element-wise join of string arrays and constant strings (broadcast)."""
    items: list[Any] = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    arrays = [p for p in items if isinstance(p, pa.Array)]
    if len(items) == 1 and arrays:
        return arrays[0]
    return pc.binary_join_element_wise(*items, separator)


def wrap(prefix: str, array: pa.Array, suffix: str) -> pa.Array:
    """``prefix + value + suffix`` for every value."""
    return join([prefix, array, suffix], "")


def join_lines(rows: pa.Array, separator: str) -> bytes:
    """All values of ``rows`` joined by ``separator``, as UTF-8 bytes."""
    if len(rows) == 0:
        return b""
    lists = pa.ListArray.from_arrays(pa.array([0, len(rows)], pa.int32()), rows)
    joined = pc.binary_join(lists, separator)[0]
    data: bytes = joined.as_buffer().to_pybytes()
    return data
