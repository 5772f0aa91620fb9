"""Dataset readers by ``dataset_type``: CSV, JSON Lines, JSON and Parquet.

Each reader returns one pandas DataFrame whose dtypes are what pandas infers by
default (the C CSV parser, ``pd.DataFrame`` from Python lists, Arrow's own
types for Parquet) because Clarify's column-type inference — and therefore
users' numbers — depends on those dtypes.

Decisions where the contract is silent (contract §11.9):

* A dataset path may be a file or a folder; a folder is read recursively, files
  in sorted path order, skipping names that start with ``.`` or ``_`` (Spark's
  ``_SUCCESS``, ``.crc`` files), and the parts are concatenated.
* CSV with ``headers`` configured: a first row equal to ``headers`` is skipped.
* CSV without ``headers``: the first row is a header row iff *none* of its
  cells parses as a number; otherwise the file has no header row and columns
  are named ``column_0``, ``column_1``, ….
* JSON / JSON Lines without ``headers``: features are ``column_0``… and the
  label / predicted-label columns are named by their JMESPath expressions.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DatasetError

CSV = "text/csv"
JSONLINES = "application/jsonlines"
JSON = "application/json"
PARQUET = "application/x-parquet"


def dataset_files(path: Path) -> list[Path]:
    """The files that make up a dataset path (a file, or a folder of parts)."""
    if path.is_file():
        return [path]
    if not path.exists():
        raise DatasetError(str(path), "the dataset path does not exist", "check the path or mount")
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
    )
    if not files:
        raise DatasetError(
            str(path), "the dataset folder contains no data files", "put the dataset file(s) there"
        )
    return files


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _first_row(path: Path) -> list[str] | None:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"file {path.name}", f"is not UTF-8 text (byte {exc.start})", "save the CSV as UTF-8"
        ) from exc


def _read_csv_file(path: Path, headers: Sequence[str] | None) -> pd.DataFrame:
    first = _first_row(path)
    if first is None:
        return pd.DataFrame(columns=list(headers) if headers else [])
    if headers is not None:
        skip = [cell.strip() for cell in first] == [str(h).strip() for h in headers]
        has_header = False
    else:
        skip = False
        has_header = not any(_is_number(cell) for cell in first)
    try:
        frame = pd.read_csv(
            path, header=0 if has_header else None, skiprows=1 if skip else 0, low_memory=False
        )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=list(headers) if headers else first)
    except (pd.errors.ParserError, ValueError) as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(
            f"file {path.name}", f"is not valid CSV: {problem}", "fix the malformed rows"
        ) from exc
    if headers is not None:
        if len(frame.columns) != len(headers):
            raise DatasetError(
                f"file {path.name}",
                f"has {len(frame.columns)} columns but $.headers names {len(headers)}",
                "make $.headers list exactly one name per CSV column",
            )
        frame.columns = list(headers)
    elif not has_header:
        frame.columns = [f"column_{i}" for i in range(len(frame.columns))]
    return frame


def _concat(frames: list[pd.DataFrame], files: list[Path]) -> pd.DataFrame:
    if len(frames) == 1:
        return frames[0]
    reference = list(frames[0].columns)
    for frame, file in zip(frames[1:], files[1:], strict=True):
        if list(frame.columns) != reference:
            raise DatasetError(
                f"file {file.name}",
                f"has columns that differ from {files[0].name} ({len(frame.columns)} vs {len(reference)})",
                "give every part file the same columns in the same order",
            )
    return pd.concat(frames, ignore_index=True)


def read_csv(path: Path, headers: Sequence[str] | None) -> pd.DataFrame:
    """Read a CSV file or folder of CSV parts (see module docstring)."""
    files = dataset_files(path)
    return _concat([_read_csv_file(f, headers) for f in files], files)


def _search(expression: Any, document: Any, where: str) -> Any:
    try:
        return expression.search(document)
    except Exception as exc:  # jmespath raises several unrelated types
        raise DatasetError(where, f"JMESPath evaluation failed: {type(exc).__name__}") from exc


def _compile(expression: str, path: str) -> Any:
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(expression)
    except JMESPathError as exc:
        raise DatasetError(
            path, f"is not a valid JMESPath expression ({type(exc).__name__})"
        ) from exc


#: Name of the extracted predicted-label column when ``$.headers`` names the features and
#: the label but not the predicted label (the convention of every published JSON Lines
#: config); the same name a predicted-label side dataset without headers gets.
JSON_PREDICTED_LABEL = "predicted_label"


def _json_column_names(
    n_features: int, label: str | None, predicted: str | None, headers: Sequence[str] | None
) -> list[str]:
    """Column names of the extracted table: features…, label, predicted label (contract §2.3).

    ``$.headers`` may name (a) the features only — the extracted columns are then
    named by their JMESPaths; (b) the features and the label — the predicted label,
    when extracted, is named :data:`JSON_PREDICTED_LABEL`; (c) all of them.  Any
    other count is an error that says which conventions are accepted.
    """
    extra = [name for name in (label, predicted) if name is not None]
    if headers is None:
        return [f"column_{i}" for i in range(n_features)] + extra
    names = [str(h) for h in headers]
    if len(names) == n_features:
        return names + extra
    if len(names) == n_features + len(extra):
        return names
    if label is not None and predicted is not None and len(names) == n_features + 1:
        if JSON_PREDICTED_LABEL in names:
            raise DatasetError(
                "$.headers",
                f"names the features and the label, and the predicted label's default "
                f"column name '{JSON_PREDICTED_LABEL}' is already one of them",
                "add the predicted label's name at the end of $.headers",
            )
        return [*names, JSON_PREDICTED_LABEL]
    conventions = f"{n_features} (features)"
    if extra:
        conventions += f", {n_features + 1} (features, label)"
    if len(extra) == 2:
        conventions += f" or {n_features + 2} (features, label, predicted label)"
    raise DatasetError(
        "$.headers",
        f"names {len(names)} columns but the data has {n_features} features"
        + (f" plus {len(extra)} label column(s)" if extra else "")
        + f"; expected {conventions} names",
        "list the feature names, then the label name, then (optionally) the predicted label name",
    )


def jsonlines_record(
    line: str, where: str, features: str, feature_expr: Any
) -> tuple[Any, list[Any]]:
    """One JSON Lines record and its feature values (``features`` is the expression's text).

    Raises
    ------
    DatasetError
        At ``where``: the line is not JSON, or ``$.features`` does not give a list.
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            where, f"is not valid JSON ({exc.msg})", "write one JSON object per line"
        ) from exc
    values = _search(feature_expr, record, where)
    if not isinstance(values, list):
        raise DatasetError(
            where,
            f"$.features '{features}' must give a list of feature values, "
            f"found {type(values).__name__}",
            "point $.features at the array of features",
        )
    return record, values


