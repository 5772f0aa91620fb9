"""Known answers for the Kernel SHAP estimator, then the shap.KernelExplainer oracle.

Tolerances: the estimator ends in one least-squares solve on O(1) data, so a
quantity that is exact in real arithmetic comes out within a few hundred ulps
(~1e-13); 1e-9 leaves four orders of margin while still catching any real bias
(every algorithmic error we could make is ≥ 1e-3 on these models).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from openclarify.explain import (
    LOGIT_EPS,
    aggregate,
    default_num_samples,
    explain,
    logit,
    sample_coalitions,
)

EXACT_TOL = 1e-9  # see module docstring

Arr = NDArray[np.float64]
Model = Callable[[Arr], Arr]
Data = tuple[Arr, Arr]


def _nonlinear(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """Two outputs with interactions, a saturation and a square."""
    return np.stack(
        [
            np.tanh(a[:, 0] - 0.5 * a[:, 1]) + a[:, 0] * a[:, 2] + 0.3 * a[:, -1],
            a[:, 1] ** 2 - a[:, 2] * a[:, -1] + 1.0,
        ],
        axis=1,
    )


def _prob(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """A probability with interactions (for the logit link)."""
    z = a[:, 0] - 0.7 * a[:, 1] + a[:, 2] * a[:, 0] + 0.4 * a[:, -1]
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def _brute_force(f: Model, x: Arr, bg: Arr, link: Callable[[Arr], Arr] = lambda v: v) -> Arr:
    """Shapley values by the definition: Σ_S |S|!(M−|S|−1)!/M! (v(S∪j) − v(S))."""
    m = len(x)

    def v(s: tuple[int, ...]) -> NDArray[np.float64]:
        rows = bg.copy()
        rows[:, list(s)] = x[list(s)]
        out = np.asarray(f(rows), dtype=np.float64)
        return np.asarray(link(out.reshape(len(bg), -1).mean(axis=0)))

    phi = np.zeros((m, len(v(()))))
    for j in range(m):
        others = [i for i in range(m) if i != j]
        for size in range(m):
            w = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            for s in itertools.combinations(others, size):
                phi[j] += w * (v(tuple(sorted((*s, j)))) - v(s))
    return phi


@pytest.fixture
def data() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    rng = np.random.default_rng(20261122)
    return rng.normal(size=(6, 8)), rng.normal(size=(4, 8))


def test_default_num_samples() -> None:
    assert default_num_samples(1) == 0
    assert default_num_samples(2) == 2
    assert default_num_samples(4) == 14
    assert default_num_samples(11) == 2046  # 2^11 − 2 < 2·11 + 2048
    assert default_num_samples(12) == 2072  # 2·12 + 2048 < 4094
    assert default_num_samples(15) == 2078
    assert default_num_samples(100) == 2248
    with pytest.raises(ValueError):
        default_num_samples(0)


@pytest.mark.parametrize("n_bg", [1, 5])
@pytest.mark.parametrize("num_samples", [30, 2**7])  # sampled, and close to exhaustive
def test_linear_model_known_answer(n_bg: int, num_samples: int) -> None:
    # v(z) is linear in z, so any full-rank set of coalitions recovers it exactly:
    # φ_j = w_j (x_j − mean baseline_j).
    rng = np.random.default_rng(1)
    w = rng.normal(size=9)
    x, bg = rng.normal(size=(7, 9)), rng.normal(size=(n_bg, 9))
    phi, ev = explain(lambda a: a @ w + 2.0, x, bg, num_samples=num_samples, seed=3)
    assert phi.shape == (7, 9, 1)
    np.testing.assert_allclose(phi[:, :, 0], w * (x - bg.mean(axis=0)), rtol=0, atol=EXACT_TOL)
    np.testing.assert_allclose(ev, [bg.mean(axis=0) @ w + 2.0], rtol=0, atol=EXACT_TOL)


def test_null_model_gives_zeros(data: Data) -> None:
    x, bg = data
    phi, ev = explain(lambda a: np.full((len(a), 2), 0.25), x, bg, num_samples=40, seed=0)
    np.testing.assert_allclose(phi, 0.0, rtol=0, atol=EXACT_TOL)
    np.testing.assert_allclose(ev, [0.25, 0.25], rtol=0, atol=EXACT_TOL)


@pytest.mark.parametrize("use_logit", [False, True])
def test_additivity_every_row(data: Data, use_logit: bool) -> None:
    x, bg = data
    f = _prob if use_logit else _nonlinear
    phi, ev = explain(f, x, bg, num_samples=60, seed=5, use_logit=use_logit)
    fx = f(x).reshape(len(x), -1)
    target = logit(fx) if use_logit else fx
    np.testing.assert_allclose(phi.sum(axis=1) + ev, target, rtol=0, atol=EXACT_TOL)


@pytest.mark.parametrize("m", [3, 4, 6])
@pytest.mark.parametrize("use_logit", [False, True])
def test_exact_enumeration_equals_brute_force(m: int, use_logit: bool) -> None:
    rng = np.random.default_rng(m)
    x, bg = rng.normal(size=(3, m)), rng.normal(size=(3, m))
    f = _prob if use_logit else _nonlinear
    link = logit if use_logit else (lambda v: v)
    for num_samples in (2**m - 2, 10_000):  # the exact threshold and above it
        phi, _ = explain(f, x, bg, num_samples=num_samples, seed=0, use_logit=use_logit)
        for i in range(len(x)):
            np.testing.assert_allclose(
                phi[i], _brute_force(f, x[i], bg, link), rtol=0, atol=EXACT_TOL
            )


def test_default_budget_is_exact_for_small_m() -> None:
    coal = sample_coalitions(6, default_num_samples(6), np.random.default_rng(0))
    assert coal.exact and len(coal.masks) == 2**6 - 2
    assert len({m.tobytes() for m in coal.masks}) == 2**6 - 2


def test_sampled_coalitions_respect_budget() -> None:
    for m, budget in [(8, 100), (9, 300), (15, 2078), (20, 50)]:
        coal = sample_coalitions(m, budget, np.random.default_rng(m))
        assert not coal.exact
        assert len(coal.masks) <= budget
        assert len(coal.masks) >= budget - 1  # shap stops once the budget is used
        assert len({r.tobytes() for r in coal.masks}) == len(coal.masks)  # no duplicates
        sizes = coal.masks.sum(axis=1)
        assert sizes.min() >= 1 and sizes.max() <= m - 1
        assert (coal.weights > 0).all()


def test_chunking_does_not_change_results(data: Data) -> None:
    x, bg = data
    one, ev1 = explain(_nonlinear, x, bg, num_samples=50, seed=11)
    many, ev2 = explain(_nonlinear, x, bg, num_samples=50, seed=11, chunk_rows=4)
    single, _ = explain(_nonlinear, x, bg, num_samples=50, seed=11, chunk_rows=1)
    # same coalitions and the same model rows, so bit-identical
    np.testing.assert_array_equal(one, many)
    np.testing.assert_array_equal(one, single)
    np.testing.assert_array_equal(ev1, ev2)
    # explaining a slice with its global row offset reproduces those rows
    part, _ = explain(_nonlinear, x[2:5], bg, num_samples=50, seed=11, row_offset=2)
    np.testing.assert_array_equal(part, one[2:5])


def test_seeds_matter_only_when_sampling(data: Data) -> None:
    x, bg = data
    a, _ = explain(_nonlinear, x, bg, num_samples=50, seed=1)
    b, _ = explain(_nonlinear, x, bg, num_samples=50, seed=2)
    assert np.abs(a - b).max() > 1e-3
    e1, _ = explain(_nonlinear, x[:, :5], bg[:, :5], num_samples=30, seed=1)
    e2, _ = explain(_nonlinear, x[:, :5], bg[:, :5], num_samples=30, seed=2)
    np.testing.assert_array_equal(e1, e2)  # 30 ≥ 2^5 − 2: exact, seed unused


def test_predict_is_called_in_large_batches(data: Data) -> None:
    x, bg = data
    calls: list[int] = []

    def f(a: NDArray[np.float64]) -> NDArray[np.float64]:
        calls.append(len(a))
        return _nonlinear(a)

    explain(f, x, bg, num_samples=50, seed=0)
    assert calls[0] == len(bg)  # the baseline, once
    assert len(calls) == 2  # then the whole chunk in one call
    assert calls[1] == len(x) * (1 + 50 * len(bg))  # records + synthetic rows


def test_dummy_features_get_zero(data: Data) -> None:
    x, bg = data
    x = x.copy()
    bg = bg.copy()
    bg[:, 3] = 7.0
    x[:, 3] = 7.0  # equal to every baseline row: a dummy player
    phi, ev = explain(_nonlinear, x, bg, num_samples=40, seed=0)
    assert (phi[:, 3] == 0).all()
    np.testing.assert_allclose(phi.sum(axis=1) + ev, _nonlinear(x), rtol=0, atol=EXACT_TOL)
    # a single varying feature takes the whole difference
    one = np.repeat(bg[:1], 2, axis=0)
    one[:, 5] += 1.0
    phi1, ev1 = explain(_nonlinear, one, bg[:1], num_samples=40, seed=0)
    np.testing.assert_allclose(phi1[:, 5], _nonlinear(one) - ev1, rtol=0, atol=EXACT_TOL)
    assert (np.delete(phi1, 5, axis=1) == 0).all()


def test_features_to_explain(data: Data) -> None:
    x, bg = data
    keep = [0, 2, 7]
    phi, _ = explain(_nonlinear, x, bg, num_samples=10_000, features_to_explain=keep, seed=0)
    assert (np.delete(phi, keep, axis=1) == 0).all()
    # the others are always present: exact Shapley values of the game on `keep` with
    # the remaining columns taken from the record
    for i in range(len(x)):
        bg_i = bg.copy()
        others = [j for j in range(8) if j not in keep]
        bg_i[:, others] = x[i, others]
        expect = _brute_force(_nonlinear, x[i], bg_i)[keep]
        np.testing.assert_allclose(phi[i, keep], expect, rtol=0, atol=EXACT_TOL)


def test_logit_clips() -> None:
    out = logit(np.array([0.0, 0.5, 1.0]))
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[1], 0.0, atol=0)
    # ln((1 − ε)/ε) evaluated to ~1 ulp; the result is symmetric
    np.testing.assert_allclose(out[2], math.log1p(-LOGIT_EPS) - math.log(LOGIT_EPS), rtol=1e-15)
    assert out[0] == -out[2]
    p = np.array([1e-6, 0.2, 0.999])  # inside the clip: the plain formula
    np.testing.assert_allclose(logit(p), np.log(p / (1 - p)), rtol=1e-12)


def test_aggregation_methods() -> None:
    phi = np.array([[1.0, -2.0], [-3.0, 0.0], [2.0, 4.0]])  # 3 records × 2 features
    np.testing.assert_array_equal(aggregate(phi), [2.0, 2.0])
    np.testing.assert_array_equal(aggregate(phi, "mean_abs"), [2.0, 2.0])
    np.testing.assert_array_equal(aggregate(phi, "median"), [1.0, 0.0])
    np.testing.assert_array_equal(aggregate(phi, "mean_sq"), [14.0 / 3.0, 20.0 / 3.0])
    three = np.stack([phi, -phi], axis=2)  # per output
    np.testing.assert_array_equal(aggregate(three, "median")[:, 1], [-1.0, 0.0])
    with pytest.raises(ValueError, match="agg_method"):
        aggregate(phi, "max")


def test_input_validation(data: Data) -> None:
    x, bg = data
    with pytest.raises(ValueError, match="same number of columns"):
        explain(_nonlinear, x, bg[:, :3])
    with pytest.raises(ValueError, match="one row of scores"):
        explain(lambda a: np.zeros((1, 1)), x, bg, num_samples=10, seed=0)


# --------------------------------------------------------------------------- oracle


def _shap_values(
    f: Model, x: Arr, bg: Arr, nsamples: int, link: str = "identity"
) -> NDArray[np.float64]:
    """shap.KernelExplainer's values as (n, M, K); shap is in the dev extra."""
    import shap  # imported here so the known-answer tests never depend on it

    with warnings.catch_warnings():
        # shap's own imports/progress code may warn (numba, tqdm); not our concern
        warnings.simplefilter("ignore")
        explainer = shap.KernelExplainer(f, bg, link=link)
        out = explainer.shap_values(x, nsamples=nsamples, l1_reg=False, silent=True)
    return np.asarray(out, dtype=np.float64).reshape(len(x), x.shape[1], -1)


