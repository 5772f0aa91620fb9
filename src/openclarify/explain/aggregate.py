"""Global SHAP values from local ones (contract §6.5)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["AGG_METHODS", "aggregate"]

AggMethod = Literal["mean_abs", "median", "mean_sq"]

#: The ``agg_method`` values Clarify accepts; the first is the default.
AGG_METHODS: tuple[str, ...] = ("mean_abs", "median", "mean_sq")


def aggregate(phi: NDArray[np.floating], method: str = "mean_abs") -> NDArray[np.float64]:
    """Aggregate local attributions over records, per feature and output.

    For feature ``j`` (and output ``k``) over records ``i``:

    * ``mean_abs`` (default): ``mean_i |φ_ij|`` — range ``[0, ∞)``;
    * ``mean_sq``: ``mean_i φ_ij²`` — range ``[0, ∞)`` (not its square root);
    * ``median``: ``median_i φ_ij`` — signed, range ``(−∞, ∞)``.

    A feature with no influence has 0 under every method.

    Parameters
    ----------
    phi : array-like, shape (n, M) or (n, M, K)
        Local SHAP values, records first; ``n ≥ 1``.
    method : str
        One of :data:`AGG_METHODS`.

    Returns
    -------
    ndarray, shape ``phi.shape[1:]``
    """
    a = np.asarray(phi, dtype=np.float64)
    if a.ndim < 2 or a.shape[0] == 0:
        raise ValueError(f"phi must have shape (n >= 1, M[, K]), got {a.shape}")
    if method == "mean_abs":
        return np.asarray(np.abs(a).mean(axis=0))
    if method == "mean_sq":
        return np.asarray(np.square(a).mean(axis=0))
    if method == "median":
        return np.asarray(np.median(a, axis=0))
    raise ValueError(f"agg_method must be one of {', '.join(AGG_METHODS)}; got {method!r}")
