"""Captured records → the dataset file and its config: every format and attribute of §2-§3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from openclarify.config import load_config
from openclarify.data.table import load_bias_table
from openclarify.errors import ConfigError, DatasetError
from openclarify.monitor.attributes import CaptureAttributes
from openclarify.monitor.dataset import build_capture_dataset
from openclarify.monitor.execution import monitoring_document
from openclarify.monitor.groundtruth import read_ground_truth
from openclarify.monitor.window import Window

from .records import capture_line, truth_line, write_lines

BIAS = {
    "headers": ["Target", "Age", "Sex"],
    "label": "Target",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
}


def build(
    tmp_path: Path,
    lines: list[str],
    config: dict[str, Any] | None = None,
    truth: list[str] | None = None,
    window: Window | None = None,
    **attributes: Any,
) -> tuple[pd.DataFrame, dict[str, Any], Any]:
    """Build the dataset; return the table as the analysis reads it, its config and the tally."""
    capture = write_lines(tmp_path / "capture" / "2024" / "01" / "19" / "19" / "a.jsonl", lines)
    ground_truth = None
    if truth is not None:
        ground_truth = read_ground_truth(write_lines(tmp_path / "gt" / "gt.jsonl", truth))
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    document = monitoring_document(config if config is not None else BIAS)
    built = build_capture_dataset(
        document,
        capture.parent.parent.parent.parent.parent,
        scratch,
        attributes=CaptureAttributes.collect(attributes),
        ground_truth=ground_truth,
        window=window,
    )
    analysis_config = load_config(built.document)
    table = load_bias_table(analysis_config, built.path)
    return table.frame, built.document, built.tally


def test_csv_capture_with_several_records_per_event_joins_ground_truth_line_by_line(
    tmp_path: Path,
) -> None:
    lines = [
        capture_line("30,0\n40,1\n", "0.9\n0.2\n", event_id="e1", inference_id="i1"),
        capture_line("50,1", "0.7", event_id="e2"),  # no inferenceId: eventId is the key
    ]
    truth = [truth_line("i1", "1\n0"), truth_line("e2", "1")]
    frame, document, tally = build(tmp_path, lines, truth=truth)
    assert document["dataset_type"] == "text/csv"
    assert list(frame.columns) == ["Target", "Age", "Sex", "predicted_label"]
    assert frame.to_dict("list") == {
        "Target": [1, 0, 1],
        "Age": [30, 40, 50],
        "Sex": [0, 1, 1],
        "predicted_label": [0.9, 0.2, 0.7],
    }
    assert (tally.events, tally.used, tally.records) == (2, 2, 3)


def test_the_published_json_records_with_jmespath_attributes(tmp_path: Path) -> None:
    # NB-ep-json: a request of several records, predictions and labels by JMESPath,
    # the label header last in $.headers
    request = json.dumps({"instances": [{"features": [28, 0]}, {"features": [52, 1]}]})
    response = json.dumps(
        {
            "predictions": [
                {"score": 0.98, "predicted_label": 1},
                {"score": 0.1, "predicted_label": 0},
            ]
        }
    )
    labels = json.dumps({"instances": [{"label": 1}, {"label": 1}]})
    config = {**BIAS, "headers": ["Age", "Sex", "Target"], "label": "instances[*].label"}
    lines = [
        capture_line(
            request,
            response,
            event_id="e",
            inference_id="7",
            content_type="application/json",
            truth={"data": labels, "encoding": "JSON"},
        )
    ]
    frame, document, _ = build(
        tmp_path,
        lines,
        config,
        features="instances[*].features",
        inference="predictions[*].predicted_label",
    )
    assert document["dataset_type"] == "application/jsonlines"
    assert frame.to_dict("list") == {
        "Age": [28, 52],
        "Sex": [0, 1],
        "Target": [1, 1],
        "predicted_label": [1, 0],
    }
    assert frame["Age"].dtype == "int64"  # JSON types kept, as the baseline's JSON had them


def test_base64_payloads_are_decoded(tmp_path: Path) -> None:
    lines = [
        capture_line("30,0", "0.9", event_id="e1", encoding="BASE64", truth={"data": "1"}),
    ]
    frame, _, _ = build(tmp_path, lines)
    assert frame.to_dict("list")["Age"] == [30]


def test_probability_attribute_and_strict_threshold(tmp_path: Path) -> None:
    # output "label,score": ProbabilityAttribute 1; a score equal to the threshold is negative
    lines = [
        capture_line("30,0", "0,0.6", event_id="a", truth={"data": "yes"}),
        capture_line("40,1", "1,0.61", event_id="b", truth={"data": "no"}),
    ]
    config = {**BIAS, "label_values_or_threshold": ["yes"]}  # a categorical label
    frame, document, _ = build(tmp_path, lines, config, probability="1", threshold="0.6")
    assert frame["predicted_label"].tolist() == [0.6, 0.61]
    assert document["probability_threshold"] == 0.6
    from openclarify.bias.analysis import resolve_labels
    from openclarify.data.table import BiasTable

    table = BiasTable(frame, "Target", "predicted_label", None)
    labels = resolve_labels(table, ["yes"], 0.6, need_predictions=True)
    assert labels.predicted is not None
    assert labels.predicted.tolist() == [False, True]


def test_inference_attribute_wins_over_the_score(tmp_path: Path) -> None:
    lines = [capture_line("30,0", "1,0.2", event_id="a", truth={"data": "1"})]
    frame, _, _ = build(tmp_path, lines, inference=0, probability=1)
    assert frame["predicted_label"].tolist() == [1]


def test_batch_transform_json_output_reads_the_prediction_inside_sagemaker_output(
    tmp_path: Path,
) -> None:
    # NB-bt-json: FeaturesAttribute on the joined input, InferenceAttribute on SageMakerOutput
    record = {
        "SageMakerInferenceId": "94bc",
        "SageMakerInferenceTime": "2024-01-19T19:25:34Z",
        "SageMakerOutput": {"predictions": [{"predicted_label": 1, "score": 0.98}]},
        "instances": [{"features": [28, 0]}],
    }
    labels = json.dumps({"instances": [{"label": 0}]})
    config = {**BIAS, "headers": ["Age", "Sex", "Target"], "label": "instances[*].label"}
    frame, _, _ = build(
        tmp_path,
        [json.dumps(record)],
        config,
        truth=[truth_line("94bc", labels, "JSON")],
        features="instances[*].features",
        inference="predictions[*].predicted_label",
    )
    assert frame.to_dict("list") == {"Age": [28], "Sex": [0], "Target": [0], "predicted_label": [1]}


def test_merged_batch_transform_record(tmp_path: Path) -> None:
    inner = {
        "SageMakerOutput": {"predictions": [{"predicted_label": 1}, {"predicted_label": 0}]},
        "instances": [{"features": [28, 0]}, {"features": [33, 1]}],
    }
    merged = {
        "eventMetadata": {"eventId": "94bc"},
        "eventVersion": "0",
        "groundTruthData": {
            "data": json.dumps({"instances": [{"label": 0}, {"label": 1}]}),
            "encoding": "JSON",
        },
        "captureData": {"batchTransformOutput": {"data": json.dumps(inner), "encoding": "JSON"}},
    }
    config = {**BIAS, "headers": ["Age", "Sex", "Target"], "label": "instances[*].label"}
    frame, _, _ = build(
        tmp_path,
        [json.dumps(merged)],
        config,
        features="instances[*].features",
        inference="predictions[*].predicted_label",
    )
    assert frame["Target"].tolist() == [0, 1]
    assert frame["predicted_label"].tolist() == [1, 0]


def test_batch_transform_csv_with_generated_inference_ids(tmp_path: Path) -> None:
    # Q9: features = headers minus the label, then the output, then id and time
    lines = [
        "30,0,0.9,1f1d57b1-2e6f-488c-8c30-db4e6d757861,2022-08-30T00:49:15Z",
        "40,1,0.1,2f1d57b1-2e6f-488c-8c30-db4e6d757861,2022-08-30T00:49:15Z",
    ]
    truth = [
        truth_line("1f1d57b1-2e6f-488c-8c30-db4e6d757861", "1"),
        truth_line("2f1d57b1-2e6f-488c-8c30-db4e6d757861", "0"),
    ]
    frame, _, _ = build(tmp_path, lines, truth=truth)
    assert frame.to_dict("list") == {
        "Target": [1, 0],
        "Age": [30, 40],
        "Sex": [0, 1],
        "predicted_label": [0.9, 0.1],
    }


def test_exclude_features_attribute_by_position_and_by_name(tmp_path: Path) -> None:
    lines = [capture_line("30,0", "0.9", event_id="a", truth={"data": "1"})]
    _, document, _ = build(tmp_path, lines, exclude="0")
    assert document["excluded_columns"] == ["Age"]
    _, document, _ = build(tmp_path, lines, exclude="Age, Sex")
    assert document["excluded_columns"] == ["Age", "Sex"]


def test_label_by_index_and_facets_by_index_become_names(tmp_path: Path) -> None:
    config = {**BIAS, "label": 0, "facet": [{"name_or_index": 2, "value_or_threshold": [0]}]}
    lines = [capture_line("30,0", "0.9", event_id="a", truth={"data": "1"})]
    _, document, _ = build(tmp_path, lines, config)
    assert document["label"] == "Target"
    assert document["facet"] == [{"name_or_index": "Sex", "value_or_threshold": [0]}]


def test_window_is_start_inclusive_end_exclusive(tmp_path: Path) -> None:
    times = [
        "2024-01-19T18:59:59Z",
        "2024-01-19T19:00:00Z",
        "2024-01-19T19:59:59Z",
        "2024-01-19T20:00:00Z",
    ]
    lines = [
        capture_line(f"{i},0", "0.5", event_id=str(i), time=t, truth={"data": "1"})
        for i, t in enumerate(times)
    ]
    window = Window.from_text("2024-01-19T19:00:00Z", "2024-01-19T20:00:00Z")
    frame, _, tally = build(tmp_path, lines, window=window)
    assert frame["Age"].tolist() == [1, 2]
    assert tally.outside_window == 2


def test_events_without_ground_truth_are_counted_not_fatal(tmp_path: Path) -> None:
    lines = [
        capture_line("30,0", "0.9", event_id="a"),
        capture_line("40,1", "0.9", event_id="b"),
        capture_line("50,1\n60,0", "0.9\n0.1", event_id="c"),
    ]
    truth = [truth_line("a", "1"), truth_line("c", "1")]  # c: 1 label for 2 records (Q10)
    frame, _, tally = build(tmp_path, lines, truth=truth)
    assert frame["Age"].tolist() == [30]
    assert tally.skipped == {
        "no ground truth for the event's inference id": 1,
        "ground truth has 1 labels for 2 records": 1,
    }
    assert tally.first["no ground truth for the event's inference id"].endswith("line 2")


def test_an_empty_window_is_no_data_to_analyze(tmp_path: Path) -> None:
    lines = [capture_line("30,0", "0.9", event_id="a", truth={"data": "1"})]
    window = Window.from_text("2025-01-01T00:00:00Z", None)
    with pytest.raises(
        DatasetError, match=r"No data to analyze: 1 events read .* 1 outside the window"
    ):
        build(tmp_path, lines, window=window)


def test_capture_without_ground_truth_says_where_to_give_it(tmp_path: Path) -> None:
    lines = [capture_line("30,0", "0.9", event_id="a")]
    with pytest.raises(DatasetError, match=r"No data to analyze.*Fix: give the ground truth"):
        build(tmp_path, lines)


def test_a_truncated_line_names_file_and_line(tmp_path: Path) -> None:
    good = capture_line("30,0", "0.9", event_id="a", truth={"data": "1"})
    with pytest.raises(
        DatasetError, match=r"file 2024/01/19/19/a.jsonl, line 2: is not valid JSON"
    ):
        build(tmp_path, [good, good[:40]])


def test_another_content_type_names_file_and_line(tmp_path: Path) -> None:
    line = capture_line("xx", "0.9", event_id="a", content_type="image/jpeg", truth={"data": "1"})
    with pytest.raises(DatasetError, match=r"line 1: endpointInput has content type 'image/jpeg'"):
        build(tmp_path, [line])


def test_empty_files_hold_no_events(tmp_path: Path) -> None:
    (tmp_path / "capture").mkdir()
    (tmp_path / "capture" / "empty.jsonl").write_text("")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(DatasetError, match="No data to analyze: 0 events read from 0 files"):
        build_capture_dataset(
            monitoring_document(BIAS),
            tmp_path / "capture",
            scratch,
            attributes=CaptureAttributes(),
        )


def test_headers_that_do_not_fit_the_captured_features(tmp_path: Path) -> None:
    lines = [capture_line("30,0,7", "0.9", event_id="a", truth={"data": "1"})]
    with pytest.raises(
        DatasetError,
        match=r"\$.headers: names 2 feature columns besides the label but the captured records have 3",
    ):
        build(tmp_path, lines)


def test_a_jmespath_inference_attribute_on_csv_responses_is_refused(tmp_path: Path) -> None:
    lines = [capture_line("30,0", "0.9", event_id="a", truth={"data": "1"})]
    with pytest.raises(DatasetError, match="InferenceAttribute: must be a 0-based column index"):
        build(tmp_path, lines, inference="predictions")


def test_attributes_from_env_config_and_backfill() -> None:
    config = {
        "features": "instances[*].features",
        "predictor": {"label": "predicted_label", "probability": "score"},
        "ProbabilityThresholdAttribute": 0.7,
    }
    found = CaptureAttributes.collect(
        {"probability": "p"}, {"INFERENCE_ATTRIBUTE": "x.label"}, config
    )
    assert (found.features, found.inference, found.probability, found.threshold) == (
        "instances[*].features",
        "x.label",
        "p",
        0.7,
    )
    assert dict(found.sources)["inference"] == "env INFERENCE_ATTRIBUTE"
    with pytest.raises(ConfigError, match="FeaturesAttribute: is not a valid JMESPath"):
        CaptureAttributes.collect({"features": "a[["})


def test_one_bad_response_among_many_skips_only_its_event(tmp_path: Path) -> None:
    # responses are read many at a time; a body with the wrong number of lines, or a
    # null prediction, must still cost only its own event
    lines = [capture_line(f"{i},0", "0.5", event_id=str(i), truth={"data": "1"}) for i in range(6)]
    lines[2] = capture_line("2,0", "0.5\n0.7", event_id="2", truth={"data": "1"})
    lines[4] = capture_line(
        "4,0", "[null]", event_id="4", accept="application/json", truth={"data": "1"}
    )
    frame, _, tally = build(tmp_path, lines)
    assert frame["Age"].tolist() == [0, 1, 3, 5]
    assert sum(tally.skipped.values()) == 2
    assert {where.rsplit(" ", 1)[1] for where in tally.first.values()} == {"3", "5"}
