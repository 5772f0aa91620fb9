"""Hopeless jobs fail early with an estimate instead of exhausting memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.errors import ConfigError, DatasetError
from openclarify.limits import available_memory, check_dataset_fits, check_shap_fits

GB = 1024**3


def test_available_memory_is_a_plausible_number() -> None:
    assert 64 * 1024**2 < available_memory() < 1 << 62


def test_a_dataset_larger_than_memory_is_refused_before_reading(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n" + "1,2\n" * 1000)
    assert check_dataset_fits([data], "text/csv", available=GB) == data.stat().st_size
    with pytest.raises(DatasetError) as caught:
        check_dataset_fits([data], "text/csv", available=1000)
    assert "needs at least 0.0 GB of memory once read (1 file(s))" in caught.value.problem
    assert caught.value.fix and "more memory" in caught.value.fix


def test_parquet_is_measured_uncompressed(tmp_path: Path) -> None:
    path = tmp_path / "zeros.parquet"
    pd.DataFrame({"x": np.zeros(200_000)}).to_parquet(path)  # compresses to almost nothing
    needed = check_dataset_fits([path], "application/x-parquet", available=GB)
    assert needed == 200_000 * 8  # float64 values once decoded, not the few bytes on disk


def test_absurd_num_samples_is_refused_with_what_fits() -> None:
    with pytest.raises(ConfigError) as caught:
        check_shap_fits(10**9, baseline_rows=10, n_features=40, n_records=100, available=8 * GB)
    error = caught.value
    assert error.where == "$.methods.shap.num_samples"
    # 10^9 × (10·40·8 + 40 + 8) bytes = 3024.9 GB; half of 8 GB fits 1,322,342 coalitions
    assert error.problem.startswith(
        "1,000,000,000 coalitions x 10 baseline row(s) x 40 features need 3024.9 GB"
    )
    assert error.fix == "use num_samples <= 1,322,342, or fewer baseline rows (num_clusters)"


def test_reasonable_settings_pass_and_count_model_rows() -> None:
    rows = check_shap_fits(2048, baseline_rows=10, n_features=15, n_records=100, available=GB)
    assert rows == 100 * (2048 * 10 + 1) + 10


def test_the_job_refuses_before_calling_the_model(tmp_path: Path) -> None:
    import joblib

    from tests.explain import models

    data = models.frame()
    data.to_csv(tmp_path / "data.csv", index=False)
    joblib.dump(models.additive_model, tmp_path / "model.joblib")
    names = [f"f{i}" for i in range(60)]
    wide = pd.DataFrame(np.ones((3, 60)), columns=names)
    wide["label"] = [0, 1, 0]
    wide.to_csv(tmp_path / "wide.csv", index=False)
    config = {
        "dataset_type": "text/csv",
        "label": "label",
        "predictor": {
            "openclarify": {
                "model_path": str(tmp_path / "model.joblib"),  # would fail if called
                "allow_code_execution": True,
            }
        },
        "methods": {"shap": {"num_samples": 10**9, "baseline": [[0.0] * 60]}},
    }
    with pytest.raises(ConfigError, match=r"num_samples <= "):
        openclarify.analyze(config, tmp_path / "wide.csv")
