"""The constrained weighted least-squares fit of one record's Shapley values."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Largest condition number of the normal equations solved directly (see ``_solve``).
NORMAL_EQUATIONS_MAX_COND = 1e6


def _solve(
    masks: NDArray[np.bool_],
    weights: NDArray[np.float64],
    ey_adj: NDArray[np.float64],
    delta: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Constrained weighted least squares for one record, all outputs at once.

    Minimises ``Σ_s w_s (ey_adj[s] − z_s·φ)²`` subject to ``Σ_j φ_j = Δ`` by
    eliminating the last player, ``φ_M = Δ − Σ_{j<M} φ_j``, which turns the problem
    into the unconstrained fit of ``ey_adj − z_M Δ`` on ``z_j − z_M`` (as shap
    does).

    Solved through the normal equations ``(XᵀWX) φ = XᵀWy`` — an (M−1)² system,
    eight times faster than an SVD of the samples — whenever their condition
    number is below :data:`NORMAL_EQUATIONS_MAX_COND` (relative error then below
    ``1e6 · 2⁻⁵² ≈ 2e-10``; Shapley-kernel designs are typically around 1e2).
    Otherwise, e.g. for a rank-deficient sample, ``lstsq`` on the √w-scaled system
    gives the minimum-norm solution instead of amplified rounding.

    Returns ``φ`` of shape (M, K); ``φ.sum(0) == Δ`` up to one rounding.
    """
    z = masks.astype(np.float64)
    y2 = ey_adj - z[:, -1:] * delta[None, :]
    x = z[:, :-1] - z[:, -1:]
    xw = x * weights[:, None]
    gram = xw.T @ x
    if np.linalg.cond(gram) < NORMAL_EQUATIONS_MAX_COND:
        w_sol = np.asarray(np.linalg.solve(gram, xw.T @ y2), dtype=np.float64)
    else:
        sw = np.sqrt(weights)[:, None]
        w_sol = np.asarray(np.linalg.lstsq(x * sw, y2 * sw, rcond=None)[0], dtype=np.float64)
    return np.concatenate([w_sol, (delta - w_sol.sum(axis=0))[None, :]], axis=0)
