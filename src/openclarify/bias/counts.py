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


@dataclass(frozen=True)
class RowKeys:
    """Per-row bucket of (group value, label, prediction), computed once.

    ``index[i] = (group_code[i] + 1) * 8 + 2 * y[i] + yhat[i]`` where group
    code ``-1`` (missing, or no group variable) lands in bucket 0, which is
    counted in the confusion cells but in no group.  Adding ``4 * d`` puts a
    row on the sensitive side, so one ``bincount`` per facet group — or one
    for *all* values of a one-vs-rest facet — yields every count the metrics
    need.
    """

    index: IntArray
    group_keys: tuple[object, ...] | None

    @staticmethod
    def build(
        y: BoolArray,
        yhat: BoolArray | None,
        group_codes: IntArray | None,
        group_keys: tuple[object, ...] | None,
    ) -> RowKeys:
        index = y.astype(np.int64) * 2
        if yhat is not None:
            index += yhat
        if group_codes is not None:
            index += (group_codes + 1) * 8
        return RowKeys(index, group_keys)

    @property
    def n_buckets(self) -> int:
        return 8 * (1 + (len(self.group_keys) if self.group_keys is not None else 0))

    def _split(self, cells: IntArray) -> tuple[ConfusionCounts, GroupedCounts | None]:
        # cells: (1 + n_groups, 2 [d], 2 [y], 2 [yhat])
        counts = ConfusionCounts(cells.sum(axis=0))
        if self.group_keys is None:
            return counts, None
        return counts, GroupedCounts(self.group_keys, np.ascontiguousarray(cells[1:]))

    def counts_for(self, d: BoolArray) -> tuple[ConfusionCounts, GroupedCounts | None]:
        """Counts for one facet group given by its row mask."""
        flat = np.bincount(self.index + d * 4, minlength=self.n_buckets)
        return self._split(flat.astype(np.int64).reshape(-1, 2, 2, 2))

    def counts_one_vs_rest(
        self, codes: IntArray, n_values: int
    ) -> list[tuple[ConfusionCounts, GroupedCounts | None]]:
        """Counts for every value of a categorical facet, in one pass.

        ``codes`` are the facet's category codes (``-1`` = missing, never in
        ``d``).  For value ``v``: ``d`` = rows with code ``v``, ``a`` = the rest.
        """
        n = self.n_buckets
        slot = np.where(codes >= 0, codes, n_values).astype(np.int64)
        joint = np.bincount(
            slot * (n // 2) + self.index // 8 * 4 + self.index % 4,
            minlength=(n_values + 1) * (n // 2),
        )
        joint = joint.astype(np.int64).reshape(n_values + 1, -1, 2, 2)  # [value, bucket, y, yhat]
        total = joint.sum(axis=0)
        out = []
        for value in range(n_values):
            cells = np.stack([total - joint[value], joint[value]], axis=1)
            out.append(self._split(cells))
        return out
