"""Hostile datasets through ``analyze``: a result or one located UserError.

Generated CSV files mix what real exports get wrong: ragged rows, unbalanced
quotes, bytes that are not UTF-8, empty and ``NaN`` cells in the label, facet and
predicted-label columns, a single row, a single class, duplicate and unicode
headers.  Each goes through a pre- and post-training config naming its columns
(all 21 metrics), as a header row or through ``$.headers``.  A dataset with
10,000 columns runs once as an explicit case.

``make test`` runs 100 datasets; ``-m fuzz`` (CI) runs 1,000.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openclarify
from openclarify.errors import UserError

from .harness import outcome

FAST_EXAMPLES = 100
FULL_EXAMPLES = 1_000

_cells = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.sampled_from(["", "NaN", "nan", "NA", "null", "None", "inf", "-", " ", "1e400", "0x1F"]),
    st.sampled_from(["a", "b", "Female", "Male", "<script>alert(1)</script>", "名前", "é"]),
    st.text(max_size=6),
)
_names = st.one_of(
    st.sampled_from(["label", "facet", "pred", "x", "名前", "a,b", 'q"uote', " ", ""]),
    st.text(min_size=1, max_size=8),
)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[bytes, dict[str, Any]]:
    n_cols = draw(st.integers(1, 6))
    headers = [draw(_names) for _ in range(n_cols)]
    if draw(st.booleans()):  # usually name the columns the config uses
        roles = draw(st.permutations(range(n_cols)))
        for role, index in zip(("label", "facet", "pred"), roles, strict=False):
            headers[index] = role
    n_rows = draw(st.sampled_from([1, 2, 3, 10, 40]))
    rows = []
    for _ in range(n_rows):
        width = n_cols if draw(st.integers(0, 9)) else draw(st.integers(0, n_cols + 2))  # ragged
        rows.append([draw(_cells) for _ in range(width)])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header_in_file = draw(st.booleans())
    if header_in_file:
        writer.writerow(headers)
    writer.writerows(rows)
    text = buffer.getvalue()
    if draw(st.integers(0, 9)) == 0:  # unbalanced quote
        text = text.replace(",", ',"', 1)
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # not UTF-8
        data = text.encode("latin-1", errors="replace") + b"\xff\xfe\x80"
    config: dict[str, Any] = {
        "dataset_type": "text/csv",
        "label": draw(st.sampled_from(["label", 0, n_cols - 1, "missing"])),
        "label_values_or_threshold": draw(
            st.sampled_from([[1], ["a"], [0.5], ["1", "b"], [1, 2, 3]])
        ),
        "facet": [
            {
                "name_or_index": draw(st.sampled_from(["facet", 1, "label"])),
                "value_or_threshold": draw(st.sampled_from([["a"], [1], [0.0], ["Female"]])),
            }
        ],
        "predicted_label": draw(st.sampled_from(["pred", 2, "label"])),
        "methods": {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        },
    }
    if not header_in_file:
        config["headers"] = headers
    return data, config


def check(tmp_path: Path, data: bytes, config: dict[str, Any]) -> None:
    dataset = tmp_path / "data.csv"
    dataset.write_bytes(data)
    outcome("dataset.analyze", lambda: openclarify.analyze(config, dataset))


_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}


@settings(max_examples=FAST_EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
@given(datasets())
def test_hostile_datasets_fast(tmp_path: Path, case: tuple[bytes, dict[str, Any]]) -> None:
    check(tmp_path, *case)


@pytest.mark.fuzz
@settings(max_examples=FULL_EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
@given(datasets())
def test_hostile_datasets_full(tmp_path: Path, case: tuple[bytes, dict[str, Any]]) -> None:
    check(tmp_path, *case)


def test_ten_thousand_columns(tmp_path: Path) -> None:
    n_cols, n_rows = 10_000, 50
    header = ["label", "facet"] + [f"c{i}" for i in range(n_cols - 2)]
    lines = [",".join(header)]
    for r in range(n_rows):
        lines.append(",".join([str(r % 2), "ab"[r % 3 == 0]] + [str(r)] * (n_cols - 2)))
    dataset = tmp_path / "wide.csv"
    dataset.write_text("\n".join(lines) + "\n")
    config = {
        "dataset_type": "text/csv",
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "facet", "value_or_threshold": ["a"]}],
        "methods": {"pre_training_bias": {"methods": "all"}},
    }
    assert outcome("dataset.wide", lambda: openclarify.analyze(config, dataset)) == "ok"


def _outcome(config: dict[str, Any], dataset: Path, backend: str) -> tuple[str, Any]:
    try:
        return "ok", openclarify.analyze(config, dataset, backend=backend).to_dict()
    except UserError as error:
        return "user_error", str(error)


@settings(max_examples=60, **_SETTINGS)  # type: ignore[arg-type]
@given(datasets())
def test_streaming_and_memory_agree_on_hostile_datasets(
    tmp_path: Path, case: tuple[bytes, dict[str, Any]]
) -> None:
    """The default (streaming) path gives the same result or the same error as memory."""
    data, config = case
    dataset = tmp_path / "data.csv"
    dataset.write_bytes(data)
    assert _outcome(config, dataset, "local") == _outcome(config, dataset, "memory")
