"""Multi-instance jobs: two containers of the image form one Spark standalone cluster.

SageMaker starts every host of an ``instance_count > 1`` job from the same image, with
``/opt/ml/config/resourceconfig.json`` naming the host and all hosts; host names
resolve between the hosts. ``algo-1`` leads (master, worker, driver; it alone writes
the results), the others lend a worker (``src/openclarify/backend/cluster.py``).

Two ways of starting such a job are tested:

* two plain containers on a user-defined Docker network, named ``algo-1`` and
  ``algo-2`` as on SageMaker, each with its own ``/opt/ml`` folder holding the same
  inputs;
* the SageMaker SDK's local mode with ``instance_count=2``, which does the same with
  ``docker-compose`` on its ``sagemaker-local`` network (hosts ``algo-1-<id>``,
  ``algo-2-<id>``).

Either way the leader's ``analysis.json`` must be byte-identical to the one a single
container writes from the same inputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from .conftest import (
    SAMPLES,
    docker_run,
    lay_out,
    message,
    network_model_server,
    outputs,
    remove_network,
    run_sdk_driver,
)

LOANS = SAMPLES / "post_training_predicted_label_csv" / "loans_scored.csv"
HOSTS = ["algo-1", "algo-2"]
REPORTS = ("report.html", "report.ipynb", "report.pdf")
#: Bounds every wait of the cluster (the default is 300 s).
JOIN_TIMEOUT_S = 90
JOB_TIMEOUT_S = 180


def loans_parts(folder: Path, rows: int = 400, parts: int = 4) -> list[str]:
    """The sample loans (with a Prediction column) as headerless part files; the headers."""
    frame = pd.read_csv(LOANS).head(rows)
    folder.mkdir(parents=True)
    size = -(-rows // parts)
    for i in range(parts):
        chunk = frame.iloc[i * size : (i + 1) * size]
        chunk.to_csv(folder / f"part-{i:05d}.csv", index=False, header=False)
    return frame.columns.to_list()


def cluster_config(headers: list[str], model_url: str) -> dict[str, Any]:
    """Bias from the Prediction column, SHAP and PDP through the model server.

    No report (the SDK test below has them): rendering adds seconds, not coverage.
    """
    return {
        "dataset_type": "text/csv",
        "headers": headers,
        "label": "Approved",
        "predicted_label": "Prediction",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Gender", "value_or_threshold": ["Female"]}],
        "group_variable": "EducationLevel",
        "predictor": {
            "content_type": "text/csv",
            "accept_type": "text/csv",
            "openclarify": {"endpoint_url": model_url},
        },
        "methods": {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
            "shap": {
                "num_samples": 40,
                "num_clusters": 2,
                "seed": 3,
                "save_local_shap_values": True,
            },
            "pdp": {"features": ["Age", "CreditScore"], "grid_resolution": 5},
        },
    }


def host_layout(base: Path, config: dict[str, Any], data: Path | None, host: str | None) -> Path:
    """A host's ``/opt/ml``: the job's inputs, and its ``resourceconfig.json`` when given."""
    lay_out(base, config, None)
    if data is not None:
        shutil.copytree(data, base / "processing" / "input" / "data")
    if host is not None:
        resource = base / "config" / "resourceconfig.json"
        resource.parent.mkdir(parents=True)
        resource.write_text(
            json.dumps({"current_host": host, "hosts": HOSTS, "network_interface_name": "eth0"})
        )
    return base


@pytest.fixture
def network(image: str) -> Iterator[str]:
    """A user-defined network of our own, removed after the test."""
    name = f"openclarify-cluster-{uuid.uuid4().hex[:10]}"
    subprocess.run(
        ["docker", "network", "create", name], check=True, capture_output=True, timeout=60
    )
    try:
        yield name
    finally:
        remove_network(name)


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def run_cluster(image: str, network: str, bases: dict[str, Path]) -> dict[str, tuple[int, str]]:
    """Start one container per host, wait for all; each host's exit code and log."""
    prefix = f"openclarify-{uuid.uuid4().hex[:8]}"
    names = {host: f"{prefix}-{host}" for host in bases}
    try:
        for host, base in bases.items():
            started = _docker(
                "run",
                "-d",
                "--name",
                names[host],
                "--hostname",
                host,
                "--network",
                network,
                "--network-alias",
                host,
                "-e",
                f"OPENCLARIFY_CLUSTER_JOIN_TIMEOUT={JOIN_TIMEOUT_S}",
                "-v",
                f"{base}:/opt/ml",
                image,
            )
            assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + JOB_TIMEOUT_S
        results = {}
        for host, name in names.items():
            left = max(1.0, deadline - time.monotonic())
            waited = _docker("wait", name, timeout=left)
            log = _docker("logs", name)
            results[host] = (int(waited.stdout.strip()), log.stdout + log.stderr)
        return results
    finally:
        _docker("rm", "-f", *names.values())


