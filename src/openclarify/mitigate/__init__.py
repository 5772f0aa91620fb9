"""Mitigation: act on a bias report, and report the metrics before and after.

Three ways, from the data to the model:

* :func:`resample` — balance every (facet value, label value) cell, the way the
  public Clarify lab does by hand: down to the smallest cell, up to the largest, or
  to a size given as a share of the largest; seeded;
* :func:`reweigh` — Kamiran & Calders: a weight column ``w(a, y) = P(a)·P(y) / P(a, y)``
  under which facet and label are independent, for training with sample weights
  (keeps every row);
* :func:`thresholds` — per-group decision thresholds on a model's scores that meet
  demographic parity or equalised odds within a tolerance at the least loss of
  accuracy (fairlearn's ``ThresholdOptimizer``; the ``mitigation`` extra).

Each returns a :class:`Mitigation`: the new data, and the bias metrics before and
after as pandas tables (:meth:`Mitigation.summary` side by side).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .common import Mitigation
    from .postprocessing import thresholds
    from .resampling import resample
    from .reweighing import reweigh

__all__ = ["Mitigation", "resample", "reweigh", "thresholds"]

# modules are named apart from the functions: a submodule import would hide a function
# (and pandas is imported on first use: the CLI's parser imports .command at start-up)
_LAZY = {
    "Mitigation": "common",
    "resample": "resampling",
    "reweigh": "reweighing",
    "thresholds": "postprocessing",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
