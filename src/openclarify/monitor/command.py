"""``openclarify check``: the ClarifyCheckStep comparison on its own, anywhere.

Reads two ``analysis.json`` documents (local paths or ``s3://``), checks the
current one against the baseline, writes ``constraint_violations.json`` into
the output folder (local or ``s3://``) only when there are violations, and
optionally publishes the current metrics to CloudWatch and writes them as an
OpenMetrics file.  The exit code (:data:`openclarify.errors.VIOLATIONS_EXIT_CODE`
with violations, 0 without) is decided by the CLI.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import OutputError
from ..results import write_atomic
from .documents import read_analysis_at
from .drift import DEFAULT_NDCG_THRESHOLD, DriftCheck, check_drift
from .violations import VIOLATIONS_FILE, write_violations

__all__ = ["CheckCommandResult", "run_check"]


@dataclass(frozen=True)
class CheckCommandResult:
    check: DriftCheck
    #: Where ``constraint_violations.json`` went (a path or an ``s3://`` URI), or None.
    violations: str | None
    published: int = 0
    openmetrics: Path | None = None


def run_check(
    baseline: str,
    current: str,
    output: str,
    *,
    di_centred: bool = False,
    ndcg_threshold: float = DEFAULT_NDCG_THRESHOLD,
    cloudwatch: bool = False,
    openmetrics: Path | None = None,
    endpoint: str | None = None,
    schedule: str | None = None,
    log: logging.Logger,
) -> CheckCommandResult:
    """Run the check and write its files; see the module text.

    ``endpoint`` and ``schedule`` become the ``Endpoint`` / ``MonitoringSchedule``
    dimensions and choose the namespaces (``Endpoints`` with an endpoint,
    ``ModelMonitoring`` without), as in a monitoring execution.
    """
    from ..outputs import output_folder

    baseline_doc = read_analysis_at(baseline, where="--baseline")
    current_doc = read_analysis_at(current, where="--current")
    check = check_drift(
        baseline_doc,
        current_doc,
        di_centred=di_centred,
        ndcg_threshold=ndcg_threshold,
        baseline_name=baseline,
        current_name=current,
    )
    with output_folder(output, log) as folder:
        written = write_violations(check, folder)
    target = None
    if written is not None:
        target = (
            f"{output.rstrip('/')}/{VIOLATIONS_FILE}"
            if output.startswith("s3://")
            else str(written)
        )
    records = None
    if cloudwatch or openmetrics is not None:
        from .cloudwatch import metric_records

        records = metric_records(
            current_doc, endpoint=endpoint, schedule=schedule, timestamp=datetime.now(UTC)
        )
    published = 0
    if cloudwatch and records:
        from .cloudwatch import namespace, put_metric_data, record_kind

        for kind in ("bias", "explainability"):
            mine = [r for r in records if record_kind(r) == kind]
            if mine:
                space = namespace(kind, endpoint is not None)
                put_metric_data(mine, space)
                log.info("Published %d metric(s) to CloudWatch namespace %s", len(mine), space)
                published += len(mine)
    if openmetrics is not None and records is not None:
        from .cloudwatch import namespace, openmetrics_text, record_kind

        kinds = [k for k in ("bias", "explainability") if any(record_kind(r) == k for r in records)]
        text = "".join(
            openmetrics_text(
                [r for r in records if record_kind(r) == k], namespace(k, endpoint is not None)
            ).removesuffix("# EOF\n")
            for k in kinds
        )
        try:
            write_atomic(openmetrics, text + "# EOF\n")
        except OSError as exc:
            raise OutputError(
                str(openmetrics),
                f"cannot write the OpenMetrics file ({exc.strerror or type(exc).__name__})",
            ) from None
    return CheckCommandResult(check, target, published, openmetrics)
