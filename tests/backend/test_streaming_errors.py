"""Malformed CSV fails the same way streamed and in memory (one located DatasetError)."""

from __future__ import annotations

from pathlib import Path

import pytest

import openclarify
from openclarify.errors import DatasetError

CONFIG = {
    "dataset_type": "text/csv",
    "label": "y",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "a", "value_or_threshold": [2]}],
    "methods": {"pre_training_bias": {"methods": "all"}},
}


@pytest.mark.parametrize("backend", ["local", "memory"])
def test_a_row_with_too_many_fields(tmp_path: Path, backend: str) -> None:
    # the extra field is in a column the analysis does not read: streaming must still see it
    (tmp_path / "ragged.csv").write_text("a,b,y\n1,2,1\n3,4,0,9\n")
    with pytest.raises(DatasetError) as caught:
        openclarify.analyze(CONFIG, tmp_path / "ragged.csv", backend=backend)
    assert caught.value.where == "file ragged.csv"
    assert caught.value.problem == (
        "is not valid CSV: Error tokenizing data. C error: Expected 3 fields in line 3, saw 4"
    )
