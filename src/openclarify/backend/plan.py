"""What a config needs from a dataset: the used columns (resolved as in memory), specs, labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..bias.registry import MetricSpec, select
from ..data import readers
from ..data.stream import StreamSource
from ..data.table import _names, _resolve
from ..errors import DatasetError, UserError


@dataclass(frozen=True)
class _Columns:
    """Resolved column names, as :func:`openclarify.data.table.load_bias_table` names them."""

    label: str
    predicted: str | None
    group: str | None
    facets: tuple[tuple[str, list[Any] | None, str], ...]  # (name, values, JSON path)


def _resolve_columns(config: Any, columns: list[str]) -> _Columns:
    """Same resolution, same order and same errors as the in-memory table."""
    frame = pd.DataFrame(columns=columns)
    label_name, predicted_name = config.label, config.predicted_label
    if config.dataset_type in (readers.JSONLINES, readers.JSON):
        # JMESPath-extracted label columns sit after the features, under the
        # names the reader gave them (openclarify.data.table.load_bias_table)
        extracted = [n for n in (label_name, predicted_name) if isinstance(n, str)]
        positions = dict(zip(extracted, columns[len(columns) - len(extracted) :], strict=True))
        if isinstance(label_name, str):
            label_name = positions.get(label_name, label_name)
        if isinstance(predicted_name, str):
            predicted_name = positions.get(predicted_name, predicted_name)
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))[:5]
        raise DatasetError(
            "dataset", f"has duplicate column names {dupes}", "give every column a unique name"
        )
    if config.joinsource_name_or_index is not None:
        _resolve(frame, config.joinsource_name_or_index, "$.joinsource_name_or_index", "join")
    predicted = None
    if predicted_name is not None:
        predicted = _resolve(frame, predicted_name, "$.predicted_label", "predicted label")
    label = _resolve(frame, label_name, "$.label", "label")
    group = None
    if config.group_variable is not None:
        group = _resolve(frame, config.group_variable, "$.group_variable", "group variable")
    facets = []
    for i, facet in enumerate(config.facet or []):
        path = f"$.facet[{i}]"
        name = _resolve(frame, facet.name_or_index, f"{path}.name_or_index", "facet")
        values = list(facet.value_or_threshold) if facet.value_or_threshold else None
        facets.append((name, values, path))
    _names(frame, config.excluded_columns, "$.excluded_columns", "excluded")
    return _Columns(label, predicted, group, tuple(facets))


def _specs(config: Any) -> tuple[Sequence[MetricSpec] | None, Sequence[MetricSpec] | None]:
    methods = config.methods
    pre = (
        select("pre_training", methods.pre_training_bias.methods)
        if methods.pre_training_bias is not None
        else None
    )
    post = (
        select("post_training", methods.post_training_bias.methods)
        if methods.post_training_bias is not None
        else None
    )
    return pre, post


def why_not_streamed(config: Any, *, neighbours: bool = False) -> str | None:
    """Why this config needs the table in memory (``None``: it can be streamed).

    ``neighbours``: the caller computes FT itself (the Spark backend), so FT
    is no reason.
    """
    if config.dataset_type not in (readers.CSV, readers.PARQUET, readers.JSONLINES):
        return f"{config.dataset_type} datasets are read into memory"
    if config.facet_dataset_uri or config.predicted_label_dataset_uri:
        return "side datasets are joined to the table in memory"
    pre, post = _specs(config)
    if pre is None and post is None:
        return "no bias method requested"
    if post is not None and config.predicted_label is None:
        return "post-training predictions come from the model"
    if not neighbours and post is not None and any(spec.needs == "neighbours" for spec in post):
        return "the Flip Test (FT) needs all rows at once for its neighbour search"
    extension = getattr(config, "openclarify", None)
    if extension is not None and extension.intersections:
        return "openclarify.intersections cross facet columns row by row, in memory"
    return None


@dataclass(frozen=True)
class ColumnPlan:
    """What a config needs from a dataset: resolved columns, metric specs, label values.

    Computed once on the side that decides (the driver, for a partitioned backend).
    """

    columns: _Columns
    pre_specs: Sequence[MetricSpec] | None
    post_specs: Sequence[MetricSpec] | None
    predicted: str | None  # the predicted-label column, when post-training bias needs it
    names: list[str]  # the columns read, in a fixed order
    label_values: list[Any]
    probability_threshold: float


def plan_columns(config: Any, dataset_columns: list[str]) -> ColumnPlan:
    """Resolve the used columns like the in-memory table (same errors, same order)."""
    pre_specs, post_specs = _specs(config)
    columns = _resolve_columns(config, dataset_columns)
    predicted = columns.predicted if post_specs is not None else None
    used = [columns.label, predicted, columns.group, *(f[0] for f in columns.facets)]
    names = list(dict.fromkeys(n for n in used if n is not None))
    threshold = config.probability_threshold
    return ColumnPlan(
        columns,
        pre_specs,
        post_specs,
        predicted,
        names,
        list(config.label_values_or_threshold or []),
        threshold if threshold is not None else 0.5,
    )


def checked_plan(config: Any, source: StreamSource) -> ColumnPlan:
    """:func:`plan_columns`; a column error only once the files are known to read.

    The in-memory readers parse every file before a column is resolved, so a
    malformed file is the first error there; it must be here too.
    """
    try:
        return plan_columns(config, source.columns)
    except UserError:
        source.check_files()
        raise


def scalar_columns(plan: ColumnPlan, source: StreamSource) -> list[str]:
    """The columns whose dtypes are settled: the ones read, and for JSON Lines the predicted label.

    The in-memory table checks every used column of a JSON dataset (the
    predicted labels too, even when only pre-training bias reads none) for
    JSON lists and objects (:func:`require_scalars`).
    """
    predicted = plan.columns.predicted
    if source.dataset_type != readers.JSONLINES or predicted is None:
        return plan.names
    return list(dict.fromkeys([*plan.names, predicted]))


def require_scalars(plan: ColumnPlan, source: StreamSource) -> None:
    """The in-memory table's error for a JSON list or object in a used column.

    Same column order (label, predicted label, group variable, facets), same
    row number (:func:`openclarify.data.table._require_scalars`).
    """
    columns = plan.columns
    used = [
        (columns.label, "$.label", "label"),
        (columns.predicted, "$.predicted_label", "predicted label"),
        (columns.group, "$.group_variable", "group variable"),
    ]
    used += [(name, f"{path}.name_or_index", "facet") for name, _, path in columns.facets]
    for column, path, what in used:
        row = source.first_nested_row(column) if column is not None else None
        if row is not None:
            raise DatasetError(
                f"{path} (column '{column}', row {row})",
                f"the {what} column must hold single values, found a JSON list or object",
                "point the JMESPath at a scalar value, or flatten the column",
            )
