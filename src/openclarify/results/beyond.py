"""Reading the ``openclarify`` key of ``analysis.json`` back: tables for pandas, the CLI and the report.

The key is plain JSON (written by :mod:`openclarify.bias.beyond`); these helpers
only look things up in it, so that :meth:`AnalysisResult.metrics_frame`, the
CLI table and the report agree on what each field means.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

STAGE_OF_KEY = {
    "post_training_bias_metrics": "post_training",
    "pre_training_bias_metrics": "pre_training",
}

#: ``(stage, facet, value_or_threshold, metric)``.
MetricKey = tuple[str, str, str, str]


def intersection_groups(beyond: dict[str, Any] | None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(stage, facet, group)`` of every crossed group, ``group`` shaped as Clarify's."""
    for key, section in ((beyond or {}).get("intersections") or {}).items():
        stage = STAGE_OF_KEY.get(key)
        if stage is None:
            continue
        for facet, groups in (section.get("facets") or {}).items():
            for group in groups:
                yield stage, str(facet), group


def group_records(beyond: dict[str, Any] | None) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The uncertainty record (rows, flags, metrics) of every ``(stage, facet, group)``."""
    out = {}
    uncertainty = (beyond or {}).get("uncertainty") or {}
    for key, stage in STAGE_OF_KEY.items():
        for facet, groups in ((uncertainty.get(key) or {}).get("facets") or {}).items():
            for group in groups:
                out[(stage, str(facet), str(group.get("value_or_threshold")))] = group
    return out


def metric_statistics(beyond: dict[str, Any] | None) -> dict[MetricKey, dict[str, Any]]:
    """Interval, p-value and test of every metric, by :data:`MetricKey`."""
    out = {}
    for (stage, facet, group), record in group_records(beyond).items():
        for metric in record.get("metrics") or []:
            out[(stage, facet, group, str(metric.get("name")))] = metric
    return out


def number(value: Any) -> float:
    """A JSON number or ``"±Infinity"`` as a float (``None`` → NaN)."""
    if value is None:
        return float("nan")
    return float(value)


def performance_rows(beyond: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One flat row per facet group of ``group_performance``: value, low, high per rate."""
    rows = []
    performance = (beyond or {}).get("group_performance") or {}
    for facet, groups in (performance.get("facets") or {}).items():
        for group in groups:
            row: dict[str, Any] = {
                "facet": facet,
                "value_or_threshold": group.get("value_or_threshold"),
                "rows": group.get("rows"),
            }
            for name, entry in group.items():
                if isinstance(entry, dict):
                    interval = entry.get("confidence_interval") or [None, None]
                    row[name] = number(entry.get("value"))
                    row[f"{name}_low"] = number(interval[0])
                    row[f"{name}_high"] = number(interval[1])
            rows.append(row)
    return rows
