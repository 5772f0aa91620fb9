"""Bias metrics: the 21 metrics of Clarify, exact to smclarify 0.5 (contract §5).

Which module to open for what:

* :mod:`.registry` — THE table of metrics (code, description, stage, function, range,
  fair value); config validation, reports, docs and tests read it;
* :mod:`.counts` — mergeable counts of facet groups (what every backend produces);
* :mod:`.pretraining`, :mod:`.posttraining` — the metric functions over counts;
  :mod:`.fliptest` — FT, which needs neighbours rather than counts;
* :mod:`.common` — shared arithmetic and the error texts; :mod:`.engine` — metrics
  from counts for every facet group;
* :mod:`.analysis` — labels and facet groups of a table, and the two sections;
* :mod:`.method` — bias as a unit of the job (:mod:`openclarify.methods`).
"""

from .._callable import make_callable

# ``openclarify.bias(df, ...)``: this package is callable (see openclarify._callable)
make_callable(__name__, "bias")
