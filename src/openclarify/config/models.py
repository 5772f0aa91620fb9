"""Typed, frozen models of ``analysis_config.json`` (contract §2).

One class per JSON object, one field per key, spelled exactly as AWS spells it.
A field is ``None`` when the key is absent; defaults live in
:data:`openclarify.config.defaults.DEFAULTS` and are read with
:meth:`ConfigModel.value_or_default`.  JSON arrays become tuples so that a loaded
config is immutable all the way down (free-form JSON such as an in-place SHAP
baseline object stays a plain ``dict``).

What is checked here: every key and type the SDK schema ``ANALYSIS_CONFIG_SCHEMA_V1_0``
checks, plus the SDK's rules *inside one object* (predictor endpoint vs model,
``baseline`` vs ``num_clusters``, time-series key kinds, ASV granularity rules,
segment aliases, metric names).  What is not checked here: rules across objects
and "not supported yet" decisions; those belong to the job's planning step.

Leniency (contract §2.10, "a little more lenient than the SDK where it is safe"):
a scalar ``label_values_or_threshold`` / ``value_or_threshold`` is wrapped in a
list, ints are accepted where floats are expected, ``null`` means "absent", a single
metric name is accepted for ``methods``, ``pdp.grid_resolution`` and
``report.name`` may be omitted (defaults 15 and ``"report"``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from openclarify.config.defaults import (
    DEFAULTS,
    ENDPOINT_NAME_PREFIX_MAX_LENGTH,
    ENDPOINT_NAME_PREFIX_PATTERN,
    POST_TRAINING_METRICS,
    PRE_TRAINING_METRICS,
    PostTrainingMetric,
    PreTrainingMetric,
)
from openclarify.config.fields import (
    AcceptTypeField,
    AggMethodField,
    AsvBaselineKindField,
    AsvDirectionField,
    AsvGranularityField,
    Bool,
    CellValue,
    ContentTypeField,
    DatasetTypeField,
    ImageModelTypeField,
    Int,
    LanguageField,
    NameOrIndex,
    NameOrIndexList,
    NonEmptyStr,
    PositiveInt,
    Str,
    StrList,
    TextGranularityField,
    TimeSeriesDatasetFormatField,
    UnitFloat,
    ValueList,
    VersionField,
    closest,
    describe,
    expected,
    fail,
    json_key_path,
    require_list,
    shorten,
)

__all__ = [
    "UNION_TAGS",
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
]


class ConfigModel(BaseModel):
    """Base of every config object: frozen, unknown keys rejected, defaults lookup.

    Unknown keys are caught by a ``before`` validator rather than left to
    ``extra="forbid"`` so that the error can list the keys allowed at that level
    and suggest the closest spelling; ``extra="forbid"`` stays as a second line of
    defence and puts ``additionalProperties: false`` into the JSON Schema.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # "model_name" and "model_type" are AWS keys, not pydantic internals.
        protected_namespaces=(),
        validate_default=False,
    )

    #: JSON path of this object without ``$.`` (``"methods.shap"``); list items
    #: end in ``[]``.  Used as the prefix of :data:`DEFAULTS` keys.
    json_path: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _check_object_and_keys(cls, data: Any) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            expected("an object", data, "Write this value as a JSON object ({...}).")
        allowed = sorted(cls.model_fields)
        for key in data:
            if key not in cls.model_fields:
                guess = closest(str(key), allowed)
                hint = f"Did you mean {guess!r}? " if guess else ""
                fail(
                    f"unknown key {shorten(repr(str(key)))}; allowed keys here: "
                    f"{', '.join(allowed)}",
                    f"{hint}Remove the key or correct its spelling (keys are case-sensitive).",
                    json_key_path(key),
                )
        return dict(data)

    def value_or_default(self, name: str) -> Any:
        """Return the field ``name``, or its default from :data:`DEFAULTS` when absent.

        Parameters
        ----------
        name:
            Field name (the JSON key) of this object.

        Returns
        -------
        Any
            The configured value; the default when the key was absent and a
            default exists; ``None`` otherwise.
        """
        value = getattr(self, name)
        if value is None:
            key = f"{self.json_path}.{name}" if self.json_path else name
            return DEFAULTS.get(key)
        return value


