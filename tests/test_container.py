"""The SageMaker Processing adapter: paths, exit message, exit codes, SIGTERM.

``/opt/ml/output/message`` is what ``DescribeProcessingJob.ExitMessage`` shows:
one line, at most 1024 UTF-8 bytes, never a dataset value, and results are
all-or-nothing (no ``analysis.json`` and no temporary file after a failure).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openclarify.job
from openclarify import container
from openclarify.container import MESSAGE_LIMIT, clip_message, run_container

CASE = Path(__file__).parent / "golden" / "cases" / "contract_vector"
SECRET = "SECRET-VALUE-123"
REPO_SRC = Path(container.__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    logger = logging.getLogger("openclarify")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def layout(base: Path, config: dict[str, Any], data: Path | str | None = None) -> Path:
    """Lay out a Processing job's inputs under ``base``; ``data``: a folder or CSV text."""
    config_dir = base / "processing" / "input" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "analysis_config.json").write_text(json.dumps(config))
    target = base / "processing" / "input" / "data"
    if isinstance(data, Path):
        shutil.copytree(data, target)
    elif isinstance(data, str):
        target.mkdir(parents=True)
        (target / "data.csv").write_text(data)
    return base


def contract_config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((CASE / "analysis_config.json").read_text())
    return config


def message(base: Path) -> str:
    raw = (base / "output" / "message").read_bytes()
    assert len(raw) <= MESSAGE_LIMIT + 1  # + the final newline
    text = raw.decode("utf-8")  # valid UTF-8 or this raises
    assert text.endswith("\n") and text.count("\n") == 1
    return text[:-1]


def output_files(base: Path) -> list[str]:
    output = base / "processing" / "output"
    return sorted(p.name for p in output.iterdir()) if output.exists() else []


# --------------------------------------------------------------------------- success


def test_success_writes_analysis_and_completed_message(tmp_path: Path) -> None:
    base = layout(tmp_path, contract_config(), CASE / "data")
    assert run_container(base) == 0
    text = message(base)
    assert text.startswith("Completed:")
    assert text == "Completed: openclarify analysis ran successfully"
    assert output_files(base) == ["analysis.json", "report.html", "report.ipynb", "report.pdf"]
    document = json.loads((base / "processing" / "output" / "analysis.json").read_text())
    assert list(document) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics"]


def test_success_without_report_has_no_note(tmp_path: Path) -> None:
    config = contract_config()
    del config["methods"]["report"]
    base = layout(tmp_path, config, CASE / "data")
    assert run_container(base) == 0
    assert message(base) == "Completed: openclarify analysis ran successfully"


# --------------------------------------------------------------------------- failures


def test_config_error_is_a_client_error_with_exit_3(tmp_path: Path) -> None:
    config = contract_config()
    config["lable"] = "y"
    base = layout(tmp_path, config, CASE / "data")
    assert run_container(base) == 3
    assert message(base).startswith(
        "ClientError: $.lable: Analysis configuration schema validation error: unknown key 'lable'"
    )
    assert output_files(base) == []


def test_missing_config_file(tmp_path: Path) -> None:
    (tmp_path / "processing" / "input" / "data").mkdir(parents=True)
    assert run_container(tmp_path) == 3
    config = tmp_path / "processing" / "input" / "config" / "analysis_config.json"
    assert message(tmp_path).startswith(
        f"ClientError: {config}: analysis configuration file not found."
    )


def test_huge_error_is_clipped_to_1024_bytes(tmp_path: Path) -> None:
    config = contract_config()
    config["x" * 5000] = 1
    base = layout(tmp_path, config, CASE / "data")
    assert run_container(base) == 3
    text = message(base)  # ≤ 1024 bytes, one line, UTF-8
    # a key that is not an identifier is written in bracket notation
    assert text.startswith("ClientError: $['xxxxxxxxxx")
    assert "unknown key" in text


@pytest.mark.parametrize("char", ["x", "é", "€", "😀"])
def test_huge_name_is_elided_on_a_character_boundary(tmp_path: Path, char: str) -> None:
    # a 5000-character facet name is shortened in the middle (by characters, so a
    # multi-byte character is never cut) and the message stays one readable line
    config = contract_config()
    config["facet"][0]["name_or_index"] = char * 5000
    base = layout(tmp_path, config, CASE / "data")
    assert run_container(base) == 4
    text = message(base)  # ≤ 1024 bytes and valid UTF-8, or this raises
    assert text.startswith("ClientError: $.facet[0].name_or_index: facet column '" + char * 95)
    assert "…(5002 chars)…" in text  # the quoted name: 5000 characters and its quotes
    assert "Fix: " in text
    assert output_files(base) == []


