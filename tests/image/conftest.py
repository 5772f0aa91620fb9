"""The built image, run by a real Docker engine: fixtures and helpers.

The tests need an engine (``docker info`` answers) and the image named by
``OPENCLARIFY_IMAGE`` (default ``openclarify:dev``, what ``make image`` builds).
Without them the tests skip with one line saying how to enable them; under CI
(``CI`` set) they fail instead, so the image is never untested there.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
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
        _skip_or_fail(f"image tests: {problem}; {ENABLE}")
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


#: Sample cases whose dataset is a folder of images with their own model server:
#: tests/explain/image/test_sample.py runs them (here every case's dataset is one file).
IMAGE_CASES = ("image_classification",)


def sample_cases() -> list[str]:
    """Every sample config folder whose dataset is one file (not :data:`IMAGE_CASES`)."""
    return sorted(
        p.parent.name
        for p in SAMPLES.glob("*/analysis_config.json")
        if p.parent.name not in IMAGE_CASES
    )


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


@contextlib.contextmanager
def _sample_server(script: Path, port: int) -> Iterator[str]:
    """A sample's ``serve.py`` on 127.0.0.1:``port`` (the port its config names)."""
    server = subprocess.Popen(
        [sys.executable, str(script), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/ping", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"the sample server {script.parent.name} did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def model_server() -> Iterator[str]:
    """The sample model server on 127.0.0.1:8765 (the port the sample configs name)."""
    with _sample_server(SAMPLES / "local_model_server" / "serve.py", 8765) as url:
        yield url


@pytest.fixture(scope="session")
def forecast_server() -> Iterator[str]:
    """The time-series sample's forecaster on 127.0.0.1:8766 (the port its config names)."""
    with _sample_server(SAMPLES / "time_series" / "serve.py", 8766) as url:
        yield url


@pytest.fixture(scope="session")
def text_model_server() -> Iterator[str]:
    """The text sample's review model on 127.0.0.1:8767 (the port its config names)."""
    with _sample_server(SAMPLES / "text_reviews" / "serve.py", 8767) as url:
        yield url


# ---------------------------------------------------------------------------
# SageMaker SDK local mode and multi-instance jobs (test_sdk_local_mode.py,
# test_multi_instance.py): the pinned SDK in its side venv, moto's S3 server,
# compose containers, Docker networks and a model server reachable from them.
# ---------------------------------------------------------------------------

SDK_VENV = ROOT / ".venv-sdk"
SDK_PYTHON = SDK_VENV / "bin" / "python"
SDK_DRIVER = Path(__file__).with_name("sdk_local_mode.py")
SDK_ENABLE = "run `make .venv-sdk/.installed` (the pinned SageMaker SDK in a side venv)"
#: The network SDK local mode puts every processing container on (sagemaker 2.257.7,
#: ``sagemaker/local/image.py``: ``networks: {sagemaker-local: {name: sagemaker-local}}``).
LOCAL_MODE_NETWORK = "sagemaker-local"
#: The sample model server (serve.py binds 127.0.0.1), served on every interface of a
#: container so that other containers on its network reach it at http://ALIAS:8080.
_SERVE_IN_CONTAINER = (
    "import sys; sys.path.insert(0, '/srv'); import serve; "
    "from http.server import ThreadingHTTPServer; "
    "ThreadingHTTPServer(('0.0.0.0', 8080), serve.Handler).serve_forever()"
)


def _skip_or_fail(message: str) -> None:
    """Skip with ``message``; under CI (``CI`` set) fail instead, so nothing goes untested."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _compose_problem() -> str | None:
    """None when SDK local mode can find Docker Compose (v2 plugin or docker-compose)."""
    v2 = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, timeout=60
    )
    if v2.returncode == 0 and "v2" in v2.stdout:
        return None
    if shutil.which("docker-compose") is not None:
        return None
    return "neither `docker compose` (v2) nor `docker-compose` is installed"


@pytest.fixture(scope="session")
def sdk_python(image: str) -> str:
    """The side venv's Python (``sagemaker`` pinned); skips (fails under CI) without it."""
    if not (SDK_VENV / ".installed").is_file() or not SDK_PYTHON.is_file():
        _skip_or_fail(f"SDK local-mode tests: no {SDK_VENV.name}; {SDK_ENABLE}")
    problem = _compose_problem()
    if problem is not None:
        _skip_or_fail(f"SDK local-mode tests: {problem}")
    return str(SDK_PYTHON)


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 (as in tests/storage), for the whole session."""
    from tests.moto_server import moto_server

    with moto_server() as port:
        yield f"http://127.0.0.1:{port}"


def sdk_env(home: Path) -> dict[str, str]:
    """The driver's environment: fake credentials and a region, no AWS config files.

    Nothing of the caller's AWS setup leaks in (profiles, endpoints, tokens).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGEMAKER_"))}
    home.mkdir(parents=True, exist_ok=True)
    (home / "aws_config").write_text("")
    (home / "aws_credentials").write_text("")
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(home / "aws_config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws_credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
            "HOME": str(home),
        }
    )
    return env


def remove_compose_containers(container_root: Path) -> list[str]:
    """``docker rm -f`` every container that SDK local mode started under ``container_root``.

    Local mode runs ``docker-compose up --abort-on-container-exit`` and never
    ``down``: the stopped containers stay. Compose labels each with its project's
    folder, a temporary folder under the session's ``local.container_root``.
    """
    label = "com.docker.compose.project.working_dir"
    listed = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label={label}", "--format", "{{.ID}}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    ours = []
    for container in listed.stdout.split():
        inspect = subprocess.run(
            ["docker", "inspect", "--format", f'{{{{index .Config.Labels "{label}"}}}}', container],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if Path(inspect.stdout.strip()).is_relative_to(container_root):
            ours.append(container)
    if ours:
        subprocess.run(["docker", "rm", "-f", *ours], capture_output=True, timeout=120)
    return ours


def _network_exists(name: str) -> bool:
    found = subprocess.run(["docker", "network", "inspect", name], capture_output=True, timeout=60)
    return found.returncode == 0


def remove_network(name: str) -> None:
    """``docker network rm`` once nothing is attached (containers removed first)."""
    subprocess.run(["docker", "network", "rm", name], capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def local_mode_network(image: str) -> Iterator[str]:
    """The ``sagemaker-local`` network, created here when missing and then removed.

    Compose would create it on the first job; creating it first lets a model server
    join it before the job starts. A network that existed before is left alone.
    """
    created = False
    if not _network_exists(LOCAL_MODE_NETWORK):
        subprocess.run(
            ["docker", "network", "create", LOCAL_MODE_NETWORK],
            check=True,
            capture_output=True,
            timeout=60,
        )
        created = True
    try:
        yield LOCAL_MODE_NETWORK
    finally:
        if created:
            remove_network(LOCAL_MODE_NETWORK)


@contextlib.contextmanager
def network_model_server(
    image: str, network: str, alias: str = "model", sample: str = "local_model_server"
) -> Iterator[str]:
    """A sample's model server (its ``serve.py``) in a container on ``network``; its URL there."""
    name = f"openclarify-model-{uuid.uuid4().hex[:10]}"
    command = ["docker", "run", "-d", "--rm", "--name", name, "--network", network]
    command += ["--network-alias", alias, "-v", f"{SAMPLES / sample}:/srv:ro"]
    command += ["--entrypoint", "python", image, "-c", _SERVE_IN_CONTAINER]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    try:
        ping = "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/ping', timeout=1)"
        deadline = time.monotonic() + 30
        while True:
            probe = subprocess.run(
                ["docker", "exec", name, "python", "-c", ping], capture_output=True, timeout=30
            )
            if probe.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"the model server in {name} did not answer /ping")
            time.sleep(0.2)
        yield f"http://{alias}:8080"
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


@dataclass(frozen=True)
class SdkRun:
    """One finished run of the SDK driver (``sdk_local_mode.py``)."""

    runs: list[dict[str, Any]]
    seconds: float
    log: str


def run_sdk_driver(
    sdk_python: str,
    job: str,
    *,
    s3_url: str,
    image: str,
    work: Path,
    dataset: Path,
    extra: tuple[str, ...] = (),
    timeout: float = 240,
) -> SdkRun:
    """Run one driver job in the SDK's venv; compose containers are removed in every outcome."""
    root = work / "container_root"
    command = [sdk_python, str(SDK_DRIVER), job, "--endpoint-url", s3_url, "--image", image]
    command += ["--bucket", f"openclarify-{uuid.uuid4().hex[:12]}", "--work", str(work)]
    command += ["--container-root", str(root), "--dataset", str(dataset), *extra]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=sdk_env(work / "home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # docker-compose runs below it: stop them together
    )
    try:
        log, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as late:
        os.killpg(process.pid, signal.SIGKILL)
        log, _ = process.communicate(timeout=60)
        raise AssertionError(
            f"the SDK driver ({job}) took over {timeout:g}s:\n{log[-6000:]}"
        ) from late
    finally:
        remove_compose_containers(root)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise AssertionError(f"the SDK driver ({job}) exited {process.returncode}:\n{log[-6000:]}")
    runs = json.loads((work / "result.json").read_text())["runs"]
    return SdkRun(runs, seconds, log)
