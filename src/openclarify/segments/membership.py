"""Which segment each row belongs to: one ``segment_config`` entry applied to a column.

A row belongs to the first of the N listed segments that matches its value
(:mod:`openclarify.config.segments`: equal values, or a number inside one of the
intervals), and to ``__default__`` (code N) when none does — missing values
included.  The rule looks at one cell at a time, so a record batch gives the
same answer as the whole table (the streaming engine filters batch by batch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..config.segments import SegmentItems, numeric_value, value_key
from ..data.selection import render
from ..data.table import _resolve

__all__ = ["DEFAULT_SEGMENT", "EmptySegment", "SegmentRows", "Segmentation", "segmentations"]

#: The name of the segment of the rows in none of the listed segments (SDK docstring).
DEFAULT_SEGMENT = "__default__"

Codes = npt.NDArray[np.int64]

#: ``pandas.api.types.infer_dtype`` answers for columns whose equal values are the same
#: value to us (no ``True`` next to a ``1``): decided once per distinct value.
_ONE_KIND = frozenset(
    {"string", "boolean", "integer", "floating", "mixed-integer-float", "decimal", "empty"}
)


class EmptySegment(Exception):
    """A segment holds no row: it is reported with ``null`` values, not computed.

    Raised by whatever reads a segment's rows (the filtered table, the streaming
    engine) and caught by :class:`openclarify.segments.method.SegmentedMethod`.
    """


@dataclass(frozen=True)
class Segmentation:
    """One ``segment_config`` entry, parsed.

    Attributes
    ----------
    position:
        Index of the entry in ``$.segment_config``.
    name_or_index, config_name, display_aliases:
        As configured.
    segments:
        The configured lists, as given (for ``analysis.json``).
    items:
        The lists parsed into values and intervals.
    """

    position: int
    name_or_index: str | int
    config_name: str | None
    segments: tuple[tuple[Any, ...], ...]
    display_aliases: tuple[str, ...] | None
    items: tuple[SegmentItems, ...]

    @property
    def path(self) -> str:
        return f"$.segment_config[{self.position}]"

    @property
    def count(self) -> int:
        """Segments including ``__default__`` (N + 1)."""
        return len(self.segments) + 1

    def name(self, index: int) -> str:
        """Display name of segment ``index`` (``count - 1`` is ``__default__``).

        ``display_aliases[index]`` when given; otherwise the list rendered as
        Clarify renders facet values (``"A,B"``, ``"[1, 3),(5, 10]"``), and
        ``__default__`` for the rest.
        """
        if self.display_aliases is not None and index < len(self.display_aliases):
            return self.display_aliases[index]
        if index == len(self.segments):
            return DEFAULT_SEGMENT
        return render(self.segments[index])

    def column(self, columns: list[str]) -> str:
        """The segment column among the dataset's ``columns`` (the table's errors)."""
        frame = pd.DataFrame(columns=columns)
        return _resolve(frame, self.name_or_index, f"{self.path}.name_or_index", "segment")

    def codes(self, series: pd.Series) -> Codes:
        """Per row, the index of its segment: the first list that matches, else N."""
        n_listed = len(self.items)
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            return self._numeric_codes(series.to_numpy(dtype=np.float64, na_value=np.nan))
        # any other column: decide once per distinct value (missing values: code -1)
        if pd.api.types.infer_dtype(series, skipna=True) not in _ONE_KIND:
            return self._cell_codes(series)  # factorize would take True for 1: cell by cell
        inverse, uniques = pd.factorize(series, use_na_sentinel=True)
        per_value = np.array([self._code_of(v) for v in uniques] + [n_listed], dtype=np.int64)
        return per_value[np.where(inverse < 0, len(uniques), inverse)]

    def _cell_codes(self, series: pd.Series) -> Codes:
        """:meth:`codes` one cell at a time, distinct values told apart by their type too."""
        seen: dict[tuple[type, Any], int] = {}

        def code(cell: Any) -> int:
            if cell is None or cell is pd.NA or (isinstance(cell, float) and cell != cell):
                return len(self.items)  # missing: no segment
            key = (type(cell), cell)
            if key not in seen:
                seen[key] = self._code_of(cell)
            return seen[key]

        return np.fromiter((code(c) for c in series.to_numpy(dtype=object)), np.int64, len(series))

    def _numeric_codes(self, values: npt.NDArray[np.float64]) -> Codes:
        codes = np.full(len(values), len(self.items), dtype=np.int64)
        free = np.ones(len(values), dtype=bool)
        with np.errstate(invalid="ignore"):
            for index, items in enumerate(self.items):
                hit = np.zeros(len(values), dtype=bool)
                for value in items.values:
                    number = numeric_value(value)
                    if number is not None:
                        hit |= values == number
                for interval in items.intervals:
                    above = values >= interval.low if interval.low_closed else values > interval.low
                    below = (
                        values <= interval.high if interval.high_closed else values < interval.high
                    )
                    hit |= above & below
                hit &= free  # first match wins
                codes[hit] = index
                free &= ~hit
        return codes

    def _code_of(self, cell: Any) -> int:
        key = value_key(cell)
        number = numeric_value(cell)
        for index, items in enumerate(self.items):
            if any(value_key(v) == key for v in items.values):
                return index
            if number is not None and any(i.contains(number) for i in items.intervals):
                return index
        return len(self.items)


def segmentations(config: Any) -> tuple[Segmentation, ...]:
    """Every ``segment_config`` entry of ``config``, parsed (empty without one)."""
    return tuple(
        Segmentation(
            position,
            entry.name_or_index,
            entry.config_name,
            tuple(tuple(s) for s in entry.segments),
            tuple(entry.display_aliases) if entry.display_aliases is not None else None,
            entry.parsed(),
        )
        for position, entry in enumerate(config.segment_config or ())
    )


@dataclass(frozen=True)
class SegmentRows:
    """The rows of one segment: segment ``index`` of ``segmentation``.

    What a method is given to restrict itself to a segment: the table in memory
    and each record batch of the streaming engine are filtered with :meth:`mask`
    applied to the segment column (:meth:`Segmentation.column`).
    """

    segmentation: Segmentation
    index: int

    @property
    def name(self) -> str:
        return self.segmentation.name(self.index)

    def mask(self, series: pd.Series) -> npt.NDArray[np.bool_]:
        """Rows of ``series`` (the segment column) in this segment."""
        return np.asarray(self.segmentation.codes(series) == self.index, dtype=bool)
