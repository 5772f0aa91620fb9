"""The Spark backend equals the in-memory analysis on every golden case it runs.

Mirrors ``tests/backend/test_streaming_goldens.py``: each golden case (FT
included) runs through
:func:`openclarify.analyze` with ``backend="memory"`` — the table in memory,
itself checked against smclarify 0.5 in ``tests/golden`` — and through
:func:`spark_bias_sections` on a real local Spark session.  The
``analysis.json`` dictionaries must be *equal* (same integer counts through
the same metric functions), or the errors must be the same error.  Batches of
3 rows put batch boundaries inside every task.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.backend.spark import spark_bias_sections
from openclarify.config import load_config
from openclarify.data.stream import open_source
from openclarify.errors import ConfigError, UserError
from openclarify.results import AnalysisResult
from tests.backend.test_streaming_goldens import CASE_NAMES, CASES
from tests.backend.test_streaming_random import random_config, random_table

pytestmark = pytest.mark.spark


def in_memory(raw: dict[str, Any], data: Path, config_dir: Path | None = None) -> Any:
    try:
        result = openclarify.analyze(raw, data, config_dir=config_dir, backend="memory")
    except UserError as exc:
        return (type(exc).__name__, str(exc))
    return result.to_dict()


def on_spark(raw: dict[str, Any], data: Path, spark: Any, batch_rows: int = 3) -> Any:
    try:
        pre, post = spark_bias_sections(load_config(raw), data, spark=spark, batch_rows=batch_rows)
    except UserError as exc:
        return (type(exc).__name__, str(exc))
    return AnalysisResult(pre_training=pre, post_training=post).to_dict()


@pytest.mark.parametrize("case", CASE_NAMES)
def test_spark_equals_in_memory(case: str, spark: Any) -> None:
    folder = CASES / case
    raw = json.loads((folder / "analysis_config.json").read_text())  # FT included
    expected = in_memory(raw, folder / "data", folder)
    # exact equality, errors included: counts are integers, values the same functions,
    # FT the same neighbour search on the same rows
    assert on_spark(raw, folder / "data", spark) == expected


@pytest.mark.parametrize("seed", range(6))
def test_random_tables_split_in_row_groups(seed: int, spark: Any, tmp_path: Path) -> None:
    """Many tasks per dataset: summaries merged across tasks decide like the whole column.

    The random tables (``tests/backend/test_streaming_random.py``) put missing
    values, castability breaks and distinct-share growth late in the column,
    and the Parquet file has row groups of 1 to 40 rows, so those surprises
    land in a different task from the first rows.
    """
    rng = np.random.default_rng(100 + seed)
    rows = int(rng.integers(40, 300))
    frame = random_table(rng, rows)
    config = random_config(rng, frame)
    config["dataset_type"] = "application/x-parquet"
    data = tmp_path / "data.parquet"
    frame.to_parquet(data, index=False, row_group_size=int(rng.integers(1, 41)))
    assert len(open_source(load_config(config), data).units()) > 1  # several tasks
    expected = in_memory(config, data)
    assert on_spark(config, data, spark, batch_rows=int(rng.integers(1, 50))) == expected


def test_whole_file_json_is_refused_naming_the_backend(spark: Any, tmp_path: Path) -> None:
    (tmp_path / "data.json").write_text(json.dumps({"features": [[1, 0]], "label": [1]}))
    raw = {
        "dataset_type": "application/json",
        "features": "features",
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": 1, "value_or_threshold": [1]}],
        "methods": {"pre_training_bias": {"methods": ["CI"]}},
    }
    with pytest.raises(ConfigError, match=r"--backend: .*application/json .*--backend local"):
        spark_bias_sections(load_config(raw), tmp_path / "data.json", spark=spark)


@pytest.mark.parametrize("seed", range(3))
def test_flip_test_over_many_tasks(seed: int, spark: Any, tmp_path: Path) -> None:
    """FT's rows gathered from many tasks are the table's rows, in order.

    Integer features make distance ties common (the tie-breaking path).  The
    string facet is left out of its own FT matrix (the other features are
    numeric, FT is computed per value), but stays in the threshold facet's
    matrix, whose FT fails as smclarify's does.
    """
    rng = np.random.default_rng(200 + seed)
    rows = int(rng.integers(60, 250))
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 30, rows),
            "score": rng.normal(size=rows).round(1),
            "flag": rng.random(rows) < 0.3,
            "region": rng.choice(["n", "s", "e"], rows),
            "label": (rng.random(rows) < 0.4).astype(int),
            "pred": (rng.random(rows) < 0.5).astype(int),
        }
    )
    config = {
        "dataset_type": "application/x-parquet",
        "label": "label",
        "label_values_or_threshold": [1],
        "predicted_label": "pred",
        "facet": [
            {"name_or_index": "region"},
            {"name_or_index": "age", "value_or_threshold": [24]},
        ],
        "methods": {"post_training_bias": {"methods": ["FT", "DPPL"]}},
    }
    data = tmp_path / "data.parquet"
    frame.to_parquet(data, index=False, row_group_size=int(rng.integers(5, 30)))
    expected = in_memory(config, data)
    groups = expected["post_training_bias_metrics"]["facets"]
    ft = [m for f in groups.values() for g in f for m in g["metrics"] if m["name"] == "FT"]
    # region's groups: computed on the numeric features; age's: region stays a feature
    assert [isinstance(m.get("value"), float) for m in ft] == [True, True, True, False]
    assert ft[3]["error"] == "FlipTest does not support non-numeric columns"
    assert on_spark(config, data, spark, batch_rows=int(rng.integers(1, 40))) == expected


def test_malformed_second_file_is_the_local_error(spark: Any, tmp_path: Path) -> None:
    """An error inside a task reaches the driver as the same error, first file first."""
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "part-0.csv").write_text("a,label,pred\n1,1,0\n2,0,1\n")
    (folder / "part-1.csv").write_text("a,label,pred\n1,1,0\n2,0,1,9,9\n")
    raw = {
        "dataset_type": "text/csv",
        "label": "label",
        "label_values_or_threshold": [1],
        "predicted_label": "pred",
        "facet": [{"name_or_index": "a", "value_or_threshold": [1]}],
        "methods": {"pre_training_bias": {"methods": ["CI"]}},
    }
    actual = on_spark(raw, folder, spark)
    assert actual[0] == "DatasetError" and "part-1.csv" in actual[1]
    # the Spark error is the streaming engine's error, word for word
    assert actual == _streamed(raw, folder)
    assert in_memory(raw, folder)[0] == "DatasetError"


def _streamed(raw: dict[str, Any], data: Path) -> Any:
    from openclarify.backend import stream_bias_sections

    try:
        stream_bias_sections(load_config(raw), data, batch_rows=3)
    except UserError as exc:
        return (type(exc).__name__, str(exc))
    raise AssertionError("the malformed file must fail")
