"""The report's reading of the ``openclarify`` key: crossed groups, intervals, flags, performance.

Only called when ``analysis.json`` has the key, so a report without the opt-in
is rendered by exactly the code it was rendered by before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..results.beyond import group_records, metric_statistics, number, performance_rows
from .content import BiasStage, GroupMetrics, MetricRow, bias_stage

#: How a reliability flag is named in the report.
RELIABILITY_NAMES = {"few_rows": "few rows", "few_positives": "few positives"}
RATES = (
    ("base_rate", "base rate"),
    ("acceptance_rate", "acceptance rate"),
    ("tpr", "TPR"),
    ("fpr", "FPR"),
    ("precision", "precision"),
    ("accuracy", "accuracy"),
)


@dataclass(frozen=True)
class BeyondReport:
    """What the report shows beyond Clarify's numbers."""

    confidence_level: float | None
    resamples: int | None
    min_rows: int | None
    min_positives: int | None
    performance: tuple[dict[str, Any], ...]

    @property
    def uncertainty(self) -> bool:
        return self.confidence_level is not None


def _with_statistics(
    stage: BiasStage, statistics: dict[Any, dict[str, Any]], records: dict[Any, dict[str, Any]]
) -> BiasStage:
    groups = []
    for group in stage.groups:
        key = (stage.key, group.facet, group.value_or_threshold)
        rows: list[MetricRow] = []
        for row in group.metrics:
            found = statistics.get((*key, row.code))
            if found is None:
                rows.append(row)
                continue
            interval = found.get("confidence_interval")
            p_value = found.get("p_value")
            rows.append(
                dataclasses.replace(
                    row,
                    interval=None
                    if interval is None
                    else (number(interval[0]), number(interval[1])),
                    p_value=None if p_value is None else float(p_value),
                    test=found.get("test"),
                )
            )
        reliability = tuple((records.get(key) or {}).get("flags") or ())
        groups.append(GroupMetrics(group.facet, group.value_or_threshold, tuple(rows), reliability))
    return dataclasses.replace(stage, groups=tuple(groups))


def read_beyond(
    beyond: dict[str, Any], stages: tuple[BiasStage, ...]
) -> tuple[tuple[BiasStage, ...], BeyondReport]:
    """Stages with the crossed groups appended and the statistics attached; the extras."""
    crossed = beyond.get("intersections") or {}
    merged = []
    for stage in stages:
        section = crossed.get(f"{stage.key}_bias_metrics")
        if isinstance(section, dict):
            extra = bias_stage(stage.key, stage.title, section)
            stage = dataclasses.replace(stage, groups=stage.groups + extra.groups)
        merged.append(stage)
    statistics = metric_statistics(beyond)
    records = group_records(beyond)
    if statistics:
        merged = [_with_statistics(stage, statistics, records) for stage in merged]
    uncertainty = beyond.get("uncertainty") or {}
    level = uncertainty.get("confidence_level")
    report = BeyondReport(
        confidence_level=None if level is None else float(level),
        resamples=uncertainty.get("resamples"),
        min_rows=uncertainty.get("min_rows"),
        min_positives=uncertainty.get("min_positives"),
        performance=tuple(performance_rows(beyond)),
    )
    return tuple(merged), report
