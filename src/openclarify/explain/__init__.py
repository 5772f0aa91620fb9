"""Explainability: the Kernel SHAP estimator and global aggregation (contract §6).

Which module to open for what:

* :mod:`.kernel_shap` — :func:`explain`, the estimator driver (players, the
  model calls, the attributions of a chunk) and the logit link;
* :mod:`.chunks` — a chunk of records ready for the model: their coalitions,
  where each synthetic value comes from, the synthetic rows;
* :mod:`.coalitions` — which coalitions a record is evaluated on, with their
  regression weights; :mod:`.least_squares` — the constrained weighted fit;
* :mod:`.aggregate` — global values from the local ones;
* :mod:`.shap_values` — Kernel SHAP over a table's records: output labels, feature
  names, :class:`~openclarify.explain.shap_values.ShapExplanation`;
* :mod:`.method` — SHAP and PDP as units of the job (:mod:`openclarify.methods`);
* :mod:`.analysis` — ``methods.shap`` and ``methods.pdp`` of a job (baseline
  from :mod:`.baseline` / :mod:`.baseline_input`, encoding from
  :mod:`.tabular`, partial dependence from :mod:`.pdp`).
"""

from openclarify.explain.aggregate import AGG_METHODS, aggregate
from openclarify.explain.coalitions import Coalitions, default_num_samples, sample_coalitions
from openclarify.explain.kernel_shap import LOGIT_EPS, KernelShapResult, explain, logit

__all__ = [
    "AGG_METHODS",
    "LOGIT_EPS",
    "Coalitions",
    "KernelShapResult",
    "aggregate",
    "default_num_samples",
    "explain",
    "logit",
    "sample_coalitions",
]

from openclarify._callable import make_callable

# ``openclarify.explain(df, model, ...)``: this package is callable (see openclarify._callable)
make_callable(__name__, "explain")
