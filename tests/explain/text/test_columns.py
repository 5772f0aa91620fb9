"""Free-text column typing: which columns are split into units, and the others' data_type."""

from __future__ import annotations

import pandas as pd
import pytest

from openclarify.errors import ConfigError, DatasetError
from openclarify.explain.text.columns import column_types

REVIEWS = ["I love it", "too small", "great fit", "not for me"]


def test_prose_is_text_and_the_other_columns_keep_their_kind() -> None:
    frame = pd.DataFrame(
        {
            "Review": REVIEWS,
            "Age": [30, 41, 52, 63],
            "Department": ["Tops", "Tops", "Dresses", "Tops"],
            "Rating": ["5", "3", "4", "1"],  # numbers written as strings
        }
    )
    types = column_types(frame)
    assert types.types == {
        "Review": "free_text",
        "Age": "numerical",
        "Department": "categorical",
        "Rating": "numerical",
    }
    assert types.text == ["Review"] and types.other == ["Age", "Department", "Rating"]


def test_single_words_and_repeated_phrases_are_not_text() -> None:
    ids = [f"id{i}" for i in range(8)]  # unique but single words: an identifier
    repeated = ["New York", "New York", "Los Angeles", "New York"] * 2  # 2/8 distinct: a category
    frame = pd.DataFrame({"Review": REVIEWS * 2, "Id": ids, "City": repeated})
    types = column_types(frame)
    assert types.types["Id"] == "categorical" and types.types["City"] == "categorical"


def test_missing_values_are_allowed_in_a_text_column() -> None:
    frame = pd.DataFrame({"Review": [*REVIEWS, None]})
    assert column_types(frame).types == {"Review": "free_text"}


def test_a_number_in_a_text_column_is_a_dataset_error() -> None:
    frame = pd.DataFrame({"Review": [*REVIEWS, 17]}, dtype=object)
    with pytest.raises(DatasetError, match=r"^column 'Review', row 4: holds free text"):
        column_types(frame)


def test_no_text_column_is_a_config_error_naming_the_columns() -> None:
    frame = pd.DataFrame({"Age": [1, 2, 3], "Code": ["a", "b", "c"]})
    with pytest.raises(ConfigError) as caught:
        column_types(frame)
    assert caught.value.where == "$.methods.shap.text_config"
    assert "'Age' (numerical), 'Code' (categorical)" in str(caught.value)
