"""The ``openclarify`` opt-in end to end, on every golden case.

* without it, nothing changes; with it, removing its one key gives the same bytes;
* memory, streaming (and, in tests/spark, Spark) write the same statistics for a seed;
* a crossing's metrics equal the single-facet code on a concatenated column;
* per-group performance equals scikit-learn's metrics on each group's rows.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, precision_score, recall_score

import openclarify
from openclarify.bias.analysis import (
    bias_sections,
    intersection_facets,
    resolve_labels,
    single_facets,
)
from openclarify.bias.intersections import JOINER, FacetGroups
from openclarify.bias.registry import select
from openclarify.config import load_config
from openclarify.data.selection import facet_groups
from openclarify.data.table import load_bias_table
from openclarify.errors import ConfigError, UserError
from openclarify.results import BEYOND_KEY, dumps_analysis

from ..backend.test_streaming_goldens import without_ft

CASES = Path(__file__).parent.parent / "golden" / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "analysis_config.json").exists())
#: Few resamples: these tests check plumbing and equalities, not statistics.
FAST = {"uncertainty": {"resamples": 40, "seed": 11}, "group_performance": True}


def _raw(case: str) -> dict[str, Any]:
    raw = json.loads((CASES / case / "analysis_config.json").read_text())
    raw["methods"].pop("report", None)
    return raw


def _crossing(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Two facet objects to cross: two facets, or the facet and the group variable,
    or the facet with itself (then the crossing equals the facet)."""
    facets = raw["facet"]
    if len(facets) >= 2:
        return [facets[0], facets[1]]
    if raw.get("group_variable") is not None and raw["group_variable"] != "x2":
        # (x2 of all_predictions_positive is continuous: it would need a threshold)
        return [facets[0], {"name_or_index": raw["group_variable"]}]
    return [facets[0], facets[0]]


def _analyze(raw: dict[str, Any], case: str, backend: str = "memory") -> Any:
    folder = CASES / case
    try:
        return openclarify.analyze(raw, folder / "data", config_dir=folder, backend=backend)
    except UserError as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_without_the_key_the_output_is_unchanged(case: str) -> None:
    raw = _raw(case)
    plain = _analyze(raw, case)
    opted = copy.deepcopy(raw)
    opted[BEYOND_KEY] = {**FAST, "intersections": [_crossing(raw)]}
    if isinstance(plain, tuple):  # the same error, with or without the opt-in
        assert _analyze(opted, case) == plain
        return
    assert plain.beyond is None
    assert BEYOND_KEY not in plain.to_dict()
    document = _analyze(opted, case).to_dict()
    assert list(document)[-1] == BEYOND_KEY
    extras = document.pop(BEYOND_KEY)
    assert set(extras) <= {"intersections", "uncertainty", "group_performance"}
    assert dumps_analysis(document) == dumps_analysis(plain.to_dict())


@pytest.mark.parametrize("case", CASE_NAMES)
def test_streaming_gives_the_same_statistics_as_memory(case: str, caplog) -> None:
    raw = without_ft(_raw(case))
    raw[BEYOND_KEY] = FAST
    memory = _analyze(raw, case, "memory")
    with caplog.at_level(logging.INFO, logger="openclarify"):
        local = _analyze(raw, case, "local")
    if isinstance(memory, tuple):
        assert local == memory
        return
    assert local.to_dict() == memory.to_dict()
    assert local.beyond is not None and local.beyond == memory.beyond
    streamed = any("(streamed)" in r.getMessage() for r in caplog.records)
    assert streamed or "computed in memory" in caplog.text


def test_a_streamed_case_is_among_them(caplog) -> None:
    raw = without_ft(_raw("multiple_facets"))
    raw[BEYOND_KEY] = FAST
    with caplog.at_level(logging.INFO, logger="openclarify"):
        _analyze(raw, "multiple_facets", "local")
    assert "(streamed)" in caplog.text


def _combined_run(raw: dict[str, Any], case: str, crossing: list[dict[str, Any]]) -> Any:
    """The single-facet code on one column: each row labelled with its crossed group."""
    config = load_config({**raw, "facet": crossing})
    table = load_bias_table(config, CASES / case / "data", CASES / case)
    parts = [f.selections for f in single_facets(table)]
    labels = np.full(table.n_rows, "rest", dtype=object)
    for combination in itertools.product(*parts):
        mask = np.logical_and.reduce([s.mask for s in combination])
        labels[mask] = JOINER.join(s.rendered for s in combination)
    column = pd.Series(labels, name="combined")
    groups = [g for g in facet_groups(column, None) if g.rendered != "rest"]
    methods = config.methods
    pre = select("pre_training", methods.pre_training_bias.methods)
    post = (
        select("post_training", methods.post_training_bias.methods)
        if methods.post_training_bias is not None
        else None
    )
    resolved = resolve_labels(
        table,
        list(config.label_values_or_threshold),
        config.effective_probability_threshold,
        need_predictions=post is not None,
    )
    facet = FacetGroups("combined", groups, tuple(f.name for f in table.facets))
    return bias_sections(pre, post, table, resolved, facets=[facet])


