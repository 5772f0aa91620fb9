"""JSON Lines streamed in batches equals the in-memory reader and analysis.

:func:`openclarify.data.readers.read_jsonlines` builds one DataFrame from the
Python values of every record, so each column's dtype depends on the value
types of the whole file (an integer column with one ``null`` is ``float64``,
text with a ``null`` stays ``str``, a boolean next to anything else is
``object``).  The streaming source settles those dtypes in a first pass; these
tests put the type that changes the dtype in a late record, in a later part
file, and in every batch position, and compare with the in-memory frame, the
in-memory analysis and the in-memory errors.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.backend import stream_bias_sections
from openclarify.config import load_config
from openclarify.data import readers
from openclarify.data.stream import Unsupported, open_source
from openclarify.errors import UserError
from openclarify.results import AnalysisResult

#: Values that change a column's whole-file dtype when one of them shows up late.
SURPRISES: list[Any] = [None, 2.5, math.nan, "7", "x", True, 3]


def random_records(rng: np.random.Generator, rows: int) -> list[dict[str, Any]]:
    """Records whose feature columns each get one dtype-changing value late (or none)."""
    base = {
        "small": rng.integers(0, 4, rows).tolist(),
        "text": rng.choice(["a", "b", "c"], rows).tolist(),
        "flag": (rng.random(rows) < 0.5).tolist(),
        "score": rng.random(rows).round(3).tolist(),
        "wide": rng.integers(0, rows * 3, rows).tolist(),
    }
    for values in base.values():
        if rng.random() < 0.7:
            for _ in range(int(rng.integers(1, 3))):
                at = int(rng.integers(rows // 2, rows))
                values[at] = SURPRISES[int(rng.integers(len(SURPRISES)))]
    label = (rng.random(rows) < 0.4).astype(int).tolist()
    predicted = (rng.random(rows) < 0.5).astype(int).tolist()
    if rng.random() < 0.3:
        predicted[int(rng.integers(rows))] = None
    return [
        {
            "f": [base[name][i] for name in ("small", "text", "flag", "score", "wide")],
            "y": label[i],
            "p": predicted[i],
        }
        for i in range(rows)
    ]


def write_parts(folder: Path, records: list[dict[str, Any]], parts: int) -> Path:
    folder.mkdir()
    bounds = np.linspace(0, len(records), parts + 1).astype(int)
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        lines = [json.dumps(r) for r in records[a:b]]
        if k == 0:
            lines.insert(1, "   ")  # blank lines are skipped, not counted
        (folder / f"part-{k}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


HEADERS = ["small", "text", "flag", "score", "wide", "label", "pred"]


def random_config(rng: np.random.Generator) -> dict[str, Any]:
    named = rng.random() < 0.6
    facets = []
    for _ in range(int(rng.integers(1, 3))):
        index = int(rng.integers(0, 5))
        facet: dict[str, Any] = {"name_or_index": HEADERS[index] if named else index}
        choice = rng.random()
        if choice >= 0.4:
            value = [int(rng.integers(0, 3))] if choice < 0.7 else [str(rng.choice(["a", "7"]))]
            facet["value_or_threshold"] = value
        facets.append(facet)
    config: dict[str, Any] = {
        "dataset_type": "application/jsonlines",
        "features": "f",
        "label": "y",
        "predicted_label": "p",
        "label_values_or_threshold": [1],
        "facet": facets,
        "methods": {
            "pre_training_bias": {"methods": ["CI", "DPL", "KL", "LP"]},
            "post_training_bias": {"methods": ["DPPL", "DI", "AD", "RD"]},
        },
    }
    if named:
        config["headers"] = HEADERS
    if rng.random() < 0.3:
        config["group_variable"] = "small" if named else 0
    return config


def result_or_error(run: Any) -> Any:
    try:
        return run()
    except UserError as exc:
        return (type(exc).__name__, str(exc))


def in_memory(config: dict[str, Any], data: Path) -> Any:
    return result_or_error(lambda: openclarify.analyze(config, data, backend="memory").to_dict())


def streamed(config: dict[str, Any], data: Path, batch_rows: int) -> Any:
    def run() -> Any:
        sections = stream_bias_sections(load_config(config), data, batch_rows=batch_rows)
        if sections is None:
            return None
        return AnalysisResult(pre_training=sections[0], post_training=sections[1]).to_dict()

    return result_or_error(run)


@pytest.mark.parametrize("seed", range(12))
def test_batches_are_the_whole_file_frame(seed: int, tmp_path: Path) -> None:
    """Concatenated batches equal read_jsonlines' frame: dtypes, values, None kept as None."""
    rng = np.random.default_rng(300 + seed)
    records = random_records(rng, int(rng.integers(10, 80)))
    data = write_parts(tmp_path / "parts", records, int(rng.integers(1, 4)))
    config = load_config(random_config(rng))
    expected = readers.read_jsonlines(data, "f", "y", "p", config.headers)
    source = open_source(config, data)
    assert source.columns == list(expected.columns)
    source.settle_dtypes(source.columns, 1)
    batch_rows = int(rng.integers(1, 12))
    actual = pd.concat(list(source.batches(source.columns, batch_rows)), ignore_index=True)
    pd.testing.assert_frame_equal(actual, expected)
    for name in expected.columns:
        if expected[name].dtype == object:  # the same Python values, type for type
            assert [type(v) for v in actual[name]] == [type(v) for v in expected[name]]


