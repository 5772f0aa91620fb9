"""Asymmetric Shapley values as a linear map from coalition values to attributions.

Asymmetric Shapley values (Frye, Rowat, Feige, NeurIPS 2020, arXiv 1910.06358)
average a player's marginal contribution over the orderings of the players that
respect a known order, here time: an ordering is *admissible* when every player
of an earlier block comes before every player of a later one,

    φ_i = E_{π ~ U(admissible)} [ v(pre_π(i) ∪ {i}) − v(pre_π(i)) ],

where ``v(S)`` is the model's forecast (a vector over the forecast steps) on the
input whose players outside ``S`` are replaced by the baseline.  Blocks are the
time steps (and the static covariates, see :mod:`.players`); inside a block the
players are in any order.

Because every admissible ordering runs the blocks in the same sequence, player
``i`` of block ``b`` always finds exactly the blocks before ``b`` in place, and
the average over the orders of block ``b`` alone is the Shapley value of the
block game ``v_b(S) = v(B_{<b} ∪ S)``:

    φ_i = Σ_{S ⊆ M_b \\ {i}} |S|! (m_b − |S| − 1)! / m_b! · [v_b(S ∪ {i}) − v_b(S)].

So the exact values need ``1 + Σ_b (2^{m_b} − 1)`` coalitions, not ``Π_b m_b!`` orderings:
short blocks are exact.  Sampling (``num_samples`` orderings, each block in a
uniformly random order, independently) estimates the same expectation without
bias.  Both are exactly efficient, per forecast step: every ordering's marginal
contributions telescope, block by block, to ``v(all) − v(∅)``, so
``offset + Σ_i φ_i = forecast`` with ``offset = v(∅)``, the forecast of the
all-baseline input.

Everything is returned as a :class:`Game`: the coalitions to evaluate (rows of
a boolean matrix, the empty one first, the full one second) and a weight matrix
``W`` with ``φ = W @ V`` for the ``(n_coalitions, H)`` values ``V``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

__all__ = ["MAX_EXACT_BLOCK", "Game", "exact_cost", "exact_game", "mixed_game", "sampled_game"]

#: Largest block computed exactly (2**16 coalitions); larger blocks are sampled.
MAX_EXACT_BLOCK = 16


@dataclass(frozen=True)
class Game:
    """What to evaluate and how to combine it.

    Attributes
    ----------
    coalitions:
        ``bool`` of shape ``(n_coalitions, n_players)``; row 0 is the empty
        coalition (its value is the offset), row 1 the full one.
    weights:
        ``float64`` of shape ``(n_players, n_coalitions)``: ``φ = weights @ V``.
    """

    coalitions: NDArray[np.bool_]
    weights: NDArray[np.float64]


class _Builder:
    """Collects distinct coalitions and the weights that refer to them."""

    def __init__(self, n_players: int) -> None:
        self.n_players = n_players
        self.index: dict[bytes, int] = {}
        self.rows: list[NDArray[np.bool_]] = []
        self.entries: list[tuple[int, int, float]] = []  # (player, coalition, weight)
        self.coalition(np.zeros(n_players, dtype=bool))
        self.coalition(np.ones(n_players, dtype=bool))

    def coalition(self, mask: NDArray[np.bool_]) -> int:
        key = np.packbits(mask).tobytes()
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.rows)
            self.rows.append(mask.copy())
        return found

    def marginal(self, player: int, before: NDArray[np.bool_], weight: float) -> None:
        """Add ``weight · [v(before ∪ {player}) − v(before)]`` to φ_player."""
        after = before.copy()
        after[player] = True
        self.entries.append((player, self.coalition(after), weight))
        self.entries.append((player, self.coalition(before), -weight))

    def game(self) -> Game:
        weights = np.zeros((self.n_players, len(self.rows)), dtype=np.float64)
        for player, coalition, weight in self.entries:
            weights[player, coalition] += weight
        return Game(np.array(self.rows, dtype=bool).reshape(-1, self.n_players), weights)


def _check_blocks(blocks: Sequence[Sequence[int]], n_players: int) -> None:
    flat = sorted(p for block in blocks for p in block)
    if flat != list(range(n_players)):
        raise ValueError("the blocks must partition the players")


def exact_cost(blocks: Sequence[Sequence[int]]) -> int:
    """Coalitions the exact values evaluate: ``1 + Σ_b (2^{m_b} − 1)``.

    Every subset of each block on top of the blocks before it, where a block's
    full coalition is the next block's empty one.
    """
    return 1 + sum(2 ** len(block) - 1 for block in blocks)


def sampled_cost(blocks: Sequence[Sequence[int]], num_samples: int) -> int:
    """Coalitions ``num_samples`` sampled orderings evaluate at most.

    The block boundaries are shared by every ordering (``1 + #blocks``); each ordering
    adds at most ``m_b − 1`` coalitions inside each block.
    """
    return 1 + len(blocks) + num_samples * sum(max(len(block) - 1, 0) for block in blocks)


def exact_game(blocks: Sequence[Sequence[int]], n_players: int) -> Game:
    """The exact asymmetric Shapley values for blocks added in the given order."""
    _check_blocks(blocks, n_players)
    builder = _Builder(n_players)
    base = np.zeros(n_players, dtype=bool)
    for block in blocks:
        m = len(block)
        if m > MAX_EXACT_BLOCK:
            raise ValueError(f"a block of {m} players is too large to compute exactly")
        for i in block:
            others = [p for p in block if p != i]
            for size in range(m):
                weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
                for chosen in combinations(others, size):
                    before = base.copy()
                    before[list(chosen)] = True
                    builder.marginal(i, before, weight)
        base[list(block)] = True
    return builder.game()


def sampled_game(
    blocks: Sequence[Sequence[int]], n_players: int, num_samples: int, rng: np.random.Generator
) -> Game:
    """The Monte-Carlo estimate from ``num_samples`` admissible orderings drawn uniformly.

    Each ordering shuffles every block independently (uniform over the admissible
    orderings); each marginal contribution has weight ``1 / num_samples``.
    """
    _check_blocks(blocks, n_players)
    builder = _Builder(n_players)
    weight = 1.0 / num_samples
    for _ in range(num_samples):
        before = np.zeros(n_players, dtype=bool)
        for block in blocks:
            for i in rng.permutation(np.asarray(block, dtype=np.int64)):
                builder.marginal(int(i), before, weight)
                before[int(i)] = True
    return builder.game()


def mixed_game(games: Sequence[Game], n_players: int) -> Game:
    """The average of several games' values (``bidirectional``: both directions, ½ each).

    Asymmetric Shapley values are linear in the distribution over orderings, so
    the average is exactly the value under the equal mixture of the orderings.
    """
    builder = _Builder(n_players)
    entries: list[tuple[int, int, float]] = []
    for game in games:
        where = [builder.coalition(row) for row in game.coalitions]
        for player, coalition in zip(*np.nonzero(game.weights), strict=True):
            entries.append(
                (int(player), where[coalition], game.weights[player, coalition] / len(games))
            )
    builder.entries = entries
    return builder.game()
