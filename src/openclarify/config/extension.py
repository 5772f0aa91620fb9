"""``openclarify`` (top level): statistics beyond Clarify's numbers, all opt-in.

Clarify reports point estimates only.  Everything openclarify adds to the bias
analysis lives in this one namespaced object (the same namespace name as
``predictor.openclarify``), so that an AWS config stays an AWS config: the SDK's
schema (``additionalProperties: false`` at the top level) and the AWS container
refuse a config that uses it instead of silently ignoring it, and a config without
it runs exactly as before (``analysis.json`` and the reports byte-identical).

Example::

    "openclarify": {
        "uncertainty": {"confidence_level": 0.95, "resamples": 1000, "seed": 7},
        "intersections": [[{"name_or_index": "Sex", "value_or_threshold": [0]},
                           {"name_or_index": "Age", "value_or_threshold": [40]}]],
        "group_performance": true
    }
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from openclarify.config.base import ConfigModel
from openclarify.config.dataset import FacetConfig
from openclarify.config.fields import Bool, PositiveInt, expected

__all__ = ["BeyondClarifyConfig", "UncertaintyConfig"]

#: The defaults of ``openclarify.uncertainty`` (also used for the intervals of
#: ``group_performance`` when ``uncertainty`` is absent).
UNCERTAINTY_DEFAULTS: dict[str, Any] = {
    "confidence_level": 0.95,
    "resamples": 1000,
    "seed": 0,
    "min_rows": 30,
    "min_positives": 5,
}


def _check_level(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        expected("a number strictly between 0 and 1 (e.g. 0.95)", value)
    return float(value)


def _check_intersections(value: Any) -> Any:
    if not isinstance(value, list | tuple) or not value:
        expected("a non-empty list of intersections (lists of facet objects)", value)
    for i, crossing in enumerate(value):
        if not isinstance(crossing, list | tuple) or len(crossing) < 2:
            expected(
                "an intersection: a list of two or more facet objects",
                crossing,
                subpath=f"[{i}]",
            )
    return value


def _check_seed(value: Any) -> Any:
    # numpy's SeedSequence takes non-negative integers only
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        expected("a non-negative integer seed (e.g. 0)", value)
    return value


Level = Annotated[float, Field(gt=0, lt=1), BeforeValidator(_check_level)]
Seed = Annotated[int, Field(ge=0), BeforeValidator(_check_seed)]
Crossing = tuple[FacetConfig, ...]


class UncertaintyConfig(ConfigModel):
    """``openclarify.uncertainty``: intervals, p-values and reliability flags.

    Attributes
    ----------
    confidence_level:
        Coverage of the bootstrap intervals, in (0, 1) (default 0.95).
    resamples:
        Bootstrap resamples, also the number of permutations of the permutation
        tests (default 1000).
    seed:
        Seed of the ``numpy.random.Generator`` (default 0); the same seed gives
        the same intervals on every backend.
    min_rows:
        A facet group (or its rest) with fewer rows is flagged ``few_rows``
        (default 30).
    min_positives:
        A facet group (or its rest) with fewer positive labels is flagged
        ``few_positives`` (default 5).
    """

    json_path: ClassVar[str] = "openclarify.uncertainty"

    confidence_level: Level | None = None
    resamples: PositiveInt | None = None
    seed: Seed | None = None
    min_rows: PositiveInt | None = None
    min_positives: PositiveInt | None = None

    def setting(self, name: str) -> Any:
        """The configured value of ``name`` or its default."""
        value = getattr(self, name)
        return UNCERTAINTY_DEFAULTS[name] if value is None else value


class BeyondClarifyConfig(ConfigModel):
    """``openclarify``: the opt-in statistics Clarify does not compute.

    Attributes
    ----------
    uncertainty:
        Confidence intervals, p-values and reliability flags for every metric of
        every facet group.
    intersections:
        Crossings of two or more facets, each facet object as in ``facet`` (its
        own values or threshold); every non-empty combination of their groups is
        one group, with the same metrics.
    group_performance:
        ``true``: rows, base rate, acceptance rate, TPR, FPR, precision and
        accuracy of every facet group, with intervals.
    """

    json_path: ClassVar[str] = "openclarify"

    uncertainty: UncertaintyConfig | None = None
    intersections: Annotated[tuple[Crossing, ...], BeforeValidator(_check_intersections)] | None = (
        None
    )
    group_performance: Bool | None = None

    @property
    def settings(self) -> UncertaintyConfig:
        """``uncertainty`` or its defaults (the intervals of ``group_performance``)."""
        return self.uncertainty if self.uncertainty is not None else UncertaintyConfig()

    @property
    def active(self) -> bool:
        """Whether anything beyond Clarify was asked for."""
        return (
            self.uncertainty is not None
            or bool(self.intersections)
            or self.group_performance is True
        )
