"""Streaming equals in-memory on random tables built to break whole-column decisions.

The tables mix what makes smclarify's per-column decisions depend on the whole
column: a missing value only in the last rows (``int64`` in early batches,
``float64`` for the file), text that is numeric in early rows only, integer
columns whose distinct share crosses 5 % only late, facet values that match
only in later batches or only after conversion (``"1"`` vs ``1``), the
missing value as a one-vs-rest group, probabilities next to a categorical
label.  Each table is written as CSV and as Parquet and analysed both ways with
a random batch size; the analysis.json dictionaries (or the errors) must be
equal.  Seeds are fixed: a failure names its seed and replays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.backend import stream_bias_sections
from openclarify.config import load_config
from openclarify.errors import UserError
from openclarify.results import AnalysisResult

PRE = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
POST = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"]


def random_table(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    late = rows - int(rng.integers(1, max(2, rows // 4)))  # where "late" surprises start
    small = rng.integers(0, 4, rows)
    wide = rng.integers(0, rows * 3, rows) if rng.random() < 0.5 else rng.integers(0, 3, rows)
    wide[:late] = np.minimum(wide[:late], 2)  # distinct share grows only in the tail
    text = rng.choice(["a", "b", "c", "d"], rows).astype(object)
    text[rng.random(rows) < 0.1] = np.nan
    late_nan = rng.integers(0, 5, rows).astype(float)
    late_nan[late + int(rng.integers(0, rows - late))] = np.nan  # int64 early, float64 whole
    numeric_text = rng.integers(0, 50, rows).astype(str).astype(object)
    if rng.random() < 0.5:
        numeric_text[late:] = "x"  # castable only until the tail
    label = (rng.random(rows) < 0.4).astype(int)
    prediction = (rng.random(rows) < 0.45).astype(int)
    score = rng.random(rows) * (1.0 if rng.random() < 0.7 else 3.0)
    return pd.DataFrame(
        {
            "small": small,
            "wide": wide,
            "text": text,
            "late_nan": late_nan,
            "numeric_text": numeric_text,
            "label": label,
            "label_text": np.where(label == 1, "yes", "no"),
            "pred": prediction,
            "score": score,
        }
    )


def random_config(rng: np.random.Generator, frame: pd.DataFrame) -> dict[str, Any]:
    facets = []
    for _ in range(int(rng.integers(1, 4))):
        name = str(rng.choice(["small", "wide", "text", "late_nan", "numeric_text"]))
        choice = rng.random()
        if choice < 0.3:
            values = None  # one-vs-rest; a float column would only give "no threshold"
            name = str(rng.choice(["small", "wide", "text", "numeric_text"]))
        elif choice < 0.5:
            values = [int(rng.integers(0, 4))]
        elif choice < 0.65:
            values = [str(int(rng.integers(0, 4)))]  # matches ints only after conversion
        elif choice < 0.8:
            values = [str(rng.choice(["a", "b", "zz"]))]
        else:
            values = [int(rng.integers(0, 3)), int(rng.integers(0, 3)) + 1]
        facets.append({"name_or_index": name, **({"value_or_threshold": values} if values else {})})
    text_label = rng.random() < 0.3
    config: dict[str, Any] = {
        "dataset_type": "text/csv",
        "label": "label_text" if text_label else "label",
        "label_values_or_threshold": ["yes"] if text_label else [1],
        "predicted_label": "score" if rng.random() < 0.4 else "pred",
        "facet": facets,
        "methods": {"pre_training_bias": {"methods": PRE}, "post_training_bias": {"methods": POST}},
    }
    if text_label and config["predicted_label"] == "pred":
        config["predicted_label"] = "label_text"
    if rng.random() < 0.5:
        config["group_variable"] = str(rng.choice(["small", "text", "late_nan"]))
    return config


def both_ways(config: dict[str, Any], data: Path, batch_rows: int) -> tuple[Any, Any]:
    try:
        expected: Any = openclarify.analyze(config, data, backend="memory").to_dict()
    except UserError as exc:
        expected = (type(exc).__name__, str(exc))
    try:
        sections = stream_bias_sections(load_config(config), data, batch_rows=batch_rows)
        actual: Any = (
            None
            if sections is None
            else AnalysisResult(pre_training=sections[0], post_training=sections[1]).to_dict()
        )
    except UserError as exc:
        actual = (type(exc).__name__, str(exc))
    return expected, actual


@pytest.mark.parametrize("seed", range(40))
def test_random_tables(seed: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(20, 400))
    frame = random_table(rng, rows)
    config = random_config(rng, frame)
    batch_rows = int(rng.integers(1, rows + 2))
    frame.to_csv(tmp_path / "data.csv", index=False)
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    for dataset_type, file in (("text/csv", "data.csv"), ("application/x-parquet", "data.parquet")):
        config["dataset_type"] = dataset_type
        expected, actual = both_ways(config, tmp_path / file, batch_rows)
        assert actual is not None, f"seed {seed}: {dataset_type} must be streamed"
        assert actual == expected, f"seed {seed}, {dataset_type}, batch_rows {batch_rows}"


def test_csv_folder_with_a_missing_value_only_in_the_last_part(tmp_path: Path) -> None:
    """Per-file dtypes (int64 then float64) concatenate to float64, as in memory."""
    folder = tmp_path / "parts"
    folder.mkdir()
    rng = np.random.default_rng(5)
    frame = random_table(rng, 120)
    frame["late_nan"] = frame["late_nan"].fillna(0.0)
    first, second = frame.iloc[:60].copy(), frame.iloc[60:].copy()
    first["late_nan"] = first["late_nan"].astype(int)
    second.loc[second.index[-1], "late_nan"] = np.nan
    first.to_csv(folder / "part-0.csv", index=False)
    second.to_csv(folder / "part-1.csv", index=False)
    config = {
        "dataset_type": "text/csv",
        "label": "label",
        "label_values_or_threshold": [1],
        "predicted_label": "pred",
        "facet": [{"name_or_index": "late_nan", "value_or_threshold": [2]}],
        "methods": {"pre_training_bias": {"methods": PRE}, "post_training_bias": {"methods": POST}},
    }
    expected, actual = both_ways(config, folder, 11)
    assert isinstance(expected, dict)
    # float64 facet ⇒ continuous ⇒ an interval, not the value 2
    assert "(2" in str(expected["pre_training_bias_metrics"]["facets"])
    assert actual == expected