# ------------------------------------------------------------------------ top level


class FacetConfig(ConfigModel):
    """One entry of ``facet``: a sensitive attribute (contract §2.5).

    Attributes
    ----------
    name_or_index:
        Column name, index (CSV; int kept as int) or JMESPath of the facet.
    value_or_threshold:
        Values forming the sensitive group, or one numeric threshold; ``None`` means
        one result per distinct value.  A scalar in the file is wrapped in a tuple.
    """

    json_path: ClassVar[str] = "facet[]"

    name_or_index: NameOrIndex
    value_or_threshold: ValueList | None = None


def _check_segments(value: Any) -> Any:
    # SegmentationConfig refuses an empty or non-nested list; each inner list is one
    # segment (categorical values or interval strings such as "[1, 4]").
    if not isinstance(value, list | tuple) or not value:
        expected("a non-empty list of segments (lists of values)", value)
    for i, segment in enumerate(value):
        if not isinstance(segment, list | tuple):
            expected("a segment (a list of values or intervals)", segment, subpath=f"[{i}]")
    return value


Segment = Annotated[tuple[CellValue, ...], BeforeValidator(require_list("values or intervals"))]


class SegmentConfig(ConfigModel):
    """One entry of ``segment_config`` (contract §2.6; SDK ≥ v2.169.0).

    Attributes
    ----------
    name_or_index:
        Column the segments are defined on.
    segments:
        N segments, each a tuple of categorical values or interval strings; an
        extra ``__default__`` segment holds the remaining rows.
    config_name:
        Optional name identifying this segmentation.
    display_aliases:
        Optional display names: N or N + 1 entries (the last for ``__default__``).
    """

    json_path: ClassVar[str] = "segment_config[]"

    name_or_index: NameOrIndex
    segments: Annotated[tuple[Segment, ...], BeforeValidator(_check_segments)]
    config_name: Str | None = None
    display_aliases: StrList | None = None

    @model_validator(mode="after")
    def _check_aliases(self) -> SegmentConfig:
        if self.display_aliases is not None:
            n = len(self.segments)
            if len(self.display_aliases) not in (n, n + 1):
                fail(
                    f"expected {n} or {n + 1} display aliases for {n} segment(s), "
                    f"found {len(self.display_aliases)}",
                    "Give one alias per segment, optionally plus one for the default segment.",
                    ".display_aliases",
                )
        return self


_TS_KEYS = ("target_time_series", "item_id", "timestamp")


class TimeSeriesDataConfig(ConfigModel):
    """``time_series_data_config`` (contract §2.7; SDK ≥ v2.214.0).

    Attributes
    ----------
    target_time_series, item_id, timestamp:
        JMESPath (or index) of the target series, the item id and the timestamp.
    related_time_series, static_covariates:
        JMESPaths (or indices) of related series and static covariates.
    dataset_format:
        ``columns``, ``item_records`` or ``timestamp_records``; required when the
        other fields are JMESPath strings.
    """

    json_path: ClassVar[str] = "time_series_data_config"

    target_time_series: NameOrIndex
    item_id: NameOrIndex
    timestamp: NameOrIndex
    related_time_series: NameOrIndexList | None = None
    static_covariates: NameOrIndexList | None = None
    dataset_format: TimeSeriesDatasetFormatField | None = None

    @model_validator(mode="after")
    def _check_kinds(self) -> TimeSeriesDataConfig:
        # TimeSeriesDataConfig in the SDK: all strings (JMESPaths) or all ints.
        values: list[tuple[str, str | int]] = [(k, getattr(self, k)) for k in _TS_KEYS]
        for key in ("related_time_series", "static_covariates"):
            items = getattr(self, key) or ()
            values.extend((f"{key}[{i}]", v) for i, v in enumerate(items))
        first_key, first = values[0]
        for key, value in values[1:]:
            if isinstance(value, str) != isinstance(first, str):
                fail(
                    f"expected all keys to be JMESPath strings or all to be integer "
                    f"indices, found {describe(first)} in '{first_key}' and "
                    f"{describe(value)} in '{key}'",
                    "Use strings for every key or integers for every key.",
                )
        if isinstance(first, str) and self.dataset_format is None:
            fail(
                "missing required key 'dataset_format' (required when the keys are "
                "JMESPath strings)",
                "Add 'dataset_format': 'columns', 'item_records' or 'timestamp_records'.",
                ".dataset_format",
            )
        return self


