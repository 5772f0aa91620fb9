"""Responses by accept type, and the predicted-label preference order (contract §7.4)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from openclarify.config import load_config
from openclarify.errors import ConfigError, PredictorError
from openclarify.predict.parse import ModelOutput, ResponseParser, parser_for, predicted_column


def parser(accept: str = "text/csv", one_record: bool = False, **keys: Any) -> ResponseParser:
    config = load_config(
        {
            "dataset_type": "text/csv",
            "methods": {},
            "predictor": {"endpoint_name": "e", "accept_type": accept, **keys},
        }
    )
    assert config.predictor is not None
    return parser_for(config.predictor, "text/csv", one_record)


def column(
    body: str, n: int, accept: str = "text/csv", headers: Any = None, **keys: Any
) -> list[Any]:
    output = parser(accept, **keys).parse(body.encode(), n, 1)
    return predicted_column(output, headers).tolist()


# ------------------------------------------------------------------ CSV


def test_csv_lone_scores_are_a_float_column() -> None:
    series = predicted_column(parser().parse(b"0.25\n0.75\n", 2, 1), None)
    assert series.dtype == "float64"
    assert series.tolist() == [0.25, 0.75]


def test_csv_lone_labels_keep_their_type() -> None:
    assert column("1\n0\n", 2) == [1, 0]
    assert column("yes\nno\n", 2) == ["yes", "no"]


def test_csv_label_and_probability_columns() -> None:
    # rule 1: the model's label wins over the score
    assert column("1,0.4\n0,0.9\n", 2, label=0, probability=1) == [1, 0]
    # a string of digits is an index
    assert column("1,0.4\n0,0.9\n", 2, label="0") == [1, 0]
    # probability alone: the score (rule 4)
    assert column("1,0.4\n0,0.9\n", 2, probability=1) == [0.4, 0.9]


def test_csv_score_vector_argmax_index_and_headers() -> None:
    body = "0.1,0.7,0.2\n0.5,0.2,0.3\n"
    assert column(body, 2) == [1, 0]
    assert column(body, 2, headers=["cat", "dog", "fish"]) == ["dog", "cat"]


def test_csv_vector_in_one_field_and_label_column() -> None:
    body = '"dog","[0.1, 0.9]"\n"cat","[0.8, 0.2]"\n'
    assert column(body, 2, label=0) == ["dog", "cat"]
    assert column(body, 2, probability=1, label_headers=["cat", "dog"], headers=["cat", "dog"]) == [
        "dog",
        "cat",
    ]


def test_csv_one_line_of_n_values_is_one_per_record() -> None:
    assert column("0.1,0.9,0.4\n", 3) == [0.1, 0.9, 0.4]


def test_csv_ties_go_to_the_first_maximum() -> None:
    assert column("0.5,0.5\n", 1) == [0]


@pytest.mark.parametrize("body", ["0.1\n", "0.1\n0.2\n0.3\n", ""])
def test_csv_wrong_count_is_an_error(body: str) -> None:
    with pytest.raises(PredictorError) as error:
        parser().parse(body.encode(), 2, 11)
    assert error.value.where == "$.predictor"
    assert "response to rows 11-12 has" in error.value.problem
    assert "predictions for 2 records (must be one per record)" in error.value.problem


def test_csv_index_out_of_range() -> None:
    with pytest.raises(
        PredictorError, match=r"has a line with 1 values; predictor\.probability is column 1"
    ):
        parser(probability=1).parse(b"0.5\n", 1, 1)


def test_csv_jmespath_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as error:
        parser(label="predictions[*].label")
    assert error.value.where == "$.predictor.label"


# ------------------------------------------------------------ JSON Lines


def test_jsonlines_paths() -> None:
    body = '{"predicted_label": 1, "score": 0.73}\n{"predicted_label": 0, "score": 0.2}\n'
    accept = "application/jsonlines"
    assert column(body, 2, accept, label="predicted_label") == [1, 0]
    assert column(body, 2, accept, probability="score") == [0.73, 0.2]
    assert column(body, 2, accept, label="predicted_label", probability="score") == [1, 0]


def test_jsonlines_labels_and_scores_lists_rule_2() -> None:
    body = '{"labels": ["a", "b", "c"], "score": [0.2, 0.5, 0.3]}\n'
    assert column(body, 1, "application/jsonlines", label="labels", probability="score") == ["b"]


def test_jsonlines_bare_model_scores_in_label_rule_3() -> None:
    # the SDK stores a bare model_scores as predictor.label (contract §3.2)
    body = '{"score": [0.2, 0.5, 0.3]}\n{"score": [0.6, 0.1, 0.3]}\n'
    accept = "application/jsonlines"
    assert column(body, 2, accept, label="score") == [1, 0]
    assert column(body, 2, accept, headers=["x", "y", "z"], label="score") == ["y", "x"]


def test_jsonlines_whole_line() -> None:
    assert column("0.3\n0.6\n", 2, "application/jsonlines") == [0.3, 0.6]
    assert column("[0.1,0.9]\n[0.7,0.3]\n", 2, "application/jsonlines") == [1, 0]
    with pytest.raises(PredictorError, match="mix"):
        column("0.3\n[0.1,0.9]\n", 2, "application/jsonlines")


def test_jsonlines_invalid_jmespath() -> None:
    with pytest.raises(ConfigError) as error:
        parser("application/jsonlines", probability="score[")
    assert error.value.where == "$.predictor.probability"


def test_jsonlines_not_json() -> None:
    with pytest.raises(PredictorError, match="has a line that is not JSON"):
        parser("application/jsonlines").parse(b"oops\n", 1, 1)


# ----------------------------------------------------------------- JSON


def test_json_whole_body_paths() -> None:
    body = '{"predictions": [{"predicted_label": 1, "score": 0.7}, {"predicted_label": 0, "score": 0.1}]}'
    accept = "application/json"
    assert column(body, 2, accept, label="predictions[*].predicted_label") == [1, 0]
    assert column(body, 2, accept, probability="predictions[*].score") == [0.7, 0.1]


def test_json_body_list_and_int_index() -> None:
    assert column("[0.2, 0.9]", 2, "application/json") == [0.2, 0.9]
    assert column("[[1, 0.2], [0, 0.9]]", 2, "application/json", label=0) == [1, 0]


def test_json_wrong_count_and_no_list() -> None:
    with pytest.raises(PredictorError, match="has 1 predictions for 2 records"):
        parser("application/json", probability="p").parse(b'{"p": [0.1]}', 2, 1)
    with pytest.raises(PredictorError, match=r"gives no list at predictor\.probability"):
        parser("application/json", probability="p").parse(b'{"p": 0.1}', 2, 1)


def test_json_single_record_request() -> None:
    single = parser(
        "application/json", one_record=True, probability="score", label="predicted_label"
    )
    output = single.parse(b'{"predicted_label": "yes", "score": 0.9}', 1, 5)
    assert output == ModelOutput(["yes"], [0.9])
    vector = parser("application/json", one_record=True, probability="scores")
    assert predicted_column(vector.parse(b'{"scores": [0.1, 0.9]}', 1, 1), None).tolist() == [1]


# ----------------------------------------------------- predicted column rules


def test_null_prediction_names_the_row() -> None:
    with pytest.raises(PredictorError) as error:
        predicted_column(ModelOutput([1, None], None), None, first_row=41)
    assert (
        error.value.problem
        == "the model's output for row 42 has no predicted label (null or missing)"
    )


def test_label_headers_must_match_the_vector() -> None:
    with pytest.raises(
        PredictorError, match=r"has 3 scores but predictor\.label_headers names 2 classes"
    ):
        predicted_column(ModelOutput(None, [[0.1, 0.2, 0.7]]), ["a", "b"])


def test_non_numeric_scores() -> None:
    with pytest.raises(PredictorError, match="has a non-numeric score"):
        predicted_column(ModelOutput(None, ["high"]), None)


def test_mixed_kinds_are_an_error() -> None:
    with pytest.raises(PredictorError, match="mix"):
        predicted_column(ModelOutput(["yes", 1], None), None)


def test_labels_list_with_single_score() -> None:
    with pytest.raises(PredictorError, match="has a list of labels but a single score"):
        predicted_column(ModelOutput([["a", "b"]], [0.4]), None)


def test_vector_of_one_is_a_score() -> None:
    series = predicted_column(ModelOutput(None, [[0.3], [0.8]]), None)
    assert series.tolist() == [0.3, 0.8]
    assert series.dtype == "float64"


def test_probability_scores_are_floats_even_when_integral() -> None:
    series = predicted_column(ModelOutput(None, [0, 1, 1]), None)
    pd.testing.assert_series_equal(series, pd.Series([0.0, 1.0, 1.0]))


def test_concat_keeps_order() -> None:
    joined = ModelOutput.concat([ModelOutput([1], [0.1]), ModelOutput([0, 1], [0.2, 0.3])])
    assert joined == ModelOutput([1, 0, 1], [0.1, 0.2, 0.3])
