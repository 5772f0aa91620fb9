"""Intervals cover the truth, agree with a row bootstrap; p-values are exact or calibrated."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact, hypergeom

from openclarify.bias.registry import BY_CODE
from openclarify.bias.resampling import (
    bootstrap_tables,
    group_generator,
    percentile_interval,
    permuted_tables,
    split,
)
from openclarify.bias.significance import fisher_p_value, permutation_p_value

from .simulate import COUNT_METRICS, population, truth


def _coverage(trials: int, resamples: int, rows: int, seed: int) -> dict[str, float]:
    probabilities = population()
    true = {s.code: truth(s, probabilities) for s in COUNT_METRICS}
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys(true, 0)
    for _ in range(trials):
        counts = rng.multinomial(rows, probabilities.ravel()).reshape(probabilities.shape)
        boot = bootstrap_tables(counts, resamples, rng)
        for spec in COUNT_METRICS:
            bounds = percentile_interval(spec.batched(*split(boot, True)), 0.95)
            assert bounds is not None
            hits[spec.code] += bounds[0] <= true[spec.code] <= bounds[1]
    return {code: hit / trials for code, hit in hits.items()}


def test_coverage_fast() -> None:
    # 120 trials: the coverage estimate has sd sqrt(.95·.05/120) = 0.020; 4.5 sd below
    # 0.95 is 0.86.  A broken interval (degenerate, wrong tail, wrong centre) covers far
    # less.  The tight 93–97% check is the slow test below.
    coverage = _coverage(trials=120, resamples=400, rows=4000, seed=1)
    for code, rate in coverage.items():
        assert rate >= 0.86, (code, rate)


@pytest.mark.slow
def test_coverage_93_to_97_percent_for_every_count_metric() -> None:
    # 2000 trials: sd sqrt(.95·.05/2000) = 0.0049, so 93–97% is ±4.1 sd around 95%; the
    # percentile bootstrap's own coverage error at 4,000 rows is O(1/n), well inside.
    coverage = _coverage(trials=2000, resamples=1000, rows=4000, seed=2)
    for code, rate in coverage.items():
        assert 0.93 <= rate <= 0.97, (code, rate)


def _rows(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = rng.random(n) < 0.3
    y = rng.random(n) < np.where(d, 0.35, 0.55)
    yhat = np.where(rng.random(n) < 0.8, y, ~y)
    return pd.DataFrame({"d": d, "y": y, "yhat": yhat})


def _table(frame: pd.DataFrame) -> np.ndarray:
    index = frame["d"].to_numpy() * 4 + frame["y"].to_numpy() * 2 + frame["yhat"].to_numpy()
    return np.bincount(index.astype(int), minlength=8).reshape(1, 2, 2, 2).astype(np.int64)


def _row_bootstrap(frame: pd.DataFrame, resamples: int) -> pd.DataFrame:
    """Per resample, the label and prediction rates of a (False) and d (True), by pandas:
    ``resamples`` row samples with replacement drawn at once, then one groupby."""
    drawn = frame.sample(len(frame) * resamples, replace=True, random_state=0)
    drawn["resample"] = np.repeat(np.arange(resamples), len(frame))
    return drawn.groupby(["resample", "d"])[["y", "yhat"]].mean().unstack("d")


ROW_STATISTICS = {
    "DPL": lambda rates: rates[("y", False)] - rates[("y", True)],
    "DI": lambda rates: rates[("yhat", True)] / rates[("yhat", False)],
}


@pytest.mark.parametrize("code", ["DPL", "DI"])
def test_counts_bootstrap_agrees_with_a_row_bootstrap(code) -> None:
    frame = _rows(seed=3, n=1000)
    resamples = 2000
    ours = BY_CODE[code].batched(
        *split(bootstrap_tables(_table(frame), resamples, np.random.default_rng(4)), False)
    )
    rows = ROW_STATISTICS[code](_row_bootstrap(frame, resamples)).to_numpy()
    sd = rows.std()
    # Monte Carlo error with 2,000 resamples each: a 2.5%/97.5% quantile has sd
    # ≈ sqrt(.025·.975/2000)/φ(1.96) = 0.06 sd of the statistic, the difference of two
    # independent estimates 0.085 sd; 4 of those is 0.34 sd.  The sd itself has relative
    # error 1/sqrt(2·2000) = 1.6% each, 2.2% for the difference; 4 of those is 9%.
    assert ours.std() == pytest.approx(sd, rel=0.09)
    for q in (0.025, 0.5, 0.975):
        assert abs(np.quantile(ours, q) - np.quantile(rows, q)) <= 0.34 * sd, q


def test_fisher_p_value_is_scipys_and_the_tea_tasting_answer() -> None:
    # Fisher's lady tasting tea: 3 of 4 right each way, two-sided p = 34/70.
    table = np.zeros((1, 2, 2, 2), dtype=np.int64)
    table[0, 1, 1, 0], table[0, 1, 0, 0] = 3, 1  # d: 3 positive labels, 1 negative
    table[0, 0, 1, 0], table[0, 0, 0, 0] = 1, 3
    assert fisher_p_value(table, predicted=False) == pytest.approx(34 / 70, rel=1e-12)
    rng = np.random.default_rng(5)
    for _ in range(50):
        table = rng.integers(0, 40, size=(2, 2, 2, 2)).astype(np.int64)
        cells = table.sum(axis=0)
        for predicted in (False, True):
            outcome = cells.sum(axis=1) if predicted else cells.sum(axis=2)
            expected = fisher_exact(
                [[outcome[1, 1], outcome[1, 0]], [outcome[0, 1], outcome[0, 0]]]
            ).pvalue
            assert fisher_p_value(table, predicted) == expected


def test_permutation_p_value_matches_the_enumerated_exact_p_value() -> None:
    # A table small enough to enumerate every permutation outcome of d's cells
    # (multivariate hypergeometric), giving the exact p-value of AD.
    table = np.array([[[[5, 2], [1, 6]], [[1, 2], [3, 0]]]], dtype=np.int64)  # (1, d, y, ŷ)
    spec = BY_CODE["AD"]
    pooled = table[0].sum(axis=0).reshape(4)
    n_d = int(table[0, 1].sum())
    observed = abs(spec.batched(*split(table[np.newaxis], False))[0])
    exact = 0.0
    for draw in itertools.product(*(range(c + 1) for c in pooled)):
        if sum(draw) != n_d:
            continue
        probability = math.prod(math.comb(c, k) for c, k in zip(pooled, draw, strict=True))
        probability /= math.comb(int(pooled.sum()), n_d)
        cells = np.stack([pooled - np.array(draw), np.array(draw)]).reshape(1, 1, 2, 2, 2)
        value = spec.batched(*split(cells, False))[0]
        if not math.isnan(value) and abs(value) >= observed:
            exact += probability
    resamples = 20000
    permuted = permuted_tables(table, resamples, np.random.default_rng(6), stratified=False)
    estimate = permutation_p_value(spec, split(table[np.newaxis], False), split(permuted, False))
    assert estimate is not None
    # Monte Carlo sd sqrt(p(1-p)/B) ≈ 0.0035; 4 sd plus the +1 of the estimator.
    assert abs(estimate - exact) <= 4 * math.sqrt(exact * (1 - exact) / resamples) + 2 / resamples


def _null_table(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Facet independent of label, prediction and group: the null hypothesis holds."""
    groups = rng.integers(1, 4, size=rows)
    d = rng.random(rows) < 0.35
    y = rng.random(rows) < 0.2 + 0.15 * groups
    yhat = np.where(rng.random(rows) < 0.75, y, ~y)
    index = groups * 8 + d * 4 + y * 2 + yhat
    return np.bincount(index, minlength=32).reshape(4, 2, 2, 2).astype(np.int64)


