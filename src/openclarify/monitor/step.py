"""The Model Monitor outputs of a container run: the drift check and the metric file.

Around the ordinary analysis of a Processing job (a ClarifyCheckStep, a
monitoring execution):

1. :func:`drift_stage` checks ``analysis.json`` against a baseline when one is found — env
   ``baseline_constraints`` (the BYOC contract's "local path of the baseline
   constraint file"), else the first ``*.json`` under
   ``/opt/ml/processing/baseline/constraints/`` (where the service mounts it,
   contract §1.3); the one used is logged — and writes
   ``constraint_violations.json`` into the output folder when there are
   violations, between ``analysis.json`` and the reports, which then show the
   drift section (:func:`drift_stage`);
2. :func:`after_analysis` writes ``/opt/ml/output/metrics/cloudwatch/cloudwatch_metrics.jsonl`` when
   ``publish_cloudwatch_metrics`` is ``Enabled`` (any letter case).

With neither (an ordinary Clarify job) it writes nothing and the run's outputs
are exactly those of the analysis.  :func:`find_baseline` runs before the
analysis, so that a missing or unreadable baseline fails the job before any
result is written.

Two settings beyond Clarify, both opt-in environment variables:
``OPENCLARIFY_DI_CENTRED`` (``true``: DI's distance from 1, contract §8 Q3) and
``OPENCLARIFY_NDCG_THRESHOLD`` (default 0.9).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ..errors import ConfigError, DatasetError
from .documents import read_analysis
from .drift import DEFAULT_NDCG_THRESHOLD, DriftCheck, check_drift
from .violations import exit_message, write_violations

if TYPE_CHECKING:
    from ..report.drift import DriftSection

__all__ = [
    "Baseline",
    "DriftStage",
    "MonitorOutcome",
    "after_analysis",
    "drift_stage",
    "find_baseline",
]

log = logging.getLogger("openclarify")

BASELINE_ENV: Final = "baseline_constraints"
#: Under the container's base directory (``/opt/ml``).
BASELINE_FOLDER: Final = Path("processing") / "baseline" / "constraints"
PUBLISH_ENV: Final = "publish_cloudwatch_metrics"
ENDPOINT_ENV: Final = "sagemaker_endpoint_name"
SCHEDULE_ENV: Final = "sagemaker_monitoring_schedule_name"
#: The metric time, in order of preference (contract §8 Q8).
TIME_ENVS: Final = ("metric_time", "start_time", "end_time")
DI_CENTRED_ENV: Final = "OPENCLARIFY_DI_CENTRED"
NDCG_THRESHOLD_ENV: Final = "OPENCLARIFY_NDCG_THRESHOLD"
_TRUE: Final = frozenset({"1", "true", "yes", "on", "enabled"})


@dataclass(frozen=True)
class Baseline:
    """A baseline ``analysis.json``, read."""

    path: Path
    document: dict[str, Any]


@dataclass(frozen=True)
class MonitorOutcome:
    """What :func:`after_analysis` did."""

    check: DriftCheck | None = None
    baseline: Path | None = None
    violations_file: Path | None = None
    metrics_file: Path | None = None

    @property
    def message(self) -> str | None:
        """The exit message of a checked run (§8 Q7); None when no check ran."""
        return exit_message(self.check) if self.check is not None else None


def find_baseline(env: Mapping[str, str], base_dir: Path) -> Baseline | None:
    """The baseline named by ``env`` or mounted under ``base_dir``; None when there is none.

    Raises
    ------
    DatasetError
        ``baseline_constraints`` names a file that does not exist, or the
        baseline is not an ``analysis.json`` document.
    """
    named = env.get(BASELINE_ENV, "").strip()
    if named:
        path = Path(named)
        if not path.is_file():
            raise DatasetError(
                f"environment variable {BASELINE_ENV}",
                f"names {path}, which is not a file",
                "mount the baseline analysis.json there or unset the variable",
            )
        log.info("Baseline constraints: %s (from %s)", path, BASELINE_ENV)
    else:
        folder = base_dir / BASELINE_FOLDER
        found = sorted(p for p in folder.rglob("*.json") if p.is_file()) if folder.is_dir() else []
        if not found:
            return None
        path = found[0]
        log.info("Baseline constraints: %s (the first *.json under %s)", path, folder)
        if len(found) > 1:
            log.warning("%d JSON files under %s; only %s is used", len(found), folder, path.name)
    return Baseline(path, read_analysis(path))


def _enabled(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in _TRUE


def _settings(env: Mapping[str, str]) -> tuple[bool, float]:
    di_centred = _enabled(env, DI_CENTRED_ENV)
    text = env.get(NDCG_THRESHOLD_ENV, "").strip()
    if not text:
        return di_centred, DEFAULT_NDCG_THRESHOLD
    try:
        threshold = float(text)
    except ValueError:
        threshold = math.nan
    if not math.isfinite(threshold):
        raise ConfigError(
            f"environment variable {NDCG_THRESHOLD_ENV}",
            "expected a number such as 0.9",
            "set it to a number between 0 and 1, or unset it",
        )
    return di_centred, threshold


def metric_time(env: Mapping[str, str]) -> datetime:
    """``metric_time``, else ``start_time``, else ``end_time``, else now (UTC).

    Raises
    ------
    ConfigError
        The variable is not an ISO time such as ``2026-12-06T22:00:00Z``.
    """
    for name in TIME_ENVS:
        # The BYOC docs' example has stray spaces ("2019-12-01T16: 20: 00Z").
        text = env.get(name, "").replace(" ", "")
        if not text:
            continue
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(
                f"environment variable {name}",
                "expected an ISO time such as 2026-12-06T22:00:00Z",
                "write it as YYYY-MM-DDTHH:MM:SSZ",
            ) from None
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return datetime.now(UTC)


def drift_stage(
    baseline: Baseline | None, env: Mapping[str, str], output: Path
) -> tuple[DriftStage | None, Callable[[dict[str, Any]], DriftSection | None] | None]:
    """The check to run between ``analysis.json`` and the reports, or ``(None, None)``.

    Returns the stage (which keeps the check once it ran) and the hook that
    :func:`openclarify.outputs.write_outputs` calls with the analysis document just
    written: it checks it, writes ``constraint_violations.json`` when there are
    violations, and returns the reports' drift section, so that the reports are
    rendered once, with the section.
    """
    if baseline is None:
        return None, None
    stage = DriftStage(baseline, env, output)
    return stage, stage.check_document


@dataclass
class DriftStage:
    """The drift check of one run (see :func:`drift_stage`)."""

    baseline: Baseline
    env: Mapping[str, str]
    output: Path
    check: DriftCheck | None = None
    violations_file: Path | None = None

    def check_document(self, analysis: dict[str, Any]) -> DriftSection:
        """Check ``analysis``; write the violations file; the reports' section.

        Raises
        ------
        DatasetError
            The baseline shares nothing with the analysis (another configuration).
        """
        from ..report.drift import DriftSection

        di_centred, threshold = _settings(self.env)
        self.check = check_drift(
            self.baseline.document,
            analysis,
            di_centred=di_centred,
            ndcg_threshold=threshold,
            baseline_name=str(self.baseline.path),
            current_name=str(self.output / "analysis.json"),
        )
        self.violations_file = write_violations(self.check, self.output)
        if self.violations_file is not None:
            log.info("Wrote %s (%d violation(s))", self.violations_file, len(self.check.violations))
        return DriftSection.from_check(self.check, str(self.baseline.path))


def after_analysis(
    analysis: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    base_dir: Path = Path("/opt/ml"),
    stage: DriftStage | None = None,
) -> MonitorOutcome:
    """The monitoring outputs after the analysis and its reports were written.

    Parameters
    ----------
    analysis:
        The analysis document just written.
    env:
        The job's environment (``os.environ``).
    base_dir:
        The container's base directory (``/opt/ml``).
    stage:
        The drift check that ran while the outputs were written
        (:func:`drift_stage`); None when there was no baseline.

    Returns
    -------
    MonitorOutcome
        Empty when there was no baseline and publishing is off.

    Raises
    ------
    OutputError
        A file cannot be written.
    """
    metrics_file = None
    if env.get(PUBLISH_ENV, "").strip().lower() == "enabled":
        from .cloudwatch import CLOUDWATCH_FOLDER, metric_records, write_metric_file

        records = metric_records(
            analysis,
            endpoint=env.get(ENDPOINT_ENV) or None,
            schedule=env.get(SCHEDULE_ENV) or None,
            timestamp=metric_time(env),
        )
        metrics_file = write_metric_file(records, base_dir / CLOUDWATCH_FOLDER)
        log.info("Wrote %d CloudWatch metric(s) to %s", len(records), metrics_file)
    if stage is None:
        return MonitorOutcome(metrics_file=metrics_file)
    return MonitorOutcome(stage.check, stage.baseline.path, stage.violations_file, metrics_file)
