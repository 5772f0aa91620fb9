"""``methods``: the analyses to run, with the bias, PDP and report objects.

The two larger method objects have modules of their own: ``methods.shap`` in
:mod:`openclarify.config.shap`, ``methods.asymmetric_shapley_value`` in
:mod:`openclarify.config.asv`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, model_validator

from openclarify.config.asv import AsymmetricShapleyValueConfig
from openclarify.config.base import ConfigModel
from openclarify.config.defaults import (
    POST_TRAINING_METRICS,
    PRE_TRAINING_METRICS,
    PostTrainingMetric,
    PreTrainingMetric,
)
from openclarify.config.fields import (
    NameOrIndexList,
    NonEmptyStr,
    PositiveInt,
    Str,
    closest,
    expected,
    fail,
)
from openclarify.config.shap import ShapConfig

__all__ = [
    "MethodsConfig",
    "PdpConfig",
    "PostTrainingBiasConfig",
    "PreTrainingBiasConfig",
    "ReportConfig",
]


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
