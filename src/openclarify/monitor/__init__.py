"""Model Monitor: drift checks against a baseline, violations, and metric alerts.

* :mod:`.drift` — :func:`check_drift`, the bias and feature-attribution rules;
* :mod:`.ndcg` — nDCG as scikit-learn computes it, without scikit-learn;
* :mod:`.violations` — ``constraint_violations.json`` and the exit message;
* :mod:`.cloudwatch` — CloudWatch metric records, the BYOC metric file and
  ``PutMetricData`` (boto3 is imported there only); :mod:`.openmetrics` — the
  same metrics as an OpenMetrics text file;
* :mod:`.documents` — reading an ``analysis.json`` from a path or ``s3://``;
* :mod:`.step` — the check after a container analysis (ClarifyCheckStep,
  monitoring executions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .drift import DriftCheck, Violation, check_drift
    from .violations import VIOLATIONS_FILE, exit_message, write_violations

# Imported on first use: every container job reads .layout (is this a monitoring
# execution?) before its first log line, and .drift brings NumPy with it.
_LAZY = {
    "DriftCheck": "drift",
    "Violation": "drift",
    "check_drift": "drift",
    "VIOLATIONS_FILE": "violations",
    "exit_message": "violations",
    "write_violations": "violations",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "VIOLATIONS_FILE",
    "DriftCheck",
    "Violation",
    "check_drift",
    "exit_message",
    "write_violations",
]
