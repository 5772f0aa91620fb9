"""Start-up benchmark: the fixed costs of a small job, each run in a fresh process.

Prints, for ``sample_configs/<case>`` (default ``pre_training_csv``, 1,000 rows,
the three reports), the median of ``--repeat`` fresh processes (at least 5) of:

* the floor: a Python process that reads the dataset once and exits;
* the interpreter alone (``python -c pass``) and ``import openclarify`` alone;
* the job as the image runs it (``openclarify container`` on a SageMaker
  Processing folder layout) and as ``openclarify analyze``: process start to
  the first log line, and to exit without and with ``methods.report``;
* with ``--docker IMAGE``: ``docker run --rm --network none IMAGE`` of the same
  container job, to the first log line and to exit (skipped, with a message,
  when no Docker daemon answers or the image is missing);
* with ``--renders``: each rendering as a job pays it (a first render in a fresh
  process, imports included): the charts and HTML sections, the page, the
  notebook and the PDF.

Each figure is wall time (min and max beside it) and the child's CPU time
(user + system), with bytecode cached as in the image (:func:`_bytecode_env`).
The runs of all figures are interleaved, so that a change in the machine's load
during the run touches every figure alike; the load average is printed before
and after.

    python benchmarks/startup_bench.py
    python benchmarks/startup_bench.py --repeat 9 --docker openclarify:0.1.0

Run it with ``PYTHONPATH`` pointing at another checkout's ``src`` to compare
two versions on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_configs"
DATASETS = {
    "pre_training_csv": "loans.csv",
    "post_training_predicted_label_csv": "loans_scored.csv",
    "jsonlines": "applications.jsonl",
    "parquet": "loans.parquet",
}

FLOOR = """
import sys
with open(sys.argv[1], "rb") as f:
    for _ in f:
        pass
"""

# Runs in a fresh process: the job's own steps before the reports (untimed),
# then each rendering step timed as write_reports runs it.
RENDER = """
import json, logging, sys, time
from pathlib import Path

from openclarify.bias.analysis import resolve_labels
from openclarify.config import load_config
from openclarify.data.table import load_bias_table
from openclarify.report import compute_report_stats

config_path, dataset, document_path = sys.argv[1:4]
raw = json.loads(Path(config_path).read_text())
parsed = load_config(raw)
table = load_bias_table(parsed, Path(dataset), Path(config_path).parent)
labels = resolve_labels(
    table, list(parsed.label_values_or_threshold or []), 0.5, need_predictions=False
)
log = logging.getLogger("openclarify.bench")
stats = compute_report_stats(table, labels, log=log)
document = json.loads(Path(document_path).read_text())
times = {}

def timed(key, step):
    started = time.perf_counter()
    value = step()
    times[key] = time.perf_counter() - started
    return value

def sections():
    from openclarify.report import html
    from openclarify.report.content import build_report

    report = build_report(document, title=raw["methods"]["report"].get("title"),
                          stats=stats, config=raw)
    return html, report, html.sections(report, log)

html, report, parts = timed("charts + HTML sections", sections)
page = timed("HTML page", lambda: html.render_page(report.title, [p for _, p in parts]))

def notebook():
    from openclarify.report.notebook import notebook_text

    return notebook_text(report, [(k, str(p)) for k, p in parts], html.stylesheet())

timed("notebook", notebook)
def pdf():
    from openclarify.report.pdf import html_to_pdf

    return html_to_pdf(page)

