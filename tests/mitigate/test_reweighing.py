"""Reweighing: closed-form weights, exact weighted independence, weighted DPL 0."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from openclarify import mitigate
from openclarify.errors import ConfigError, DatasetError


def test_closed_form_weights_on_a_small_table() -> None:
    # six rows, twenty times (a 0/1 label on very few rows would be read as continuous,
    # as Clarify reads it): P(a) = P(b) = P(1) = P(0) = 1/2;
    # cells (a,1)=2, (a,0)=1, (b,1)=1, (b,0)=2 of every 6
    frame = pd.DataFrame({"g": list("aaabbb") * 20, "y": [1, 1, 0, 1, 0, 0] * 20})
    done = mitigate.reweigh(frame, label="y", facet="g", label_values=[1])
    # w(a, y) = P(a)P(y)/P(a, y): (1/2)(1/2)/(2/6) = 0.75, (1/2)(1/2)/(1/6) = 1.5
    assert done.data["sample_weight"].tolist() == [0.75, 0.75, 1.5, 1.5, 0.75, 0.75] * 20
    assert done.details["weights"] == {"a|0": 1.5, "a|1": 0.75, "b|0": 0.75, "b|1": 1.5}
    after = done.after.set_index(["value_or_threshold", "metric"])["value"]
    assert after[("a", "DPL")] == 0.0 and after[("b", "DPL")] == 0.0
    before = done.before.set_index(["value_or_threshold", "metric"])["value"]
    assert before[("b", "DPL")] == pytest.approx(2 / 3 - 1 / 3)  # q_a − q_d before


def _table(seed: int, rows: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    facet = rng.choice(["x", "y", "z", "w"], size=rows, p=[0.5, 0.3, 0.15, 0.05])
    p_positive = {"x": 0.7, "y": 0.5, "z": 0.3, "w": 0.2}
    label = [int(rng.random() < p_positive[f]) + int(rng.random() < 0.2) for f in facet]
    return pd.DataFrame({"facet": facet, "label": label, "other": rng.normal(size=rows)})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_weighted_joint_is_the_product_of_weighted_marginals(seed: int) -> None:
    frame = _table(seed)
    done = mitigate.reweigh(frame, label="label", facet="facet", label_values=[1, 2])
    weights = done.data["sample_weight"].to_numpy()
    total = math.fsum(weights)
    for a in frame.facet.unique():
        for y in frame.label.unique():
            in_a, in_y = (frame.facet == a).to_numpy(), (frame.label == y).to_numpy()
            joint = math.fsum(weights[in_a & in_y]) / total
            product = (math.fsum(weights[in_a]) / total) * (math.fsum(weights[in_y]) / total)
            # Each weight is n_a·n_y/(n·n_ay): exact integers, one rounded division
            # (relative error ≤ 2^-53); fsum rounds each sum once more, and the
            # three divisions and the product add at most 5 more such roundings.
            # So both sides are within ~8·2^-53 ≈ 9e-16 relative of n_a·n_y/n²: 1e-14 is
            # ten times that, and a wrong weight (even by one ulp per row, summed over
            # hundreds of rows) would exceed it.
            assert joint == pytest.approx(product, rel=1e-14, abs=0)
    # the marginals are unchanged: each facet value and label value keeps its total weight
    for a, count in frame.facet.value_counts().items():
        assert math.fsum(weights[(frame.facet == a).to_numpy()]) == pytest.approx(count, rel=1e-14)


def test_weighted_dpl_and_divergences_are_zero_and_ci_is_kept() -> None:
    frame = _table(7)
    done = mitigate.reweigh(frame, label="label", facet="facet", label_values=[2])
    summary = done.summary().set_index(["value_or_threshold", "metric"])
    for value in frame.facet.unique():
        # weighted positive shares agree to a few ulps (sums of ≤ 3000 weights):
        # 1e-12 is the bound, far above the rounding and far below any real gap
        assert abs(summary.loc[(value, "DPL"), "after"]) < 1e-12
        assert abs(summary.loc[(value, "DPL"), "before"]) > 1e-3
        for code in ("TVD", "KS", "LP"):
            assert abs(summary.loc[(value, code), "after"]) < 1e-12
        assert summary.loc[(value, "CI"), "after"] == pytest.approx(
            summary.loc[(value, "CI"), "before"], abs=1e-12
        )


def test_unit_weights_reproduce_the_jobs_metrics() -> None:
    from openclarify.mitigate.reweighing import weighted_metrics

    frame = _table(4)
    done = mitigate.reweigh(frame, label="label", facet="facet", label_values=[1])
    unit = weighted_metrics(
        frame.facet,
        frame.label.isin([1]).to_numpy(),
        np.ones(len(frame)),
        list(done.before.metric.unique()),
    )
    merged = done.before.merge(unit, on=["facet", "value_or_threshold", "metric"])
    assert len(merged) == len(done.before)
    # same formulas, integer-valued sums: equal to the last bit or two
    np.testing.assert_allclose(merged.value_x, merged.value_y, rtol=1e-13, atol=1e-15)


def test_refusals() -> None:
    frame = pd.DataFrame({"g": list("aabb"), "y": [1, 0, 1, 0], "sample_weight": 1.0})
    with pytest.raises(ConfigError, match="already exists"):
        mitigate.reweigh(frame, label="y", facet="g", label_values=[1])
    with pytest.raises(DatasetError, match="no such column"):
        mitigate.reweigh(frame, label="y", facet="h", label_values=[1], weight_column="w")
    with pytest.raises(DatasetError, match="missing value"):
        mitigate.reweigh(
            frame.assign(g=["a", None, "b", "b"]),
            label="y",
            facet="g",
            label_values=[1],
            weight_column="w",
        )
