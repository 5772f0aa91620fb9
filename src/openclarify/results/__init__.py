"""Results of an analysis and their serialisation (``analysis.json``)."""

from .model import AnalysisResult, BiasSection, FacetGroupResult, MetricResult, json_value
from .serialize import dumps_analysis, write_atomic

__all__ = [
    "AnalysisResult",
    "BiasSection",
    "FacetGroupResult",
    "MetricResult",
    "dumps_analysis",
    "json_value",
    "write_atomic",
]