def test_p_values_are_calibrated_under_the_null() -> None:
    trials, rows, resamples = 300, 300, 199
    rng = np.random.default_rng(7)
    p = {"DPL": [], "DPPL": [], "AD": [], "RD": [], "CDDL": []}
    for _ in range(trials):
        table = _null_table(rng, rows)
        p["DPL"].append(fisher_p_value(table, predicted=False))
        p["DPPL"].append(fisher_p_value(table, predicted=True))
        observed = split(table[np.newaxis], True)
        permuted = split(permuted_tables(table, resamples, rng, stratified=False), False)
        stratified = split(permuted_tables(table, resamples, rng, stratified=True), True)
        for code in ("AD", "RD"):
            p[code].append(permutation_p_value(BY_CODE[code], observed, permuted))
        p["CDDL"].append(permutation_p_value(BY_CODE["CDDL"], observed, stratified))
    for code, values in p.items():
        values = np.array(values, dtype=float)
        for alpha in (0.05, 0.2, 0.5):
            rate = float(np.mean(values <= alpha))
            # binomial sd of the rejection rate over 300 trials; 4 sd either way.  Both
            # tests are valid (P(p ≤ α) ≤ α); Fisher's and the discrete statistics' ties
            # make them a little conservative, which the lower bound allows.
            sd = math.sqrt(alpha * (1 - alpha) / trials)
            assert alpha - 4 * sd - 0.03 <= rate <= alpha + 4 * sd, (code, alpha, rate)


def test_each_group_has_its_own_reproducible_generator() -> None:
    a = group_generator(7, "Sex", "Female").integers(0, 1 << 30, size=4)
    assert (a == group_generator(7, "Sex", "Female").integers(0, 1 << 30, size=4)).all()
    assert not (a == group_generator(8, "Sex", "Female").integers(0, 1 << 30, size=4)).all()
    assert not (a == group_generator(7, "Sex", "Male").integers(0, 1 << 30, size=4)).all()


def test_hypergeometric_sanity_of_the_permutation_draws() -> None:
    # d's positive labels under permutation follow the hypergeometric law of Fisher's test
    table = np.array([[[[10, 5], [3, 12]], [[4, 2], [6, 8]]]], dtype=np.int64)
    permuted = permuted_tables(table, 20000, np.random.default_rng(8), stratified=False)
    positives = permuted[:, 0, 1, 1].sum(axis=1)
    law = hypergeom(int(table.sum()), int(table[0, :, 1].sum()), int(table[0, 1].sum()))
    assert positives.mean() == pytest.approx(law.mean(), abs=4 * law.std() / math.sqrt(20000))
