"""SHAP on Spark equals the local backend on the SHAP known-answer cases.

The cases of ``tests/explain/test_job_explain.py`` (in-process models with
closed-form Shapley values, checked there to 1e-9) run through
:func:`openclarify.run` twice: ``backend="local"`` and ``backend="spark"``
(records split over 8 tasks by a ``local[2]`` session).  Every record draws
its coalitions from ``default_rng([seed, global row])`` and is explained by
the same code on the same encoded rows, so the written files must be
*byte-identical* — the sampled case (6 of 14 coalitions) included, where a
wrong row offset would change every value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.errors import PredictorError
from tests.explain import models
from tests.explain.models import frame
from tests.explain.test_job_explain import setup

pytestmark = pytest.mark.spark

FILES = ["analysis.json", "explanations_shap/out.csv", "explanations_shap/baseline.csv"]


def _join_column(config: dict[str, Any], dataset: Path) -> None:
    data = frame()
    data.insert(0, "id", [f"r{i}" for i in range(len(data))])
    data.to_csv(dataset, index=False)
    config["joinsource_name_or_index"] = "id"


def _computed_baseline(config: dict[str, Any], dataset: Path) -> None:
    config["methods"]["shap"] = {"num_clusters": 3, "seed": 5, "save_local_shap_values": True}


CASES: dict[str, tuple[Any, dict[str, Any], Callable[[dict[str, Any], Path], None] | None]] = {
    "exact": (models.additive_model, {}, None),
    "sampled": (models.additive_model, {"num_samples": 6, "seed": 11}, None),
    "features_to_explain": (models.additive_model, {"features_to_explain": [3, "age"]}, None),
    "two_outputs": (models.two_output_model, {}, None),
    "use_logit": (models.probability_model, {"use_logit": True, "agg_method": "median"}, None),
    "computed_baseline": (models.additive_model, {}, _computed_baseline),
    "join_column": (models.additive_model, {}, _join_column),
}


def _written(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES if (folder / name).exists()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_spark_shap_equals_local(
    case: str, spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model, shap, change = CASES[case]
    config, dataset = setup(tmp_path, model=model, **shap)
    if case == "two_outputs":
        config["predictor"]["label_headers"] = ["up", "down"]
    if change is not None:
        change(config, dataset)
    openclarify.run(config, dataset, tmp_path / "local")
    with caplog.at_level(logging.INFO, logger="openclarify"):
        openclarify.run(config, dataset, tmp_path / "spark", backend="spark")
    assert "SHAP on Spark: 40 records in 8 task(s)" in caplog.text
    local, distributed = _written(tmp_path / "local"), _written(tmp_path / "spark")
    assert set(local) == set(FILES)  # out.csv is one file, as locally
    assert distributed == local


def test_errors_in_tasks_are_the_local_errors(spark: Any, tmp_path: Path) -> None:
    config, dataset = setup(tmp_path, use_logit=True)  # the additive model is unbounded
    with pytest.raises(PredictorError) as local:
        openclarify.run(config, dataset, tmp_path / "local")
    with pytest.raises(PredictorError) as distributed:
        openclarify.run(config, dataset, tmp_path / "spark", backend="spark")
    assert str(distributed.value) == str(local.value)
    assert distributed.value.where == "$.methods.shap.use_logit"
    assert not (tmp_path / "spark" / "analysis.json").exists()


def test_many_features_round_as_locally(spark: Any, tmp_path: Path) -> None:
    # 30 players, the default 2108 coalitions: XᵀWX is large enough for OpenBLAS to split
    # it over threads, and its rounding depends on how many (tasks.blas_threads)
    rng = np.random.default_rng(7)
    data = pd.DataFrame(rng.normal(size=(16, 30)).round(3), columns=[f"f{j}" for j in range(30)])
    data["label"] = (models.wide_model(data) > 0).astype(int)
    dataset = tmp_path / "wide.csv"
    data.to_csv(dataset, index=False)
    joblib.dump(models.wide_model, tmp_path / "model.joblib")
    config = {
        "dataset_type": "text/csv",
        "label": "label",
        "predictor": {
            "openclarify": {
                "model_path": str(tmp_path / "model.joblib"),
                "allow_code_execution": True,
            }
        },
        "methods": {"shap": {"baseline": [[0.0] * 30], "seed": 2, "save_local_shap_values": True}},
    }
    openclarify.run(config, dataset, tmp_path / "local")
    openclarify.run(config, dataset, tmp_path / "spark", backend="spark")
    assert _written(tmp_path / "spark") == _written(tmp_path / "local")
