"""Which feature columns are free text, and what the other ones are (out.jsonl ``data_type``).

Clarify does not let a config declare text columns: it infers them (its log
reads ``Data uniqueness fraction: 1.0, pandas type object, inferred type:
DataType.FREE_TEXT``) and keeps every other column one feature
(modalities contract §1.2).  Its exact rule is not published; the rule here
is chosen to agree with what it logs and with the column kinds of the rest of
the package (:func:`openclarify.data.kinds.infer_kind`):

A feature column is **free text** when, with ``text_config`` set,

1. its dtype is object or string and every non-null value is a ``str``;
2. it is not a column of numbers written as strings (the whole column does
   not cast to a float);
3. its uniqueness fraction (distinct / non-null values) is at least
   :data:`FREE_TEXT_UNIQUENESS`, the level where values stop repeating like
   categories do; and
4. at least one value has more than one word (contains whitespace between
   non-whitespace characters) — a column of single distinct words is an
   identifier or a category, not prose.

Every other column keeps its kind: ``numerical`` for continuous and
``categorical`` otherwise (the kinds of :mod:`~openclarify.data.kinds`).

A column whose non-null values are strings *and* other types (a JSON Lines
field holding text in some records and a number in others) is refused: the
model would receive two types for one input.  A ``text_config`` with no free
text column is refused too: it would silently explain the columns as tabular
features.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ...data.kinds import Kind, infer_kind, uniqueness
from ...errors import ConfigError, DatasetError

__all__ = ["FREE_TEXT", "FREE_TEXT_UNIQUENESS", "ColumnTypes", "column_types"]

FREE_TEXT = "free_text"
#: Minimum uniqueness fraction of a free-text column (see the module docstring).
FREE_TEXT_UNIQUENESS = 0.5

_MULTI_WORD = re.compile(r"\S\s+\S")


@dataclass(frozen=True)
class ColumnTypes:
    """``data_type`` of every feature column (``free_text``, ``numerical``, ``categorical``)."""

    types: dict[str, str]

    @property
    def text(self) -> list[str]:
        return [name for name, kind in self.types.items() if kind == FREE_TEXT]

    @property
    def other(self) -> list[str]:
        return [name for name, kind in self.types.items() if kind != FREE_TEXT]


def _is_text_dtype(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)


def _first_non_string_row(series: pd.Series) -> int | None:
    values = series.dropna()
    for position, value in zip(values.index, values.to_numpy(), strict=True):
        if not isinstance(value, str):
            return int(position)
    return None


def _casts_to_float(series: pd.Series) -> bool:
    try:
        pd.to_numeric(series.dropna(), errors="raise")
    except (ValueError, TypeError):
        return False
    return True


def _is_free_text(name: str, series: pd.Series) -> bool:
    if not _is_text_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return False
    values = series.dropna()
    if values.empty:
        return False
    strings = values.map(lambda v: isinstance(v, str))
    if not strings.any():
        return False
    if _casts_to_float(values[strings]):
        return False
    if uniqueness(values[strings]) < FREE_TEXT_UNIQUENESS:
        return False
    if not values[strings].str.contains(_MULTI_WORD).any():
        return False
    row = _first_non_string_row(series)
    if row is not None:
        raise DatasetError(
            f"column '{name}', row {row}",
            "holds free text in other rows but a value of another type here",
            "give the column text in every row (or leave the cell empty)",
        )
    return True


def column_types(features: pd.DataFrame, names: Sequence[str] | None = None) -> ColumnTypes:
    """The ``data_type`` of each feature column (module docstring for the rule).

    Raises
    ------
    DatasetError
        A text column with a non-string value.
    ConfigError
        No column is free text although ``text_config`` is set.
    """
    types: dict[str, str] = {}
    for name in names if names is not None else [str(c) for c in features.columns]:
        series = features[name].reset_index(drop=True)
        if _is_free_text(name, series):
            types[name] = FREE_TEXT
        else:
            kind = infer_kind(series)
            types[name] = "numerical" if kind is Kind.CONTINUOUS else "categorical"
    if FREE_TEXT not in types.values():
        described = ", ".join(f"'{n}' ({t})" for n, t in list(types.items())[:5])
        raise ConfigError(
            "$.methods.shap.text_config",
            f"is set but no feature column holds free text (found {described or 'no feature'})",
            "remove text_config to explain tabular features, or check that the text column "
            "is read as text (multi-word strings)",
        )
    return ColumnTypes(types)