def test_clip_message() -> None:
    assert clip_message("short\n  text\twith  spaces") == "short text with spaces"
    exact = "a" * MESSAGE_LIMIT
    assert clip_message(exact) == exact
    long = "é" * 1000  # 2000 bytes
    clipped = clip_message(long)
    assert clipped.endswith("...")
    assert len(clipped.encode("utf-8")) <= MESSAGE_LIMIT
    assert clipped == "é" * ((MESSAGE_LIMIT - 3) // 2) + "..."
    assert clip_message("€" * 10, limit=10) == "€€..."  # 3-byte chars, 7 bytes of room


CSV_WITH_SECRET = "age,race,score,y,yhat\n" + "".join(
    f"{20 + i},{['A', 'B', SECRET][i % 3]},{i * 7 % 100},{i % 2},{(i // 2) % 2}\n"
    for i in range(60)
)
PLAIN = {
    "dataset_type": "text/csv",
    "label": "y",
    "predicted_label": "yhat",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "race"}],
    "methods": {
        "pre_training_bias": {"methods": "all"},
        "post_training_bias": {"methods": "all"},
        "report": {"name": "report"},
    },
}


@pytest.mark.parametrize(
    ("changes", "exit_code", "start"),
    [
        (
            {"facet": [{"name_or_index": "nope"}]},
            4,
            "ClientError: $.facet[0].name_or_index: facet column 'nope' is not in the dataset",
        ),
        (
            {"facet": [{"name_or_index": "age"}]},
            6,
            "ClientError: $.facet[0].value_or_threshold: facet column 'age' is continuous; "
            "Threshold values must be provided for continuous features",
        ),
        (
            {"label": "score", "label_values_or_threshold": [40], "predicted_label": "race"},
            6,
            "ClientError: $.predicted_label: Predicted Label Column series datatype is not "
            "the same as Label Column series",
        ),
        (
            {"facet": [{"name_or_index": "race"}, {"name_or_index": 17}]},
            4,
            "ClientError: $.facet[1].name_or_index: facet column index 17 is out of range",
        ),
    ],
    ids=["bad-facet-name", "continuous-facet-without-threshold", "type-mismatch", "bad-index"],
)
def test_dataset_values_never_reach_the_message(
    tmp_path: Path, changes: dict[str, Any], exit_code: int, start: str
) -> None:
    base = layout(tmp_path, {**PLAIN, **changes}, CSV_WITH_SECRET)
    assert run_container(base) == exit_code
    text = message(base)
    assert text.startswith(start)
    assert SECRET not in text and "SECRET" not in text
    assert output_files(base) == []


def test_secret_dataset_succeeds_without_showing_values(tmp_path: Path) -> None:
    base = layout(tmp_path, PLAIN, CSV_WITH_SECRET)
    assert run_container(base) == 0
    assert SECRET not in message(base)
    # the value is a facet group in analysis.json (it is a result, not a message)
    analysis = (base / "processing" / "output" / "analysis.json").read_text()
    assert f'"value_or_threshold": "{SECRET}"' in analysis


