"""Text explanations as a job: the sample review model served over HTTP, CSV and JSON Lines.

``sample_configs/text_reviews/serve.py`` runs as a real process; its model is a
bag of words (each distinct word once) plus a linear age term, so the exact
SHAP value of a word that occurs once in a review is its weight, and of the
age ``AGE_WEIGHT · (age − 40)`` against the baseline age 40.  The requests go
through the package's own serialisation (CSV quoting of texts with commas,
quotes and line breaks; JSON Lines through ``content_template``).
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify.errors import ConfigError, DatasetError, PredictorError
from tests.sample_server import serve_sample

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "sample_configs" / "text_reviews"
DATA = SAMPLE / "reviews.csv"
#: Exact up to float64 rounding: every coalition of the short reviews is enumerated.
EXACT = 1e-9

_spec = importlib.util.spec_from_file_location("text_reviews_serve", SAMPLE / "serve.py")
assert _spec is not None and _spec.loader is not None
serve = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(serve)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_sample(SAMPLE) as url:
        yield url


def sample_config(url: str, **shap: Any) -> dict[str, Any]:
    config = json.loads((SAMPLE / "analysis_config.json").read_text())
    config["predictor"]["openclarify"]["endpoint_url"] = url
    config["methods"].pop("report")
    config["methods"]["shap"].update(shap)
    return config


def jsonlines_predictor(config: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    config["predictor"].update(
        content_type="application/jsonlines",
        accept_type="application/jsonlines",
        content_template='{"features":$features}',
        probability="score",
    )
    return config


def files(result: openclarify.AnalysisResult) -> dict[str, str]:
    return {f.path: f.content() for f in result.files}


def reviews() -> list[dict[str, str]]:
    with DATA.open(newline="") as handle:
        return list(csv.DictReader(handle))


def check_exact(document: dict[str, Any], out_jsonl: str) -> None:
    rows = reviews()
    lines = [json.loads(line) for line in out_jsonl.splitlines()]
    assert len(lines) == len(rows)
    section = document["explanations"]["kernel_shap"]["label0"]
    assert list(section) == ["global_shap_values", "expected_value", "global_top_shap_text"]
    assert list(section["global_shap_values"]) == ["Review Text", "Age"]
    assert section["expected_value"] == pytest.approx(serve.score("", 40), abs=EXACT)
    for row, line in zip(rows, lines, strict=True):
        text_entry, age_entry = line["explanations"]
        assert text_entry["feature_name"] == "Review Text"
        assert text_entry["data_type"] == "free_text"
        assert age_entry == {
            "attributions": [
                {"attribution": [pytest.approx(serve.AGE_WEIGHT * (float(row["Age"]) - 40))]}
            ],
            "data_type": "numerical",
            "feature_name": "Age",
        }
        text = row["Review Text"]
        words = [w.lower() for w in serve.WORD.findall(text)]
        total = 0.0
        for unit in text_entry["attributions"]:
            partial, start = unit["description"]["partial_text"], unit["description"]["start_idx"]
            assert text[start : start + len(partial)] == partial
            value = unit["attribution"][0]
            total += value
            if partial.isalpha() and words.count(partial.lower()) == 1:
                assert value == pytest.approx(serve.WEIGHTS.get(partial.lower(), 0.0), abs=EXACT)
        # efficiency: units + age + expected value = the model's score of the review
        score = serve.score(text, float(row["Age"]))
        assert total + age_entry["attributions"][0]["attribution"][0] + section[
            "expected_value"
        ] == pytest.approx(score, abs=EXACT)


def test_csv_requests_give_the_closed_form_values(server: str) -> None:
    result = openclarify.analyze(sample_config(server), DATA)
    written = files(result)
    assert sorted(written) == ["explanations_shap/baseline.csv", "explanations_shap/out.jsonl"]
    assert written["explanations_shap/baseline.csv"] == ",40\n"  # read back: empty text
    check_exact(result.to_dict(), written["explanations_shap/out.jsonl"])
    # the out.jsonl lines are written with sorted keys, as Clarify's file shows
    first = written["explanations_shap/out.jsonl"].splitlines()[0]
    assert first.startswith('{"explanations": [{"attributions": [{"attribution": [')


def json_predictor(config: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    config["predictor"].update(
        content_type="application/json",
        accept_type="application/json",
        content_template='{"instances":$records}',
        record_template="$features",
        probability="predictions[*].score",
    )
    return config


@pytest.mark.parametrize("predictor", [jsonlines_predictor, json_predictor])
def test_json_requests_give_the_same_bytes_as_csv(server: str, predictor: Any) -> None:
    by_csv = openclarify.analyze(sample_config(server), DATA)
    by_json = openclarify.analyze(predictor(sample_config(server)), DATA)
    assert by_json.to_dict() == by_csv.to_dict()
    assert files(by_json) == files(by_csv)


def test_top_tokens_are_the_weights_of_the_words(server: str) -> None:
    document = openclarify.analyze(sample_config(server), DATA).to_dict()
    top = document["explanations"]["kernel_shap"]["label0"]["global_top_shap_text"]["Review Text"]
    assert len(top) == 50
    assert list(top.values()) == sorted(top.values(), reverse=True)
    assert top["love"] == pytest.approx(serve.WEIGHTS["love"], abs=EXACT)
    assert top["returned"] == pytest.approx(abs(serve.WEIGHTS["returned"]), abs=EXACT)


def test_join_column_value_is_in_each_line(server: str, tmp_path: Path) -> None:
    rows = reviews()
    data = tmp_path / "with_id.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "Review Text", "Age", "Recommended"])
        for i, row in enumerate(rows):
            writer.writerow([f"r{i}", row["Review Text"], row["Age"], row["Recommended"]])
    config = sample_config(server)
    config["headers"] = ["id", "Review Text", "Age", "Recommended"]
    config["joinsource_name_or_index"] = "id"
    lines = files(openclarify.analyze(config, data))["explanations_shap/out.jsonl"].splitlines()
    assert [json.loads(line)["join_source_value"] for line in lines] == [
        f"r{i}" for i in range(len(rows))
    ]
    assert list(json.loads(lines[0])) == ["explanations", "join_source_value"]


def test_sentence_and_paragraph_units_get_the_sum_of_their_words(
    server: str, tmp_path: Path
) -> None:
    data = tmp_path / "two.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [["I love it. It is itchy, though.\n\nNot soft!", 40, 1], ["Great fit!", 40, 1]]
    )
    data.write_text(buffer.getvalue())
    expected = {
        "sentence": [("I love it.", 0, 0.30), ("It is itchy, though.", 11, -0.20),
                     ("Not soft!", 33, -0.05)],
        "paragraph": [("I love it. It is itchy, though.", 0, 0.10), ("Not soft!", 33, -0.05)],
    }  # fmt: skip
    for granularity, units in expected.items():
        config = sample_config(
            server, text_config={"granularity": granularity, "language": "english"}
        )
        out = files(openclarify.analyze(config, data))["explanations_shap/out.jsonl"]
        got = json.loads(out.splitlines()[0])["explanations"][0]["attributions"]
        assert [(u["description"]["partial_text"], u["description"]["start_idx"]) for u in got] == [
            (t, s) for t, s, _ in units
        ]
        for unit, (_, _, weight) in zip(got, units, strict=True):
            assert unit["attribution"][0] == pytest.approx(weight, abs=EXACT)


def test_a_model_that_rejects_the_rebuilt_text_is_a_predictor_error(server: str) -> None:
    # the server refuses "[MASK]": the records pass, the texts rebuilt with it do not
    config = sample_config(server, baseline=[["[MASK]", 40]])
    with pytest.raises(PredictorError) as caught:
        openclarify.analyze(config, DATA)
    assert "400" in str(caught.value)


def test_the_config_the_sdk_wrote_for_clarify_runs_unchanged(server: str, tmp_path: Path) -> None:
    # the analysis config printed by a real Clarify text run (sentence granularity, the
    # text column alone, baseline "<UNK>"), only the model's address changed
    data = tmp_path / "reviews.csv"
    texts = [row["Review Text"] for row in reviews()]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([t] for t in texts)
    data.write_text(buffer.getvalue())
    config = {
        "dataset_type": "text/csv",
        "headers": ["Review Text"],
        "predictor": {
            "accept_type": "text/csv",
            "content_type": "text/csv",
            "openclarify": {"endpoint_url": server},
        },
        "methods": {
            "report": {"name": "report", "title": "Analysis Report"},
            "shap": {
                "use_logit": False,
                "save_local_shap_values": True,
                "baseline": [["<UNK>"]],
                "num_samples": 1000,
                "agg_method": "mean_abs",
                "text_config": {"granularity": "sentence", "language": "english"},
            },
        },
    }
    result = openclarify.analyze(config, data)
    section = result.to_dict()["explanations"]["kernel_shap"]["label0"]
    assert section["expected_value"] == pytest.approx(serve.score("<UNK>", 40), abs=EXACT)
    lines = files(result)["explanations_shap/out.jsonl"].splitlines()
    assert files(result)["explanations_shap/baseline.csv"] == "<UNK>\n"
    for text, line in zip(texts, lines, strict=True):
        (entry,) = json.loads(line)["explanations"]
        total = sum(u["attribution"][0] for u in entry["attributions"])
        assert total + section["expected_value"] == pytest.approx(serve.score(text, 40), abs=EXACT)


def test_text_config_without_a_text_column_is_a_config_error(server: str, tmp_path: Path) -> None:
    data = tmp_path / "numbers.csv"
    data.write_text("1,2,0\n3,4,1\n5,6,0\n")
    config = sample_config(server)
    config["headers"] = ["Review Text", "Age", "Recommended"]
    config["methods"]["shap"]["baseline"] = [[0, 40]]
    with pytest.raises(ConfigError) as caught:
        openclarify.analyze(config, data)
    assert "no feature column holds free text" in str(caught.value)
    assert "'Review Text' (numerical)" in str(caught.value)


def test_mixed_types_in_a_text_column_is_a_dataset_error(server: str, tmp_path: Path) -> None:
    data = tmp_path / "mixed.jsonl"
    records = [{"t": "I love it so much", "a": 40}, {"t": 17, "a": 30}, {"t": "not great", "a": 50}]
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    config = {
        "dataset_type": "application/jsonlines",
        "headers": ["Review Text", "Age"],
        "features": "[t, a]",
        "predictor": jsonlines_predictor(sample_config(server))["predictor"],
        "methods": {
            "shap": {
                "baseline": [{"t": "", "a": 40}],
                "text_config": {"granularity": "token", "language": "en"},
            }
        },
    }
    with pytest.raises(DatasetError, match=r"column 'Review Text', row 1: holds free text"):
        openclarify.analyze(config, data)


def test_five_thousand_tokens_is_a_dataset_error(server: str, tmp_path: Path) -> None:
    data = tmp_path / "long.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["short text here", 40, 1], [" ".join(["soft"] * 5000), 41, 0]])
    data.write_text(buffer.getvalue())
    with pytest.raises(DatasetError, match=r"column 'Review Text', row 1: has 5001 text units"):
        openclarify.analyze(sample_config(server), data)


@pytest.mark.parametrize(
    ("change", "where", "text"),
    [
        ({"features_to_explain": ["Age"]}, "features_to_explain", "is not supported for datasets"),
        ({"text_config": {"granularity": "token", "language": "klingon"}}, "language", "language"),
    ],
)
def test_refused_before_any_data_is_read(change: dict[str, Any], where: str, text: str) -> None:
    config = sample_config("http://127.0.0.1:9")  # never called
    config["methods"]["shap"].update(change)
    with pytest.raises(ConfigError) as caught:
        openclarify.analyze(config, DATA)
    assert where in caught.value.where and text in str(caught.value)


def test_pdp_needs_its_features_listed_with_text_explanations() -> None:
    config = sample_config("http://127.0.0.1:9")
    config["methods"]["pdp"] = {"top_k_features": 2}
    with pytest.raises(ConfigError, match=r"methods\.pdp\.features: is required with text"):
        openclarify.analyze(config, DATA)


def test_pdp_of_a_listed_feature_runs_after_text_explanations(server: str) -> None:
    config = sample_config(server)
    config["methods"]["pdp"] = {"features": ["Age"], "grid_resolution": 3}
    explanations = openclarify.analyze(config, DATA).to_dict()["explanations"]
    assert list(explanations) == ["kernel_shap", "pdp"]
    (plot,) = explanations["pdp"]
    assert plot["feature_name"] == "Age" and len(plot["model_predictions"][0]) == 3