def _values(groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        g["value_or_threshold"]: {m["name"]: (m["value"], m.get("error")) for m in g["metrics"]}
        for g in groups
    }


@pytest.mark.parametrize("case", CASE_NAMES)
def test_crossed_groups_equal_a_concatenated_facet_column(case: str) -> None:
    raw = without_ft(_raw(case))
    crossing = _crossing(raw)
    raw[BEYOND_KEY] = {"intersections": [crossing]}
    result = _analyze(raw, case)
    if isinstance(result, tuple):
        pytest.skip(f"the case itself fails: {result[0]}")
    crossed = result.beyond["intersections"]
    pre, post = _combined_run(raw, case, crossing)
    for key, section in (("pre_training_bias_metrics", pre), ("post_training_bias_metrics", post)):
        if section is None:
            assert key not in crossed
            continue
        (name,) = crossed[key]["facets"]
        ours = _values(crossed[key]["facets"][name])
        combined = _values([g.to_dict() for g in section.facets["combined"]])
        assert ours == combined  # also when every crossing is empty (an empty facet group)


@pytest.mark.parametrize("case", ["multiple_facets", "group_variable", "one_vs_rest", "infinity"])
def test_group_performance_equals_scikit_learn(case: str) -> None:
    raw = _raw(case)
    raw[BEYOND_KEY] = {"group_performance": True, "intersections": [_crossing(raw)]}
    result = _analyze(raw, case)
    config = load_config(raw)
    table = load_bias_table(config, CASES / case / "data", CASES / case)
    labels = resolve_labels(
        table,
        list(config.label_values_or_threshold),
        config.effective_probability_threshold,
        need_predictions=True,
    )
    y, yhat = labels.positive.mask, labels.predicted
    assert yhat is not None
    masks = {
        (f.name, s.rendered): s.mask
        for f in [
            *single_facets(table),
            *intersection_facets(table, config.openclarify.intersections),
        ]
        for s in f.selections
    }
    checked = 0
    for facet, groups in result.beyond["group_performance"]["facets"].items():
        for group in groups:
            mask = masks[(facet, group["value_or_threshold"])]
            assert group["rows"] == int(mask.sum())
            if not mask.any():
                continue
            yt, yp = y[mask], yhat[mask]
            expected = {
                "base_rate": float(np.mean(yt)),
                "acceptance_rate": float(np.mean(yp)),
                "accuracy": accuracy_score(yt, yp),
            }
            if yt.any():
                expected["tpr"] = recall_score(yt, yp)
            if (~yt).any():
                expected["fpr"] = 1 - recall_score(yt, yp, pos_label=False)
            if yp.any():
                expected["precision"] = precision_score(yt, yp)
            for name, value in expected.items():
                assert group[name]["value"] == pytest.approx(value, abs=1e-12), (facet, name)
                low, high = group[name]["confidence_interval"]
                assert low <= value <= high
                checked += 1
            for name in {"tpr", "fpr", "precision"} - set(expected):
                assert group[name]["value"] is None  # 0/0: undefined, not 0
    assert checked >= 6


def test_the_statistics_are_shaped_and_flag_small_groups() -> None:
    raw = _raw("multiple_facets")
    raw[BEYOND_KEY] = {"uncertainty": {"resamples": 200, "seed": 3, "min_rows": 100}}
    beyond = _analyze(raw, "multiple_facets").beyond
    uncertainty = beyond["uncertainty"]
    assert uncertainty["confidence_level"] == 0.95 and uncertainty["resamples"] == 200
    race = uncertainty["pre_training_bias_metrics"]["facets"]["Race"][0]
    assert race["rows"] == 98 and "few_rows" in race["flags"]
    sex = uncertainty["post_training_bias_metrics"]["facets"]["Sex"][0]
    by_name = {m["name"]: m for m in sex["metrics"]}
    assert by_name["FT"]["confidence_interval"] is None and "neighbour" in by_name["FT"]["note"]
    assert by_name["GE"]["p_value"] is None and by_name["GE"]["confidence_interval"] is not None
    assert by_name["DI"]["test"].startswith("fisher_exact")
    assert by_name["AD"]["test"] == "permutation(facet)"
    low, high = by_name["DPPL"]["confidence_interval"]
    assert low < high
    assert by_name["DPPL"]["spans_fair_value"] == (low <= 0 <= high)
    assert sex["spans_fair_value"] == [
        m["name"] for m in sex["metrics"] if m.get("spans_fair_value")
    ]


