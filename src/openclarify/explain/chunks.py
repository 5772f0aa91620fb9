"""The synthetic rows of a chunk of records: coalitions, where each value comes from, the rows.

:func:`~.kernel_shap.explain` evaluates the model chunk by chunk; everything a chunk
needs before the model call is built here, by :class:`ChunkBuilder`.

Building the next chunk in a second thread while the model evaluates this one was
tried and is slower: the many short numpy calls of both threads then wait for the
GIL (up to the 5 ms switch interval each time), which costs more than it overlaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .coalitions import Coalitions, sample_many
from .scratch import Scratch


def record_rng(seed: int, row: int) -> np.random.Generator:
    """Generator of one record, a function of ``(seed, global row index)`` only.

    This is what makes results independent of chunking and of how a dataset is
    partitioned across workers.
    """
    return np.random.default_rng([seed, row])


def sample_chunk(
    players: NDArray[np.bool_],
    budgets: NDArray[np.int64],
    start: int,
    stop: int,
    seed: int,
    row_offset: int,
    scratch: Scratch | None = None,
) -> list[Coalitions | None]:
    """Coalitions of records ``start..stop`` (``None``: fewer than two players).

    Records with the same number of players and budget are sampled together
    (:func:`~.coalitions.sample_many`); each still uses its own generator.
    """
    plans: list[Coalitions | None] = [None] * (stop - start)
    groups: dict[tuple[int, int], list[int]] = {}
    counts = players[start:stop].sum(axis=1).tolist()
    for i in range(start, stop):
        if budgets[i]:
            groups.setdefault((counts[i - start], int(budgets[i])), []).append(i)
    for (p, budget), members in groups.items():
        rngs = [record_rng(seed, row_offset + i) for i in members]
        for i, coal in zip(members, sample_many(p, budget, rngs, scratch=scratch), strict=True):
            plans[i - start] = coal
    return plans


class Layout:
    """Where each record's coalitions sit among the synthetic rows of a chunk.

    Per record, in order: its empty coalition when some features are not
    explained (``v(0)`` then depends on the record), then its coalitions.
    ``source[j, s]`` says where coalition row ``s`` takes feature ``j`` from:
    0 for the baseline rows, ``1 + l`` for the chunk's record ``l``.
    """

    def __init__(
        self,
        plans: Sequence[Coalitions | None],
        players: NDArray[np.bool_],
        m: int,
        fixed_all: bool,
        scratch: Scratch,
    ) -> None:
        counts = np.array([(0 if c is None else len(c.masks)) + fixed_all for c in plans])
        ends = np.cumsum(counts)
        starts = ends - counts
        self.plans = plans
        self.players = players
        self.n_coalitions = int(ends[-1]) if len(ends) else 0
        self.empty_row = starts  # used only with fixed_all
        self.first_row = starts + fixed_all
        source = scratch.get("source", (m, self.n_coalitions), np.intp)
        for local, coal in enumerate(plans):
            a, e = int(starts[local]), int(ends[local])
            if a == e:
                continue
            p_idx = np.flatnonzero(players[local])
            if fixed_all:  # the empty coalition: only the non-players from the record
                source[:, a] = (~players[local]) * (local + 1)
            if coal is None:
                continue
            c0 = a + fixed_all
            if len(p_idx) == m:  # every feature is a player: the masks say it all
                np.multiply(coal.masks.T, local + 1, out=source[:, c0:e], casting="unsafe")
            else:
                source[:, c0:e] = local + 1  # non-players always come from the record
                source[p_idx, c0:e] = coal.masks.T * (local + 1)
        self.source = source

    def solve_groups(self) -> list[NDArray[np.intp]]:
        """Chunk records with coalitions, grouped by (players, coalitions): one stacked
        solve per group."""
        groups: dict[tuple[int, int], list[int]] = {}
        for local, coal in enumerate(self.plans):
            if coal is not None:
                groups.setdefault(coal.masks.shape, []).append(local)
        return [np.array(members, dtype=np.intp) for members in groups.values()]


def fill_synthetic(
    synthetic: NDArray[np.float64],
    source: NDArray[np.intp],
    records: NDArray[np.float64],
    baseline: NDArray[np.float64],
) -> None:
    """Write the synthetic rows: ``synthetic[s·b + r, j]`` is ``records[l, j]`` when
    ``source[j, s] = 1 + l`` and ``baseline[r, j]`` when it is 0.

    ``synthetic`` is column-major, so coalition ``s`` of feature ``j`` is one
    contiguous run of ``b`` values: either the ``b`` baseline values or the
    record's value ``b`` times. Each run is copied whole, as one ``b × 8``-byte
    item, from a small table of the possible runs (``np.take`` on a void view):
    one pass of exact byte copies (NaN and −0 stay as they are), about twice as
    fast as filling the baseline and then overwriting the record's values.
    """
    m = source.shape[0]
    n_recs, b = len(records), len(baseline)
    run = np.dtype((np.void, 8 * b))
    table = np.empty((m, 1 + n_recs, b))
    table[:, 0, :] = baseline.T
    table[:, 1:, :] = records.T[:, :, None]
    runs = table.reshape(m, (1 + n_recs) * b).view(run)
    for j in range(m):
        # indices are in range by construction: "clip" skips the buffered bounds check
        np.take(runs[j], source[j], out=synthetic[:, j].view(run), mode="clip")


class Chunk(NamedTuple):
    """Records ``start..stop`` ready for the model: their coalitions, layout and rows."""

    start: int
    stop: int
    plans: list[Coalitions | None]
    layout: Layout
    rows: NDArray[np.float64]


class ChunkBuilder:
    """Builds :class:`Chunk` objects, all into one row buffer.

    The buffer is reused by every chunk (fresh pages would be faulted in and
    zeroed by the OS on every call, which costs as much as filling them) and laid
    out column by column (each feature one contiguous block). A chunk's rows are
    therefore valid only until the next :meth:`build`.
    """

    def __init__(
        self,
        records: NDArray[np.float64],
        baseline: NDArray[np.float64],
        players: NDArray[np.bool_],
        budgets: NDArray[np.int64],
        fixed_all: bool,
        seed: int,
        row_offset: int,
    ) -> None:
        self.records, self.baseline, self.players = records, baseline, players
        self.budgets, self.fixed_all = budgets, fixed_all
        self.seed, self.row_offset = seed, row_offset
        self._buffer: NDArray[np.float64] | None = None
        self._scratch = Scratch()

    def build(self, start: int, stop: int) -> Chunk:
        """The chunk of records ``start..stop``.

        Rows: the chunk's records, then row ``s·b + r`` = the record where
        coalition ``s`` has the feature, baseline row ``r`` elsewhere.
        """
        plans = sample_chunk(
            self.players, self.budgets, start, stop, self.seed, self.row_offset, self._scratch
        )
        m = self.records.shape[1]
        layout = Layout(plans, self.players[start:stop], m, self.fixed_all, self._scratch)
        recs = self.records[start:stop]
        if not layout.n_coalitions:
            return Chunk(start, stop, plans, layout, recs)
        n_recs, b = stop - start, len(self.baseline)
        needed = n_recs + layout.n_coalitions * b
        buffer = self._buffer
        if buffer is None or buffer.shape[0] < needed:
            buffer = np.empty((m, needed)).T
            self._buffer = buffer
        rows = buffer[:needed]
        rows[:n_recs] = recs
        fill_synthetic(rows[n_recs:], layout.source, recs, self.baseline)
        return Chunk(start, stop, plans, layout, rows)
