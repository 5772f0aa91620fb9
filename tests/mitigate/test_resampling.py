"""Resampling: cell counts as specified, seeded, DPL 0 after balancing as in the lab."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from openclarify import mitigate
from openclarify.errors import ConfigError

sys.path.insert(0, str(Path(__file__).parents[2] / "examples"))
from womens_clothing_reviews import reviews

LAB = {"label": "sentiment", "facet": "product_category", "label_values": [1]}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return reviews(1500, seed=5)


def _cells(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby(["product_category", "sentiment"]).size()


def test_undersample_is_the_labs_balancing(data: pd.DataFrame) -> None:
    done = mitigate.resample(data, **LAB, seed=42)
    smallest = int(_cells(data).min())
    assert set(_cells(done.data)) == {smallest}
    assert done.details["cell_rows"] == smallest
    # the lab's own call gives the same cell sizes (pandas >= 3 keeps every column)
    grouped = data.groupby(["product_category", "sentiment"])
    lab = grouped.sample(n=int(grouped.size().min()), random_state=42)
    assert _cells(lab).equals(_cells(done.data))
    # every row is an input row, none twice
    assert done.data.index.is_unique and set(done.data.index) <= set(data.index)
    assert done.data.equals(data.loc[done.data.index])


def test_after_balancing_dpl_is_zero_and_ci_is_equal(data: pd.DataFrame) -> None:
    done = mitigate.resample(data, **LAB, seed=1)
    after = done.after.pivot(index="value_or_threshold", columns="metric", values="value")
    # every facet value has the same label distribution: the two shares are the same
    # correctly rounded quotient, so the difference is exactly 0 (not merely small)
    assert set(after["DPL"]) == {0.0}
    assert set(after["TVD"]) == {0.0} and set(after["KS"]) == {0.0}
    assert after["CI"].nunique() == 1
    before = done.before.pivot(index="value_or_threshold", columns="metric", values="value")
    assert before["DPL"].abs().max() > 0.05  # there was something to fix


def test_oversample_keeps_every_row_and_reaches_the_largest_cell(data: pd.DataFrame) -> None:
    done = mitigate.resample(data, **LAB, strategy="oversample", seed=3)
    largest = int(_cells(data).max())
    assert set(_cells(done.data)) == {largest}
    assert set(done.data.index) == set(data.index)  # nothing dropped


@pytest.mark.parametrize("ratio", [0.05, 0.25, 1.0])
def test_a_ratio_of_the_largest_cell(data: pd.DataFrame, ratio: float) -> None:
    done = mitigate.resample(data, **LAB, strategy=ratio, seed=3)
    target = max(1, round(ratio * int(_cells(data).max())))
    assert set(_cells(done.data)) == {target}
    for key, size in _cells(data).items():
        rows = done.data[(done.data.product_category == key[0]) & (done.data.sentiment == key[1])]
        # a cell at or above the target is drawn without replacement
        assert rows.index.is_unique == (size >= target)


def test_seeded(data: pd.DataFrame) -> None:
    first = mitigate.resample(data, **LAB, strategy=0.5, seed=9).data
    again = mitigate.resample(data, **LAB, strategy=0.5, seed=9).data
    other = mitigate.resample(data, **LAB, strategy=0.5, seed=10).data
    assert first.equals(again)
    assert not first.index.equals(other.index)


def test_refusals(data: pd.DataFrame) -> None:
    for bad in ("sideways", 0, 1.5, True):
        with pytest.raises(ConfigError, match="strategy"):
            mitigate.resample(data, **LAB, strategy=bad)