@pytest.mark.parametrize("use_logit", [False, True])
def test_oracle_exact(use_logit: bool) -> None:
    # With nsamples = 2^M − 2 both enumerate every coalition with the Shapley kernel
    # and solve the same constrained WLS: the values are the same numbers, differing
    # only by the rounding of two solvers (shap uses the normal equations, squaring a
    # condition number of O(10) here): ≤ 5e-16 observed, 1e-9 asserted.
    rng = np.random.default_rng(7)
    x, bg = rng.normal(size=(5, 4)), rng.normal(size=(3, 4))
    f = _prob if use_logit else (lambda a: _nonlinear(a)[:, 0])
    ours, _ = explain(f, x, bg, num_samples=2**4 - 2, seed=0, use_logit=use_logit)
    theirs = _shap_values(f, x, bg, 2**4 - 2, "logit" if use_logit else "identity")
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=EXACT_TOL)


def test_oracle_sampled() -> None:
    # M = 8 with 100 of the 254 coalitions: both estimators are random, so compare
    # their distributions. Our values come from 40 seeds, shap's from 20 global seeds
    # (shap samples from numpy's global generator). Each value's mean has standard
    # error se = √(σ_ours²/40 + σ_shap²/20), σ measured here. Same distribution ⇒
    # |mean_ours − mean_shap| ≤ 5·se for all 48 values (a Gaussian 5σ miss in any of
    # 48 has probability < 3e-5); observed max 0.42–0.47 of that bound on four data
    # sets. Power: replacing the kernel weights by uniform ones gives 1.2× the bound,
    # so a wrong weighting or pairing fails. Spreads must agree within a factor 3 (the
    # ratio of sample SDs with 39 and 19 degrees of freedom stays in [0.45, 2.3] with
    # probability 0.9999; observed 0.51–1.84).
    m, nsamples, n_ours, n_shap = 8, 100, 40, 20
    rng = np.random.default_rng(8)
    x, bg = rng.normal(size=(6, m)), rng.normal(size=(2, m))

    def f(a: Arr) -> Arr:
        return _nonlinear(a)[:, 0] + np.sin(a[:, 3] * a[:, 4]) + a[:, 5] * a[:, 6] * a[:, 7]

    ours = np.stack([explain(f, x, bg, num_samples=nsamples, seed=s).phi for s in range(n_ours)])
    state = np.random.get_state()
    try:
        theirs = []
        for s in range(n_shap):
            np.random.seed(s)  # restored below
            theirs.append(_shap_values(f, x, bg, nsamples))
    finally:
        np.random.set_state(state)
    shap_runs = np.stack(theirs)
    sd_ours, sd_shap = ours.std(axis=0, ddof=1), shap_runs.std(axis=0, ddof=1)
    assert sd_ours.min() > 1e-4  # really sampling (not exhaustive)
    se = np.sqrt(sd_ours**2 / n_ours + sd_shap**2 / n_shap)
    gap = np.abs(ours.mean(axis=0) - shap_runs.mean(axis=0))
    assert (gap <= 5 * se).all(), (gap / (5 * se)).max()
    ratio = sd_ours / sd_shap
    assert ((ratio > 1 / 3) & (ratio < 3)).all(), ratio


