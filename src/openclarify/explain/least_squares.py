"""The constrained weighted least-squares fit of records' Shapley values."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .scratch import Scratch

#: Largest condition number of the normal equations solved directly (see ``solve_many``).
NORMAL_EQUATIONS_MAX_COND = 1e6


def solve_many(
    masks: NDArray[np.bool_],
    weights: NDArray[np.float64],
    ey_adj: NDArray[np.float64],
    delta: NDArray[np.float64],
    scratch: Scratch | None = None,
) -> NDArray[np.float64]:
    """Constrained weighted least squares for ``R`` records, all outputs at once.

    For each record ``r`` minimises ``Σ_s w_s (ey_adj[r, s] − z_s·φ)²`` subject to
    ``Σ_j φ_j = Δ_r`` by eliminating the last player, ``φ_M = Δ − Σ_{j<M} φ_j``,
    which turns the problem into the unconstrained fit of ``ey_adj − z_M Δ`` on
    ``z_j − z_M`` (as shap does).

    Solved through the normal equations ``(XᵀWX) φ = XᵀWy`` — an (M−1)² system,
    eight times faster than an SVD of the samples — whenever their condition
    number is below :data:`NORMAL_EQUATIONS_MAX_COND` (relative error then below
    ``1e6 · 2⁻⁵² ≈ 2e-10``; Shapley-kernel designs are typically around 1e2).
    Otherwise, e.g. for a rank-deficient sample, ``lstsq`` on the √w-scaled system
    gives the minimum-norm solution instead of amplified rounding.

    The records are solved as stacks (numpy runs the same BLAS/LAPACK call on
    each matrix of a stack), so every record's result is bit for bit the one it
    would get alone, whatever the other records.

    Parameters
    ----------
    masks : ndarray of bool, shape (R, S, M) or (S, M)
        Coalitions of each record; 2-D when all records share them (then the
        design matrix and its factorisation are computed once).
    weights : ndarray, shape (R, S) or (S,)
        Regression weights, shaped like ``masks`` without its last axis.
    ey_adj : ndarray, shape (R, S, K)
        ``v(z) − v(0)`` per coalition and output.
    delta : ndarray, shape (R, K)
        ``v(1) − v(0)``: what each record's attributions must add up to.
    scratch : Scratch, optional
        Where the large temporaries live (reused between calls).

    Returns
    -------
    ndarray, shape (R, M, K)
        ``φ``; ``φ[r].sum(0) == Δ_r`` up to one rounding.
    """
    work = scratch or Scratch()
    z = work.get("z", masks.shape)
    np.copyto(z, masks, casting="unsafe")  # 0.0 / 1.0
    y2 = work.get("y2", ey_adj.shape)
    np.multiply(z[..., -1:], delta[:, None, :], out=y2)
    np.subtract(ey_adj, y2, out=y2)  # ey_adj − z_M Δ
    x = work.get("x", (*masks.shape[:-1], masks.shape[-1] - 1))
    np.subtract(z[..., :-1], z[..., -1:], out=x)
    xw = work.get("xw", x.shape)
    np.multiply(x, weights[..., None], out=xw)
    xw_t = np.swapaxes(xw, -1, -2)
    gram = xw_t @ x
    rhs = xw_t @ y2
    well = np.linalg.cond(gram) < NORMAL_EQUATIONS_MAX_COND
    n, k = delta.shape
    w_sol = np.empty((n, masks.shape[-1] - 1, k))
    if gram.ndim == 2:  # one design for every record
        if well:
            w_sol[...] = np.linalg.solve(gram, rhs)
        else:
            sw = np.sqrt(weights)[:, None]
            for r in range(n):
                w_sol[r] = np.linalg.lstsq(x * sw, y2[r] * sw, rcond=None)[0]
    else:
        if well.all():
            w_sol[...] = np.linalg.solve(gram, rhs)
        else:
            if well.any():
                w_sol[well] = np.linalg.solve(gram[well], rhs[well])
            for r in np.flatnonzero(~well).tolist():
                sw = np.sqrt(weights[r])[:, None]
                w_sol[r] = np.linalg.lstsq(x[r] * sw, y2[r] * sw, rcond=None)[0]
    return np.concatenate([w_sol, (delta - w_sol.sum(axis=1))[:, None, :]], axis=1)


def _solve(
    masks: NDArray[np.bool_],
    weights: NDArray[np.float64],
    ey_adj: NDArray[np.float64],
    delta: NDArray[np.float64],
) -> NDArray[np.float64]:
    """:func:`solve_many` for one record: masks (S, M), weights (S,), ey_adj (S, K),
    delta (K,); returns ``φ`` of shape (M, K)."""
    return solve_many(masks[None], weights[None], ey_adj[None], delta[None])[0]
