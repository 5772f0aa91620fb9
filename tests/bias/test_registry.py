"""The one metric table: codes, order, descriptions, selection and docstrings."""

from __future__ import annotations

import re

import pytest

from openclarify.bias.registry import (
    BY_CODE,
    METRICS,
    POST_TRAINING_CODES,
    PRE_TRAINING_CODES,
    select,
)

# Contract §5.2 / §5.3, verbatim (including smclarify's "Kullback-Liebler").
DESCRIPTIONS = {
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "DI": "Disparate Impact (DI)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "TE": "Treatment Equality (TE)",
}
PRE = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD")
POST = ("AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE")


def test_eight_pre_and_thirteen_post_codes_in_alphabetical_order() -> None:
    assert PRE_TRAINING_CODES == PRE
    assert POST_TRAINING_CODES == POST
    assert [spec.code for spec in METRICS] == [*PRE, *POST]
    assert list(PRE) == sorted(PRE) and list(POST) == sorted(POST)
    assert all(BY_CODE[code].stage == "pre_training" for code in PRE)
    assert all(BY_CODE[code].stage == "post_training" for code in POST)


@pytest.mark.parametrize("code", list(DESCRIPTIONS))
def test_description_is_clarifys(code: str) -> None:
    assert BY_CODE[code].description == DESCRIPTIONS[code]


def test_what_each_metric_needs() -> None:
    needs = {spec.code: spec.needs for spec in METRICS}
    assert {code for code, need in needs.items() if need == "groups"} == {"CDDL", "CDDPL"}
    assert {code for code, need in needs.items() if need == "neighbours"} == {"FT"}
    assert BY_CODE["DI"].fair_value == 1.0
    assert all(spec.fair_value == 0.0 for spec in METRICS if spec.code != "DI")


def test_select_all_any_case() -> None:
    assert select("pre_training", "all") == tuple(BY_CODE[c] for c in PRE)
    assert select("post_training", "ALL") == tuple(BY_CODE[c] for c in POST)


def test_select_list_is_case_insensitive_and_alphabetical() -> None:
    chosen = select("post_training", ["te", "DI", "Ad"])
    assert [spec.code for spec in chosen] == ["AD", "DI", "TE"]
    assert [spec.code for spec in select("pre_training", "ks")] == ["KS"]


@pytest.mark.parametrize(
    ("stage", "requested"),
    [("pre_training", ["CI", "XYZ"]), ("pre_training", ["DPPL"]), ("post_training", "CI")],
)
def test_unknown_or_wrong_stage_name(stage: str, requested: object) -> None:
    with pytest.raises(ValueError) as info:
        select(stage, requested)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith(
        "Invalid metric_name: metrics should be one of the registered metrics"
    )
    codes = PRE if stage == "pre_training" else POST
    assert message.endswith(str(list(codes)))


@pytest.mark.parametrize("spec", METRICS, ids=lambda spec: spec.code)
def test_metric_function_has_a_numpydoc_docstring(spec) -> None:  # type: ignore[no-untyped-def]
    doc = spec.compute.__doc__
    assert doc, spec.code
    lines = doc.strip().splitlines()
    # numpydoc: one summary line (here the description), then a blank line
    assert lines[0] == spec.description + "."
    assert len(lines) > 2 and lines[1].strip() == ""
    body = " ".join(line.strip() for line in lines[2:])
    assert re.search(r"\bRange\b", body), spec.code
    assert "fair value" in body, spec.code
    fair = f"{spec.fair_value:g}"
    assert re.search(rf"fair value {re.escape(fair)}\b", body), (spec.code, body)
