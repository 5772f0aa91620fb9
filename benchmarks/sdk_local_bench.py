"""Jobs through the image under the real SageMaker SDK in local mode: where the time goes.

Runs the public "detect data bias" lab (``tests/image/sdk_local_mode.py lab``: the data
as it comes, then balanced by hand, so two jobs of different sizes) against an image,
with S3 on moto's server, ``--repeat`` times, and prints per job:

* the SDK job: ``run_pre_training_bias`` to ``wait()`` returning, as the lab's user
  waits for it (upload, ``docker-compose up``, the container, upload of the outputs);
* ``docker run`` of the same ``analysis_config.json`` and data, process start to exit,
  with the three reports the SDK always asks for and without them (``methods.report``
  removed), and their difference: what writing the reports costs inside the container;
* the floor: ``docker run`` of the image's Python doing nothing.

Medians. Needs Docker, the image and the SDK's side environment
(``make .venv-sdk/.installed``)::

    python benchmarks/sdk_local_bench.py --image openclarify:ci
    python benchmarks/sdk_local_bench.py --image openclarify:ci --rows 6000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.image.conftest import SDK_PYTHON, run_sdk_driver  # noqa: E402
from tests.image.test_sdk_local_mode import lab_reviews  # noqa: E402
from tests.moto_server import moto_server  # noqa: E402


def _docker_run(image: str, base: Path, *extra: str) -> float:
    """Seconds from ``docker run`` to exit; the outputs are removed after each run."""
    shutil.rmtree(base / "processing" / "output", ignore_errors=True)
    command = ["docker", "run", "--rm", "--network", "none", "-v", f"{base}:/opt/ml"]
    started = time.perf_counter()
    done = subprocess.run([*command, *extra, image], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"docker run exited {done.returncode}: {done.stdout[-2000:]}")
    return seconds


def _lay_out(base: Path, config: dict[str, object], dataset: Path) -> Path:
    (base / "processing" / "input" / "config").mkdir(parents=True)
    (base / "processing" / "input" / "data").mkdir(parents=True)
    text = json.dumps(config)
    (base / "processing" / "input" / "config" / "analysis_config.json").write_text(text)
    shutil.copy(dataset, base / "processing" / "input" / "data" / dataset.name)
    base.chmod(0o777)
    for path in base.rglob("*"):
        path.chmod(0o777)
    return base


def _floor(image: str, repeat: int) -> float:
    command = ["docker", "run", "--rm", "--network", "none", "--entrypoint", "python", image]
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([*command, "-c", "pass"], check=True, capture_output=True)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--rows", type=int, default=6000, help="rows of the unbalanced data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not SDK_PYTHON.is_file():
        raise SystemExit("no SDK side environment: make .venv-sdk/.installed")

    sdk: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch, moto_server() as port:
        work = Path(scratch)
        reviews = work / "womens_clothing_ecommerce_reviews_transformed.csv"
        lab_reviews(rows=args.rows).to_csv(reviews, index=False)
        last: list[dict[str, object]] = []
        for attempt in range(args.repeat):
            run_work = work / f"attempt{attempt}"
            done = run_sdk_driver(
                str(SDK_PYTHON),
                "lab",
                s3_url=f"http://127.0.0.1:{port}",
                image=args.image,
                work=run_work,
                dataset=reviews,
            )
            for entry in done.runs:
                sdk.setdefault(str(entry["run"]), []).append(float(entry["seconds"]))
            last = done.runs

        docker: dict[str, tuple[float, float]] = {}
        for entry in last:
            name, dataset = str(entry["run"]), Path(str(entry["dataset"]))
            rows[name] = sum(1 for _ in dataset.open()) - 1
            config = json.loads((Path(str(entry["folder"])) / "analysis_config.json").read_text())
            bare = json.loads(json.dumps(config))
            bare["methods"].pop("report", None)
            with_reports = _lay_out(work / f"{name}-reports", config, dataset)
            without = _lay_out(work / f"{name}-bare", bare, dataset)
            full = [_docker_run(args.image, with_reports) for _ in range(args.repeat)]
            lean = [_docker_run(args.image, without) for _ in range(args.repeat)]
            docker[name] = (statistics.median(full), statistics.median(lean))
        floor = _floor(args.image, args.repeat)

    print(f"image {args.image}; medians of {args.repeat}; floor (docker run, python -c pass)")
    print(f"{floor:.2f} s\n")
    header = "| job | rows | SDK local-mode job s | docker run s | without reports s | reports s |"
    print(header)
    print("|---|---:|---:|---:|---:|---:|")
    for name, seconds in sdk.items():
        full, lean = docker[name]
        print(
            f"| {name} | {rows[name]:,} | {statistics.median(seconds):.2f} | {full:.2f} "
            f"| {lean:.2f} | {full - lean:.2f} |"
        )


if __name__ == "__main__":
    main()
