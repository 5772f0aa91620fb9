"""SDK-generated SHAP and PDP configs (``sdk/``) run unchanged against the emulator.

Each run through an endpoint must give the same explanations as the same
settings evaluated with the emulator's model called directly in this process
(:func:`tests.predict.data.expected_scores`).  Features travel in their
shortest exact text form and scores come back the same way, so the model sees
bit-identical inputs; the only difference allowed is float summation order in
the model (the emulator scores batches of a different size), hence 1e-12.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify.config import load_config
from openclarify.data.table import load_bias_table
from openclarify.explain.analysis import explanations_for
from tests.emulator import DEFAULT_ENDPOINT_NAME, Emulator
from tests.predict.data import FEATURES, assert_same_analysis, expected_scores, frame, write

SDK = Path(__file__).parent / "sdk"
CASES = ["pdp_endpoint_json", "shap_endpoint_csv", "shap_pdp_shadow_jsonlines"]
N_ROWS = 60  # enough for clustering and PDP buckets; keeps SHAP's model rows small


def direct(path: Path, dataset: Path) -> dict[str, Any]:
    """The explanations with the model called in-process (no endpoint)."""
    config = load_config(path)
    table = load_bias_table(config, dataset)

    def scores(rows: pd.DataFrame) -> np.ndarray:
        return expected_scores(rows[FEATURES])[:, None]

    result: dict[str, Any] = explanations_for(config, table, scores).section()
    return result


@pytest.mark.parametrize("case", CASES)
def test_sdk_explain_config_runs_unchanged(case: str, tmp_path: Path, emulator: Emulator) -> None:
    emulator.creating_describes = 0
    path = SDK / case / "analysis_config.json"
    dataset = write(tmp_path / "rows.csv", frame(N_ROWS))
    out = tmp_path / "out"
    result = openclarify.run(path, dataset, out)
    document = json.loads((out / "analysis.json").read_text())
    assert document == result.to_dict()
    assert_same_analysis(document["explanations"], direct(path, dataset))

    config = json.loads(path.read_text())
    shap = config["methods"].get("shap")
    files = sorted(p.name for p in (out / "explanations_shap").glob("*")) if shap else []
    if shap:
        assert files == ["baseline.csv", "out.csv"]  # the SDK always sends save_local_shap_values
        local = pd.read_csv(out / "explanations_shap" / "out.csv")
        assert list(local.columns) == [f"{f}_label0" for f in FEATURES]
        assert len(local) == N_ROWS
        baseline = pd.read_csv(out / "explanations_shap" / "baseline.csv", header=None)
        assert baseline.shape == (len(shap.get("baseline", [])) or shap["num_clusters"], 4)
        if "baseline" in shap:
            np.testing.assert_array_equal(baseline.to_numpy(), np.array(shap["baseline"]))
    else:
        assert not (out / "explanations_shap").exists()
    if "pdp" in config["methods"]:
        pdp = document["explanations"]["pdp"]
        wanted = config["methods"]["pdp"].get("features")
        if wanted is None:  # top-k by global SHAP of label0, descending
            ranked = sorted(
                document["explanations"]["kernel_shap"]["label0"]["global_shap_values"].items(),
                key=lambda item: -item[1],
            )
            wanted = [name for name, _ in ranked[: config["methods"]["pdp"]["top_k_features"]]]
        assert [p["feature_name"] for p in pdp] == wanted
        for plot in pdp:
            assert len(plot["feature_values"]) == config["methods"]["pdp"]["grid_resolution"]
            assert plot["label_headers"] == ["label0"]
    # the shadow endpoint was created once and deleted; existing endpoints left alone
    assert set(emulator.endpoints) == {DEFAULT_ENDPOINT_NAME}
    created = [r for r in emulator.requests if r.operation == "CreateEndpoint"]
    assert len(created) == (1 if "shadow" in case else 0)
