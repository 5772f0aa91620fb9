"""Tests of the analysis-config models and loader (contract §2, §3.3)."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openclarify.config import (
    DEFAULTS,
    POST_TRAINING_METRICS,
    PRE_TRAINING_METRICS,
    AnalysisConfig,
    AsvBaselineConfig,
    config_json_schema,
    load_config,
)
from openclarify.config.defaults import (
    ACCEPT_TYPE_VALUES,
    AGG_METHOD_VALUES,
    ASV_BASELINE_KIND_VALUES,
    CONTENT_TYPE_VALUES,
    DATASET_TYPE_VALUES,
    LANGUAGE_VALUES,
    TEXT_GRANULARITY_VALUES,
    TS_DATASET_FORMAT_VALUES,
)
from openclarify.config.loader import MAX_MESSAGE_CHARS
from openclarify.config.segments import value_key
from openclarify.errors import ConfigError

PREFIX = "Analysis configuration schema validation error: "

# --------------------------------------------------------------------------------------
# The five configs generated with sagemaker==2.257.7 (contract §3.3), verbatim.

SDK_BIAS_AND_SHAP: dict[str, Any] = {
    "dataset_type": "text/csv",
    "headers": ["Target", "Age", "Sex", "Income"],
    "label": "Target",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
    "group_variable": "Age",
    "methods": {
        "report": {"name": "report", "title": "Analysis Report"},
        "pre_training_bias": {"methods": "all"},
        "post_training_bias": {"methods": "all"},
        "shap": {
            "use_logit": False,
            "save_local_shap_values": True,
            "baseline": [[35, 0, 50000]],
            "num_samples": 100,
        },
    },
    "predictor": {
        "model_name": "m",
        "instance_type": "ml.m5.xlarge",
        "initial_instance_count": 1,
        "accept_type": "text/csv",
        "content_type": "text/csv",
    },
    "probability_threshold": 0.8,
}

SDK_JSON_SHAP: dict[str, Any] = {
    "dataset_type": "application/json",
    "features": "[*].Features",
    "headers": ["A", "B", "Target"],
    "label": "[*].Label",
    "predictor": {
        "endpoint_name": "ep",
        "accept_type": "application/json",
        "content_type": "application/json",
        "content_template": "$records",
        "record_template": "$features_kvp",
        "probability": "predictions[*].score",
        "label_headers": ["yes"],
    },
    "methods": {
        "report": {"name": "report", "title": "Analysis Report"},
        "shap": {
            "use_logit": False,
            "save_local_shap_values": True,
            "num_clusters": 3,
            "features_to_explain": ["A"],
        },
    },
}

SDK_SIDE_DATASETS: dict[str, Any] = {
    "dataset_type": "text/csv",
    "headers": ["Index", "F1", "F2", "Label"],
    "label": "Label",
    "joinsource_name_or_index": "Index",
    "facet_dataset_uri": "s3://b/facet.csv",
    "facet_headers": ["Index", "F3"],
    "predicted_label_dataset_uri": "s3://b/pred.csv",
    "predicted_label_headers": ["Index", "PredictedLabel"],
    "predicted_label": "PredictedLabel",
    "excluded_columns": ["F2"],
    "segment_config": [
        {
            "name_or_index": "F1",
            "segments": [["[1, 4]"]],
            "config_name": "c1",
            "display_aliases": ["low", "rest"],
        }
    ],
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "F3", "value_or_threshold": [0.5]}],
    "methods": {
        "report": {"name": "report", "title": "Analysis Report"},
        "pre_training_bias": {"methods": "all"},
        "post_training_bias": {"methods": ["DPPL", "DI"]},
    },
}

SDK_IMAGE: dict[str, Any] = {
    "dataset_type": "application/x-image",
    "predictor": {
        "model_name": "m",
        "instance_type": "ml.p3.2xlarge",
        "initial_instance_count": 1,
        "content_type": "image/jpeg",
        "label_headers": ["cat", "dog"],
    },
    "probability_threshold": 0.5,
    "methods": {
        "report": {"name": "report", "title": "Analysis Report"},
        "shap": {
            "use_logit": False,
            "save_local_shap_values": True,
            "num_samples": 500,
            "image_config": {
                "model_type": "OBJECT_DETECTION",
                "max_objects": 3,
                "iou_threshold": 0.5,
                "context": 1.0,
            },
        },
    },
}

SDK_TIME_SERIES: dict[str, Any] = {
    "dataset_type": "application/json",
    "headers": ["item_id", "timestamp", "target", "r1", "s1"],
    "time_series_data_config": {
        "target_time_series": "[].target",
        "item_id": "[].item_id",
        "timestamp": "[].timestamp",
        "related_time_series": ["[].r1"],
        "static_covariates": ["[].s1"],
        "dataset_format": "timestamp_records",
    },
    "predictor": {
        "endpoint_name": "ep",
        "accept_type": "application/json",
        "content_type": "application/json",
        "content_template": '{"instances": $records}',
        "record_template": '{"start": $start_time, "target": $target_time_series, '
        '"dynamic_feat": $related_time_series, "cat": $static_covariates}',
        "time_series_predictor_config": {"forecast": "predictions[*].mean"},
    },
    "methods": {
        "report": {"name": "report", "title": "Analysis Report"},
        "asymmetric_shapley_value": {
            "direction": "chronological",
            "granularity": "fine_grained",
            "num_samples": 4,
            "baseline": {
                "target_time_series": "zero",
                "related_time_series": "mean",
                "static_covariates": {"item1": [0]},
            },
        },
    },
}

SDK_EXAMPLES = {
    "bias_and_shap": SDK_BIAS_AND_SHAP,
    "json_shap": SDK_JSON_SHAP,
    "side_datasets": SDK_SIDE_DATASETS,
    "image": SDK_IMAGE,
    "time_series": SDK_TIME_SERIES,
}


def _error(source: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(source)
    return info.value


def _minimal(**extra: Any) -> dict[str, Any]:
    return {"dataset_type": "text/csv", "methods": {}, **extra}


# --------------------------------------------------------------------------------------
# Valid configurations


@pytest.mark.parametrize("name", sorted(SDK_EXAMPLES))
def test_sdk_generated_examples_validate(name: str) -> None:
    config = load_config(SDK_EXAMPLES[name])
    assert isinstance(config, AnalysisConfig)


@pytest.mark.parametrize("name", sorted(SDK_EXAMPLES))
def test_sdk_examples_round_trip_to_the_same_json(name: str) -> None:
    # Nothing in an SDK-generated config needs normalising, so the dump is the input.
    config = load_config(SDK_EXAMPLES[name])
    assert config.model_dump(mode="json", exclude_none=True) == SDK_EXAMPLES[name]


def test_sdk_examples_load_from_path_str_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(SDK_BIAS_AND_SHAP), encoding="utf-8")
    expected = load_config(SDK_BIAS_AND_SHAP)
    assert load_config(path) == expected
    assert load_config(str(path)) == expected
    assert load_config(path.read_bytes()) == expected


def test_typed_access_to_nested_objects() -> None:
    config = load_config(SDK_BIAS_AND_SHAP)
    assert config.methods.pre_training_bias is not None
    assert config.methods.pre_training_bias.methods == "all"
    assert config.methods.pre_training_bias.metrics == PRE_TRAINING_METRICS
    assert config.methods.post_training_bias is not None
    assert config.methods.post_training_bias.metrics == POST_TRAINING_METRICS
    assert config.methods.requested == (
        "post_training_bias",
        "pre_training_bias",
        "shap",
        "report",
    )
    assert config.methods.shap is not None
    assert config.methods.shap.baseline == ((35, 0, 50000),)
    assert config.facet is not None
    assert config.facet[0].name_or_index == "Sex"
    assert config.predictor is not None
    assert config.predictor.uses_shadow_endpoint
    assert config.effective_probability_threshold == 0.8
    assert not config.is_time_series


def test_time_series_baseline_is_typed() -> None:
    config = load_config(SDK_TIME_SERIES)
    asv = config.methods.asymmetric_shapley_value
    assert asv is not None
    assert isinstance(asv.baseline, AsvBaselineConfig)
    assert asv.baseline.static_covariates == {"item1": (0,)}
    assert config.is_time_series


def test_asv_baseline_may_be_a_uri() -> None:
    config = load_config(
        _minimal(
            methods={
                "asymmetric_shapley_value": {
                    "direction": "Bidirectional",
                    "granularity": "TIMEWISE",
                    "baseline": "s3://b/baseline.json",
                }
            }
        )
    )
    asv = config.methods.asymmetric_shapley_value
    assert asv is not None
    assert asv.baseline == "s3://b/baseline.json"
    assert (asv.direction, asv.granularity) == ("bidirectional", "timewise")


def test_methods_may_be_empty() -> None:
    config = load_config(_minimal())
    assert config.methods.requested == ()
    assert config.predictor is None


def test_enumerations_are_case_insensitive_and_normalised() -> None:
    config = load_config(
        {
            "dataset_type": "Application/JSONLines",
            "methods": {
                "shap": {
                    "agg_method": "MEAN_SQ",
                    "text_config": {"granularity": "Sentence", "language": "Norwegian Bokmål"},
                    "image_config": {"model_type": "image_classification"},
                },
                "pre_training_bias": {"methods": "ALL"},
                "post_training_bias": {"methods": ["dppl", "Di"]},
                "asymmetric_shapley_value": {
                    "direction": "CHRONOLOGICAL",
                    "granularity": "Fine_Grained",
                    "num_samples": 4,
                    "baseline": {"target_time_series": "MEAN", "related_time_series": "Zero"},
                },
            },
            "time_series_data_config": {
                "target_time_series": "t",
                "item_id": "i",
                "timestamp": "ts",
                "dataset_format": "COLUMNS",
            },
            "predictor": {
                "endpoint_name": "ep",
                "content_type": "TEXT/CSV",
                "accept_type": "Application/Json",
            },
        }
    )
    shap = config.methods.shap
    assert shap is not None and shap.text_config is not None and shap.image_config is not None
    assert config.dataset_type == "application/jsonlines"
    assert shap.agg_method == "mean_sq"
    assert shap.text_config.granularity == "sentence"
    assert shap.text_config.language == "norwegian bokmål"
    assert shap.image_config.model_type == "IMAGE_CLASSIFICATION"
    assert config.methods.pre_training_bias is not None
    assert config.methods.pre_training_bias.methods == "all"
    assert config.methods.post_training_bias is not None
    assert config.methods.post_training_bias.methods == ("DPPL", "DI")
    asv = config.methods.asymmetric_shapley_value
    assert asv is not None and isinstance(asv.baseline, AsvBaselineConfig)
    assert (asv.direction, asv.granularity) == ("chronological", "fine_grained")
    assert (asv.baseline.target_time_series, asv.baseline.related_time_series) == (
        "mean",
        "zero",
    )
    assert config.time_series_data_config is not None
    assert config.time_series_data_config.dataset_format == "columns"
    assert config.predictor is not None
    assert (config.predictor.content_type, config.predictor.accept_type) == (
        "text/csv",
        "application/json",
    )


def test_scalar_label_and_facet_values_are_wrapped() -> None:
    config = load_config(
        _minimal(
            label_values_or_threshold=0.5,
            facet=[{"name_or_index": "Age", "value_or_threshold": 40}, {"name_or_index": 2}],
        )
    )
    assert config.label_values_or_threshold == (0.5,)
    assert config.facet is not None
    assert config.facet[0].value_or_threshold == (40,)
    assert config.facet[1].value_or_threshold is None
    assert load_config(_minimal(label_values_or_threshold="yes")).label_values_or_threshold == (
        "yes",
    )


def test_int_is_accepted_where_a_float_is_expected() -> None:
    config = load_config(_minimal(probability_threshold=1))
    assert config.probability_threshold == 1.0
    assert isinstance(config.probability_threshold, float)
    shap = load_config(
        _minimal(methods={"shap": {"image_config": {"iou_threshold": 0, "context": 1}}})
    ).methods.shap
    assert shap is not None and shap.image_config is not None
    assert isinstance(shap.image_config.iou_threshold, float)
    assert isinstance(shap.image_config.context, float)


def test_name_or_index_keeps_its_kind() -> None:
    config = load_config(
        _minimal(
            label=3, group_variable="3", facet=[{"name_or_index": 0}], excluded_columns=[1, "1"]
        )
    )
    assert config.label == 3 and isinstance(config.label, int)
    assert config.group_variable == "3"
    assert config.facet is not None and config.facet[0].name_or_index == 0
    assert config.excluded_columns == (1, "1")


def test_label_values_keep_their_types() -> None:
    config = load_config(_minimal(label_values_or_threshold=[1, 1.5, "1"]))
    values = config.label_values_or_threshold
    assert values == (1, 1.5, "1")
    assert values is not None
    assert [type(v) for v in values] == [int, float, str]


def test_single_metric_name_and_duplicates() -> None:
    config = load_config(
        _minimal(
            methods={
                "pre_training_bias": {"methods": "ci"},
                "post_training_bias": {"methods": ["DI", "di", "GE"]},
            }
        )
    )
    assert config.methods.pre_training_bias is not None
    assert config.methods.pre_training_bias.methods == ("CI",)
    assert config.methods.post_training_bias is not None
    assert config.methods.post_training_bias.methods == ("DI", "GE")


def test_null_means_absent() -> None:
    config = load_config(_minimal(label=None, predictor=None, probability_threshold=None))
    assert config.label is None and config.predictor is None
    assert config.effective_probability_threshold == 0.5


def test_shap_baseline_forms() -> None:
    def baseline(value: Any) -> Any:
        shap = load_config(_minimal(methods={"shap": {"baseline": value}})).methods.shap
        assert shap is not None
        return shap.baseline

    assert baseline("s3://b/baseline.csv") == "s3://b/baseline.csv"
    assert baseline([[1, 2.5, "a", None]]) == ((1, 2.5, "a", None),)
    assert baseline([{"features": [0, 0]}]) == ({"features": [0, 0]},)
    assert baseline({"features": [[0, 1]]}) == {"features": [[0, 1]]}


def test_defaults_table_and_value_or_default() -> None:
    config = load_config(_minimal(methods={"shap": {}, "pdp": {}, "report": {}}))
    shap, pdp, report = config.methods.shap, config.methods.pdp, config.methods.report
    assert shap is not None and pdp is not None and report is not None
    assert shap.agg_method is None
    assert shap.value_or_default("agg_method") == "mean_abs"
    assert shap.value_or_default("save_local_shap_values") is False
    assert shap.value_or_default("num_clusters") is None
    assert pdp.value_or_default("grid_resolution") == 15
    assert pdp.value_or_default("top_k_features") == 10
    assert report.value_or_default("name") == "report"
    assert report.value_or_default("title") == "Analysis Report"
    assert DEFAULTS["probability_threshold"] == 0.5
    assert DEFAULTS["predictor.endpoint_name_prefix"] == "sm-clarify"
    predictor = load_config(
        _minimal(predictor={"model_name": "m", "instance_type": "t", "initial_instance_count": 1})
    ).predictor
    assert predictor is not None
    assert predictor.value_or_default("endpoint_name_prefix") == "sm-clarify"
    with pytest.raises(TypeError):
        DEFAULTS["probability_threshold"] = 0.7  # type: ignore[index]


def test_models_are_frozen() -> None:
    config = load_config(SDK_BIAS_AND_SHAP)
    with pytest.raises(pydantic.ValidationError):
        config.label = "Other"  # type: ignore[misc]
    assert config.headers is not None
    assert isinstance(config.headers, tuple)


@pytest.mark.parametrize("prefix", ["ab", "a-b", "A--9xyz", "sm-clarify", "x1_anything", "a" * 23])
def test_valid_endpoint_name_prefixes(prefix: str) -> None:
    predictor = {
        "model_name": "m",
        "instance_type": "ml.m5.xlarge",
        "initial_instance_count": 1,
        "endpoint_name_prefix": prefix,
    }
    assert load_config(_minimal(predictor=predictor)).predictor is not None


def test_utf8_bom_is_tolerated() -> None:
    raw = b"\xef\xbb\xbf" + json.dumps(_minimal()).encode()
    assert load_config(raw).dataset_type == "text/csv"


def test_json_schema_describes_every_top_level_key() -> None:
    schema = config_json_schema()
    assert set(schema["properties"]) == set(AnalysisConfig.model_fields)
    assert set(schema["required"]) == {"dataset_type", "methods"}
    assert schema["additionalProperties"] is False
    json.dumps(schema)  # serialisable


# --------------------------------------------------------------------------------------
# Exact messages


def test_message_unknown_top_level_key() -> None:
    error = _error(_minimal(lable="Target"))
    assert error.where == "$.lable"
    assert error.problem == (
        PREFIX + "unknown key 'lable'; allowed keys here: dataset_type, dataset_uri, "
        "excluded_columns, facet, facet_dataset_uri, facet_headers, features, group_variable, "
        "headers, joinsource_name_or_index, label, label_values_or_threshold, methods, "
        "openclarify, predicted_label, predicted_label_dataset_uri, predicted_label_headers, "
        "predictor, "
        "probability_threshold, segment_config, time_series_data_config, version"
    )
    assert error.fix == (
        "Did you mean 'label'? Remove the key or correct its spelling (keys are case-sensitive)."
    )
    assert error.exit_code == 3


def test_message_unknown_nested_key() -> None:
    error = _error(_minimal(methods={"shap": {"num_sample": 10}}))
    assert str(error) == (
        "$.methods.shap.num_sample: " + PREFIX + "unknown key 'num_sample'; allowed keys here: "
        "agg_method, baseline, features_to_explain, image_config, num_clusters, num_samples, "
        "save_local_shap_values, seed, text_config, use_logit. Fix: Did you mean "
        "'num_samples'? Remove the key or correct its spelling (keys are case-sensitive)."
    )


def test_message_unknown_method() -> None:
    error = _error(_minimal(methods={"lime": {}}))
    assert error.where == "$.methods.lime"
    assert error.problem == (
        PREFIX + "unknown key 'lime'; allowed keys here: asymmetric_shapley_value, pdp, "
        "post_training_bias, pre_training_bias, report, shap"
    )


def test_message_string_where_int_expected() -> None:
    error = _error(_minimal(methods={"shap": {"num_samples": "100"}}))
    assert str(error) == (
        "$.methods.shap.num_samples: " + PREFIX + "expected an integer >= 1, found string "
        "'100'. Fix: Write the number without quotes."
    )


def test_message_int_where_string_expected() -> None:
    error = _error(_minimal(headers=["a", 2]))
    assert str(error) == (
        "$.headers[1]: " + PREFIX + "expected a string, found integer 2. "
        "Fix: Change the value to a string."
    )


def test_message_bool_rejected_for_num_samples() -> None:
    error = _error(_minimal(methods={"shap": {"num_samples": True}}))
    assert error.where == "$.methods.shap.num_samples"
    assert error.problem == PREFIX + "expected an integer >= 1, found boolean true"
    assert error.fix == "Replace true/false by an integer >= 1."


@pytest.mark.parametrize(
    ("key", "value"),
    [("num_clusters", 0), ("num_samples", 1.0), ("num_samples", -3), ("seed", "7")],
)
def test_bad_integers_rejected(key: str, value: Any) -> None:
    error = _error(_minimal(methods={"shap": {key: value}}))
    assert error.where == f"$.methods.shap.{key}"


def test_message_invalid_json_names_line_and_column() -> None:
    raw = b'{\n  "dataset_type": "text/csv"\n  "methods": {}\n}'
    error = _error(raw)
    assert error.where == "analysis configuration"
    assert error.problem == (
        "Unable to load analysis configuration as JSON: Expecting ',' delimiter at line 3, column 3"
    )
    assert error.fix == "Correct the JSON syntax at that position (commas, quotes and brackets)."


def test_invalid_json_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "analysis_config.json"
    path.write_bytes(b"{]")
    error = _error(path)
    assert error.where == str(path)
    assert error.problem.startswith("Unable to load analysis configuration as JSON")
    assert "line 1, column 2" in error.problem


def test_message_not_utf8() -> None:
    error = _error(b'{"dataset_type": "text/csv\xe9", "methods": {}}')
    assert error.problem == (
        "Unable to load analysis configuration as JSON: the file is not UTF-8 text "
        "(invalid byte 0xe9 at offset 26)"
    )


def test_message_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    error = _error(path)
    assert error.where == str(path)
    assert error.problem == "analysis configuration file not found"


def test_directory_is_not_a_config(tmp_path: Path) -> None:
    error = _error(tmp_path)
    assert error.where == str(tmp_path)
    assert error.problem.startswith("cannot read the analysis configuration file")


def test_message_bad_enum() -> None:
    error = _error({"dataset_type": "text/cvs", "methods": {}})
    assert str(error) == (
        "$.dataset_type: " + PREFIX + "expected one of 'text/csv', 'application/jsonlines', "
        "'application/json', 'application/x-parquet', 'application/x-image', "
        "'application/sagemakercapturejson', found string 'text/cvs'. Fix: Did you mean "
        "'text/csv'? Use one of the listed values (case does not matter)."
    )


def test_message_bad_metric_name() -> None:
    error = _error(_minimal(methods={"post_training_bias": {"methods": ["DI", "DCAcc"]}}))
    assert str(error) == (
        "$.methods.post_training_bias.methods[1]: " + PREFIX + "expected a post-training "
        "bias metric name (DPPL, DI, DCA, DCR, RD, DAR, DRR, AD, CDDPL, TE, FT, SD, GE), "
        "found string 'DCAcc'. Fix: Did you mean 'DCA'? Use 'all' or names from the list."
    )


def test_message_empty_metric_list() -> None:
    error = _error(_minimal(methods={"pre_training_bias": {"methods": []}}))
    assert error.where == "$.methods.pre_training_bias.methods"
    assert error.problem == (
        PREFIX + "expected 'all' or a non-empty list of pre-training bias metric names "
        "(CI, DPL, KL, JS, LP, TVD, KS, CDDL), found list of 0 items"
    )


def test_message_baseline_and_num_clusters() -> None:
    error = _error(_minimal(methods={"shap": {"baseline": [[1, 2]], "num_clusters": 3}}))
    assert str(error) == (
        "$.methods.shap: " + PREFIX + "'baseline' and 'num_clusters' cannot both be set. "
        "Fix: Remove 'num_clusters' to use the given baseline, or remove 'baseline' to "
        "build one with that many clusters."
    )


def test_message_endpoint_name_with_model_name() -> None:
    error = _error(
        _minimal(
            predictor={
                "endpoint_name": "ep",
                "model_name": "m",
                "instance_type": "ml.m5.xlarge",
                "initial_instance_count": 1,
            }
        )
    )
    assert str(error) == (
        "$.predictor: " + PREFIX + "'endpoint_name' and 'model_name' cannot both be set. "
        "Fix: Keep 'endpoint_name' to use an existing endpoint, or remove it and give "
        "'model_name', 'instance_type' and 'initial_instance_count' to create a shadow "
        "endpoint."
    )


def test_message_incomplete_shadow_endpoint() -> None:
    error = _error(_minimal(predictor={"model_name": "m", "content_type": "text/csv"}))
    assert error.where == "$.predictor"
    assert error.problem == (
        PREFIX + "expected either 'endpoint_name' or all of 'model_name', 'instance_type' "
        "and 'initial_instance_count'; missing 'instance_type', 'initial_instance_count'"
    )


def test_endpoint_name_prefix_not_with_endpoint_name() -> None:
    error = _error(_minimal(predictor={"endpoint_name": "ep", "endpoint_name_prefix": "ab"}))
    assert error.problem == PREFIX + "'endpoint_name' and 'endpoint_name_prefix' cannot both be set"


@pytest.mark.parametrize("prefix", ["a", "-ab", "a-", "_ab", "", "a" * 24, 12])
def test_invalid_endpoint_name_prefixes(prefix: Any) -> None:
    predictor = {
        "model_name": "m",
        "instance_type": "ml.m5.xlarge",
        "initial_instance_count": 1,
        "endpoint_name_prefix": prefix,
    }
    error = _error(_minimal(predictor=predictor))
    assert error.where == "$.predictor.endpoint_name_prefix"
    assert error.problem.startswith(
        PREFIX + "expected a name prefix matching ^[a-zA-Z0-9](-*[a-zA-Z0-9]) of at most 23 "
        "characters, found "
    )


def test_message_missing_required_key() -> None:
    error = _error({"dataset_type": "text/csv"})
    assert str(error) == (
        "$.methods: " + PREFIX + "missing required key 'methods'. "
        "Fix: Add the required key 'methods'."
    )
    assert _error({"methods": {}}).where == "$.dataset_type"
    assert _error(_minimal(facet=[{"value_or_threshold": [1]}])).where == (
        "$.facet[0].name_or_index"
    )


def test_message_object_expected() -> None:
    error = _error(_minimal(methods=["shap"]))
    assert error.where == "$.methods"
    assert error.problem == PREFIX + "expected an object, found list of 1 item"
    assert _error(b"[1, 2]").where == "$"


def test_message_counts_further_problems() -> None:
    error = _error({"dataset_type": "csv", "methods": {}, "label": 1.5, "headers": "a"})
    assert error.where == "$.dataset_type"
    assert error.problem.endswith(", found string 'csv' (and 2 more problems)")
    one_more = _error({"dataset_type": "csv", "methods": {}, "label": 1.5})
    assert one_more.problem.endswith(" (and 1 more problem)")


def test_found_value_is_shortened() -> None:
    error = _error(_minimal(label=["x" * 100]))
    assert error.problem == (
        PREFIX + "expected a column name (string) or index (integer), found list of 1 item"
    )
    long_string = _error({"dataset_type": "y" * 200, "methods": {}})
    found = long_string.problem.split("found string ", 1)[1]
    assert len(found) == 40 and found.endswith("…")


def test_messages_never_exceed_the_limit() -> None:
    # An absurd key name: the list of allowed keys must still fit.
    error = _error(_minimal(**{"k" * 2000: 1}))
    assert len(str(error)) <= MAX_MESSAGE_CHARS
    assert error.problem.startswith(PREFIX + "unknown key")


def test_json_path_quotes_odd_keys() -> None:
    error = _error(_minimal(**{"my key": 1}))
    assert error.where == "$['my key']"


def test_union_tags_do_not_leak_into_paths() -> None:
    error = _error(
        _minimal(
            methods={
                "asymmetric_shapley_value": {
                    "direction": "chronological",
                    "granularity": "timewise",
                    "baseline": {"target_time_series": "median"},
                }
            }
        )
    )
    assert error.where == "$.methods.asymmetric_shapley_value.baseline.target_time_series"
    assert error.problem == PREFIX + "expected one of 'zero', 'mean', found string 'median'"


def test_scalar_value_list_rejects_bool_and_objects() -> None:
    error = _error(_minimal(facet=[{"name_or_index": "a", "value_or_threshold": [1, True]}]))
    assert error.where == "$.facet[0].value_or_threshold[1]"
    assert error.problem == PREFIX + "expected a string or a finite number, found boolean true"
    error = _error(_minimal(label_values_or_threshold={"a": 1}))
    assert error.problem == PREFIX + "expected a list of strings or numbers, found object"


def test_probability_threshold_range() -> None:
    for bad in (1.5, -0.1, True, "0.5", float("nan")):
        error = _error(_minimal(probability_threshold=bad))
        assert error.where == "$.probability_threshold"
        assert "expected a number between 0 and 1" in error.problem


def test_version() -> None:
    assert load_config(_minimal(version="1.0")).version == "1.0"
    error = _error(_minimal(version="2.0"))
    assert error.problem == PREFIX + "expected one of '1.0', found string '2.0'"
    assert _error(_minimal(version=1.0)).where == "$.version"


def test_bad_language_message() -> None:
    error = _error(
        _minimal(methods={"shap": {"text_config": {"granularity": "token", "language": "klingon"}}})
    )
    assert error.where == "$.methods.shap.text_config.language"
    assert error.problem == (
        PREFIX + "expected a supported language name or code (e.g. 'english', 'en', 'german', "
        "'de'), found string 'klingon'"
    )


def test_image_model_type_rejects_unknown() -> None:
    error = _error(_minimal(methods={"shap": {"image_config": {"model_type": "segmentation"}}}))
    assert error.where == "$.methods.shap.image_config.model_type"


def test_image_debug_keys() -> None:
    shap = load_config(
        _minimal(
            methods={
                "shap": {
                    "image_config": {
                        "debug": {
                            "image_names": ["a.jpg"],
                            "class_ids": [1, 2],
                            "sample_from": 0,
                            "sample_to": 5,
                        }
                    }
                }
            }
        )
    ).methods.shap
    assert shap is not None and shap.image_config is not None
    assert shap.image_config.debug is not None
    assert shap.image_config.debug.class_ids == (1, 2)


def test_segment_display_aliases_count() -> None:
    segment = {"name_or_index": "F1", "segments": [["a"], ["b"]], "display_aliases": ["x"]}
    error = _error(_minimal(segment_config=[segment]))
    assert error.where == "$.segment_config[0].display_aliases"
    assert error.problem == PREFIX + (
        "Number of `display_aliases` must equal the number of segments specified or with one "
        "additional default segment display alias. Expected 2 or 3 for 2 segment(s), found 1"
    )
    error = _error(_minimal(segment_config=[{"name_or_index": "F1", "segments": []}]))
    assert error.where == "$.segment_config[0].segments"
    assert error.problem == PREFIX + (
        "`segments` must be a list of lists of values or intervals. Found list of 0 items"
    )


def test_time_series_keys_of_one_kind() -> None:
    error = _error(
        _minimal(
            time_series_data_config={
                "target_time_series": 2,
                "item_id": 0,
                "timestamp": "ts",
                "dataset_format": "columns",
            }
        )
    )
    assert error.where == "$.time_series_data_config"
    assert error.problem == (
        PREFIX + "expected all keys to be JMESPath strings or all to be integer indices, "
        "found integer 2 in 'target_time_series' and string 'ts' in 'timestamp'"
    )
    ints = load_config(
        _minimal(
            time_series_data_config={
                "target_time_series": 2,
                "item_id": 0,
                "timestamp": 1,
                "related_time_series": [3, 4],
            }
        )
    )
    assert ints.time_series_data_config is not None
    assert ints.time_series_data_config.related_time_series == (3, 4)
    error = _error(
        _minimal(
            time_series_data_config={"target_time_series": "t", "item_id": "i", "timestamp": "s"}
        )
    )
    assert error.where == "$.time_series_data_config.dataset_format"


@pytest.mark.parametrize(
    ("asv", "where"),
    [
        (
            {"direction": "bidirectional", "granularity": "fine_grained", "num_samples": 4},
            ".direction",
        ),
        ({"direction": "chronological", "granularity": "fine_grained"}, ".num_samples"),
        (
            {"direction": "chronological", "granularity": "timewise", "num_samples": 4},
            ".num_samples",
        ),
        ({"granularity": "timewise"}, ".direction"),
    ],
)
def test_asymmetric_shapley_value_rules(asv: dict[str, Any], where: str) -> None:
    error = _error(_minimal(methods={"asymmetric_shapley_value": asv}))
    assert error.where == "$.methods.asymmetric_shapley_value" + where


def test_load_config_rejects_other_python_types() -> None:
    with pytest.raises(TypeError):
        load_config(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Properties


def _any_case(values: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(values).flatmap(
        lambda v: st.sampled_from([v, v.upper(), v.lower(), v.title()])
    )


_names = st.text(string.ascii_letters + string.digits + "_ ", min_size=1, max_size=8)
_name_or_index = st.one_of(_names, st.integers(min_value=0, max_value=50))
_finite = st.floats(allow_nan=False, allow_infinity=False)
_value = st.one_of(st.integers(-(10**6), 10**6), _finite, st.text(max_size=6))
_values = st.one_of(_value, st.lists(_value, max_size=3))
_unit = st.one_of(st.floats(0, 1), st.integers(0, 1))
_pos = st.integers(min_value=1, max_value=10**6)


def _optional(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {k: v if isinstance(v, st.SearchStrategy) else st.just(v) for k, v in required.items()},
        optional=optional,
    )


_facet = _optional({"name_or_index": _name_or_index}, {"value_or_threshold": _values})


@st.composite
def _segment(draw: st.DrawFn) -> dict[str, Any]:
    # disjoint, non-empty segments (a value in two segments is refused): distinct
    # values, numbers and numeric strings compared as numbers, split into 1-3 lists
    items = draw(
        st.lists(
            st.one_of(_names, st.integers(0, 9)),
            min_size=1,
            max_size=9,
            unique_by=lambda v: str(value_key(v)),
        )
    )
    cuts = sorted(set(draw(st.lists(st.integers(1, len(items)), max_size=2))) | {len(items)})
    segments = [items[a:b] for a, b in zip([0, *cuts], cuts, strict=False) if items[a:b]]
    item: dict[str, Any] = {"name_or_index": draw(_name_or_index), "segments": segments}
    if draw(st.booleans()):
        item["config_name"] = draw(_names)
    if draw(st.booleans()):
        n = len(segments) + draw(st.integers(0, 1))
        item["display_aliases"] = draw(st.lists(_names, min_size=n, max_size=n))
    return item


@st.composite
def _ts_config(draw: st.DrawFn) -> dict[str, Any]:
    key = _names if draw(st.booleans()) else st.integers(0, 20)
    config: dict[str, Any] = {
        "target_time_series": draw(key),
        "item_id": draw(key),
        "timestamp": draw(key),
    }
    for optional in ("related_time_series", "static_covariates"):
        if draw(st.booleans()):
            config[optional] = draw(st.lists(key, max_size=3))
    if isinstance(config["item_id"], str) or draw(st.booleans()):
        config["dataset_format"] = draw(_any_case(TS_DATASET_FORMAT_VALUES))
    return config


_bias_methods = st.one_of(
    st.sampled_from(["all", "ALL", "All"]),
    st.lists(st.sampled_from(PRE_TRAINING_METRICS), min_size=1).map(
        lambda names: [n.lower() for n in names]
    ),
)
_post_methods = st.one_of(
    st.just("all"), st.lists(st.sampled_from(POST_TRAINING_METRICS), min_size=1)
)
_csv_row = st.lists(st.one_of(st.none(), st.integers(), _finite, st.text(max_size=4)), max_size=4)
_shap_baseline = st.one_of(
    st.just("s3://bucket/baseline.csv"),
    st.lists(_csv_row, min_size=1, max_size=3),
    st.lists(st.fixed_dictionaries({"features": st.lists(st.integers(), max_size=3)}), min_size=1),
    st.fixed_dictionaries({"features": st.lists(st.lists(st.integers(), max_size=2), max_size=2)}),
)


@st.composite
def _shap(draw: st.DrawFn) -> dict[str, Any]:
    shap = draw(
        _optional(
            {},
            {
                "num_samples": _pos,
                "use_logit": st.booleans(),
                "save_local_shap_values": st.booleans(),
                "agg_method": _any_case(AGG_METHOD_VALUES),
                "seed": st.integers(-(2**40), 2**40),
                "features_to_explain": st.lists(_name_or_index, max_size=3),
                "text_config": _optional(
                    {
                        "granularity": _any_case(TEXT_GRANULARITY_VALUES),
                        "language": _any_case(LANGUAGE_VALUES),
                    },
                    {"max_top_tokens": _pos},
                ),
                "image_config": _optional(
                    {},
                    {
                        "model_type": _any_case(("IMAGE_CLASSIFICATION", "OBJECT_DETECTION")),
                        "num_segments": _pos,
                        "segment_compactness": _pos,
                        "feature_extraction_method": st.just("segmentation"),
                        "max_objects": _pos,
                        "iou_threshold": _unit,
                        "context": _unit,
                        "debug": _optional(
                            {},
                            {
                                "image_names": st.lists(_names, max_size=2),
                                "class_ids": st.lists(st.integers(0, 9), max_size=2),
                                "sample_from": st.integers(0, 9),
                                "sample_to": st.integers(0, 9),
                            },
                        ),
                    },
                ),
            },
        )
    )
    choice = draw(st.integers(0, 2))
    if choice == 1:
        shap["baseline"] = draw(_shap_baseline)
    elif choice == 2:
        shap["num_clusters"] = draw(st.integers(1, 12))
    return shap


@st.composite
def _asv(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        asv: dict[str, Any] = {
            "direction": "chronological",
            "granularity": "fine_grained",
            "num_samples": draw(_pos),
        }
    else:
        asv = {
            "direction": draw(_any_case(("chronological", "anti_chronological", "bidirectional"))),
            "granularity": "timewise",
        }
    if draw(st.booleans()):
        asv["baseline"] = draw(
            st.one_of(
                st.just("s3://b/baseline.json"),
                _optional(
                    {},
                    {
                        "target_time_series": _any_case(ASV_BASELINE_KIND_VALUES),
                        "related_time_series": _any_case(ASV_BASELINE_KIND_VALUES),
                        "static_covariates": st.dictionaries(
                            _names, st.lists(_value, min_size=1, max_size=2), max_size=2
                        ),
                    },
                ),
            )
        )
    return asv


@st.composite
def _predictor(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        predictor: dict[str, Any] = {"endpoint_name": draw(_names)}
    else:
        predictor = {
            "model_name": draw(_names),
            "instance_type": "ml.m5.xlarge",
            "initial_instance_count": draw(st.integers(1, 4)),
        }
        if draw(st.booleans()):
            predictor["endpoint_name_prefix"] = draw(
                st.from_regex(r"\A[a-z0-9]-?[a-z0-9][a-z0-9-]{0,10}\Z")
            )
        if draw(st.booleans()):
            predictor["accelerator_type"] = "ml.eia2.medium"
    extra = draw(
        _optional(
            {},
            {
                "content_type": _any_case(CONTENT_TYPE_VALUES),
                "accept_type": _any_case(ACCEPT_TYPE_VALUES),
                "content_template": st.one_of(
                    st.just("$features"), st.dictionaries(_names, _names, max_size=2)
                ),
                "record_template": st.just("$features_kvp"),
                "label": _name_or_index,
                "probability": _name_or_index,
                "label_headers": st.lists(_name_or_index, max_size=3),
                "target_model": _names,
                "custom_attributes": st.text(max_size=10),
                "time_series_predictor_config": st.fixed_dictionaries(
                    {"forecast": st.just("predictions[*].mean")}
                ),
            },
        )
    )
    return {**predictor, **extra}


_methods = _optional(
    {},
    {
        "pre_training_bias": st.fixed_dictionaries({"methods": _bias_methods}),
        "post_training_bias": st.fixed_dictionaries({"methods": _post_methods}),
        "shap": _shap(),
        "pdp": _optional(
            {},
            {
                "grid_resolution": _pos,
                "features": st.lists(_name_or_index, max_size=3),
                "top_k_features": _pos,
            },
        ),
        "asymmetric_shapley_value": _asv(),
        "report": _optional({}, {"name": _names, "title": st.text(max_size=10)}),
    },
)

valid_configs = _optional(
    {"dataset_type": _any_case(DATASET_TYPE_VALUES), "methods": _methods},
    {
        "version": st.just("1.0"),
        "dataset_uri": st.just("s3://b/data/"),
        "headers": st.lists(_names, max_size=4),
        "label": _name_or_index,
        "features": st.just("[*].features"),
        "predicted_label": _name_or_index,
        "excluded_columns": st.lists(_name_or_index, max_size=3),
        "joinsource_name_or_index": _name_or_index,
        "facet_dataset_uri": st.just("s3://b/facet.csv"),
        "facet_headers": st.lists(_names, max_size=3),
        "predicted_label_dataset_uri": st.just("s3://b/pred.csv"),
        "predicted_label_headers": st.lists(_names, max_size=3),
        "label_values_or_threshold": _values,
        "facet": st.lists(_facet, max_size=3),
        "group_variable": _name_or_index,
        "probability_threshold": _unit,
        "segment_config": st.lists(_segment(), max_size=2),
        "time_series_data_config": _ts_config(),
        "predictor": _predictor(),
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs)
def test_dump_and_reload_is_identity(document: dict[str, Any]) -> None:
    config = load_config(document)
    dumped = config.model_dump(exclude_none=True, by_alias=True)
    assert load_config(dumped) == config
    # ... and through actual JSON text, as the container would see it.
    text = json.dumps(config.model_dump(mode="json", exclude_none=True)).encode()
    assert load_config(text) == config


_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=5)
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_some_key = st.sampled_from(
    [*AnalysisConfig.model_fields, "unknown", "methods.shap", "methods.pdp", "predictor.label"]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs, _some_key, _json)
def test_any_mutation_gives_a_config_or_one_config_error(
    document: dict[str, Any], key: str, value: Any
) -> None:
    # Replace one key by arbitrary JSON: the loader either accepts the result or
    # raises a ConfigError that fits the exit message; never anything else.
    mutated = json.loads(json.dumps(document))
    target = mutated
    *parents, last = key.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
        if not isinstance(target, dict):
            return
    target[last] = value
    try:
        load_config(mutated)
    except ConfigError as error:
        assert len(str(error)) <= MAX_MESSAGE_CHARS
        assert error.where.startswith("$")
        assert error.problem.startswith(PREFIX)
