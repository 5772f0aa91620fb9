"""One table of defaults and enumerations for ``analysis_config.json``.

Everything the container fills in when a key is absent lives in :data:`DEFAULTS`,
keyed by the key's JSON path without the leading ``$.`` (list items are written
``facet[]``).  The models keep ``None`` for an absent key, so code that must know
whether the user *asked* for something (``num_clusters``, ``num_samples``) can tell;
code that only wants the effective value calls ``value_or_default``.

The enumerations are ``Literal`` types so that mypy, the JSON Schema and the
validators all read one spelling; the ``*_VALUES`` tuples are derived from them.
Sources: contract §2.1-§2.10 (SDK ``ANALYSIS_CONFIG_SCHEMA_V1_0``, AWS docs).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, get_args

__all__ = [
    "ACCEPT_TYPE_VALUES",
    "AGG_METHOD_VALUES",
    "ASV_BASELINE_KIND_VALUES",
    "ASV_DIRECTION_VALUES",
    "ASV_GRANULARITY_VALUES",
    "CONFIG_VERSION_VALUES",
    "CONTENT_TYPE_VALUES",
    "DATASET_TYPE_VALUES",
    "DEFAULTS",
    "ENDPOINT_NAME_PREFIX_MAX_LENGTH",
    "ENDPOINT_NAME_PREFIX_PATTERN",
    "IMAGE_MODEL_TYPE_VALUES",
    "LANGUAGE_VALUES",
    "POST_TRAINING_METRICS",
    "PRE_TRAINING_METRICS",
    "TEXT_GRANULARITY_VALUES",
    "TS_DATASET_FORMAT_VALUES",
    "AcceptType",
    "AggMethod",
    "AsvBaselineKind",
    "AsvDirection",
    "AsvGranularity",
    "ConfigVersion",
    "ContentType",
    "DatasetType",
    "ImageModelType",
    "Language",
    "PostTrainingMetric",
    "PreTrainingMetric",
    "TextGranularity",
    "TimeSeriesDatasetFormat",
]

ConfigVersion = Literal["1.0"]

DatasetType = Literal[
    "text/csv",
    "application/jsonlines",
    "application/json",
    "application/x-parquet",
    "application/x-image",
    "application/sagemakercapturejson",
]

# The v2 SDK schema lists the first six; the v3 SDK (sagemaker-core) added Parquet
# to both content and accept types.  "image/jpg" was accepted by the v2 schema until
# v2.125.0, so configs written by those SDKs still carry it: we accept it verbatim
# (it is sent to the model as the ContentType header, so we do not rewrite it).
ContentType = Literal[
    "text/csv",
    "application/jsonlines",
    "application/json",
    "image/jpeg",
    "image/jpg",
    "image/png",
    "application/x-npy",
    "application/x-parquet",
]

AcceptType = Literal[
    "text/csv",
    "application/jsonlines",
    "application/json",
    "application/x-parquet",
]

AggMethod = Literal["mean_abs", "median", "mean_sq"]

TextGranularity = Literal["token", "sentence", "paragraph"]

# spaCy's language set, names and ISO codes, exactly as the SDK schema spells them
# (compared after lower-casing, hence "norwegian bokmål" in lower case).
Language = Literal[
    "chinese", "zh", "danish", "da", "dutch", "nl", "english", "en", "french", "fr",
    "german", "de", "greek", "el", "italian", "it", "japanese", "ja", "lithuanian", "lt",
    "multi-language", "xx", "norwegian bokmål", "nb", "polish", "pl", "portuguese", "pt",
    "romanian", "ro", "russian", "ru", "spanish", "es", "afrikaans", "af", "albanian", "sq",
    "arabic", "ar", "armenian", "hy", "basque", "eu", "bengali", "bn", "bulgarian", "bg",
    "catalan", "ca", "croatian", "hr", "czech", "cs", "estonian", "et", "finnish", "fi",
    "gujarati", "gu", "hebrew", "he", "hindi", "hi", "hungarian", "hu", "icelandic", "is",
    "indonesian", "id", "irish", "ga", "kannada", "kn", "kyrgyz", "ky", "latvian", "lv",
    "ligurian", "lij", "luxembourgish", "lb", "macedonian", "mk", "malayalam", "ml",
    "marathi", "mr", "nepali", "ne", "persian", "fa", "sanskrit", "sa", "serbian", "sr",
    "setswana", "tn", "sinhala", "si", "slovak", "sk", "slovenian", "sl", "swedish", "sv",
    "tagalog", "tl", "tamil", "ta", "tatar", "tt", "telugu", "te", "thai", "th",
    "turkish", "tr", "ukrainian", "uk", "urdu", "ur", "vietnamese", "vi", "yoruba", "yo",
]  # fmt: skip

ImageModelType = Literal["IMAGE_CLASSIFICATION", "OBJECT_DETECTION"]

AsvDirection = Literal["chronological", "anti_chronological", "bidirectional"]
AsvGranularity = Literal["timewise", "fine_grained"]
AsvBaselineKind = Literal["zero", "mean"]

TimeSeriesDatasetFormat = Literal["columns", "item_records", "timestamp_records"]

# Metric codes as AWS spells them in the config and in analysis.json (contract §2.8).
# Kept here rather than imported from the bias registry because dependencies point
# one way (config <- data <- bias); a bias test checks the two lists agree.
PreTrainingMetric = Literal["CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"]
PostTrainingMetric = Literal[
    "DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "CDDPL", "TE", "FT", "SD", "GE"
]  # fmt: skip

CONFIG_VERSION_VALUES: Final[tuple[str, ...]] = get_args(ConfigVersion)
DATASET_TYPE_VALUES: Final[tuple[str, ...]] = get_args(DatasetType)
CONTENT_TYPE_VALUES: Final[tuple[str, ...]] = get_args(ContentType)
ACCEPT_TYPE_VALUES: Final[tuple[str, ...]] = get_args(AcceptType)
AGG_METHOD_VALUES: Final[tuple[str, ...]] = get_args(AggMethod)
TEXT_GRANULARITY_VALUES: Final[tuple[str, ...]] = get_args(TextGranularity)
LANGUAGE_VALUES: Final[tuple[str, ...]] = get_args(Language)
IMAGE_MODEL_TYPE_VALUES: Final[tuple[str, ...]] = get_args(ImageModelType)
ASV_DIRECTION_VALUES: Final[tuple[str, ...]] = get_args(AsvDirection)
ASV_GRANULARITY_VALUES: Final[tuple[str, ...]] = get_args(AsvGranularity)
ASV_BASELINE_KIND_VALUES: Final[tuple[str, ...]] = get_args(AsvBaselineKind)
TS_DATASET_FORMAT_VALUES: Final[tuple[str, ...]] = get_args(TimeSeriesDatasetFormat)
PRE_TRAINING_METRICS: Final[tuple[str, ...]] = get_args(PreTrainingMetric)
POST_TRAINING_METRICS: Final[tuple[str, ...]] = get_args(PostTrainingMetric)

# Prefix match (re.match), as the SDK's schema.Regex does: only the first two
# characters are constrained.  The length limit leaves room for the suffix the
# container appends to make the 63-character endpoint name.
ENDPOINT_NAME_PREFIX_PATTERN: Final[str] = r"^[a-zA-Z0-9](-*[a-zA-Z0-9])"
ENDPOINT_NAME_PREFIX_MAX_LENGTH: Final[int] = 23

DEFAULTS: Final[Mapping[str, object]] = MappingProxyType(
    {
        # Top level.
        "probability_threshold": 0.5,
        # methods.shap: the container's documented defaults.  The SDK always
        # writes use_logit and save_local_shap_values, so these only matter for
        # hand-written configs.
        "methods.shap.agg_method": "mean_abs",
        "methods.shap.use_logit": False,
        "methods.shap.save_local_shap_values": False,
        "methods.shap.text_config.max_top_tokens": 50,
        "methods.shap.image_config.num_segments": 20,
        "methods.shap.image_config.segment_compactness": 5,
        "methods.shap.image_config.feature_extraction_method": "segmentation",
        "methods.shap.image_config.max_objects": 3,
        "methods.shap.image_config.iou_threshold": 0.5,
        "methods.shap.image_config.context": 1.0,
        # methods.pdp: the SDK's PDPConfig defaults (an AWS notebook claims the
        # container uses 20 buckets; the SDK always sends a value anyway).
        "methods.pdp.grid_resolution": 15,
        "methods.pdp.top_k_features": 10,
        # methods.report: what the SDK always sends.
        "methods.report.name": "report",
        "methods.report.title": "Analysis Report",
        # methods.asymmetric_shapley_value: the schema's own default.
        "methods.asymmetric_shapley_value.baseline.target_time_series": "zero",
        # predictor.
        "predictor.endpoint_name_prefix": "sm-clarify",
        # predictor.openclarify: openclarify's own extension (not an AWS key).
        "predictor.openclarify.allow_code_execution": False,
        "predictor.openclarify.max_concurrency": 4,
        "predictor.openclarify.max_payload_mb": 6.0,
        "predictor.openclarify.timeout_seconds": 60.0,
        "predictor.openclarify.npy_batch": False,
    }
)
