"""Per-group decision thresholds on a model's scores (post-processing), through fairlearn.

Hardt, Price & Srebro (2016): choose, for every facet value, the threshold (a
randomised mix of two neighbouring thresholds where needed) on the model's score
that maximises accuracy subject to a fairness constraint:

* ``"demographic_parity"`` — the same rate of positive predictions in every group
  (post-training DPPL 0);
* ``"equalized_odds"`` — the same true- and false-positive rates in every group.

With ``tolerance`` ``t`` demographic parity is relaxed to "within ``t``"
(fairlearn's ``tol``), which buys accuracy back; fairlearn relaxes no other
constraint, so equalised odds takes no tolerance.  The search is fairlearn's
``ThresholdOptimizer`` — a well-kept implementation of the convex programme
(Hardt et al.'s ROC-hull interpolation), rather than a second copy of it here;
fairlearn is the ``mitigation`` extra and is imported in this module only.

The fitted rule is randomised: predictions draw from ``numpy`` with ``seed``, so
the same seed gives the same labels.  Fit it on training data and check it on
held-out data (:meth:`ThresholdRule.predict`); a constraint met on the training
rows holds on new rows up to sampling error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .common import Mitigation, as_frame, bias_metrics, check_columns

__all__ = ["CONSTRAINTS", "ThresholdRule", "thresholds"]

#: Criteria offered (fairlearn's names).
CONSTRAINTS = ("demographic_parity", "equalized_odds")
#: Post-training metrics of the before / after tables: parity of predictions (DPPL,
#: DI), of errors (AD, DAR, DRR, RD, DCA, DCR).
POST_METHODS = ("DPPL", "DI", "AD", "RD", "DAR", "DRR", "DCA", "DCR")


def _fairlearn() -> Any:
    try:
        from fairlearn.postprocessing import ThresholdOptimizer
    except ImportError as exc:
        raise ConfigError(
            "thresholds",
            "needs fairlearn, which is not installed",
            "install the mitigation extra: pip install 'openclarify[mitigation]'",
        ) from exc
    return ThresholdOptimizer


def _scores_estimator() -> Any:
    """A fitted "estimator" whose ``predict`` is the score column (fairlearn's prefit path)."""
    from sklearn.base import BaseEstimator

    class Scores(BaseEstimator):
        def __sklearn_is_fitted__(self) -> bool:
            return True

        def fit(self, X: Any, y: Any, **kwargs: Any) -> Any:
            return self

        def predict(self, X: pd.DataFrame) -> np.ndarray:
            return np.asarray(X.iloc[:, 0], dtype=np.float64)

    return Scores()


@dataclass
class ThresholdRule:
    """Fitted per-group thresholds; :meth:`predict` labels new rows.

    Attributes
    ----------
    scores, facet:
        The score and sensitive columns the rule reads.
    constraint, tolerance:
        What it was fitted to meet.
    optimizer:
        The fitted ``fairlearn.postprocessing.ThresholdOptimizer``.
    """

    scores: str
    facet: str
    constraint: str
    tolerance: float | None
    optimizer: Any

    def predict(self, data: Any, seed: int = 0) -> np.ndarray:
        """0 / 1 predictions for the rows of ``data`` (seeded: the rule is randomised)."""
        frame = as_frame(data)
        check_columns(frame, scores=self.scores, facet=self.facet)
        return np.asarray(
            self.optimizer.predict(
                frame[[self.scores]], sensitive_features=frame[self.facet], random_state=seed
            ),
            dtype=np.int64,
        )


def thresholds(
    data: Any,
    *,
    label: str,
    facet: str,
    label_values: Sequence[Any],
    scores: str,
    constraint: str = "demographic_parity",
    tolerance: float | None = None,
    predicted_column: str = "fair_prediction",
    probability_threshold: float = 0.5,
    seed: int = 0,
    methods: Sequence[str] = POST_METHODS,
) -> Mitigation:
    """Fit per-group thresholds on ``scores`` that meet ``constraint``; label every row.

    Parameters
    ----------
    data:
        A pandas DataFrame or a pyarrow Table with the label, facet and score columns.
    label, facet:
        The observed label and the sensitive column (each facet value is a group).
    label_values:
        The positive label values.
    scores:
        The model's score column (higher = more likely positive).
    constraint:
        ``"demographic_parity"`` or ``"equalized_odds"``.
    tolerance:
        Allowed gap in the selection rates, demographic parity only (``None``: exact
        parity on the fitting rows).
    predicted_column:
        The new 0 / 1 prediction column.
    probability_threshold:
        The model's single threshold, for the "before" predictions (score ``>`` it).
    seed:
        Seed of the randomised rule.
    methods:
        Post-training metric codes for the before / after tables.

    Returns
    -------
    Mitigation
        ``data`` with ``predicted_column``; ``details["rule"]`` the fitted
        :class:`ThresholdRule`, ``details["accuracy_before"]`` / ``["accuracy_after"]``.
    """
    if constraint not in CONSTRAINTS:
        raise ConfigError(
            "constraint", f"expected one of {', '.join(CONSTRAINTS)}, found {constraint!r}"
        )
    if tolerance is not None and constraint != "demographic_parity":
        # fairlearn relaxes demographic parity only ("Relaxed constraints are not
        # supported for equalized odds"); said here, before any work
        raise ConfigError(
            "tolerance",
            f"a tolerance is supported with demographic_parity only, not {constraint}",
            "drop the tolerance (equalized odds is then met exactly on the fitting rows)",
        )
    frame = as_frame(data)
    check_columns(frame, label=label, facet=facet, scores=scores)
    if predicted_column in frame.columns:
        raise ConfigError(
            "predicted_column", f"the column {predicted_column!r} already exists", "choose another"
        )
    optimizer_class = _fairlearn()
    positive = frame[label].isin(list(label_values)).astype(np.int64)
    optimizer = optimizer_class(
        estimator=_scores_estimator(),
        constraints=constraint,
        objective="accuracy_score",
        prefit=True,
        predict_method="predict",
        tol=tolerance,
    )
    optimizer.fit(frame[[scores]], positive, sensitive_features=frame[facet])
    rule = ThresholdRule(scores, facet, constraint, tolerance, optimizer)
    after = rule.predict(frame, seed=seed)
    single = (frame[scores].to_numpy(dtype=np.float64) > probability_threshold).astype(np.int64)
    before_frame = frame.assign(**{predicted_column: single})
    after_frame = frame.assign(**{predicted_column: after})
    metrics: dict[str, Any] = {
        "label": label,
        "label_values": [1],
        "facet": facet,
        "methods": list(methods),
        "predicted_label": predicted_column,
    }
    binary = {label: positive}
    return Mitigation(
        data=after_frame,
        before=bias_metrics(
            before_frame.assign(**binary)[[label, facet, predicted_column]], **metrics
        ),
        after=bias_metrics(
            after_frame.assign(**binary)[[label, facet, predicted_column]], **metrics
        ),
        method="thresholds",
        details={
            "rule": rule,
            "accuracy_before": float(np.mean(single == positive)),
            "accuracy_after": float(np.mean(after == positive)),
        },
    )
