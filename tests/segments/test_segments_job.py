"""``segment_config`` through the whole job: bias, SHAP, PDP, empty segments, files, refusals."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.errors import ConfigError, DatasetError
from tests.explain import models
from tests.explain.models import frame

DATA = Path(__file__).resolve().parents[1] / "sdk_generations" / "data"
BIAS_SECTIONS = ("post_training_bias_metrics", "pre_training_bias_metrics")
AGE_BANDS = [["[21, 40]"], ["(40, 55]"]]


def _bias_config(**extra: Any) -> dict[str, Any]:
    return {
        "dataset_type": "text/csv",
        "label": "Approved",
        "predicted_label": "Prediction",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Gender", "value_or_threshold": ["Female"]}],
        "group_variable": "EducationLevel",
        "methods": {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        },
        **extra,
    }


def _metrics(section: dict[str, Any]) -> list[str]:
    return [
        m["name"] for groups in section["facets"].values() for g in groups for m in g["metrics"]
    ]


def test_every_segment_equals_a_run_on_its_rows_written_alone(tmp_path: Path) -> None:
    """Black box: the segment's 21 metrics equal a run on a CSV of only its rows."""
    scored = pd.read_csv(DATA / "loans_scored.csv")
    cfg = _bias_config(segment_config=[{"name_or_index": "Age", "segments": AGE_BANDS}])
    result = openclarify.analyze(cfg, DATA / "loans_scored.csv").to_dict()
    segments = result["segment_analysis"][0]["segments"]
    masks = [
        scored["Age"].between(21, 40),
        (scored["Age"] > 40) & (scored["Age"] <= 55),
    ]
    masks.append(~(masks[0] | masks[1]))
    assert [s["segment"] for s in segments] == ["[21, 40]", "(40, 55]", "__default__"]
    for segment, mask in zip(segments, masks, strict=True):
        assert segment["num_records"] == int(mask.sum()) > 0
        alone = tmp_path / f"{segment['segment']}.csv".replace("/", "_")
        scored[mask].to_csv(alone, index=False)
        plain = _bias_config()
        expected = openclarify.analyze(plain, alone).to_dict()
        for section in BIAS_SECTIONS:
            assert segment[section] == expected[section], (segment["segment"], section)
        assert (
            len(_metrics(segment["pre_training_bias_metrics"]))
            + len(_metrics(segment["post_training_bias_metrics"]))
            == 21
        )


def test_a_segment_of_every_row_gives_the_unsegmented_numbers() -> None:
    cfg = _bias_config(segment_config=[{"name_or_index": "Age", "segments": [["[-inf, inf]"]]}])
    result = openclarify.analyze(cfg, DATA / "loans_scored.csv").to_dict()
    plain = openclarify.analyze(_bias_config(), DATA / "loans_scored.csv").to_dict()
    everything, default = result["segment_analysis"][0]["segments"]
    assert everything["num_records"] == 240 and default["num_records"] == 0
    for section in BIAS_SECTIONS:
        assert everything[section] == plain[section] == result[section]


def test_an_empty_segment_is_reported_with_null_values() -> None:
    cfg = _bias_config(
        segment_config=[
            {"name_or_index": "Gender", "segments": [["Nobody"]], "display_aliases": ["none"]}
        ]
    )
    result = openclarify.analyze(cfg, DATA / "loans_scored.csv").to_dict()
    empty, rest = result["segment_analysis"][0]["segments"]
    assert (empty["segment"], empty["values"], empty["num_records"]) == ("none", ["Nobody"], 0)
    assert (rest["segment"], rest["values"], rest["num_records"]) == ("__default__", None, 240)
    for section in BIAS_SECTIONS:
        groups = empty[section]["facets"]["Gender"]
        assert [g["value_or_threshold"] for g in groups] == ["Female"]
        assert {(m["value"], m["error"]) for m in groups[0]["metrics"]} == {
            (None, "Segment is empty")
        }
        assert _metrics(empty[section]) == _metrics(result[section])
        assert rest[section] == result[section]  # __default__ holds every row here


def test_the_layout_of_segment_analysis() -> None:
    cfg = _bias_config(
        segment_config=[
            {"name_or_index": "Age", "segments": AGE_BANDS, "config_name": "age"},
            {"name_or_index": 2, "segments": [[1, 2], ["3"]], "display_aliases": ["a", "b", "c"]},
        ]
    )
    result = openclarify.analyze(cfg, DATA / "loans_scored.csv").to_dict()
    assert list(result) == ["version", *BIAS_SECTIONS, "segment_analysis"]
    first, second = result["segment_analysis"]
    assert list(first) == ["config_name", "name_or_index", "segments"]
    assert (first["config_name"], first["name_or_index"]) == ("age", "Age")
    assert (second["config_name"], second["name_or_index"]) == (None, 2)
    assert list(first["segments"][0]) == ["segment", "values", "num_records", *BIAS_SECTIONS]
    assert [s["segment"] for s in second["segments"]] == ["a", "b", "c"]
    assert [s["values"] for s in second["segments"]] == [[1, 2], ["3"], None]
    for entry in (first, second):
        assert sum(s["num_records"] for s in entry["segments"]) == 240


