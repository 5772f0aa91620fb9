"""openclarify: an open, exact and fast drop-in for the SageMaker Clarify container.

Python API::

    import openclarify
    result = openclarify.analyze("analysis_config.json", "data.csv")
    result.to_dict()          # the analysis.json document
    result.metrics_frame()    # a pandas table of every bias metric
"""

__version__ = "0.1.0"

from .errors import ConfigError, DatasetError, UserError
from .job import analyze, run
from .results import AnalysisResult

__all__ = [
    "AnalysisResult",
    "ConfigError",
    "DatasetError",
    "UserError",
    "__version__",
    "analyze",
    "run",
]