# -------------------------------------------------------------------------- methods


def _bias_methods(stage: str, allowed: tuple[str, ...]) -> BeforeValidator:
    """Build the check of ``<stage>_training_bias.methods``.

    Accepts ``"all"`` in any case, one metric name, or a non-empty list of names;
    names are compared case-insensitively, upper-cased and de-duplicated (the
    output lists metrics alphabetically anyway, so order carries no meaning).
    """
    listed = ", ".join(allowed)
    phrase = f"a {stage}-training bias metric name ({listed})"

    def name(value: Any, subpath: str) -> str:
        if isinstance(value, str) and value.upper() in allowed:
            return value.upper()
        guess = closest(value.upper(), allowed) if isinstance(value, str) else None
        hint = f"Did you mean {guess!r}? " if guess else ""
        expected(phrase, value, f"{hint}Use 'all' or names from the list.", subpath)

    def check(value: Any) -> Any:
        if isinstance(value, str):
            return "all" if value.lower() == "all" else (name(value, ""),)
        if isinstance(value, list | tuple) and value:
            names: list[str] = []
            for i, item in enumerate(value):
                code = name(item, f"[{i}]")
                if code not in names:
                    names.append(code)
            return tuple(names)
        expected(
            f"'all' or a non-empty list of {stage}-training bias metric names ({listed})",
            value,
        )

    return BeforeValidator(check)


class PreTrainingBiasConfig(ConfigModel):
    """``methods.pre_training_bias`` (contract §2.8).

    Attributes
    ----------
    methods:
        ``"all"`` or a tuple of metric codes from ``CI, DPL, KL, JS, LP, TVD, KS,
        CDDL`` (upper case, no duplicates).
    """

    json_path: ClassVar[str] = "methods.pre_training_bias"

    methods: Annotated[
        Literal["all"] | tuple[PreTrainingMetric, ...],
        _bias_methods("pre", PRE_TRAINING_METRICS),
    ]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric codes to compute, with ``"all"`` expanded (registry order)."""
        return PRE_TRAINING_METRICS if self.methods == "all" else self.methods


class PostTrainingBiasConfig(ConfigModel):
    """``methods.post_training_bias`` (contract §2.8).

    Attributes
    ----------
    methods:
        ``"all"`` or a tuple of metric codes from ``DPPL, DI, DCA, DCR, RD, DAR,
        DRR, AD, CDDPL, TE, FT, SD, GE`` (upper case, no duplicates).
    """

    json_path: ClassVar[str] = "methods.post_training_bias"

    methods: Annotated[
        Literal["all"] | tuple[PostTrainingMetric, ...],
        _bias_methods("post", POST_TRAINING_METRICS),
    ]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric codes to compute, with ``"all"`` expanded (registry order)."""
        return POST_TRAINING_METRICS if self.methods == "all" else self.methods


class TextConfig(ConfigModel):
    """``methods.shap.text_config``: NLP explainability (contract §6.8).

    Attributes
    ----------
    granularity:
        ``token``, ``sentence`` or ``paragraph`` (lower-cased).
    language:
        spaCy language name or code (lower-cased), e.g. ``english`` / ``en``.
    max_top_tokens:
        Number of top text units in ``global_top_shap_text`` (default 50).
    """

    json_path: ClassVar[str] = "methods.shap.text_config"

    granularity: TextGranularityField
    language: LanguageField
    max_top_tokens: PositiveInt | None = None


class ImageDebugConfig(ConfigModel):
    """``methods.shap.image_config.debug`` (undocumented, accepted by the SDK schema).

    Attributes
    ----------
    image_names, class_ids, sample_from, sample_to:
        Debug selections passed through as given.
    """

    json_path: ClassVar[str] = "methods.shap.image_config.debug"

    image_names: StrList | None = None
    class_ids: Annotated[tuple[Int, ...], BeforeValidator(require_list("integers"))] | None = None
    sample_from: Int | None = None
    sample_to: Int | None = None


