"""The SHAP baseline a config gives (contract §2.8 ``shap.baseline``, §6.2).

Forms accepted in ``$.methods.shap.baseline``:

* a list of rows — each row a list of feature values (CSV/Parquet style) or an
  object that the dataset's ``$.features`` JMESPath reads (JSON Lines style,
  ``{"features": [0, 1, 2]}``);
* an object with the dataset's structure (JSON datasets): ``$.features`` gives
  the list of rows;
* a path to a file in the dataset's format (``dataset_type``), relative to
  the config's folder.  A CSV or Parquet file may carry the feature names as
  a header; then its columns are matched by name (extra columns such as the
  label are ignored), otherwise by position.  ``s3://`` URIs come with S3 support.

Rows hold the model's features only (no label, predicted label, join or
excluded columns), in dataset order.  Each value is converted to the type of
its dataset column (a number for a numeric column); anything that cannot be is
a :class:`~openclarify.errors.ConfigError` naming the row and the column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jmespath
import pandas as pd
from jmespath.exceptions import JMESPathError

from ..data import readers
from ..errors import ConfigError, DatasetError
from ..locations import Locations

__all__ = ["BASELINE_PATH", "baseline_from_config"]

BASELINE_PATH = "$.methods.shap.baseline"


def baseline_from_config(
    baseline: str | Sequence[Any] | Mapping[str, Any],
    features: pd.DataFrame,
    *,
    dataset_type: str,
    features_expression: str | None,
    locations: Locations | None = None,
) -> pd.DataFrame:
    """The configured baseline as a frame with the columns and dtypes of ``features``.

    Parameters
    ----------
    baseline:
        ``$.methods.shap.baseline`` as parsed.
    features:
        The dataset's feature columns (names, order and dtypes to match).
    dataset_type:
        ``$.dataset_type``.
    features_expression:
        ``$.features`` (JMESPath), for JSON Lines / JSON baselines.
    locations:
        How a baseline file path is found (relative to the config; confined to the
        input folder in container mode).

    Raises
    ------
    ConfigError
        The baseline is empty, has rows of the wrong width, values that do not
        fit their column, or is a form this dataset type cannot use.
    DatasetError
        A baseline file that cannot be read.
    """
    names = [str(c) for c in features.columns]
    if isinstance(baseline, str):
        frame = _from_file(
            baseline, names, dataset_type, features_expression, locations or Locations()
        )
        where = f"{BASELINE_PATH} (file)"
    elif isinstance(baseline, Mapping):
        rows = _search(features_expression, baseline, BASELINE_PATH, dataset_type)
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ConfigError(
                BASELINE_PATH,
                "$.features must give a list of rows (lists) when applied to the baseline object",
                "give the baseline the structure of the dataset, or a list of rows",
            )
        frame = _rows_frame(rows, names, BASELINE_PATH)
        where = BASELINE_PATH
    else:
        rows = []
        for i, row in enumerate(baseline):
            if isinstance(row, Mapping):
                row = _search(features_expression, row, f"{BASELINE_PATH}[{i}]", dataset_type)
            if not isinstance(row, list | tuple):
                raise ConfigError(
                    f"{BASELINE_PATH}[{i}]",
                    f"expected a list of {len(names)} feature values, found {type(row).__name__}",
                    "give each baseline row as a list of feature values",
                )
            rows.append(list(row))
        frame = _rows_frame(rows, names, BASELINE_PATH)
        where = BASELINE_PATH
    if len(frame) == 0:
        raise ConfigError(
            BASELINE_PATH, "has no rows", "give at least one row, or remove it to compute one"
        )
    return _typed_like(frame, features, where)


def _search(expression: str | None, document: Any, where: str, dataset_type: str) -> Any:
    if not expression:
        raise ConfigError(
            where,
            f"a baseline given as an object needs $.features to read it ({dataset_type} dataset)",
            "give the baseline rows as lists of feature values",
        )
    try:
        return jmespath.search(expression, document)
    except JMESPathError as exc:
        raise ConfigError("$.features", f"is not a valid JMESPath ({type(exc).__name__})") from exc


def _rows_frame(rows: list[list[Any]], names: list[str], where: str) -> pd.DataFrame:
    for i, row in enumerate(rows):
        if len(row) != len(names):
            raise ConfigError(
                f"{where}[{i}]",
                f"has {len(row)} values but the model has {len(names)} features",
                "give one value per feature column (not the label, predicted label, "
                "join or excluded columns), in dataset order",
            )
    return pd.DataFrame(rows, columns=names, dtype=object)


def _from_file(
    uri: str,
    names: list[str],
    dataset_type: str,
    features_expression: str | None,
    locations: Locations,
) -> pd.DataFrame:
    path = locations.local(uri, BASELINE_PATH)
    if not path.exists():
        raise ConfigError(BASELINE_PATH, f"no baseline file at {path}", "check the path")
    if dataset_type in (readers.JSONLINES, readers.JSON):
        if not features_expression:
            raise ConfigError("$.features", f"is required for {dataset_type} datasets")
        reader = readers.read_jsonlines if dataset_type == readers.JSONLINES else readers.read_json
        frame = reader(path, features_expression, None, None, None)
    elif dataset_type == readers.PARQUET:
        frame = readers.read_parquet(path)
    else:
        frame = readers.read_csv(path, None)
    columns = [str(c) for c in frame.columns]
    if set(names) <= set(columns) and columns != [f"column_{i}" for i in range(len(columns))]:
        frame.columns = columns
        return frame[names].reset_index(drop=True)
    if len(columns) != len(names):
        raise DatasetError(
            f"baseline file {path.name}",
            f"has {len(columns)} columns but the model has {len(names)} features",
            "write the feature columns only, in dataset order, or add a header row naming them",
        )
    frame.columns = names
    return frame.reset_index(drop=True)


def _typed_like(frame: pd.DataFrame, features: pd.DataFrame, where: str) -> pd.DataFrame:
    """Convert every baseline column to its dataset column's type."""
    out: dict[str, Any] = {}
    for position, name in enumerate(frame.columns):
        column = frame[name]
        target = features.iloc[:, position]
        if pd.api.types.is_bool_dtype(target.dtype):
            out[name] = column.astype(object)
        elif pd.api.types.is_numeric_dtype(target.dtype):
            numbers = pd.to_numeric(column, errors="coerce")
            bad = numbers.isna() & column.notna()
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise ConfigError(
                    f"{where}[{row}]",
                    f"column '{name}' is numeric in the dataset but the baseline value is not a number",
                    "give a number for every numeric feature",
                )
            numbers = numbers.astype("float64")
            is_int = pd.api.types.is_integer_dtype(target.dtype)
            if is_int and numbers.notna().all() and (numbers == numbers.round()).all():
                out[name] = numbers.astype(target.dtype)
            else:
                out[name] = numbers
        else:
            texts = _as_dataset_text(column, target)
            out[name] = texts
    return pd.DataFrame(out, index=range(len(frame)))


def _as_dataset_text(column: pd.Series, target: pd.Series) -> pd.Series:
    """Baseline values of a text column, written as the dataset writes them.

    A CSV reader gives text columns as strings, so a baseline number ``1``
    for such a column means the string ``"1"``.
    """
    present = target.dropna()
    if len(present) and all(isinstance(v, str) for v in present.iloc[:1000]):
        return column.map(_text).astype(object)
    return column.astype(object)


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str) or pd.isna(value):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
