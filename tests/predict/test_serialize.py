"""Request bodies: exact bytes for every content type and template (contract §7.2)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from openclarify.config import load_config
from openclarify.errors import ConfigError
from openclarify.predict.serialize import check_templates, request_content_type, serializer_for

ROWS = pd.DataFrame(
    {
        "Age": [39, 50],
        "Income": [0.1, np.nan],
        "Review": ["This is a good product", 'says "hi", twice'],
    }
)


def predictor(**keys: Any) -> Any:
    config = load_config(
        {"dataset_type": "text/csv", "methods": {}, "predictor": {"endpoint_name": "e", **keys}}
    )
    return config.predictor


def body(rows: pd.DataFrame = ROWS, dataset_type: str = "text/csv", **keys: Any) -> str:
    serializer = serializer_for(predictor(**keys), dataset_type, list(rows.columns))
    return serializer.serialize(rows).decode("utf-8")


def test_csv_no_header_minimal_quoting_missing_is_empty() -> None:
    assert body() == '39,0.1,This is a good product\n50,,"says ""hi"", twice"\n'


def test_csv_floats_round_trip_exactly() -> None:
    values = [0.1 + 0.2, 1e-310, 123456789.12345679, -0.0, 2.5e17]
    text = body(pd.DataFrame({"x": values}))
    assert [float(v) for v in text.splitlines()] == values
    assert text.splitlines()[0] == "0.30000000000000004"


def test_csv_ints_stay_ints() -> None:
    assert body(pd.DataFrame({"a": np.array([1, 2], dtype=np.int64)})) == "1\n2\n"


def test_jsonlines_features() -> None:
    text = body(
        content_type="application/jsonlines", content_template='{"data":{"features":$features}}'
    )
    assert text == (
        '{"data":{"features":[39,0.1,"This is a good product"]}}\n'
        '{"data":{"features":[50,null,"says \\"hi\\", twice"]}}\n'
    )


def test_jsonlines_feature_names() -> None:
    text = body(
        ROWS.iloc[:1],
        content_type="application/jsonlines",
        content_template='{"names":$feature_names,"values":$features}',
    )
    assert (
        text == '{"names":["Age","Income","Review"],"values":[39,0.1,"This is a good product"]}\n'
    )


def test_json_records_with_features() -> None:
    text = body(
        content_type="application/json",
        content_template='{"instances":$records}',
        record_template="$features",
    )
    assert (
        text == '{"instances":[[39,0.1,"This is a good product"],[50,null,"says \\"hi\\", twice"]]}'
    )


def test_json_records_with_features_kvp_and_names() -> None:
    text = body(
        ROWS.iloc[:1],
        content_type="application/json",
        content_template='{"instances":$records,"feature_names":$feature_names}',
        record_template='{"kv":$features_kvp}',
    )
    assert text == (
        '{"instances":[{"kv":{"Age":39,"Income":0.1,"Review":"This is a good product"}}],'
        '"feature_names":["Age","Income","Review"]}'
    )


def test_json_per_feature_placeholders_take_their_quotes() -> None:
    text = body(
        content_type="application/json",
        content_template="$records",
        record_template='{"age": "${Age}", "text": "${Review}", "income": "${Income}"}',
    )
    assert text == (
        '[{"age": 39, "text": "This is a good product", "income": 0.1},'
        '{"age": 50, "text": "says \\"hi\\", twice", "income": null}]'
    )


def test_json_single_record() -> None:
    serializer = serializer_for(
        predictor(
            content_type="application/json",
            content_template='{"instance":$record}',
            record_template="$features",
        ),
        "text/csv",
        list(ROWS.columns),
    )
    assert serializer.one_record_per_request
    assert serializer.serialize(ROWS.iloc[1:]) == b'{"instance":[50,null,"says \\"hi\\", twice"]}'
    with pytest.raises(ValueError, match="one row per request"):
        serializer.serialize(ROWS)


def test_dataset_type_is_the_default_content_type() -> None:
    assert request_content_type(predictor(), "application/jsonlines") == "application/jsonlines"
    with pytest.raises(ConfigError) as error:
        request_content_type(predictor(), "application/x-parquet")
    assert error.value.where == "$.predictor.content_type"


def test_unsupported_content_type() -> None:
    with pytest.raises(ConfigError, match="not supported yet: image/png requests"):
        request_content_type(predictor(content_type="image/png"), "text/csv")


@pytest.mark.parametrize(
    ("keys", "where", "problem"),
    [
        (
            {"content_type": "application/jsonlines"},
            "$.predictor.content_template",
            "is required when the model is sent application/jsonlines",
        ),
        (
            {"content_type": "application/jsonlines", "content_template": '{"f":$features_kvp}'},
            "$.predictor.content_template",
            "must contain $features for application/jsonlines requests",
        ),
        (
            {
                "content_type": "application/json",
                "content_template": '{"x":$features}',
                "record_template": "$features",
            },
            "$.predictor.content_template",
            "must contain exactly one $record or $records for application/json requests",
        ),
        (
            {
                "content_type": "application/json",
                "content_template": "[$record,$records]",
                "record_template": "$features",
            },
            "$.predictor.content_template",
            "must contain exactly one $record or $records for application/json requests (found 2)",
        ),
        (
            {"content_type": "application/json", "content_template": "$records"},
            "$.predictor.record_template",
            "is required when the model is sent application/json",
        ),
        (
            {
                "content_type": "application/json",
                "content_template": "$records",
                "record_template": '{"a": 1}',
            },
            "$.predictor.record_template",
            'must contain $features, $features_kvp or per-feature placeholders "${Name}"',
        ),
        (
            {
                "content_type": "application/json",
                "content_template": "$records",
                "record_template": '{"a": ${A}}',
            },
            "$.predictor.record_template",
            "has a per-feature placeholder ${Name} without its surrounding quotes",
        ),
        (
            {
                "content_type": "application/json",
                "content_template": "{$records}",
                "record_template": "$features",
            },
            "$.predictor.content_template",
            "does not render valid JSON",
        ),
        (
            {
                "content_type": "application/json",
                "content_template": "$records",
                "record_template": "$features_kvp $features_kvp",
            },
            "$.predictor.record_template",
            "may contain $features_kvp only once",
        ),
    ],
)
def test_template_errors(keys: dict[str, Any], where: str, problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        check_templates(predictor(**keys), keys["content_type"])
    assert error.value.where == where
    assert error.value.problem.startswith(problem)


def test_placeholder_naming_no_feature() -> None:
    with pytest.raises(ConfigError) as error:
        body(
            content_type="application/json",
            content_template="$records",
            record_template='{"a":"${Nope}"}',
        )
    assert error.value.where == "$.predictor.record_template"
    assert error.value.problem.startswith('placeholder "${Nope}" names no feature (features: ')


def test_csv_ignores_templates() -> None:
    assert check_templates(predictor(content_template="whatever"), "text/csv") == (None, None)


def test_every_double_reads_back_exactly() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            rng.normal(size=2000),
            rng.normal(size=2000) * 10.0 ** rng.integers(-300, 300, size=2000),
            [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e-7, 1e16, 123456789012.0],
        ]
    )
    rows = pd.DataFrame({"x": values})
    csv_text = body(rows).splitlines()
    assert np.array_equal([float(v) for v in csv_text], values)
    lines = body(rows, content_type="application/jsonlines", content_template="$features")
    assert np.array_equal([json.loads(line)[0] for line in lines.splitlines()], values)


def test_special_columns() -> None:
    rows = pd.DataFrame(
        {
            "i": pd.array([1, None], dtype="Int64"),
            "b": [True, False],
            "c": pd.Categorical(["u", "v,w"]),
            "f": [float("inf"), -float("inf")],
        }
    )
    assert body(rows) == '1,True,u,inf\n,False,"v,w",-inf\n'
    lines = body(rows, content_type="application/jsonlines", content_template="$features")
    assert lines == '[1,true,"u",Infinity]\n[null,false,"v,w",-Infinity]\n'


def test_a_lone_empty_field_is_quoted() -> None:
    # otherwise the record would be an empty line, which a CSV reader skips
    assert body(pd.DataFrame({"s": ["", "a", None]})) == '""\na\n""\n'


def test_integral_floats_are_exact_not_repr() -> None:
    # Arrow's shortest form: the value is exact, the spelling differs from repr
    assert body(pd.DataFrame({"x": [1.0, 1e22, 0.5]})) == "1\n1e+22\n0.5\n"