class ImageConfig(ConfigModel):
    """``methods.shap.image_config``: computer-vision explainability (contract §6.9).

    Attributes
    ----------
    model_type:
        ``IMAGE_CLASSIFICATION`` or ``OBJECT_DETECTION`` (any case in the file).
    num_segments, segment_compactness, feature_extraction_method:
        SLIC super-pixel settings (defaults 20, 5, ``"segmentation"``).
    max_objects, iou_threshold, context:
        Object-detection settings (defaults 3, 0.5, 1.0).
    debug:
        Undocumented debug selections.
    """

    json_path: ClassVar[str] = "methods.shap.image_config"

    model_type: ImageModelTypeField | None = None
    num_segments: PositiveInt | None = None
    segment_compactness: PositiveInt | None = None
    feature_extraction_method: Str | None = None
    max_objects: PositiveInt | None = None
    iou_threshold: UnitFloat | None = None
    context: UnitFloat | None = None
    debug: ImageDebugConfig | None = None


def _check_json_object(value: Any, subpath: str) -> None:
    if any(not isinstance(k, str) for k in value):
        expected("an object with string keys", value, subpath=subpath)


def _check_shap_baseline(value: Any) -> Any:
    # Mirrors the SDK schema: an S3 URI, a list of rows (CSV rows of
    # int/float/str/null, or JSON objects), or one JSON object (application/json).
    what = "a baseline (an S3 URI string, a non-empty list of rows, or an object)"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        _check_json_object(value, "")
        return value
    if not isinstance(value, list | tuple) or not value:
        expected(what, value)
    for i, row in enumerate(value):
        if isinstance(row, Mapping):
            _check_json_object(row, f"[{i}]")
        elif isinstance(row, list | tuple):
            for j, cell in enumerate(row):
                if not (cell is None or isinstance(cell, int | float | str)) or isinstance(
                    cell, bool
                ):
                    expected("a string, number or null", cell, subpath=f"[{i}][{j}]")
        else:
            expected("a baseline row (a list of values or an object)", row, subpath=f"[{i}]")
    return value


BaselineRow = tuple[int | float | str | None, ...] | dict[str, Any]
ShapBaseline = Annotated[
    str | tuple[BaselineRow, ...] | dict[str, Any], BeforeValidator(_check_shap_baseline)
]


class ShapConfig(ConfigModel):
    """``methods.shap``: Kernel SHAP explainability (contract §2.8, §6).

    Attributes
    ----------
    baseline:
        S3 URI, tuple of rows, or a JSON object; ``None`` means "build one by
        clustering".
    num_clusters:
        Number of K-means clusters for the baseline (not with ``baseline``).
    num_samples:
        Kernel SHAP coalitions per record; ``None`` means the container's rule.
    agg_method:
        ``mean_abs`` (default), ``median`` or ``mean_sq``.
    use_logit, save_local_shap_values:
        Flags (container defaults false, false; the SDK always sends both).
    seed:
        Seed for deterministic sampling.
    features_to_explain:
        Subset of features to explain (tabular only).
    text_config, image_config:
        NLP / computer-vision settings.
    """

    json_path: ClassVar[str] = "methods.shap"

    baseline: ShapBaseline | None = None
    num_clusters: PositiveInt | None = None
    use_logit: Bool | None = None
    num_samples: PositiveInt | None = None
    agg_method: AggMethodField | None = None
    save_local_shap_values: Bool | None = None
    text_config: TextConfig | None = None
    image_config: ImageConfig | None = None
    seed: Int | None = None
    features_to_explain: NameOrIndexList | None = None

    @model_validator(mode="after")
    def _check_baseline_xor_clusters(self) -> ShapConfig:
        if self.baseline is not None and self.num_clusters is not None:
            fail(
                "'baseline' and 'num_clusters' cannot both be set",
                "Remove 'num_clusters' to use the given baseline, or remove 'baseline' "
                "to build one with that many clusters.",
            )
        return self


class PdpConfig(ConfigModel):
    """``methods.pdp``: partial dependence plots (contract §2.8, §6.10).

    Attributes
    ----------
    grid_resolution:
        Number of equal-width buckets for numeric features (default 15).
    features:
        Features to plot; when absent the ``top_k_features`` by global SHAP.
    top_k_features:
        How many top SHAP features to plot (default 10).
    """

    json_path: ClassVar[str] = "methods.pdp"

    grid_resolution: PositiveInt | None = None
    features: NameOrIndexList | None = None
    top_k_features: PositiveInt | None = None


