"""nDCG of two global SHAP vectors, computed as scikit-learn's ``ndcg_score``.

Model Monitor's attribution drift check ranks the features by their current
attribution and asks how much of the baseline's attribution that ranking puts
first (monitor-contract §4.3).  The formula is ported from scikit-learn
(``sklearn.metrics.ndcg_score`` with ``k=None``, ``ignore_ties=False``) so that
the package does not need scikit-learn at run time; ``tests/monitor`` checks it
against scikit-learn on random vectors, ties included.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["ndcg"]


def _discounts(n: int) -> np.ndarray:
    # Written exactly as scikit-learn writes it (1 / (ln(i + 2) / ln 2)), so that
    # both give the same floats, not merely close ones.
    return 1 / (np.log(np.arange(n) + 2) / np.log(2))


def _tie_averaged_dcg(relevance: np.ndarray, score: np.ndarray, discount: np.ndarray) -> float:
    """DCG averaged over every order of tied scores (McSherry & Najork 2008)."""
    _, inverse, counts = np.unique(-score, return_inverse=True, return_counts=True)
    ranked = np.zeros(len(counts))
    np.add.at(ranked, inverse.ravel(), relevance)
    ranked /= counts
    cumulative = np.cumsum(discount)
    last_of_group = np.cumsum(counts) - 1
    discount_sums = np.empty(len(counts))
    discount_sums[0] = cumulative[last_of_group[0]]
    discount_sums[1:] = np.diff(cumulative[last_of_group])
    return float((ranked * discount_sums).sum())


def ndcg(relevance: Sequence[float], score: Sequence[float]) -> float:
    """Normalised discounted cumulative gain of ``score``'s ranking of ``relevance``.

    .. math::

        \\mathrm{DCG} = \\sum_{i=1}^{n} \\frac{r_{\\pi(i)}}{\\log_2(i + 1)}, \\qquad
        \\mathrm{nDCG} = \\mathrm{DCG} / \\mathrm{IDCG}

    where :math:`\\pi` orders the items by decreasing ``score`` (tied items share
    the mean of their relevances and of their discounts) and IDCG is the DCG of
    the ideal order (by decreasing relevance).  Equal to
    ``sklearn.metrics.ndcg_score([relevance], [score])``.

    Parameters
    ----------
    relevance:
        Non-negative relevances (the baseline's global SHAP values, negatives
        already clipped to 0 by the caller).
    score:
        The scores that rank the items (the current global SHAP values), same
        length.

    Returns
    -------
    float
        In [0, 1]; 1 when ``score`` orders the items as ``relevance`` does.  0 when
        every relevance is 0 (IDCG = 0), as scikit-learn returns.  Unlike
        scikit-learn, one item is allowed (its nDCG is 1, or 0 if irrelevant).

    Raises
    ------
    ValueError
        Different lengths, no items, a negative or non-finite relevance, or a
        non-finite score.
    """
    rel = np.asarray(relevance, dtype=float)
    sc = np.asarray(score, dtype=float)
    if rel.ndim != 1 or rel.shape != sc.shape or rel.size == 0:
        raise ValueError("relevance and score must be non-empty vectors of one length")
    if not (np.isfinite(rel).all() and np.isfinite(sc).all()):
        raise ValueError("relevance and score must be finite")
    if rel.min() < 0:
        raise ValueError("relevance must not be negative")
    discount = _discounts(rel.size)
    ideal = float(discount.dot(rel[np.argsort(rel)[::-1]]))
    if ideal == 0:
        return 0.0
    return _tie_averaged_dcg(rel, sc, discount) / ideal
