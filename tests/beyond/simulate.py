"""Known populations for the statistical tests: cell probabilities and their true metric values."""

from __future__ import annotations

import numpy as np

from openclarify.bias.registry import METRICS, MetricSpec
from openclarify.bias.resampling import split

COUNT_METRICS: tuple[MetricSpec, ...] = tuple(s for s in METRICS if s.batched is not None)


def population(groups: int = 3) -> np.ndarray:
    """Cell probabilities ``(1 + G, d, y, ŷ)``, far from every metric's boundary.

    Bucket 0 (no group value) is empty; d is 35% of the rows; positive-label
    rates 0.3 (d) vs 0.55 (a), varying by group; predictions agree with the
    label 80% / 75% of the time — so every metric's true value is an interior
    point (KL, JS … well above 0, DI well away from 0 and ∞).
    """
    table = np.zeros((1 + groups, 2, 2, 2))
    for g in range(1, 1 + groups):
        weight = g / sum(range(1, 1 + groups))
        for d, share, positive, agree in ((1, 0.35, 0.3, 0.8), (0, 0.65, 0.55, 0.75)):
            rate = min(0.95, positive + 0.05 * (g - 2))
            for y, p_y in ((1, rate), (0, 1 - rate)):
                hit = agree if y == 1 else agree + 0.05
                table[g, d, y, y] = weight * share * p_y * hit
                table[g, d, y, 1 - y] = weight * share * p_y * (1 - hit)
    return table / table.sum()


def truth(spec: MetricSpec, probabilities: np.ndarray) -> float:
    """The metric of the population: every count metric is scale-free, so it is the
    metric of the probability table itself (counts ∝ probabilities)."""
    assert spec.batched is not None
    return float(spec.batched(*split(probabilities[np.newaxis], True))[0])
