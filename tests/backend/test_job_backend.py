"""The job streams by default where it can, and the result equals the in-memory one."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import openclarify
from openclarify.errors import ConfigError

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "cases" / "contract_vector"


def _config(report: bool) -> dict:
    config = json.loads((GOLDEN / "analysis_config.json").read_text())
    config["methods"]["post_training_bias"] = {"methods": ["DPPL", "DI", "AD"]}  # no FT
    if not report:
        config["methods"].pop("report", None)
    return config


def _ran(caplog: pytest.LogCaptureFixture) -> str:
    text = caplog.text
    return "streamed" if "(streamed)" in text else "memory"


def test_default_streams_and_equals_memory(caplog: pytest.LogCaptureFixture) -> None:
    data = GOLDEN / "data" / "contract_vector.csv"
    with caplog.at_level(logging.INFO, logger="openclarify"):
        streamed = openclarify.analyze(_config(report=False), data)
    assert _ran(caplog) == "streamed"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="openclarify"):
        loaded = openclarify.analyze(_config(report=False), data, backend="memory")
    assert _ran(caplog) == "memory"
    assert streamed.to_dict() == loaded.to_dict()


def test_small_data_with_a_report_is_loaded_for_its_statistics(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="openclarify"):
        result = openclarify.analyze(_config(report=True), GOLDEN / "data" / "contract_vector.csv")
    assert _ran(caplog) == "memory"
    assert result.report_stats is not None


def test_ft_says_why_it_needs_memory(caplog: pytest.LogCaptureFixture) -> None:
    config = _config(report=False)
    config["methods"]["post_training_bias"] = {"methods": ["FT"]}
    with caplog.at_level(logging.INFO, logger="openclarify"):
        openclarify.analyze(config, GOLDEN / "data" / "contract_vector.csv")
    assert "Bias metrics computed in memory: the Flip Test (FT) needs all rows" in caplog.text


def test_unknown_backend() -> None:
    with pytest.raises(ConfigError, match="unknown backend 'dask'"):
        openclarify.analyze(_config(report=False), GOLDEN / "data" / "x.csv", backend="dask")