def test_an_unknown_segment_column_is_a_dataset_error() -> None:
    cfg = _bias_config(segment_config=[{"name_or_index": "Nope", "segments": [["x"]]}])
    with pytest.raises(DatasetError) as info:
        openclarify.analyze(cfg, DATA / "loans_scored.csv")
    assert info.value.where == "$.segment_config[0].name_or_index"
    assert "segment column 'Nope' is not in the dataset" in info.value.problem


# --------------------------------------------------------------------------------------
# SHAP and PDP
# --------------------------------------------------------------------------------------

BASELINE = [[30, 45.0, 0.5, "north"], [60, 55.5, 0.25, "east"]]
CITY_SEGMENTS = [["north"], ["south", "nowhere"]]


def _explain_setup(
    tmp_path: Path, model: Any, data: pd.DataFrame, **methods: Any
) -> tuple[dict, Path]:
    dataset = tmp_path / "data.csv"
    data.to_csv(dataset, index=False)
    joblib.dump(model, tmp_path / "model.joblib")
    config: dict[str, Any] = {
        "dataset_type": "text/csv",
        "label": "label",
        "predictor": {
            "openclarify": {
                "model_path": str(tmp_path / "model.joblib"),
                "allow_code_execution": True,
            }
        },
        "methods": methods,
    }
    return config, dataset


def _run(config: dict, dataset: Path, out: Path) -> dict[str, Any]:
    openclarify.run(config, dataset, out)
    document: dict[str, Any] = json.loads((out / "analysis.json").read_text())
    return document


@pytest.mark.parametrize("agg_method", ["mean_abs", "median", "mean_sq"])
def test_shap_per_segment_equals_shap_on_the_filtered_records(
    tmp_path: Path, agg_method: str
) -> None:
    """A nonlinear model, every coalition enumerated (4 features): a record's values
    depend on the record and the baseline only, so the segment's records explained
    alone give the segment's global values, equal to the last bit (the same solve on
    the same numbers, aggregated in the same memory layout)."""
    data = frame()
    shap = {"baseline": BASELINE, "agg_method": agg_method, "save_local_shap_values": True}
    config, dataset = _explain_setup(tmp_path, models.probability_model, data, shap=shap)
    segmented = {**config, "segment_config": [{"name_or_index": "city", "segments": CITY_SEGMENTS}]}
    result = _run(segmented, dataset, tmp_path / "out")
    plain = _run(config, dataset, tmp_path / "plain")
    assert result["explanations"] == plain["explanations"]  # whole dataset unchanged
    masks = [data["city"] == "north", data["city"] == "south", data["city"] == "east"]
    for segment, mask in zip(result["segment_analysis"][0]["segments"], masks, strict=True):
        (tmp_path / segment["segment"]).mkdir(exist_ok=True)
        alone, path = _explain_setup(
            tmp_path / segment["segment"], models.probability_model, data[mask], shap=shap
        )
        expected = _run(alone, path, tmp_path / segment["segment"] / "out")["explanations"]
        ours = segment["explanations"]["kernel_shap"]["label0"]
        theirs = expected["kernel_shap"]["label0"]
        assert segment["num_records"] == int(mask.sum())
        assert ours["expected_value"] == theirs["expected_value"]
        for feature, value in theirs["global_shap_values"].items():
            assert ours["global_shap_values"][feature] == value


