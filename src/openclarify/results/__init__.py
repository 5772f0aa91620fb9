"""Results of an analysis and their serialisation (``analysis.json``).

Depends on nothing above it: the report, the job and the front doors read these.
``model`` holds the ``analysis.json`` shapes, ``statistics`` the per-group numbers
the report shows beyond them, ``text`` the explained texts it shows, ``serialize`` the byte-stable, atomic writing.
"""

from .model import (
    BEYOND_KEY,
    AnalysisResult,
    BiasSection,
    FacetGroupResult,
    MetricResult,
    OutputFile,
    json_value,
)
from .segments import (
    EMPTY_SEGMENT_ERROR,
    SEGMENT_ANALYSIS_KEY,
    SegmentationResult,
    SegmentResult,
)
from .serialize import ANALYSIS_FILE, dumps_analysis, journal, write_atomic
from .statistics import ReportStats
from .text import TextExample

__all__ = [
    "ANALYSIS_FILE",
    "BEYOND_KEY",
    "EMPTY_SEGMENT_ERROR",
    "SEGMENT_ANALYSIS_KEY",
    "AnalysisResult",
    "BiasSection",
    "FacetGroupResult",
    "MetricResult",
    "OutputFile",
    "ReportStats",
    "SegmentResult",
    "SegmentationResult",
    "TextExample",
    "dumps_analysis",
    "journal",
    "json_value",
    "write_atomic",
]
