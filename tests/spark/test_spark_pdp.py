"""PDP on Spark equals the local backend.

The PDP cases of ``tests/explain/test_job_explain.py`` (in-process models
pickled by reference) run through :func:`openclarify.run` with
``backend="memory"`` and ``backend="spark"`` (40 records in 8 slices on a
``local[2]`` session): ``analysis.json`` must be *byte-identical*, grids,
shares and averaged predictions included.  :func:`_pdp_sums` is checked on
its own against :func:`~openclarify.explain.pdp.partial_dependence` with
scores whose sum depends on the order of the additions, where adding up
per-slice sums would not be equal.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.backend.spark import _pdp_sums
from openclarify.errors import ConfigError, PredictorError
from openclarify.explain.pdp import partial_dependence
from tests.explain import models
from tests.explain.test_job_explain import setup

pytestmark = pytest.mark.spark

CASES: dict[str, tuple[Any, dict[str, Any], dict[str, Any] | None]] = {
    # model, methods.pdp, methods.shap (None: PDP only)
    "numeric_and_categorical": (
        models.additive_model,
        {"features": ["age", 3, "income"], "grid_resolution": 4},
        None,
    ),
    "default_grid": (models.probability_model, {"features": ["score", "city"]}, None),
    "two_outputs": (models.two_output_model, {"features": ["city", "score"]}, None),
    "top_k_features": (
        models.additive_model,
        {"top_k_features": 2, "grid_resolution": 3},
        {"num_samples": 6, "seed": 11},
    ),
    "features_with_shap": (models.additive_model, {"features": ["income"]}, {}),
}


def _config(
    tmp_path: Path, model: Any, pdp: dict[str, Any], shap: dict[str, Any] | None
) -> tuple[dict[str, Any], Path]:
    config, dataset = setup(tmp_path, model=model, **(shap or {}))
    if shap is None:
        del config["methods"]["shap"]
    config["methods"]["pdp"] = pdp
    return config, dataset


@pytest.mark.parametrize("case", sorted(CASES))
def test_spark_pdp_equals_memory(
    case: str, spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model, pdp, shap = CASES[case]
    config, dataset = _config(tmp_path, model, pdp, shap)
    if case == "two_outputs":
        config["predictor"]["label_headers"] = ["up", "down"]
    openclarify.run(config, dataset, tmp_path / "memory", backend="memory")
    with caplog.at_level(logging.INFO, logger="openclarify"):
        openclarify.run(config, dataset, tmp_path / "spark", backend="spark")
    assert "over 40 rows in 8 task(s) each" in caplog.text
    local = (tmp_path / "memory" / "analysis.json").read_bytes()
    assert (tmp_path / "spark" / "analysis.json").read_bytes() == local
    plots = json.loads(local)["explanations"]["pdp"]
    assert all(plot["model_predictions"][0] for plot in plots)  # the model was evaluated
    if case == "two_outputs":
        assert plots[0]["label_headers"] == ["up", "down"]
        assert plots[0]["data_type"] == "categorical"


def test_free_text_columns_get_the_local_error_object(spark: Any, tmp_path: Path) -> None:
    config, dataset = _config(tmp_path, models.additive_model, {"features": ["note"]}, None)
    data = pd.read_csv(dataset)
    data["note"] = [f"free text number {i} here" for i in range(len(data))]
    data.to_csv(dataset, index=False)
    openclarify.run(config, dataset, tmp_path / "memory", backend="memory")
    openclarify.run(config, dataset, tmp_path / "spark", backend="spark")
    local = json.loads((tmp_path / "memory" / "analysis.json").read_text())
    distributed = json.loads((tmp_path / "spark" / "analysis.json").read_text())
    assert distributed == local
    assert local["explanations"]["pdp"][0]["data_type"] == "free_text"


def test_model_errors_in_tasks_are_predictor_errors(spark: Any, tmp_path: Path) -> None:
    config, dataset = _config(tmp_path, models.additive_model, {"features": ["age"]}, None)
    config["predictor"]["label_headers"] = ["a", "b", "c"]  # the model returns one score
    with pytest.raises(PredictorError) as local:
        openclarify.run(config, dataset, tmp_path / "memory", backend="memory")
    with pytest.raises(PredictorError) as distributed:
        openclarify.run(config, dataset, tmp_path / "spark", backend="spark")
    assert str(distributed.value) == str(local.value)


def test_shadow_endpoints_are_refused_for_pdp(spark: Any, tmp_path: Path) -> None:
    config, dataset = _config(tmp_path, models.additive_model, {"features": ["age"]}, None)
    config["predictor"] = {
        "model_name": "m",
        "instance_type": "ml.m5.large",
        "initial_instance_count": 1,
    }
    with pytest.raises(ConfigError, match=r"^--backend: .*a shadow endpoint"):
        openclarify.analyze(config, dataset, backend="spark")


def _order_sensitive(rows: pd.DataFrame) -> np.ndarray:
    """Scores spanning many magnitudes: their float64 sum depends on the order of addition."""
    x = rows["x"].to_numpy(dtype=np.float64)
    return np.stack([np.exp(np.sin(x * 7.1) * 30.0) * rows["g"].to_numpy(float), np.cos(x)], 1)


@pytest.mark.parametrize("max_rows", [1_000_000, 7, 13])
def test_sums_are_added_in_the_local_order(max_rows: int) -> None:
    rng = np.random.default_rng(0)  # a draw where per-slice sums differ for every max_rows
    n = 50
    features = pd.DataFrame({"x": rng.normal(size=n), "g": rng.normal(size=n)})
    local = partial_dependence(
        _order_sensitive,
        features,
        "g",
        grid_resolution=5,
        label_headers=["a", "b"],
        max_rows_per_call=max_rows,
    )
    grid = np.asarray(local["feature_values"])
    sizes = [9, 17, 3, 21]  # uneven slices, as np.linspace cuts them
    parts, offset = [], 0
    for size in sizes:
        part = features.iloc[offset : offset + size]
        offset += size
        # grid-major synthetic rows of this slice, as the tasks return them
        stacked = pd.concat([part.assign(g=v) for v in grid], ignore_index=True)
        parts.append(_order_sensitive(stacked))
    means = _pdp_sums(parts, sizes, len(grid), max_rows) / n
    assert [list(means[:, k]) for k in range(2)] == local["model_predictions"]
    # adding up per-slice sums instead would not be equal: the test can tell the orders apart
    per_slice = sum(
        p.reshape(len(grid), s, 2).sum(axis=1) for p, s in zip(parts, sizes, strict=True)
    )
    assert [list(per_slice[:, k] / n) for k in range(2)] != local["model_predictions"]
