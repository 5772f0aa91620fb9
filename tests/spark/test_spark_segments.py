"""``segment_config`` on Spark: the same ``analysis.json`` bytes as in memory.

Golden cases with the segment entries of ``tests/segments/test_golden_segments.py``
(a feature split at its median, the facet split by its first value, a segment of
every row): FT (gathered rows), Parquet, JSON Lines, a folder of part files,
missing values, several facets, a continuous facet.  Every task cuts its batches
to the segment, so counts, summaries and FT rows are those of the filtered table.
"""

from __future__ import annotations

from typing import Any

import pytest

import openclarify
from openclarify.results import dumps_analysis
from tests.segments.test_golden_segments import GOLDEN, _base, _segment_entries

pytestmark = pytest.mark.spark

#: About 20 s each (a Spark job per segment and pass): two by default, the rest slow.
CASES = [
    "contract_vector",
    "parquet_basic",
    *(
        pytest.param(case, marks=pytest.mark.slow)
        for case in (
            "jsonlines_basic",
            "folder_of_parts",
            "nan_cells",
            "multiple_facets",
            "continuous_facet",
        )
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_spark_segments_equal_in_memory(case: str, spark: Any) -> None:
    base = _base(case, without_ft=False)
    cfg = {**base, "segment_config": _segment_entries(case, base)}
    folder = GOLDEN / case
    memory = openclarify.analyze(cfg, folder / "data", config_dir=folder, backend="memory")
    on_spark = openclarify.analyze(cfg, folder / "data", config_dir=folder, backend="spark")
    assert "segment_analysis" in memory.to_dict()
    assert dumps_analysis(on_spark.to_dict()) == dumps_analysis(memory.to_dict())


def test_an_empty_segment_on_spark(spark: Any) -> None:
    base = _base("contract_vector", without_ft=False)
    cfg = {**base, "segment_config": [{"name_or_index": "f", "segments": [["nobody"]]}]}
    folder = GOLDEN / "contract_vector"
    memory = openclarify.analyze(cfg, folder / "data", config_dir=folder, backend="memory")
    on_spark = openclarify.analyze(cfg, folder / "data", config_dir=folder, backend="spark")
    empty = on_spark.to_dict()["segment_analysis"][0]["segments"][0]
    assert empty["num_records"] == 0
    assert dumps_analysis(on_spark.to_dict()) == dumps_analysis(memory.to_dict())
