"""Shared arithmetic of the bias metrics, with smclarify's conventions.

The helpers here reproduce the exact floating-point recipe of smclarify 0.5 so
that values agree to the last digits, not just to a tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .counts import ConfusionCounts, GroupedCounts

INFINITY = float("inf")

#: A metric value: a float, the integer ``0`` of smclarify's "both ratios are
#: infinite" special cases, or ``±inf`` (serialised as ``"Infinity"``).
MetricValue = float | int


class MetricFailure(ValueError):
    """A metric cannot be computed on this data.

    The job does not fail: the metric is reported with ``value: null`` and
    ``error: str(exc)`` (contract §1.5).  Messages are smclarify's, verbatim.
    """


def require(condition: bool, message: str) -> None:
    """Raise :class:`MetricFailure` with ``message`` unless ``condition``."""
    if not condition:
        raise MetricFailure(message)


def divide(numerator: float, denominator: float) -> float:
    """Safe division: ``0/0 → 0.0``; ``x/0 → +inf`` (``x ≥ 0``) or ``-inf``."""
    if denominator == 0 and numerator == 0:
        return 0.0
    if denominator == 0:
        return -INFINITY if numerator < 0 else INFINITY
    return numerator / denominator


@dataclass(frozen=True)
class MetricInputs:
    """Everything a metric of one facet group may look at.

    Attributes
    ----------
    counts:
        Confusion cells of this facet group vs. the rest.
    grouped:
        Cells per ``group_variable`` value, or ``None`` when no group variable
        is configured (CDDL / CDDPL then fail as smclarify does).
    flip_test:
        Zero-argument callable computing FT for this facet group (needs the
        feature rows, so it is evaluated lazily and only when requested).
    """

    counts: ConfusionCounts
    grouped: GroupedCounts | None = None
    flip_test: Callable[[], MetricValue] | None = None


A, D = 0, 1  # axis positions of the two facet groups in the count tables


def aligned_label_pmfs(counts: ConfusionCounts) -> tuple[np.ndarray, np.ndarray]:
    """Empirical pmfs of the binary label in ``a`` and ``d``, aligned non-zero.

    Only outcomes (``False`` then ``True``) with non-zero probability in *both*
    groups are kept, without renormalising — smclarify's
    ``pdfs_aligned_nonzero``.  Either array may be empty.
    """
    pmf_a: list[float] = []
    pmf_d: list[float] = []
    n_a, n_d = counts.n(A), counts.n(D)
    for outcome in (0, 1):
        count_a, count_d = counts.n_label(A, outcome), counts.n_label(D, outcome)
        if count_a and count_d:
            pmf_a.append(count_a / n_a)
            pmf_d.append(count_d / n_d)
    return np.array(pmf_a), np.array(pmf_d)


def positive_proportion_difference(counts: ConfusionCounts, predicted: bool) -> float:
    """``q_a − q_d`` of observed (DPL) or predicted (DPPL) positives."""
    n_a, n_d = counts.n(A), counts.n(D)
    if predicted:
        pos_a, pos_d = counts.n_pred(A, 1), counts.n_pred(D, 1)
    else:
        pos_a, pos_d = counts.n_label(A, 1), counts.n_label(D, 1)
    if n_a == 0:
        raise MetricFailure("Negative facet set is empty.")
    if n_d == 0:
        raise MetricFailure("Facet set is empty.")
    return pos_a / n_a - pos_d / n_d


def conditional_demographic_disparity(grouped: GroupedCounts | None, predicted: bool) -> float:
    """CDD: ``Σ_g n_g (R_g − A_g) / Σ_g n_g`` over the group variable's values.

    ``A_g`` is d's share of the positives of group ``g`` and ``R_g`` its share
    of the negatives (0 when the group has none).  Positives are observed
    labels (CDDL) or predicted labels (CDDPL).
    """
    if grouped is None:
        raise MetricFailure("Group variable is empty or not provided")
    # outcome[g, d, o]: rows of group g, facet group d, with outcome o
    outcome = grouped.cells.sum(axis=2) if predicted else grouped.cells.sum(axis=3)
    if int(outcome[:, :, 1].sum()) == 0:
        raise MetricFailure("No positive labels in set")
    if int(outcome[:, :, 0].sum()) == 0:
        raise MetricFailure("No negative labels in set")
    sizes = []
    disparities = []
    for g in range(len(grouped.keys)):
        sizes.append(float(outcome[g].sum()))
        pos_d, pos_all = int(outcome[g, D, 1]), int(outcome[g, :, 1].sum())
        neg_d, neg_all = int(outcome[g, D, 0]), int(outcome[g, :, 0].sum())
        accepted = pos_d / pos_all if pos_all != 0 else 0
        rejected = neg_d / neg_all if neg_all != 0 else 0
        disparities.append(rejected - accepted)
    n_g = np.array(sizes)
    return divide(np.sum(n_g * np.array(disparities)), np.sum(n_g))
