"""The count-based bias metrics, vectorised over a leading resample axis.

Each function takes ``cells`` of shape ``(B, 2, 2, 2)`` indexed
``[resample, d, y, yhat]`` (the :class:`~openclarify.bias.counts.ConfusionCounts`
layout with a resample axis in front) and, for CDDL / CDDPL, ``grouped`` of
shape ``(B, G, 2, 2, 2)``, and returns ``B`` float64 values.  The formulas and
smclarify's edge conventions are those of the scalar functions in
:mod:`.pretraining` / :mod:`.posttraining` (safe division ``0/0 → 0``,
``x/0 → ±inf``, "both ratios +inf → 0"); where the scalar function raises
:class:`~openclarify.bias.common.MetricFailure` the value here is ``NaN``.

The scalar functions stay the source of the exact values in ``analysis.json``;
these serve the bootstrap and the permutation tests, where 1,000 resamples
cost one array operation per metric instead of 1,000 calls.  A test checks
both paths agree on random and edge-case tables.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Cells = npt.NDArray[np.int64]
Batched = Callable[[Cells, Cells | None], FloatArray]

A, D = 0, 1


def _float(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def safe_divide(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> FloatArray:
    """Elementwise ``common.divide``: ``0/0 → 0``, ``x/0 → +inf`` (``-inf`` if ``x < 0``)."""
    num, den = _float(numerator), _float(denominator)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    zero = den == 0
    out = np.where(zero & (num > 0), np.inf, out)
    out = np.where(zero & (num < 0), -np.inf, out)
    return out


def _difference(left: FloatArray, right: FloatArray) -> FloatArray:
    """``left − right``, 0 where both are +inf (smclarify's special case)."""
    both = (left == np.inf) & (right == np.inf)
    with np.errstate(invalid="ignore"):
        return np.where(both, 0.0, left - right)


def _sizes(cells: Cells) -> FloatArray:
    return _float(cells.sum(axis=(2, 3)))  # (B, 2)


def _both_groups(cells: Cells, values: FloatArray) -> FloatArray:
    n = _sizes(cells)
    return np.where((n[:, A] > 0) & (n[:, D] > 0), values, np.nan)


def class_imbalance(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """CI ``(n_a − n_d)/(n_a + n_d)``; NaN when a group is empty."""
    n = _sizes(cells)
    return _both_groups(cells, safe_divide(n[:, A] - n[:, D], n[:, A] + n[:, D]))


def _proportion_difference(cells: Cells, predicted: bool) -> FloatArray:
    n = _sizes(cells)
    positives = _float(
        cells[:, :, :, 1].sum(axis=2) if predicted else cells[:, :, 1, :].sum(axis=2)
    )
    return _both_groups(
        cells, safe_divide(positives[:, A], n[:, A]) - safe_divide(positives[:, D], n[:, D])
    )


def difference_in_positive_proportions(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """DPL ``n_a(1)/n_a − n_d(1)/n_d``."""
    return _proportion_difference(cells, predicted=False)


def _aligned(cells: Cells) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Label pmfs of a and d ``(B, 2)`` and the mask of outcomes present in both."""
    labels = _float(cells.sum(axis=3))  # (B, 2 [d], 2 [y])
    n = labels.sum(axis=2, keepdims=True)
    pmf = safe_divide(labels, n)
    keep = (labels[:, A, :] > 0) & (labels[:, D, :] > 0)
    return pmf[:, A, :], pmf[:, D, :], keep


def _divergence(cells: Cells, term: Callable[[FloatArray, FloatArray], FloatArray]) -> FloatArray:
    pmf_a, pmf_d, keep = _aligned(cells)
    safe_a = np.where(keep, pmf_a, 1.0)
    safe_d = np.where(keep, pmf_d, 1.0)
    values = np.where(keep, term(safe_a, safe_d), 0.0)
    return np.where(keep.any(axis=1), values.sum(axis=1), np.nan)


def kullback_leibler(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """KL ``Σ P_a ln(P_a/P_d)`` over outcomes present in both groups."""
    return _divergence(cells, lambda p, q: p * np.log(p / q))


def jensen_shannon(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """JS ``½[KL(P_a‖M) + KL(P_d‖M)]``, ``M = ½(P_a + P_d)``."""

    def term(p: FloatArray, q: FloatArray) -> FloatArray:
        m = 1 / 2 * (p + q)
        return 0.5 * (p * np.log(p / m) + q * np.log(q / m))

    return _divergence(cells, term)


def lp_norm(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """LP ``‖P_a − P_d‖₂``."""
    return np.sqrt(_divergence(cells, lambda p, q: (p - q) ** 2))


def total_variation_distance(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """TVD ``½‖P_a − P_d‖₁``."""
    return 0.5 * _divergence(cells, lambda p, q: np.abs(p - q))


def kolmogorov_smirnov(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """KS ``max |P_a − P_d|`` over outcomes present in both groups."""
    pmf_a, pmf_d, keep = _aligned(cells)
    gaps = np.where(keep, np.abs(pmf_a - pmf_d), -np.inf)
    return np.where(keep.any(axis=1), gaps.max(axis=1), np.nan)


def _cdd(grouped: Cells | None, predicted: bool, n_resamples: int) -> FloatArray:
    if grouped is None:
        return np.full(n_resamples, np.nan)
    outcome = _float(grouped.sum(axis=3) if predicted else grouped.sum(axis=4))  # (B, G, d, o)
    positives = outcome[:, :, :, 1].sum(axis=(1, 2))
    negatives = outcome[:, :, :, 0].sum(axis=(1, 2))
    sizes = outcome.sum(axis=(2, 3))  # (B, G)
    pos_all = outcome[:, :, :, 1].sum(axis=2)
    neg_all = outcome[:, :, :, 0].sum(axis=2)
    accepted = safe_divide(outcome[:, :, D, 1], pos_all)
    rejected = safe_divide(outcome[:, :, D, 0], neg_all)
    value = safe_divide((sizes * (rejected - accepted)).sum(axis=1), sizes.sum(axis=1))
    return np.where((positives > 0) & (negatives > 0), value, np.nan)


def conditional_demographic_disparity_labels(cells: Cells, grouped: Cells | None) -> FloatArray:
    """CDDL ``Σ_g n_g (R_g − A_g) / Σ_g n_g`` on observed labels."""
    return _cdd(grouped, predicted=False, n_resamples=len(cells))


def conditional_demographic_disparity_predicted(cells: Cells, grouped: Cells | None) -> FloatArray:
    """CDDPL: CDD on predicted labels."""
    return _cdd(grouped, predicted=True, n_resamples=len(cells))


def difference_in_positive_proportions_predicted(
    cells: Cells, grouped: Cells | None = None
) -> FloatArray:
    """DPPL ``n̂_a(1)/n_a − n̂_d(1)/n_d``."""
    return _proportion_difference(cells, predicted=True)


def disparate_impact(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """DI ``(n̂_d(1)/n_d) / (n̂_a(1)/n_a)`` with safe division."""
    n = _sizes(cells)
    predicted = _float(cells[:, :, :, 1].sum(axis=2))
    q_a, q_d = safe_divide(predicted[:, A], n[:, A]), safe_divide(predicted[:, D], n[:, D])
    return _both_groups(cells, safe_divide(q_d, q_a))


def _c(cells: Cells, d: int, y: int, yhat: int) -> FloatArray:
    return _float(cells[:, d, y, yhat])


def _pair(
    cells: Cells,
    rate: Callable[[Cells, int], FloatArray],
    sign: int,
) -> FloatArray:
    """``rate_a − rate_d`` (sign 1) or ``rate_d − rate_a`` (sign −1), for two non-empty groups."""
    left, right = (rate(cells, A), rate(cells, D)) if sign > 0 else (rate(cells, D), rate(cells, A))
    return _both_groups(cells, _difference(left, right))


def difference_in_conditional_acceptance(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """DCA ``n_a(1)/n̂_a(1) − n_d(1)/n̂_d(1)``."""
    return _pair(
        cells,
        lambda c, g: safe_divide(_c(c, g, 1, 0) + _c(c, g, 1, 1), _c(c, g, 0, 1) + _c(c, g, 1, 1)),
        1,
    )


def difference_in_conditional_rejection(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """DCR ``n_d(0)/n̂_d(0) − n_a(0)/n̂_a(0)``."""
    return _pair(
        cells,
        lambda c, g: safe_divide(_c(c, g, 0, 0) + _c(c, g, 0, 1), _c(c, g, 0, 0) + _c(c, g, 1, 0)),
        -1,
    )


def difference_in_acceptance_rates(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """DAR ``TP_a/n̂_a(1) − TP_d/n̂_d(1)``."""
    return _pair(
        cells, lambda c, g: safe_divide(_c(c, g, 1, 1), _c(c, g, 0, 1) + _c(c, g, 1, 1)), 1
    )


def difference_in_rejection_rates(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """DRR ``TN_d/n̂_d(0) − TN_a/n̂_a(0)``."""
    return _pair(
        cells, lambda c, g: safe_divide(_c(c, g, 0, 0), _c(c, g, 0, 0) + _c(c, g, 1, 0)), -1
    )


def recall_difference(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """RD ``TP_a/(TP_a+FN_a) − TP_d/(TP_d+FN_d)``."""
    return _pair(
        cells, lambda c, g: safe_divide(_c(c, g, 1, 1), _c(c, g, 1, 1) + _c(c, g, 1, 0)), 1
    )


def specificity_difference(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """SD ``TN_d/(TN_d+FP_d) − TN_a/(TN_a+FP_a)``."""
    return _pair(
        cells, lambda c, g: safe_divide(_c(c, g, 0, 0), _c(c, g, 0, 0) + _c(c, g, 0, 1)), -1
    )


def accuracy_difference(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """AD ``(TP_a+TN_a)/n_a − (TP_d+TN_d)/n_d``."""
    n = _sizes(cells)
    return _pair(cells, lambda c, g: safe_divide(_c(c, g, 1, 1) + _c(c, g, 0, 0), n[:, g]), 1)


def treatment_equality(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """TE ``FN_d/FP_d − FN_a/FP_a``."""
    return _pair(cells, lambda c, g: safe_divide(_c(c, g, 1, 0), _c(c, g, 0, 1)), -1)


def generalized_entropy(cells: Cells, grouped: Cells | None = None) -> FloatArray:
    """GE (α = 2) of the benefit ``ŷ − y + 1`` over all rows."""
    total = _float(cells.sum(axis=(1, 2, 3)))
    false_negatives = _float(cells[:, :, 1, 0].sum(axis=1))
    false_positives = _float(cells[:, :, 0, 1].sum(axis=1))
    correct = total - false_negatives - false_positives
    mean = safe_divide(correct + 2 * false_positives, total)
    valid = (total > 0) & (mean > 0)
    mean = np.where(valid, mean, 1.0)
    ratio_1 = (1 / mean) ** 2 - 1
    ratio_2 = (2 / mean) ** 2 - 1
    total_sum = -1.0 * false_negatives + ratio_1 * correct + ratio_2 * false_positives
    return np.where(valid, safe_divide(total_sum, total * 2), np.nan)
