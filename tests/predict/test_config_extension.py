"""``predictor.openclarify``: the one namespaced place for openclarify's predictor settings."""

from __future__ import annotations

from typing import Any

import pytest

from openclarify.config import DEFAULTS, LocalPredictorExtension, config_json_schema, load_config
from openclarify.errors import ConfigError

PREFIX = "Analysis configuration schema validation error: "


def load(predictor: dict[str, Any]) -> Any:
    return load_config(
        {"dataset_type": "text/csv", "methods": {}, "predictor": predictor}
    ).predictor


def test_documented_example() -> None:
    predictor = load(
        {
            "content_type": "text/csv",
            "accept_type": "text/csv",
            "openclarify": {
                "endpoint_url": "http://127.0.0.1:8080",
                "max_concurrency": 8,
                "max_payload_mb": 5,
                "timeout_seconds": 30,
            },
        }
    )
    extension = predictor.openclarify
    assert isinstance(extension, LocalPredictorExtension)
    assert (extension.max_concurrency, extension.max_payload_mb, extension.timeout_seconds) == (
        8,
        5.0,
        30.0,
    )
    assert predictor.uses_local_target and not predictor.uses_shadow_endpoint


def test_defaults_live_in_the_one_table() -> None:
    extension = load({"endpoint_name": "e", "openclarify": {}}).openclarify
    assert extension.value_or_default("max_concurrency") == 4
    assert extension.value_or_default("max_payload_mb") == 6.0
    assert extension.value_or_default("timeout_seconds") == 60.0
    assert extension.value_or_default("allow_code_execution") is False
    assert DEFAULTS["predictor.openclarify.max_concurrency"] == 4


def test_tuning_knobs_apply_to_sagemaker_endpoints_too() -> None:
    predictor = load({"endpoint_name": "e", "openclarify": {"max_concurrency": 2}})
    assert not predictor.uses_local_target and not predictor.uses_shadow_endpoint


def test_without_a_local_target_the_aws_rule_holds() -> None:
    with pytest.raises(ConfigError) as error:
        load({"openclarify": {"max_concurrency": 2}})
    assert "expected either 'endpoint_name' or all of 'model_name'" in error.value.problem


def test_sdk_rule_still_holds_with_a_local_target() -> None:
    with pytest.raises(ConfigError, match="'endpoint_name' and 'model_name' cannot both be set"):
        load(
            {
                "endpoint_name": "e",
                "model_name": "m",
                "openclarify": {"endpoint_url": "http://localhost:1"},
            }
        )


@pytest.mark.parametrize(
    ("extension", "where", "problem"),
    [
        ({"max_concurrency": 0}, ".max_concurrency", "expected an integer >= 1, found integer 0"),
        ({"max_payload_mb": -1}, ".max_payload_mb", "expected a number > 0, found integer -1"),
        (
            {"timeout_seconds": True},
            ".timeout_seconds",
            "expected a number > 0, found boolean true",
        ),
        (
            {"endpoint_url": "localhost:8080"},
            ".endpoint_url",
            "expected an http:// or https:// URL",
        ),
        ({"allow_code_execution": "yes"}, ".allow_code_execution", "expected true or false"),
        ({"model_path": "m.pkl"}, ".allow_code_execution", "'model_path' loads a pickled model"),
        (
            {"endpoint": "x"},
            ".endpoint",
            "unknown key 'endpoint'; allowed keys here: allow_code_execution",
        ),
    ],
)
def test_invalid_extensions(extension: dict[str, Any], where: str, problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        load({"openclarify": extension})
    assert error.value.where == "$.predictor.openclarify" + where
    assert error.value.problem.startswith(PREFIX + problem)


def test_json_schema_documents_the_extension() -> None:
    schema = config_json_schema()
    text = str(schema)
    assert "LocalPredictorExtension" in text and "endpoint_url" in text