def test_two_containers_on_a_network_give_the_single_instance_bytes(
    image: str, network: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    headers = loans_parts(data)
    with network_model_server(image, network) as model_url:
        config = cluster_config(headers, model_url)
        single = host_layout(tmp_path / "single", config, data, host=None)
        alone = docker_run(image, single, network=network, timeout=JOB_TIMEOUT_S)
        assert alone.code == 0, alone.stderr[-3000:]
        bases = {h: host_layout(tmp_path / h, config, data, host=h) for h in HOSTS}
        results = run_cluster(image, network, bases)

    leader_code, leader_log = results["algo-1"]
    follower_code, follower_log = results["algo-2"]
    assert (leader_code, follower_code) == (0, 0), leader_log[-3000:] + follower_log[-3000:]
    assert "Spark workers of all 2 hosts joined" in leader_log
    assert "Joining the Spark master of algo-1 at spark://algo-1:7077" in follower_log
    assert message(bases["algo-1"]) == "Completed: openclarify analysis ran successfully"
    assert message(bases["algo-2"]) == (
        "Completed: openclarify analysis ran successfully; ran Spark tasks for algo-1"
    )

    expected, got = outputs(single), outputs(bases["algo-1"])
    assert sorted(got) == [
        "analysis.json",
        "explanations_shap/baseline.csv",
        "explanations_shap/out.csv",
    ]
    assert got == expected
    # the follower writes no result
    assert outputs(bases["algo-2"]) == {}


def test_sdk_local_mode_with_two_instances_gives_the_single_instance_bytes(
    image: str, sdk_python: str, moto_s3: str, local_mode_network: str, tmp_path: Path
) -> None:
    """``instance_count=2`` in local mode: one compose project, two hosts, one result.

    Local mode runs ``docker-compose up --abort-on-container-exit``: when the first
    host exits, compose stops the other one (SIGTERM); a stopped host removes only
    what it wrote itself, so the shared results survive whichever host ends first.
    """
    data = tmp_path / "parts"
    headers = loans_parts(data)
    done = run_sdk_driver(
        sdk_python,
        "bias",
        s3_url=moto_s3,
        image=image,
        work=tmp_path / "sdk",
        dataset=data,
        extra=("--instance-count", "2", "--headers", ",".join(headers)),
    )
    (run,) = done.runs
    assert run["status"] == "Completed"
    assert run["keys"] == sorted(["analysis_config.json", "analysis.json", *REPORTS])
    assert "Spark workers of all 2 hosts joined" in done.log
    assert "Joining the Spark master of algo-1-" in done.log

    folder = Path(run["folder"])
    config = json.loads((folder / "analysis_config.json").read_text())
    single = host_layout(tmp_path / "single", config, data, host=None)
    alone = docker_run(image, single, timeout=JOB_TIMEOUT_S)
    assert alone.code == 0, alone.stderr[-3000:]
    assert (folder / "analysis.json").read_bytes() == outputs(single)["analysis.json"]


def _handles_sigterm(container: str) -> bool:
    """PID 1 of ``container`` has a SIGTERM handler (``SigCgt`` of /proc/1/status)."""
    status = _docker("exec", container, "cat", "/proc/1/status")
    for line in status.stdout.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (15 - 1)))
    return False


