"""What every mitigation shares: the cells of a table, the metrics, the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import ConfigError, DatasetError

__all__ = ["LAB_METHODS", "Mitigation", "as_frame", "bias_metrics", "check_columns"]

#: The pre-training metrics the public lab computes; the default before / after.
LAB_METHODS = ("CI", "DPL", "KL", "JS", "LP", "TVD", "KS")
_KEY = ["facet", "value_or_threshold", "metric"]


@dataclass(frozen=True)
class Mitigation:
    """The outcome of a mitigation.

    Attributes
    ----------
    data:
        The new table: resampled rows, or every row with a weight column, or every
        row with a new predicted-label column.
    before, after:
        Long tables ``facet, value_or_threshold, metric, value`` of the bias
        metrics of the input and of the output (weighted, for :func:`reweigh`).
    method:
        ``resample``, ``reweigh`` or ``thresholds``.
    details:
        What was done: cell sizes, weights, thresholds (method-specific keys).
    """

    data: pd.DataFrame
    before: pd.DataFrame
    after: pd.DataFrame
    method: str
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """One row per (facet, value, metric): ``before``, ``after`` and the change."""
        merged = self.before[[*_KEY, "value"]].merge(
            self.after[[*_KEY, "value"]], on=_KEY, how="left", suffixes=("_before", "_after")
        )
        merged = merged.rename(columns={"value_before": "before", "value_after": "after"})
        merged["change"] = merged["after"] - merged["before"]
        return merged

    def _repr_html_(self) -> str:
        return f"<p>{self.method}: {len(self.data)} rows</p>" + self.summary().to_html(
            index=False, float_format=lambda v: f"{v:.4f}"
        )


def as_frame(data: Any) -> pd.DataFrame:
    """A pandas DataFrame of ``data`` (a DataFrame, or a pyarrow Table)."""
    if isinstance(data, pd.DataFrame):
        return data
    to_pandas = getattr(data, "to_pandas", None)
    if to_pandas is None:
        raise DatasetError(
            "data",
            f"expected a pandas DataFrame or a pyarrow Table, found {type(data).__name__}",
            "pass a DataFrame (pd.read_csv(...)) or a pyarrow Table",
        )
    frame: pd.DataFrame = to_pandas()
    return frame


def check_columns(frame: pd.DataFrame, **columns: str | None) -> None:
    """Every named column exists and (for label / facet) has no missing value."""
    for role, name in columns.items():
        if name is None:
            continue
        if name not in frame.columns:
            raise DatasetError(
                f"{role}={name!r}",
                "no such column",
                f"use one of the columns: {', '.join(map(str, frame.columns[:20]))}",
            )
        if role in ("label", "facet") and frame[name].isna().any():
            raise DatasetError(
                f"column {name}",
                f"has {int(frame[name].isna().sum())} missing value(s); the {role} cells need all",
                "drop or fill those rows first",
            )
    if len(frame) == 0:
        raise DatasetError("data", "has no rows", "pass a table with rows")


def bias_metrics(
    frame: pd.DataFrame,
    *,
    label: str,
    label_values: Sequence[Any],
    facet: str,
    methods: Sequence[str],
    predicted_label: str | None = None,
) -> pd.DataFrame:
    """The job's metrics (:func:`openclarify.bias`), one-vs-rest for every facet value."""
    from ..frames import bias

    if not label_values:
        raise ConfigError("label_values", "is empty", "give the positive label value(s)")
    result = bias(
        frame,
        label=label,
        label_values=list(label_values),
        facet=facet,
        methods=list(methods),
        predicted_label=predicted_label,
    )
    metrics = result.metrics_frame()
    return metrics[["stage", *_KEY, "value"]].reset_index(drop=True)