def test_sampled_shap_per_segment_is_its_rows_local_values_aggregated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With sampled coalitions the segment's values are out.csv's rows of the segment,
    aggregated, and no model call is added by the segments."""
    data = frame(60, seed=3)
    shap = {"baseline": BASELINE, "num_samples": 6, "seed": 11, "save_local_shap_values": True}
    config, dataset = _explain_setup(tmp_path, models.probability_model, data, shap=shap)
    segmented = {
        **config,
        "segment_config": [
            {"name_or_index": "age", "segments": [["[18, 40)"], ["[40, 60)"]], "config_name": "age"}
        ],
    }
    with caplog.at_level(logging.INFO, logger="openclarify"):
        result = _run(segmented, dataset, tmp_path / "out")
        calls_segmented = [
            r.getMessage() for r in caplog.records if r.getMessage().startswith("Model calls")
        ]
        caplog.clear()
        _run(config, dataset, tmp_path / "plain")
        calls_plain = [
            r.getMessage() for r in caplog.records if r.getMessage().startswith("Model calls")
        ]
    assert calls_segmented == calls_plain and calls_plain
    local = pd.read_csv(tmp_path / "out" / "explanations_shap" / "out.csv")
    membership = pd.read_csv(tmp_path / "out" / "explanations_shap" / "segments.csv")
    assert list(membership.columns) == ["age"] and len(membership) == len(local)
    ages = data["age"].to_numpy()
    expected_names = np.where(ages < 40, "[18, 40)", np.where(ages < 60, "[40, 60)", "__default__"))
    assert list(membership["age"]) == list(expected_names)
    for segment in result["segment_analysis"][0]["segments"]:
        rows = local[membership["age"] == segment["segment"]]
        assert segment["num_records"] == len(rows)
        values = segment["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
        for feature, value in values.items():
            # out.csv holds the local values exactly (shortest round-trip floats); the
            # mean here sums them in another order than numpy's pairwise sum: 1e-15
            assert value == pytest.approx(
                float(np.abs(rows[f"{feature}_label0"]).mean()), rel=1e-15, abs=0
            )


def test_pdp_per_segment_equals_pdp_on_the_filtered_rows(tmp_path: Path) -> None:
    data = frame()
    methods = {
        "shap": {"baseline": BASELINE},
        "pdp": {"top_k_features": 2, "grid_resolution": 4},
    }
    config, dataset = _explain_setup(tmp_path, models.additive_model, data, **methods)
    segmented = {**config, "segment_config": [{"name_or_index": "city", "segments": CITY_SEGMENTS}]}
    result = _run(segmented, dataset, tmp_path / "out")
    masks = [data["city"] == "north", data["city"] == "south", data["city"] == "east"]
    for segment, mask in zip(result["segment_analysis"][0]["segments"], masks, strict=True):
        folder = tmp_path / segment["segment"]
        folder.mkdir()
        alone, path = _explain_setup(folder, models.additive_model, data[mask], **methods)
        expected = _run(alone, path, folder / "out")["explanations"]
        assert [p["feature_name"] for p in segment["explanations"]["pdp"]] == [
            p["feature_name"] for p in expected["pdp"]
        ]  # top_k ranked by the segment's own SHAP values
        for ours, theirs in zip(segment["explanations"]["pdp"], expected["pdp"], strict=True):
            assert ours["feature_values"] == theirs["feature_values"]
            assert ours["data_distribution"] == theirs["data_distribution"]
            # the same rows averaged in the same order: equal to the last bit
            assert ours["model_predictions"] == theirs["model_predictions"]


def test_an_empty_segment_in_shap_and_pdp(tmp_path: Path) -> None:
    data = frame()
    methods = {"shap": {"baseline": BASELINE}, "pdp": {"features": ["age"], "grid_resolution": 3}}
    config, dataset = _explain_setup(tmp_path, models.additive_model, data, **methods)
    segmented = {**config, "segment_config": [{"name_or_index": "city", "segments": [["nowhere"]]}]}
    result = _run(segmented, dataset, tmp_path / "out")
    empty, rest = result["segment_analysis"][0]["segments"]
    assert empty["num_records"] == 0 and rest["num_records"] == len(data)
    shap = empty["explanations"]["kernel_shap"]["label0"]
    assert set(shap["global_shap_values"].values()) == {None}
    assert (
        shap["expected_value"] == result["explanations"]["kernel_shap"]["label0"]["expected_value"]
    )
    (pdp,) = empty["explanations"]["pdp"]
    assert (pdp["feature_values"], pdp["data_distribution"], pdp["model_predictions"]) == (
        [],
        [],
        [[]],
    )
    assert rest["explanations"] == result["explanations"]


def test_the_openclarify_statistics_stay_whole_dataset() -> None:
    """``openclarify`` (opt-in statistics) is computed on every row and written last;
    the segments carry Clarify's sections only, equal to a run without the key."""
    extra = {"openclarify": {"uncertainty": {"resamples": 20, "seed": 3}}}
    segments = {"segment_config": [{"name_or_index": "Age", "segments": AGE_BANDS}]}
    both = openclarify.analyze(_bias_config(**extra, **segments), DATA / "loans_scored.csv")
    alone = openclarify.analyze(_bias_config(**segments), DATA / "loans_scored.csv")
    beyond = openclarify.analyze(_bias_config(**extra), DATA / "loans_scored.csv")
    document = both.to_dict()
    assert list(document)[-2:] == ["segment_analysis", "openclarify"]
    assert document["segment_analysis"] == alone.to_dict()["segment_analysis"]
    assert document["openclarify"] == beyond.to_dict()["openclarify"]


def test_time_series_datasets_refuse_segments() -> None:
    cases = Path(__file__).resolve().parents[1] / "sdk_generations" / "cases"
    cfg = json.loads((cases / "2.257.7" / "explainability_time_series.json").read_text())
    cfg["segment_config"] = [{"name_or_index": "item_id", "segments": [["a"]]}]
    with pytest.raises(ConfigError) as info:
        openclarify.analyze(cfg, Path("/nonexistent.json"))
    assert info.value.where == "$.segment_config"
    assert "time_series_data_config" in info.value.problem
