"""Baselines given in the config: every accepted form, and every mistake named by its path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openclarify.errors import ConfigError, DatasetError
from openclarify.explain.baseline_input import baseline_from_config
from openclarify.locations import Locations

FEATURES = pd.DataFrame(
    {
        "age": np.array([20, 30], dtype=np.int64),
        "income": [1.5, 2.5],
        "city": pd.Series(["north", "south"], dtype=object),
    }
)
EXPECTED = pd.DataFrame(
    {
        "age": np.array([40, 50], dtype=np.int64),
        "income": [0.5, 7.0],
        "city": pd.Series(["east", "north"], dtype=object),
    }
)


def resolve(
    baseline: object,
    dataset_type: str = "text/csv",
    features: str | None = None,
    config_dir: Path | None = None,
) -> pd.DataFrame:
    return baseline_from_config(
        baseline,  # type: ignore[arg-type]
        FEATURES,
        dataset_type=dataset_type,
        features_expression=features,
        locations=Locations(config_dir=config_dir),
    )


def test_rows_as_lists_take_the_dataset_types() -> None:
    got = resolve([[40, 0.5, "east"], ["50", 7, "north"]])  # "50" read as the number 50
    pd.testing.assert_frame_equal(got, EXPECTED)


def test_jsonlines_objects_are_read_with_the_features_path() -> None:
    rows = [{"f": [40, 0.5, "east"]}, {"f": [50, 7.0, "north"]}]
    pd.testing.assert_frame_equal(resolve(rows, "application/jsonlines", "f"), EXPECTED)


def test_a_json_document_with_the_dataset_structure() -> None:
    document = {"data": {"rows": [[40, 0.5, "east"], [50, 7.0, "north"]]}}
    pd.testing.assert_frame_equal(resolve(document, "application/json", "data.rows"), EXPECTED)


def test_a_csv_file_with_or_without_a_header(tmp_path: Path) -> None:
    (tmp_path / "plain.csv").write_text("40,0.5,east\n50,7.0,north\n")
    (tmp_path / "named.csv").write_text("label,city,income,age\n1,east,0.5,40\n0,north,7.0,50\n")
    pd.testing.assert_frame_equal(resolve("plain.csv", config_dir=tmp_path), EXPECTED)
    # matched by name; the extra label column is ignored
    pd.testing.assert_frame_equal(resolve(str(tmp_path / "named.csv")), EXPECTED)


def test_a_number_for_a_text_column_is_its_text() -> None:
    got = resolve([[40, 0.5, 3]])
    assert got["city"].tolist() == ["3"]


@pytest.mark.parametrize(
    ("baseline", "where", "problem"),
    [
        ([], "$.methods.shap.baseline", "has no rows"),
        ([[1, 2]], "$.methods.shap.baseline[0]", "has 2 values but the model has 3 features"),
        ([[1, 2, "a"], [1, "x", "a"]], "$.methods.shap.baseline[1]", "column 'income' is numeric"),
        ([7], "$.methods.shap.baseline[0]", "expected a list of 3 feature values, found int"),
        ("missing.csv", "$.methods.shap.baseline", "no baseline file at"),
    ],
)
def test_mistakes_name_the_row(baseline: object, where: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(baseline)
    assert caught.value.where == where
    assert problem in caught.value.problem


def test_object_rows_need_the_features_path() -> None:
    with pytest.raises(ConfigError, match=r"needs \$\.features"):
        resolve([{"f": [1, 2, "a"]}])


def test_a_file_of_the_wrong_width(tmp_path: Path) -> None:
    (tmp_path / "wide.csv").write_text("1,2,3,4\n")
    with pytest.raises(DatasetError, match="has 4 columns but the model has 3 features"):
        resolve(str(tmp_path / "wide.csv"))