def test_the_seed_decides_the_intervals() -> None:
    raw = _raw("multiple_facets")
    raw["methods"]["post_training_bias"]["methods"] = ["DPPL"]
    first = dict(raw, **{BEYOND_KEY: {"uncertainty": {"resamples": 100, "seed": 1}}})
    second = dict(raw, **{BEYOND_KEY: {"uncertainty": {"resamples": 100, "seed": 2}}})
    a, b = _analyze(first, "multiple_facets").beyond, _analyze(first, "multiple_facets").beyond
    c = _analyze(second, "multiple_facets").beyond
    assert a == b
    assert a != c


def test_metrics_frame_and_performance_frame() -> None:
    raw = _raw("multiple_facets")
    raw[BEYOND_KEY] = {**FAST, "intersections": [_crossing(raw)]}
    result = _analyze(raw, "multiple_facets")
    frame = result.metrics_frame()
    assert list(frame.columns)[-5:] == ["ci_low", "ci_high", "p_value", "test", "flags"]
    crossed = frame[frame["facet"] == "Sex & Age"]
    assert len(crossed) > 0 and crossed["ci_low"].notna().any()
    ok = frame["ci_low"].notna()
    assert (frame.loc[ok, "ci_low"] <= frame.loc[ok, "ci_high"]).all()
    performance = result.group_performance_frame()
    assert {"tpr", "tpr_low", "tpr_high", "rows"} <= set(performance.columns)
    plain = _analyze(_raw("multiple_facets"), "multiple_facets")
    assert list(plain.metrics_frame().columns)[-1] == "error"
    assert len(plain.group_performance_frame()) == 0


def test_group_performance_needs_predictions() -> None:
    raw = _raw("multiple_facets")
    del raw["methods"]["post_training_bias"]
    raw[BEYOND_KEY] = {"group_performance": True}
    with pytest.raises(ConfigError, match="group_performance"):
        openclarify.analyze(raw, CASES / "multiple_facets" / "data")


def test_bad_values_are_refused_with_the_json_path() -> None:
    raw = _raw("multiple_facets")
    for bad, where in (
        ({"uncertainty": {"confidence_level": 1}}, "confidence_level"),
        ({"uncertainty": {"seed": -1}}, "seed"),
        ({"uncertainty": {"resamples": 0}}, "resamples"),
        ({"intersections": [[{"name_or_index": "Sex"}]]}, "intersections[0]"),
        ({"intersection": []}, "openclarify.intersection"),
    ):
        with pytest.raises(ConfigError) as info:
            load_config({**raw, BEYOND_KEY: bad})
        assert where in str(info.value)


def test_an_unknown_crossed_column_is_a_user_error() -> None:
    raw = _raw("multiple_facets")
    raw[BEYOND_KEY] = {"intersections": [[{"name_or_index": "Sex"}, {"name_or_index": "Nope"}]]}
    with pytest.raises(UserError) as info:
        openclarify.analyze(raw, CASES / "multiple_facets" / "data")
    assert "$.openclarify.intersections[0][1]" in str(info.value)


def test_empty_crossings_are_left_out() -> None:
    raw = _raw("multiple_facets")
    raw[BEYOND_KEY] = {"intersections": [[{"name_or_index": "Sex"}, {"name_or_index": "Sex"}]]}
    crossed = _analyze(raw, "multiple_facets").beyond["intersections"]
    groups = crossed["pre_training_bias_metrics"]["facets"]["Sex & Sex"]
    # one-vs-rest × itself: of the four combinations only the two non-empty ones
    assert sorted(g["value_or_threshold"] for g in groups) == ["Female & Female", "Male & Male"]
    assert not math.isnan(groups[0]["metrics"][1]["value"])


def test_the_key_without_bias_methods_is_refused() -> None:
    raw = _raw("multiple_facets")
    raw["methods"] = {"pdp": {"grid_resolution": 5, "features": ["Age"]}}
    raw[BEYOND_KEY] = {"uncertainty": {}}
    with pytest.raises(ConfigError) as info:
        openclarify.analyze(raw, CASES / "multiple_facets" / "data")
    assert info.value.where == "$.openclarify"
