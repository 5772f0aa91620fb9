"""``constraint_violations.json`` bytes, the no-file rule and the exit message."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from openclarify.monitor import check_drift, exit_message, write_violations
from openclarify.monitor.violations import NO_VIOLATIONS_MESSAGE, VIOLATIONS_FILE

from .documents import bias_document, shap_document

EXPECTED_BIAS = """{
    "version": "1.0",
    "violations": [
        {
            "facet": "Sex",
            "facet_value": "0",
            "metric_name": "AD",
            "constraint_check_type": "bias_drift_check",
            "description": "Metric value -0.5 doesn't meet the baseline constraint requirement 0.25"
        }
    ]
}
"""

EXPECTED_SHAP = """{
    "version": "1.0",
    "violations": [
        {
            "label": "label0",
            "metric_name": "shap",
            "constraint_check_type": "feature_attribution_drift_check",
            "description": "Feature attribution drift 0.0 exceeds threshold 0.9"
        }
    ]
}
"""


def test_bias_file_bytes(tmp_path: Path) -> None:
    check = check_drift(bias_document({"AD": 0.25}), bias_document({"AD": -0.5}))
    path = write_violations(check, tmp_path)
    assert path is not None and path.read_bytes() == EXPECTED_BIAS.encode()
    assert exit_message(check) == (
        "CompletedWithViolations: Metric value -0.5 doesn't meet the baseline constraint "
        "requirement 0.25"
    )


def test_attribution_file_bytes(tmp_path: Path) -> None:
    # All baseline relevance clipped to 0: IDCG = 0 and scikit-learn's nDCG is 0.
    check = check_drift(
        shap_document({"label0": {"a": -0.1, "b": -0.2}}),
        shap_document({"label0": {"a": 1.0, "b": 2.0}}),
    )
    path = write_violations(check, tmp_path)
    assert path is not None and path.read_text() == EXPECTED_SHAP


def test_no_violations_no_file_and_stale_one_removed(tmp_path: Path) -> None:
    stale = tmp_path / VIOLATIONS_FILE
    stale.write_text("from an earlier run")
    check = check_drift(bias_document({"AD": 0.25}), bias_document({"AD": 0.25}))
    assert write_violations(check, tmp_path) is None
    assert not stale.exists()
    assert (
        exit_message(check)
        == NO_VIOLATIONS_MESSAGE
        == ("Completed: Job completed successfully with no violations.")
    )


def test_file_mode_honours_the_umask(tmp_path: Path) -> None:
    check = check_drift(bias_document({"AD": 0.25}), bias_document({"AD": -0.5}))
    old = os.umask(0o027)
    try:
        path = write_violations(check, tmp_path)
    finally:
        os.umask(old)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == [VIOLATIONS_FILE]  # no temporary left
