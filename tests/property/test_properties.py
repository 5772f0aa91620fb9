"""Properties every bias metric must have, over random small datasets (hypothesis).

A dataset is three boolean masks ``d`` (row in the sensitive facet group), ``y``
(positive label), ``yhat`` (positive prediction), a group-variable column (with
missing values) for CDDL/CDDPL and a numeric feature matrix for FT.  The masks
are drawn with probabilities that include 0 and 1, so empty facet groups, groups
without positives and "every prediction positive" come up often: those are the
paths with smclarify's special cases (errors, ``inf``, the integer ``0``).

Properties:

* (a) the order of the rows changes no metric value (all 21);
* (b) swapping facet and complement flips the sign of the difference metrics,
  keeps the symmetric distances, inverts DI and keeps GE;
* (c) counts of disjoint parts merge into the counts of the whole, and merging
  is associative and commutative (what a partitioned backend relies on);
* (d) every value lies in the range the registry states.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from openclarify.bias.counts import ConfusionCounts, GroupedCounts, RowKeys
from openclarify.bias.engine import GroupCodes, evaluate_group
from openclarify.bias.fliptest import flip_test
from openclarify.bias.registry import BY_CODE, METRICS
from openclarify.results import FacetGroupResult, MetricResult

# Probabilities a mask is drawn with; 0 and 1 give empty / full groups.
PROBABILITIES = st.sampled_from([0.0, 0.03, 0.3, 0.5, 0.7, 0.97, 1.0])
SETTINGS = settings(max_examples=100, deadline=None)


@dataclass(frozen=True)
class Data:
    d: np.ndarray
    y: np.ndarray
    yhat: np.ndarray
    group: pd.Series
    features: np.ndarray

    @property
    def n(self) -> int:
        return len(self.d)

    def take(self, index: np.ndarray) -> Data:
        return Data(
            self.d[index],
            self.y[index],
            self.yhat[index],
            self.group.iloc[index].reset_index(drop=True),
            self.features[index],
        )


def group_column(rng: np.random.Generator, n: int, n_groups: int, style: str) -> pd.Series:
    """The group variable as int (no missing), float with NaN, or strings with None."""
    codes = rng.integers(0, n_groups, n)
    missing = rng.random(n) < 0.1
    if style == "int":
        return pd.Series(codes - 1)  # small integers, one of them negative
    if style == "float":
        values = codes.astype(np.float64) / 2
        values[missing] = np.nan
        return pd.Series(values)
    return pd.Series([None if m else f"g{c}" for c, m in zip(codes, missing, strict=True)])


@st.composite
def datasets(draw: st.DrawFn) -> Data:
    n = draw(st.integers(41, 300))
    p_d, p_y, p_yhat = draw(PROBABILITIES), draw(PROBABILITIES), draw(PROBABILITIES)
    n_groups = draw(st.integers(1, 4))
    style = draw(st.sampled_from(["int", "float", "str"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return Data(
        d=rng.random(n) < p_d,
        y=rng.random(n) < p_y,
        yhat=rng.random(n) < p_yhat,
        group=group_column(rng, n, n_groups, style),
        # Continuous random features: the k nearest neighbours of every row are
        # unique (ties have probability 0), so FT does not depend on row order.
        features=rng.normal(size=(n, 3)),
    )


def evaluate(data: Data, d: np.ndarray | None = None, with_ft: bool = True) -> FacetGroupResult:
    """All 21 metrics through the engine, from masks (as a backend would count)."""
    d = data.d if d is None else d
    groups = GroupCodes.from_series(data.group)
    counts = ConfusionCounts.from_masks(d, data.y, data.yhat)
    grouped = GroupedCounts.from_codes(groups.codes, groups.keys, d, data.y, data.yhat)
    matrix = data.features if with_ft else None
    return evaluate_group(
        METRICS, "x", counts, grouped, lambda: flip_test(matrix, d, data.yhat, n_jobs=1)
    )


def by_code(result: FacetGroupResult) -> dict[str, MetricResult]:
    return {m.name: m for m in result.metrics}


def same_value(left: MetricResult, right: MetricResult) -> bool:
    """Identical outcome: same error text, same value, same int/float kind."""
    if left.error != right.error or (left.value is None) != (right.value is None):
        return False
    if left.value is None:
        return True
    return isinstance(left.value, int) == isinstance(right.value, int) and left.value == right.value


# --------------------------------------------------------------------------- (a)


@SETTINGS
@given(data=datasets(), seed=st.integers(0, 2**32 - 1))
def test_row_order_changes_no_metric(data: Data, seed: int) -> None:
    # Exact equality: 20 metrics are functions of integer counts (and CDD sums
    # over groups in sorted-key order), which do not depend on row order; FT
    # depends on the set of k nearest neighbours, unique for these features.
    permutation = np.random.default_rng(seed).permutation(data.n)
    before = by_code(evaluate(data))
    after = by_code(evaluate(data.take(permutation)))
    assert list(before) == [spec.code for spec in METRICS]
    for code in before:
        assert same_value(before[code], after[code]), (code, before[code], after[code])


# --------------------------------------------------------------------------- (b)

SIGN_FLIPPING = ("CI", "DPL", "DPPL", "AD", "RD", "SD", "DAR", "DRR", "DCA", "DCR", "TE")
SYMMETRIC = ("KS", "TVD", "LP", "JS", "GE")


@SETTINGS
@given(data=datasets())
def test_swapping_facet_and_complement(data: Data) -> None:
    ours = by_code(evaluate(data, with_ft=False))
    swapped = by_code(evaluate(data, d=~data.d, with_ft=False))
    for code in SIGN_FLIPPING:
        left, right = ours[code], swapped[code]
        # an empty group is an error on both sides (the texts name the side)
        assert (left.value is None) == (right.value is None), code
        if left.value is not None:
            # Exact: each is a difference x - y of the same two floats (or the
            # same integer ratio for CI), and IEEE subtraction is antisymmetric;
            # ±inf and the "both infinite" 0 flip consistently too.
            assert right.value == -left.value, (code, left.value, right.value)
    for code in SYMMETRIC:
        left, right = ours[code], swapped[code]
        assert left.error == right.error, code
        # Exact: the formulas are symmetric in (P_a, P_d) term by term
        # (|x - y|, (x + y)/2, a + b == b + a), and GE ignores the facet.
        assert left.value == right.value, (code, left.value, right.value)

    di, di_swapped = ours["DI"].value, swapped["DI"].value
    assert (di is None) == (di_swapped is None)
    if di is not None and di_swapped is not None:
        q_a = data.yhat[~data.d].mean()
        q_d = data.yhat[data.d].mean()
        if math.isfinite(di) and di != 0:
            # q_d/q_a against 1/(q_a/q_d): four correctly rounded operations,
            # a few ulps apart (~1e-15 relative); 1e-12 leaves room but would
            # catch any wrong formula (ratios of counts ≤ 300 differ by ≥ 1e-5).
            assert math.isclose(di_swapped, 1 / di, rel_tol=1e-12)
        elif di == math.inf:
            assert q_a == 0 and q_d > 0 and di_swapped == 0.0
        elif di == 0 and q_a > 0:
            assert di_swapped == math.inf
        else:  # neither group has a positive prediction: 0/0 is 0 both ways
            assert di == di_swapped == 0.0


# --------------------------------------------------------------------------- (c)


def grouped(data: Data, rows: np.ndarray) -> GroupedCounts:
    """Grouped counts of some rows, keyed only by the groups present there."""
    part = data.take(rows)
    codes = GroupCodes.from_series(part.group)
    return GroupedCounts.from_codes(codes.codes, codes.keys, part.d, part.y, part.yhat)


def same_grouped(left: GroupedCounts, right: GroupedCounts) -> bool:
    return left.keys == right.keys and np.array_equal(left.cells, right.cells)


@SETTINGS
@given(data=datasets(), seed=st.integers(0, 2**32 - 1), with_predictions=st.booleans())
def test_confusion_counts_of_two_parts_merge_to_the_whole(
    data: Data, seed: int, with_predictions: bool
) -> None:
    first = np.random.default_rng(seed).random(data.n) < 0.5

    def counts(rows: np.ndarray) -> ConfusionCounts:
        yhat = data.yhat[rows] if with_predictions else None
        return ConfusionCounts.from_masks(data.d[rows], data.y[rows], yhat)

    whole = counts(np.ones(data.n, dtype=bool))
    merged = counts(first).merge(counts(~first))
    assert merged.cells.dtype == np.int64
    assert np.array_equal(merged.cells, whole.cells)
    assert int(whole.cells.sum()) == data.n
    if not with_predictions:  # pre-training: every row counted as yhat = 0
        assert int(whole.cells[:, :, 1].sum()) == 0


@SETTINGS
@given(data=datasets(), seed=st.integers(0, 2**32 - 1))
def test_grouped_counts_merge_is_the_whole_associative_commutative(data: Data, seed: int) -> None:
    part = np.random.default_rng(seed).integers(0, 3, data.n)
    a, b, c = (grouped(data, np.flatnonzero(part == i)) for i in range(3))
    whole = grouped(data, np.arange(data.n))
    assert same_grouped(a.merge(b).merge(c), whole)
    assert same_grouped(a.merge(b.merge(c)), a.merge(b).merge(c))
    assert same_grouped(a.merge(b), b.merge(a))
    # missing group values are in no group
    assert int(whole.cells.sum()) == int(data.group.notna().sum())


def test_grouped_merge_with_keys_only_in_one_part() -> None:
    d = np.array([True, False, True, False, True])
    y = np.array([True, True, False, False, True])
    yhat = np.array([False, True, True, False, True])
    left = GroupedCounts.from_codes(np.array([0, 1]), ("a", "b"), d[:2], y[:2], yhat[:2])
    right = GroupedCounts.from_codes(np.array([0, 1, 1]), ("b", "c"), d[2:], y[2:], yhat[2:])
    merged = left.merge(right)
    assert merged.keys == ("a", "b", "c")
    whole = GroupedCounts.from_codes(np.array([0, 1, 1, 2, 2]), ("a", "b", "c"), d, y, yhat)
    assert np.array_equal(merged.cells, whole.cells)
    assert merged.cells[0, 1, 1, 0] == 1  # "a": d, y, not yhat
    assert merged.cells[2].sum() == 2  # "c" only in the right part
    assert same_grouped(right.merge(left), merged)


@SETTINGS
@given(data=datasets(), with_predictions=st.booleans(), with_groups=st.booleans())
def test_row_keys_count_like_the_masks(
    data: Data, with_predictions: bool, with_groups: bool
) -> None:
    """The production path (``RowKeys``) counts what ``from_masks`` counts."""
    groups = GroupCodes.from_series(data.group) if with_groups else None
    yhat = data.yhat if with_predictions else None
    keys = RowKeys.build(
        data.y, yhat, groups.codes if groups else None, groups.keys if groups else None
    )
    counts, grouped_counts = keys.counts_for(data.d)
    assert np.array_equal(counts.cells, ConfusionCounts.from_masks(data.d, data.y, yhat).cells)
    if groups is None:
        assert grouped_counts is None
    else:
        expected = GroupedCounts.from_codes(groups.codes, groups.keys, data.d, data.y, yhat)
        assert grouped_counts is not None and same_grouped(grouped_counts, expected)


@SETTINGS
@given(data=datasets(), n_values=st.integers(1, 5), with_groups=st.booleans())
def test_one_vs_rest_counts_equal_one_facet_group_at_a_time(
    data: Data, n_values: int, with_groups: bool
) -> None:
    rng = np.random.default_rng(data.n)
    facet = rng.integers(-1, n_values, data.n)  # -1: missing facet value
    groups = GroupCodes.from_series(data.group) if with_groups else None
    keys = RowKeys.build(
        data.y, data.yhat, groups.codes if groups else None, groups.keys if groups else None
    )
    all_at_once = keys.counts_one_vs_rest(facet, n_values)
    assert len(all_at_once) == n_values
    for value, (counts, grouped_counts) in enumerate(all_at_once):
        one_counts, one_grouped = keys.counts_for(facet == value)
        assert np.array_equal(counts.cells, one_counts.cells), value
        assert (grouped_counts is None) == (one_grouped is None)
        if grouped_counts is not None and one_grouped is not None:
            assert same_grouped(grouped_counts, one_grouped), value


# --------------------------------------------------------------------------- (d)


def parse_range(text: str) -> tuple[float, float]:
    """The registry's human-readable range as (low, high); infinite ends included."""
    words = {"inf": math.inf, "-inf": -math.inf, "ln 2": math.log(2), "sqrt 2": math.sqrt(2)}
    low, high = (part.strip() for part in text.strip("[]()").split(","))
    return (
        words[low] if low in words else float(low),
        words[high] if high in words else float(high),
    )