def test_every_dtype_rule_is_met(tmp_path: Path) -> None:
    """The late value decides the dtype: int+null float64, text+NaN str, bool+null object."""
    late = [None, math.nan, None, 1.5, "a"]
    records = [{"f": [1, "a", True, 1, 1]} for _ in range(6)] + [{"f": late}]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    config = load_config(
        {
            "dataset_type": "application/jsonlines",
            "features": "f",
            "label": "y",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": 0}],
            "methods": {"pre_training_bias": {"methods": ["CI"]}},
        }
    )
    source = open_source(config, tmp_path / "d.jsonl")
    dtypes = source.settle_dtypes(source.columns[:5], 2)
    assert [str(d) for d in dtypes.values()] == ["float64", "str", "object", "float64", "object"]


@pytest.mark.parametrize("seed", range(30))
def test_random_datasets_equal_memory(seed: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(seed)
    records = random_records(rng, int(rng.integers(20, 200)))
    data = write_parts(tmp_path / "parts", records, int(rng.integers(1, 4)))
    config = random_config(rng)
    batch_rows = int(rng.integers(1, 60))
    expected = in_memory(config, data)
    actual = streamed(config, data, batch_rows)
    assert actual is not None, f"seed {seed}: must be streamed"
    assert actual == expected, f"seed {seed}, batch_rows {batch_rows}"


def _config(**extra: Any) -> dict[str, Any]:
    return {
        "dataset_type": "application/jsonlines",
        "features": "f",
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": 0, "value_or_threshold": [1]}],
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}},
        **extra,
    }


GOOD = ['{"f": [1, 2], "y": 1}', '{"f": [0, 3], "y": 0}', '{"f": [1, 4], "y": 0}']
#: (name, file contents, config changes): each must fail exactly as in memory.
BROKEN = [
    ("bad json in a later file", [GOOD, [GOOD[0], "{not json"]], {}),
    ("fewer features later", [GOOD, [GOOD[0], '{"f": [1], "y": 1}']], {}),
    ("features not a list", [[*GOOD, '{"f": 3, "y": 1}']], {}),
    ("first line broken", [['{"f": 1, "y": 1}', *GOOD]], {}),
    ("jmespath error", [[*GOOD, '{"f": [1, 2], "y": 1}']], {"label": "y.length(@)"}),
    ("headers mismatch after a bad line", [[*GOOD, "[1"]], {"headers": ["a", "b", "c", "d"]}),
    ("headers mismatch", [GOOD], {"headers": ["a", "b", "c", "d"]}),
    ("unknown facet after a bad line", [[*GOOD, "[1"]], {"facet": [{"name_or_index": "zz"}]}),
    ("nested facet value", [[*GOOD, '{"f": [[1], 2], "y": 1}']], {}),
    ("nested label", [[*GOOD, '{"f": [1, 2], "y": {"a": 1}}']], {}),
    ("no records", [["", "  "]], {}),
    ("bad expression", [GOOD], {"features": "f[["}),
]


@pytest.mark.parametrize(("name", "files", "changes"), BROKEN, ids=[b[0] for b in BROKEN])
def test_errors_are_the_in_memory_errors(
    name: str, files: list[list[str]], changes: dict[str, Any], tmp_path: Path
) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for k, lines in enumerate(files):
        (folder / f"part-{k}.jsonl").write_text("\n".join(lines) + "\n")
    config = _config(**changes)
    expected = in_memory(config, folder)
    assert isinstance(expected, tuple), f"{name}: the in-memory path must fail"
    assert streamed(config, folder, 1) == expected


def test_a_utf8_error_later_in_the_file_wins_over_a_bad_line(tmp_path: Path) -> None:
    """The reader decodes the whole file before parsing: its UTF-8 error comes first."""
    data = tmp_path / "d.jsonl"
    data.write_bytes(("\n".join([*GOOD, "{bad"]) + "\n").encode() + b'{"f": [1, 2], "y": "\xff"}\n')
    expected = in_memory(_config(), data)
    assert expected[0] == "DatasetError" and "is not UTF-8 text" in expected[1]
    assert streamed(_config(), data, 2) == expected


def test_integers_beyond_int64_fall_back(tmp_path: Path) -> None:
    """A column pandas makes uint64 is not reproduced batch by batch: read in memory."""
    data = tmp_path / "d.jsonl"
    data.write_text("\n".join([*GOOD, json.dumps({"f": [2**63 + 1, 2], "y": 1})]) + "\n")
    config = load_config(_config())
    source = open_source(config, data)
    with pytest.raises(Unsupported, match="column 'column_0' would be uint64"):
        source.settle_dtypes(["column_0"], 2)
    assert streamed(_config(), data, 2) is None
    assert isinstance(in_memory(_config(), data), dict)