def test_unexpected_exception_is_an_internal_error_without_details(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError(SECRET)

    monkeypatch.setattr(openclarify.job, "run", boom)
    base = layout(tmp_path, PLAIN, CSV_WITH_SECRET)
    assert run_container(base) == 1
    assert message(base) == "InternalError: unexpected KeyError; see the job log"


# --------------------------------------------------------------------------- SIGTERM


def test_signal_handlers_are_restored(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    base = layout(tmp_path, PLAIN, CSV_WITH_SECRET)
    assert run_container(base) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


# The child pauses at a chosen point of a real run (by wrapping one of our own
# functions, or the fsync inside the atomic write) and tells the parent, which
# then sends SIGTERM: deterministic, no reliance on the dataset being slow.
CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    import openclarify.outputs
    from openclarify.cli import main

    ready = Path(sys.argv[2])
    where = sys.argv[3]

    def pause():
        ready.write_text("ready")
        time.sleep(120)

    if where == "analysis":
        real_dumps = openclarify.outputs.dumps_analysis

        def dumps_analysis(document):
            pause()
            return real_dumps(document)

        openclarify.outputs.dumps_analysis = dumps_analysis
    elif where == "written":  # analysis.json complete, the job not yet finished
        real_write = openclarify.outputs.write_atomic

        def write_atomic(path, text):
            real_write(path, text)
            pause()

        openclarify.outputs.write_atomic = write_atomic
    else:  # while analysis.json is half written (temporary file open)
        real_fsync = os.fsync
        calls = []

        def fsync(fd):
            if not calls:
                calls.append(fd)
                pause()
            real_fsync(fd)

        os.fsync = fsync
    sys.exit(main(["container", "--base-dir", sys.argv[1]]))
    """
)


def stop_at_pause(
    base: Path, ready: Path, where: str, signum: signal.Signals, at_pause: Any
) -> tuple[int, str]:
    """Run CHILD on ``base`` until it pauses at ``where``, check, signal; (exit code, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_SRC)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(base), str(ready), where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "child never reached the pause"
            time.sleep(0.02)
        at_pause()
        child.send_signal(signum)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return child.returncode, err


@pytest.mark.parametrize(
    ("where", "signum"),
    [
        ("analysis", signal.SIGTERM),
        ("writing", signal.SIGTERM),
        ("written", signal.SIGTERM),
        ("analysis", signal.SIGINT),
    ],
)
def test_stop_signal_exits_cleanly(tmp_path: Path, where: str, signum: signal.Signals) -> None:
    base = layout(tmp_path / "ml", contract_config(), CASE / "data")
    output = base / "processing" / "output"

    def at_pause() -> None:
        if where == "writing":  # the temporary file exists at this moment
            assert [p.name for p in output.iterdir() if p.name.endswith(".tmp")]

    returncode, err = stop_at_pause(base, tmp_path / "ready", where, signum, at_pause)
    assert returncode == 128 + signum, err  # 143 for SIGTERM, 130 for SIGINT
    assert message(base) == f"Stopped: received {signum.name}; no results were written"
    assert "Traceback" not in err
    assert output_files(base) == []  # no analysis.json, no .tmp
    leftovers = [p.name for p in (base / "output").iterdir() if p.name != "message"]
    assert leftovers == []


def test_stop_removes_only_what_this_run_wrote(tmp_path: Path) -> None:
    """A file another process writes into the output folder during the run survives a stop.

    Multi-instance jobs can share one output folder (SDK local mode): a stopped host
    must remove its own partial results, never another host's.
    """
    base = layout(tmp_path / "ml", contract_config(), CASE / "data")
    foreign = base / "processing" / "output" / "from-another-host" / "analysis.json"

    def at_pause() -> None:
        foreign.parent.mkdir(parents=True)
        foreign.write_text("{}\n")

    returncode, err = stop_at_pause(base, tmp_path / "ready", "written", signal.SIGTERM, at_pause)
    assert returncode == 143, err
    assert message(base) == "Stopped: received SIGTERM; no results were written"
    assert output_files(base) == ["from-another-host"]
    assert foreign.read_text() == "{}\n"


def test_stop_after_shap_files_were_written_leaves_nothing(tmp_path: Path) -> None:
    """SIGTERM after ``explanations_shap/baseline.csv`` is written: no file, no folder left."""
    import joblib
    from sklearn.linear_model import LinearRegression

    config = contract_config()
    config["excluded_columns"] = ["g"]
    model_file = tmp_path / "model.joblib"
    joblib.dump(LinearRegression().fit([[0, 1.0], [1, 2.0], [1, 0.5]], [0.0, 1.0, 0.3]), model_file)
    config["predictor"] = {
        "openclarify": {"model_path": "model.joblib", "allow_code_execution": True}
    }
    config["methods"]["shap"] = {"num_clusters": 2, "seed": 1}
    base = layout(tmp_path / "ml", config, CASE / "data")
    shutil.copy(model_file, base / "processing" / "input" / "config" / "model.joblib")

    def at_pause() -> None:
        # the pause is right after the first output file: the SHAP baseline
        assert (base / "processing" / "output" / "explanations_shap" / "baseline.csv").exists()

    returncode, err = stop_at_pause(base, tmp_path / "ready", "written", signal.SIGTERM, at_pause)
    assert returncode == 143, err
    assert message(base) == "Stopped: received SIGTERM; no results were written"
    assert output_files(base) == []
