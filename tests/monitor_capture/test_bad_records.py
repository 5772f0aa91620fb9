"""Malformed capture and ground-truth records: one located UserError or a counted skip, never a traceback."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from openclarify.errors import UserError
from openclarify.monitor.attributes import CaptureAttributes
from openclarify.monitor.dataset import build_capture_dataset
from openclarify.monitor.execution import monitoring_document
from openclarify.monitor.groundtruth import read_ground_truth

from .records import capture_line, truth_line, write_lines

CONFIG = {
    "headers": ["Target", "Age", "Sex"],
    "label": "Target",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "Sex"}],
}
#: Values a mutation puts where a record's value was.
WRONG = [None, 0, -1, 1.5, "", "x", [], [1, 2], {}, {"data": 1}, True, "\u00e9" * 50]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    return found


def _mutate(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    record = json.loads(json.dumps(record))
    path = rng.choice(_paths(record))
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    if rng.random() < 0.3:
        del parent[path[-1]]
    else:
        parent[path[-1]] = rng.choice(WRONG)
    return record


@pytest.mark.parametrize("seed", range(60))
def test_a_mutated_record_is_a_located_error_or_a_skip(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    good = json.loads(capture_line("30,1", "0.7", event_id="a", truth={"data": "1"}))
    lines = [json.dumps(good), json.dumps(_mutate(good, rng))]
    capture = write_lines(tmp_path / "capture" / "a.jsonl", lines)
    truth_record = json.loads(truth_line("b", "1"))
    write_lines(tmp_path / "truth" / "t.jsonl", [json.dumps(_mutate(truth_record, rng))])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    try:
        ground_truth = read_ground_truth(tmp_path / "truth")
        built = build_capture_dataset(
            monitoring_document(CONFIG),
            capture.parent,
            scratch,
            attributes=CaptureAttributes(),
            ground_truth=ground_truth,
        )
    except UserError as exc:
        assert exc.where  # located: a file and line, or a key
        assert len(str(exc)) <= 1024
        return
    assert built.tally.used >= 1  # the good line is always kept when nothing failed
