"""The items of one ``segment_config`` segment: categorical values and interval strings.

The SDK documents a segment as a list of categorical values or, for continuous
columns, of interval strings in the usual notation (``"[1, 4]"``, ``"(2, 5]"``,
``"[1, 3)"``, ``"(5, 10)"``), several intervals allowed per segment.  This module
parses them (pure Python, no data), so that the config is checked before any
data is read and the membership rule (:mod:`openclarify.segments.membership`)
applies exactly what was parsed here.

Decisions (the contract is silent, modalities-contract §4.3 is a guess):

* A string item is an interval when it starts with ``[`` or ``(``; one that then
  does not parse (``"[1, 4"``, ``"[a, b]"``, ``"[5, 1]"``) is refused rather than
  taken as a category nobody could match.  Bounds may be ``inf`` / ``-inf``.
* Any other item is a categorical value.  A value compares equal to a cell when
  both render to the same string, or both are numbers of the same value
  (``1``, ``"1"``, ``1.0`` and ``"1.0"`` are one value).
* Two segments of one entry may not share a row: overlapping intervals, a value
  listed twice, or a numeric value inside another segment's interval are refused.
  Membership is still "first segment that matches" (the SDK's wording), but with
  disjoint segments the order of the lists can never change a result.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "Interval",
    "SegmentItemError",
    "SegmentItems",
    "numeric_value",
    "parse_items",
    "shared_rows",
    "value_key",
]

_NUMBER = r"[-+]?(?:inf(?:inity)?|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_INTERVAL = re.compile(rf"^\s*([\[(])\s*({_NUMBER})\s*,\s*({_NUMBER})\s*([\])])\s*$", re.I)


@dataclass(frozen=True)
class Interval:
    """``[low, high]`` with each end open or closed; ``low <= high``, never empty."""

    low: float
    high: float
    low_closed: bool
    high_closed: bool

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (NaN never does)."""
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above and below

    def overlaps(self, other: Interval) -> bool:
        """Whether some number lies in both intervals."""
        low, low_closed = max(
            (self.low, self.low_closed), (other.low, other.low_closed), key=_low_key
        )
        high, high_closed = min(
            (self.high, self.high_closed), (other.high, other.high_closed), key=_high_key
        )
        return low < high or (low == high and low_closed and high_closed)


def _low_key(end: tuple[float, bool]) -> tuple[float, bool]:
    # the larger lower end wins; at equal values the open end is the tighter one
    return end[0], not end[1]


def _high_key(end: tuple[float, bool]) -> tuple[float, bool]:
    # the smaller upper end wins; at equal values the open end is the tighter one
    return end[0], end[1]


def numeric_value(value: object) -> float | None:
    """``value`` as a finite or infinite float when it is a number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None


def value_key(value: object) -> tuple[str, object]:
    """The identity of a categorical value: its number when numeric, else its string."""
    number = numeric_value(value)
    return ("number", number) if number is not None else ("string", str(value))


@dataclass(frozen=True)
class SegmentItems:
    """One segment parsed: its categorical values and its intervals (either may be empty)."""

    values: tuple[int | float | str, ...]
    intervals: tuple[Interval, ...]


class SegmentItemError(ValueError):
    """An item that cannot be used; ``index`` is its position in the segment."""

    def __init__(self, index: int, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.index = index
        self.problem = problem
        self.fix = fix


def _interval(text: str, index: int) -> Interval:
    match = _INTERVAL.match(text)
    if match is None:
        raise SegmentItemError(
            index,
            "expected an interval such as '[1, 4]' or '(2, 5]' (two numbers, a comma, "
            "brackets), found a malformed interval string",
            "Write the interval as '[low, high]' with '[' / ']' closed and '(' / ')' open ends.",
        )
    opening, low, high, closing = match.groups()
    interval = Interval(float(low), float(high), opening == "[", closing == "]")
    empty = interval.low > interval.high or (
        interval.low == interval.high and not (interval.low_closed and interval.high_closed)
    )
    if empty:
        raise SegmentItemError(
            index,
            "expected an interval whose lower end is below its upper end, found an empty interval",
            "Put the smaller number first, e.g. '[1, 4]'.",
        )
    return interval


def parse_items(items: tuple[int | float | str, ...]) -> SegmentItems:
    """Split one segment into values and intervals (module docstring); raises :class:`SegmentItemError`."""
    values: list[int | float | str] = []
    intervals: list[Interval] = []
    for index, item in enumerate(items):
        if isinstance(item, str) and item.lstrip()[:1] in ("[", "("):
            intervals.append(_interval(item, index))
        else:
            values.append(item)
    return SegmentItems(tuple(values), tuple(intervals))


def shared_rows(one: SegmentItems, other: SegmentItems) -> str | None:
    """Why a row could fall in both segments (``None``: they are disjoint)."""
    for interval in one.intervals:
        if any(interval.overlaps(theirs) for theirs in other.intervals):
            return "overlapping intervals"
    keys = {value_key(v) for v in one.values}
    if any(value_key(v) in keys for v in other.values):
        return "the same value"
    for first, second in ((one, other), (other, one)):
        for value in first.values:
            number = numeric_value(value)
            if number is not None and any(i.contains(number) for i in second.intervals):
                return "a value inside an interval of the other"
    return None
