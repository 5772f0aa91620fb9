"""Explainability: the Kernel SHAP estimator and global aggregation (contract §6)."""

from openclarify.explain.aggregate import AGG_METHODS, aggregate
from openclarify.explain.kernel_shap import (
    LOGIT_EPS,
    Coalitions,
    KernelShapResult,
    default_num_samples,
    explain,
    logit,
    sample_coalitions,
)

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
