"""Time-series datasets (``time_series_data_config``, contract §2.7): items with their series.

Three JSON layouts, each read with the JMESPaths the SDK writes
(``TimeSeriesJSONDatasetFormat``):

``timestamp_records``
    One array of flat records, one per (item, timestamp), items possibly
    interleaved: ``[{"item_id": "a", "timestamp": "t0", "target": 1, ...}, ...]``
    with ``"[].item_id"``, ``"[].timestamp"``, ``"[].target"``.  Every path is
    evaluated on the whole document and gives one value per record.
``columns``
    One object of parallel arrays, one entry per (item, timestamp):
    ``{"ids": [...], "timestamps": [...], "target_ts": [...]}`` with bare keys.
    Read exactly as ``timestamp_records`` (one value per row from every path).
``item_records``
    One array of items, each with its own series:
    ``[{"id": "a", "scv1": 3, "timeseries": [{"timestamp": "t0", "target_ts": 1}, ...]}]``
    with ``"[*].id"``, ``"[*].timeseries[].target_ts"``, ``"[*].scv1"``.  The
    leading projection (``[*].`` or ``[].``) picks the items; the rest of the path
    is evaluated on each item, so the series of different items never run together.

Within an item the rows keep the order of the file (the series are expected in
time order; they are not re-sorted, because timestamps are free text).  Static
covariates are per item: in the row layouts every row of an item repeats them and
they must agree.  The target may be ``null`` on trailing rows — the forecast
horizon's future steps, where only the related series are known (EX-TS mock data):
the observed target is its non-null prefix (projections keep the ``null`` of every
row, unlike plain JMESPath, so steps stay aligned with their timestamps); a ``null`` before an observed value,
or in a related series, is a :class:`~openclarify.errors.DatasetError`.

Feature names (``feature_name`` in ``out.jsonl``) are ``$.headers`` in the SDK's
order — item id, timestamp, target, related…, static… (DOC-CFG) — and, when
``headers`` is absent, the last field name of each JMESPath (``[].p_mbar`` →
``p_mbar``; our choice).  A folder holds one document per file, read in name order
and joined.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from jmespath.visitor import TreeInterpreter
from numpy.typing import NDArray

from ..errors import ConfigError, DatasetError
from .readers import dataset_files

if TYPE_CHECKING:
    from ..config import AnalysisConfig, TimeSeriesDataConfig

__all__ = ["TimeSeriesDataset", "TimeSeriesItem", "feature_names", "read_time_series"]

_CONFIG = "$.time_series_data_config"
_LEADING_PROJECTION = re.compile(r"^\s*\[\*?\]\s*\.?")
_LAST_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*|\"[^\"]*\")\W*$")


@dataclass(frozen=True)
class TimeSeriesItem:
    """One item of a time-series dataset.

    Attributes
    ----------
    item_id:
        The item's id as the file wrote it (a string or a number).
    timestamps:
        Every step of the item, as written (``T`` entries, observed and future).
    target:
        The observed target: ``float64`` of shape ``(T_obs,)``, ``T_obs <= T``.
    related:
        The related series: ``float64`` of shape ``(R, T)`` (``R`` may be 0).
    statics:
        The static covariates (``S`` values, as written: numbers or strings).
    """

    item_id: Any
    timestamps: tuple[Any, ...]
    target: NDArray[np.float64]
    related: NDArray[np.float64]
    statics: tuple[Any, ...]

    @property
    def n_steps(self) -> int:
        return len(self.timestamps)


@dataclass(frozen=True)
class TimeSeriesDataset:
    """The items of a dataset, in file order, and the names of their series.

    Attributes
    ----------
    items:
        In order of first appearance.
    target_name, related_names, static_names:
        Header names (see the module docstring).
    """

    items: tuple[TimeSeriesItem, ...]
    target_name: str
    related_names: tuple[str, ...]
    static_names: tuple[str, ...]


class _KeepNulls(TreeInterpreter):
    """JMESPath evaluation whose projections keep ``null`` results.

    Standard JMESPath drops them (``[].p_mbar`` over ``[{"p_mbar": 1}, {"p_mbar":
    null}]`` is ``[1]``), which would shift every future step of a target onto the
    wrong timestamp; here each projected element gives exactly one value.
    """

    def visit_projection(self, node: Any, value: Any) -> Any:
        base = self.visit(node["children"][0], value)
        if not isinstance(base, list):
            return None
        return [self.visit(node["children"][1], element) for element in base]


_INTERPRETER = _KeepNulls()


def _compile(expression: str, path: str) -> Any:
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(expression)
    except JMESPathError as exc:
        raise ConfigError(
            path,
            f"is not a valid JMESPath expression ({type(exc).__name__})",
            "write e.g. '[].target' (timestamp_records) or '[*].timeseries[].target' "
            "(item_records)",
        ) from exc


def _search(expression: Any, document: Any, where: str) -> Any:
    try:
        return _INTERPRETER.visit(expression.parsed, document)
    except Exception as exc:  # jmespath raises several unrelated types
        raise DatasetError(where, f"JMESPath evaluation failed: {type(exc).__name__}") from exc


def _path_name(path: str) -> str:
    match = _LAST_FIELD.search(path)
    return match.group(1).strip('"') if match else path


def feature_names(config: AnalysisConfig) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """``(target, related, static)`` names: ``$.headers`` in the SDK's order, else the paths.

    Raises
    ------
    ConfigError
        When ``headers`` has not exactly one name per configured path.
    """
    ts = _ts_config(config)
    related = list(ts.related_time_series or ())
    statics = list(ts.static_covariates or ())
    expected = 3 + len(related) + len(statics)
    headers = config.headers
    if headers is None:
        return (
            _path_name(str(ts.target_time_series)),
            tuple(_path_name(str(p)) for p in related),
            tuple(_path_name(str(p)) for p in statics),
        )
    names = [str(h) for h in headers]
    if len(names) != expected:
        raise ConfigError(
            "$.headers",
            f"expected {expected} names for a time-series dataset (item id, timestamp, "
            f"target, {len(related)} related, {len(statics)} static), found {len(names)}",
            "list the headers in the order item id, timestamp, target, related..., static...",
        )
    return names[2], tuple(names[3 : 3 + len(related)]), tuple(names[3 + len(related) :])


def _ts_config(config: AnalysisConfig) -> TimeSeriesDataConfig:
    ts = config.time_series_data_config
    assert ts is not None
    return ts


def check_time_series_config(config: AnalysisConfig) -> None:
    """Refuse, before any data is read, what this reader cannot read."""
    ts = _ts_config(config)
    if not isinstance(ts.target_time_series, str):
        raise ConfigError(
            _CONFIG,
            "not supported yet: integer indices (time-series datasets are JSON documents)",
            "give JMESPaths and a dataset_format",
        )
    if config.dataset_type != "application/json":
        raise ConfigError(
            "$.dataset_type",
            f"time-series explanations read application/json datasets, found {config.dataset_type}",
            "set dataset_type to application/json",
        )
    for key, expression in _paths(ts):
        _compile(expression, f"{_CONFIG}.{key}")
    feature_names(config)


def _paths(ts: TimeSeriesDataConfig) -> list[tuple[str, str]]:
    paths = [
        ("item_id", str(ts.item_id)),
        ("timestamp", str(ts.timestamp)),
        ("target_time_series", str(ts.target_time_series)),
    ]
    paths += [
        (f"related_time_series[{i}]", str(p)) for i, p in enumerate(ts.related_time_series or ())
    ]
    paths += [(f"static_covariates[{i}]", str(p)) for i, p in enumerate(ts.static_covariates or ())]
    return paths


def _load(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(
            f"file {file.name}", "is not valid UTF-8 JSON", "check the file"
        ) from exc


def _rows(document: Any, paths: list[tuple[str, str]], where: str) -> list[list[Any]]:
    """``timestamp_records`` / ``columns``: one list of values per path, all as long."""
    columns: list[list[Any]] = []
    for key, expression in paths:
        values = _search(_compile(expression, f"{_CONFIG}.{key}"), document, where)
        if not isinstance(values, list):
            raise DatasetError(
                where,
                f"{_CONFIG}.{key} '{expression}' must give a list (one value per row), "
                f"found {'nothing' if values is None else type(values).__name__}",
                "check the JMESPath against the file and dataset_format",
            )
        if columns and len(values) != len(columns[0]):
            raise DatasetError(
                where,
                f"{_CONFIG}.{key} '{expression}' gives {len(values)} values, "
                f"{_CONFIG}.item_id gives {len(columns[0])} (must be one per row)",
                "give every row every field (null for a future target)",
            )
        columns.append(values)
    return columns


def _item_rows(document: Any, paths: list[tuple[str, str]], where: str) -> list[list[Any]]:
    """``item_records``: every path evaluated per item, then laid out as rows."""
    if not isinstance(document, list):
        raise DatasetError(where, "must be a JSON array of items for dataset_format item_records")
    compiled = []
    for key, expression in paths:
        if not _LEADING_PROJECTION.match(expression):
            raise ConfigError(
                f"{_CONFIG}.{key}",
                f"'{expression}' must start with a projection over the items ([*]. or [].) "
                "for dataset_format item_records",
                "write e.g. '[*].id' or '[*].timeseries[].target_ts'",
            )
        rest = _LEADING_PROJECTION.sub("", expression, count=1)
        compiled.append((key, expression, _compile(rest or "@", f"{_CONFIG}.{key}")))
    n_series = len(paths) - sum(key.startswith("static_covariates") for key, _ in paths)
    rows: list[list[Any]] = [[] for _ in paths]
    for position, item in enumerate(document):
        item_where = f"{where}, item {position + 1}"
        values = [_search(c, item, item_where) for _, _, c in compiled]
        timestamps = values[1]
        if not isinstance(timestamps, list):
            raise DatasetError(
                item_where,
                f"{_CONFIG}.timestamp '{compiled[1][1]}' must give a list of timestamps",
                "check the JMESPath against the file and dataset_format",
            )
        n = len(timestamps)
        for index, ((key, expression, _), value) in enumerate(zip(compiled, values, strict=True)):
            if index == 0 or (index >= n_series and not isinstance(value, list)):
                rows[index].extend([value] * n)  # the id, a static: one per item
                continue
            if not isinstance(value, list) or len(value) != n:
                found = f"{len(value)} values" if isinstance(value, list) else "no list"
                raise DatasetError(
                    item_where,
                    f"{_CONFIG}.{key} '{expression}' gives {found} for {n} timestamps",
                    "give every step every series (null for a future target)",
                )
            rows[index].extend(value)
    return rows


def _numbers(values: Sequence[Any], where: str, what: str) -> NDArray[np.float64]:
    out = np.empty(len(values), dtype=np.float64)
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int | float):
            found = "null" if value is None else type(value).__name__
            raise DatasetError(
                where,
                f"{what} must be numbers, found {found} at step {i + 1}",
                "give numbers (null only for future target steps)",
            )
        out[i] = float(value)
    return out


def read_time_series(config: AnalysisConfig, path: Path) -> TimeSeriesDataset:
    """Read every item of the dataset at ``path`` (a file, or a folder of files).

    Raises
    ------
    DatasetError
        A path that gives no list, lists of different lengths, a missing or
        non-numeric value, static covariates that change within an item, no items.
    ConfigError
        An ``item_records`` path without a leading projection; bad ``headers``.
    """
    ts = _ts_config(config)
    paths = _paths(ts)
    n_related = len(ts.related_time_series or ())
    target_name, related_names, static_names = feature_names(config)
    groups: dict[Any, list[list[Any]]] = {}
    for file in dataset_files(path):
        where = f"file {file.name}"
        document = _load(file)
        if ts.dataset_format == "item_records":
            columns = _item_rows(document, paths, where)
        else:
            columns = _rows(document, paths, where)
        for row in zip(*columns, strict=True):
            key = json.dumps(row[0], sort_keys=True)
            groups.setdefault(key, []).append(list(row))
    if not groups:
        raise DatasetError(str(path), "holds no time-series rows", "check the JMESPaths")
    items: list[TimeSeriesItem] = []
    for rows in groups.values():
        item_id = rows[0][0]
        where = f"item {len(items) + 1} (in order of appearance)"
        target_values = [r[2] for r in rows]
        observed = 0
        while observed < len(target_values) and target_values[observed] is not None:
            observed += 1
        if any(v is not None for v in target_values[observed:]):
            raise DatasetError(
                where,
                f"{target_name!r} is missing at step {observed + 1} before observed values",
                "only the future steps at the end of a series may have a null target",
            )
        if observed == 0:
            raise DatasetError(
                where, f"{target_name!r} has no observed value", "give the item's observed target"
            )
        target = _numbers(target_values[:observed], where, f"{target_name!r} values")
        related = np.array(
            [
                _numbers([r[3 + j] for r in rows], where, f"{name!r} values")
                for j, name in enumerate(related_names)
            ],
            dtype=np.float64,
        ).reshape(n_related, len(rows))
        statics = []
        for j, name in enumerate(static_names):
            values = [r[3 + n_related + j] for r in rows]
            first = values[0]
            if any(v != first for v in values[1:]):
                raise DatasetError(
                    where,
                    f"static covariate {name!r} changes within the item",
                    "give one value per item (repeated on every row)",
                )
            if first is None:
                raise DatasetError(where, f"static covariate {name!r} is missing")
            statics.append(first)
        items.append(
            TimeSeriesItem(
                item_id=item_id,
                timestamps=tuple(r[1] for r in rows),
                target=target,
                related=related,
                statics=tuple(statics),
            )
        )
    return TimeSeriesDataset(tuple(items), target_name, related_names, static_names)
