"""JSON Lines files in record batches: records parsed as the reader does, dtypes by value type."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DatasetError
from .. import readers
from ..table import json_reader_paths
from .common import Unsupported


@dataclass(frozen=True)
class _JsonLines:
    """How rows are taken from the JSON Lines records (see :func:`.readers.read_jsonlines`)."""

    features: str
    label: str | None
    predicted: str | None
    width: int  # features per record: the first record's (every other must match)


#: The value types that decide a JSON column's dtype (``float`` excludes NaN, which
#: pandas treats as missing next to strings but as a float next to numbers).
_JSON_TYPES = ("bool", "int", "float", "nan", "str", "none", "other")


@dataclass
class JsonFacts:
    """What one JSON Lines file tells about the columns read (mergeable, small).

    Attributes
    ----------
    n_rows:
        Records in the file.
    examples:
        Per column: one value of each type found (:data:`_JSON_TYPES`), and the
        smallest (``int_min``) and largest (``int_max``) integer.
    nested:
        Per column: the file row (0-based) of its first JSON list or object.
    """

    n_rows: int = 0
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    nested: dict[str, int] = field(default_factory=dict)


def _json_file_facts(
    file: Path, spec: _JsonLines, columns: list[str], names: Sequence[str]
) -> JsonFacts:
    """Records of one JSON Lines file and the value types of the named columns."""
    positions = [(name, columns.index(name)) for name in names]
    facts = JsonFacts(examples={name: {} for name in names})
    for row in _json_rows(file, spec):
        for name, position in positions:
            value = row[position]
            kind = _json_type(value)
            found = facts.examples[name]
            if kind == "int":
                found["int_min"] = min(found.get("int_min", value), value)
                found["int_max"] = max(found.get("int_max", value), value)
            else:
                found.setdefault(kind, value)
                if kind == "other":
                    facts.nested.setdefault(name, facts.n_rows)
        facts.n_rows += 1
    return facts


def _json_dtypes(
    found: Sequence[JsonFacts], names: Sequence[str], nested: dict[str, int]
) -> dict[str, Any]:
    """Whole-dataset dtypes from every file's :func:`_json_file_facts`.

    Fills ``nested`` with each column's dataset row (0-based) of its first
    JSON list or object.
    """
    dtypes: dict[str, Any] = {}
    for name in names:
        examples: dict[str, Any] = {}
        offset = 0
        for facts in found:
            for kind, value in facts.examples[name].items():
                if kind == "int_min":
                    examples[kind] = min(examples.get(kind, value), value)
                elif kind == "int_max":
                    examples[kind] = max(examples.get(kind, value), value)
                else:
                    examples.setdefault(kind, value)
            if name in facts.nested and name not in nested:
                nested[name] = offset + facts.nested[name]
            offset += facts.n_rows
        dtypes[name] = _json_dtype(name, list(examples.values()))
    return dtypes


def _json_batches(
    file: Path,
    spec: _JsonLines,
    columns: list[str],
    names: Sequence[str],
    batch_rows: int,
    dtypes: dict[str, Any],
) -> Iterator[pd.DataFrame]:
    positions = [columns.index(name) for name in names]
    rows: list[list[Any]] = []
    for row in _json_rows(file, spec):
        rows.append([row[p] for p in positions])
        if len(rows) == batch_rows:
            yield _json_frame(rows, names, dtypes)
            rows = []
    if rows:
        yield _json_frame(rows, names, dtypes)


def _json_type(value: Any) -> str:
    """Which of :data:`_JSON_TYPES` a parsed JSON value is (``bool`` before ``int``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else "float"
    if isinstance(value, str):
        return "str"
    return "other"  # a JSON list or object


#: Whole-file dtypes whose batches convert exactly (others: uint64 from huge integers).
_JSON_DTYPES = ("int64", "float64", "bool", "object", "str")


def _json_dtype(name: str, examples: list[Any]) -> Any:
    """The dtype ``pd.DataFrame`` gives a column holding the value types of ``examples``.

    pandas decides from which types occur (and whether an integer leaves the
    ``int64`` range), not from how many or where, so a column of one example of
    each type, with the extreme integers, gets the whole column's dtype.
    """
    if not examples:
        return np.dtype(np.float64)  # no rows: never read again
    dtype = pd.DataFrame([[value] for value in examples]).dtypes.iloc[0]
    if str(dtype) not in _JSON_DTYPES:
        raise Unsupported(f"column '{name}' would be {dtype} (integers beyond int64)")
    return dtype


def _json_frame(
    rows: list[list[Any]], names: Sequence[str], dtypes: dict[str, Any]
) -> pd.DataFrame:
    """A batch with the whole-file dtypes, built from the parsed values."""
    out = {}
    for position, name in enumerate(names):
        values = np.empty(len(rows), dtype=object)
        # element by element: a value that is itself a list must stay one cell
        for i, row in enumerate(rows):
            values[i] = row[position]
        dtype = dtypes[name]
        # object columns keep the Python values (None stays None), as pd.DataFrame does
        out[name] = pd.Series(values, dtype=dtype, copy=False)
    return pd.DataFrame(out, copy=False)


def _utf8_error(file: Path) -> DatasetError:
    return DatasetError(f"file {file.name}", "is not UTF-8 text", "save it as UTF-8")


@functools.lru_cache(maxsize=32)
def _compiled(expression: str, path: str) -> Any:
    return readers._compile(expression, path)


def _json_rows(file: Path, spec: _JsonLines, width: int | None = -1) -> Iterator[list[Any]]:
    """Every record's row of a JSON Lines file: features, then label and predicted label.

    Parses and checks each line as :func:`.readers.read_jsonlines` does, with
    the same errors.  That reader decodes the whole file before it parses a
    line, so a line's error is raised only once the rest of the file is known
    to decode (otherwise the file's UTF-8 error wins, as in memory).
    ``width``: the features every record must have (default: ``spec.width``;
    ``None``: not checked).
    """
    expected = spec.width if width == -1 else width
    features = _compiled(spec.features, "$.features")
    extra = [
        _compiled(expression, path)
        for expression, path in ((spec.label, "$.label"), (spec.predicted, "$.predicted_label"))
        if expression is not None
    ]
    with file.open(encoding="utf-8") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = _json_row(line, f"file {file.name}, line {number}", spec, features, extra)
                    if expected is not None and len(row) - len(extra) != expected:
                        raise DatasetError(
                            f"file {file.name}, line {number}",
                            f"has {len(row) - len(extra)} features, earlier lines have {expected}",
                        )
                except DatasetError:
                    for _ in handle:  # the rest of the file must decode first
                        pass
                    raise
                yield row
        except UnicodeDecodeError as exc:
            raise DatasetError(
                f"file {file.name}", "is not UTF-8 text", "save it as UTF-8"
            ) from exc


def _json_row(
    line: str, where: str, spec: _JsonLines, features: Any, extra: list[Any]
) -> list[Any]:
    record, values = readers.jsonlines_record(line, where, spec.features, features)
    row = list(values)
    row.extend(readers._search(expression, record, where) for expression in extra)
    return row


def _jsonlines_columns(config: Any, files: list[Path]) -> tuple[list[str], _JsonLines]:
    """Column names from the first record, with :func:`.readers.read_jsonlines`' errors."""
    # what openclarify.data.table.read_main_table passes to the reader
    label, predicted = json_reader_paths(config)
    # compiled first, in the reader's order: a bad expression fails before any file is read
    _compiled(config.features, "$.features")
    if label is not None:
        _compiled(label, "$.label")
    if predicted is not None:
        _compiled(predicted, "$.predicted_label")
    n_extra = (label is not None) + (predicted is not None)
    unchecked = _JsonLines(config.features, label, predicted, 0)
    width = None
    for file in files:
        # the first record sets the width; an earlier bad line is the reader's first error
        for row in _json_rows(file, unchecked, width=None):
            width = len(row) - n_extra
            break
        if width is not None:
            break
    spec = _JsonLines(config.features, label, predicted, width or 0)
    try:
        names = readers._json_column_names(width or 0, label, predicted, config.headers)
    except DatasetError:
        # the reader names the columns after reading every line: a bad line comes first
        for file in files:
            _json_file_facts(file, spec, [], [])
        raise
    if width is None:
        if len(set(names)) != len(names):
            raise Unsupported("a JSON Lines dataset without records")  # duplicates come first
        raise DatasetError("dataset", "has no rows", "check that the dataset path holds the data")
    return names, spec
