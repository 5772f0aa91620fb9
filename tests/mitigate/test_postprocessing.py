"""Per-group thresholds (fairlearn): the criterion holds on held-out data within its tolerance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openclarify import mitigate

pytest.importorskip("fairlearn")


def _scored(rows: int, seed: int) -> pd.DataFrame:
    """Group b's scores run lower than group a's, for the same true positive rate."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=rows, p=[0.6, 0.4])
    label = (rng.random(rows) < np.where(group == "a", 0.6, 0.35)).astype(int)
    score = np.clip(rng.normal(0.35 + 0.3 * label - 0.1 * (group == "b"), 0.15), 0, 1)
    return pd.DataFrame({"group": group, "label": label, "score": score})


TRAIN, TEST = _scored(20000, 1), _scored(20000, 2)
#: Sampling slack on held-out rows: a group rate over ≥ 8,000 rows has a standard
#: error ≤ 0.5/√8000 ≈ 0.0056; a gap of two rates ≤ 0.008; the fitted thresholds
#: carry the training rows' error too (≈ the same again): σ ≈ 0.011, and 4σ ≈ 0.045.
SLACK = 0.045


def _rates(frame: pd.DataFrame, predicted: np.ndarray) -> dict[str, dict[str, float]]:
    out = {}
    for g in ("a", "b"):
        mine = (frame.group == g).to_numpy()
        y = frame.label.to_numpy()[mine]
        p = predicted[mine]
        out[g] = {"selection": p.mean(), "tpr": p[y == 1].mean(), "fpr": p[y == 0].mean()}
    return out


def test_demographic_parity_on_held_out_rows() -> None:
    done = mitigate.thresholds(
        TRAIN, label="label", facet="group", label_values=[1], scores="score", tolerance=0.02
    )
    rule = done.details["rule"]
    held_out = _rates(TEST, rule.predict(TEST, seed=5))
    gap = abs(held_out["a"]["selection"] - held_out["b"]["selection"])
    assert gap <= 0.02 + SLACK
    single = _rates(TEST, (TEST.score > 0.5).to_numpy().astype(int))
    assert abs(single["a"]["selection"] - single["b"]["selection"]) > 0.2  # a real gap before
    dppl = done.summary().set_index(["value_or_threshold", "metric"])
    assert abs(dppl.loc[("b", "DPPL"), "after"]) < abs(dppl.loc[("b", "DPPL"), "before"])


def test_equalized_odds_on_held_out_rows() -> None:
    done = mitigate.thresholds(
        TRAIN,
        label="label",
        facet="group",
        label_values=[1],
        scores="score",
        constraint="equalized_odds",
    )
    held_out = _rates(TEST, done.details["rule"].predict(TEST, seed=5))
    # exact on the fitting rows (fairlearn relaxes only demographic parity): the gaps
    # on new rows are sampling error only
    assert abs(held_out["a"]["tpr"] - held_out["b"]["tpr"]) <= SLACK
    assert abs(held_out["a"]["fpr"] - held_out["b"]["fpr"]) <= SLACK
    single = _rates(TEST, (TEST.score > 0.5).to_numpy().astype(int))
    assert abs(single["a"]["tpr"] - single["b"]["tpr"]) > 0.1  # a real gap before
    assert done.data["fair_prediction"].isin([0, 1]).all()


def test_a_tolerance_with_equalized_odds_is_refused() -> None:
    from openclarify.errors import ConfigError

    with pytest.raises(ConfigError, match="demographic_parity"):
        mitigate.thresholds(
            TRAIN,
            label="label",
            facet="group",
            label_values=[1],
            scores="score",
            constraint="equalized_odds",
            tolerance=0.01,
        )


def test_seeded_predictions() -> None:
    done = mitigate.thresholds(
        TRAIN, label="label", facet="group", label_values=[1], scores="score"
    )
    rule = done.details["rule"]
    assert np.array_equal(rule.predict(TEST, seed=3), rule.predict(TEST, seed=3))
