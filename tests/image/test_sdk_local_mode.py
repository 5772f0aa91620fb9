"""The image under the real SageMaker Python SDK (2.257.7) in local mode.

Every job is run by ``sdk_local_mode.py`` with the SDK's own venv (``.venv-sdk``):
``SageMakerClarifyProcessor(instance_type="local")`` with ``image_uri`` set to our image,
S3 on moto's server. Local mode uploads ``analysis_config.json`` and the data to S3,
downloads them again into the folders it mounts, runs the container with
``docker-compose up`` on the ``sagemaker-local`` network and uploads
``/opt/ml/processing/output`` to ``s3_output_path``. Each test then checks what an SDK
user gets back in S3 against the library itself: ``openclarify.analyze`` on the
``analysis_config.json`` the SDK uploaded and the same data must give the same
``analysis.json`` bytes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pandas as pd

import openclarify
from openclarify.results import dumps_analysis

from .conftest import SAMPLES, network_model_server, run_sdk_driver

#: What the lab's ``aws s3 ls`` of the output prefix shows.
LAB_FILES = ["analysis.json", "analysis_config.json", "report.html", "report.ipynb", "report.pdf"]
LOANS = SAMPLES / "post_training_predicted_label_csv" / "loans_scored.csv"
CATEGORIES = {
    "Dresses": 0.30,
    "Knits": 0.20,
    "Blouses": 0.15,
    "Sweaters": 0.10,
    "Pants": 0.10,
    "Jeans": 0.08,
    "Fine gauge": 0.05,
    "Trend": 0.02,
}
#: P(sentiment = -1, 0, 1) by category: most reviews are positive, some categories less so.
SENTIMENT = {"Trend": (0.3, 0.3, 0.4), "Knits": (0.15, 0.15, 0.7), "Jeans": (0.05, 0.1, 0.85)}
WORDS = ["love", "fits", "true to size", "runs small", "fabric", "color", "returned", "soft"]


def lab_reviews(rows: int = 900, seed: int = 11) -> pd.DataFrame:
    """A small stand-in for the lab's transformed reviews: sentiment, review_body, product_category.

    Unbalanced like the real data (most reviews positive, a few categories dominate);
    every (category, sentiment) group has at least 3 rows so that balancing keeps all.
    The text has commas and quotes, as real reviews do.
    """
    rng = random.Random(seed)
    records = []

    def review(category: str, sentiment: int) -> dict[str, Any]:
        words = rng.sample(WORDS, 3)
        body = f'{words[0].capitalize()}, {words[1]} and "{words[2]}"'
        return {"sentiment": sentiment, "review_body": body, "product_category": category}

    for category in CATEGORIES:
        for sentiment in (-1, 0, 1):
            records += [review(category, sentiment) for _ in range(3)]
    names, weights = list(CATEGORIES), list(CATEGORIES.values())
    while len(records) < rows:
        category = rng.choices(names, weights)[0]
        sentiment = rng.choices((-1, 0, 1), SENTIMENT.get(category, (0.1, 0.15, 0.75)))[0]
        records.append(review(category, sentiment))
    rng.shuffle(records)
    return pd.DataFrame.from_records(records)


def assert_same_as_library(entry: dict[str, Any], **predictor: Any) -> dict[str, Any]:
    """The job's analysis.json equals the library's on the uploaded config and data, byte for byte.

    ``predictor`` replaces keys of ``predictor.openclarify`` for the reference run (the
    container's model URL is not the host's).
    """
    folder = Path(entry["folder"])
    config = json.loads((folder / "analysis_config.json").read_text())
    if predictor:
        config["predictor"]["openclarify"].update(predictor)
    result = openclarify.analyze(config, entry["dataset"])
    written = (folder / "analysis.json").read_text()
    assert written == dumps_analysis(result.to_dict()), entry["run"]
    if result.shap is not None:
        shap = folder / "explanations_shap"
        assert (shap / "baseline.csv").read_text() == result.shap.baseline_csv()
        assert (shap / "out.csv").read_text() == result.shap.local_csv()
    document: dict[str, Any] = json.loads(written)
    return document


def metric(group: dict[str, Any], name: str) -> float:
    return next(float(m["value"]) for m in group["metrics"] if m["name"] == name)


def test_lab_detect_data_bias_unbalanced_then_balanced(
    image: str, sdk_python: str, moto_s3: str, local_mode_network: str, tmp_path: Path
) -> None:
    reviews = tmp_path / "womens_clothing_ecommerce_reviews_transformed.csv"
    lab_reviews().to_csv(reviews, index=False)
    done = run_sdk_driver(
        sdk_python, "lab", s3_url=moto_s3, image=image, work=tmp_path, dataset=reviews
    )
    assert [run["run"] for run in done.runs] == ["unbalanced", "balanced"]
    facets = {}
    for run in done.runs:
        assert run["status"] == "Completed"
        assert run["keys"] == LAB_FILES
        document = assert_same_as_library(run)
        groups = document["pre_training_bias_metrics"]["facets"]["product_category"]
        facets[run["run"]] = {g["value_or_threshold"]: g for g in groups}
        config = json.loads((Path(run["folder"]) / "analysis_config.json").read_text())
        assert config["methods"]["pre_training_bias"] == {
            "methods": ["CI", "DPL", "KL", "JS", "LP", "TVD", "KS"]
        }
        assert config["methods"]["report"] == {"name": "report", "title": "Analysis Report"}

    unbalanced, balanced = facets["unbalanced"], facets["balanced"]
    assert sorted(unbalanced) == sorted(balanced) == sorted(CATEGORIES)
    assert max(abs(metric(g, "DPL")) for g in unbalanced.values()) > 0.1
    assert len({metric(g, "CI") for g in unbalanced.values()}) > 1
    # after balancing: every category has the same share of rows, and the same share
    # of positive labels as the rest of the data
    assert {metric(g, "DPL") for g in balanced.values()} == {0.0}
    assert len({metric(g, "CI") for g in balanced.values()}) == 1
    balanced_rows = pd.read_csv(done.runs[1]["dataset"])
    counts = balanced_rows.groupby(["product_category", "sentiment"]).size()
    assert counts.nunique() == 1 and len(counts) == 3 * len(CATEGORIES)


def test_post_training_bias_from_predicted_labels_in_the_data(
    image: str, sdk_python: str, moto_s3: str, local_mode_network: str, tmp_path: Path
) -> None:
    done = run_sdk_driver(
        sdk_python, "post-training", s3_url=moto_s3, image=image, work=tmp_path, dataset=LOANS
    )
    (run,) = done.runs
    assert run["status"] == "Completed"
    assert run["keys"] == LAB_FILES
    config = json.loads((Path(run["folder"]) / "analysis_config.json").read_text())
    assert config["predicted_label"] == "Prediction" and "predictor" not in config
    assert set(config["methods"]) == {"post_training_bias", "report"}
    document = assert_same_as_library(run)
    assert set(document) >= {"post_training_bias_metrics"}
    assert "pre_training_bias_metrics" not in document


def test_run_bias_pre_and_post_training(
    image: str, sdk_python: str, moto_s3: str, local_mode_network: str, tmp_path: Path
) -> None:
    done = run_sdk_driver(
        sdk_python, "bias", s3_url=moto_s3, image=image, work=tmp_path, dataset=LOANS
    )
    (run,) = done.runs
    assert run["status"] == "Completed"
    assert run["keys"] == LAB_FILES
    document = assert_same_as_library(run)
    assert {"pre_training_bias_metrics", "post_training_bias_metrics"} <= set(document)
    (gender,) = document["post_training_bias_metrics"]["facets"]["Gender"]
    assert {m["name"] for m in gender["metrics"]} >= {"DPPL", "DI", "FT", "CDDPL"}


def test_explainability_shap_and_pdp_through_a_model_on_the_local_mode_network(
    image: str,
    sdk_python: str,
    moto_s3: str,
    local_mode_network: str,
    model_server: str,
    tmp_path: Path,
) -> None:
    dataset = tmp_path / "loans.csv"
    pd.read_csv(LOANS).head(60).to_csv(dataset, index=False)
    with network_model_server(image, local_mode_network) as model_url:
        done = run_sdk_driver(
            sdk_python,
            "explain",
            s3_url=moto_s3,
            image=image,
            work=tmp_path,
            dataset=dataset,
            extra=("--model-url", model_url),
        )
    (run,) = done.runs
    assert run["status"] == "Completed"
    assert run["keys"] == sorted(
        [*LAB_FILES, "explanations_shap/baseline.csv", "explanations_shap/out.csv"]
    )
    config = json.loads((Path(run["folder"]) / "analysis_config.json").read_text())
    assert config["predictor"]["openclarify"] == {"endpoint_url": "http://model:8080"}
    # the same model, served on the host for the library's own run
    document = assert_same_as_library(run, endpoint_url=model_server)
    explanations = document["explanations"]
    assert set(explanations) == {"kernel_shap", "pdp"}
    assert {pdp["feature_name"] for pdp in explanations["pdp"]} == {"Age", "CreditScore"}