def test_a_stopped_follower_keeps_results_it_did_not_write(image: str, tmp_path: Path) -> None:
    """What local mode does to a follower once the leader has written its results.

    The follower waits for a leader that never comes; the leader's ``analysis.json``
    appears in the (shared) output folder; then the follower is stopped, as
    ``docker-compose --abort-on-container-exit`` stops it. It must stop as asked
    (exit 143, "Stopped:") and leave the file alone: it wrote no result.
    """
    base = host_layout(tmp_path / "algo-2", {"dataset_type": "text/csv"}, None, "algo-2")
    name = f"openclarify-follower-{uuid.uuid4().hex[:8]}"
    started = _docker(
        "run", "-d", "--name", name, "--network", "none", "-v", f"{base}:/opt/ml", image
    )
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 30
        while not _handles_sigterm(name):
            assert time.monotonic() < deadline, "the follower did not start"
            time.sleep(0.05)
        leaders_result = base / "processing" / "output" / "analysis.json"
        leaders_result.parent.mkdir(parents=True)
        leaders_result.write_text('{"version": "1.0"}\n')
        stopped = _docker("stop", "--time", "20", name, timeout=60)
        assert stopped.returncode == 0, stopped.stderr
        code = _docker("inspect", "--format", "{{.State.ExitCode}}", name)
        assert (code.stdout.strip(), message(base)) == (
            "143",
            "Stopped: received SIGTERM; no results were written",
        )
        assert leaders_result.is_file(), "the follower deleted the leader's analysis.json"
        assert leaders_result.read_text() == '{"version": "1.0"}\n'
    finally:
        _docker("rm", "-f", name)


def test_text_explanations_on_two_containers_give_the_single_instance_bytes(
    image: str, network: str, tmp_path: Path
) -> None:
    """The text sample (token units, its own model server) on a two-host cluster.

    Text SHAP on Spark splits the texts on the leader and sends each task its records'
    units, so the follower needs no language data; the leader's files equal a single
    container's, reports included.
    """
    sample = SAMPLES / "text_reviews"
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(sample / "reviews.csv", data / "reviews.csv")
    config = json.loads((sample / "analysis_config.json").read_text())
    config["methods"]["shap"]["num_samples"] = 200  # seconds, not coverage
    with network_model_server(image, network, sample="text_reviews") as model_url:
        config["predictor"]["openclarify"]["endpoint_url"] = model_url
        single = host_layout(tmp_path / "single", config, data, host=None)
        alone = docker_run(image, single, network=network, timeout=JOB_TIMEOUT_S)
        assert alone.code == 0, alone.stderr[-3000:]
        bases = {h: host_layout(tmp_path / h, config, data, host=h) for h in HOSTS}
        results = run_cluster(image, network, bases)

    leader_code, leader_log = results["algo-1"]
    follower_code, follower_log = results["algo-2"]
    assert (leader_code, follower_code) == (0, 0), leader_log[-3000:] + follower_log[-3000:]
    assert "Spark workers of all 2 hosts joined" in leader_log
    expected, got = outputs(single), outputs(bases["algo-1"])
    assert sorted(got) == [
        "analysis.json",
        "explanations_shap/baseline.csv",
        "explanations_shap/out.jsonl",
        *REPORTS,
    ]
    # weasyprint's font subsets carry the time they were made (the fonts' head table),
    # so two containers' PDFs differ in those bytes; the text and pages must not
    pdfs = [
        _pdf_text(base / "processing" / "output" / "report.pdf")
        for base in (single, bases["algo-1"])
    ]
    assert pdfs[0] == pdfs[1] and "Review Text" in pdfs[0]
    assert {k: v for k, v in got.items() if k != "report.pdf"} == {
        k: v for k, v in expected.items() if k != "report.pdf"
    }
    assert outputs(bases["algo-2"]) == {}


def _pdf_text(path: Path) -> str:
    """The PDF's text, page by page (poppler's pdftotext, as the report tests use pdftoppm)."""
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