def _static_covariates(value: Any) -> Any:
    if not isinstance(value, Mapping):
        expected("an object mapping item ids to lists of values", value)
    return value


StaticCovariateValues = Annotated[tuple[CellValue, ...], BeforeValidator(require_list("values"))]


class AsvBaselineConfig(ConfigModel):
    """Object form of ``methods.asymmetric_shapley_value.baseline`` (contract §2.8).

    Attributes
    ----------
    target_time_series, related_time_series:
        ``zero`` or ``mean`` (target defaults to ``zero``).
    static_covariates:
        ``{item_id: [one value per static covariate]}``.
    """

    json_path: ClassVar[str] = "methods.asymmetric_shapley_value.baseline"

    target_time_series: AsvBaselineKindField | None = None
    related_time_series: AsvBaselineKindField | None = None
    static_covariates: (
        Annotated[dict[NameOrIndex, StaticCovariateValues], BeforeValidator(_static_covariates)]
        | None
    ) = None


def _asv_baseline_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "<uri>"
    if isinstance(value, Mapping | AsvBaselineConfig):
        return "<object>"
    return None


def _check_asv_baseline(value: Any) -> Any:
    if _asv_baseline_kind(value) is None:
        expected("a baseline (an S3 URI string or an object)", value)
    return value


#: Tags of the ASV baseline union; pydantic puts them into error locations, the
#: loader removes them again.
UNION_TAGS = frozenset({"<uri>", "<object>"})

AsvBaseline = Annotated[
    Annotated[str, Tag("<uri>")] | Annotated[AsvBaselineConfig, Tag("<object>")],
    Discriminator(_asv_baseline_kind),
    BeforeValidator(_check_asv_baseline),
]


class AsymmetricShapleyValueConfig(ConfigModel):
    """``methods.asymmetric_shapley_value``: time-series explanations (contract §6.11).

    Attributes
    ----------
    direction:
        ``chronological``, ``anti_chronological`` or ``bidirectional``.
    granularity:
        ``timewise`` or ``fine_grained``.
    num_samples:
        Sampled permutations; required for (and only allowed with) ``fine_grained``.
    baseline:
        S3 URI or :class:`AsvBaselineConfig`.
    """

    json_path: ClassVar[str] = "methods.asymmetric_shapley_value"

    direction: AsvDirectionField
    granularity: AsvGranularityField
    num_samples: PositiveInt | None = None
    baseline: AsvBaseline | None = None

    @model_validator(mode="after")
    def _check_granularity_rules(self) -> AsymmetricShapleyValueConfig:
        # AsymmetricShapleyValueConfig in the SDK enforces all three.
        if self.granularity == "fine_grained":
            if self.direction != "chronological":
                fail(
                    f"'fine_grained' granularity requires direction 'chronological', "
                    f"found {self.direction!r}",
                    "Set 'direction' to 'chronological' or use 'timewise' granularity.",
                    ".direction",
                )
            if self.num_samples is None:
                fail(
                    "missing required key 'num_samples' (required for 'fine_grained' granularity)",
                    "Add 'num_samples', e.g. (1 + max(#related series, #static covariates))².",
                    ".num_samples",
                )
        elif self.num_samples is not None:
            fail(
                "'num_samples' is only allowed with 'fine_grained' granularity",
                "Remove 'num_samples' or set 'granularity' to 'fine_grained'.",
                ".num_samples",
            )
        return self


class ReportConfig(ConfigModel):
    """``methods.report``: report file name and title (contract §2.8, §9).

    Attributes
    ----------
    name:
        Base name of ``<name>.ipynb/.html/.pdf`` (default ``report``).
    title:
        Report title (default ``Analysis Report``).
    """

    json_path: ClassVar[str] = "methods.report"

    name: NonEmptyStr | None = None
    title: Str | None = None

    @model_validator(mode="after")
    def _check_plain_file_name(self) -> ReportConfig:
        # The name becomes a file name in the output folder: a path separator or a
        # leading dot could write outside it or hide the file.
        name = self.name
        if name is not None and (
            "/" in name or "\\" in name or name.startswith(".") or "\x00" in name
        ):
            fail(
                "'name' must be a plain file name (no '/', '\\' or leading '.')",
                "Use a name such as 'report'.",
                ".name",
            )
        return self


