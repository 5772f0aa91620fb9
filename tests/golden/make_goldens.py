#!/usr/bin/env python
"""Generate the golden bias-metric files with smclarify itself.

Run with the side virtualenv described in ``tests/golden/requirements.txt``
(smclarify 0.5, pandas 2.3.3, ...)::

    python tests/golden/make_goldens.py              # every case
    python tests/golden/make_goldens.py CASE [CASE]  # only these cases

For each case folder ``tests/golden/cases/<case>/`` the script

1. writes ``analysis_config.json`` and the dataset file(s) under ``data/`` when they
   are missing (the data are deterministic; the committed files are the source of
   truth, so existing inputs are never rewritten unless ``--rewrite-inputs`` is given);
2. reads the inputs back the way the Clarify container does (the "reference adapter"
   below) and calls ``smclarify.bias.report.bias_report`` per facet;
3. writes ``expected.json`` (same shape as the bias sections of ``analysis.json``).

This module is a tool, not a test helper: tests must only read ``expected.json``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import importlib.metadata
import json
import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
SDK_CASES_DIR = HERE.parent / "sdk_configs" / "cases"

REPORT_METHOD = {"name": "report", "title": "Analysis Report"}

# --------------------------------------------------------------------------------------
# Reference adapter: dataset loading
# --------------------------------------------------------------------------------------


def _data_files(data_dir: Path) -> list[Path]:
    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    if not files:
        raise FileNotFoundError(f"no dataset files under {data_dir}")
    return files


def _first_csv_row(path: Path) -> list[str]:
    with path.open(newline="") as fh:
        for row in csv.reader(fh):
            return row
    return []


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_csv_file(path: Path, headers: list[str] | None) -> pd.DataFrame:
    first = _first_csv_row(path)
    if headers is not None:
        names = [str(h) for h in headers]
        skip = 1 if first == names else 0
        return pd.read_csv(path, header=None, names=names, skiprows=skip)
    if first and not any(_is_number(cell) for cell in first):
        return pd.read_csv(path)
    frame = pd.read_csv(path, header=None)
    frame.columns = [f"column_{i}" for i in range(frame.shape[1])]
    return frame


def _read_jsonlines_file(path: Path, config: dict[str, Any]) -> pd.DataFrame:
    import jmespath

    features_expr = config["features"]
    label_expr = config.get("label")
    pred_expr = config.get("predicted_label")
    rows: list[list[Any]] = []
    n_features = None
    with path.open() as fh:
        for line in fh:
            if not line.strip():
                continue
            obj = json.loads(line)
            feats = list(jmespath.search(features_expr, obj))
            n_features = len(feats)
            row = feats
            if label_expr is not None:
                row.append(jmespath.search(label_expr, obj))
            if pred_expr is not None:
                row.append(jmespath.search(pred_expr, obj))
            rows.append(row)
    headers = config.get("headers")
    if headers is not None:
        names = [str(h) for h in headers]
    else:
        names = [f"column_{i}" for i in range(n_features or 0)]
        if label_expr is not None:
            names.append(str(label_expr))
        if pred_expr is not None:
            names.append(str(pred_expr))
    return pd.DataFrame(rows, columns=names)


def jsonlines_target_names(config: dict[str, Any], table: pd.DataFrame) -> dict[str, str]:
    """JSON Lines: map the ``label`` / ``predicted_label`` JMESPaths to their column names.

    The extracted values are the last columns of the table (label, then predicted label).
    """
    keys = [k for k in ("label", "predicted_label") if config.get(k) is not None]
    names = list(table.columns)[len(table.columns) - len(keys) :]
    return {k: str(n) for k, n in zip(keys, names, strict=True)}


def load_dataset(case_dir: Path, config: dict[str, Any]) -> pd.DataFrame:
    dataset_type = config["dataset_type"].lower()
    files = _data_files(case_dir / "data")
    if dataset_type == "text/csv":
        frames = [_read_csv_file(p, config.get("headers")) for p in files]
    elif dataset_type == "application/jsonlines":
        frames = [_read_jsonlines_file(p, config) for p in files]
    elif dataset_type == "application/x-parquet":
        frames = [pd.read_parquet(p) for p in files]
    else:
        raise ValueError(f"unsupported dataset_type for goldens: {dataset_type}")
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------
# Reference adapter: calling smclarify
# --------------------------------------------------------------------------------------


def _resolve(table: pd.DataFrame, name_or_index: str | int) -> str:
    if isinstance(name_or_index, int) and not isinstance(name_or_index, bool):
        return str(table.columns[name_or_index])
    if name_or_index not in table.columns:
        raise KeyError(f"column {name_or_index!r} not in dataset columns {list(table.columns)}")
    return str(name_or_index)


def _binarise_scores(
    label: pd.Series, scores: pd.Series, label_values: list[Any], threshold: float
) -> pd.Series | None:
    """Step 3: probability column -> predicted label, or None when not applicable."""
    from smclarify.bias.metrics import common

    label_type = common.series_datatype(label, copy.deepcopy(label_values))
    if label_type != common.DataType.CATEGORICAL:
        return None
    if not pd.api.types.is_float_dtype(scores.dtype):
        return None
    non_null = scores.dropna()
    if len(non_null) == 0 or not ((non_null >= 0) & (non_null <= 1)).all():
        return None
    positive = label_values[0]
    negative = next(v for v in label.dropna().unique() if v not in label_values)
    return pd.Series(
        np.where(scores > threshold, positive, negative), index=scores.index, name=scores.name
    )


def _exception_record(exc: BaseException) -> dict[str, str]:
    return {"_raises": type(exc).__name__, "message": str(exc)}


def compute_expected(case_dir: Path) -> dict[str, Any]:
    from smclarify.bias import report

    config = json.loads((case_dir / "analysis_config.json").read_text())
    table = load_dataset(case_dir, config)

    if config["dataset_type"].lower() == "application/jsonlines":
        targets = jsonlines_target_names(config, table)
        label_name = targets["label"]
        pred_name = targets.get("predicted_label")
    else:
        label_name = _resolve(table, config["label"])
        pred_name = (
            _resolve(table, config["predicted_label"]) if "predicted_label" in config else None
        )
    label_values = config["label_values_or_threshold"]
    group_name = _resolve(table, config["group_variable"]) if "group_variable" in config else None
    facets = [
        (_resolve(table, f["name_or_index"]), f.get("value_or_threshold")) for f in config["facet"]
    ]

    if pred_name is not None:
        binary = _binarise_scores(
            table[label_name],
            table[pred_name],
            label_values,
            float(config.get("probability_threshold", 0.5)),
        )
        if binary is not None:
            table = table.copy()
            table[pred_name] = binary

    dropped = []
    if "joinsource_name_or_index" in config:
        dropped.append(_resolve(table, config["joinsource_name_or_index"]))
    for col in config.get("excluded_columns", []):
        dropped.append(_resolve(table, col))
    df = table.drop(columns=[c for c in dict.fromkeys(dropped)])

    def series(name: str) -> pd.Series:
        # Same object as df[name] unless the column was excluded from df.
        return df[name] if name in df.columns else table[name]

    methods = config["methods"]
    result: dict[str, Any] = {"version": "1.0"}
    stages = [
        ("post_training_bias", "post_training_bias_metrics", report.StageType.POST_TRAINING),
        ("pre_training_bias", "pre_training_bias_metrics", report.StageType.PRE_TRAINING),
    ]
    for method_key, out_key, stage in stages:
        if method_key not in methods:
            continue
        wanted = methods[method_key]["methods"]
        metric_names = ["all"] if wanted == "all" else list(wanted)
        facet_results: dict[str, Any] = {}
        for facet_name, facet_values in facets:
            pred_column = None
            if pred_name is not None:
                pred_column = report.LabelColumn(
                    pred_name, series(pred_name), copy.deepcopy(label_values)
                )
            try:
                facet_results[facet_name] = report.bias_report(
                    df,
                    report.FacetColumn(facet_name, copy.deepcopy(facet_values)),
                    report.LabelColumn(label_name, series(label_name), copy.deepcopy(label_values)),
                    stage,
                    predicted_label_column=pred_column,
                    metrics=copy.deepcopy(metric_names),
                    group_variable=series(group_name) if group_name is not None else None,
                )
            except Exception as exc:
                facet_results[facet_name] = _exception_record(exc)
        try:
            label_str: Any = report.label_value_or_threshold(
                series(label_name), copy.deepcopy(label_values)
            )
        except Exception as exc:
            label_str = _exception_record(exc)
        result[out_key] = {
            "label": label_name,
            "facets": facet_results,
            "label_value_or_threshold": label_str,
        }
    result["_generated_by"] = {
        "smclarify": importlib.metadata.version("smclarify"),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "scikit-learn": importlib.metadata.version("scikit-learn"),
    }
    return result


# --------------------------------------------------------------------------------------
# Case inputs (deterministic)
# --------------------------------------------------------------------------------------

# A data file spec: ("csv", DataFrame, write_header_row) | ("jsonl", [dict, ...])
#                   | ("parquet", DataFrame)
FileSpec = tuple[Any, ...]
CaseSpec = tuple[dict[str, Any], dict[str, FileSpec]]


def _methods(pre: Any = "all", post: Any = "all") -> dict[str, Any]:
    methods: dict[str, Any] = {"report": dict(REPORT_METHOD)}
    if pre is not None:
        methods["pre_training_bias"] = {"methods": pre}
    if post is not None:
        methods["post_training_bias"] = {"methods": post}
    return methods


def _config(
    label: str | int,
    label_values: list[Any],
    facet: list[dict[str, Any]],
    *,
    headers: list[str] | None = None,
    dataset_type: str = "text/csv",
    pre: Any = "all",
    post: Any = "all",
    **extra: Any,
) -> dict[str, Any]:
    config: dict[str, Any] = {"dataset_type": dataset_type}
    if headers is not None:
        config["headers"] = headers
    config["label"] = label
    for key in ("features", "predicted_label"):
        if key in extra:
            config[key] = extra.pop(key)
    config["label_values_or_threshold"] = label_values
    config["facet"] = facet
    config.update(extra)
    config["methods"] = _methods(pre, post if "predicted_label" in config else None)
    return config


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _adult_like(n: int, seed: int, string_feature: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    sex = rng.choice(["Male", "Female"], n, p=[0.67, 0.33])
    race = rng.choice([0, 1, 2, 3, 4], n, p=[0.85, 0.09, 0.03, 0.02, 0.01])
    edu = rng.integers(1, 17, n)
    hours = np.clip(np.round(rng.normal(40, 12, n)), 1, 99).astype(int)
    female = sex == "Female"
    z = -5.0 + 0.04 * (age - 18) + 0.3 * edu + 0.03 * hours - 0.8 * female
    income = (rng.random(n) < _sigmoid(z)).astype(int)
    z_hat = z - 0.4 * female + rng.normal(0, 0.8, n)
    prediction = (z_hat > 0).astype(int)
    frame = pd.DataFrame(
        {
            "Age": age,
            "Sex": sex,
            "Race": race,
            "Education-Num": edu,
            "Hours-per-week": hours,
        }
    )
    if string_feature:
        frame["Workclass"] = rng.choice(["Private", "Self-emp", "Gov", "Never-worked"], n)
    frame["Income"] = income
    frame["Prediction"] = prediction
    return frame


def _simple(
    n: int,
    seed: int,
    facet_values: list[Any],
    facet_p: list[float] | None = None,
    facet_name: str = "Facet",
) -> pd.DataFrame:
    """Facet column + two numeric features + 0/1 label + 0/1 prediction."""
    rng = np.random.default_rng(seed)
    facet = rng.choice(np.array(facet_values, dtype=object), n, p=facet_p)
    x1 = np.round(rng.normal(0, 1, n), 3)
    x2 = rng.integers(0, 50, n)
    shift = np.array([0.3 * (i % 3) - 0.3 for i in range(len(facet_values))])
    idx = np.array([facet_values.index(v) for v in facet])
    z = 0.8 * x1 + 0.02 * (x2 - 25) + shift[idx]
    y = (rng.random(n) < _sigmoid(z)).astype(int)
    yhat = (z + rng.normal(0, 0.7, n) > 0).astype(int)
    return pd.DataFrame({facet_name: facet, "x1": x1, "x2": x2, "y": y, "yhat": yhat})


def case_contract_vector() -> CaseSpec:
    pattern = [
        (0, "A", 1.0, 1, 1),
        (0, "A", 2.0, 1, 0),
        (0, "B", 3.0, 0, 0),
        (0, "B", 4.0, 1, 1),
        (0, "A", 5.0, 0, 1),
        (0, "B", 6.0, 1, 1),
        (1, "A", 1.5, 0, 0),
        (1, "B", 2.5, 1, 1),
        (1, "B", 3.5, 0, 0),
        (1, "A", 4.5, 0, 1),
    ]
    rows = [
        (f, g, round(x1 + 0.01 * r, 2), y, yhat)
        for r in range(10)
        for (f, g, x1, y, yhat) in pattern
    ]
    frame = pd.DataFrame(rows, columns=["f", "g", "x1", "y", "yhat"])
    config = _config(
        "y",
        [1],
        [{"name_or_index": "f", "value_or_threshold": [1]}],
        headers=["f", "g", "x1", "y", "yhat"],
        predicted_label="yhat",
        group_variable="g",
    )
    return config, {"data/contract_vector.csv": ("csv", frame, True)}


def case_contract_vector_g_excluded() -> CaseSpec:
    config, files = case_contract_vector()
    config["excluded_columns"] = ["g"]
    config["methods"] = config.pop("methods")
    return config, files


def case_categorical_facet_real() -> CaseSpec:
    frame = _adult_like(3000, 101)
    config = _config(
        "Income",
        [1],
        [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
        headers=list(frame.columns),
        predicted_label="Prediction",
    )
    return config, {"data/adult_like.csv": ("csv", frame, False)}


def case_ft_non_numeric() -> CaseSpec:
    frame = _adult_like(500, 102, string_feature=True)
    config = _config(
        "Income",
        [1],
        [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
        headers=list(frame.columns),
        predicted_label="Prediction",
    )
    return config, {"data/adult_like_workclass.csv": ("csv", frame, False)}


def case_one_vs_rest() -> CaseSpec:
    frame = _simple(400, 103, ["north", "south", "east", "west"], facet_name="Region")
    config = _config("y", [1], [{"name_or_index": "Region"}], predicted_label="yhat")
    # no "headers": the CSV's header row is detected and used
    return config, {"data/regions.csv": ("csv", frame, True)}


def case_multi_value_facet() -> CaseSpec:
    frame = _simple(300, 104, ["a", "b", "c", "d"], [0.4, 0.2, 0.15, 0.25])
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["b", "c"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/multi_value.csv": ("csv", frame, False)}


def case_continuous_facet() -> CaseSpec:
    frame = _adult_like(500, 105)
    frame.loc[0, "Age"] = 18
    frame.loc[1, "Age"] = 89
    config = _config(
        "Income",
        [1],
        [{"name_or_index": "Age", "value_or_threshold": [40]}],
        headers=list(frame.columns),
        predicted_label="Prediction",
    )
    return config, {"data/adult_like.csv": ("csv", frame, False)}


def case_continuous_facet_float() -> CaseSpec:
    rng = np.random.default_rng(106)
    n = 400
    spend = np.round(rng.gamma(2.0, 60.0, n), 2)
    spend[0] = 2278.0
    x1 = rng.integers(0, 10, n)
    z = 0.01 * (spend - 100) - 0.1 * x1
    y = (rng.random(n) < _sigmoid(z)).astype(int)
    yhat = (z + rng.normal(0, 1, n) > 0).astype(int)
    frame = pd.DataFrame({"Spend": spend, "x1": x1, "y": y, "yhat": yhat})
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Spend", "value_or_threshold": [100.0]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/spend.csv": ("csv", frame, False)}


def case_continuous_facet_threshold_at_max() -> CaseSpec:
    frame = _adult_like(300, 107)
    frame.loc[0, "Age"] = 89
    config = _config(
        "Income",
        [1],
        [{"name_or_index": "Age", "value_or_threshold": [89]}],
        headers=list(frame.columns),
        predicted_label="Prediction",
    )
    return config, {"data/adult_like.csv": ("csv", frame, False)}


def case_continuous_facet_no_threshold() -> CaseSpec:
    frame = _adult_like(300, 108)
    config = _config(
        "Income",
        [1],
        [{"name_or_index": "Age"}],
        headers=list(frame.columns),
        predicted_label="Prediction",
    )
    return config, {"data/adult_like.csv": ("csv", frame, False)}


def case_continuous_label() -> CaseSpec:
    rng = np.random.default_rng(109)
    n = 300
    group = rng.choice(["x", "y"], n, p=[0.6, 0.4])
    f1 = np.round(rng.normal(0, 1, n), 3)
    score = np.round(np.clip(12 + 4 * f1 - 2.5 * (group == "y") + rng.normal(0, 3, n), 0, 30), 1)
    pred = np.round(np.clip(12 + 4 * f1 - 1.5 * (group == "y"), 0, 30), 1)
    frame = pd.DataFrame({"Group": group, "f1": f1, "Score": score, "PredScore": pred})
    config = _config(
        "Score",
        [10.0],
        [{"name_or_index": "Group", "value_or_threshold": ["y"]}],
        predicted_label="PredScore",
    )
    return config, {"data/scores.csv": ("csv", frame, True)}


def case_int_label_continuous_small() -> CaseSpec:
    rng = np.random.default_rng(110)
    n = 40
    facet = rng.choice(["m", "f"], n)
    x1 = rng.integers(0, 100, n)
    y = rng.integers(0, 2, n)
    yhat = rng.integers(0, 2, n)
    frame = pd.DataFrame({"Facet": facet, "x1": x1, "y": y, "yhat": yhat})
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["f"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/small.csv": ("csv", frame, False)}


def case_float_label_01() -> CaseSpec:
    frame = _simple(200, 111, ["m", "f"])
    frame["y"] = frame["y"].astype(float)
    frame["yhat"] = frame["yhat"].astype(float)
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["f"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/float_labels.csv": ("csv", frame, False)}


def case_multiclass_label() -> CaseSpec:
    rng = np.random.default_rng(112)
    n = 400
    dept = rng.choice(["eng", "ops", "sales"], n, p=[0.5, 0.3, 0.2])
    years = rng.integers(0, 30, n)
    score = np.round(rng.normal(0, 1, n), 3)
    classes = np.array(["A", "B", "C", "D"])
    raw = score + 0.05 * years - 0.5 * (dept == "sales")
    grade = classes[np.digitize(raw + rng.normal(0, 0.5, n), [-0.5, 0.5, 1.5])]
    pred = classes[np.digitize(raw, [-0.5, 0.5, 1.5])]
    frame = pd.DataFrame(
        {"Dept": dept, "Years": years, "Score": score, "Grade": grade, "PredGrade": pred}
    )
    config = _config(
        "Grade",
        ["A", "B"],
        [{"name_or_index": "Dept", "value_or_threshold": ["sales"]}],
        predicted_label="PredGrade",
    )
    return config, {"data/grades.csv": ("csv", frame, True)}


def case_label_values_type_mismatch() -> CaseSpec:
    frame = _simple(300, 113, [0, 1], [0.6, 0.4], facet_name="Group")
    config = _config(
        "y",
        ["1"],
        [{"name_or_index": "Group", "value_or_threshold": ["1"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/mismatch.csv": ("csv", frame, False)}


def _group_frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 600
    dept = rng.choice(["d1", "d2", "d3"], n, p=[0.5, 0.3, 0.2])
    sex = np.where(
        dept == "d1",
        rng.choice(["M", "F"], n, p=[0.8, 0.2]),
        rng.choice(["M", "F"], n, p=[0.4, 0.6]),
    )
    x1 = np.round(rng.normal(0, 1, n), 3)
    base = {"d1": 0.8, "d2": -0.2, "d3": -0.8}
    z = np.array([base[d] for d in dept]) + 0.7 * x1
    y = (rng.random(n) < _sigmoid(z)).astype(int)
    yhat = (z - 0.3 * (sex == "F") + rng.normal(0, 0.6, n) > 0).astype(int)
    return pd.DataFrame({"Sex": sex, "Dept": dept, "x1": x1, "Admit": y, "PredAdmit": yhat})


def case_group_variable() -> CaseSpec:
    frame = _group_frame(114)
    # Dept (string) stays in df as in the reference adapter, so FT reports a non-numeric error.
    config = _config(
        "Admit",
        [1],
        [{"name_or_index": "Sex", "value_or_threshold": ["F"]}],
        headers=list(frame.columns),
        predicted_label="PredAdmit",
        group_variable="Dept",
    )
    return config, {"data/admissions.csv": ("csv", frame, False)}


def case_group_variable_numeric() -> CaseSpec:
    frame = _group_frame(115)
    frame["Dept"] = frame["Dept"].map({"d1": 1, "d2": 2, "d3": 3})
    config = _config(
        "Admit",
        [1],
        [{"name_or_index": "Sex", "value_or_threshold": ["F"]}],
        headers=list(frame.columns),
        predicted_label="PredAdmit",
        group_variable=1,
    )
    return config, {"data/admissions.csv": ("csv", frame, False)}


def case_no_group() -> CaseSpec:
    frame = _group_frame(116).drop(columns=["Dept"])
    config = _config(
        "Admit",
        [1],
        [{"name_or_index": "Sex", "value_or_threshold": ["F"]}],
        headers=list(frame.columns),
        predicted_label="PredAdmit",
    )
    return config, {"data/admissions.csv": ("csv", frame, False)}


def case_empty_facet_value() -> CaseSpec:
    frame = _simple(200, 117, ["p", "q", "r"])
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["zzz"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/facets.csv": ("csv", frame, False)}


def case_facet_covers_all() -> CaseSpec:
    frame = _simple(200, 118, ["only"])
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["only"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/single_value.csv": ("csv", frame, False)}


def case_all_predictions_negative() -> CaseSpec:
    frame = _simple(200, 119, ["m", "f"])
    frame["yhat"] = 0
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["f"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/all_negative.csv": ("csv", frame, False)}


def case_all_predictions_positive() -> CaseSpec:
    frame = _simple(200, 120, ["m", "f"])
    frame["yhat"] = 1
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["f"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
        group_variable="x2",
    )
    return config, {"data/all_positive.csv": ("csv", frame, False)}


def case_infinity() -> CaseSpec:
    # Literal rows (62, so the 0/1 columns stay categorical under the 5 % rule); each facet
    # column selects a different d (value 1):
    #   f_di : a has no positive predictions, d has some -> DI = Infinity, TE = -Infinity
    #   f_te : FP_d = 0, FN_d > 0, FP_a > 0            -> TE = Infinity
    #   f_neg: FP_a = 0, FN_a > 0, FP_d > 0            -> TE = -Infinity
    # (y, yhat) per quadrant: TP=(1,1) FP=(0,1) FN=(1,0) TN=(0,0)
    quadrant = {"TP": (1, 1), "FP": (0, 1), "FN": (1, 0), "TN": (0, 0)}
    layout = [
        # f_di, f_te, quadrant, count   (f_neg = 1 - f_te)
        (0, 0, "FN", 12),
        (0, 0, "TN", 12),
        (1, 0, "TP", 10),
        (1, 0, "FP", 6),
        (1, 1, "FN", 8),
        (1, 1, "TP", 8),
        (0, 1, "TN", 6),
    ]
    rows: list[tuple[int, ...]] = []
    for f_di, f_te, q, count in layout:
        for _ in range(count):
            y, yhat = quadrant[q]
            rows.append((f_di, f_te, 1 - f_te, len(rows) % 7, y, yhat))
    frame = pd.DataFrame(rows, columns=["f_di", "f_te", "f_neg", "x", "y", "yhat"])
    config = _config(
        "y",
        [1],
        [
            {"name_or_index": "f_di", "value_or_threshold": [1]},
            {"name_or_index": "f_te", "value_or_threshold": [1]},
            {"name_or_index": "f_neg", "value_or_threshold": [1]},
        ],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/infinity.csv": ("csv", frame, False)}


def case_d_only_positive() -> CaseSpec:
    # a: 50 % positive labels, d: 100 % positive (contract §5.2: KL = -0.3466, DPL = -0.5).
    # 60 rows so the 0/1 columns are categorical. No false positives anywhere and false
    # negatives in both groups -> TE: both FN/FP ratios infinite -> 0.0.
    rows = [(0, i % 5, 1, 1 if i >= 5 else 0) for i in range(20)]
    rows += [(0, i % 5, 0, 0) for i in range(20)]
    rows += [(1, i % 5, 1, 1 if i >= 4 else 0) for i in range(20)]
    frame = pd.DataFrame(rows, columns=["f", "x", "y", "yhat"])
    config = _config(
        "y",
        [1],
        [{"name_or_index": "f", "value_or_threshold": [1]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/d_only_positive.csv": ("csv", frame, False)}


def case_metrics_subset() -> CaseSpec:
    frame = _adult_like(800, 121)
    config = _config(
        "Income",
        [1],
        [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
        headers=list(frame.columns),
        predicted_label="Prediction",
        pre=["CI", "DPL", "KS"],
        post=["DPPL", "DI", "FT", "GE"],
    )
    return config, {"data/adult_like.csv": ("csv", frame, False)}


def case_multiple_facets() -> CaseSpec:
    frame = _adult_like(800, 122)
    frame.insert(0, "id", np.arange(100000, 100000 + len(frame)))
    config = _config(
        "Income",
        [1],
        [
            {"name_or_index": "Sex", "value_or_threshold": ["Female"]},
            {"name_or_index": "Age", "value_or_threshold": [40]},
            {"name_or_index": "Race", "value_or_threshold": [1, 2]},
        ],
        headers=list(frame.columns),
        predicted_label="Prediction",
        joinsource_name_or_index="id",
    )
    return config, {"data/adult_like.csv": ("csv", frame, False)}


def case_headerless_index() -> CaseSpec:
    frame = _simple(300, 123, [0, 1, 2], [0.5, 0.3, 0.2])
    # columns: 0 facet, 1 x1, 2 x2, 3 y, 4 yhat
    config = _config(
        3,
        [1],
        [{"name_or_index": 0, "value_or_threshold": [2]}],
        predicted_label=4,
    )
    return config, {"data/noheader.csv": ("csv", frame, False)}


def case_header_row_skipped() -> CaseSpec:
    frame = _simple(250, 124, ["m", "f"], [0.55, 0.45], facet_name="Gender")
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Gender", "value_or_threshold": ["f"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/with_header.csv": ("csv", frame, True)}


def case_folder_of_parts() -> CaseSpec:
    frame = _adult_like(900, 125)
    config = _config(
        "Income",
        [1],
        [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
        headers=list(frame.columns),
        predicted_label="Prediction",
    )
    files = {
        f"data/part-0000{i}.csv": ("csv", frame.iloc[i * 300 : (i + 1) * 300], False)
        for i in range(3)
    }
    return config, files


def _jsonl_records(seed: int, n: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(n):
        age = int(rng.integers(18, 70))
        gender = int(rng.choice([0, 1], p=[0.6, 0.4]))
        income = float(np.round(rng.normal(50000, 15000), 2))
        z = 0.03 * (age - 40) + (income - 50000) / 20000 - 0.4 * gender
        label = int(rng.random() < 1 / (1 + np.exp(-z)))
        pred = int(z + rng.normal(0, 0.6) > 0)
        records.append({"features": [age, gender, income], "label": label, "predicted_label": pred})
    return records


def case_jsonlines_basic() -> CaseSpec:
    config = _config(
        "label",
        [1],
        [{"name_or_index": "Gender", "value_or_threshold": [1]}],
        headers=["Age", "Gender", "Income", "Approved", "PredictedApproved"],
        dataset_type="application/jsonlines",
        features="features",
        predicted_label="predicted_label",
    )
    return config, {"data/records.jsonl": ("jsonl", _jsonl_records(126, 300))}


def case_jsonlines_no_headers() -> CaseSpec:
    config = _config(
        "label",
        [1],
        [{"name_or_index": 1, "value_or_threshold": [1]}],
        dataset_type="application/jsonlines",
        features="features",
        predicted_label="predicted_label",
    )
    return config, {"data/records.jsonl": ("jsonl", _jsonl_records(127, 300))}


def case_parquet_basic() -> CaseSpec:
    frame = _adult_like(600, 128)
    rng = np.random.default_rng(1128)
    frame.insert(2, "Married", rng.random(len(frame)) < 0.5)
    frame.insert(3, "Owner", rng.random(len(frame)) < 0.3)
    config = _config(
        "Income",
        [1],
        [
            {"name_or_index": "Sex", "value_or_threshold": ["Female"]},
            # bool columns: the SDK schema allows only int/float/str values, so strings;
            # smclarify converts them with bool(value), hence "False" selects the True rows
            {"name_or_index": "Married", "value_or_threshold": ["True"]},
            {"name_or_index": "Owner", "value_or_threshold": ["False"]},
        ],
        dataset_type="application/x-parquet",
        predicted_label="Prediction",
    )
    return config, {"data/adult_like.parquet": ("parquet", frame)}


def case_probability_column() -> CaseSpec:
    rng = np.random.default_rng(129)
    n = 500
    gender = rng.choice([0, 1], n, p=[0.55, 0.45])
    credit = rng.integers(300, 851, n)
    z = (credit - 600) / 80 - 0.5 * gender
    approved = (rng.random(n) < _sigmoid(z)).astype(int)
    prob = np.round(_sigmoid(z + rng.normal(0, 0.5, n)), 4)
    frame = pd.DataFrame(
        {"Gender": gender, "CreditScore": credit, "Approved": approved, "Probability": prob}
    )
    config = _config(
        "Approved",
        [1],
        [{"name_or_index": "Gender", "value_or_threshold": [1]}],
        headers=list(frame.columns),
        predicted_label="Probability",
        probability_threshold=0.7,
    )
    return config, {"data/scores.csv": ("csv", frame, False)}


def case_pred_type_mismatch() -> CaseSpec:
    rng = np.random.default_rng(130)
    n = 300
    facet = rng.choice(["m", "f"], n)
    x1 = np.round(rng.normal(0, 1, n), 3)
    target = np.round(20 + 5 * x1 + rng.normal(0, 2, n), 2)
    pred_class = (x1 > 0).astype(int) + (x1 > 1).astype(int)
    frame = pd.DataFrame({"Facet": facet, "x1": x1, "target": target, "pred": pred_class})
    config = _config(
        "target",
        [20.0],
        [{"name_or_index": "Facet", "value_or_threshold": ["f"]}],
        headers=list(frame.columns),
        predicted_label="pred",
    )
    return config, {"data/mismatch.csv": ("csv", frame, False)}


def case_nan_cells() -> CaseSpec:
    rng = np.random.default_rng(131)
    n = 300
    sex = rng.choice(["Male", "Female"], n, p=[0.6, 0.4]).astype(object)
    hours = rng.integers(10, 70, n).astype(float)
    age = rng.integers(18, 80, n)
    z = 0.04 * (hours - 40) + 0.03 * (age - 45) - 0.5 * (sex == "Female")
    label = np.where(rng.random(n) < _sigmoid(z), "yes", "no").astype(object)
    pred = np.where(z + rng.normal(0, 0.7, n) > 0, "yes", "no").astype(object)
    sex[rng.choice(n, 12, replace=False)] = None
    label[rng.choice(n, 9, replace=False)] = None
    hours[rng.choice(n, 15, replace=False)] = np.nan
    frame = pd.DataFrame({"Sex": sex, "Age": age, "Hours": hours, "Label": label, "Pred": pred})
    config = _config(
        "Label",
        ["yes"],
        [{"name_or_index": "Sex", "value_or_threshold": ["Female"]}],
        headers=list(frame.columns),
        predicted_label="Pred",
    )
    return config, {"data/with_nan.csv": ("csv", frame, False)}


def case_nan_facet_one_vs_rest() -> CaseSpec:
    # Facet with empty cells and no values: NaN becomes its own (empty) group "nan".
    frame = _simple(200, 135, ["u", "v", "w"], [0.5, 0.3, 0.2])
    frame["Facet"] = frame["Facet"].astype(object)
    rng = np.random.default_rng(1135)
    frame.loc[rng.choice(len(frame), 10, replace=False), "Facet"] = None
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet"}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/facet_nan.csv": ("csv", frame, False)}


def case_ft_ties() -> CaseSpec:
    rng = np.random.default_rng(132)
    n = 600
    facet = rng.choice(["a", "d"], n, p=[0.6, 0.4])
    u = rng.integers(0, 4, n)
    v = rng.integers(0, 3, n)
    z = 0.6 * u - 0.7 * v - 0.3 * (facet == "d")
    y = (rng.random(n) < _sigmoid(z)).astype(int)
    yhat = (rng.random(n) < _sigmoid(1.5 * z)).astype(int)
    frame = pd.DataFrame({"Facet": facet, "u": u, "v": v, "y": y, "yhat": yhat})
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["d"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/ties.csv": ("csv", frame, False)}


def case_ft_small_a() -> CaseSpec:
    rng = np.random.default_rng(133)
    n = 60
    facet = np.array(["d"] * n, dtype=object)
    facet[rng.choice(n, 8, replace=False)] = "a"
    x1 = np.round(rng.normal(0, 1, n), 3)
    x2 = np.round(rng.normal(0, 1, n), 3)
    y = (rng.random(n) < _sigmoid(x1 + x2)).astype(int)
    yhat = (x1 + x2 + rng.normal(0, 0.5, n) > 0).astype(int)
    frame = pd.DataFrame({"Facet": facet, "x1": x1, "x2": x2, "y": y, "yhat": yhat})
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["d"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/small_a.csv": ("csv", frame, False)}


def case_ft_no_features() -> CaseSpec:
    frame = _simple(200, 134, ["m", "f"]).drop(columns=["x1", "x2"])
    config = _config(
        "y",
        [1],
        [{"name_or_index": "Facet", "value_or_threshold": ["f"]}],
        headers=list(frame.columns),
        predicted_label="yhat",
    )
    return config, {"data/no_features.csv": ("csv", frame, False)}


CASES: dict[str, Callable[[], CaseSpec]] = {
    name[len("case_") :]: fn
    for name, fn in sorted(globals().items())
    if name.startswith("case_") and callable(fn)
}

# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _write_file(path: Path, spec: FileSpec) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = spec[0]
    if kind == "csv":
        _, frame, header = spec
        frame.to_csv(path, index=False, header=header, lineterminator="\n")
    elif kind == "jsonl":
        with path.open("w") as fh:
            for record in spec[1]:
                fh.write(json.dumps(record) + "\n")
    elif kind == "parquet":
        spec[1].to_parquet(path, index=False)
    else:
        raise ValueError(kind)


def ensure_inputs(name: str, rewrite: bool) -> Path:
    case_dir = CASES_DIR / name
    config, files = CASES[name]()
    config_path = case_dir / "analysis_config.json"
    if rewrite or not config_path.exists():
        case_dir.mkdir(parents=True, exist_ok=True)
        config_path.write_text(json.dumps(config, indent=4) + "\n")
    for rel, spec in files.items():
        path = case_dir / rel
        if rewrite or not path.exists():
            _write_file(path, spec)
    return case_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument(
        "--rewrite-inputs",
        action="store_true",
        help="regenerate analysis_config.json and data files even if present",
    )
    parser.add_argument(
        "--sdk-configs",
        action="store_true",
        help="also write expected.json for every SDK-generated case in tests/sdk_configs/cases",
    )
    args = parser.parse_args(argv)

    version = importlib.metadata.version("smclarify")
    if version != "0.5":
        print(f"error: smclarify {version} installed, goldens need 0.5", file=sys.stderr)
        return 2
    logging.disable(logging.CRITICAL)  # smclarify logs every failed metric with a traceback
    warnings.simplefilter("ignore")

    known = set(CASES)
    on_disk = {p.name for p in CASES_DIR.glob("*") if (p / "analysis_config.json").exists()}
    names = args.cases or sorted(known | on_disk)
    for name in names:
        if name in known:
            case_dir = ensure_inputs(name, args.rewrite_inputs)
        elif name in on_disk:
            case_dir = CASES_DIR / name  # hand-written case: inputs only on disk
        else:
            print(f"error: unknown case {name!r}", file=sys.stderr)
            return 2
        expected = compute_expected(case_dir)
        with (case_dir / "expected.json").open("w") as fh:
            json.dump(expected, fh, indent=4)
            fh.write("\n")
        print(f"{name}: ok")
    if args.sdk_configs:
        for case_dir in sorted(SDK_CASES_DIR.glob("*/analysis_config.json")):
            expected = compute_expected(case_dir.parent)
            with (case_dir.parent / "expected.json").open("w") as fh:
                json.dump(expected, fh, indent=4)
                fh.write("\n")
            print(f"sdk_configs/{case_dir.parent.name}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
