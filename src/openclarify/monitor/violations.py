"""``constraint_violations.json`` and the exit message of a checked run.

The file (contract §4.1, §4.3, §8 Q5)::

    {
        "version": "1.0",
        "violations": [
            {
                "facet": "Sex",
                "facet_value": "0",
                "metric_name": "CDDPL",
                "constraint_check_type": "bias_drift_check",
                "description": "Metric value 0.37... doesn't meet the baseline constraint requirement 0.28..."
            }
        ]
    }

``version`` first, entries in the docs' key order, 4-space indent (as the docs
print it and as ``analysis.json`` is written), ASCII escapes, a final newline.
It is written only when there is at least one violation — the service's
executions without violations have no such file (contract §0.3) — and a stale
one left in the folder by an earlier run is removed, so that its presence
always means "this run found violations".
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Final

from ..errors import OutputError
from ..results import write_atomic
from .drift import DriftCheck, Violation

__all__ = [
    "NO_VIOLATIONS_MESSAGE",
    "VIOLATIONS_FILE",
    "VIOLATIONS_VERSION",
    "dumps_violations",
    "exit_message",
    "write_violations",
]

#: The file name the SDK reads (``CONSTRAINT_VIOLATIONS_JSON_DEFAULT_FILE_NAME``).
VIOLATIONS_FILE: Final = "constraint_violations.json"
VIOLATIONS_VERSION: Final = "1.0"
NO_VIOLATIONS_MESSAGE: Final = "Completed: Job completed successfully with no violations."
_WITH_VIOLATIONS: Final = "CompletedWithViolations"


def dumps_violations(violations: tuple[Violation, ...] | list[Violation]) -> str:
    """The text of ``constraint_violations.json`` for ``violations``."""
    document = {
        "version": VIOLATIONS_VERSION,
        "violations": [violation.to_dict() for violation in violations],
    }
    return json.dumps(document, indent=4, allow_nan=False) + "\n"


def write_violations(check: DriftCheck, folder: Path) -> Path | None:
    """Write ``folder/constraint_violations.json`` atomically when ``check`` has violations.

    Returns
    -------
    Path or None
        The file written; None when there were no violations (and no file is left).

    Raises
    ------
    OutputError
        The folder cannot be written.
    """
    target = Path(folder) / VIOLATIONS_FILE
    try:
        if not check.violations:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            return None
        write_atomic(target, dumps_violations(check.violations))
    except OSError as exc:
        raise OutputError(
            str(target.parent),
            f"cannot write {VIOLATIONS_FILE} ({exc.strerror or type(exc).__name__})",
            "check that the output folder is writable and has space",
        ) from None
    return target


def exit_message(check: DriftCheck) -> str:
    """``CompletedWithViolations: <first description>`` or the no-violations text (Q7)."""
    if check.violations:
        return f"{_WITH_VIOLATIONS}: {check.violations[0].description}"
    return NO_VIOLATIONS_MESSAGE