class MethodsConfig(ConfigModel):
    """``methods``: the analyses to run; any subset, may be empty (contract §2.8).

    Attributes
    ----------
    pre_training_bias, post_training_bias, shap, pdp, asymmetric_shapley_value, report:
        One object per requested analysis; ``None`` when not requested.
    """

    json_path: ClassVar[str] = "methods"

    #: Method keys in the order the container runs them.
    METHOD_NAMES: ClassVar[tuple[str, ...]] = (
        "post_training_bias",
        "pre_training_bias",
        "shap",
        "pdp",
        "asymmetric_shapley_value",
        "report",
    )

    pre_training_bias: PreTrainingBiasConfig | None = None
    post_training_bias: PostTrainingBiasConfig | None = None
    shap: ShapConfig | None = None
    pdp: PdpConfig | None = None
    asymmetric_shapley_value: AsymmetricShapleyValueConfig | None = None
    report: ReportConfig | None = None

    @property
    def requested(self) -> tuple[str, ...]:
        """Names of the methods present, in the container's work order."""
        return tuple(name for name in self.METHOD_NAMES if getattr(self, name) is not None)


# ------------------------------------------------------------------------ predictor


class TimeSeriesPredictorConfig(ConfigModel):
    """``predictor.time_series_predictor_config`` (SDK ≥ v2.214.0).

    Attributes
    ----------
    forecast:
        JMESPath of the forecast in the model response.
    """

    json_path: ClassVar[str] = "predictor.time_series_predictor_config"

    forecast: Str


def _check_prefix(value: Any) -> str:
    if (
        isinstance(value, str)
        and re.match(ENDPOINT_NAME_PREFIX_PATTERN, value)
        and len(value) <= ENDPOINT_NAME_PREFIX_MAX_LENGTH
    ):
        return value
    expected(
        f"a name prefix matching {ENDPOINT_NAME_PREFIX_PATTERN} of at most "
        f"{ENDPOINT_NAME_PREFIX_MAX_LENGTH} characters",
        value,
        "Start with two letters or digits (hyphens only between them), e.g. 'sm-clarify'.",
    )


