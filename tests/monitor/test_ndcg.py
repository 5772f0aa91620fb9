"""nDCG against scikit-learn's ``ndcg_score``, and the attribution drift rule."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from openclarify.errors import DatasetError
from openclarify.monitor import check_drift
from openclarify.monitor.drift import ATTRIBUTION_CHECK
from openclarify.monitor.ndcg import ndcg

from .documents import bias_document, shap_document

# The formula is ported term by term, so only summation-order rounding separates
# the two: a few ulps of a number in [0, 1].
TOLERANCE = 1e-12


def _sklearn(relevance: np.ndarray, score: np.ndarray) -> float:
    return float(ndcg_score([relevance], [score]))


@pytest.mark.parametrize("seed", range(40))
def test_matches_sklearn_on_random_vectors(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 30))
    relevance = rng.exponential(size=n)
    score = rng.normal(size=n)  # negative scores are allowed
    if seed % 3 == 0:  # ties in the scores and in the relevances
        score = np.round(score, 0)
        relevance = np.round(relevance, 0)
    assert ndcg(relevance, score) == pytest.approx(_sklearn(relevance, score), abs=TOLERANCE)


@pytest.mark.parametrize("seed", range(10))
def test_negative_baseline_values_clipped_as_the_check_clips_them(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    baseline = rng.normal(size=8)  # median aggregation: signed global SHAP values
    current = rng.normal(size=8)
    features = [f"f{i}" for i in range(8)]
    check = check_drift(
        shap_document({"label0": dict(zip(features, baseline.tolist(), strict=True))}),
        shap_document({"label0": dict(zip(features, current.tolist(), strict=True))}),
    )
    expected = _sklearn(np.clip(baseline, 0, None), current)
    assert check.attribution[0].score == pytest.approx(expected, abs=TOLERANCE)


def test_all_ties_and_perfect_order() -> None:
    relevance = np.array([3.0, 2.0, 1.0])
    assert ndcg(relevance, [3, 2, 1]) == 1.0
    assert ndcg(relevance, [1, 1, 1]) == pytest.approx(
        _sklearn(relevance, np.ones(3)), abs=TOLERANCE
    )
    assert ndcg([0.0, 0.0], [1.0, 2.0]) == 0.0 == _sklearn(np.zeros(2), np.array([1.0, 2.0]))


def test_docs_worked_example() -> None:
    # Baseline SAT .70 / GPA .50 / Rank .05, live .10 / .20 / .70: "NDCG value is 0.69".
    score = ndcg([0.70, 0.50, 0.05], [0.10, 0.20, 0.70])
    assert round(score, 2) == 0.69
    assert score == pytest.approx(0.6876, abs=5e-5)  # the contract's four digits
    # The reverse argument order would give 0.658: the order matters.
    assert round(ndcg([0.10, 0.20, 0.70], [0.70, 0.50, 0.05]), 3) == 0.658


def test_attribution_violation_wording() -> None:
    baseline = shap_document({"label0": {"SAT": 0.70, "GPA": 0.50, "Rank": 0.05}})
    current = shap_document({"label0": {"SAT": 0.10, "GPA": 0.20, "Rank": 0.70}})
    check = check_drift(baseline, current)
    assert check.kind == "explainability"
    score = check.attribution[0].score
    assert [v.to_dict() for v in check.violations] == [
        {
            "label": "label0",
            "metric_name": "shap",
            "constraint_check_type": ATTRIBUTION_CHECK,
            "description": f"Feature attribution drift {score!r} exceeds threshold 0.9",
        }
    ]
    assert check_drift(baseline, baseline).violations == ()
    # The threshold is a setting; the description quotes it.
    relaxed = check_drift(baseline, current, ndcg_threshold=0.5)
    assert relaxed.violations == ()
    strict = check_drift(baseline, baseline, ndcg_threshold=1.5)
    assert strict.violations[0].description.endswith("exceeds threshold 1.5")


def test_exactly_at_the_threshold_passes() -> None:
    baseline = shap_document({"label0": {"a": 0.7, "b": 0.5, "c": 0.05}})
    current = shap_document({"label0": {"a": 0.1, "b": 0.2, "c": 0.7}})
    score = check_drift(baseline, current).attribution[0].score
    assert check_drift(baseline, current, ndcg_threshold=score).violations == ()


def test_features_intersection_and_labels() -> None:
    baseline = shap_document(
        {"yes": {"a": 0.5, "b": 0.3, "gone": 0.9}, "no": {"a": 0.2, "b": 0.1}, "old": {"a": 1.0}}
    )
    current = shap_document({"no": {"b": 0.5, "a": 0.1, "new": 3.0}, "yes": {"a": 0.5, "b": 0.3}})
    check = check_drift(baseline, current)
    assert [p.label for p in check.attribution] == ["yes", "no"]  # baseline order
    assert [f for f, _, _ in check.attribution[0].features] == ["a", "b"]
    assert check.attribution[0].score == pytest.approx(1.0, abs=TOLERANCE)
    assert [v.label for v in check.violations] == ["no"]
    assert any("old" in note for note in check.notes)


def test_no_feature_in_common_is_an_error() -> None:
    with pytest.raises(DatasetError, match="no label with a feature"):
        check_drift(shap_document({"label0": {"a": 1.0}}), shap_document({"label0": {"b": 1.0}}))
    with pytest.raises(DatasetError, match="no label with a feature"):
        check_drift(shap_document({"label0": {"a": 1.0}}), shap_document({"label1": {"a": 1.0}}))


def test_bias_and_attribution_together() -> None:
    baseline = {
        **bias_document({"AD": 0.1}),
        **{"explanations": shap_document({"l": {"a": 1.0, "b": 0.1}})["explanations"]},
    }
    current = {
        **bias_document({"AD": 0.2}),
        **{"explanations": shap_document({"l": {"a": 0.1, "b": 1.0}})["explanations"]},
    }
    check = check_drift(baseline, current)
    assert check.kind == "bias+explainability"
    assert [v.constraint_check_type for v in check.violations] == [
        "bias_drift_check",
        ATTRIBUTION_CHECK,
    ]


def test_one_feature_in_common() -> None:
    # scikit-learn refuses a single item; one item has one order, so its nDCG is 1.
    assert ndcg([0.4], [-3.0]) == 1.0
    assert ndcg([0.0], [1.0]) == 0.0
    with pytest.raises(ValueError):
        ndcg([], [])
    with pytest.raises(ValueError):
        ndcg([-0.1, 0.2], [1.0, 2.0])
