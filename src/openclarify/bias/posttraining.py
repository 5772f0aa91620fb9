"""Post-training bias metrics: functions of observed and predicted labels.

Notation as in :mod:`.pretraining`, plus ``n̂(1)``/``n̂(0)`` predicted
positives/negatives and ``TP, FP, FN, TN`` per group.  Several metrics replace
"both ratios are +inf" by ``0`` — an *integer* for DCA, DCR, DAR, DRR, RD and
SD and a float for AD and TE, exactly as smclarify 0.5 emits them.
"""

from __future__ import annotations

from .common import (
    INFINITY,
    A,
    D,
    MetricFailure,
    MetricInputs,
    MetricValue,
    divide,
)
from .common import conditional_demographic_disparity as _cdd
from .common import positive_proportion_difference as _dpl


def _require_both_groups(inputs: MetricInputs, prefix: str = "") -> None:
    if inputs.counts.n(D) == 0:
        raise MetricFailure(f"{prefix}Facet set is empty")
    if inputs.counts.n(A) == 0:
        raise MetricFailure(f"{prefix}Negated Facet set is empty")


def _difference(left: float, right: float, zero: MetricValue) -> MetricValue:
    """``left − right``, or ``zero`` when both ratios are +inf (smclarify)."""
    if left == right and left == INFINITY:
        return zero
    return left - right


def difference_in_positive_proportions_predicted(inputs: MetricInputs) -> float:
    """Difference in Positive Proportions in Predicted Labels (DPPL).

    ``DPPL = n̂_a(1)/n_a − n̂_d(1)/n_d``.  Range [−1, 1]; fair value 0.
    """
    return _dpl(inputs.counts, predicted=True)


def disparate_impact(inputs: MetricInputs) -> float:
    """Disparate Impact (DI).

    ``DI = (n̂_d(1)/n_d) / (n̂_a(1)/n_a)`` with safe division (``+inf`` when a
    has no positive prediction and d has some; ``0.0`` when neither has).
    Range [0, ∞); fair value 1.
    """
    counts = inputs.counts
    n_a = counts.n(A)
    if n_a == 0:
        raise MetricFailure("Negated facet set is empty")
    q_a = counts.n_pred(A, 1) / n_a
    n_d = counts.n(D)
    if n_d == 0:
        raise MetricFailure("Facet set is empty")
    q_d = counts.n_pred(D, 1) / n_d
    return divide(q_d, q_a)


def _conditional_outcomes(inputs: MetricInputs) -> tuple[MetricValue, MetricValue]:
    _require_both_groups(inputs, "DCO: ")
    c = inputs.counts
    rejection_a = divide(c.n_label(A, 0), c.n_pred(A, 0))
    rejection_d = divide(c.n_label(D, 0), c.n_pred(D, 0))
    acceptance_a = divide(c.n_label(A, 1), c.n_pred(A, 1))
    acceptance_d = divide(c.n_label(D, 1), c.n_pred(D, 1))
    return (
        _difference(acceptance_a, acceptance_d, 0),
        _difference(rejection_d, rejection_a, 0),
    )


def difference_in_conditional_acceptance(inputs: MetricInputs) -> MetricValue:
    """Difference in Conditional Acceptance (DCA).

    ``DCA = n_a(1)/n̂_a(1) − n_d(1)/n̂_d(1)`` (observed ÷ predicted positives).
    Range (−∞, ∞); fair value 0.
    """
    return _conditional_outcomes(inputs)[0]


def difference_in_conditional_rejection(inputs: MetricInputs) -> MetricValue:
    """Difference in Conditional Rejection (DCR).

    ``DCR = n_d(0)/n̂_d(0) − n_a(0)/n̂_a(0)``.  Range (−∞, ∞); fair value 0.
    """
    return _conditional_outcomes(inputs)[1]


def _label_rates(inputs: MetricInputs) -> tuple[MetricValue, MetricValue]:
    _require_both_groups(inputs, "DLR: ")
    c = inputs.counts
    acceptance_a = divide(c.tp(A), c.n_pred(A, 1))
    acceptance_d = divide(c.tp(D), c.n_pred(D, 1))
    rejection_a = divide(c.tn(A), c.n_pred(A, 0))
    rejection_d = divide(c.tn(D), c.n_pred(D, 0))
    return (
        _difference(acceptance_a, acceptance_d, 0),
        _difference(rejection_d, rejection_a, 0),
    )


def difference_in_acceptance_rates(inputs: MetricInputs) -> MetricValue:
    """Difference in Acceptance Rates (DAR).

    ``DAR = TP_a/n̂_a(1) − TP_d/n̂_d(1)`` (difference in precision).  Range
    [−1, 1]; fair value 0.
    """
    return _label_rates(inputs)[0]