def read_jsonlines(
    path: Path,
    features: str,
    label: str | None,
    predicted: str | None,
    headers: Sequence[str] | None,
) -> pd.DataFrame:
    """Read SageMaker dense JSON Lines: one JSON object per line."""
    feature_expr = _compile(features, "$.features")
    # "is not None", as in _json_column_names: an empty expression must fail here,
    # not silently drop a column that the column names still count
    label_expr = _compile(label, "$.label") if label is not None else None
    predicted_expr = _compile(predicted, "$.predicted_label") if predicted is not None else None
    rows: list[list[Any]] = []
    width: int | None = None
    for file in dataset_files(path):
        with file.open(encoding="utf-8") as handle:
            try:
                lines = handle.readlines()
            except UnicodeDecodeError as exc:
                raise DatasetError(
                    f"file {file.name}", "is not UTF-8 text", "save it as UTF-8"
                ) from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"file {file.name}, line {number}"
            record, values = jsonlines_record(line, where, features, feature_expr)
            if width is None:
                width = len(values)
            elif len(values) != width:
                raise DatasetError(where, f"has {len(values)} features, earlier lines have {width}")
            row = list(values)
            if label_expr is not None:
                row.append(_search(label_expr, record, where))
            if predicted_expr is not None:
                row.append(_search(predicted_expr, record, where))
            rows.append(row)
    names = _json_column_names(width or 0, label, predicted, headers)
    return pd.DataFrame(rows, columns=names)


def read_json(
    path: Path,
    features: str,
    label: str | None,
    predicted: str | None,
    headers: Sequence[str] | None,
) -> pd.DataFrame:
    """Read whole-file JSON: ``features`` gives a 2-D list, label a list."""
    frames = []
    for file in dataset_files(path):
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DatasetError(
                f"file {file.name}", "is not valid UTF-8 JSON", "check the file"
            ) from exc
        where = f"file {file.name}"
        matrix = _search(_compile(features, "$.features"), document, where)
        if not isinstance(matrix, list) or not all(isinstance(r, list) for r in matrix):
            raise DatasetError(
                where, f"$.features '{features}' must give a list of records (lists)"
            )
        columns: list[list[Any]] = [list(r) for r in matrix]
        for expr, name in ((label, "$.label"), (predicted, "$.predicted_label")):
            if expr is None:
                continue
            values = _search(_compile(expr, name), document, where)
            if not isinstance(values, list) or len(values) != len(columns):
                found = len(values) if isinstance(values, list) else type(values).__name__
                raise DatasetError(
                    where,
                    f"{name} '{expr}' must give one value per record ({len(columns)}), found {found}",
                )
            for row, value in zip(columns, values, strict=True):
                row.append(value)
        widths = {len(r) for r in columns}
        if len(widths) > 1:
            raise DatasetError(where, "records have different numbers of features")
        n_extra = (label is not None) + (predicted is not None)
        n_features = (widths.pop() - n_extra) if widths else 0
        frames.append(
            pd.DataFrame(columns, columns=_json_column_names(n_features, label, predicted, headers))
        )
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def read_parquet(path: Path) -> pd.DataFrame:
    """Read a Parquet file or folder of Parquet parts with pyarrow."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = dataset_files(path)
    frames = []
    for file in files:
        try:
            frames.append(pq.read_table(file).to_pandas())
        except (pa.ArrowException, OSError) as exc:
            raise DatasetError(
                f"file {file.name}", f"is not a readable Parquet file ({type(exc).__name__})"
            ) from exc
    return _concat(frames, files)


def read_side_csv(path: Path, headers: Sequence[str] | None) -> pd.DataFrame:
    """Read a facet / predicted-label side dataset (CSV only)."""
    return read_csv(path, headers)


__all__ = [
    "CSV",
    "JSON",
    "JSONLINES",
    "PARQUET",
    "dataset_files",
    "read_csv",
    "read_json",
    "read_jsonlines",
    "read_parquet",
    "read_side_csv",
]
