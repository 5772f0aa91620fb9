"""Published outcomes reproduced by the checker from documents built to their numbers.

* NB-ep-json (monitor-contract §4.1): the 2024 endpoint bias monitor flagged CDDPL,
  DAR, DCA, DCR, FT, GE, RD, SD and TE for Sex = 0, not AD, DI, DPPL, DRR or any
  pre-training metric.  Four violations were printed with their numbers; for the
  others only "flagged" or "not flagged" is known, so their values are chosen to
  agree with it.
* The SDK's ClarifyCheckStep data-bias cases (contract §4.2): the good baseline
  equals the computed metrics and passes; the bad one lowers KS to
  0.000007906602254496 (computed 0.015297906602254496) and fails on KS alone.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from openclarify.monitor import check_drift, write_violations
from openclarify.monitor.violations import VIOLATIONS_FILE

from .documents import bias_document

# (baseline, current): printed values first, then values chosen for the flag.
POST_BASELINE_CURRENT = {
    "CDDPL": (0.28176563733194276, 0.3748947825295131),
    "DCA": (-0.5278688524590163, -36.69387755102041),
    "DCR": (0.027874251497005953, -0.07650793650793647),
    "TE": (2.916666666666667, math.inf),
    "DAR": (0.01, -0.2),
    "FT": (-0.004, 0.05),
    "GE": (0.08, 0.12),
    "RD": (0.03, 0.3),
    "SD": (0.005, 0.04),
    "AD": (-0.11, 0.05),
    "DI": (0.33, 0.31),
    "DPPL": (0.09, -0.09),  # equal magnitude: not flagged
    "DRR": (0.14, 0.1),
}
PRE_BASELINE_CURRENT = {
    "CDDL": (0.21, 0.2),
    "CI": (0.35, 0.35),
    "DPL": (0.2, -0.19),
    "JS": (0.03, 0.03),
    "KL": (0.14, 0.1),
    "KS": (0.2, 0.19),
    "LP": (0.28, 0.27),
    "TVD": (0.2, 0.19),
}
FLAGGED = ["CDDPL", "DAR", "DCA", "DCR", "FT", "GE", "RD", "SD", "TE"]


def _documents(which: int) -> dict[str, object]:
    return bias_document(
        post={code: pair[which] for code, pair in POST_BASELINE_CURRENT.items()},
        pre={code: pair[which] for code, pair in PRE_BASELINE_CURRENT.items()},
        facet="Sex",
        facet_value="0",
    )


def test_endpoint_json_monitor_violation_list(tmp_path: Path) -> None:
    baseline, current = _documents(0), _documents(1)
    # Through the files, as a monitoring execution reads them.
    (tmp_path / "baseline.json").write_text(json.dumps(baseline))
    (tmp_path / "current.json").write_text(json.dumps(current))
    check = check_drift(
        json.loads((tmp_path / "baseline.json").read_text()),
        json.loads((tmp_path / "current.json").read_text()),
    )
    assert [v.metric_name for v in check.violations] == FLAGGED
    assert check.compared == len(POST_BASELINE_CURRENT) + len(PRE_BASELINE_CURRENT)
    written = write_violations(check, tmp_path / "out")
    assert written == tmp_path / "out" / VIOLATIONS_FILE
    entries = json.loads(written.read_text())["violations"]
    printed = {
        e["metric_name"]: e for e in entries if e["metric_name"] in ("CDDPL", "DCA", "DCR", "TE")
    }
    # The four entries printed in the notebook (pprint sorted the keys; the values are these).
    assert printed == {
        "CDDPL": {
            "facet": "Sex",
            "facet_value": "0",
            "metric_name": "CDDPL",
            "constraint_check_type": "bias_drift_check",
            "description": "Metric value 0.3748947825295131 doesn't meet the baseline "
            "constraint requirement 0.28176563733194276",
        },
        "DCA": {
            "facet": "Sex",
            "facet_value": "0",
            "metric_name": "DCA",
            "constraint_check_type": "bias_drift_check",
            "description": "Metric value -36.69387755102041 doesn't meet the baseline "
            "constraint requirement -0.5278688524590163",
        },
        "DCR": {
            "facet": "Sex",
            "facet_value": "0",
            "metric_name": "DCR",
            "constraint_check_type": "bias_drift_check",
            "description": "Metric value -0.07650793650793647 doesn't meet the baseline "
            "constraint requirement 0.027874251497005953",
        },
        "TE": {
            "facet": "Sex",
            "facet_value": "0",
            "metric_name": "TE",
            "constraint_check_type": "bias_drift_check",
            "description": "Metric value Infinity doesn't meet the baseline constraint "
            "requirement 2.916666666666667",
        },
    }


KS_COMPUTED = 0.015297906602254496
KS_LOWERED = 0.000007906602254496
SDK_FACET = {"facet": "F1", "facet_value": "(0.5, 0.9936148802477393]", "label": "Label"}


def _data_bias(ks: float) -> dict[str, object]:
    return bias_document(
        pre={
            "CDDL": 0.04,
            "CI": -0.08,
            "DPL": 0.01529790660225444,
            "JS": 0.0001174232718745582,
            "KL": 0.0004699943242629928,
            "KS": ks,
            "LP": 0.021634506992825184,
            "TVD": 0.015297906602254469,
        },
        **SDK_FACET,
    )


def test_clarify_check_step_good_case_passes(tmp_path: Path) -> None:
    check = check_drift(_data_bias(KS_COMPUTED), _data_bias(KS_COMPUTED))
    assert check.violations == () and check.compared == 8
    assert write_violations(check, tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_clarify_check_step_bad_case_fails_on_ks() -> None:
    check = check_drift(_data_bias(KS_LOWERED), _data_bias(KS_COMPUTED))
    assert [v.to_dict() for v in check.violations] == [
        {
            "facet": "F1",
            "facet_value": "(0.5, 0.9936148802477393]",
            "metric_name": "KS",
            "constraint_check_type": "bias_drift_check",
            "description": "Metric value 0.015297906602254496 doesn't meet the baseline "
            "constraint requirement 7.906602254496e-06",
        }
    ]
