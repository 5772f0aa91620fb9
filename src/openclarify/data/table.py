"""From a config and a dataset path to the columns the bias analysis needs.

:func:`load_bias_table` reads the dataset (and the optional facet and
predicted-label side datasets), resolves every ``name_or_index`` to a column
and returns a :class:`BiasTable`.  Every mistake becomes a ``DatasetError`` or
``ConfigError`` naming the JSON path and the column — never a data value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, DatasetError
from ..limits import check_dataset_fits
from ..locations import Locations
from . import readers

#: Column name used when ``predicted_label_dataset_uri`` is given without
#: ``predicted_label`` (contract §2.1).
DEFAULT_PREDICTED_LABEL = "predicted_label"


@dataclass(frozen=True)
class FacetColumn:
    """One configured facet, resolved."""

    name: str
    series: pd.Series
    values: list[Any] | None
    path: str  # JSON path of the facet entry, for messages


@dataclass(frozen=True)
class BiasTable:
    """The resolved columns of one dataset.

    Attributes
    ----------
    frame:
        The whole table (main dataset joined with side datasets).
    label, predicted_label, group:
        Resolved column names (``None`` when not configured).
    facets:
        Facets in config order.
    feature_columns:
        Columns that are model features: everything except label, predicted
        label, join column, ``excluded_columns`` and facet-dataset columns.
        FT uses these minus the facet under evaluation.
    join:
        The ``joinsource_name_or_index`` column (``None`` when not configured).
    """

    frame: pd.DataFrame
    label: str | None
    predicted_label: str | None
    group: str | None
    facets: list[FacetColumn] = field(default_factory=list)
    feature_columns: list[str] = field(default_factory=list)
    join: str | None = None

    @property
    def n_rows(self) -> int:
        return len(self.frame)


def _resolve(frame: pd.DataFrame, name_or_index: str | int, path: str, what: str) -> str:
    columns = [str(c) for c in frame.columns]
    if isinstance(name_or_index, bool):
        raise ConfigError(
            path, f"expected a column name or 0-based index, found a boolean for the {what}"
        )
    if isinstance(name_or_index, int):
        if not 0 <= name_or_index < len(columns):
            raise DatasetError(
                path,
                f"{what} column index {name_or_index} is out of range: the dataset has {len(columns)} columns",
                "use a 0-based index below the number of columns, or the column name",
            )
        return columns[name_or_index]
    if name_or_index in columns:
        return name_or_index
    shown = ", ".join(repr(c) for c in columns[:12]) + (" …" if len(columns) > 12 else "")
    raise DatasetError(
        path,
        f"{what} column '{name_or_index}' is not in the dataset (columns: {shown})",
        "use one of the dataset's column names (check $.headers)",
    )


def _require_scalars(frame: pd.DataFrame, column: str, path: str, what: str) -> None:
    """Lists or objects (valid JSON) cannot be compared or grouped: say where."""
    series = frame[column]
    if not pd.api.types.is_object_dtype(series.dtype):
        return
    nested = series.map(lambda value: isinstance(value, list | dict)).to_numpy(dtype=bool)
    if nested.any():
        row = int(nested.argmax()) + 1
        raise DatasetError(
            f"{path} (column '{column}', row {row})",
            f"the {what} column must hold single values, found a JSON list or object",
            "point the JMESPath at a scalar value, or flatten the column",
        )


def _join_side(main: pd.DataFrame, side: pd.DataFrame, join: str | None, path: str) -> pd.DataFrame:
    """Attach a side dataset by the join column, or by position."""
    clash = [c for c in side.columns if c in main.columns and c != join]
    if clash:
        raise DatasetError(
            path, f"side dataset repeats main dataset column(s) {clash[:5]}", "rename them"
        )
    if join is not None and join in side.columns and join in main.columns:
        if side[join].duplicated().any():
            raise DatasetError(
                path, f"join column '{join}' has duplicate values in the side dataset"
            )
        merged = main.merge(side, on=join, how="inner", sort=False)
        if len(merged) == 0:
            raise DatasetError(
                path, f"no row of the side dataset matches the main dataset on '{join}'"
            )
        return merged
    if len(side) != len(main):
        raise DatasetError(
            path,
            f"side dataset has {len(side)} rows but the main dataset has {len(main)}",
            "give both the same rows in the same order, or set $.joinsource_name_or_index",
        )
    side = side.set_axis(main.index)
    return pd.concat([main, side], axis=1)


def json_reader_paths(config: Any) -> tuple[str | None, str | None]:
    """The label and predicted-label JMESPaths a JSON reader extracts (names are columns).

    Raises
    ------
    ConfigError
        ``$.features`` is missing (JSON datasets need it).
    """
    if not config.features:
        raise ConfigError(
            "$.features",
            f"is required for {config.dataset_type} datasets",
            "give the JMESPath of the features",
        )
    label = config.label if isinstance(config.label, str) else None
    predicted = config.predicted_label if isinstance(config.predicted_label, str) else None
    return label, predicted


def read_main_table(config: Any, dataset: Path) -> pd.DataFrame:
    """Read the main dataset according to ``dataset_type``."""
    dataset_type = config.dataset_type
    headers = config.headers
    if dataset_type == readers.CSV:
        return readers.read_csv(dataset, headers)
    if dataset_type in (readers.JSONLINES, readers.JSON):
        label, predicted = json_reader_paths(config)
        reader = readers.read_jsonlines if dataset_type == readers.JSONLINES else readers.read_json
        return reader(dataset, config.features, label, predicted, headers)
    if dataset_type == readers.PARQUET:
        frame = readers.read_parquet(dataset)
        if headers is not None:
            if len(headers) != len(frame.columns):
                raise DatasetError(
                    "$.headers",
                    f"names {len(headers)} columns but the Parquet data has {len(frame.columns)}",
                )
            frame.columns = list(headers)
        return frame
    raise ConfigError("$.dataset_type", f"not supported yet: {dataset_type}")


def _names(
    frame: pd.DataFrame, items: Sequence[str | int] | None, path: str, what: str
) -> list[str]:
    return [_resolve(frame, item, f"{path}[{i}]", what) for i, item in enumerate(items or [])]


def load_bias_table(
    config: Any, dataset: Path, locations: Locations | Path | None = None
) -> BiasTable:
    """Read the dataset(s) and resolve every configured column.

    ``locations`` finds the side datasets (a bare folder means "next to the config").
    """
    if not isinstance(locations, Locations):
        locations = Locations(config_dir=locations)
    check_dataset_fits(readers.dataset_files(dataset), config.dataset_type)
    frame = read_main_table(config, dataset)
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))[:5]
        raise DatasetError(
            "dataset", f"has duplicate column names {dupes}", "give every column a unique name"
        )
    if len(frame) == 0:
        raise DatasetError("dataset", "has no rows", "check that the dataset path holds the data")
    main_columns = list(frame.columns)

    join = None
    if config.joinsource_name_or_index is not None:
        join = _resolve(
            frame, config.joinsource_name_or_index, "$.joinsource_name_or_index", "join"
        )

    facet_side_columns: list[str] = []
    if config.facet_dataset_uri:
        side = readers.read_side_csv(
            locations.local(config.facet_dataset_uri, "$.facet_dataset_uri"),
            config.facet_headers,
        )
        facet_side_columns = [c for c in side.columns if c != join]
        frame = _join_side(frame, side, join, "$.facet_dataset_uri")
        facet_frame = side
    else:
        facet_frame = frame

    predicted_name = config.predicted_label
    label_name = config.label
    if config.dataset_type in (readers.JSONLINES, readers.JSON):
        # JMESPath-extracted label columns sit after the features (§2.3)
        extracted = [n for n in (label_name, predicted_name) if isinstance(n, str)]
        positions = dict(
            zip(extracted, main_columns[len(main_columns) - len(extracted) :], strict=True)
        )
        label_name = (
            positions.get(label_name, label_name) if isinstance(label_name, str) else label_name
        )
        if isinstance(predicted_name, str):
            predicted_name = positions.get(predicted_name, predicted_name)
    if config.predicted_label_dataset_uri:
        side = readers.read_side_csv(
            locations.local(config.predicted_label_dataset_uri, "$.predicted_label_dataset_uri"),
            config.predicted_label_headers,
        )
        if predicted_name is None:
            predicted_name = DEFAULT_PREDICTED_LABEL
        predicted = _resolve(side, predicted_name, "$.predicted_label", "predicted label")
        frame = _join_side(frame, side, join, "$.predicted_label_dataset_uri")
    elif predicted_name is not None:
        predicted = _resolve(frame, predicted_name, "$.predicted_label", "predicted label")
    else:
        predicted = None

    label = _resolve(frame, label_name, "$.label", "label") if label_name is not None else None
    group = None
    if config.group_variable is not None:
        group = _resolve(frame, config.group_variable, "$.group_variable", "group variable")

    facets = []
    for i, facet in enumerate(config.facet or []):
        path = f"$.facet[{i}]"
        source = facet_frame if isinstance(facet.name_or_index, int) else frame
        name = _resolve(source, facet.name_or_index, f"{path}.name_or_index", "facet")
        values = list(facet.value_or_threshold) if facet.value_or_threshold else None
        facets.append(FacetColumn(name, frame[name], values, path))

    used = [
        (label, "$.label", "label"),
        (predicted, "$.predicted_label", "predicted label"),
        (group, "$.group_variable", "group variable"),
    ]
    used += [(f.name, f"{f.path}.name_or_index", "facet") for f in facets]
    for column, path, what in used:
        if column is not None:
            _require_scalars(frame, column, path, what)
    excluded = set(_names(frame, config.excluded_columns, "$.excluded_columns", "excluded"))
    not_features = {label, predicted, join, *excluded, *facet_side_columns}
    features = [c for c in main_columns if c not in not_features]
    return BiasTable(frame, label, predicted, group, facets, features, join)
