"""A few explained texts for the report: each unit's span and attribution (not in analysis.json)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["TextExample"]


@dataclass(frozen=True)
class TextExample:
    """One record's text with the attribution of each unit to one output label.

    Attributes
    ----------
    feature:
        The text column.
    label:
        The output label the attributions are for.
    record:
        The record's position in the dataset (from 0).
    text:
        The text (possibly cut short for the report; ``truncated`` says so).
    spans:
        ``(start, end, attribution)`` of each unit inside ``text``, in text order.
    truncated:
        Whether the text was longer than the report shows.
    """

    feature: str
    label: str
    record: int
    text: str
    spans: tuple[tuple[int, int, float], ...]
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "label": self.label,
            "record": self.record,
            "text": self.text,
            "spans": [list(s) for s in self.spans],
            "truncated": self.truncated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextExample:
        return cls(
            feature=str(data["feature"]),
            label=str(data["label"]),
            record=int(data["record"]),
            text=str(data["text"]),
            spans=tuple((int(a), int(b), float(v)) for a, b, v in data["spans"]),
            truncated=bool(data.get("truncated", False)),
        )
