"""When a metric value is flagged as far from fair — every threshold in one place.

A value is judged by its *gap* to the metric's fair value (both from
:data:`openclarify.bias.registry.METRICS`):

* metrics whose fair value is 0 (differences, divergences, distances): the
  gap is ``|value - fair|``;
* ratio metrics, whose fair value is 1 (Disparate Impact): the gap is
  ``max(value, 1/value) - 1``, so that 0.8 and 1.25 are equally far.

===========  =====================================  =========================================
flag         difference metrics (fair value 0)      ratio metrics (fair value 1)
===========  =====================================  =========================================
``fair``     gap ≤ :data:`NOTABLE_GAP` (0.1)        ratio within [1/1.1, 1.1]
``notable``  0.1 < gap ≤ :data:`FAR_GAP` (0.2)      ratio within [0.8, 1.25], not the above
``far``      gap > 0.2, or ±inf                     outside [0.8, 1.25] (the four-fifths rule)
===========  =====================================  =========================================

The thresholds are conventions, not statistics: a 0.1 difference in positive
proportions is the usual "look at this" level in fairness reviews, and the
four-fifths rule (:data:`FAR_RATIO`) is the long-standing US adverse-impact
guideline for selection ratios.  A metric that failed is shown as an error and
never flagged.
"""

from __future__ import annotations

import math
from typing import Literal

Flag = Literal["fair", "notable", "far", "error"]

#: Gap to the fair value from which a difference metric is flagged "notable".
NOTABLE_GAP = 0.1
#: Gap to the fair value from which a difference metric is flagged "far".
FAR_GAP = 0.2
#: A ratio metric (fair value 1) further than this factor from 1 is "notable".
NOTABLE_RATIO = 1.1
#: A ratio metric further than this factor from 1 is "far" (four-fifths rule: 1/0.8).
FAR_RATIO = 1.25


def gap(value: float, fair_value: float) -> float:
    """Distance of ``value`` from ``fair_value`` on the scale the flags use."""
    if math.isinf(value):
        return math.inf
    if fair_value == 1.0:
        if value <= 0:
            return math.inf
        return max(value, 1.0 / value) - 1.0
    return abs(value - fair_value)


def thresholds(fair_value: float) -> tuple[float, float]:
    """The (notable, far) gaps that apply to a metric with this fair value."""
    if fair_value == 1.0:
        return NOTABLE_RATIO - 1.0, FAR_RATIO - 1.0
    return NOTABLE_GAP, FAR_GAP


def flag(value: float | None, fair_value: float) -> Flag:
    """The flag of one metric value; ``None`` (a failed metric) is ``"error"``."""
    if value is None or math.isnan(value):
        return "error"
    notable, far = thresholds(fair_value)
    distance = gap(value, fair_value)
    # A tiny tolerance: a gap of exactly 0.2 computed as 0.6 - 0.4 (0.19999999999999996
    # or 0.20000000000000004) must land on the same side of the threshold.
    if distance > far + 1e-12:
        return "far"
    if distance > notable + 1e-12:
        return "notable"
    return "fair"
