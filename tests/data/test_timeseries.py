"""The three time-series layouts read the same items; bad data is one clear DatasetError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openclarify.config import load_config
from openclarify.data.timeseries import read_time_series
from openclarify.errors import ConfigError, DatasetError
from tests.explain.asymmetric import data


def _config(layout: str, **changes: Any) -> Any:
    cfg = data.config("http://127.0.0.1:1", layout)
    cfg["time_series_data_config"].update(changes)
    return load_config(cfg)


@pytest.mark.parametrize("layout", ["timestamp_records", "columns", "item_records"])
def test_every_layout_reads_the_same_items(layout: str, tmp_path: Path) -> None:
    dataset = read_time_series(_config(layout), data.write(tmp_path, layout))
    assert [item.item_id for item in dataset.items] == ["b", "a"]  # order of appearance
    assert (dataset.target_name, dataset.related_names, dataset.static_names) == (
        "sales",
        ("price", "promo"),
        ("region",),
    )
    for item in dataset.items:
        assert item.timestamps == tuple(data.TIMESTAMPS)
        np.testing.assert_array_equal(item.target, data.target(item.item_id))  # nulls cut
        np.testing.assert_array_equal(item.related, data.related(item.item_id))
        assert list(item.statics) == data.statics(item.item_id)


def test_names_come_from_the_paths_without_headers(tmp_path: Path) -> None:
    cfg = data.config("http://127.0.0.1:1", "item_records")
    del cfg["headers"]
    dataset = read_time_series(load_config(cfg), data.write(tmp_path, "item_records"))
    assert (dataset.target_name, dataset.related_names) == ("sales", ("price", "promo"))


def _write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(document))
    return path


def test_a_missing_value_before_observed_ones_is_refused(tmp_path: Path) -> None:
    rows = data.timestamp_records()
    rows[2]["sales"] = None  # item b, step 2
    with pytest.raises(DatasetError, match="'sales' is missing at step 2 before observed"):
        read_time_series(_config("timestamp_records"), _write(tmp_path, rows))


def test_a_missing_related_value_is_refused(tmp_path: Path) -> None:
    rows = data.timestamp_records()
    rows[0]["price"] = None
    with pytest.raises(DatasetError, match="'price' values must be numbers, found null at step 1"):
        read_time_series(_config("timestamp_records"), _write(tmp_path, rows))


def test_a_path_that_finds_nothing_names_itself(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"target_time_series '\[\]\.revenue' must give a list"):
        read_time_series(
            _config("columns", target_time_series="[].revenue"), data.write(tmp_path, "columns")
        )


def test_a_target_path_that_is_absent_everywhere_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="'sales' has no observed value"):
        read_time_series(
            _config("timestamp_records", target_time_series="[].revenue"),
            data.write(tmp_path, "timestamp_records"),
        )


def test_columns_of_different_lengths_are_refused(tmp_path: Path) -> None:
    document = data.columns()
    document["price"].pop()
    with pytest.raises(DatasetError, match=r"gives 11 values, .*item_id gives 12"):
        read_time_series(_config("columns"), _write(tmp_path, document))


def test_a_static_covariate_that_changes_within_an_item_is_refused(tmp_path: Path) -> None:
    rows = data.timestamp_records()
    rows[2]["region"] = 99
    with pytest.raises(DatasetError, match="static covariate 'region' changes within the item"):
        read_time_series(_config("timestamp_records"), _write(tmp_path, rows))


def test_item_records_paths_need_a_leading_projection(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must start with a projection over the items"):
        read_time_series(
            _config("item_records", item_id="id"), data.write(tmp_path, "item_records")
        )


def test_a_bad_jmespath_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="timestamp: is not a valid JMESPath"):
        read_time_series(
            _config("columns", timestamp="timestamp[["), data.write(tmp_path, "columns")
        )


def test_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text("{not json")
    with pytest.raises(DatasetError, match="is not valid UTF-8 JSON"):
        read_time_series(_config("columns"), path)
