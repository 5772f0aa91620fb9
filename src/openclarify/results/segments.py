"""Per-segment results (``segment_config``): the new top-level key ``segment_analysis``.

Clarify's segment output was never published (contract §11.2), so this shape is
ours.  It adds one key after every key Clarify writes, which stay unchanged::

    "segment_analysis": [                      # one object per segment_config entry
      {"config_name": "c1" | null,
       "name_or_index": "Age",
       "segments": [                           # the N listed segments, then __default__
         {"segment": "young",                  # display alias, or the rendered list
          "values": ["[18, 40]"] | null,       # as configured; null for __default__
          "num_records": 123,
          "post_training_bias_metrics": {...}, # the top-level shapes, on the
          "pre_training_bias_metrics": {...},  # segment's rows, same key order
          "explanations": {"kernel_shap": {...}, "pdp": [...]}},
         ...]}]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import AnalysisResult

#: The top-level ``analysis.json`` key of the per-segment results.
SEGMENT_ANALYSIS_KEY = "segment_analysis"
#: The ``error`` of every metric of a segment without rows.
EMPTY_SEGMENT_ERROR = "Segment is empty"


@dataclass(frozen=True)
class SegmentResult:
    """One segment's part of the analysis.

    Attributes
    ----------
    name:
        Display name (alias, rendered values, or ``__default__``).
    values:
        The configured list (``None`` for ``__default__``).
    num_records:
        Rows of the dataset in the segment (0: every value is ``null``).
    result:
        The methods' sections computed on the segment's rows.
    """

    name: str
    values: tuple[Any, ...] | None
    num_records: int
    result: AnalysisResult

    def to_dict(self) -> dict[str, Any]:
        sections = self.result.to_dict()
        sections.pop("version")
        return {
            "segment": self.name,
            "values": list(self.values) if self.values is not None else None,
            "num_records": self.num_records,
            **sections,
        }


@dataclass(frozen=True)
class SegmentationResult:
    """The results of one ``segment_config`` entry: one per segment, ``__default__`` last."""

    config_name: str | None
    name_or_index: str | int
    segments: tuple[SegmentResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "config_name": self.config_name,
            "name_or_index": self.name_or_index,
            "segments": [s.to_dict() for s in self.segments],
        }


def combine_segmentations(
    parts: Sequence[tuple[SegmentationResult, ...]],
) -> tuple[SegmentationResult, ...]:
    """The segment results of several methods merged segment by segment (method order kept)."""
    from .model import AnalysisResult

    present = [p for p in parts if p]
    if not present:
        return ()
    merged = []
    for entries in zip(*present, strict=True):
        first = entries[0]
        segments = []
        for same in zip(*(e.segments for e in entries), strict=True):
            counts = {s.num_records for s in same}
            if len(counts) != 1:
                raise RuntimeError(f"methods disagree on the rows of segment {same[0].name}")
            segments.append(
                SegmentResult(
                    same[0].name,
                    same[0].values,
                    same[0].num_records,
                    AnalysisResult.combine(s.result for s in same),
                )
            )
        merged.append(SegmentationResult(first.config_name, first.name_or_index, tuple(segments)))
    return tuple(merged)
