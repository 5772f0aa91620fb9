"""Four front doors, one analysis.json: DataFrame API = CLI = container (= in-process SDK processor).

For every ``tests/sdk_configs`` case whose data a DataFrame can hold as it is (CSV with a
header row, Parquet), the case's SDK-made config is turned into ``openclarify.bias``
arguments, and the DataFrame API, ``openclarify analyze`` and the container entry point
must write the same bytes.  ``tests/sdk_inprocess`` proves the fourth door — the SDK's
objects through :mod:`openclarify.clarify` — equal to the container on the same cases.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import openclarify
from openclarify.cli import main
from openclarify.config import POST_TRAINING_METRICS, PRE_TRAINING_METRICS
from openclarify.results import dumps_analysis

from ..sdk_configs.test_sdk_configs import CASES, _layout

TABLE_CASES = sorted(
    p.parent.parent.name
    for p in CASES.glob("*/data/*")
    if p.suffix == ".parquet"
    or (p.suffix == ".csv" and not p.read_text(encoding="utf-8")[:1].isdigit())
)


def _kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """``openclarify.bias`` arguments saying what ``config`` says."""
    methods = config["methods"]
    codes: list[str] = []
    for key, every in (
        ("pre_training_bias", PRE_TRAINING_METRICS),
        ("post_training_bias", POST_TRAINING_METRICS),
    ):
        if key in methods:
            chosen = methods[key]["methods"]
            codes += list(every) if chosen == "all" else list(chosen)
    kwargs: dict[str, Any] = {
        "label": config["label"],
        "label_values": config["label_values_or_threshold"],
        "facet": {f["name_or_index"]: f.get("value_or_threshold") for f in config["facet"]},
        "methods": codes,
    }
    for key in ("predicted_label", "group_variable", "probability_threshold", "excluded_columns"):
        if key in config:
            kwargs[key] = config[key]
    return kwargs


def _frame(case: str) -> pd.DataFrame:
    path = next((CASES / case / "data").iterdir())
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def test_the_table_cases_cover_csv_and_parquet() -> None:
    assert len(TABLE_CASES) >= 6 and "pre_post_parquet" in TABLE_CASES


@pytest.mark.slow  # three runs per case, two of them with reports
@pytest.mark.parametrize("case", TABLE_CASES)
def test_dataframe_cli_and_container_write_the_same_bytes(case: str, tmp_path: Path) -> None:
    config = json.loads((CASES / case / "analysis_config.json").read_text())
    frames = dumps_analysis(openclarify.bias(_frame(case), **_kwargs(config)).to_dict())
    cli_out = tmp_path / "cli"
    data = CASES / case / "data"
    assert (
        main(
            [
                "analyze",
                "--config",
                str(CASES / case / "analysis_config.json"),
                "--dataset",
                str(data),
                "--output",
                str(cli_out),
            ]
        )
        == 0
    )
    cli = (cli_out / "analysis.json").read_text()
    base = _layout(case, tmp_path / "container")
    assert main(["container", "--base-dir", str(base)]) == 0
    container = (base / "processing" / "output" / "analysis.json").read_text()
    assert frames == cli == container
    shutil.rmtree(tmp_path)
