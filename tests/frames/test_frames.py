"""The DataFrame API runs the one job path: its analysis.json is the file job's, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

import openclarify
from openclarify.errors import ConfigError, DatasetError
from openclarify.results import ANALYSIS_FILE, dumps_analysis

SAMPLES = Path(__file__).parents[2] / "sample_configs"
LOANS = SAMPLES / "pre_training_csv" / "loans.csv"


def _file_job(config: dict | Path, dataset: Path, out: Path) -> str:
    openclarify.run(config, dataset, out)
    return (out / ANALYSIS_FILE).read_text(encoding="utf-8")


def test_bias_equals_the_file_job_byte_for_byte(tmp_path: Path) -> None:
    expected = _file_job(SAMPLES / "pre_training_csv" / "analysis_config.json", LOANS, tmp_path)
    frame = pd.read_csv(LOANS)
    kwargs = {
        "label": "Approved",
        "label_values": [1],
        "facet": {"Gender": ["Female"], "Age": [40]},
        "group_variable": "IncomeBand",
    }
    assert dumps_analysis(openclarify.bias(frame, **kwargs).to_dict()) == expected
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert dumps_analysis(openclarify.bias(table, **kwargs).to_dict()) == expected


def test_post_training_with_a_predicted_label_column(tmp_path: Path) -> None:
    folder = SAMPLES / "post_training_predicted_label_csv"
    config = json.loads((folder / "analysis_config.json").read_text())
    dataset = next(folder.glob("*.csv"))
    expected = _file_job(config, dataset, tmp_path)
    frame = pd.read_csv(dataset, header=None, names=config["headers"])
    if list(frame.iloc[0]) == config["headers"]:
        frame = pd.read_csv(dataset)
    facets = {f["name_or_index"]: f.get("value_or_threshold") for f in config["facet"]}
    result = openclarify.bias(
        frame,
        label=config["label"],
        label_values=config["label_values_or_threshold"],
        facet=facets,
        predicted_label=config["predicted_label"],
        group_variable=config.get("group_variable"),
        excluded_columns=config.get("excluded_columns"),
        methods="all",
    )
    assert result.post_training is not None and result.pre_training is not None
    assert dumps_analysis(result.to_dict()) == expected


def _numeric_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=60).round(3),
            "x2": rng.normal(size=60).round(3),
            "x3": rng.integers(0, 5, size=60),
        }
    )
    frame["y"] = (frame.x1 + 0.5 * frame.x2 > 0).astype(int)
    return frame


def test_explain_equals_the_file_job_with_the_dumped_model(tmp_path: Path) -> None:
    frame = _numeric_frame()
    features = ["x1", "x2", "x3"]
    model = LogisticRegression().fit(frame[features].to_numpy(), frame.y)
    joblib.dump(model, tmp_path / "model.joblib")
    frame.to_csv(tmp_path / "data.csv", index=False)
    shap = {
        "num_clusters": 2,
        "num_samples": 16,
        "seed": 5,
        "agg_method": "mean_abs",
        "save_local_shap_values": True,
    }
    config = {
        "dataset_type": "text/csv",
        "headers": list(frame.columns),
        "label": "y",
        "predictor": {
            "openclarify": {
                "model_path": str(tmp_path / "model.joblib"),
                "allow_code_execution": True,
            }
        },
        "methods": {"shap": shap, "pdp": {"features": ["x1"], "grid_resolution": 5}},
    }
    expected = _file_job(config, tmp_path / "data.csv", tmp_path / "out")
    result = openclarify.explain(
        frame, model, label="y", shap=shap, pdp={"features": ["x1"], "grid_resolution": 5}
    )
    assert dumps_analysis(result.to_dict()) == expected
    assert "Global SHAP values" in result._repr_html_()
    result.report(tmp_path / "report")  # the job's files, with the local SHAP values
    assert (tmp_path / "report" / "explanations_shap" / "out.csv").read_text() == (
        tmp_path / "out" / "explanations_shap" / "out.csv"
    ).read_text()
    # a lambda is lent as it is (never pickled): the same numbers
    scores = openclarify.explain(
        frame, lambda rows: model.predict_proba(rows.to_numpy())[:, 1], label="y", shap=shap
    )
    assert (
        scores.to_dict()["explanations"]["kernel_shap"]
        == json.loads(expected)["explanations"]["kernel_shap"]
    )


def test_bias_with_a_model_for_the_predictions() -> None:
    frame = _numeric_frame()
    frame["group"] = np.where(frame.x3 > 2, "a", "b")
    model = lambda rows: (rows["x1"] > 0).astype(int).to_numpy()  # noqa: E731
    result = openclarify.bias(
        frame,
        label="y",
        label_values=[1],
        facet="group",
        facet_values=["a"],
        methods=["DPL", "DPPL", "DI"],
        model=model,
        excluded_columns=["group"],
    )
    post = result.to_dict()["post_training_bias_metrics"]["facets"]["group"][0]
    assert [m["name"] for m in post["metrics"]] == ["DI", "DPPL"]
    # DPPL from the predictions by hand: q_a - q_d over predicted positives
    predicted = frame.x1 > 0
    facet_a = frame.group != "a"
    dppl = predicted[facet_a].mean() - predicted[~facet_a].mean()
    # tolerance: the job sums the same counts in another order (a few ulps)
    assert post["metrics"][1]["value"] == pytest.approx(dppl, abs=1e-12)


def test_result_shows_plots_and_writes_the_job_files(tmp_path: Path) -> None:
    result = openclarify.bias(
        pd.read_csv(LOANS),
        label="Approved",
        label_values=[1],
        facet="Gender",
        methods=["CI", "DPL"],
    )
    html = result._repr_html_()
    assert "<caption>Pre-training bias" in html and "<th>DPL</th>" in html
    figure = result.plot()
    assert len(figure.axes) == len(result.pre_training.facets["Gender"])
    assert figure._repr_svg_().startswith("<svg")
    result.report(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "analysis.json",
        "report.html",
        "report.ipynb",
        "report.pdf",
    ]
    assert (tmp_path / ANALYSIS_FILE).read_text() == dumps_analysis(result.to_dict())


def test_facet_values_are_escaped_in_html() -> None:
    frame = pd.DataFrame({"g": ["<b>x</b>", "y"] * 20, "y": [1, 0, 0, 1] * 10})
    html = openclarify.bias(frame, label="y", label_values=[1], facet="g")._repr_html_()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_bad_arguments_are_one_user_error() -> None:
    frame = pd.read_csv(LOANS)
    with pytest.raises(ConfigError, match="need predictions"):
        openclarify.bias(
            frame, label="Approved", label_values=[1], facet="Gender", methods=["DPPL"]
        )
    with pytest.raises(ConfigError, match="unknown metric"):
        openclarify.bias(frame, label="Approved", label_values=[1], facet="Gender", methods=["XX"])
    with pytest.raises(DatasetError, match="pandas DataFrame"):
        openclarify.bias([1, 2], label="Approved", label_values=[1], facet="Gender")
    with pytest.raises(openclarify.UserError, match="Nope"):
        openclarify.bias(frame, label="Approved", label_values=[1], facet="Nope")


def test_the_packages_are_the_functions_and_stay_packages() -> None:
    import inspect

    import openclarify.bias.registry
    import openclarify.explain.kernel_shap

    assert "label_values" in inspect.signature(openclarify.bias).parameters
    assert list(inspect.signature(openclarify.explain).parameters)[:2] == ["data", "model"]
    assert openclarify.bias.registry.BY_CODE["DPL"].fair_value == 0
    assert callable(openclarify.explain.kernel_shap.explain)
    assert "Bias metrics of a table" in (type(openclarify.bias).__call__.__doc__ or "")
