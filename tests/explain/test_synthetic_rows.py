"""The chunk's synthetic rows, the stacked solve and the codec's float fast path.

Each is checked against the plain computation it replaces, byte for byte: the
rows the model sees, each record's attributions, the frame a model is handed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray

from openclarify.explain import explain, sample_coalitions
from openclarify.explain.kernel_shap import NORMAL_EQUATIONS_MAX_COND, _solve
from openclarify.explain.least_squares import solve_many
from openclarify.explain.scratch import Scratch
from openclarify.explain.tabular import TabularCodec

Arr = NDArray[np.float64]


def _naive_rows(x: Arr, bg: Arr, masks: NDArray[np.bool_]) -> Arr:
    """Row s·b + r: the record where coalition s has the feature, baseline row r elsewhere."""
    return np.where(masks[:, None, :], x[None, None, :], bg[None, :, :]).reshape(-1, x.size)


@pytest.mark.parametrize("features_to_explain", [None, [0, 2, 3]])
def test_model_sees_exactly_the_naive_rows(features_to_explain: list[int] | None) -> None:
    rng = np.random.default_rng(5)
    x, bg = rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    x[0, 1], bg[:, 1] = np.nan, np.nan  # NaN equal to NaN: not a player
    x[1, 2], bg[1, 2] = np.nan, 0.5
    x[2, 4], bg[:, 4] = -0.0, 1.0
    sent: list[Arr] = []

    def f(rows: Arr) -> Arr:
        sent.append(rows.copy())
        return np.nan_to_num(rows).sum(axis=1)

    explain(f, x, bg, num_samples=12, seed=3, features_to_explain=features_to_explain)
    rows = sent[1]
    explained = np.zeros(5, bool)
    explained[features_to_explain if features_to_explain is not None else slice(None)] = True
    expected = [x]
    for i in range(len(x)):
        differs = ~((x[i] == bg) | (np.isnan(x[i]) & np.isnan(bg)))
        players = differs.any(axis=0) & explained
        p_idx = np.flatnonzero(players)
        full = [~players[None, :]] if features_to_explain is not None else []
        coal = sample_coalitions(len(p_idx), 12, np.random.default_rng([3, i]))
        fm = np.broadcast_to(~players, (len(coal.masks), 5)).copy()
        fm[:, p_idx] = coal.masks
        expected.append(_naive_rows(x[i], bg, np.concatenate([*full, fm])))
    # byte equality: NaN payloads and the sign of zero survive too
    assert rows.tobytes() == np.concatenate(expected).tobytes()


def _problem(rng: np.random.Generator, r: int, s: int, m: int, k: int) -> tuple[Arr, ...]:
    masks = rng.random((r, s, m)) < 0.5
    return masks, rng.random((r, s)) + 0.1, rng.normal(size=(r, s, k)), rng.normal(size=(r, k))


def test_stacked_solve_is_each_records_own_solve() -> None:
    rng = np.random.default_rng(1)
    masks, weights, ey, delta = _problem(rng, 5, 300, 9, 2)
    masks[2, :, :] = masks[2, :1, :]  # one record with a singular design: lstsq fallback
    design = masks[2, 0, :-1].astype(float) - masks[2, 0, -1]
    assert np.linalg.cond(np.outer(design, design)) > NORMAL_EQUATIONS_MAX_COND
    stacked = solve_many(masks, weights, ey, delta, Scratch())
    for r in range(5):
        alone = _solve(masks[r], weights[r], ey[r], delta[r])
        assert stacked[r].tobytes() == alone.tobytes()
        np.testing.assert_allclose(stacked[r].sum(axis=0), delta[r], rtol=0, atol=1e-12)


def test_shared_design_is_each_records_own_solve() -> None:
    rng = np.random.default_rng(2)
    masks, weights, ey, delta = _problem(rng, 4, 200, 6, 1)
    shared = solve_many(masks[0], weights[0], ey, delta)
    for r in range(4):
        assert shared[r].tobytes() == _solve(masks[0], weights[0], ey[r], delta[r]).tobytes()


def test_scratch_reuse_does_not_leak_between_calls() -> None:
    rng = np.random.default_rng(3)
    big, small = _problem(rng, 3, 400, 8, 2), _problem(rng, 2, 50, 5, 1)
    scratch = Scratch()
    solve_many(*big, scratch)
    got = solve_many(*small, scratch)
    assert got.tobytes() == solve_many(*small).tobytes()


def test_float_frames_wrap_the_matrix() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(size=(6, 3)), columns=["a", "b", "c"])
    frame["b"] = frame["b"].astype(np.float32)
    codec = TabularCodec.fit(frame)
    matrix = np.asfortranarray(codec.encode(frame))
    decoded = codec.decode(matrix)
    assert np.shares_memory(decoded.to_numpy(), matrix)
    # what the column-by-column decoding gave: float64 columns (float32 values are
    # carried exactly), the same names and a RangeIndex
    expected = pd.DataFrame({name: matrix[:, j] for j, name in enumerate(frame.columns)})
    pd.testing.assert_frame_equal(decoded, expected, check_exact=True)


def test_other_dtypes_keep_their_decoding() -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5], "n": [1, 2], "t": ["u", "v"], "f": [True, False]})
    codec = TabularCodec.fit(frame)
    decoded = codec.decode(codec.encode(frame))
    pd.testing.assert_frame_equal(decoded, frame, check_exact=True)