def difference_in_rejection_rates(inputs: MetricInputs) -> MetricValue:
    """Difference in Rejection Rates (DRR).

    ``DRR = TN_d/n̂_d(0) − TN_a/n̂_a(0)``.  Range [−1, 1]; fair value 0.
    """
    return _label_rates(inputs)[1]


def _label_accuracy(inputs: MetricInputs) -> tuple[MetricValue, MetricValue]:
    _require_both_groups(inputs, "DLA: ")
    c = inputs.counts
    recall_a = divide(c.tp(A), c.tp(A) + c.fn(A))
    specificity_a = divide(c.tn(A), c.tn(A) + c.fp(A))
    recall_d = divide(c.tp(D), c.tp(D) + c.fn(D))
    specificity_d = divide(c.tn(D), c.tn(D) + c.fp(D))
    return (
        _difference(recall_a, recall_d, 0),
        _difference(specificity_d, specificity_a, 0),
    )


def recall_difference(inputs: MetricInputs) -> MetricValue:
    """Recall Difference (RD).

    ``RD = TP_a/(TP_a+FN_a) − TP_d/(TP_d+FN_d)``.  Range [−1, 1]; fair value 0.
    """
    return _label_accuracy(inputs)[0]


def specificity_difference(inputs: MetricInputs) -> MetricValue:
    """Specificity Difference (SD).

    ``SD = TN_d/(TN_d+FP_d) − TN_a/(TN_a+FP_a)``.  Range [−1, 1]; fair value 0.
    """
    return _label_accuracy(inputs)[1]


def accuracy_difference(inputs: MetricInputs) -> MetricValue:
    """Accuracy Difference (AD).

    ``AD = (TP_a+TN_a)/n_a − (TP_d+TN_d)/n_d``.  Range [−1, 1]; fair value 0.
    """
    _require_both_groups(inputs)
    c = inputs.counts
    accuracy_a = divide(c.tp(A) + c.tn(A), c.n(A))
    accuracy_d = divide(c.tp(D) + c.tn(D), c.n(D))
    return _difference(accuracy_a, accuracy_d, 0.0)


def treatment_equality(inputs: MetricInputs) -> MetricValue:
    """Treatment Equality (TE).

    ``TE = FN_d/FP_d − FN_a/FP_a`` with safe division (±inf possible).  Range
    (−∞, ∞); fair value 0.
    """
    _require_both_groups(inputs)
    c = inputs.counts
    tau_a = divide(c.fn(A), c.fp(A))
    tau_d = divide(c.fn(D), c.fp(D))
    return _difference(tau_d, tau_a, 0.0)


def conditional_demographic_disparity_predicted(inputs: MetricInputs) -> float:
    """Conditional Demographic Disparity in Predicted Labels (CDDPL).

    CDD (see CDDL) computed on predicted labels.  Range [−1, 1]; fair value 0.
    """
    return _cdd(inputs.grouped, predicted=True)


def flip_test(inputs: MetricInputs) -> MetricValue:
    """Flip Test (FT).

    Fit k-NN (k = 5, or 1 when a has ≤ 9 rows) on a's feature rows with the
    model's predicted labels as targets, predict every d row, and count
    ``F+`` (model 1, neighbours 0) and ``F−`` (model 0, neighbours 1):
    ``FT = (F+ − F−) / n_d``.  Range [−1, 1]; fair value 0; negative when d
    members get worse predictions than their neighbours in a.  Needs feature
    rows, not counts (see :mod:`.fliptest`).
    """
    if inputs.flip_test is None:  # pragma: no cover - the engine always binds it
        raise MetricFailure("FlipTest needs the feature table")
    return inputs.flip_test()


def generalized_entropy(inputs: MetricInputs) -> float:
    """Generalized Entropy (GE).

    With benefit ``b_i = ŷ_i − y_i + 1 ∈ {0, 1, 2}`` over *all* rows and
    ``μ = mean(b)``: ``GE = Σ_i ((b_i/μ)² − 1) / (2N)`` (α = 2).  Range
    [0, ∞); fair value 0.  Identical for every facet value.  Mergeable: only
    the global counts of FN (b=0), correct (b=1) and FP (b=2) are needed.
    """
    c = inputs.counts
    total = int(c.cells.sum())
    if total <= 0:
        raise MetricFailure("dataset must be non-empty")
    false_negatives = c.fn(A) + c.fn(D)
    false_positives = c.fp(A) + c.fp(D)
    correct = total - false_negatives - false_positives
    mean_benefit = float(correct + 2 * false_positives) / total
    if mean_benefit == 0:
        raise MetricFailure(
            "All predicted labels are false negatives. "
            "There should be at least one prediction that is not false negative."
        )
    ratio_1 = (1 / mean_benefit) ** 2 - 1
    ratio_2 = (2 / mean_benefit) ** 2 - 1
    total_sum = -1.0 * false_negatives + ratio_1 * correct + ratio_2 * false_positives
    return total_sum / (total * 2 * (2 - 1))
