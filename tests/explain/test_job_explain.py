"""SHAP and PDP through the whole job, against answers known in closed form.

The model is :func:`tests.explain.models.additive_model` (``Σ w_j x_j + c[city]``),
loaded in-process.  With four features the default budget enumerates every
coalition, so the values are exact Shapley values; they match the closed form
to 1e-9 (one least-squares solve on O(1) data: errors are ~1e-13, and any
algorithmic mistake is ≥ 1e-3 on this model).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.errors import PredictorError
from tests.explain import models
from tests.explain.models import additive_shap, frame

TOL = 1e-9  # see module docstring
FEATURES = ["age", "income", "score", "city"]
BASELINE = [[30, 45.0, 0.5, "north"], [60, 55.5, 0.25, "east"]]


def setup(tmp_path: Path, model: Any = models.additive_model, **shap: Any) -> tuple[dict, Path]:
    data = frame()
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
        "methods": {"shap": {"baseline": BASELINE, "save_local_shap_values": True, **shap}},
    }
    return config, dataset


def run(tmp_path: Path, config: dict, dataset: Path) -> tuple[dict, pd.DataFrame | None]:
    out = tmp_path / "out"
    openclarify.run(config, dataset, out)
    document = json.loads((out / "analysis.json").read_text())
    local_file = out / "explanations_shap" / "out.csv"
    return document, pd.read_csv(local_file) if local_file.exists() else None


def baseline_frame() -> pd.DataFrame:
    return pd.DataFrame(BASELINE, columns=FEATURES)


def test_additive_model_gets_its_exact_shapley_values(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path)
    document, local = run(tmp_path, config, dataset)
    records = frame()[FEATURES]
    exact = additive_shap(records, baseline_frame())
    assert local is not None and list(local.columns) == [f"{f}_label0" for f in FEATURES]
    np.testing.assert_allclose(local.to_numpy(), exact, rtol=0, atol=TOL)

    section = document["explanations"]["kernel_shap"]
    assert list(section) == ["label0"]
    assert list(section["label0"]["global_shap_values"]) == FEATURES  # dataset order
    global_values = np.array(list(section["label0"]["global_shap_values"].values()))
    np.testing.assert_allclose(global_values, np.abs(exact).mean(axis=0), rtol=0, atol=TOL)
    expected_value = models.additive_model(baseline_frame()).mean()
    assert section["label0"]["expected_value"] == pytest.approx(expected_value, abs=TOL)
    # efficiency: attributions + expected value = the model's output, on every row
    np.testing.assert_allclose(
        local.to_numpy().sum(axis=1) + section["label0"]["expected_value"],
        models.additive_model(records),
        rtol=0,
        atol=TOL,
    )
    written = (tmp_path / "out" / "explanations_shap" / "baseline.csv").read_text()
    assert written == "30,45.0,0.5,north\n60,55.5,0.25,east\n"


@pytest.mark.parametrize("agg_method", ["mean_abs", "median", "mean_sq"])
def test_aggregation_methods(tmp_path: Path, agg_method: str) -> None:
    config, dataset = setup(tmp_path, agg_method=agg_method)
    document, local = run(tmp_path, config, dataset)
    assert local is not None
    values = local.to_numpy()
    want = {
        "mean_abs": np.abs(values).mean(axis=0),
        "median": np.median(values, axis=0),
        "mean_sq": (values**2).mean(axis=0),
    }[agg_method]
    got = document["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    # same local values (CSV floats round-trip exactly); only summation order may differ
    np.testing.assert_allclose(list(got.values()), want, rtol=1e-12, atol=0)


def test_features_to_explain_by_name_and_index(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path, features_to_explain=[3, "age"])
    document, local = run(tmp_path, config, dataset)
    assert local is not None and list(local.columns) == ["age_label0", "city_label0"]
    exact = additive_shap(frame()[FEATURES], baseline_frame())
    # additive model: fixing the other features changes nothing for these two
    np.testing.assert_allclose(local.to_numpy(), exact[:, [0, 3]], rtol=0, atol=TOL)
    assert list(document["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == [
        "age",
        "city",
    ]


def test_one_section_per_model_output_named_by_label_headers(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path, model=models.two_output_model)
    config["predictor"]["label_headers"] = ["up", "down"]
    document, local = run(tmp_path, config, dataset)
    assert local is not None
    assert list(local.columns) == [f"{f}_up" for f in FEATURES] + [f"{f}_down" for f in FEATURES]
    up, down = local.to_numpy()[:, :4], local.to_numpy()[:, 4:]
    np.testing.assert_allclose(down, -2.0 * up, rtol=0, atol=TOL)  # f2 = -2 f1 + 1
    assert list(document["explanations"]["kernel_shap"]) == ["up", "down"]


def test_label_headers_that_do_not_match_the_outputs(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path, model=models.two_output_model)
    config["predictor"]["label_headers"] = ["a", "b", "c"]
    with pytest.raises(PredictorError, match="names 3 labels but the model returns 2"):
        run(tmp_path, config, dataset)


def test_use_logit_explains_log_odds(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path, model=models.probability_model, use_logit=True)
    document, local = run(tmp_path, config, dataset)
    assert local is not None
    section = document["explanations"]["kernel_shap"]["label0"]
    p_base = models.probability_model(baseline_frame()).mean()
    assert section["expected_value"] == pytest.approx(np.log(p_base / (1 - p_base)), abs=TOL)
    p = models.probability_model(frame()[FEATURES])
    np.testing.assert_allclose(
        local.to_numpy().sum(axis=1) + section["expected_value"],
        np.log(p / (1 - p)),
        rtol=0,
        atol=TOL,
    )


def test_use_logit_refuses_scores_that_are_not_probabilities(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path, use_logit=True)  # the additive model is unbounded
    with pytest.raises(PredictorError) as caught:
        run(tmp_path, config, dataset)
    assert caught.value.where == "$.methods.shap.use_logit"
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_a_computed_baseline_never_averages_a_text_column(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path)
    config["methods"]["shap"] = {"num_clusters": 3, "seed": 5, "save_local_shap_values": False}
    document, local = run(tmp_path, config, dataset)
    assert local is None  # save_local_shap_values false: no out.csv
    baseline = pd.read_csv(tmp_path / "out" / "explanations_shap" / "baseline.csv", header=None)
    assert baseline.shape == (3, 4)
    assert set(baseline[3]) <= set(models.CITY_EFFECT)  # a city, never a number
    section = document["explanations"]["kernel_shap"]["label0"]
    baseline.columns = FEATURES
    assert section["expected_value"] == pytest.approx(
        models.additive_model(baseline).mean(), abs=TOL
    )


def test_seeded_sampling_is_reproducible(tmp_path: Path) -> None:
    # 6 coalitions of the 14 possible: sampled, not enumerated
    config, dataset = setup(tmp_path, num_samples=6, seed=11)
    first = run(tmp_path, config, dataset)[1]
    second = run(tmp_path, config, dataset)[1]
    assert first is not None and second is not None
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    config["methods"]["shap"]["seed"] = 12
    third = run(tmp_path, config, dataset)[1]
    assert third is not None and not np.array_equal(first.to_numpy(), third.to_numpy())
    # efficiency holds for sampled estimates too: the constraint is imposed, not fitted
    f = models.additive_model(frame()[FEATURES])
    expected_value = models.additive_model(baseline_frame()).mean()
    np.testing.assert_allclose(third.to_numpy().sum(axis=1) + expected_value, f, atol=TOL)


def test_join_column_comes_first_in_local_values(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path)
    data = frame()
    data.insert(0, "id", [f"r{i}" for i in range(len(data))])
    data.to_csv(dataset, index=False)
    config["joinsource_name_or_index"] = "id"
    _, local = run(tmp_path, config, dataset)
    assert local is not None
    assert list(local.columns) == ["id"] + [f"{f}_label0" for f in FEATURES]
    assert local["id"].tolist() == data["id"].tolist()


def test_pdp_of_an_additive_model(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path)
    config["methods"]["pdp"] = {"features": ["age", 3], "grid_resolution": 4}
    document, _ = run(tmp_path, config, dataset)
    age, city = document["explanations"]["pdp"]
    data = frame()
    rest = models.additive_model(data) - models.WEIGHTS["age"] * data["age"]
    # PD(v) = w·v + mean of everything else, exactly
    want = [models.WEIGHTS["age"] * v + rest.mean() for v in age["feature_values"]]
    np.testing.assert_allclose(age["model_predictions"][0], want, rtol=0, atol=TOL)
    assert age["data_type"] == "numerical" and len(age["feature_values"]) == 4
    lo, hi = data["age"].min(), data["age"].max()
    width = (hi - lo) / 4
    np.testing.assert_allclose(age["feature_values"], lo + width * (np.arange(4) + 0.5))
    assert city["data_type"] == "categorical"
    counts = data["city"].value_counts()
    assert city["feature_values"] == counts.index.tolist()  # descending frequency
    assert city["data_distribution"] == pytest.approx((counts / len(data)).tolist())
    assert city["label_headers"] == ["label0"]


def test_pdp_top_features_follow_the_shap_ranking(tmp_path: Path) -> None:
    config, dataset = setup(tmp_path)
    config["methods"]["pdp"] = {"top_k_features": 2, "grid_resolution": 3}
    document, _ = run(tmp_path, config, dataset)
    ranking = document["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    top = sorted(ranking, key=lambda name: -ranking[name])[:2]
    assert [p["feature_name"] for p in document["explanations"]["pdp"]] == top
