"""``methods.shap``: Kernel SHAP settings, the baseline, and the text and image objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, model_validator

from openclarify.config.base import ConfigModel
from openclarify.config.fields import (
    AggMethodField,
    Bool,
    ImageModelTypeField,
    Int,
    LanguageField,
    NameOrIndexList,
    PositiveInt,
    Str,
    StrList,
    TextGranularityField,
    UnitFloat,
    expected,
    fail,
    require_list,
)

__all__ = ["ImageConfig", "ImageDebugConfig", "ShapConfig", "TextConfig"]


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
