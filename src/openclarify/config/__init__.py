"""Typed models of ``analysis_config.json`` and the loader that validates it.

>>> from openclarify.config import load_config
>>> config = load_config({"dataset_type": "TEXT/CSV", "methods": {}})
>>> config.dataset_type
'text/csv'

Public API: :func:`load_config`, :func:`config_json_schema`, :data:`DEFAULTS` and
the model classes (:class:`AnalysisConfig` and one class per nested object).
"""

from openclarify.config.defaults import DEFAULTS, POST_TRAINING_METRICS, PRE_TRAINING_METRICS
from openclarify.config.loader import (
    config_error_from_validation,
    config_json_schema,
    load_config,
    validate_config,
)
from openclarify.config.models import (
    AnalysisConfig,
    AsvBaselineConfig,
    AsymmetricShapleyValueConfig,
    ConfigModel,
    FacetConfig,
    ImageConfig,
    ImageDebugConfig,
    LocalPredictorExtension,
    MethodsConfig,
    PdpConfig,
    PostTrainingBiasConfig,
    PredictorConfig,
    PreTrainingBiasConfig,
    ReportConfig,
    SegmentConfig,
    ShapConfig,
    TextConfig,
    TimeSeriesDataConfig,
    TimeSeriesPredictorConfig,
)

__all__ = [
    "DEFAULTS",
    "POST_TRAINING_METRICS",
    "PRE_TRAINING_METRICS",
    "AnalysisConfig",
    "AsvBaselineConfig",
    "AsymmetricShapleyValueConfig",
    "ConfigModel",
    "FacetConfig",
    "ImageConfig",
    "ImageDebugConfig",
    "LocalPredictorExtension",
    "MethodsConfig",
    "PdpConfig",
    "PostTrainingBiasConfig",
    "PreTrainingBiasConfig",
    "PredictorConfig",
    "ReportConfig",
    "SegmentConfig",
    "ShapConfig",
    "TextConfig",
    "TimeSeriesDataConfig",
    "TimeSeriesPredictorConfig",
    "config_error_from_validation",
    "config_json_schema",
    "load_config",
    "validate_config",
]
