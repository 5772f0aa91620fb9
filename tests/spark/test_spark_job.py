"""``--backend spark`` through the job and the command line."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import pytest

import openclarify
from openclarify.cli import main
from openclarify.errors import ConfigError
from tests.explain.models import additive_model

pytestmark = pytest.mark.spark

CASE = Path(__file__).resolve().parents[1] / "golden" / "cases" / "contract_vector"


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    """``main`` points the openclarify logger at the (captured) stderr of the moment."""
    logger = logging.getLogger("openclarify")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def _config(tmp_path: Path) -> Path:
    config: dict[str, Any] = json.loads((CASE / "analysis_config.json").read_text())
    config["methods"]["post_training_bias"] = {"methods": ["DPPL", "DI", "AD", "TE"]}  # no FT
    config["methods"].pop("report", None)
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(config))
    return path


def test_cli_spark_writes_the_same_bytes_as_memory(spark: Any, tmp_path: Path) -> None:
    config = _config(tmp_path)
    data = CASE / "data" / "contract_vector.csv"
    outputs = {}
    for backend in ("memory", "spark"):
        out = tmp_path / backend
        args = ["analyze", "--config", str(config), "--dataset", str(data), "--output", str(out)]
        assert main([*args, "--backend", backend]) == 0
        outputs[backend] = (out / "analysis.json").read_bytes()
    # single-instance key order on both backends (not Clarify-Spark's sorted keys)
    assert outputs["spark"] == outputs["memory"]
    document = json.loads(outputs["spark"])
    # Clarify's Spark build would sort these ("post…", "pre…", "version")
    assert list(document) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics"]


def test_job_logs_that_spark_ran(
    spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="openclarify"):
        openclarify.analyze(
            _config(tmp_path), CASE / "data" / "contract_vector.csv", backend="spark"
        )
    assert "Spark bias counts over 100 rows in 1 task(s)" in caplog.text
    assert "(spark)" in caplog.text


def test_shadow_endpoints_are_refused_naming_the_backend(spark: Any, tmp_path: Path) -> None:
    config = json.loads(_config(tmp_path).read_text())
    config["methods"] = {"shap": {"num_samples": 10}}
    config["predictor"] = {
        "model_name": "m",
        "instance_type": "ml.m5.large",
        "initial_instance_count": 1,
    }
    with pytest.raises(ConfigError, match=r"^--backend: .*a shadow endpoint"):
        openclarify.analyze(config, CASE / "data" / "contract_vector.csv", backend="spark")


def test_without_pyspark_the_error_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from openclarify.backend.spark import spark_session

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ConfigError, match=r"openclarify\[spark\]"), spark_session():
        pass


def test_model_predictions_are_refused_naming_the_backend(spark: Any, tmp_path: Path) -> None:
    config = json.loads(_config(tmp_path).read_text())
    model = tmp_path / "m.joblib"
    joblib.dump(additive_model, model)  # never loaded: refused before the model is opened
    config["predictor"] = {"openclarify": {"model_path": str(model), "allow_code_execution": True}}
    config["methods"] = {"post_training_bias": {"methods": ["DPPL"]}}
    config.pop("predicted_label")
    with pytest.raises(ConfigError, match=r"^--backend: .*predicted labels from the model are not"):
        openclarify.analyze(config, CASE / "data" / "contract_vector.csv", backend="spark")
