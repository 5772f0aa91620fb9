"""The built image, run by a real Docker engine: fixtures and helpers.

The tests need an engine (``docker info`` answers) and the image named by
``OPENCLARIFY_IMAGE`` (default ``openclarify:dev``, what ``make image`` builds).
Without them the tests skip with one line saying how to enable them; under CI
(``CI`` set) they fail instead, so the image is never untested there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_configs"
IMAGE = os.environ.get("OPENCLARIFY_IMAGE", "openclarify:dev")
ENABLE = "run `make image` (needs a Docker engine), then `make pytest`"


def _engine_problem() -> str | None:
    if shutil.which("docker") is None:
        return "no docker command"
    info = subprocess.run(["docker", "info"], capture_output=True, timeout=60)
    if info.returncode != 0:
        return "the Docker engine does not answer `docker info`"
    found = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, timeout=60)
    if found.returncode != 0:
        return f"image {IMAGE} not found"
    return None


@pytest.fixture(scope="session")
def image() -> str:
    """The image tag; skips (fails under CI) when there is no engine or no image."""
    problem = _engine_problem()
    if problem is not None:
        message = f"image tests: {problem}; {ENABLE}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return IMAGE


@dataclass(frozen=True)
class Run:
    """One finished ``docker run``."""

    code: int
    stdout: str
    stderr: str
    seconds: float


def docker_run(
    image: str,
    base: Path,
    *args: str,
    network: str = "none",
    user: str | None = None,
    extra: tuple[str, ...] = (),
    timeout: float = 300,
) -> Run:
    """``docker run --rm --network NETWORK -v BASE:/opt/ml IMAGE ARGS``, timed."""
    command = ["docker", "run", "--rm", "--network", network, "-v", f"{base}:/opt/ml"]
    if user is not None:
        command += ["--user", user]
    command += [*extra, image, *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return Run(done.returncode, done.stdout, done.stderr, time.perf_counter() - started)


def sample_cases() -> list[str]:
    """Every sample config folder (each has an analysis_config.json)."""
    return sorted(p.parent.name for p in SAMPLES.glob("*/analysis_config.json"))


def sample_data(case: str) -> Path:
    """The one data file of a sample case (the file that is not the config or README)."""
    folder = SAMPLES / case
    data = [
        p
        for p in sorted(folder.iterdir())
        if p.is_file()
        and p.name not in ("analysis_config.json", "README.md")
        and p.suffix in (".csv", ".jsonl", ".json", ".parquet")
    ]
    if data:
        return data[0]
    # a case that scores another case's data names it in its README command
    readme = (folder / "README.md").read_text()
    for word in readme.split():
        candidate = ROOT / word.strip("`")
        if candidate.is_file() and candidate.suffix in (".csv", ".jsonl", ".parquet"):
            return candidate
    raise AssertionError(f"no data file for sample case {case}")


def lay_out(base: Path, config: dict[str, Any] | Path, data: Path | None) -> Path:
    """A Processing job's inputs under ``base`` (``/opt/ml`` inside the container)."""
    config_dir = base / "processing" / "input" / "config"
    config_dir.mkdir(parents=True)
    text = config.read_text() if isinstance(config, Path) else json.dumps(config)
    (config_dir / "analysis_config.json").write_text(text)
    if data is not None:
        target = base / "processing" / "input" / "data"
        target.mkdir(parents=True)
        shutil.copy(data, target / data.name)
    return base


def outputs(base: Path) -> dict[str, bytes]:
    """Every file under ``processing/output``, by relative path."""
    folder = base / "processing" / "output"
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def message(base: Path) -> str:
    return (base / "output" / "message").read_text().rstrip("\n")


@pytest.fixture(scope="session")
def model_server() -> Iterator[str]:
    """The sample model server on 127.0.0.1:8765 (the port the sample configs name)."""
    server = subprocess.Popen(
        [sys.executable, str(SAMPLES / "local_model_server" / "serve.py"), "--port", "8765"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = "http://127.0.0.1:8765"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/ping", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the sample model server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
