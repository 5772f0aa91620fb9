"""Known answers: hand-built masks with values from the contract or worked by hand.

Exact-text error messages are smclarify's (contract §5.2/§5.3); FT is checked
against scikit-learn's ``KNeighborsClassifier`` itself, which is what smclarify
calls.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier

from openclarify.bias import fliptest
from openclarify.bias.common import MetricFailure
from openclarify.bias.counts import ConfusionCounts, GroupedCounts
from openclarify.bias.engine import GroupCodes, evaluate_group
from openclarify.bias.fliptest import flip_test
from openclarify.bias.registry import METRICS
from openclarify.results import MetricResult


def evaluate(
    d: np.ndarray,
    y: np.ndarray,
    yhat: np.ndarray | None = None,
    group: list[object] | None = None,
    features: np.ndarray | None = None,
) -> dict[str, MetricResult]:
    """Every metric of the stage(s) through the engine, from row masks."""
    d, y = np.asarray(d, dtype=bool), np.asarray(y, dtype=bool)
    predicted = None if yhat is None else np.asarray(yhat, dtype=bool)
    specs = METRICS if predicted is not None else [s for s in METRICS if s.stage == "pre_training"]
    grouped = None
    if group is not None:
        codes = GroupCodes.from_series(pd.Series(group))
        grouped = GroupedCounts.from_codes(codes.codes, codes.keys, d, y, predicted)
    counts = ConfusionCounts.from_masks(d, y, predicted)

    def ft() -> float:
        assert predicted is not None
        return flip_test(features, d, predicted, n_jobs=1)

    result = evaluate_group(specs, "1", counts, grouped, ft)
    return {m.name: m for m in result.metrics}


def value(results: dict[str, MetricResult], code: str) -> float | int:
    metric = results[code]
    assert metric.error is None, (code, metric.error)
    assert metric.value is not None
    return metric.value


# --------------------------------------------------------------------------- §5.6

# (f, g, x1, y, yhat): 10-row pattern, repeated 10 times with x1 + 0.01·r
PATTERN = [
    (0, "A", 1.0, 1, 1),
    (0, "A", 2.0, 1, 0),
    (0, "B", 3.0, 0, 0),
    (0, "B", 4.0, 1, 1),
    (0, "A", 5.0, 0, 1),
    (0, "B", 6.0, 1, 1),
    (1, "A", 1.5, 0, 0),
    (1, "B", 2.5, 1, 1),
    (1, "B", 3.5, 0, 0),
    (1, "A", 4.5, 0, 1),
]
# Values as printed in the contract (smclarify 0.5 re-run), as strings so the
# tolerance can be half a unit of the last printed digit.
CONTRACT_VECTOR = {
    "CDDL": "0.416667",
    "CI": "0.2",
    "DPL": "0.416667",
    "JS": "0.0902463",
    "KL": "0.383576",
    "KS": "0.416667",
    "LP": "0.589256",
    "TVD": "0.416667",
    "AD": "-0.083333",
    "CDDPL": "0.166667",
    "DAR": "0.25",
    "DCA": "0.5",
    "DCR": "0.5",
    "DI": "0.75",
    "DPPL": "0.166667",
    "DRR": "0.5",
    "FT": "0.0",
    "GE": "0.119835",
    "RD": "-0.25",
    "SD": "0.166667",
    "TE": "-1.0",
}


def contract_vector() -> dict[str, MetricResult]:
    rows = [(f, g, x + 0.01 * r, y, p) for r in range(10) for (f, g, x, y, p) in PATTERN]
    f, g, x1, y, yhat = (np.array(column) for column in zip(*rows, strict=True))
    return evaluate(f == 1, y == 1, yhat == 1, list(g), x1.reshape(-1, 1).astype(np.float64))


@pytest.mark.parametrize("code", list(CONTRACT_VECTOR))
def test_contract_test_vector(code: str) -> None:
    printed = Decimal(CONTRACT_VECTOR[code])
    # Half a unit of the last printed digit: the contract rounds the values.
    tolerance = 0.5 * 10.0 ** printed.as_tuple().exponent
    assert value(contract_vector(), code) == pytest.approx(float(printed), abs=tolerance)


def test_contract_vector_exact_fractions() -> None:
    """a: TP 3, FN 1, FP 1, TN 1 (×10); d: TP 1, FP 1, TN 2, FN 0 (×10)."""
    results = contract_vector()
    assert value(results, "CI") == 0.2  # (60 - 40)/100, one rounding
    assert value(results, "DPL") == pytest.approx(4 / 6 - 1 / 4, abs=1e-15)  # one ulp
    assert value(results, "DI") == 0.75  # (2/4)/(4/6)
    assert value(results, "DAR") == 0.25  # 3/4 - 1/2
    assert value(results, "TE") == -1.0  # 0/1 - 1/1
    assert value(results, "RD") == -0.25  # 3/4 - 1/1
    assert value(results, "FT") == 0.0
    assert list(results) == [spec.code for spec in METRICS]


# --------------------------------------------------------------------------- errors


def test_empty_facet_errors_are_smclarifys() -> None:
    y = np.array([True, False, True, False])
    yhat = np.array([True, True, False, False])
    empty_d = evaluate(np.zeros(4, bool), y, yhat)
    empty_a = evaluate(np.ones(4, bool), y, yhat)
    assert empty_d["CI"].error == (
        "CI: facet set is empty. Check that x[facet] has non-zero length."
    )
    assert empty_a["CI"].error == (
        "CI: negated facet set is empty. Check that x[~facet] has non-zero length."
    )
    assert empty_d["DPL"].error == "Facet set is empty."
    assert empty_a["DPL"].error == "Negative facet set is empty."
    assert empty_d["DPPL"].error == "Facet set is empty."
    assert empty_a["DPPL"].error == "Negative facet set is empty."
    assert empty_d["DCA"].error == "DCO: Facet set is empty"
    assert empty_a["DAR"].error == "DLR: Negated Facet set is empty"
    assert empty_d["RD"].error == "DLA: Facet set is empty"
    assert empty_a["AD"].error == "Negated Facet set is empty"
    assert empty_d["FT"].error == "Facet set is empty"
    for results in (empty_d, empty_a):
        assert results["CI"].value is None
        assert results["KL"].error == "No instance of common facet found, dataset may be too small"
        # GE ignores the facet: still computed
        assert results["GE"].error is None


def test_cdd_without_group_variable() -> None:
    results = evaluate(np.array([1, 0, 1, 0]), np.array([1, 0, 0, 1]), np.array([1, 1, 0, 0]))
    assert results["CDDL"].error == "Group variable is empty or not provided"
    assert results["CDDPL"].error == "Group variable is empty or not provided"


# --------------------------------------------------------------------------- specials


def test_dcr_is_integer_zero_when_every_prediction_is_positive() -> None:
    # both groups have negatives but no negative prediction: r_a = r_d = +inf
    d = np.array([1, 1, 1, 0, 0, 0])
    y = np.array([1, 0, 0, 1, 0, 1])
    results = evaluate(d, y, np.ones(6, bool))
    dcr = value(results, "DCR")
    assert dcr == 0 and type(dcr) is int
    assert results["DCR"].to_dict()["value"] == 0
    assert type(results["DCR"].to_dict()["value"]) is int
    # DRR: TN/n̂(0) is 0/0 = 0.0 on both sides, an ordinary float difference
    assert value(results, "DRR") == 0.0 and isinstance(value(results, "DRR"), float)


def test_di_is_infinite_when_a_has_no_positive_prediction() -> None:
    d = np.array([1, 1, 0, 0, 0])
    y = np.array([1, 0, 1, 0, 1])
    yhat = np.array([1, 0, 0, 0, 0])
    results = evaluate(d, y, yhat)
    assert value(results, "DI") == math.inf
    assert results["DI"].to_dict()["value"] == "Infinity"


def test_kl_negative_when_d_has_only_positives() -> None:
    # q_a = 1/2, q_d = 1: only the "positive" outcome is in both groups
    d = np.array([0, 0, 0, 0, 1, 1])
    y = np.array([1, 1, 0, 0, 1, 1])
    results = evaluate(d, y)
    # Contract §5.2 (4 decimals: half a unit of the last digit)
    assert value(results, "DPL") == -0.5
    assert value(results, "KL") == pytest.approx(-0.3466, abs=5e-5)
    assert value(results, "JS") == pytest.approx(0.0425, abs=5e-5)
    assert value(results, "LP") == 0.5
    assert value(results, "KS") == 0.5
    assert value(results, "TVD") == 0.25
    # Closed forms with P_a = [1/2], P_d = [1], mixture [3/4]; a few ulps.
    assert value(results, "KL") == pytest.approx(0.5 * math.log(0.5), abs=1e-15)
    js = 0.5 * (0.5 * math.log(0.5 / 0.75) + math.log(1 / 0.75))
    assert value(results, "JS") == pytest.approx(js, abs=1e-15)


def test_ge_by_hand() -> None:
    # benefits b = yhat - y + 1: [0 (FN), 1, 2 (FP), 1] → μ = 1,
    # GE = Σ(b² - 1)/(2N) = (-1 + 0 + 3 + 0)/8 = 0.25
    d = np.array([1, 0, 1, 0])
    y = np.array([1, 1, 0, 0])
    yhat = np.array([0, 1, 1, 0])
    assert value(evaluate(d, y, yhat), "GE") == 0.25
    # b = [2, 1, 1] → μ = 4/3, Σ(b/μ)² = 2.25 + 0.5625 + 0.5625, GE = 0.375/6
    results = evaluate(np.array([1, 0, 0]), np.array([0, 1, 0]), np.array([1, 1, 0]))
    assert value(results, "GE") == pytest.approx(0.0625, abs=1e-15)  # a few ulps


def test_ge_fails_when_every_prediction_is_a_false_negative() -> None:
    results = evaluate(np.array([1, 0, 1]), np.ones(3, bool), np.zeros(3, bool))
    assert results["GE"].value is None
    assert results["GE"].error == (
        "All predicted labels are false negatives. "
        "There should be at least one prediction that is not false negative."
    )


# --------------------------------------------------------------------------- FT


def test_ft_negative_when_d_gets_worse_predictions_than_its_neighbours() -> None:
    a_rows = np.arange(12, dtype=np.float64).reshape(-1, 1)
    d_rows = a_rows[:6] + 0.25
    matrix = np.vstack([a_rows, d_rows])
    d = np.r_[np.zeros(12, bool), np.ones(6, bool)]
    worse = np.r_[np.ones(12, bool), np.zeros(6, bool)]  # a positive, d negative
    assert flip_test(matrix, d, worse) == -1.0
    assert flip_test(matrix, d, ~worse) == 1.0
    assert flip_test(matrix, d, np.ones(18, bool)) == 0.0


@pytest.mark.parametrize(("n_a", "expected"), [(9, -1.0), (10, 0.0)])
def test_ft_uses_one_neighbour_when_a_has_at_most_nine_rows(n_a: int, expected: float) -> None:
    # a: one positive at 0, the others negative at 10, 11, …; d at 0.1 and 0.2,
    # predicted negative.  1-NN sees the positive (F−), 5-NN a negative majority.
    a_rows = np.r_[0.0, 10.0 + np.arange(n_a - 1)]
    matrix = np.r_[a_rows, 0.1, 0.2].reshape(-1, 1)
    d = np.r_[np.zeros(n_a, bool), True, True]
    yhat = np.r_[True, np.zeros(n_a - 1, bool), False, False]
    assert flip_test(matrix, d, yhat) == expected


def test_ft_non_numeric_and_empty_group_errors() -> None:
    d = np.array([True, False, False])
    yhat = np.array([True, False, True])
    with pytest.raises(MetricFailure, match=r"^FlipTest does not support non-numeric columns$"):
        flip_test(None, d, yhat)
    with pytest.raises(MetricFailure, match=r"^Negated Facet set is empty$"):
        flip_test(np.zeros((3, 1)), np.ones(3, bool), yhat)


def sklearn_flip_test(matrix: np.ndarray, d: np.ndarray, yhat: np.ndarray) -> float:
    """FT computed the way smclarify does, with scikit-learn directly."""
    k = 5 if int((~d).sum()) > 9 else 1
    knn = KNeighborsClassifier(n_neighbors=k, weights="uniform", p=2, leaf_size=30)
    knn.fit(matrix[~d], yhat[~d])
    vote = np.asarray(knn.predict(matrix[d]), dtype=bool)
    model = yhat[d]
    return (int((model & ~vote).sum()) - int((~model & vote).sum())) / int(d.sum())


def has_tie_at_kth_neighbour(matrix: np.ndarray, d: np.ndarray) -> bool:
    """Some d row whose k-th and (k+1)-th nearest a rows are equally far."""
    rows_a, rows_d = matrix[~d], matrix[d]
    k = 5 if len(rows_a) > 9 else 1
    squared = ((rows_d[:, None, :] - rows_a[None, :, :]) ** 2).sum(axis=2)  # exact: small ints
    ordered = np.sort(squared, axis=1)
    return bool((ordered[:, k - 1] == ordered[:, k]).any())


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n", [30, 200])
def test_ft_equals_scikit_learn_on_tied_integer_grid(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 4, size=(n, 2)).astype(np.float64)  # 16 points: many ties
    d = rng.random(n) < 0.4
    yhat = rng.random(n) < 0.5
    assert has_tie_at_kth_neighbour(matrix, d)
    # Exact: both count the same integer flips and divide by the same n_d.
    assert flip_test(matrix, d, yhat, n_jobs=1) == sklearn_flip_test(matrix, d, yhat)


@pytest.mark.parametrize("seed", range(4))
def test_neighbour_votes_are_scikit_learns_row_by_row(seed: int) -> None:
    """Per d row, not just in the FT ratio (which equal flip counts could hide).

    The d rows are queried in spatial order and the votes put back; a mixed
    grid (integer ties, harmless and not, plus continuous rows) in random row
    order checks that every vote lands on its own row.
    """
    rng = np.random.default_rng(seed)
    n = 600
    matrix = np.column_stack([rng.integers(0, 4, n), rng.integers(0, 3, n), rng.normal(size=n)])
    matrix[: n // 3, 2] = 0.0  # a third of the rows on the integer grid: many ties
    matrix = matrix[rng.permutation(n)]
    d = rng.random(n) < 0.4
    yhat = rng.random(n) < 0.5
    knn = KNeighborsClassifier(n_neighbors=5, weights="uniform", p=2, leaf_size=30)
    expected = np.asarray(knn.fit(matrix[~d], yhat[~d]).predict(matrix[d]), dtype=bool)
    votes = fliptest._neighbour_vote(matrix[~d], yhat[~d], matrix[d], 5, 1)
    assert votes.dtype == bool
    assert np.array_equal(votes, expected)


@pytest.mark.parametrize("seed", range(6))
def test_ft_equals_scikit_learn_when_every_a_row_is_identical(seed: int) -> None:
    # every a row ties with every other: only scikit-learn's tie-breaking decides
    rng = np.random.default_rng(seed)
    n = 40
    matrix = np.zeros((n, 2))
    matrix[: n // 2, 0] = rng.integers(0, 2, n // 2)  # d rows at the a point or beside it
    d = np.r_[np.ones(n // 2, bool), np.zeros(n // 2, bool)]
    yhat = rng.random(n) < 0.5
    assert flip_test(matrix, d, yhat, n_jobs=1) == sklearn_flip_test(matrix, d, yhat)


def test_ft_equals_scikit_learn_with_many_features_and_a_timestamp() -> None:
    """Over 15 features scikit-learn (and so smclarify) uses brute force.

    Brute force computes squared distances as ‖x‖² − 2x·y + ‖y‖², whose
    rounding error grows with the features' magnitude: with an epoch-time
    feature (≈1.7e9) it reorders neighbours whose distances differ by far
    more than ``fliptest.TIE_TOLERANCE``.  FT must still be scikit-learn's
    (smclarify's), not the exact k-d tree answer.
    """
    mismatches = {}
    for seed in range(4):
        rng = np.random.default_rng(seed)
        n = 300
        timestamp = 1.7e9 + rng.normal(0, 1e3, n)
        matrix = np.column_stack([timestamp, rng.normal(size=(n, 16))])
        d = rng.random(n) < 0.3
        yhat = rng.random(n) < 0.5
        ours, theirs = flip_test(matrix, d, yhat, n_jobs=1), sklearn_flip_test(matrix, d, yhat)
        if ours != theirs:
            mismatches[seed] = (ours, theirs)
    assert mismatches == {}
