"""The report's "Segments" section: one table per ``segment_config`` entry.

Rows are the quantities (records, then every bias metric of every facet group,
then every global SHAP value); columns are "All rows" (the whole-dataset value)
and the segments in order, ``__default__`` last.  So a metric reads across: how
the segment's value compares with the whole dataset's.  Bias cells carry the
same flags as the bias sections; PDP per segment stays in ``analysis.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .content import STAGES, MetricRow, format_value, metric_row, to_float

__all__ = ["SegmentCell", "SegmentLine", "SegmentTable", "segment_tables"]


@dataclass(frozen=True)
class SegmentCell:
    """One value shown: its text, its flag (``None`` for SHAP values), its hover text."""

    shown: str
    flag: str | None = None
    title: str = ""


@dataclass(frozen=True)
class SegmentLine:
    """One row of a segment table: what it is, then the whole dataset's and each segment's cell."""

    kind: str
    name: str
    cells: tuple[SegmentCell, ...]


@dataclass(frozen=True)
class SegmentTable:
    """One ``segment_config`` entry."""

    title: str
    column: str
    segments: tuple[str, ...]
    lines: tuple[SegmentLine, ...]
    has_pdp: bool


def _metric_cell(entry: dict[str, Any] | None) -> SegmentCell:
    if entry is None:
        return SegmentCell("—")
    row: MetricRow = metric_row(entry)
    return SegmentCell(row.shown, row.flag, row.error or row.reading)


def _bias_keys(document: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(section key, stage title, facet, group, metric code) in the document's order."""
    keys = []
    for key, _, title in STAGES:
        section = document.get(key)
        if not isinstance(section, dict):
            continue
        for facet, groups in (section.get("facets") or {}).items():
            for group in groups:
                for metric in group.get("metrics", []):
                    keys.append(
                        (
                            key,
                            title.split(" bias")[0],
                            str(facet),
                            str(group.get("value_or_threshold", "")),
                            str(metric.get("name", "")),
                        )
                    )
    return keys


def _metric(part: dict[str, Any], key: tuple[str, str, str, str, str]) -> dict[str, Any] | None:
    section, _, facet, group, code = key
    for g in ((part.get(section) or {}).get("facets") or {}).get(facet, []):
        if str(g.get("value_or_threshold", "")) == group:
            for metric in g.get("metrics", []):
                if metric.get("name") == code:
                    return dict(metric)
    return None


def _shap_value(part: dict[str, Any], label: str, feature: str) -> SegmentCell:
    entry = ((part.get("explanations") or {}).get("kernel_shap") or {}).get(label) or {}
    value = to_float((entry.get("global_shap_values") or {}).get(feature))
    return SegmentCell("—" if value is None else format_value(value))


def segment_tables(document: dict[str, Any]) -> tuple[SegmentTable, ...]:
    """The tables of ``document["segment_analysis"]`` (none without the key)."""
    tables = []
    for position, entry in enumerate(document.get("segment_analysis") or []):
        segments = list(entry.get("segments") or [])
        parts = [document, *segments]
        lines = [
            SegmentLine(
                "",
                "records",
                (
                    SegmentCell("all"),
                    *(SegmentCell(f"{int(s.get('num_records', 0)):,}") for s in segments),
                ),
            )
        ]
        for key in _bias_keys(document):
            _, stage, facet, group, code = key
            lines.append(
                SegmentLine(
                    stage,
                    f"{code} · {facet} = {group}",
                    tuple(_metric_cell(_metric(p, key)) for p in parts),
                )
            )
        kernel_shap = (document.get("explanations") or {}).get("kernel_shap") or {}
        for label, values in kernel_shap.items():
            for feature in values.get("global_shap_values") or {}:
                lines.append(
                    SegmentLine(
                        "SHAP",
                        f"{feature} ({label})",
                        tuple(_shap_value(p, str(label), str(feature)) for p in parts),
                    )
                )
        name = entry.get("config_name")
        column = str(entry.get("name_or_index", ""))
        tables.append(
            SegmentTable(
                title=str(name) if name else f"segment_config[{position}]",
                column=column,
                segments=tuple(str(s.get("segment", "")) for s in segments),
                lines=tuple(lines),
                has_pdp=any("pdp" in (s.get("explanations") or {}) for s in segments),
            )
        )
    return tuple(tables)
