"""Start-up benchmark: the fixed costs of a small job, each run in a fresh process.

Prints medians of ``--repeat`` fresh processes for ``sample_configs/<case>``
(default ``pre_training_csv``, 1,000 rows, the three reports):

* the floor: a Python process that reads the dataset once and exits;
* the job (``python -m openclarify analyze``): process start to the first log
  line and to exit, with and without ``methods.report``;
* each rendering as a job pays it (a first render in a fresh process, imports
  included): the charts and HTML sections, the page, the notebook and the PDF.

    python benchmarks/startup_bench.py
    python benchmarks/startup_bench.py --repeat 9

Run it with ``PYTHONPATH`` pointing at another checkout's ``src`` to compare
two versions on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
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


def _wall(argv: list[str], env: dict[str, str]) -> tuple[float, float | None]:
    """Seconds from start to the first stderr line (``None`` if none) and to exit."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
    )
    assert process.stderr is not None
    first: float | None = None
    for _ in process.stderr:
        if first is None:
            first = time.perf_counter() - started
    code = process.wait()
    total = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"{argv[:4]} exited with {code}")
    return total, first


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(DATASETS), default="pre_training_csv")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per figure")
    args = parser.parse_args()
    python = sys.executable
    env = dict(os.environ)
    case = SAMPLES / args.case
    config = case / "analysis_config.json"
    dataset = case / DATASETS[args.case]
    raw = json.loads(config.read_text())
    if "report" not in raw.get("methods", {}):
        raise SystemExit(f"{args.case} has no methods.report")
    probe = subprocess.run(
        [python, "-c", "import openclarify; print(openclarify.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"case {args.case}, openclarify from {probe.stdout.strip()}, n={args.repeat}")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare = folder / "no_report.json"
        bare.write_text(
            json.dumps(
                {**raw, "methods": {k: v for k, v in raw["methods"].items() if k != "report"}}
            )
        )
        floor = [_wall([python, "-c", FLOOR, str(dataset)], env)[0] for _ in range(args.repeat)]
        print(f"floor (read the dataset once) {_median(floor)}")
        runs = (("bare", "job, no report", bare), ("full", "job with the reports", config))
        for tag, label, conf in runs:
            totals, firsts = [], []
            for i in range(args.repeat):
                out = folder / f"{tag}-{i}"
                argv = [python, "-m", "openclarify", "analyze", "--config", str(conf)]
                total, first = _wall([*argv, "--dataset", str(dataset), "--output", str(out)], env)
                totals.append(total)
                if first is not None:
                    firsts.append(first)
            print(f"{label:22}        first log line {_median(firsts)}   exit {_median(totals)}")
        document = folder / "full-0" / "analysis.json"
        renders: dict[str, list[float]] = {}
        for _ in range(args.repeat):
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
            print(f"  {key:24} {_median(values)}")
        sums = [sum(step) for step in zip(*renders.values(), strict=True)]
        print(f"  {'all renderings':24} {_median(sums)}")


if __name__ == "__main__":
    main()