timed("PDF", pdf)
print(json.dumps(times))
"""

#: Where a SageMaker Processing job mounts its inputs and outputs (container/CONTRACT.md).
IMAGE_BASE = "/opt/ml"


@dataclass
class Run:
    """One fresh process: wall seconds to the first stderr line and to exit, CPU seconds."""

    total: float
    first: float | None
    cpu: float


@dataclass
class Figure:
    """The runs of one line of the table."""

    label: str
    argv: Callable[[int], list[str]]
    first_line: bool = True
    #: The child's CPU time means something (not for docker run: the job runs in the daemon).
    cpu: bool = True
    runs: list[Run] = field(default_factory=list)


def _wall(argv: list[str], env: dict[str, str]) -> Run:
    """Run ``argv``; time to the first stderr line (``None`` if none), to exit, and its CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
    )
    assert process.stderr is not None
    first: float | None = None
    lines = []
    for line in process.stderr:
        if first is None:
            first = time.perf_counter() - started
        lines.append(line)
    code = process.wait()
    total = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise SystemExit(f"{' '.join(argv[:6])} ... exited with {code}:\n{''.join(lines[-20:])}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(total, first, cpu)


def _median(values: list[float]) -> str:
    if not values:
        return "     -"
    return f"{statistics.median(values):5.2f} s ({min(values):.2f}-{max(values):.2f})"


def _print(figure: Figure) -> None:
    totals = [r.total for r in figure.runs]
    cpus = [r.cpu for r in figure.runs]
    first = ""
    if figure.first_line:
        first = f"first log line {_median([r.first for r in figure.runs if r.first is not None])}  "
    cpu = f"  cpu {statistics.median(cpus):.2f} s" if figure.cpu else ""
    print(f"  {figure.label:30} {first:36}exit {_median(totals)}{cpu}")


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _bytecode_env(cache: Path) -> dict[str, str]:
    """The environment of every timed process: bytecode cached, as in the image.

    The image ships every module byte-compiled; a checkout run with
    ``PYTHONDONTWRITEBYTECODE`` would compile openclarify's sources in every
    process instead (about 0.1 s of a small job).  The cache lives in a temporary
    folder (``PYTHONPYCACHEPREFIX``), filled by an untimed first run, so that the
    checkout gets no ``__pycache__`` folders.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def _docker_problem(image: str) -> str | None:
    """Why ``docker run IMAGE`` cannot be timed here, or ``None`` when it can."""
    if shutil.which("docker") is None:
        return "no docker command on the PATH"
    try:
        daemon = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        return "the Docker daemon did not answer within 20 s"
    if daemon.returncode != 0:
        return f"the Docker daemon is not reachable ({daemon.stderr.strip()[:200]})"
    found = subprocess.run(["docker", "image", "inspect", image], capture_output=True, timeout=60)
    if found.returncode != 0:
        return f"no image {image!r} (build it first: make image)"
    return None


def _processing_folder(root: Path, config: dict[str, object], dataset: Path) -> Path:
    """A SageMaker Processing layout under ``root``: config and data inputs, empty outputs."""
    inputs = root / "processing" / "input"
    (inputs / "config").mkdir(parents=True)
    (inputs / "data").mkdir()
    (inputs / "config" / "analysis_config.json").write_text(json.dumps(config))
    shutil.copy(dataset, inputs / "data" / dataset.name)
    return root


def _fresh_outputs(root: Path) -> None:
    """Empty output folders, so that every run writes all its files."""
    for folder in (root / "processing" / "output", root / "output"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(DATASETS), default="pre_training_csv")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per figure (≥ 5)")
    parser.add_argument("--docker", metavar="IMAGE", help="also time docker run of the image")
    parser.add_argument("--renders", action="store_true", help="also time each rendering")
    args = parser.parse_args()
    if args.repeat < 5:
        parser.error("--repeat: at least 5 (a median of fewer runs says little)")
    python = sys.executable
    bytecode = tempfile.TemporaryDirectory(prefix="startup-bench-pyc-")
    env = _bytecode_env(Path(bytecode.name))
    case = SAMPLES / args.case
    config_path = case / "analysis_config.json"
    dataset = case / DATASETS[args.case]
    full = json.loads(config_path.read_text())
    if "report" not in full.get("methods", {}):
        raise SystemExit(f"{args.case} has no methods.report")
    bare = {**full, "methods": {k: v for k, v in full["methods"].items() if k != "report"}}
    probe = subprocess.run(
        [python, "-c", "import openclarify; print(openclarify.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"case {args.case}, openclarify from {probe.stdout.strip()}")
    print(f"median of {args.repeat} fresh processes (min-max), {os.cpu_count()} cores")
    print(f"load average before: {_load()}")

    docker_problem = _docker_problem(args.docker) if args.docker else None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        jobs = {}
        for tag, config in (("bare", bare), ("full", full)):
            (folder / f"{tag}.json").write_text(json.dumps(config))
            jobs[tag] = _processing_folder(folder / f"ml-{tag}", config, dataset)
        module = [python, "-m", "openclarify"]

        def container(tag: str) -> Callable[[int], list[str]]:
            def argv(_: int) -> list[str]:
                _fresh_outputs(jobs[tag])
                return [*module, "container", "--base-dir", str(jobs[tag])]

            return argv

        def analyze(tag: str) -> Callable[[int], list[str]]:
            def argv(i: int) -> list[str]:
                conf, out = folder / f"{tag}.json", folder / f"out-{tag}-{i}"
                shutil.rmtree(out, ignore_errors=True)
                files = ["--config", str(conf), "--dataset", str(dataset), "--output", str(out)]
                return [*module, "analyze", *files]

            return argv

        def docker(tag: str) -> Callable[[int], list[str]]:
            def argv(_: int) -> list[str]:
                _fresh_outputs(jobs[tag])
                root = jobs[tag]
                mounts = [
                    ("processing/input", "ro"),
                    ("processing/output", "rw"),
                    ("output", "rw"),
                ]
                volumes = [
                    f"--volume={root / part}:{IMAGE_BASE}/{part}:{mode}" for part, mode in mounts
                ]
                user = f"--user={os.getuid()}:{os.getgid()}"
                return ["docker", "run", "--rm", "--network", "none", user, *volumes, args.docker]

            return argv

        figures = [
            Figure(
                "floor (read the dataset once)",
                lambda _: [python, "-c", FLOOR, str(dataset)],
                False,
            ),
            Figure("interpreter (python -c pass)", lambda _: [python, "-c", "pass"], False),
            Figure("import openclarify", lambda _: [python, "-c", "import openclarify"], False),
            Figure("container, no reports", container("bare")),
            Figure("container, with the reports", container("full")),
            Figure("analyze, no reports", analyze("bare")),
            Figure("analyze, with the reports", analyze("full")),
        ]
        if args.docker and docker_problem is None:
            print(f"docker run: {args.docker}")
            figures.append(Figure("docker run, no reports", docker("bare"), cpu=False))
            figures.append(Figure("docker run, with the reports", docker("full"), cpu=False))
        for figure in figures:  # untimed: fills the bytecode cache, warms the page cache
            _wall(figure.argv(0), env)
        for i in range(args.repeat):
            for figure in figures:
                figure.runs.append(_wall(figure.argv(i), env))
        for figure in figures:
            _print(figure)
        if docker_problem is not None:
            print(f"  docker run {args.docker}: skipped, {docker_problem}")
        if args.renders:
            _renders(
                python,
                env,
                config_path,
                dataset,
                folder / "out-full-0" / "analysis.json",
                args.repeat,
            )
    print(f"load average after: {_load()}")
    bytecode.cleanup()


def _renders(
    python: str, env: dict[str, str], config: Path, dataset: Path, document: Path, repeat: int
) -> None:
    """Each rendering step in a fresh process (imports included), as write_reports runs it."""
    renders: dict[str, list[float]] = {}
    for _ in range(repeat):
        done = subprocess.run(
            [python, "-c", RENDER, str(config), str(dataset), str(document)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"the render step failed:\n{done.stderr}")
        for key, value in json.loads(done.stdout.splitlines()[-1]).items():
            renders.setdefault(key, []).append(value)
    print("first render in a fresh process (imports included):")
    for key, values in renders.items():
        print(f"  {key:30} {_median(values)}")
    sums = [sum(step) for step in zip(*renders.values(), strict=True)]
    print(f"  {'all renderings':30} {_median(sums)}")


if __name__ == "__main__":
    main()
