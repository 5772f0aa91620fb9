"""The same data in other layouts gives exactly the golden result.

The contract's test vector (golden case ``contract_vector``, computed by
smclarify 0.5) is re-laid out as (1) a main dataset plus a facet side dataset
matched by position, (2) the same joined on an id column with the side rows
shuffled, (3) a predicted-label side dataset, and (4) a whole-file
``application/json`` document.  Every layout must give the golden values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import openclarify
from openclarify.errors import DatasetError

from ..golden.compare import assert_matches_golden

CASE = Path(__file__).parent.parent / "golden" / "cases" / "contract_vector"


@pytest.fixture()
def vector() -> pd.DataFrame:
    config = json.loads((CASE / "analysis_config.json").read_text())
    frames = [pd.read_csv(p) for p in sorted((CASE / "data").iterdir())]
    assert all(list(f.columns) == config["headers"] for f in frames)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture()
def expected() -> dict:
    return json.loads((CASE / "expected.json").read_text())


def _base_config() -> dict:
    config = json.loads((CASE / "analysis_config.json").read_text())
    config.pop("headers")
    return config


def test_facet_side_dataset_by_position(
    vector: pd.DataFrame, expected: dict, tmp_path: Path
) -> None:
    vector[["g", "x1", "y", "yhat"]].to_csv(tmp_path / "main.csv", index=False)
    vector[["f"]].to_csv(tmp_path / "facet.csv", index=False)
    config = _base_config() | {"facet_dataset_uri": str(tmp_path / "facet.csv")}
    result = openclarify.analyze(config, tmp_path / "main.csv").to_dict()
    assert_matches_golden(result, expected, "facet side dataset by position")


def test_facet_side_dataset_joined_on_id(
    vector: pd.DataFrame, expected: dict, tmp_path: Path
) -> None:
    vector = vector.assign(id=range(1000, 1000 + len(vector)))
    vector[["id", "g", "x1", "y", "yhat"]].to_csv(tmp_path / "main.csv", index=False)
    side = vector[["id", "f"]].sample(frac=1.0, random_state=7)  # order must not matter
    side.to_csv(tmp_path / "facet.csv", index=False, header=False)
    config = _base_config() | {
        "facet_dataset_uri": str(tmp_path / "facet.csv"),
        "facet_headers": ["id", "f"],
        "joinsource_name_or_index": "id",
    }
    result = openclarify.analyze(config, tmp_path / "main.csv").to_dict()
    assert_matches_golden(result, expected, "facet side dataset joined on id")


def test_predicted_label_side_dataset(vector: pd.DataFrame, expected: dict, tmp_path: Path) -> None:
    vector[["f", "g", "x1", "y"]].to_csv(tmp_path / "main.csv", index=False)
    vector[["yhat"]].to_csv(tmp_path / "pred.csv", index=False)
    config = _base_config() | {"predicted_label_dataset_uri": str(tmp_path / "pred.csv")}
    result = openclarify.analyze(config, tmp_path / "main.csv").to_dict()
    assert_matches_golden(result, expected, "predicted label side dataset")


def test_side_dataset_with_other_row_count_is_a_dataset_error(
    vector: pd.DataFrame, tmp_path: Path
) -> None:
    vector[["g", "x1", "y", "yhat"]].to_csv(tmp_path / "main.csv", index=False)
    vector[["f"]].head(10).to_csv(tmp_path / "facet.csv", index=False)
    config = _base_config() | {"facet_dataset_uri": str(tmp_path / "facet.csv")}
    with pytest.raises(DatasetError) as info:
        openclarify.analyze(config, tmp_path / "main.csv")
    assert str(info.value) == (
        "$.facet_dataset_uri: side dataset has 10 rows but the main dataset has 100. "
        "Fix: give both the same rows in the same order, or set $.joinsource_name_or_index"
    )


def test_whole_file_json_dataset(vector: pd.DataFrame, expected: dict, tmp_path: Path) -> None:
    document = {
        "records": [{"features": [int(r.f), r.g, float(r.x1)]} for r in vector.itertuples()],
        "labels": [int(v) for v in vector["y"]],
        "predictions": [int(v) for v in vector["yhat"]],
    }
    (tmp_path / "data.json").write_text(json.dumps(document))
    config = _base_config() | {
        "dataset_type": "application/json",
        "features": "records[*].features",
        "label": "labels",
        "predicted_label": "predictions",
        "headers": ["f", "g", "x1", "y", "yhat"],
    }
    result = openclarify.analyze(config, tmp_path / "data.json").to_dict()
    assert_matches_golden(result, expected, "application/json dataset")
