"""``methods.asymmetric_shapley_value``: time-series explanations and their baseline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Discriminator, Tag, model_validator

from openclarify.config.base import ConfigModel
from openclarify.config.fields import (
    AsvBaselineKindField,
    AsvDirectionField,
    AsvGranularityField,
    CellValue,
    NameOrIndex,
    PositiveInt,
    expected,
    fail,
    require_list,
)

__all__ = ["UNION_TAGS", "AsvBaselineConfig", "AsymmetricShapleyValueConfig"]


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
