"""The ``openclarify`` command: sub-commands, output, messages and exit codes."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify.bias.registry import METRICS
from openclarify.cli import main

CASE = Path(__file__).parent / "golden" / "cases" / "contract_vector"


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    """``main`` points the openclarify logger at the (captured) stderr of the moment."""
    logger = logging.getLogger("openclarify")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def contract_config(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((CASE / "analysis_config.json").read_text())
    config.update(changes)
    return config


def write(tmp_path: Path, config: dict[str, Any] | str) -> Path:
    path = tmp_path / "analysis_config.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return path


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error: ")]


# --------------------------------------------------------------------------- analyze


def test_analyze_writes_analysis_json_and_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "analyze",
            "--config",
            str(CASE / "analysis_config.json"),
            "--dataset",
            str(CASE / "data"),
            "--output",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    text = (out / "analysis.json").read_text()
    assert text.startswith('{\n    "version": "1.0",\n    "post_training_bias_metrics": {\n')
    document = json.loads(text)
    assert list(document) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics"]
    pre = document["pre_training_bias_metrics"]
    assert pre["label"] == "y" and pre["label_value_or_threshold"] == "1"
    assert pre["facets"]["f"][0]["metrics"][1] == {
        "name": "CI",
        "description": "Class Imbalance (CI)",
        "value": 0.2,
    }
    stdout = captured.out.splitlines()
    assert stdout[0] == f"Wrote {out / 'analysis.json'}"
    header = stdout[1].split()
    assert header[0] == "metric"
    assert set(header[1:]) == {spec.code for spec in METRICS} - {"FT"}  # FT failed: NaN
    row = stdout[-1].split()
    assert row[:2] == ["f", "1"]
    values = dict(zip(header[1:], row[2:], strict=True))
    assert values["CI"] == "0.2" and values["DPL"] == "0.4167" and values["DI"] == "0.75"
    # methods.report: the three report files sit next to analysis.json
    assert sorted(p.name for p in out.iterdir()) == [
        "analysis.json",
        "report.html",
        "report.ipynb",
        "report.pdf",
    ]


def test_analyze_missing_dataset_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.csv"
    config = str(CASE / "analysis_config.json")
    code = main(
        ["analyze", "--config", config, "--dataset", str(missing), "--output", str(tmp_path)]
    )
    assert code == 4
    assert error_lines(capsys.readouterr().err) == [
        f"error: {missing}: the dataset path does not exist. Fix: check the path or mount"
    ]
    assert not (tmp_path / "analysis.json").exists()


def test_analyze_without_any_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, contract_config())
    assert main(["analyze", "--config", str(config), "--output", str(tmp_path / "o")]) == 3
    assert error_lines(capsys.readouterr().err) == [
        "error: dataset: no dataset given. Fix: pass --dataset PATH or set $.dataset_uri"
    ]


# --------------------------------------------------------------------------- validate


def test_validate_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, contract_config())
    assert main(["validate", "--config", str(config)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{config}: valid\n"
    assert error_lines(captured.err) == []


def test_validate_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, contract_config(facett=[]))
    assert main(["validate", "--config", str(config)]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(
        "error: $.facett: Analysis configuration schema validation error: unknown key 'facett'"
    )


def test_validate_wrong_type_is_one_line_naming_the_json_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = contract_config()
    config["facet"][0]["name_or_index"] = {"not": "a name"}
    assert main(["validate", "--config", str(write(tmp_path, config))]) == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: $.facet[0].name_or_index: ")


def test_validate_invalid_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, '{"dataset_type": "text/csv",,}')
    assert main(["validate", "--config", str(config)]) == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {config}: Unable to load analysis configuration as JSON: ")
    assert "line 1, column 29" in line


def test_validate_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert main(["validate", "--config", str(missing)]) == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {missing}: analysis configuration file not found. Fix: ")


def test_post_training_without_predicted_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = contract_config()
    del config["predicted_label"]
    assert main(["validate", "--config", str(write(tmp_path, config))]) == 3
    assert capsys.readouterr().err.splitlines() == [
        "error: $.predictor: post-training bias needs predictions: neither "
        "$.predicted_label nor $.predictor is set. Fix: name the column of the model's "
        "predictions in $.predicted_label, or describe the model in $.predictor"
    ]


def test_shap_without_a_predictor_names_the_predictor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = contract_config()
    config["methods"]["shap"] = {"baseline": [[1, 2.0]]}
    assert main(["validate", "--config", str(write(tmp_path, config))]) == 3
    assert capsys.readouterr().err.splitlines() == [
        "error: $.predictor: SHAP and PDP explain a model, but $.predictor is not set. "
        "Fix: describe the model in $.predictor"
    ]


def test_image_explanations_need_an_image_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = contract_config()
    config["methods"]["shap"] = {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}
    assert main(["validate", "--config", str(write(tmp_path, config))]) == 3
    assert capsys.readouterr().err.splitlines() == [
        "error: $.methods.shap.image_config: explains images, but $.dataset_type is text/csv. "
        "Fix: set $.dataset_type to application/x-image, or remove image_config"
    ]


def test_pdp_alone_needs_features(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = contract_config()
    config["methods"]["pdp"] = {"grid_resolution": 5}
    assert main(["validate", "--config", str(write(tmp_path, config))]) == 3
    assert capsys.readouterr().err.splitlines() == [
        "error: $.methods.pdp.features: is required when methods.shap is not run "
        "(top_k_features ranks by SHAP). Fix: list the features to plot, or add methods.shap"
    ]


# --------------------------------------------------------------------------- misc


def test_metrics_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 21
    assert [line.split()[0] for line in lines] == [spec.code for spec in METRICS]
    assert lines[1].split()[:2] == ["CI", "pre_training"]
    assert lines[13].endswith("fair=1  Disparate Impact (DI)")
    assert all(line.endswith(spec.description) for line, spec in zip(lines, METRICS, strict=True))


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "usage: openclarify" in capsys.readouterr().err


def test_version_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "openclarify", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout == f"openclarify {openclarify.__version__}\n"
    assert done.stderr == ""


def test_output_path_that_is_a_file_is_an_error_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    occupied = tmp_path / "results.csv"
    occupied.write_text("not a folder\n")
    config = str(CASE / "analysis_config.json")
    code = main(
        ["analyze", "--config", config, "--dataset", str(CASE / "data"), "--output", str(occupied)]
    )
    assert code != 0
    (line,) = error_lines(capsys.readouterr().err)
    assert str(occupied) in line
    assert occupied.read_text() == "not a folder\n"


def test_missing_predictions_are_not_called_a_type_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # int label (60 distinct values: continuous) and float predictions with one
    # empty cell (float: continuous too) — the kinds agree, a value is missing
    rows = "".join(f"{i % 2},{i},{'' if i == 5 else i + 0.5}\n" for i in range(60))
    (tmp_path / "data.csv").write_text("f,y,p\n" + rows)
    config = {
        "dataset_type": "text/csv",
        "label": "y",
        "predicted_label": "p",
        "label_values_or_threshold": [30],
        "facet": [{"name_or_index": "f", "value_or_threshold": [1]}],
        "methods": {"post_training_bias": {"methods": "all"}},
    }
    path = write(tmp_path, config)
    dataset, out = str(tmp_path / "data.csv"), str(tmp_path / "out")
    code = main(["analyze", "--config", str(path), "--dataset", dataset, "--output", out])
    assert code == 6
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith("error: $.predicted_label: ")
    assert "predicted label column 'p' is not" not in line  # it is continuous, like the label
