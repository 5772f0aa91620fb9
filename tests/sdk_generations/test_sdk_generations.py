"""Configs written by nine SageMaker SDK releases (2020 to today) run unchanged.

``make_configs.py`` called the ``run_*`` methods of each release listed in
``manifest.json`` and kept the ``analysis_config.json`` each one uploaded
(``cases/<version>/<case>.json``). Here every config runs through
``openclarify.analyze`` on the dataset its job would mount (``data/``):

* bias results equal those of the same call made with the current SDK
  (``manifest.json`` ``reference``: 2.257.7), metric by metric, value by value;
* configs that call a model get only ``predictor.openclarify.endpoint_url`` added
  (README "Models": what a user adds to run a config offline) and point at the sample
  model, ``sample_configs/local_model_server/serve.py`` for CSV requests, and the same
  scoring rule behind a JSON / JSON Lines front for the configs whose model reads JSON,
  and a linear forecaster (``tests/explain/asymmetric/forecaster.py``) for the time-series ones;
* explanations equal the reference's where a release wrote the same SHAP / PDP settings;
* one config per release also runs through the container entry point.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import math
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import cache
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify.cli import main as cli_main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES = HERE / "cases"
DATA = HERE / "data"
SERVE = ROOT / "sample_configs" / "local_model_server" / "serve.py"
MANIFEST: dict[str, Any] = json.loads((HERE / "manifest.json").read_text())
REFERENCE: str = MANIFEST["reference"]
RELEASES: dict[str, Any] = MANIFEST["releases"]
ALL = [(version, name) for version, release in RELEASES.items() for name in release["cases"]]


BIAS_SECTIONS = ("pre_training_bias_metrics", "post_training_bias_metrics")
METHOD_SECTIONS = {
    "pre_training_bias": "pre_training_bias_metrics",
    "post_training_bias": "post_training_bias_metrics",
    "shap": "kernel_shap",
    "pdp": "pdp",
    "asymmetric_shapley_value": "asymmetric_shapley_value",
}
#: The model kind of configs with a ``time_series_data_config``: a forecaster.
TIME_SERIES = "time series"


def case(version: str, name: str) -> dict[str, Any]:
    entry: dict[str, Any] = RELEASES[version]["cases"][name]
    return entry


def config(version: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CASES / version / f"{name}.json").read_text())
    return loaded


def _is_bias(cfg: dict[str, Any]) -> bool:
    return any(f"{stage}_training_bias" in cfg["methods"] for stage in ("pre", "post"))


def _same_explain_settings(version: str, name: str) -> bool:
    if version == REFERENCE or name not in RELEASES[REFERENCE]["cases"]:
        return False
    ours, theirs = config(version, name), config(REFERENCE, name)
    keys = ("shap", "pdp")
    return any(k in ours["methods"] for k in keys) and all(
        ours["methods"].get(k) == theirs["methods"].get(k) for k in keys
    )


BIAS_CASES = [
    pytest.param(v, n, id=f"{v}/{n}") for v, n in ALL if v != REFERENCE and _is_bias(config(v, n))
]
EXPLAIN_CASES = [pytest.param(v, n, id=f"{v}/{n}") for v, n in ALL if _same_explain_settings(v, n)]


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def csv_model() -> Iterator[str]:
    """``serve.py`` itself on a free port of 127.0.0.1 (it prints the address it serves)."""
    server = subprocess.Popen(
        [sys.executable, str(SERVE), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("serving on http://127.0.0.1:"), line
        yield line.split()[-1]
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


def _sample_model() -> Any:
    spec = importlib.util.spec_from_file_location("openclarify_sample_serve", SERVE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def json_model() -> Iterator[str]:
    """The sample model's scoring rule, for requests in JSON Lines and JSON.

    ``application/jsonlines``: one ``{"features": [...]}`` per line, one ``{"score": p}``
    per line back. ``application/json``: ``{"instances": [record, ...]}`` with records
    as feature lists or ``{name: value}`` objects, ``{"predictions": [{"score": p}, ...]}``
    back. Features in the order ``serve.py`` reads them.
    """
    serve = _sample_model()
    names = ["Gender", "Age", "EducationLevel", "YearsEmployed"]
    names += ["AnnualIncome", "DebtToIncome", "CreditScore", "LoanAmount"]

    def score(features: list[Any] | dict[str, Any]) -> float:
        values = [features[n] for n in names] if isinstance(features, dict) else features
        assert len(values) == serve.FEATURES, values
        result: float = serve.approval_probability([str(v) for v in values])
        return result

    class Handler(serve.Handler):  # type: ignore[name-defined]  # a module loaded by path
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("application/jsonlines"):
                lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                out = "".join(json.dumps({"score": score(r["features"])}) + "\n" for r in lines)
            elif kind.startswith("application/json"):
                records = json.loads(body)["instances"]
                out = json.dumps({"predictions": [{"score": score(r)} for r in records]})
            else:
                self._answer(415, b"this front reads JSON Lines and JSON")
                return
            self._answer(200, out.encode(), kind.split(";")[0])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def forecaster() -> Iterator[str]:
    """A linear forecaster for the time-series configs (DeepAR records, ``predictions[*].mean``)."""
    from tests.explain.asymmetric.forecaster import forecast_server

    with forecast_server() as running:
        yield running.url


@pytest.fixture(scope="module")
def models(csv_model: str, json_model: str, forecaster: str) -> dict[str, str]:
    return {
        "text/csv": csv_model,
        "application/jsonlines": json_model,
        "application/json": json_model,
        TIME_SERIES: forecaster,
    }


def offline(version: str, name: str, models: dict[str, str]) -> dict[str, Any]:
    """The config as a user runs it offline: ``predictor.openclarify`` added, nothing else."""
    cfg = config(version, name)
    kind = case(version, name)["model"]
    if kind is not None:
        kind = TIME_SERIES if "time_series_data_config" in cfg else kind
        cfg["predictor"]["openclarify"] = {"endpoint_url": models[kind]}
    return cfg


@cache
def _analysis(version: str, name: str, url_csv: str, url_json: str, url_ts: str) -> dict[str, Any]:
    models = {"text/csv": url_csv, "application/jsonlines": url_json, "application/json": url_json}
    models[TIME_SERIES] = url_ts
    dataset = DATA / case(version, name)["dataset"]
    result: dict[str, Any] = openclarify.analyze(offline(version, name, models), dataset).to_dict()
    return result


def analysis(version: str, name: str, models: dict[str, str]) -> dict[str, Any]:
    """``analysis.json`` of one case (each case is analysed once per module)."""
    urls = (models["text/csv"], models["application/json"], models[TIME_SERIES])
    return copy.deepcopy(_analysis(version, name, *urls))


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


def test_generations_span_v2_and_v3() -> None:
    v2 = [v for v in RELEASES if v.startswith("2.")]
    v3 = [v for v in RELEASES if v.startswith("3.")]
    assert len(v2) >= 6 and v3, list(RELEASES)
    assert v2[0] == "2.19.0" and REFERENCE in v2
    on_disk = {(p.parent.name, p.stem) for p in CASES.glob("*/*.json")}
    assert on_disk == set(ALL)
    for version, name in ALL:
        assert (DATA / case(version, name)["dataset"]).is_file(), (version, name)
        assert case(version, name)["call"].startswith(f"processor.{case(version, name)['method']}(")


@pytest.mark.parametrize(("version", "name"), [pytest.param(v, n, id=f"{v}/{n}") for v, n in ALL])
def test_config_runs_unchanged(version: str, name: str, models: dict[str, str]) -> None:
    original = config(version, name)
    cfg = offline(version, name, models)
    if "predictor" in cfg:
        cfg["predictor"].pop("openclarify", None)
    assert cfg == original  # the one change a user makes to run offline
    result = analysis(version, name, models)
    for method, section in METHOD_SECTIONS.items():
        if method not in original["methods"]:
            continue
        if method in ("shap", "pdp", "asymmetric_shapley_value"):
            assert section in result["explanations"], (method, list(result["explanations"]))
        else:
            groups = result[section]["facets"]["Gender"]
            assert [g["value_or_threshold"] for g in groups] == ["Female"]
            values = [m["value"] for m in groups[0]["metrics"] if m.get("value") is not None]
            assert values and all(math.isfinite(v) for v in values if isinstance(v, float))
    if "asymmetric_shapley_value" in original["methods"]:
        asv = original["methods"]["asymmetric_shapley_value"]
        assert result["explanations"]["asymmetric_shapley_value"] == {
            "direction": asv["direction"],
            "granularity": asv["granularity"],
            "explanation_results_path": (
                f"asymmetric_shapley_value/{asv['granularity']}_{asv['direction']}/out.jsonl"
            ),
        }
    if "segment_config" in original:
        # N listed segments plus __default__, each with the whole-dataset sections' keys
        for entry, written in zip(
            original["segment_config"], result["segment_analysis"], strict=True
        ):
            segments = written["segments"]
            assert len(segments) == len(entry["segments"]) + 1
            assert segments[-1]["segment"] == "__default__"
            assert sum(s["num_records"] for s in segments) > 0
            for segment in segments:
                assert set(BIAS_SECTIONS) & set(segment) == set(BIAS_SECTIONS) & set(result)
    if "shap" in original["methods"]:
        shap = result["explanations"]["kernel_shap"]
        (label,) = shap
        attributions = shap[label]["global_shap_values"]
        assert set(attributions) == set(original["headers"]) - {"Approved"}


@pytest.mark.parametrize(("version", "name"), BIAS_CASES)
def test_bias_equals_current_sdk(version: str, name: str, models: dict[str, str]) -> None:
    ours = analysis(version, name, models)
    current = analysis(REFERENCE, name, models)
    for section in BIAS_SECTIONS:
        assert (section in ours) == (section in current), section
        if section in ours:
            assert ours[section] == current[section], (version, name, section)


@pytest.mark.parametrize(("version", "name"), EXPLAIN_CASES)
def test_explanations_equal_current_sdk(version: str, name: str, models: dict[str, str]) -> None:
    ours = analysis(version, name, models)
    current = analysis(REFERENCE, name, models)
    assert ours["explanations"] == current["explanations"]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("pre_training_bias", "pre_training_bias_headerless"),
        ("pre_training_bias", "pre_training_bias_jsonlines"),
        ("pre_training_bias", "pre_training_bias_json"),
        ("post_training_bias_model_name", "post_training_bias_endpoint_name"),
        ("post_training_bias_model_name", "post_training_bias_jsonlines_model"),
        ("post_training_bias_model_name", "post_training_bias_json_model"),
        ("bias_model_name", "bias_excluded_columns"),
    ],
)
def test_formats_agree(one: str, other: str, models: dict[str, str]) -> None:
    """The same rows and the same model in another format or request shape: same metrics."""
    assert analysis(REFERENCE, one, models) == analysis(REFERENCE, other, models)


@pytest.mark.parametrize(
    "other", ["explainability_shap_jsonlines_model", "explainability_shap_json_dataset"]
)
def test_explanations_agree_across_formats(other: str, models: dict[str, str]) -> None:
    """SHAP of the same model through JSON Lines / JSON requests equals the CSV one."""
    csv = analysis(REFERENCE, "explainability_shap_model_name", models)["explanations"]
    assert analysis(REFERENCE, other, models)["explanations"] == csv


@pytest.mark.parametrize("threshold", [0.6, 0.5])
def test_probability_threshold_is_applied(
    threshold: float, tmp_path: Path, models: dict[str, str]
) -> None:
    """Model scores become labels with ``score > probability_threshold`` (top level, 0.6 in
    every release's config): the model path equals a predicted-label column made so."""
    serve = _sample_model()
    rows = (DATA / "loans_scored.csv").read_text().splitlines()
    header, body = rows[0].split(","), [r.split(",") for r in rows[1:]]
    at = header.index("Prediction")
    for r in body:
        r[at] = str(int(serve.approval_probability(r[: serve.FEATURES]) > threshold))
    scored = tmp_path / "loans_scored.csv"
    scored.write_text("\n".join(",".join(r) for r in [header, *body]) + "\n")
    by_column = openclarify.analyze(config(REFERENCE, "post_training_bias_predicted_label"), scored)
    by_model = analysis(REFERENCE, "post_training_bias_model_name", models)
    same = (
        by_column.to_dict()["post_training_bias_metrics"] == by_model["post_training_bias_metrics"]
    )
    assert same == (threshold == 0.6)


@pytest.mark.parametrize("version", list(RELEASES))
def test_container_entry_point(version: str, tmp_path: Path, models: dict[str, str]) -> None:
    """``bias_model_name`` of each release as a Processing job lays it out."""
    config_dir = tmp_path / "processing" / "input" / "config"
    config_dir.mkdir(parents=True)
    cfg = offline(version, "bias_model_name", models)
    (config_dir / "analysis_config.json").write_text(json.dumps(cfg))
    data_dir = tmp_path / "processing" / "input" / "data"
    data_dir.mkdir(parents=True)
    (data_dir / "loans.csv").write_bytes((DATA / "loans.csv").read_bytes())
    assert cli_main(["container", "--base-dir", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "processing" / "output" / "analysis.json").read_text())
    assert {k: written[k] for k in BIAS_SECTIONS} == {
        k: analysis(version, "bias_model_name", models)[k] for k in BIAS_SECTIONS
    }
