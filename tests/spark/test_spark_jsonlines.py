"""JSON Lines on Spark: one task per file, equal to the in-memory analysis and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openclarify.config import load_config
from openclarify.data.stream import open_source
from tests.backend.test_streaming_jsonlines import (
    BROKEN,
    _config,
    in_memory,
    random_config,
    random_records,
    write_parts,
)
from tests.spark.test_spark_goldens import on_spark

pytestmark = pytest.mark.spark


@pytest.mark.parametrize("seed", range(4))
def test_random_part_files_equal_memory(seed: int, spark: Any, tmp_path: Path) -> None:
    """Dtype-changing values late in a later file: settled across tasks like the whole file."""
    rng = np.random.default_rng(500 + seed)
    records = random_records(rng, int(rng.integers(40, 160)))
    data = write_parts(tmp_path / "parts", records, 3)
    config = random_config(rng)
    config["methods"]["post_training_bias"]["methods"].append("FT")
    assert len(open_source(load_config(config), data).units()) == 3  # one task per file
    expected = in_memory(config, data)
    assert on_spark(config, data, spark, batch_rows=int(rng.integers(1, 30))) == expected


@pytest.mark.parametrize("case", [b for b in BROKEN if len(b[1]) > 1], ids=lambda b: b[0])
def test_a_task_error_is_the_in_memory_error(case: Any, spark: Any, tmp_path: Path) -> None:
    name, files, changes = case
    folder = tmp_path / "parts"
    folder.mkdir()
    for k, lines in enumerate(files):
        (folder / f"part-{k}.jsonl").write_text("\n".join(lines) + "\n")
    expected = in_memory(_config(**changes), folder)
    assert expected[0] == "DatasetError" and "part-1.jsonl" in expected[1], name
    assert on_spark(_config(**changes), folder, spark) == expected


def test_nested_facet_value_in_a_later_file(spark: Any, tmp_path: Path) -> None:
    """The row number of the in-memory error counts the rows of earlier files."""
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"f": [1, 2], "y": 1}\n{"f": [0, 2], "y": 0}\n')
    (folder / "b.jsonl").write_text('{"f": [1, 2], "y": 0}\n{"f": [{"x": 1}, 2], "y": 1}\n')
    expected = in_memory(_config(), folder)
    assert "row 4" in expected[1]
    assert on_spark(_config(), folder, spark) == expected
