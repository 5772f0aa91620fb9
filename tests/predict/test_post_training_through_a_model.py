"""Post-training bias through each predictor path equals the precomputed-column result (1e-12).

Each test runs :func:`openclarify.analyze` twice on the same rows: once with the
model's probabilities already in a column (``predicted_label``), once with a
``predictor`` and no prediction column, and compares the whole ``analysis.json``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

import openclarify
from openclarify.errors import ConfigError
from tests.emulator import DEFAULT_ENDPOINT_NAME, DEFAULT_MODEL_NAME, Emulator, SklearnModel
from tests.predict.conftest import ModelServer
from tests.predict.data import assert_same_analysis, config, frame, precomputed, write


def analyze(tmp_path: Path, predictor: dict[str, Any], **top: Any) -> dict[str, Any]:
    dataset = write(tmp_path / "rows.csv", frame())
    result: dict[str, Any] = openclarify.analyze(config(predictor, **top), dataset).to_dict()
    return result


def test_existing_endpoint_csv(tmp_path: Path, emulator: Emulator) -> None:
    result = analyze(tmp_path, {"endpoint_name": DEFAULT_ENDPOINT_NAME})
    assert_same_analysis(result, precomputed(tmp_path))
    calls = emulator.invocations
    assert {(c.content_type, c.accept) for c in calls} == {("text/csv", "text/csv")}
    assert sum(c.n_records or 0 for c in calls) == 400
    assert DEFAULT_ENDPOINT_NAME in emulator.endpoints  # never deleted
    assert not [r for r in emulator.requests if r.operation.startswith("Delete")]
    assert [r.operation for r in emulator.requests if r.operation != "InvokeEndpoint"] == [
        "DescribeEndpoint"
    ]


def test_existing_endpoint_threshold_is_applied(tmp_path: Path, emulator: Emulator) -> None:
    result = analyze(tmp_path, {"endpoint_name": DEFAULT_ENDPOINT_NAME}, probability_threshold=0.7)
    assert_same_analysis(result, precomputed(tmp_path, threshold=0.7))
    assert result != precomputed(tmp_path)  # the threshold matters on these data


def test_json_request_and_response(tmp_path: Path, emulator: Emulator) -> None:
    predictor = {
        "endpoint_name": DEFAULT_ENDPOINT_NAME,
        "content_type": "application/json",
        "accept_type": "application/json",
        "content_template": '{"instances":$records}',
        "record_template": "$features_kvp",
        "probability": "predictions[*].score",
        "custom_attributes": "trace=1",
        "target_model": DEFAULT_MODEL_NAME,
    }
    assert_same_analysis(analyze(tmp_path, predictor), precomputed(tmp_path))
    calls = emulator.invocations
    assert {(c.content_type, c.accept, c.custom_attributes, c.target_model) for c in calls} == {
        ("application/json", "application/json", "trace=1", DEFAULT_MODEL_NAME)
    }


def test_jsonlines_bare_model_scores_in_label(tmp_path: Path, emulator: Emulator) -> None:
    # the SDK's ModelPredictedLabelConfig-less model_scores="score" lands in predictor.label
    predictor = {
        "endpoint_name": DEFAULT_ENDPOINT_NAME,
        "content_type": "application/jsonlines",
        "content_template": '{"features":$features}',
        "label": "score",
    }
    assert_same_analysis(analyze(tmp_path, predictor), precomputed(tmp_path))


def test_label_from_the_model_is_used_as_is(tmp_path: Path, emulator: Emulator) -> None:
    predictor = {
        "endpoint_name": DEFAULT_ENDPOINT_NAME,
        "accept_type": "application/jsonlines",
        "label": "predicted_label",
        "probability": "score",
    }
    # the model's own labels are score > 0.5: same as the precomputed column at 0.5,
    # and probability_threshold no longer applies (rule 1)
    result = analyze(tmp_path, predictor, probability_threshold=0.7)
    assert_same_analysis(result, precomputed(tmp_path))


def test_record_per_request(tmp_path: Path, emulator: Emulator) -> None:
    predictor = {
        "endpoint_name": DEFAULT_ENDPOINT_NAME,
        "content_type": "application/json",
        "accept_type": "application/json",
        "content_template": "$record",
        "record_template": "$features",
        "probability": "predictions[0].score",
        "openclarify": {"max_concurrency": 8},
    }
    data = frame(40)
    dataset = write(tmp_path / "rows.csv", data)
    result = openclarify.analyze(config(predictor), dataset).to_dict()
    assert [c.n_records for c in emulator.invocations] == [1] * 40
    assert result["post_training_bias_metrics"]["facets"]


def test_shadow_endpoint_is_created_used_and_deleted(tmp_path: Path, emulator: Emulator) -> None:
    emulator.creating_describes = 0  # InService at the first DescribeEndpoint
    model = "a-model-with-a-rather-long-name-that-must-be-cut-to-fit-the-limit"
    emulator.add_model(model, SklearnModel())
    predictor = {
        "model_name": model,
        "instance_type": "ml.m5.xlarge",
        "initial_instance_count": 1,
        "endpoint_name_prefix": "my-prefix",
    }
    result = analyze(tmp_path, predictor)
    assert_same_analysis(result, precomputed(tmp_path))
    operations = [r.operation for r in emulator.requests if r.operation != "InvokeEndpoint"]
    assert operations == [
        "CreateEndpointConfig",
        "CreateEndpoint",
        "DescribeEndpoint",
        "DeleteEndpoint",
        "DeleteEndpointConfig",
    ]
    created = next(r for r in emulator.requests if r.operation == "CreateEndpoint")
    name = str(created.endpoint_name)
    assert len(name) == 63
    # the model name is cut so that the whole name is exactly 63 characters
    assert re.fullmatch(r"my-prefix-a-model-with-a-rather-long-name-that--\d{10}-[0-9a-f]{4}", name)
    config_name = str(created.params["EndpointConfigName"])
    assert re.fullmatch(r"sm-clarify-config-\d{10}-[0-9a-f]{4}", config_name)
    invoked = {c.endpoint_name for c in emulator.invocations}
    assert invoked == {name}
    assert set(emulator.endpoints) == {DEFAULT_ENDPOINT_NAME}
    assert config_name not in emulator.endpoint_configs


def test_local_model_server(tmp_path: Path, model_server: ModelServer) -> None:
    predictor = {
        "content_type": "application/jsonlines",
        "content_template": '{"features":$features}',
        "accept_type": "text/csv",
        "openclarify": {"endpoint_url": model_server.url},
    }
    assert_same_analysis(analyze(tmp_path, predictor), precomputed(tmp_path))
    assert [r.path for r in model_server.requests][:2] == ["/ping", "/invocations"]


def test_local_server_overrides_sdk_endpoint_keys(
    tmp_path: Path, model_server: ModelServer
) -> None:
    # an SDK-generated predictor plus one namespaced object runs offline
    predictor = {
        "model_name": "not-used",
        "instance_type": "ml.m5.xlarge",
        "initial_instance_count": 1,
        "accept_type": "text/csv",
        "content_type": "text/csv",
        "openclarify": {"endpoint_url": model_server.url},
    }
    assert_same_analysis(analyze(tmp_path, predictor), precomputed(tmp_path))


def test_in_process_model(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(SklearnModel().estimator, path)
    predictor = {"openclarify": {"model_path": str(path), "allow_code_execution": True}}
    assert_same_analysis(analyze(tmp_path, predictor), precomputed(tmp_path))


def test_precomputed_column_wins_over_the_predictor(tmp_path: Path) -> None:
    # a predicted_label column means no model call at all, even with a predictor
    data = frame()
    data["prob"] = 0.9
    dataset = write(tmp_path / "p.csv", data)
    document = config({"endpoint_name": "nowhere"}, headers=[*data.columns], predicted_label="prob")
    assert openclarify.analyze(document, dataset).to_dict()["post_training_bias_metrics"]


def test_neither_predictions_nor_predictor_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        analyze(tmp_path, None)  # type: ignore[arg-type]
    assert str(error.value) == (
        "$.predictor: post-training bias needs predictions: neither $.predicted_label nor "
        "$.predictor is set. Fix: name the column of the model's predictions in "
        "$.predicted_label, or describe the model in $.predictor"
    )


def test_predictor_config_is_checked_before_reading_data(tmp_path: Path) -> None:
    predictor = {"endpoint_name": "e", "content_type": "application/json"}
    with pytest.raises(ConfigError) as error:
        openclarify.analyze(config(predictor), tmp_path / "does-not-exist.csv")
    assert error.value.where == "$.predictor.content_template"


def test_predicted_column_name_never_collides(tmp_path: Path, model_server: ModelServer) -> None:
    data = frame()
    data["_aws_sagemaker_xai_predicted_labels_0"] = 1
    dataset = write(tmp_path / "rows.csv", data)
    predictor = {"openclarify": {"endpoint_url": model_server.url}}
    document = config(
        predictor,
        headers=[*data.columns],
        excluded_columns=["group", "_aws_sagemaker_xai_predicted_labels_0"],
    )
    result = openclarify.analyze(document, dataset).to_dict()
    assert_same_analysis(result, precomputed(tmp_path))


@pytest.mark.parametrize(
    "keys",
    [
        {"probability": "score"},  # score vectors: arg-max index
        {"label": "score"},  # the SDK's bare model_scores: the same
        {"label": "labels", "probability": "score"},  # labels at the arg-max of the scores
        {"label": "predicted_label"},  # the model's own label
    ],
)
def test_multiclass_endpoint(tmp_path: Path, emulator: Emulator, keys: dict[str, Any]) -> None:
    model = SklearnModel(n_classes=3)
    emulator.add_endpoint("multiclass", model)
    data = model.dataset.to_frame("label")
    data.insert(0, "group", np.where(np.arange(len(data)) % 3 == 0, "a", "b"))
    document = config(label_values_or_threshold=[2])
    dataset = write(tmp_path / "rows.csv", data)
    predictor = {"endpoint_name": "multiclass", "accept_type": "application/jsonlines", **keys}
    through_model = openclarify.analyze({**document, "predictor": predictor}, dataset).to_dict()

    data["pred"] = model.estimator.predict(data[list(model.dataset.feature_names)].to_numpy())
    with_column = write(tmp_path / "pred.csv", data)
    precomputed_doc = {
        **document,
        "headers": [*document["headers"], "pred"],
        "predicted_label": "pred",
    }
    assert_same_analysis(through_model, openclarify.analyze(precomputed_doc, with_column).to_dict())
