"""The image itself: every sample config, errors, users, permissions and stopping.

Each job runs twice: ``docker run IMAGE`` on a mounted ``/opt/ml`` layout, and the
library's own container adapter (:func:`openclarify.container.run_container`) on a
copy of the same layout outside the image. The results must be the same bytes.
"""

from __future__ import annotations

import http.server
import json
import os
import stat
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openclarify.container import run_container

from .conftest import (
    SAMPLES,
    docker_run,
    lay_out,
    message,
    outputs,
    sample_cases,
    sample_data,
)

#: Cases whose config calls a sample model server (``predictor.openclarify``), with the
#: fixture that starts it: the container reaches it on the host's loopback, so they run
#: with --network host.
MODEL_CASES = {
    "local_model_server": "model_server",
    "explain_local_model": "model_server",
    "time_series": "forecast_server",
    "text_reviews": "text_model_server",
}
#: Report files carry the time they were made (PDF metadata, the page's footer), so
#: they are compared by name; every result file is compared byte for byte.
REPORT_SUFFIXES = (".html", ".ipynb", ".pdf")


def _reference(base: Path) -> int:
    """The library's container adapter on ``base``, outside the image."""
    return run_container(base)


def _results(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if not name.endswith(REPORT_SUFFIXES)}


@pytest.mark.parametrize("case", sample_cases())
def test_sample_config_gives_the_same_bytes_in_the_image(
    image: str, case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    network = "none"
    if case in MODEL_CASES:
        request.getfixturevalue(MODEL_CASES[case])
        network = "host"
    config = SAMPLES / case / "analysis_config.json"
    data = sample_data(case)
    inside = lay_out(tmp_path / "inside", config, data)
    outside = lay_out(tmp_path / "outside", config, data)

    run = docker_run(image, inside, network=network)
    assert run.code == 0, run.stderr[-2000:]
    assert _reference(outside) == 0

    got, want = outputs(inside), outputs(outside)
    assert "analysis.json" in want
    assert sorted(got) == sorted(want)  # the same files, reports included
    assert _results(got) == _results(want)  # analysis.json (and SHAP files) byte for byte
    assert message(inside) == message(outside)
    assert message(inside).startswith("Completed:")


def test_bad_config_is_exit_3_with_the_same_message(image: str, tmp_path: Path) -> None:
    config: dict[str, Any] = json.loads(
        (SAMPLES / "pre_training_csv" / "analysis_config.json").read_text()
    )
    config["dataset_type"] = "text/tab-separated-values"
    data = sample_data("pre_training_csv")
    inside = lay_out(tmp_path / "inside", config, data)
    outside = lay_out(tmp_path / "outside", config, data)

    run = docker_run(image, inside)
    assert run.code == 3
    assert _reference(outside) == 3
    assert message(inside) == message(outside)
    assert message(inside).startswith("ClientError:")
    assert "$.dataset_type" in message(inside)
    assert "Traceback" not in run.stderr
    assert outputs(inside) == {}  # nothing half-written


def _modes(base: Path) -> dict[str, tuple[int, int, str]]:
    """(owner uid, gid, permission bits) of everything the job wrote."""
    written: dict[str, tuple[int, int, str]] = {}
    for folder in (base / "processing" / "output", base / "output"):
        for path in [folder, *folder.rglob("*")]:
            info = path.stat()
            written[str(path.relative_to(base))] = (
                info.st_uid,
                info.st_gid,
                oct(stat.S_IMODE(info.st_mode)),
            )
    return written


def test_outputs_are_readable_by_everyone_as_under_umask_022(image: str, tmp_path: Path) -> None:
    """As root (what SageMaker runs): files 0644, folders 0755 — not 0600."""
    base = lay_out(
        tmp_path / "ml",
        SAMPLES / "pre_training_csv" / "analysis_config.json",
        sample_data("pre_training_csv"),
    )
    run = docker_run(image, base)
    assert run.code == 0, run.stderr[-2000:]
    modes = _modes(base)
    assert {"processing/output/report.pdf", "output/message"} <= set(modes)
    for name, (_, _, mode) in modes.items():
        expected = "0o755" if (base / name).is_dir() else "0o644"
        assert mode == expected, name


def test_runs_as_another_user_on_a_read_only_root(image: str, tmp_path: Path) -> None:
    """``--user UID:GID`` on a folder that user owns, with nothing else writable but /tmp.

    ``--read-only`` makes any write outside the mounted folder and the temp folder
    fail, so a success proves there is none; the log proves no font cache was
    built (matplotlib warns when it has to make one).
    """
    base = lay_out(
        tmp_path / "ml",
        SAMPLES / "pre_training_csv" / "analysis_config.json",
        sample_data("pre_training_csv"),
    )
    uid, gid = 4321, 4321
    for path in [base, *base.rglob("*")]:
        os.chown(path, uid, gid)
    run = docker_run(image, base, user=f"{uid}:{gid}", extra=("--read-only", "--tmpfs", "/tmp"))
    assert run.code == 0, run.stderr[-2000:]
    assert "Matplotlib created a temporary cache" not in run.stderr
    assert "Fontconfig error" not in run.stderr
    assert message(base).startswith("Completed:")
    modes = _modes(base)
    assert "processing/output/report.html" in modes
    for name, (owner, group, mode) in modes.items():
        assert (owner, group) == (uid, gid), name
        assert mode == ("0o755" if (base / name).is_dir() else "0o644"), name


def test_root_run_writes_nothing_outside_the_output_folders(image: str, tmp_path: Path) -> None:
    """The container's own file system is unchanged after a job (``docker diff``)."""
    base = lay_out(
        tmp_path / "ml",
        SAMPLES / "pre_training_csv" / "analysis_config.json",
        sample_data("pre_training_csv"),
    )
    name = f"openclarify-diff-{uuid.uuid4().hex[:8]}"
    try:
        done = subprocess.run(
            [
                "docker",
                "run",
                "--name",
                name,
                "--network",
                "none",
                "--tmpfs",
                "/tmp",
                "-v",
                f"{base}:/opt/ml",
                image,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        diff = subprocess.run(
            ["docker", "diff", name], capture_output=True, text=True, timeout=60, check=True
        ).stdout.split("\n")
        # the mount point itself may be listed as changed; nothing under it is the
        # container's (it is the host folder), and nothing else may appear
        changed = [line for line in diff if line and not line.endswith(("/opt", "/opt/ml"))]
        assert changed == []
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


class _HangingModel(http.server.BaseHTTPRequestHandler):
    """Answers /ping; holds every /invocations until the test releases it."""

    release = threading.Event()
    called = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).called.set()
        type(self).release.wait(timeout=120)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hanging_model() -> Iterator[tuple[str, type[_HangingModel]]]:
    handler = type(
        "Handler", (_HangingModel,), {"release": threading.Event(), "called": threading.Event()}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        handler.release.set()
        server.shutdown()
        server.server_close()


def test_docker_stop_ends_a_long_job_cleanly(
    image: str, tmp_path: Path, hanging_model: tuple[str, type[_HangingModel]]
) -> None:
    """``docker stop`` (SIGTERM, then SIGKILL after the grace period) while the model is busy.

    The job must end by itself with exit 143 well inside the grace period, leave no
    ``analysis.json`` or report, and say in the message that it was stopped.
    """
    url, handler = hanging_model
    config: dict[str, Any] = json.loads(
        (SAMPLES / "local_model_server" / "analysis_config.json").read_text()
    )
    config["predictor"]["openclarify"] = {"endpoint_url": url, "timeout_seconds": 600}
    base = lay_out(tmp_path / "ml", config, sample_data("local_model_server"))
    name = f"openclarify-stop-{uuid.uuid4().hex[:8]}"
    grace = 30
    try:
        subprocess.run(
            [
                "docker",
                "run",
                "-d",
                "--name",
                name,
                "--network",
                "host",
                "-v",
                f"{base}:/opt/ml",
                image,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert handler.called.wait(timeout=120), "the job never called the model"
        started = time.perf_counter()
        subprocess.run(
            ["docker", "stop", "-t", str(grace), name], capture_output=True, timeout=120, check=True
        )
        stopped_after = time.perf_counter() - started
        code = subprocess.run(
            ["docker", "inspect", "--format", "{{.State.ExitCode}}", name],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        assert code == "143"  # 128 + SIGTERM: ended by itself, not killed
        assert stopped_after < grace
        assert outputs(base) == {}
        assert message(base).startswith("Stopped:")
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


def test_image_figures(image: str, tmp_path: Path) -> None:
    """Image size and cold start of a 1,000-row job (``docker run`` to exit).

    Recorded, not asserted (timings are the benchmarks' business): written to the
    file ``OPENCLARIFY_IMAGE_FIGURES`` names, for the README's table.
    """
    size = int(
        subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Size}}", image],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
    seconds = []
    for attempt in range(3):
        base = lay_out(
            tmp_path / f"ml{attempt}",
            SAMPLES / "pre_training_csv" / "analysis_config.json",
            sample_data("pre_training_csv"),
        )
        run = docker_run(image, base)
        assert run.code == 0, run.stderr[-2000:]
        seconds.append(run.seconds)
    figures = {"image": image, "size_bytes": size, "cold_start_seconds": sorted(seconds)}
    target = os.environ.get("OPENCLARIFY_IMAGE_FIGURES")
    if target:
        Path(target).write_text(json.dumps(figures, indent=2) + "\n")
    assert size > 0
