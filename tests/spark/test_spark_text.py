"""Text explanations on Spark write the local backend's bytes.

The driver cuts the texts and lays the records out once; the tasks explain
contiguous parts of the records (24 records over 8 tasks of a ``local[2]``
session), each record drawing its coalitions from ``default_rng([seed,
global row])``.  The model (:func:`tests.explain.text.models.review_model`)
lets the texts interact with the numeric ``age`` and the categorical
``city``, and the budgets are below the number of coalitions, so a part put
back in the wrong place, a wrong row offset or a different layout would change
the values — and ``analysis.json``, ``out.jsonl`` and ``baseline.csv`` are
compared byte for byte, with ``global_top_shap_text`` cut short enough
(``max_top_tokens``) for its order of ties to matter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import pytest

import openclarify
from openclarify.cli import main
from openclarify.errors import ConfigError
from openclarify.explain.text import shap as text_shap
from tests.explain.text.models import batch_sized_review_model, reviews
from tests.sample_server import serve_sample

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_configs" / "text_reviews"
FILES = ["analysis.json", "explanations_shap/out.jsonl", "explanations_shap/baseline.csv"]

#: ``batch_rows``: synthetic rows per model call, lowered so that 2 to 3 records share a
#: call and the 24 records make 8 to 12 calls, spread over 8 tasks.
CASES: dict[str, dict[str, Any]] = {
    "token_seed_3": {
        # the default budget (2P + 2048 coalitions): fits large enough for BLAS to thread
        "granularity": "token",
        "shap": {"seed": 3, "baseline": [["", 40, "north"]]},
        "batch_rows": 6000,
    },
    "sentence_seed_11_two_labels": {
        "granularity": "sentence",
        "shap": {"num_samples": 12, "seed": 11, "baseline": [["<UNK>", 40, "north"]]},
        "label_headers": ["happy", "spread"],
        "batch_rows": 39,
    },
    "paragraph_computed_baseline": {
        # no baseline: k-means centres of age and city, the text default for the reviews
        "granularity": "paragraph",
        "shap": {"num_samples": 5, "seed": 5, "num_clusters": 2, "agg_method": "median"},
        "batch_rows": 24,
    },
}


def _setup(tmp_path: Path, case: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    data = tmp_path / "reviews.csv"
    reviews().to_csv(data, index=False)
    joblib.dump(batch_sized_review_model, tmp_path / "model.joblib")
    predictor: dict[str, Any] = {
        "openclarify": {"model_path": str(tmp_path / "model.joblib"), "allow_code_execution": True}
    }
    if "label_headers" in case:
        predictor["label_headers"] = case["label_headers"]
    config = {
        "dataset_type": "text/csv",
        "label": "label",
        "joinsource_name_or_index": "id",
        "predictor": predictor,
        "methods": {
            "shap": {
                "save_local_shap_values": True,
                "text_config": {
                    "granularity": case["granularity"],
                    "language": "english",
                    "max_top_tokens": 6,
                },
                **case["shap"],
            }
        },
    }
    return config, data


def _written(folder: Path, names: list[str]) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in names}


@pytest.mark.parametrize("name", list(CASES))
def test_spark_writes_the_local_bytes(
    name: str,
    spark: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, data = _setup(tmp_path, CASES[name])
    # on the driver (and in the local run): the tasks are given the records per call
    monkeypatch.setattr(text_shap, "DEFAULT_MAX_BATCH_ROWS", CASES[name]["batch_rows"])
    local = openclarify.run(config, data, tmp_path / "local", backend="local")
    with caplog.at_level(logging.INFO, logger="openclarify"):
        on_spark = openclarify.run(config, data, tmp_path / "spark", backend="spark")
    assert "Text SHAP on Spark: 24 records in 8 task(s)" in caplog.text, caplog.text
    assert on_spark.to_dict() == local.to_dict()
    assert _written(tmp_path / "spark", FILES) == _written(tmp_path / "local", FILES)
    lines = (tmp_path / "spark" / FILES[1]).read_text().splitlines()
    assert [json.loads(line)["join_source_value"] for line in lines] == [f"r{i}" for i in range(24)]
    # the record without text has no unit attributions, wherever its part ran
    assert json.loads(lines[5])["explanations"][0]["attributions"] == []


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    """``main`` points the openclarify logger at the (captured) stderr of the moment."""
    logger = logging.getLogger("openclarify")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.fixture(scope="module")
def sample_server() -> Iterator[str]:
    with serve_sample(SAMPLE) as url:
        yield url


def test_the_sample_through_the_cli_writes_the_local_bytes(
    spark: Any, sample_server: str, tmp_path: Path
) -> None:
    # sample_configs/text_reviews as its README runs it, report included, against its
    # own model server: only the server's address changed
    config = json.loads((SAMPLE / "analysis_config.json").read_text())
    config["predictor"]["openclarify"]["endpoint_url"] = sample_server
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(config))
    written = {}
    for backend in ("local", "spark"):
        out = tmp_path / backend
        args = ["analyze", "--config", str(path), "--dataset", str(SAMPLE / "reviews.csv")]
        assert main([*args, "--output", str(out), "--backend", backend]) == 0
        names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
        written[backend] = _written(out, names)
    assert set(written["local"]) >= {*FILES, "report.html"}
    assert written["spark"] == written["local"]


def test_shadow_endpoints_are_refused_naming_the_backend(spark: Any, tmp_path: Path) -> None:
    config, data = _setup(tmp_path, CASES["token_seed_3"])
    config["predictor"] = {
        "model_name": "m",
        "instance_type": "ml.m5.xlarge",
        "initial_instance_count": 1,
    }
    with pytest.raises(ConfigError) as caught:
        openclarify.analyze(config, data, backend="spark")
    assert caught.value.where == "--backend"
    assert "shadow endpoint ($.predictor.model_name)" in str(caught.value)


def test_a_lent_model_is_refused_naming_the_backend(tmp_path: Path) -> None:
    # an object lent to the job lives in the driver's process only; tasks run in others
    from openclarify.predict.inprocess import lent_model

    config, data = _setup(tmp_path, CASES["token_seed_3"])
    with lent_model(batch_sized_review_model) as path:
        config["predictor"]["openclarify"] = {"model_path": path, "allow_code_execution": True}
        with pytest.raises(ConfigError) as caught:
            openclarify.analyze(config, data, backend="spark")
    assert caught.value.where == "--backend"
    assert "exists only in this process" in str(caught.value)
    assert "joblib.dump" in str(caught.value)
