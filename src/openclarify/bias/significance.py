"""p-values against "no association between facet and outcome", one test per metric family.

Which test, and why:

* **labels** (DPL, KL, JS, LP, TVD, KS) and **predictions** (DPPL, DI) — every
  one of these metrics is a function of the 2×2 table facet × label (or facet
  × predicted label), and "no association" is independence in that table.
  **Fisher's exact test** (two-sided, :func:`scipy.stats.fisher_exact`) is the
  permutation test of that table enumerated exactly (the hypergeometric law of
  ``d``'s positives given the margins): exact at every size, no Monte Carlo
  error, and valid for the tiny groups where a χ² approximation is not.
* **errors** (AD, DAR, DCA, DCR, DRR, RD, SD, TE) — functions of the full
  confusion cells (``y`` × ``ŷ``) of both groups; no closed-form exact test
  exists for each.  A **permutation test** of the facet column, done on the
  counts (:func:`~.resampling.permuted_tables`), with the metric itself as the
  statistic: ``p = (1 + #{|T* − fair| ≥ |T − fair|}) / (1 + B)`` over the
  permutations where the metric is defined (valid: ``P(p ≤ α) ≤ α``).
* **conditional** (CDDL, CDDPL) — the null is "no association *within* each
  value of the group variable", so the permutation is **stratified** by it.
* **sizes** (CI) compares group sizes and does not involve the outcome,
  **global** (GE) does not depend on the facet at all: no association to test,
  ``p_value`` is ``null`` and ``test`` says why.  **neighbours** (FT) is not a
  function of counts: neither interval nor p-value.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .registry import Family, MetricSpec

#: The ``test`` string written next to each p-value.
TEST_NAME: dict[Family, str | None] = {
    "labels": "fisher_exact(facet x label)",
    "predictions": "fisher_exact(facet x predicted label)",
    "errors": "permutation(facet)",
    "conditional": "permutation(facet within group_variable)",
    "sizes": None,
    "global": None,
    "neighbours": None,
}

#: Why a family has no p-value.
NO_TEST: dict[Family, str] = {
    "sizes": "CI compares group sizes; it does not involve the outcome",
    "global": "GE does not depend on the facet",
    "neighbours": "FT is a neighbour search over feature rows, not a function of counts",
}


def fisher_p_value(table: npt.NDArray[np.int64], predicted: bool) -> float:
    """Two-sided Fisher exact p-value of facet × (predicted) label."""
    from scipy.stats import fisher_exact

    cells = table.sum(axis=0)  # (d, y, ŷ)
    outcome = cells.sum(axis=1) if predicted else cells.sum(axis=2)  # (d, o)
    contingency = [
        [int(outcome[1, 1]), int(outcome[1, 0])],
        [int(outcome[0, 1]), int(outcome[0, 0])],
    ]
    return float(fisher_exact(contingency, alternative="two-sided").pvalue)


def _distance(values: npt.NDArray[np.float64], fair: float) -> npt.NDArray[np.float64]:
    with np.errstate(invalid="ignore"):
        return np.abs(values - fair)


def permutation_p_value(
    spec: MetricSpec,
    observed: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None],
    permuted: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None],
) -> float | None:
    """Monte Carlo permutation p-value of ``spec`` (``None`` when undefined).

    ``observed`` and ``permuted`` are batched ``(cells, grouped)`` pairs
    (:func:`~.resampling.split`), of the data (one table) and of the
    permutations.  The observed statistic is computed by the same batched
    arithmetic as the permuted ones, so that a permutation reproducing the
    observed table ties with it exactly (it must count as "at least as extreme").
    """
    batched = spec.batched
    assert batched is not None
    value = batched(*observed)[0]
    if np.isnan(value):
        return None
    values = batched(*permuted)
    defined = values[~np.isnan(values)]
    fair = spec.fair_value
    extreme = int(np.count_nonzero(_distance(defined, fair) >= _distance(np.array(value), fair)))
    return (1 + extreme) / (1 + len(defined))
