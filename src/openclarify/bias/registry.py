"""The one table of bias metrics.

Everything that needs to know the metrics — config validation, the engine,
analysis.json, docs and the parametrised tests — reads :data:`METRICS`.  Codes
and description strings are Clarify's, verbatim (including smclarify's
"Kullback-Liebler" spelling).  Output order is alphabetical by code (§4.2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from . import batched as vec
from . import posttraining as post
from . import pretraining as pre
from .batched import Batched
from .common import MetricInputs, MetricValue

Stage = Literal["pre_training", "post_training"]
#: Which significance test a metric gets (see :mod:`.significance`).
Family = Literal["sizes", "labels", "predictions", "errors", "conditional", "global", "neighbours"]


@dataclass(frozen=True)
class MetricSpec:
    """One bias metric.

    Attributes
    ----------
    code:
        Short name as AWS spells it (``"DPL"``).
    description:
        The exact ``description`` string Clarify writes.
    stage:
        ``"pre_training"`` or ``"post_training"``.
    compute:
        Pure function of :class:`~openclarify.bias.common.MetricInputs`.
    value_range:
        Human-readable range of values.
    fair_value:
        The value of a perfectly fair dataset or model.
    needs:
        ``"counts"`` (mergeable confusion cells), ``"groups"`` (cells per
        group-variable value) or ``"neighbours"`` (feature rows).
    family:
        The metric's significance family, which picks its test
        (:mod:`~openclarify.bias.significance`).
    batched:
        The same formula vectorised over a leading resample axis
        (:mod:`~openclarify.bias.batched`), for intervals and permutation
        tests; ``None`` for FT, which is not a function of counts.
    """

    code: str
    description: str
    stage: Stage
    compute: Callable[[MetricInputs], MetricValue]
    value_range: str
    fair_value: float
    needs: Literal["counts", "groups", "neighbours"] = "counts"
    family: Family = "labels"
    batched: Batched | None = None


_P: Stage = "pre_training"
_Q: Stage = "post_training"

# fmt: off
METRICS: tuple[MetricSpec, ...] = (
    # --- pre-training ------------------------------------------------------
    MetricSpec("CDDL", "Conditional Demographic Disparity in Labels (CDDL)", _P,
               pre.conditional_demographic_disparity_labels, "[-1, 1]", 0.0, "groups",
               family="conditional", batched=vec.conditional_demographic_disparity_labels),
    MetricSpec("CI", "Class Imbalance (CI)", _P, pre.class_imbalance, "[-1, 1]", 0.0,
               family="sizes", batched=vec.class_imbalance),
    MetricSpec("DPL", "Difference in Positive Proportions in Labels (DPL)", _P,
               pre.difference_in_positive_proportions, "[-1, 1]", 0.0,
               family="labels", batched=vec.difference_in_positive_proportions),
    MetricSpec("JS", "Jensen-Shannon Divergence (JS)", _P, pre.jensen_shannon, "[0, ln 2]", 0.0,
               family="labels", batched=vec.jensen_shannon),
    MetricSpec("KL", "Kullback-Liebler Divergence (KL)", _P, pre.kullback_leibler, "[0, inf)", 0.0,
               family="labels", batched=vec.kullback_leibler),
    MetricSpec("KS", "Kolmogorov-Smirnov Distance (KS)", _P, pre.kolmogorov_smirnov, "[0, 1]", 0.0,
               family="labels", batched=vec.kolmogorov_smirnov),
    MetricSpec("LP", "L-p Norm (LP)", _P, pre.lp_norm, "[0, sqrt 2]", 0.0,
               family="labels", batched=vec.lp_norm),
    MetricSpec("TVD", "Total Variation Distance (TVD)", _P, pre.total_variation_distance, "[0, 1]", 0.0,
               family="labels", batched=vec.total_variation_distance),
    # --- post-training -----------------------------------------------------
    MetricSpec("AD", "Accuracy Difference (AD)", _Q, post.accuracy_difference, "[-1, 1]", 0.0,
               family="errors", batched=vec.accuracy_difference),
    MetricSpec("CDDPL", "Conditional Demographic Disparity in Predicted Labels (CDDPL)", _Q,
               post.conditional_demographic_disparity_predicted, "[-1, 1]", 0.0, "groups",
               family="conditional", batched=vec.conditional_demographic_disparity_predicted),
    MetricSpec("DAR", "Difference in Acceptance Rates (DAR)", _Q,
               post.difference_in_acceptance_rates, "[-1, 1]", 0.0,
               family="errors", batched=vec.difference_in_acceptance_rates),
    MetricSpec("DCA", "Difference in Conditional Acceptance (DCA)", _Q,
               post.difference_in_conditional_acceptance, "(-inf, inf)", 0.0,
               family="errors", batched=vec.difference_in_conditional_acceptance),
    MetricSpec("DCR", "Difference in Conditional Rejection (DCR)", _Q,
               post.difference_in_conditional_rejection, "(-inf, inf)", 0.0,
               family="errors", batched=vec.difference_in_conditional_rejection),
    MetricSpec("DI", "Disparate Impact (DI)", _Q, post.disparate_impact, "[0, inf)", 1.0,
               family="predictions", batched=vec.disparate_impact),
    MetricSpec("DPPL", "Difference in Positive Proportions in Predicted Labels (DPPL)", _Q,
               post.difference_in_positive_proportions_predicted, "[-1, 1]", 0.0,
               family="predictions", batched=vec.difference_in_positive_proportions_predicted),
    MetricSpec("DRR", "Difference in Rejection Rates (DRR)", _Q,
               post.difference_in_rejection_rates, "[-1, 1]", 0.0,
               family="errors", batched=vec.difference_in_rejection_rates),
    MetricSpec("FT", "Flip Test (FT)", _Q, post.flip_test, "[-1, 1]", 0.0, "neighbours",
               family="neighbours", batched=None),
    MetricSpec("GE", "Generalized Entropy (GE)", _Q, post.generalized_entropy, "[0, inf)", 0.0,
               family="global", batched=vec.generalized_entropy),
    MetricSpec("RD", "Recall Difference (RD)", _Q, post.recall_difference, "[-1, 1]", 0.0,
               family="errors", batched=vec.recall_difference),
    MetricSpec("SD", "Specificity Difference (SD)", _Q, post.specificity_difference, "[-1, 1]", 0.0,
               family="errors", batched=vec.specificity_difference),
    MetricSpec("TE", "Treatment Equality (TE)", _Q, post.treatment_equality, "(-inf, inf)", 0.0,
               family="errors", batched=vec.treatment_equality),
)
# fmt: on

BY_CODE: dict[str, MetricSpec] = {spec.code: spec for spec in METRICS}
PRE_TRAINING_CODES: tuple[str, ...] = tuple(s.code for s in METRICS if s.stage == _P)
POST_TRAINING_CODES: tuple[str, ...] = tuple(s.code for s in METRICS if s.stage == _Q)


def select(stage: Stage, requested: str | list[str] | tuple[str, ...]) -> tuple[MetricSpec, ...]:
    """Metrics of ``stage`` to compute, alphabetical by code.

    ``requested`` is ``"all"`` (any case) or a list of codes (any case).
    Unknown codes raise ``ValueError`` with smclarify's message.
    """
    stage_specs = tuple(s for s in METRICS if s.stage == stage)
    if isinstance(requested, str):
        if requested.lower() == "all":
            return stage_specs
        requested = [requested]
    wanted = {code.upper() for code in requested}
    known = {s.code for s in stage_specs}
    if not wanted <= known:
        raise ValueError(
            "Invalid metric_name: metrics should be one of the registered metrics"
            f"{[s.code for s in stage_specs]}"
        )
    return tuple(s for s in stage_specs if s.code in wanted)
