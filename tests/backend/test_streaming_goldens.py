"""The streaming engine equals the in-memory analysis on every golden case.

Each case runs twice on the same config — once through :func:`openclarify.analyze`
(the table in memory, itself checked against smclarify 0.5 in ``tests/golden``)
and once through :func:`stream_bias_sections` — and the whole ``analysis.json``
dictionaries must be *equal*: same keys, same order, same counts-derived values
to the last bit (both feed the same integer counts to the same metric
functions), and the same error when the in-memory path fails.  FT needs all
rows at once, so it is taken out of ``post_training_bias.methods`` here and
tested as a fallback instead.

Batches of 1, 7 and 1000 rows put batch boundaries everywhere a whole-column
decision could be taken from a part of the column by mistake.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify.backend import stream_bias_sections
from openclarify.bias.registry import POST_TRAINING_CODES
from openclarify.config import load_config
from openclarify.errors import UserError
from openclarify.results import AnalysisResult

CASES = Path(__file__).parent.parent / "golden" / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "analysis_config.json").exists())


def without_ft(raw: dict[str, Any]) -> dict[str, Any]:
    """The config with every post-training metric but FT."""
    raw = json.loads(json.dumps(raw))
    post = raw["methods"].get("post_training_bias")
    if post:
        requested = post["methods"]
        codes = list(POST_TRAINING_CODES) if str(requested).lower() == "all" else requested
        post["methods"] = [c for c in codes if c.upper() != "FT"] or ["DPPL"]
    return raw


def in_memory(raw: dict[str, Any], case: Path) -> Any:
    data, folder = (case / "data", case) if case.is_dir() else (case, case.parent)
    try:
        return openclarify.analyze(raw, data, config_dir=folder, backend="memory").to_dict()
    except UserError as exc:
        return (type(exc).__name__, str(exc))


def streamed(raw: dict[str, Any], case: Path, batch_rows: int) -> Any:
    data = case / "data" if case.is_dir() else case
    try:
        sections = stream_bias_sections(load_config(raw), data, batch_rows=batch_rows)
    except UserError as exc:
        return (type(exc).__name__, str(exc))
    if sections is None:
        return None
    return AnalysisResult(pre_training=sections[0], post_training=sections[1]).to_dict()


def test_every_case_is_run() -> None:
    assert len(CASE_NAMES) >= 39
    # JSON Lines is streamed too (tests/backend/test_streaming_jsonlines.py)
    types = {
        json.loads((CASES / c / "analysis_config.json").read_text())["dataset_type"]
        for c in CASE_NAMES
    }
    assert "application/jsonlines" in types


@pytest.mark.parametrize("batch_rows", [1, 7, 1000])
@pytest.mark.parametrize("case", CASE_NAMES)
def test_streaming_equals_in_memory(case: str, batch_rows: int) -> None:
    folder = CASES / case
    raw = without_ft(json.loads((folder / "analysis_config.json").read_text()))
    expected = in_memory(raw, folder)
    actual = streamed(raw, folder, batch_rows)
    assert actual is not None, "this case must be streamed"
    # exact equality: counts are integers and the same functions turn them into values
    assert actual == expected


def test_whole_file_json_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Whole-file JSON is one document per file: read into memory, and the log says so."""
    (tmp_path / "data.json").write_text(
        json.dumps({"features": [[1, 0], [2, 1], [3, 1]], "label": [1, 0, 1]})
    )
    raw = {
        "dataset_type": "application/json",
        "features": "features",
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": 1, "value_or_threshold": [1]}],
        "methods": {"pre_training_bias": {"methods": ["CI"]}},
    }
    with caplog.at_level(logging.INFO, logger="openclarify"):
        assert streamed(raw, tmp_path / "data.json", 7) is None
    assert "application/json datasets are read into memory" in caplog.text
    assert "pre_training_bias_metrics" in in_memory(raw, tmp_path / "data.json")


def test_flip_test_falls_back_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    folder = CASES / "categorical_facet_real"
    config = load_config(folder / "analysis_config.json")  # "all" includes FT
    with caplog.at_level(logging.INFO, logger="openclarify"):
        assert stream_bias_sections(config, folder / "data", batch_rows=7) is None
    assert "Flip Test (FT) needs all rows at once" in caplog.text


def test_pre_training_only_is_streamed_even_with_a_prediction_column() -> None:
    folder = CASES / "categorical_facet_real"
    raw = json.loads((folder / "analysis_config.json").read_text())
    raw["methods"].pop("post_training_bias", None)
    expected = in_memory(raw, folder)
    assert "post_training_bias_metrics" not in expected
    assert streamed(raw, folder, 5) == expected