def test_parse_range_reads_every_registry_range() -> None:
    assert parse_range("[-1, 1]") == (-1.0, 1.0)
    assert parse_range("[0, ln 2]") == (0.0, math.log(2))
    assert {parse_range(spec.value_range) for spec in METRICS} >= {(0.0, math.inf), (-1.0, 1.0)}


# Rounding slack at the bounds: ln 2 and √2 are irrational, and a value that is
# mathematically at a bound may land a few ulps (≤ 1e-15 at magnitude ≤ 2) off.
RANGE_SLACK = 1e-12


@SETTINGS
@given(data=datasets())
def test_every_value_is_in_the_registry_range(data: Data) -> None:
    results = by_code(evaluate(data))
    for code, result in results.items():
        if result.value is None or code == "KL":
            continue
        low, high = parse_range(BY_CODE[code].value_range)
        # "inf" ends include ±inf itself: DI, DCA, DCR and TE may be infinite
        # (contract §5.3), which the registry writes as "[0, inf)"/"(-inf, inf)".
        assert low - RANGE_SLACK <= result.value <= high + RANGE_SLACK, (code, result.value)
    for code in ("CI", "DPL", "DPPL"):
        value = results[code].value
        assert value is None or -1 <= value <= 1
    for code in ("KS", "TVD"):
        value = results[code].value
        assert value is None or 0 <= value <= 1
    js = results["JS"].value
    assert js is None or -RANGE_SLACK <= js <= math.log(2) + RANGE_SLACK
    ge = results["GE"].value
    # GE = (E[b²]/μ² - 1)/2 ≥ 0 by Jensen; exactly 0 when every benefit is equal.
    assert ge is None or ge >= 0
    di = results["DI"].value
    assert di is None or di >= 0


@SETTINGS
@given(data=datasets())
def test_kl_is_non_negative_when_both_groups_have_both_outcomes(data: Data) -> None:
    kl = by_code(evaluate(data, with_ft=False))["KL"]
    a_both = data.y[~data.d].any() and not data.y[~data.d].all()
    d_both = data.y[data.d].any() and not data.y[data.d].all()
    if a_both and d_both:
        # Gibbs' inequality on full pmfs; a few ulps of rounding allowed.
        assert kl.value is not None and kl.value >= -RANGE_SLACK
    elif kl.value is None:
        assert kl.error == "No instance of common facet found, dataset may be too small"
