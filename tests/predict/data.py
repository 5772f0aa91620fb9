"""A dataset and configs shared by the predictor integration tests.

The features are the emulator's (``x0``..``x3``, :func:`tests.emulator.model.make_dataset`),
so its scikit-learn model can score them; ``group`` is a categorical facet kept
from the model with ``excluded_columns``; ``x0`` is also a (continuous) facet.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.emulator.model import SklearnModel

FEATURES = ["x0", "x1", "x2", "x3"]
HEADERS = ["group", *FEATURES, "label"]
N_ROWS = 400


def frame(n_rows: int = N_ROWS) -> pd.DataFrame:
    """``group``, ``x0``..``x3``, ``label`` from the emulator's model's training data."""
    data = SklearnModel(n_rows=N_ROWS).dataset
    rng = np.random.default_rng(1)
    out = data.to_frame("label").iloc[:n_rows].reset_index(drop=True)
    out.insert(0, "group", np.where(rng.random(len(out)) < 0.4, "a", "b"))
    return out


def expected_scores(rows: pd.DataFrame) -> np.ndarray:
    """What the emulator's binary model returns (probability of class 1), computed here."""
    return np.asarray(SklearnModel().expected_scores(rows[FEATURES].to_numpy()))


def write(path: Path, data: pd.DataFrame) -> Path:
    """CSV without a header row (the config names the columns), floats exact."""
    data.to_csv(path, header=False, index=False)
    return path


def config(predictor: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """Pre- and post-training bias over two facets; ``predictor`` when given."""
    document: dict[str, Any] = {
        "dataset_type": "text/csv",
        "headers": HEADERS,
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [
            {"name_or_index": "group", "value_or_threshold": ["a"]},
            {"name_or_index": "x0", "value_or_threshold": [0.0]},
        ],
        "excluded_columns": ["group"],
        "methods": {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        },
    }
    if predictor is not None:
        document["predictor"] = predictor
    document.update(top)
    return document


def assert_same_analysis(left: Any, right: Any, tolerance: float = 1e-12, path: str = "") -> None:
    """Equal JSON documents, numbers to ``tolerance`` (absolute)."""
    if isinstance(left, dict):
        assert isinstance(right, dict) and left.keys() == right.keys(), path
        for key in left:
            assert_same_analysis(left[key], right[key], tolerance, f"{path}.{key}")
    elif isinstance(left, list):
        assert isinstance(right, list) and len(left) == len(right), path
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_same_analysis(a, b, tolerance, f"{path}[{i}]")
    elif isinstance(left, float) and isinstance(right, float):
        assert (math.isnan(left) and math.isnan(right)) or abs(left - right) <= tolerance, (
            f"{path}: {left} != {right}"
        )
    else:
        assert left == right, f"{path}: {left!r} != {right!r}"


def precomputed(tmp_path: Path, threshold: float | None = None) -> dict[str, Any]:
    """``analysis.json`` computed from a precomputed probability column (no model call)."""
    import openclarify

    data = frame()
    data["prob"] = expected_scores(data)
    dataset = write(tmp_path / "with_predictions.csv", data)
    top: dict[str, Any] = {"headers": [*HEADERS, "prob"], "predicted_label": "prob"}
    if threshold is not None:
        top["probability_threshold"] = threshold
    result: dict[str, Any] = openclarify.analyze(config(**top), dataset).to_dict()
    return result
