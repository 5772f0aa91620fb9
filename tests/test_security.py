"""Security properties stated in SECURITY.md, each tested here.

* In container mode a config cannot make the job read outside the Processing
  folder (``/opt/ml/processing``): absolute paths, ``..`` and symbolic links that
  lead out are refused before anything is read.
* No code is loaded from a config or a dataset unless the config opts in
  (``predictor.openclarify.allow_code_execution: true``).
* Credentials, environment values and dataset values never reach the logs or the
  exit message — also when a model echoes the request back in its error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openclarify.cli import main

from .test_container import CASE, REPO_SRC, contract_config, layout, message, output_files

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
DATA_SECRET = "TOPSECRET-4711"


def run_container(base: Path) -> int:
    return main(["container", "--base-dir", str(base)])


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("facet_dataset_uri", "/etc/hostname"),
        ("facet_dataset_uri", "../../../../../../etc/hostname"),
        ("predicted_label_dataset_uri", "/etc/passwd"),
        ("dataset_uri", "/etc/passwd"),
    ],
)
def test_config_paths_cannot_leave_the_processing_folder(
    tmp_path: Path, key: str, value: str
) -> None:
    config = contract_config()
    config[key] = value
    base = layout(tmp_path / "ml", config, None if key == "dataset_uri" else CASE / "data")
    assert run_container(base) == 3
    root = (base / "processing").resolve()
    assert message(base) == (
        f"ClientError: $.{key}: the path leaves the job's input folder {root}. "
        f"Fix: give a path under {root} (a ProcessingInput destination)"
    )
    assert output_files(base) == []


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    config = contract_config()
    config["facet_dataset_uri"] = "facets.csv"  # next to the config: looks harmless
    base = layout(tmp_path / "ml", config, CASE / "data")
    outside = tmp_path / "outside.csv"
    outside.write_text("f\n1\n")
    (base / "processing" / "input" / "config" / "facets.csv").symlink_to(outside)
    assert run_container(base) == 3
    assert "$.facet_dataset_uri: the path leaves the job's input folder" in message(base)


def test_paths_inside_the_folder_are_fine(tmp_path: Path) -> None:
    config = contract_config()
    config["dataset_uri"] = "../data/contract_vector.csv"  # relative to the config folder
    base = layout(tmp_path / "ml", config, CASE / "data")
    shutil.move(base / "processing" / "input" / "data", base / "processing" / "input" / "x")
    (base / "processing" / "input" / "data").mkdir()
    shutil.move(base / "processing" / "input" / "x", base / "processing" / "input" / "data" / "d")
    config["dataset_uri"] = "../data/d/contract_vector.csv"
    (base / "processing" / "input" / "config" / "analysis_config.json").write_text(
        json.dumps(config)
    )
    shutil.rmtree(base / "processing" / "input" / "data")  # only dataset_uri can find it now
    (base / "processing" / "input" / "data" / "d").mkdir(parents=True)
    shutil.copy(
        CASE / "data" / "contract_vector.csv",
        base / "processing" / "input" / "data" / "d" / "contract_vector.csv",
    )
    assert run_container(base) == 0, message(base)


def test_shap_baseline_and_model_paths_are_confined_too(tmp_path: Path) -> None:
    import joblib

    from tests.explain import models

    for key, value, where in (
        ("baseline", "/etc/passwd", "$.methods.shap.baseline"),
        ("model", "/etc/passwd", "$.predictor.openclarify.model_path"),
    ):
        config: dict[str, Any] = contract_config()
        config["predictor"] = {
            "openclarify": {"model_path": "model.joblib", "allow_code_execution": True}
        }
        config["methods"] = {"shap": {"baseline": [[0, 0, 0]]}}
        if key == "baseline":
            config["methods"]["shap"]["baseline"] = value
        else:
            config["predictor"]["openclarify"]["model_path"] = value
        base = layout(tmp_path / key, config, CASE / "data")
        # a loadable model: the baseline is resolved after the model is opened
        joblib.dump(
            models.additive_model, base / "processing" / "input" / "config" / "model.joblib"
        )
        code = run_container(base)
        assert code == 3 and f"{where}: the path leaves the job's input folder" in message(base)


def test_no_code_is_loaded_without_the_opt_in(tmp_path: Path) -> None:
    import joblib

    marker = tmp_path / "code-ran"
    joblib.dump(_Booby(str(marker)), tmp_path / "model.joblib")
    config = contract_config()
    config["predictor"] = {"openclarify": {"model_path": str(tmp_path / "model.joblib")}}
    config["methods"] = {"post_training_bias": {"methods": ["DPPL"]}}
    del config["predicted_label"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    dataset = CASE / "data" / "contract_vector.csv"
    assert (
        main(
            [
                "analyze",
                "--config",
                str(path),
                "--dataset",
                str(dataset),
                "--output",
                str(tmp_path / "out"),
            ]
        )
        == 3
    )
    assert not marker.exists()


class _Booby:
    """Unpickling this object would create a file (the proof that code ran)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path(self.path).touch, ())


def test_secrets_never_reach_logs_or_the_exit_message(tmp_path: Path) -> None:
    """A model that echoes the request in its error, credentials in the environment."""
    import threading
    from http.server import ThreadingHTTPServer

    from tests.emulator.model import SklearnModel
    from tests.predict.conftest import (
        ModelServer,
        _handler,  # the test model server
    )

    state = ModelServer(model=SklearnModel())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        rows = ["f,g,x1,y,secret"] + [
            f"{i % 2},{i % 3},{i},{(i + 1) % 2},{DATA_SECRET}" for i in range(30)
        ]
        config = {
            "dataset_type": "text/csv",
            "label": "y",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "f", "value_or_threshold": [1]}],
            "predictor": {
                "content_type": "text/csv",
                "accept_type": "text/csv",
                "openclarify": {"endpoint_url": f"http://127.0.0.1:{server.server_address[1]}"},
            },
            "methods": {"post_training_bias": {"methods": "all"}},
        }
        base = layout(tmp_path / "ml", config, "\n".join(rows) + "\n")
        # every request fails with a 400 whose body repeats what was sent
        state.answer(400, ("bad input: " + ",".join(["1", "2", DATA_SECRET] * 3)).encode(), 50)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_SRC),
            "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        }
        done = subprocess.run(
            [sys.executable, "-m", "openclarify", "container", "--base-dir", str(base)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 5, done.stderr
    logs = done.stdout + done.stderr
    text = message(base)
    assert text.startswith("ClientError: ")
    for secret in (DATA_SECRET, AWS_SECRET, "AKIAIOSFODNN7EXAMPLE"):
        assert secret not in logs and secret not in text
    assert "Traceback" not in logs


@pytest.mark.parametrize("name", ["../../escaped", "sub/report", ".hidden", "a\\b"])
def test_report_name_cannot_write_outside_the_output_folder(tmp_path: Path, name: str) -> None:
    config = contract_config()
    config["methods"]["report"] = {"name": name}
    base = layout(tmp_path / "ml", config, CASE / "data")
    assert run_container(base) == 3
    assert message(base).startswith("ClientError: $.methods.report.name: ")
    assert "must be a plain file name" in message(base)
    assert output_files(base) == []
