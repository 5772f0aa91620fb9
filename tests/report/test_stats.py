"""Basic statistics and model performance (contract §5.5), checked against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openclarify.report.stats import REST, ReportStats, model_performance

from .conftest import SAMPLES, case_config, report_stats

SCORED = SAMPLES / "post_training_predicted_label_csv" / "loans_scored.csv"


def _scored() -> pd.DataFrame:
    return pd.read_csv(SCORED)  # the file's first row is its header


def test_facet_group_statistics_equal_pandas() -> None:
    case = "post_training_predicted_label_csv"
    stats = report_stats(case_config(case), SCORED, SAMPLES / case)
    assert stats is not None
    frame = _scored()
    female = frame["Gender"] == "Female"
    y, yhat = frame["Approved"] == 1, frame["Prediction"] == 1
    by_value = {g.value_or_threshold: g for g in stats.groups_of("Gender")}
    assert set(by_value) == {"Female", REST}
    for name, mask in (("Female", female), (REST, ~female)):
        group = by_value[name]
        assert group.rows == int(mask.sum())
        assert group.proportion == pytest.approx(mask.mean(), abs=1e-12)
        assert group.observed_label_distribution == pytest.approx(
            (y[mask].mean(), 1 - y[mask].mean()), abs=1e-12
        )
        expected = [
            (y & yhat)[mask].mean(),
            (~y & yhat)[mask].mean(),
            (y & ~yhat)[mask].mean(),
            (~y & ~yhat)[mask].mean(),
        ]
        assert group.confusion == pytest.approx(expected, abs=1e-12)
    assert stats.performance is not None
    metrics = {m.name: m.value for m in stats.performance.metrics}
    assert metrics["Accuracy"] == pytest.approx((y == yhat).mean(), abs=1e-12)
    assert metrics["True Positive Rate / Recall"] == pytest.approx(yhat[y].mean(), abs=1e-12)
    assert metrics["Acceptance Rate / Precision"] == pytest.approx(y[yhat].mean(), abs=1e-12)


def test_one_vs_rest_groups_cover_every_row() -> None:
    case = "parquet"
    stats = report_stats(case_config(case), SAMPLES / case / "loans.parquet", SAMPLES / case)
    assert stats is not None
    groups = stats.groups_of("MaritalStatus")
    assert len(groups) >= 3 and REST not in {g.value_or_threshold for g in groups}
    assert sum(g.rows for g in groups) == stats.rows
    assert sum(g.proportion for g in groups) == pytest.approx(1.0)


def test_model_performance_known_answer() -> None:
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1], dtype=bool)
    yhat = np.array([1, 1, 0, 1, 0, 0, 0, 0], dtype=bool)  # TP 2, FP 1, FN 2, TN 3
    performance = model_performance("y", y, yhat)
    values = {m.name: m.value for m in performance.metrics}
    assert performance.confusion == (2 / 8, 1 / 8, 2 / 8, 3 / 8)
    assert values == pytest.approx(
        {
            "Accuracy": 5 / 8,
            "Proportion of Positive Predictions in Labels": 3 / 8,
            "Proportion of Negative Predictions in Labels": 5 / 8,
            "True Positive Rate / Recall": 2 / 4,
            "True Negative Rate / Specificity": 3 / 4,
            "Acceptance Rate / Precision": 2 / 3,
            "Rejection Rate": 3 / 5,
            "Conditional Acceptance": 4 / 3,
            "Conditional Rejection": 4 / 5,
            "F1 Score": 2 * (2 / 3) * 0.5 / (2 / 3 + 0.5),
        }
    )


def test_undefined_rates_stay_undefined() -> None:
    y = np.array([0, 0, 0], dtype=bool)
    performance = model_performance("y", y, np.zeros(3, dtype=bool))
    values = {m.name: m.value for m in performance.metrics}
    assert values["True Positive Rate / Recall"] is None
    assert values["Acceptance Rate / Precision"] is None
    assert values["F1 Score"] is None
    assert values["Accuracy"] == 1.0


def test_stats_round_trip_through_a_dict() -> None:
    case = "post_training_predicted_label_csv"
    stats = report_stats(case_config(case), SCORED, SAMPLES / case)
    assert stats is not None
    assert ReportStats.from_dict(stats.to_dict()) == stats
