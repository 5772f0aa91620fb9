"""Pre-training bias metrics: functions of the observed labels only.

Notation: ``a`` is the rest of the data, ``d`` the sensitive facet group,
``n_a``/``n_d`` their sizes, ``n_a(1)``/``n_d(1)`` their positive labels,
``P_a``/``P_d`` the empirical pmfs of the binary label in each group, aligned
on outcomes present in both (see ``common.aligned_label_pmfs``).
"""

from __future__ import annotations

import numpy as np

from .common import A, D, MetricFailure, MetricInputs, aligned_label_pmfs
from .common import conditional_demographic_disparity as _cdd
from .common import positive_proportion_difference as _dpl

_NO_COMMON = "No instance of common facet found, dataset may be too small"


def class_imbalance(inputs: MetricInputs) -> float:
    """Class Imbalance (CI).

    ``CI = (n_a − n_d) / (n_a + n_d)``.  Range [−1, 1]; fair value 0; positive
    when d is the smaller group.
    """
    n_a, n_d = inputs.counts.n(A), inputs.counts.n(D)
    if n_a == 0:
        raise MetricFailure(
            "CI: negated facet set is empty. Check that x[~facet] has non-zero length."
        )
    if n_d == 0:
        raise MetricFailure("CI: facet set is empty. Check that x[facet] has non-zero length.")
    return float(n_a - n_d) / (n_a + n_d)


def difference_in_positive_proportions(inputs: MetricInputs) -> float:
    """Difference in Positive Proportions in Labels (DPL).

    ``DPL = n_a(1)/n_a − n_d(1)/n_d``.  Range [−1, 1]; fair value 0; positive
    when d has fewer positive labels.
    """
    return _dpl(inputs.counts, predicted=False)


def _pmfs(inputs: MetricInputs) -> tuple[np.ndarray, np.ndarray]:
    pmf_a, pmf_d = aligned_label_pmfs(inputs.counts)
    if len(pmf_a) == 0 or len(pmf_d) == 0:
        raise MetricFailure(_NO_COMMON)
    return pmf_a, pmf_d


def kullback_leibler(inputs: MetricInputs) -> float:
    """Kullback-Liebler Divergence (KL).

    ``KL = Σ_x P_a(x) ln(P_a(x)/P_d(x))``.  Range [0, ∞) when both groups have
    both outcomes (negative values are possible when an outcome is missing in
    one group, as in smclarify); fair value 0.
    """
    pmf_a, pmf_d = _pmfs(inputs)
    return float(np.sum(pmf_a * np.log(pmf_a / pmf_d)))


def jensen_shannon(inputs: MetricInputs) -> float:
    """Jensen-Shannon Divergence (JS).

    ``JS = ½[KL(P_a‖P) + KL(P_d‖P)]`` with ``P = ½(P_a + P_d)``.  Range
    [0, ln 2]; fair value 0.
    """
    pmf_a, pmf_d = _pmfs(inputs)
    mixture = 1 / 2 * (pmf_a + pmf_d)
    return float(
        0.5 * (np.sum(pmf_a * np.log(pmf_a / mixture)) + np.sum(pmf_d * np.log(pmf_d / mixture)))
    )


def lp_norm(inputs: MetricInputs) -> float:
    """L-p Norm (LP).

    ``LP = ‖P_a − P_d‖₂`` (p fixed to 2).  Range [0, √2]; fair value 0.
    """
    pmf_a, pmf_d = _pmfs(inputs)
    return float(np.linalg.norm(pmf_a - pmf_d, 2))


def total_variation_distance(inputs: MetricInputs) -> float:
    """Total Variation Distance (TVD).

    ``TVD = ½‖P_a − P_d‖₁``.  Range [0, 1]; fair value 0.
    """
    pmf_a, pmf_d = _pmfs(inputs)
    return 0.5 * float(np.linalg.norm(pmf_a - pmf_d, 1))


def kolmogorov_smirnov(inputs: MetricInputs) -> float:
    """Kolmogorov-Smirnov Distance (KS).

    ``KS = max_x |P_a(x) − P_d(x)|`` (of the pmfs, as smclarify does).  Range
    [0, 1]; fair value 0.
    """
    pmf_a, pmf_d = _pmfs(inputs)
    return float(np.linalg.norm(pmf_a - pmf_d, np.inf))


def conditional_demographic_disparity_labels(inputs: MetricInputs) -> float:
    """Conditional Demographic Disparity in Labels (CDDL).

    ``CDDL = Σ_g n_g (R_g − A_g) / Σ_g n_g`` where, within group ``g`` of the
    group variable, ``A_g`` is d's share of positive labels and ``R_g`` its
    share of negative labels.  Range [−1, 1]; fair value 0; positive when d is
    over-represented among rejections.
    """
    return _cdd(inputs.grouped, predicted=False)
