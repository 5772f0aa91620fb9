"""Whole jobs against S3 (the moto server on 127.0.0.1, reached through AWS_ENDPOINT_URL_S3).

A job reading its dataset, side datasets and SHAP baseline from S3 and writing
to an ``s3://`` prefix must give exactly the same ``analysis.json`` as the same
job on local files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import pytest

import openclarify
from openclarify.cli import main
from openclarify.errors import ConfigError, DatasetError
from tests.explain import models

from .conftest import S3Server

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "cases" / "contract_vector"


def _config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((GOLDEN / "analysis_config.json").read_text())
    config["methods"].pop("report", None)
    return config


def _put(s3: Any, bucket: str, key: str, body: bytes) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def test_dataset_uri_prefix_and_output_prefix(s3_server: S3Server, tmp_path: Path) -> None:
    s3 = s3_server.client()
    s3.create_bucket(Bucket="data")
    s3.create_bucket(Bucket="results")
    rows = (GOLDEN / "data" / "contract_vector.csv").read_text().splitlines(keepends=True)
    header, body = rows[0], rows[1:]
    half = len(body) // 2
    _put(s3, "data", "in/part-0.csv", (header + "".join(body[:half])).encode())
    _put(s3, "data", "in/part-1.csv", (header + "".join(body[half:])).encode())
    _put(s3, "data", "in/_SUCCESS", b"")
    config = _config()
    config["dataset_uri"] = "s3://data/in/"
    local = openclarify.run(_config(), GOLDEN / "data" / "contract_vector.csv", tmp_path / "local")

    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    # no --dataset: dataset_uri is enough
    assert main(["analyze", "--config", str(config_file), "--output", "s3://results/run-1"]) == 0
    uploaded = s3.get_object(Bucket="results", Key="run-1/analysis.json")["Body"].read()
    assert json.loads(uploaded) == local.to_dict()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="results")["Contents"]]
    assert keys == ["run-1/analysis.json"]


def test_side_datasets_and_shap_baseline_from_s3(s3_server: S3Server, tmp_path: Path) -> None:
    s3 = s3_server.client()
    s3.create_bucket(Bucket="side")
    data = models.frame()
    data.insert(0, "id", range(len(data)))
    data[["id", "age", "income", "score", "city", "label"]].to_csv(
        tmp_path / "main.csv", index=False
    )
    facets = data[["id"]].assign(group=(data["age"] > 45).map({True: "old", False: "young"}))
    _put(s3, "side", "facets/facets.csv", facets.to_csv(index=False).encode())
    _put(s3, "side", "baseline.csv", b"30,45.0,0.5,north\n60,55.5,0.25,east\n")
    joblib.dump(models.additive_model, tmp_path / "model.joblib")
    config: dict[str, Any] = {
        "dataset_type": "text/csv",
        "label": "label",
        "joinsource_name_or_index": "id",
        "facet_dataset_uri": "s3://side/facets/",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "group", "value_or_threshold": ["old"]}],
        "predictor": {
            "openclarify": {
                "model_path": str(tmp_path / "model.joblib"),
                "allow_code_execution": True,
            }
        },
        "methods": {
            "pre_training_bias": {"methods": ["CI", "DPL"]},
            "shap": {"baseline": "s3://side/baseline.csv", "save_local_shap_values": False},
        },
    }
    result = openclarify.run(config, tmp_path / "main.csv", tmp_path / "out").to_dict()
    facets.to_csv(tmp_path / "facets.csv", index=False)
    (tmp_path / "baseline.csv").write_text("30,45.0,0.5,north\n60,55.5,0.25,east\n")
    config["facet_dataset_uri"] = str(tmp_path / "facets.csv")
    config["methods"]["shap"]["baseline"] = str(tmp_path / "baseline.csv")
    assert result == openclarify.analyze(config, tmp_path / "main.csv").to_dict()
    assert (tmp_path / "out" / "explanations_shap" / "baseline.csv").read_text() == (
        "30,45.0,0.5,north\n60,55.5,0.25,east\n"
    )


@pytest.mark.parametrize(
    ("key", "uri", "error", "problem"),
    [
        ("dataset_uri", "s3://missing-bucket/data.csv", DatasetError, "does not exist"),
        ("dataset_uri", "s3://data/nothing-here/", DatasetError, "no objects under"),
        ("baseline", "s3://data/none.csv", ConfigError, "no object"),
    ],
)
def test_s3_mistakes_are_user_errors_naming_the_key(
    s3_server: S3Server, tmp_path: Path, key: str, uri: str, error: type, problem: str
) -> None:
    s3_server.client().create_bucket(Bucket="data")
    config = _config()
    where = "$.dataset_uri"
    if key == "baseline":
        joblib.dump(models.additive_model, tmp_path / "model.joblib")
        config["predictor"] = {
            "openclarify": {
                "model_path": str(tmp_path / "model.joblib"),
                "allow_code_execution": True,
            }
        }
        config["methods"] = {"shap": {"baseline": uri}}
        where = "$.methods.shap.baseline"
        dataset: Path | None = GOLDEN / "data" / "contract_vector.csv"
    else:
        config["dataset_uri"] = uri
        dataset = None
    with pytest.raises(error) as caught:
        openclarify.analyze(config, dataset)
    assert caught.value.where == where
    assert problem in caught.value.problem


def test_output_to_a_missing_bucket_writes_nothing_and_says_so(
    s3_server: S3Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(_config()))
    dataset = GOLDEN / "data" / "contract_vector.csv"
    code = main(
        [
            "analyze",
            "--config",
            str(config_file),
            "--dataset",
            str(dataset),
            "--output",
            "s3://no-such-bucket/run",
        ]
    )
    assert code == 7
    assert "error: --output" in capsys.readouterr().err
