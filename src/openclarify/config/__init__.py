"""Typed models of ``analysis_config.json`` and the loader that validates it.

>>> from openclarify.config import load_config
>>> config = load_config({"dataset_type": "TEXT/CSV", "methods": {}})
>>> config.dataset_type
'text/csv'

Public API: :func:`load_config`, :func:`config_json_schema`, :data:`DEFAULTS` and
the model classes (:class:`AnalysisConfig` and one class per nested object).

Which module to open for what:

* :mod:`~openclarify.config.loader`: reading the file, validation errors, the JSON Schema.
* :mod:`~openclarify.config.models`: :class:`AnalysisConfig`, the top-level keys.
* :mod:`~openclarify.config.dataset`: ``facet``, ``segment_config``, ``time_series_data_config``.
* :mod:`~openclarify.config.methods`: ``methods`` and its bias, ``pdp`` and ``report`` objects.
* :mod:`~openclarify.config.shap`: ``methods.shap`` with its baseline, text and image objects.
* :mod:`~openclarify.config.asv`: ``methods.asymmetric_shapley_value``.
* :mod:`~openclarify.config.predictor`: ``predictor`` and its ``openclarify`` extension.
* :mod:`~openclarify.config.extension`: the top-level ``openclarify`` object (statistics beyond Clarify).
* :mod:`~openclarify.config.base`: :class:`ConfigModel`, the base of every model.
* :mod:`~openclarify.config.fields`: the field types and the validation helpers.
* :mod:`~openclarify.config.defaults`: default values and the metric names.
"""

from openclarify.config.asv import AsvBaselineConfig, AsymmetricShapleyValueConfig
from openclarify.config.base import ConfigModel
from openclarify.config.dataset import FacetConfig, SegmentConfig, TimeSeriesDataConfig
from openclarify.config.defaults import DEFAULTS, POST_TRAINING_METRICS, PRE_TRAINING_METRICS
from openclarify.config.extension import BeyondClarifyConfig, UncertaintyConfig
from openclarify.config.loader import (
    config_error_from_validation,
    config_json_schema,
    load_config,
    validate_config,
)
from openclarify.config.methods import (
    MethodsConfig,
    PdpConfig,
    PostTrainingBiasConfig,
    PreTrainingBiasConfig,
    ReportConfig,
)
from openclarify.config.models import AnalysisConfig
from openclarify.config.predictor import (
    LocalPredictorExtension,
    PredictorConfig,
    TimeSeriesPredictorConfig,
)
from openclarify.config.shap import ImageConfig, ImageDebugConfig, ShapConfig, TextConfig

__all__ = [
    "DEFAULTS",
    "POST_TRAINING_METRICS",
    "PRE_TRAINING_METRICS",
    "AnalysisConfig",
    "AsvBaselineConfig",
    "AsymmetricShapleyValueConfig",
    "BeyondClarifyConfig",
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
    "UncertaintyConfig",
    "config_error_from_validation",
    "config_json_schema",
    "load_config",
    "validate_config",
]