def _check_content_template(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return value
    expected("a string (or an object of strings)", value)


_SHADOW_KEYS = ("model_name", "instance_type", "initial_instance_count")


def _check_positive_number(value: Any) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and math.isfinite(value) and value > 0:
        return float(value)
    expected("a number > 0", value)


def _check_http_url(value: Any) -> str:
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.hostname and not parts.query:
            return value
    expected(
        "an http:// or https:// URL of a model server (without a query string)",
        value,
        "Give the server's base URL, e.g. 'http://127.0.0.1:8080'; "
        "openclarify calls <url>/ping and <url>/invocations.",
    )


PositiveNumber = Annotated[float, Field(gt=0), BeforeValidator(_check_positive_number)]
HttpUrl = Annotated[str, BeforeValidator(_check_http_url)]


class LocalPredictorExtension(ConfigModel):
    """``predictor.openclarify``: openclarify's own predictor settings (not an AWS key).

    SageMaker Clarify only calls SageMaker endpoints.  Everything openclarify
    adds for running outside SageMaker, and its tuning knobs, live in this one
    namespaced object, so that an AWS config stays an AWS config and the AWS
    container would reject (not misread) a config that uses them.

    Example (a local model server speaking the SageMaker inference protocol)::

        "predictor": {
            "content_type": "text/csv",
            "accept_type": "text/csv",
            "openclarify": {"endpoint_url": "http://127.0.0.1:8080", "max_concurrency": 8}
        }

    With ``endpoint_url`` or ``model_path`` the AWS keys ``endpoint_name`` /
    ``model_name`` (+ ``instance_type``, ``initial_instance_count``) are not
    required; when they are present anyway they are *not used* (the local
    target wins), so an SDK-generated config can be pointed at a local model by
    adding this object alone.

    Attributes
    ----------
    endpoint_url:
        Base URL of an HTTP server speaking the SageMaker inference protocol
        (``GET <url>/ping``, ``POST <url>/invocations``), e.g. MLflow's scoring
        server or the SageMaker inference toolkit run locally.
    model_path:
        Local file with a pickled / joblib-dumped scikit-learn estimator or a
        Python callable, called in-process (``predict_proba`` / ``predict``)
        without serialisation.  Unpickling runs code from the file, so it needs
        ``allow_code_execution: true``; it is never the default.
    allow_code_execution:
        Explicit opt-in for ``model_path`` (default false).
    max_concurrency:
        Requests in flight at once (default 4); also applies to SageMaker endpoints.
    max_payload_mb:
        Largest request body in MB of 10**6 bytes (default 6.0, the
        ``InvokeEndpoint`` limit); batches are sized to stay below it.
    timeout_seconds:
        Read timeout of one request in seconds (default 60, the
        ``InvokeEndpoint`` limit for real-time endpoints).
    """

    json_path: ClassVar[str] = "predictor.openclarify"

    endpoint_url: HttpUrl | None = None
    model_path: NonEmptyStr | None = None
    allow_code_execution: Bool | None = None
    max_concurrency: PositiveInt | None = None
    max_payload_mb: PositiveNumber | None = None
    timeout_seconds: PositiveNumber | None = None

    @model_validator(mode="after")
    def _check_target(self) -> LocalPredictorExtension:
        if self.endpoint_url is not None and self.model_path is not None:
            fail(
                "'endpoint_url' and 'model_path' cannot both be set",
                "Keep 'endpoint_url' to call a model server, or 'model_path' to load a "
                "model in-process.",
            )
        if self.model_path is not None and self.allow_code_execution is not True:
            fail(
                "'model_path' loads a pickled model, which runs code from that file; "
                "'allow_code_execution' must be true",
                'Set "allow_code_execution": true if you trust the file, or serve the '
                "model over HTTP and use 'endpoint_url'.",
                ".allow_code_execution",
            )
        return self

    @property
    def local_target(self) -> bool:
        """True when ``endpoint_url`` or ``model_path`` is set."""
        return self.endpoint_url is not None or self.model_path is not None


class PredictorConfig(ConfigModel):
    """``predictor``: the model or endpoint to query (contract §2.9, §7).

    Either ``endpoint_name`` (an existing endpoint, never deleted), or
    ``model_name`` + ``instance_type`` + ``initial_instance_count`` (a shadow
    endpoint created and deleted by the job) — never both.

    Attributes
    ----------
    endpoint_name, endpoint_name_prefix, model_name, target_model, instance_type,
    initial_instance_count, accelerator_type:
        Where the model runs.
    content_type, accept_type:
        Request / response formats (lower-cased).
    content_template, record_template:
        JSON Lines / JSON request templates.
    custom_attributes:
        Forwarded as ``CustomAttributes``.
    label, probability, label_headers:
        Where to find predicted labels / scores in the response, and class names.
    time_series_predictor_config:
        Where to find the forecast (time series).
    openclarify:
        openclarify's own extension (:class:`LocalPredictorExtension`): a local
        model server or in-process model, concurrency and payload limits.  With
        a local target, ``endpoint_name`` / ``model_name`` are not required.
    """

    json_path: ClassVar[str] = "predictor"

    endpoint_name: NonEmptyStr | None = None
    endpoint_name_prefix: (
        Annotated[
            str,
            Field(max_length=ENDPOINT_NAME_PREFIX_MAX_LENGTH, pattern=ENDPOINT_NAME_PREFIX_PATTERN),
            BeforeValidator(_check_prefix),
        ]
        | None
    ) = None
    model_name: NonEmptyStr | None = None
    target_model: Str | None = None
    instance_type: NonEmptyStr | None = None
    initial_instance_count: PositiveInt | None = None
    accelerator_type: Str | None = None
    content_type: ContentTypeField | None = None
    accept_type: AcceptTypeField | None = None
    label: NameOrIndex | None = None
    probability: NameOrIndex | None = None
    label_headers: NameOrIndexList | None = None
    content_template: (
        Annotated[str | dict[str, str], BeforeValidator(_check_content_template)] | None
    ) = None
    record_template: Str | None = None
    custom_attributes: Str | None = None
    time_series_predictor_config: TimeSeriesPredictorConfig | None = None
    openclarify: LocalPredictorExtension | None = None

    @model_validator(mode="after")
    def _check_endpoint_or_model(self) -> PredictorConfig:
        if self.endpoint_name is not None:
            for key in (*_SHADOW_KEYS, "endpoint_name_prefix"):
                if getattr(self, key) is not None:
                    fail(
                        f"'endpoint_name' and '{key}' cannot both be set",
                        "Keep 'endpoint_name' to use an existing endpoint, or remove it "
                        "and give 'model_name', 'instance_type' and "
                        "'initial_instance_count' to create a shadow endpoint.",
                    )
            return self
        missing = [key for key in _SHADOW_KEYS if getattr(self, key) is None]
        if missing and not self.uses_local_target:
            fail(
                "expected either 'endpoint_name' or all of 'model_name', 'instance_type' "
                f"and 'initial_instance_count'; missing {', '.join(repr(k) for k in missing)}",
                "Name an existing endpoint with 'endpoint_name', or add the missing keys "
                "to create a shadow endpoint.",
            )
        return self

    @property
    def uses_local_target(self) -> bool:
        """True when ``openclarify.endpoint_url`` or ``openclarify.model_path`` is set."""
        return self.openclarify is not None and self.openclarify.local_target

    @property
    def uses_shadow_endpoint(self) -> bool:
        """True when the job must create (and later delete) an endpoint."""
        return self.endpoint_name is None and not self.uses_local_target


# ----------------------------------------------------------------------- top level


class AnalysisConfig(ConfigModel):
    """The whole ``analysis_config.json`` (contract §2.1).

    Attributes
    ----------
    version:
        Schema version; only ``"1.0"``.
    dataset_type:
        Dataset format (lower-cased); required.
    dataset_uri:
        Dataset location overriding the ``dataset`` input.
    headers:
        Column names.
    label, predicted_label:
        Ground-truth / prediction column (name, index or JMESPath).
    features:
        JMESPath of the features (JSON / JSON Lines).
    excluded_columns:
        Columns never sent to the model.
    joinsource_name_or_index:
        Id column used to join side datasets.
    facet_dataset_uri, facet_headers, predicted_label_dataset_uri, predicted_label_headers:
        CSV side datasets and their headers.
    label_values_or_threshold:
        Positive label values, or one threshold.
    facet:
        Sensitive attributes.
    group_variable:
        Subgroup column for CDDL / CDDPL.
    probability_threshold:
        Score cut-off for a binary predicted label (default 0.5), in [0, 1].
    segment_config:
        Data segments.
    time_series_data_config:
        Time-series layout.
    methods:
        Analyses to run; required (may be empty).
    predictor:
        Model or endpoint.
    """

    json_path: ClassVar[str] = ""

    version: VersionField | None = None
    dataset_type: DatasetTypeField
    dataset_uri: Str | None = None
    headers: StrList | None = None
    label: NameOrIndex | None = None
    features: Str | None = None
    predicted_label: NameOrIndex | None = None
    excluded_columns: NameOrIndexList | None = None
    joinsource_name_or_index: NameOrIndex | None = None
    facet_dataset_uri: Str | None = None
    facet_headers: StrList | None = None
    predicted_label_dataset_uri: Str | None = None
    predicted_label_headers: StrList | None = None
    label_values_or_threshold: ValueList | None = None
    facet: (
        Annotated[tuple[FacetConfig, ...], BeforeValidator(require_list("facet objects"))] | None
    ) = None
    group_variable: NameOrIndex | None = None
    probability_threshold: UnitFloat | None = None
    segment_config: (
        Annotated[tuple[SegmentConfig, ...], BeforeValidator(require_list("segment objects"))]
        | None
    ) = None
    time_series_data_config: TimeSeriesDataConfig | None = None
    methods: MethodsConfig
    predictor: PredictorConfig | None = None

    @property
    def effective_probability_threshold(self) -> float:
        """``probability_threshold`` or its default 0.5."""
        value: float = self.value_or_default("probability_threshold")
        return value

    @property
    def is_time_series(self) -> bool:
        """True when ``time_series_data_config`` is present."""
        return self.time_series_data_config is not None
