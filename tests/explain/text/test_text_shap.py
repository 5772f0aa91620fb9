"""Kernel SHAP over text units: closed-form answers first, then shap as an oracle.

A *bag-of-units* model scores a text as ``b + Σ weight(unit)`` over the units
present; replacing an absent unit by the empty string removes it, so the game
is additive and the exact Shapley value of a unit is its weight (× 1 present
− 0 absent).  With every coalition enumerated (``num_samples ≥ 2^P − 2``) the
Kernel SHAP fit is exact: the tolerance is float64 rounding of a least-squares
solve over at most 2^12 rows (1e-9 leaves four orders of magnitude to spare).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import shap

from openclarify.errors import ConfigError, DatasetError
from openclarify.explain.text.columns import column_types
from openclarify.explain.text.masking import MaskableText
from openclarify.explain.text.shap import MAX_PLAYERS, explain_text_records
from openclarify.explain.text.units import segmenter

TOKENS = segmenter("en", "token")
SENTENCES = segmenter("en", "sentence")
WEIGHTS = {"love": 1.0, "great": 0.5, "bad": -2.0, "!": 0.25, "not": -0.75}
BIAS = 0.1
#: Exact arithmetic up to float64 rounding (module docstring).
EXACT = 1e-9


def bag_of_tokens(frame: pd.DataFrame, column: str = "Review") -> np.ndarray:
    out = []
    for text in frame[column]:
        tokens = TOKENS.tokens(text) if isinstance(text, str) else []
        out.append(BIAS + sum(WEIGHTS.get(t.text, 0.0) for t in tokens))
    return np.array(out)[:, None]


def run(frame: pd.DataFrame, model, baseline=None, split=TOKENS, **kwargs):  # type: ignore[no-untyped-def]
    types = column_types(frame)
    if baseline is None:
        baseline = pd.DataFrame({c: [""] for c in frame.columns})
    kwargs.setdefault("seed", 3)
    return explain_text_records(frame, types, baseline, model, split, **kwargs)


REVIEWS = pd.DataFrame(
    {"Review": ["I love this dress!", "bad fit, great color", "not bad at all", "ok then"]}
)


def test_bag_of_units_gives_each_token_its_weight_exactly() -> None:
    result = run(REVIEWS, bag_of_tokens, num_samples=4096)  # ≥ 2^6 − 2: enumerated
    for i, text in enumerate(result.texts["Review"]):
        phi = result.local_units["Review"][i][:, 0]
        want = [WEIGHTS.get(u.text, 0.0) for u in text.units]
        np.testing.assert_allclose(phi, want, rtol=0, atol=EXACT)
    assert result.expected_value[0] == BIAS  # the model on the empty text


def test_efficiency_on_every_record_when_sampled() -> None:
    # 30-token texts: 2^30 coalitions cannot be enumerated; 200 are sampled. Efficiency is
    # imposed as a constraint of the fit, so it holds to rounding whatever the sample.
    rng = np.random.default_rng(0)
    words = ["love", "great", "bad", "fit", "not", "dress", "!", "color"]
    texts = [" ".join(rng.choice(words, size=n)) for n in (30, 12, 25)]
    frame = pd.DataFrame({"Review": texts})

    def nonlinear(f: pd.DataFrame) -> np.ndarray:
        linear = bag_of_tokens(f)[:, 0]
        return np.stack([1 / (1 + np.exp(-linear)), np.tanh(linear)], axis=1)

    result = run(frame, nonlinear, num_samples=200)
    scores = nonlinear(frame)
    for i in range(len(frame)):
        total = result.local_units["Review"][i].sum(axis=0) + result.expected_value
        np.testing.assert_allclose(total, scores[i], rtol=0, atol=EXACT)


def test_use_logit_efficiency_holds_in_log_odds() -> None:
    def probability(f: pd.DataFrame) -> np.ndarray:
        return 1 / (1 + np.exp(-bag_of_tokens(f)))

    result = run(REVIEWS, probability, num_samples=50, use_logit=True)
    p = probability(REVIEWS)[:, 0]
    for i in range(len(REVIEWS)):
        total = result.local_units["Review"][i].sum() + result.expected_value[0]
        assert total == pytest.approx(np.log(p[i] / (1 - p[i])), abs=EXACT)


def test_values_do_not_depend_on_order_or_on_the_other_records_lengths() -> None:
    alone = [
        run(REVIEWS.iloc[[i]].reset_index(drop=True), bag_of_tokens, num_samples=4096)
        for i in range(4)
    ]
    together = run(REVIEWS.iloc[::-1].reset_index(drop=True), bag_of_tokens, num_samples=4096)
    for i in range(4):
        np.testing.assert_allclose(
            together.local_units["Review"][3 - i], alone[i].local_units["Review"][0], atol=EXACT
        )


def test_sampled_values_do_not_depend_on_how_records_are_batched() -> None:
    one = run(REVIEWS, bag_of_tokens, num_samples=20, chunk_rows=1)
    all_ = run(REVIEWS, bag_of_tokens, num_samples=20)
    for a, b in zip(one.local_units["Review"], all_.local_units["Review"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_records_of_different_lengths_share_model_calls() -> None:
    calls: list[int] = []

    def counted(f: pd.DataFrame) -> np.ndarray:
        calls.append(len(f))
        return bag_of_tokens(f)

    run(REVIEWS, counted, num_samples=100)
    assert len(calls) == 2  # the baseline, then every record's coalitions in one call


def test_multimodal_numeric_feature_gets_its_closed_form_value() -> None:
    frame = REVIEWS.assign(Age=[30, 45, 60, 40])

    def model(f: pd.DataFrame) -> np.ndarray:
        return bag_of_tokens(f) + 0.01 * (f["Age"].to_numpy(dtype=float)[:, None] - 40)

    baseline = pd.DataFrame({"Review": [""], "Age": [40]})
    result = run(frame, model, baseline=baseline, num_samples=4096)
    np.testing.assert_allclose(result.local_other["Age"][:, 0], [-0.1, 0.05, 0.2, 0.0], atol=EXACT)
    np.testing.assert_allclose(
        result.local_units["Review"][0][:, 0], [0, 1, 0, 0, 0.25], atol=EXACT
    )
    assert result.types.types == {"Review": "free_text", "Age": "numerical"}


def test_sentence_units_and_token_inheritance_in_global_top_text() -> None:
    frame = pd.DataFrame({"Review": ["I love it. It is bad!", "Great. bad"]})
    result = run(frame, bag_of_tokens, split=SENTENCES, num_samples=100, agg_method="mean_abs")
    phi0 = result.local_units["Review"][0][:, 0]
    np.testing.assert_allclose(phi0, [1.0, -2.0 + 0.25], atol=EXACT)
    top = result.top_text["Review"][0]
    # every token inherits its sentence's value; "bad" occurs in two records (1.75, 2.0)
    assert top["love"] == pytest.approx(1.0) and top["I"] == pytest.approx(1.0)
    assert top["bad"] == pytest.approx((1.75 + 2.0) / 2)
    assert list(top.values()) == sorted(top.values(), reverse=True)


def test_global_values_and_top_tokens_follow_agg_method_and_ties_keep_first_occurrence() -> None:
    frame = pd.DataFrame({"Review": ["bad love great", "great bad bad"]})
    result = run(frame, bag_of_tokens, num_samples=4096, agg_method="median", max_top_tokens=2)
    # per record the column's value is the sum of its units: 1 − 2 + 0.5, and 0.5 − 4
    assert result.global_values["Review"][0] == pytest.approx(np.median([-0.5, -3.5]))
    assert result.top_text["Review"][0] == pytest.approx({"love": 1.0, "great": 0.5})
    tied = run(
        pd.DataFrame({"Review": ["b a", "a b"]}), lambda f: np.ones((len(f), 1)), num_samples=10
    )
    assert list(tied.top_text["Review"][0]) == ["b", "a"]  # all 0: first occurrence first


def test_a_text_without_units_is_sent_as_it_is_and_has_no_attributions() -> None:
    frame = pd.DataFrame({"Review": ["love it", "   ", None, "bad"]})
    seen: list[object] = []

    def model(f: pd.DataFrame) -> np.ndarray:
        seen.extend(f["Review"].tolist())
        return bag_of_tokens(f)

    result = run(frame, model, num_samples=10)
    assert [t.n_units for t in result.texts["Review"]] == [2, 0, 0, 1]
    assert "   " in seen  # the records themselves, unchanged
    assert any(not isinstance(v, str) and pd.isna(v) for v in seen)
    assert result.local_units["Review"][1].shape == (0, 1)


def test_too_many_units_is_a_dataset_error_naming_row_and_fix() -> None:
    frame = pd.DataFrame({"Review": ["short one", " ".join(["word"] * 5000)]})
    with pytest.raises(DatasetError) as caught:
        run(frame, bag_of_tokens)
    message = str(caught.value)
    assert message.startswith("column 'Review', row 1: has 5000 text units")
    assert f"more than the {MAX_PLAYERS}" in message and "granularity" in message


def test_baseline_rows_must_agree_on_the_replacement() -> None:
    baseline = pd.DataFrame({"Review": ["<UNK>", "[MASK]"]})
    with pytest.raises(ConfigError, match="different values for the text column 'Review'"):
        run(REVIEWS, bag_of_tokens, baseline=baseline)


def test_rebuilt_text_keeps_gaps_and_replaces_absent_units() -> None:
    text = "  I love\nit!  "
    cut = MaskableText.cut(text, TOKENS.units(text))
    present = np.array([[1, 1, 1, 1], [1, 0, 1, 0], [0, 0, 0, 0]], dtype=bool)
    assert cut.rebuild(present, "<UNK>") == ["  I love\nit!  ", "  I <UNK>\nit<UNK>  ", "<UNK>"]


def test_agrees_with_shap_kernel_explainer_on_the_same_coalition_problem() -> None:
    # A model with interactions (no closed form): shap's KernelExplainer on the unit
    # masks of one record, with the same rebuild, enumerates the same 2^P coalitions;
    # both then solve the same weighted least squares exactly, so they agree to
    # rounding (1e-8: shap accumulates in a different order).
    text = "not bad, I love it!"
    frame = pd.DataFrame({"Review": [text]})

    def interacting(f: pd.DataFrame) -> np.ndarray:
        linear = bag_of_tokens(f)[:, 0]
        both = np.array([("not" in t) * ("bad" in t) for t in f["Review"]], dtype=float)
        return (np.tanh(linear) + 0.7 * both)[:, None]

    ours = run(frame, interacting, num_samples=4096).local_units["Review"][0][:, 0]
    cut = MaskableText.cut(text, TOKENS.units(text))

    def on_masks(masks: np.ndarray) -> np.ndarray:
        texts = cut.rebuild(masks > 0.5, "")
        return interacting(pd.DataFrame({"Review": texts}))[:, 0]

    p = cut.n_units
    explainer = shap.KernelExplainer(on_masks, np.zeros((1, p)))
    theirs = explainer.shap_values(np.ones((1, p)), nsamples=2**p, silent=True)
    np.testing.assert_allclose(ours, np.asarray(theirs).reshape(-1), atol=1e-8)


def test_exact_shapley_values_by_definition_for_a_short_text() -> None:
    # The Shapley formula itself over all subsets, as a third check of the estimator.
    text = "not bad love"
    cut = MaskableText.cut(text, TOKENS.units(text))

    def v(subset: tuple[int, ...]) -> float:
        mask = np.zeros((1, 3), dtype=bool)
        mask[0, list(subset)] = True
        texts = cut.rebuild(mask, "")
        return float(np.tanh(bag_of_tokens(pd.DataFrame({"Review": texts}))[0, 0]))

    exact = []
    for j in range(3):
        others = [k for k in range(3) if k != j]
        total = 0.0
        for size in range(3):
            for s in itertools.combinations(others, size):
                weight = 1 / (3 * len(list(itertools.combinations(others, size))))
                total += weight * (v(tuple(sorted((*s, j)))) - v(s))
        exact.append(total)
    ours = run(
        pd.DataFrame({"Review": [text]}), lambda f: np.tanh(bag_of_tokens(f)), num_samples=100
    ).local_units["Review"][0][:, 0]
    np.testing.assert_allclose(ours, exact, atol=EXACT)
