"""Results: value spelling, analysis.json text, atomic writes, the metrics table."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.bias.registry import POST_TRAINING_CODES, PRE_TRAINING_CODES
from openclarify.results import (
    AnalysisResult,
    BiasSection,
    FacetGroupResult,
    MetricResult,
    dumps_analysis,
    json_value,
    write_atomic,
)
from openclarify.results.serialize import current_umask

GOLDEN = Path(__file__).parent / "golden" / "cases"


def test_json_value_spelling() -> None:
    assert json_value(math.inf) == "Infinity"
    assert json_value(-math.inf) == "-Infinity"
    assert json_value(np.float64("inf")) == "Infinity"
    zero = json_value(0)
    assert zero == 0 and type(zero) is int
    assert json_value(None) is None
    half = json_value(np.float64(0.5))
    assert half == 0.5 and type(half) is float


def test_metric_result_to_dict_keys_and_error() -> None:
    ok = MetricResult("DI", "Disparate Impact (DI)", math.inf).to_dict()
    assert list(ok) == ["name", "description", "value"]
    assert ok["value"] == "Infinity"
    failed = MetricResult("CI", "Class Imbalance (CI)", None, "boom").to_dict()
    assert failed == {
        "name": "CI",
        "description": "Class Imbalance (CI)",
        "value": None,
        "error": "boom",
    }


def test_dumps_analysis_refuses_nan() -> None:
    with pytest.raises(ValueError):
        dumps_analysis({"version": "1.0", "value": float("nan")})
    with pytest.raises(ValueError):
        dumps_analysis({"value": float("inf")})  # must be spelled "Infinity" before


def test_dumps_analysis_four_space_indent_and_key_order() -> None:
    section = BiasSection(
        "y", {"f": (FacetGroupResult("1", (MetricResult("CI", "Class Imbalance (CI)", 0),)),)}, "1"
    )
    text = dumps_analysis(AnalysisResult(pre_training=section, post_training=section).to_dict())
    assert text.endswith("}\n")
    assert text.startswith('{\n    "version": "1.0",\n    "post_training_bias_metrics": {\n')
    assert text.index('"post_training_bias_metrics"') < text.index('"pre_training_bias_metrics"')
    assert '"value": 0\n' in text  # the integer special case stays an integer


def test_write_atomic_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "out" / "analysis.json"
    write_atomic(target, "first\n")
    assert target.read_text() == "first\n"
    write_atomic(target, "é second\n".encode())
    assert target.read_bytes() == "é second\n".encode()
    assert sorted(p.name for p in target.parent.iterdir()) == ["analysis.json"]


def test_write_atomic_failure_keeps_old_file_and_removes_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "analysis.json"
    write_atomic(target, "old\n")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("openclarify.results.serialize.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["analysis.json"]


@pytest.fixture
def umask() -> Iterator[None]:
    saved = os.umask(0o022)
    os.umask(saved)
    yield
    os.umask(saved)


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"),
    [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750), (0o077, 0o600, 0o700)],
)
def test_written_files_honour_the_umask(
    tmp_path: Path, umask: None, mask: int, file_mode: int, dir_mode: int
) -> None:
    """A job's files get the mode ``open()`` would give them, not the temp file's 0600."""
    os.umask(mask)
    assert current_umask() == mask
    case = GOLDEN / "contract_vector"
    openclarify.run(case / "analysis_config.json", case / "data", tmp_path / "out")
    written = [tmp_path / "out", *(tmp_path / "out").rglob("*")]
    assert any(p.name == "analysis.json" for p in written)
    for path in written:
        want = dir_mode if path.is_dir() else file_mode
        assert stat.S_IMODE(path.stat().st_mode) == want, path.name


def test_metrics_frame_on_golden_case() -> None:
    case = GOLDEN / "contract_vector"
    result = openclarify.analyze(case / "analysis_config.json", case / "data")
    frame = result.metrics_frame()
    assert list(frame.columns) == [
        "stage",
        "facet",
        "value_or_threshold",
        "metric",
        "description",
        "value",
        "error",
    ]
    # one facet, one facet group: 8 pre + 13 post rows, pre first
    assert len(frame) == len(PRE_TRAINING_CODES) + len(POST_TRAINING_CODES) == 21
    assert frame["stage"].tolist() == ["pre_training"] * 8 + ["post_training"] * 13
    assert frame["metric"].tolist() == [*PRE_TRAINING_CODES, *POST_TRAINING_CODES]
    assert set(frame["facet"]) == {"f"} and set(frame["value_or_threshold"]) == {"1"}
    ci = frame.set_index("metric").loc["CI"]
    assert ci["value"] == 0.2 and pd.isna(ci["error"])
    # the golden has g as a (non-numeric) feature: FT fails, value NaN in the table
    ft = frame.set_index("metric").loc["FT"]
    assert math.isnan(ft["value"])
    assert ft["error"] == "FlipTest does not support non-numeric columns"
    document = result.to_dict()
    assert list(document) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics"]
    assert json.loads(dumps_analysis(document)) == document


def test_empty_result() -> None:
    assert AnalysisResult().to_dict() == {"version": "1.0"}
    assert len(AnalysisResult().metrics_frame()) == 0