def test_a_rank_deficient_sample_still_adds_up() -> None:
    """Two coalitions for six players: the normal equations are singular, so the
    solver must fall back to the minimum-norm least-squares solution — finite
    values whose sum is still exactly the prediction minus the expected value."""
    from openclarify.explain.kernel_shap import NORMAL_EQUATIONS_MAX_COND, _solve

    rng = np.random.default_rng(3)
    x, bg = rng.normal(size=(3, 6)), rng.normal(size=(2, 6))
    phi, ev = explain(_nonlinear, x, bg, num_samples=2, seed=1)
    assert np.isfinite(phi).all()
    np.testing.assert_allclose(phi.sum(axis=1) + ev, _nonlinear(x), rtol=0, atol=EXACT_TOL)
    # the guard is what chose the path: this design is far beyond it
    masks = np.array([[1, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 1]], dtype=bool)
    z = masks.astype(float)
    xd = z[:, :-1] - z[:, -1:]
    assert np.linalg.cond(xd.T @ xd) > NORMAL_EQUATIONS_MAX_COND
    got = _solve(masks, np.ones(2), np.array([[0.5], [1.5]]), np.array([2.0]))
    assert got.sum() == pytest.approx(2.0, abs=1e-12) and np.isfinite(got).all()


def test_parts_cut_on_call_boundaries_send_the_same_calls() -> None:
    # records_per_call is explain's own chunk size; parts cut at its multiples and run
    # with it as chunk_rows send the model the very matrices of the whole run
    from openclarify.explain.kernel_shap import records_per_call

    rng = np.random.default_rng(4)
    x, bg = rng.normal(size=(11, 7)), rng.normal(size=(2, 7))
    x[3, 2:] = bg[0, 2:]  # a record with fewer players: calls differ in size

    def recording(calls: list[Arr]) -> Model:
        def predict(rows: Arr) -> Arr:
            calls.append(rows.copy())
            return _nonlinear(rows)

        return predict

    settings = {"num_samples": 20, "seed": 9, "max_batch_rows": 130}
    whole: list[Arr] = []
    expected = explain(recording(whole), x, bg, **settings)
    per_call = records_per_call(x, bg, **settings)
    assert 1 < per_call < len(x)  # several calls of several records
    parts: list[Arr] = []
    phi = []
    for lo in range(0, len(x), 2 * per_call):
        calls: list[Arr] = []
        hi = min(len(x), lo + 2 * per_call)
        result = explain(
            recording(calls), x[lo:hi], bg, row_offset=lo, chunk_rows=per_call, **settings
        )
        parts.extend(calls[1:])  # each part first evaluates the baseline, as the whole does
        phi.append(result.phi)
    assert len(parts) == len(whole) - 1
    for one, other in zip(parts, whole[1:], strict=True):
        np.testing.assert_array_equal(one, other)
    np.testing.assert_array_equal(np.concatenate(phi), expected.phi)
