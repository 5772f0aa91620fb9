"""``openclarify`` statistics on Spark equal the in-memory ones for the same seed.

The statistics are functions of the merged counts and the seed only, and the
Spark driver merges the same integer counts, so intervals, p-values, flags and
per-group performance are *equal*.  Intersections are refused on Spark, naming
``--backend``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import openclarify
from openclarify.errors import ConfigError
from tests.backend.test_streaming_goldens import CASES

pytestmark = pytest.mark.spark

EXTRAS = {"uncertainty": {"resamples": 60, "seed": 5}, "group_performance": True}


@pytest.mark.parametrize("case", ["multiple_facets", "group_variable", "one_vs_rest", "infinity"])
def test_spark_statistics_equal_memory(case: str, spark: Any) -> None:
    folder = CASES / case
    raw = json.loads((folder / "analysis_config.json").read_text())
    raw["methods"].pop("report", None)
    raw["openclarify"] = EXTRAS
    memory = openclarify.analyze(raw, folder / "data", config_dir=folder, backend="memory")
    on_spark = openclarify.analyze(raw, folder / "data", config_dir=folder, backend="spark")
    assert on_spark.beyond is not None
    assert on_spark.to_dict() == memory.to_dict()


def test_intersections_are_refused_on_spark(spark: Any) -> None:
    folder = CASES / "multiple_facets"
    raw = json.loads((folder / "analysis_config.json").read_text())
    raw["openclarify"] = {"intersections": [[{"name_or_index": "Sex"}, {"name_or_index": "Race"}]]}
    with pytest.raises(ConfigError) as info:
        openclarify.analyze(raw, folder / "data", config_dir=folder, backend="spark")
    assert info.value.where == "--backend"
    assert "intersections" in str(info.value)
