"""The estimator against brute force: every admissible ordering enumerated, by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from openclarify.explain.asymmetric.orderings import (
    exact_cost,
    exact_game,
    mixed_game,
    sampled_cost,
    sampled_game,
)

#: Three blocks (a static block, then two time steps) over five players.
BLOCKS = [(0, 1), (2, 3), (4,)]
N = 5


def value(mask: np.ndarray) -> np.ndarray:
    """A game with interactions inside and across blocks, two "forecast steps"."""
    x = mask.astype(float)
    first = 3 * x[0] + 2 * x[1] * x[2] - x[3] * x[0] + 5 * x[4] * x[1] * x[3] + 0.5
    second = x[0] * x[1] + 4 * x[2] * x[3] * x[4] - 2 * x[4] + 1.0
    return np.array([first, second])


def admissible(blocks: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Every permutation of the players in which the blocks keep their order."""
    rank = {p: b for b, block in enumerate(blocks) for p in block}
    players = [p for block in blocks for p in block]
    return [
        order
        for order in itertools.permutations(players)
        if all(rank[order[k]] <= rank[order[k + 1]] for k in range(len(order) - 1))
    ]


def marginals(order: tuple[int, ...]) -> np.ndarray:
    """Each player's marginal contribution along one ordering, shape (N, 2)."""
    out = np.zeros((N, 2))
    mask = np.zeros(N, dtype=bool)
    for p in order:
        before = value(mask)
        mask[p] = True
        out[p] = value(mask) - before
    return out


def brute_force(blocks: list[tuple[int, ...]]) -> np.ndarray:
    orders = admissible(blocks)
    return np.mean([marginals(o) for o in orders], axis=0)


def apply(game) -> np.ndarray:  # type: ignore[no-untyped-def]
    values = np.array([value(row) for row in game.coalitions])
    return game.weights @ values, values


def test_enumeration_is_what_the_paper_admits() -> None:
    # 2! · 2! · 1! admissible orderings out of 5! = 120
    assert len(admissible(BLOCKS)) == 4
    assert len(admissible([(0,), (1,), (2,)])) == 1


def test_exact_equals_every_admissible_ordering_enumerated() -> None:
    phi, values = apply(exact_game(BLOCKS, N))
    np.testing.assert_allclose(phi, brute_force(BLOCKS), rtol=0, atol=1e-12)
    # the empty coalition first (the offset), the full one second
    np.testing.assert_array_equal(values[0], value(np.zeros(N, dtype=bool)))
    np.testing.assert_array_equal(values[1], value(np.ones(N, dtype=bool)))


def test_one_block_is_the_ordinary_shapley_value() -> None:
    phi, _ = apply(exact_game([tuple(range(N))], N))
    np.testing.assert_allclose(phi, brute_force([tuple(range(N))]), atol=1e-12)
    assert len(admissible([tuple(range(N))])) == math.factorial(N)


def test_order_matters_for_an_interacting_game() -> None:
    forward, _ = apply(exact_game(BLOCKS, N))
    backward, _ = apply(exact_game(BLOCKS[::-1], N))
    assert np.abs(forward - backward).max() > 0.5  # the test can tell directions apart


@pytest.mark.parametrize("blocks", [BLOCKS, BLOCKS[::-1], [tuple(range(N))]])
def test_efficiency_per_forecast_step(blocks: list[tuple[int, ...]]) -> None:
    for game in (
        exact_game(blocks, N),
        sampled_game(blocks, N, 7, np.random.default_rng(3)),
    ):
        phi, values = apply(game)
        # offset + Σ φ = forecast, for each step; float sums of a few terms
        np.testing.assert_allclose(values[0] + phi.sum(axis=0), values[1], atol=1e-12)


def test_sampled_estimate_is_unbiased_within_its_standard_error() -> None:
    orders = admissible(BLOCKS)
    contributions = np.array([marginals(o) for o in orders])  # (4 orderings, N, 2)
    sigma = contributions.std(axis=0)  # per player and step, uniform over orderings
    k = 4000
    phi, _ = apply(sampled_game(BLOCKS, N, k, np.random.default_rng(11)))
    exact = contributions.mean(axis=0)
    # The mean of k i.i.d. draws has standard error σ/√k; 5 standard errors leave a
    # false-failure chance below 1e-6 per entry (and the draw is seeded).
    assert np.all(np.abs(phi - exact) <= 5 * sigma / np.sqrt(k) + 1e-12)
    # where a player's contribution never varies the estimate is exact
    np.testing.assert_allclose(phi[sigma == 0], exact[sigma == 0], atol=1e-12)


def test_sampling_is_reproducible_with_a_seed() -> None:
    one = sampled_game(BLOCKS, N, 5, np.random.default_rng(0))
    two = sampled_game(BLOCKS, N, 5, np.random.default_rng(0))
    np.testing.assert_array_equal(one.weights, two.weights)
    np.testing.assert_array_equal(one.coalitions, two.coalitions)


def test_mixture_is_the_average_of_both_directions() -> None:
    time_blocks = [(0,), (1,), (2,), (3,), (4,)]
    forward, _ = apply(exact_game(time_blocks, N))
    backward, _ = apply(exact_game(time_blocks[::-1], N))
    both, _ = apply(mixed_game([exact_game(time_blocks, N), exact_game(time_blocks[::-1], N)], N))
    np.testing.assert_allclose(both, (forward + backward) / 2, atol=1e-12)
    # and it is the value of the ½/½ mixture of the two admissible orderings
    mixture = (marginals(tuple(range(N))) + marginals(tuple(range(N))[::-1])) / 2
    np.testing.assert_allclose(both, mixture, atol=1e-12)


def test_blocks_must_partition_the_players() -> None:
    with pytest.raises(ValueError, match="partition"):
        exact_game([(0, 1)], 3)


@pytest.mark.parametrize("blocks", [BLOCKS, [tuple(range(N))], [(0,), (1,), (2,), (3,), (4,)]])
def test_costs_count_the_coalitions_evaluated(blocks: list[tuple[int, ...]]) -> None:
    assert len(exact_game(blocks, N).coalitions) == exact_cost(blocks)
    for k in (1, 3, 50):
        sampled = sampled_game(blocks, N, k, np.random.default_rng(k))
        assert len(sampled.coalitions) <= sampled_cost(blocks, k)
