"""Where a monitoring execution's inputs are, in the image: every candidate the contract lists.

The service's exact layout for the Clarify image is not public (monitor contract
Q1), so every candidate is accepted; the first that exists wins and the log says
which one was used (``/opt/ml`` stands for the base folder):

=============  ==============================================================
what           candidates, in order
=============  ==============================================================
mode           monitoring iff env ``dataset_format`` is set, or the config has
               no ``dataset_type`` (a job definition's ``ConfigUri`` subset);
               ``sagemaker_monitoring_schedule_name`` only without a config that
               names its ``dataset_type`` (:func:`is_monitoring`)
config         env ``analysis_config``; ``processing/input/config/analysis_config.json``;
               the first ``*.json`` under ``processing/input/config``
data           env ``dataset_source``; ``processing/input_data``;
               ``processing/input/endpoint`` (the SDK's default ``LocalPath``);
               ``processing/input/data``
ground truth   env ``ground_truth_source``; ``processing/groundtruth``
baseline       env ``baseline_constraints``; the first ``*.json`` under
               ``processing/baseline/constraints`` (:func:`.step.find_baseline`)
output         env ``output_path``; ``processing/output``
window         env ``start_time`` / ``end_time`` (ISO 8601)
=============  ==============================================================

An absolute path under ``/opt/ml`` in the environment is read under the base
folder, so a test (or a scheduler) can lay the tree out anywhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, DatasetError
from .formats import parse_dataset_format
from .window import Window

if TYPE_CHECKING:
    from .execution import MonitoringRun

__all__ = ["find_monitoring_run", "is_monitoring", "run_monitoring_execution"]

_SERVICE_ROOT = Path("/opt/ml")


def _rebase(value: str, base: Path) -> Path:
    path = Path(value)
    if base != _SERVICE_ROOT and path.is_absolute() and path.is_relative_to(_SERVICE_ROOT):
        return base / path.relative_to(_SERVICE_ROOT)
    return path


def _first_json(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.rglob("*.json") if p.is_file())
    return found[0] if found else None


def _config_candidates(base: Path, env: Mapping[str, str]) -> list[tuple[str, Path | None]]:
    folder = base / "processing" / "input" / "config"
    return [
        (
            "env analysis_config",
            _rebase(env["analysis_config"], base) if env.get("analysis_config") else None,
        ),
        ("the analysis_config input", folder / "analysis_config.json"),
        ("the first *.json of the config input", _first_json(folder)),
    ]


def _first(candidates: list[tuple[str, Path | None]]) -> tuple[str, Path] | None:
    for source, path in candidates:
        if path is not None and path.exists():
            return source, path
    return None


def is_monitoring(base: Path, env: Mapping[str, str]) -> bool:
    """Monitor contract Q1: the environment or the config says this is a monitoring execution.

    ``dataset_format`` (the service's description of captured data) always means
    monitoring, and so does a config without ``dataset_type`` (the job definition's
    ``ConfigUri`` subset).  ``sagemaker_monitoring_schedule_name`` does only next to
    such a config: a config that names its ``dataset_type`` describes an ordinary
    dataset, which is analysed (and checked against a mounted baseline) as a
    Clarify job — the contract's Q1 lists the schedule name as a signal on its own;
    an ordinary config beside it wins here, because it says more.
    """
    if env.get("dataset_format"):
        return True
    found = _first(_config_candidates(base, env))
    if found is None:
        return bool(env.get("sagemaker_monitoring_schedule_name"))
    try:
        document = json.loads(found[1].read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return False  # the ordinary job reports the unreadable config
    return isinstance(document, dict) and "dataset_type" not in document


def find_monitoring_run(base: Path, env: Mapping[str, str], log: logging.Logger) -> MonitoringRun:
    """The execution's inputs (module docstring); logs the candidate used for each.

    Raises
    ------
    ConfigError
        No config; DatasetError: no data at any candidate.
    """
    processing = base / "processing"
    config = _first(_config_candidates(base, env))
    if config is None:
        raise ConfigError(
            str(processing / "input" / "config" / "analysis_config.json"),
            "monitoring execution without an analysis configuration",
            "mount the job definition's ConfigUri at /opt/ml/processing/input/config",
        )
    data = _first(
        [
            (
                "env dataset_source",
                _rebase(env["dataset_source"], base) if env.get("dataset_source") else None,
            ),
            ("processing/input_data", processing / "input_data"),
            ("processing/input/endpoint", processing / "input" / "endpoint"),
            ("processing/input/data", processing / "input" / "data"),
        ]
    )
    if data is None:
        raise DatasetError(
            str(processing / "input_data"),
            "No data to analyze: no captured data at env dataset_source, "
            "processing/input_data, processing/input/endpoint or processing/input/data",
            "check the monitoring input (the capture's S3 prefix and the time offsets)",
        )
    truth = _first(
        [
            (
                "env ground_truth_source",
                _rebase(env["ground_truth_source"], base)
                if env.get("ground_truth_source")
                else None,
            ),
            ("processing/groundtruth", processing / "groundtruth"),
        ]
    )
    from .step import find_baseline  # env baseline_constraints, else the mounted folder

    baseline = find_baseline(env, base)
    output = _rebase(env["output_path"], base) if env.get("output_path") else processing / "output"
    for what, found in (("config", config), ("data", data), ("ground truth", truth)):
        if found is not None:
            log.info("Monitoring %s: %s (%s)", what, found[1], found[0])
        else:
            log.info("Monitoring %s: none", what)
    log.info("Monitoring output: %s", output)
    # imported here: every container job asks is_monitoring, few are monitoring executions,
    # and .execution brings the whole analysis with it
    from .execution import MonitoringRun

    return MonitoringRun(
        config=config[1],
        capture=data[1],
        output=output,
        ground_truth=truth[1] if truth else None,
        baseline=baseline.path if baseline is not None else None,
        window=Window.from_text(
            env.get("start_time"), env.get("end_time"), ("env start_time", "env end_time")
        ),
        dataset_format=parse_dataset_format(env.get("dataset_format")),
        env=dict(env),
        input_root=processing,
        base_dir=base,
    )


def run_monitoring_execution(base: Path, env: Mapping[str, str], log: logging.Logger) -> Any:
    """The image's monitoring execution: find the inputs, run them (:func:`.run_monitoring`)."""
    from .execution import run_monitoring

    return run_monitoring(find_monitoring_run(base, env, log))
