"""Mergeable sufficient statistics for the bias metrics.

Every count-based metric (20 of the 21) is a pure function of two small integer
tables, so any backend only has to *count* and the counts of two partitions add
up to the counts of their union (``merge`` is associative and commutative):

* :class:`ConfusionCounts` — an ``int64`` array ``cells[d, y, yhat]`` of shape
  ``(2, 2, 2)``: ``d`` is 1 for rows in the sensitive facet group, ``y`` is 1
  for a positive observed label, ``yhat`` is 1 for a positive predicted label
  (all zero when there are no predictions, i.e. pre-training only).
* :class:`GroupedCounts` — the same cells per value of the ``group_variable``
  (for CDDL and CDDPL), keyed by the sorted distinct group values.

GE needs per-row benefit sums; the benefit ``yhat - y + 1`` only takes the
values 0, 1 and 2, so the global confusion cells are enough (see
``posttraining.generalized_entropy``).  FT needs neighbours, not counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def _cell_index(d: BoolArray, y: BoolArray, yhat: BoolArray | None) -> IntArray:
    index = d.astype(np.int64) * 4 + y.astype(np.int64) * 2
    if yhat is not None:
        index += yhat.astype(np.int64)
    return index


@dataclass(frozen=True)
class ConfusionCounts:
    """Counts of rows by (facet group, observed label, predicted label).

    Attributes
    ----------
    cells:
        ``int64`` array of shape ``(2, 2, 2)`` indexed ``[d, y, yhat]``.
    """

    cells: IntArray

    @staticmethod
    def from_masks(d: BoolArray, y: BoolArray, yhat: BoolArray | None = None) -> ConfusionCounts:
        """Count rows from boolean masks of equal length (``yhat`` optional)."""
        flat = np.bincount(_cell_index(d, y, yhat), minlength=8)
        return ConfusionCounts(flat.astype(np.int64).reshape(2, 2, 2))

    def merge(self, other: ConfusionCounts) -> ConfusionCounts:
        """Counts of the union of two disjoint sets of rows."""
        return ConfusionCounts(self.cells + other.cells)

    # --- group sizes -------------------------------------------------------
    def n(self, d: int) -> int:
        """Rows in group ``d`` (1) or ``a`` (0)."""
        return int(self.cells[d].sum())

    def n_label(self, d: int, y: int) -> int:
        """Rows of group ``d`` whose observed label is ``y``."""
        return int(self.cells[d, y].sum())

    def n_pred(self, d: int, yhat: int) -> int:
        """Rows of group ``d`` whose predicted label is ``yhat``."""
        return int(self.cells[d, :, yhat].sum())

    def cell(self, d: int, y: int, yhat: int) -> int:
        """Rows of group ``d`` with observed ``y`` and predicted ``yhat``."""
        return int(self.cells[d, y, yhat])

    def tp(self, d: int) -> int:
        return self.cell(d, 1, 1)

    def fp(self, d: int) -> int:
        return self.cell(d, 0, 1)

    def fn(self, d: int) -> int:
        return self.cell(d, 1, 0)

    def tn(self, d: int) -> int:
        return self.cell(d, 0, 0)


@dataclass(frozen=True)
class GroupedCounts:
    """Confusion cells per distinct value of the group variable.

    Attributes
    ----------
    keys:
        Sorted distinct group values (``numpy.unique`` order), missing values
        excluded.
    cells:
        ``int64`` array of shape ``(len(keys), 2, 2, 2)`` indexed
        ``[group, d, y, yhat]``.
    """

    keys: tuple[object, ...]
    cells: IntArray

    @staticmethod
    def from_codes(
        codes: IntArray,
        keys: tuple[object, ...],
        d: BoolArray,
        y: BoolArray,
        yhat: BoolArray | None = None,
    ) -> GroupedCounts:
        """Count rows by group code (``-1`` = missing group, not counted)."""
        valid = codes >= 0
        index = codes[valid] * 8 + _cell_index(
            d[valid], y[valid], None if yhat is None else yhat[valid]
        )
        flat = np.bincount(index, minlength=8 * len(keys))
        return GroupedCounts(keys, flat.astype(np.int64).reshape(len(keys), 2, 2, 2))

    def merge(self, other: GroupedCounts) -> GroupedCounts:
        """Counts of the union of two disjoint sets of rows (keys are unioned)."""
        keys = sorted(set(self.keys) | set(other.keys))  # type: ignore[type-var]
        position = {key: i for i, key in enumerate(keys)}
        cells = np.zeros((len(keys), 2, 2, 2), dtype=np.int64)
        for part in (self, other):
            for i, key in enumerate(part.keys):
                cells[position[key]] += part.cells[i]
        return GroupedCounts(tuple(keys), cells)
