"""openclarify: an open, exact and fast drop-in for the SageMaker Clarify container.

Python API::

    import openclarify
    result = openclarify.analyze("analysis_config.json", "data.csv")
    result.to_dict()          # the analysis.json document
    result.metrics_frame()    # a pandas table of every bias metric

    result = openclarify.bias(df, label="y", label_values=[1], facet="group")
    result.plot(); result.report("out/")

Heavy modules (pandas, scikit-learn) are imported on first use, so that the
container can install its signal handlers before anything slow happens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConfigError, DatasetError, UserError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .frames import bias, explain
    from .job import analyze, run
    from .results import AnalysisResult

_LAZY = {
    "analyze": "job",
    "run": "job",
    "bias": "bias",
    "explain": "explain",
    "AnalysisResult": "results",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        module = import_module(f".{_LAZY[name]}", __name__)
        # bias, explain: the packages, callable (openclarify._callable)
        return module if name in ("bias", "explain") else getattr(module, name)
    raise AttributeError(f"module 'openclarify' has no attribute {name!r}")


__all__ = [
    "AnalysisResult",
    "ConfigError",
    "DatasetError",
    "UserError",
    "__version__",
    "analyze",
    "bias",
    "explain",
    "run",
]
