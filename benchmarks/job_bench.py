"""Whole-job benchmark: one ``openclarify container`` bias job against its floor and smclarify.

One run prints, side by side and under the same machine load, for a 1M-row
CSV (the synthetic loan data of ``bias_bench.py``) with all 21 bias metrics
(pre- and post-training, facet ``sex`` = 1, group variable ``education``):

* ``floor: read bytes`` — a fresh Python process that reads the CSV once
  (1 MiB chunks) and exits: the least any job on this file can cost;
* ``floor: pandas parse`` — a fresh process that imports pandas and parses
  the CSV with ``pandas.read_csv`` (our reader must give pandas' dtypes, see
  :mod:`openclarify.data.readers`), then exits;
* ``openclarify, no report`` / ``openclarify, reports`` — ``python -m
  openclarify container`` from process start to exit, without and with
  ``methods.report`` (PDF, HTML, notebook); the read and bias phases are the
  job's own log lines;
* ``smclarify bias_report`` — smclarify 0.5 in its own environment
  (``.venv-golden``, ``make .venv-golden/.installed``) on the same CSV read by
  pandas: the two ``bias_report`` calls (pre- and post-training, all metrics)
  timed alone, and its process from start to exit.

Every measurement is a fresh process; wall times and peak RSS (``wait4``'s
``ru_maxrss``) are medians of ``--repeat`` rounds, each round running every
row once, so a change in machine load hits all rows alike.  The load average
is printed before and after: the machine is shared, read the ratios first;
``(min)`` is the fastest round and ``CPU s`` the process's user + system
time (all threads), both less sensitive to other load than the medians.

    python benchmarks/job_bench.py                       # 1M rows, 3 rounds
    python benchmarks/job_bench.py --smclarify-python /path/to/.venv-golden/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

READ_BYTES = """
import sys
with open(sys.argv[1], "rb", buffering=0) as handle:
    while handle.read(1 << 20):
        pass
"""

PANDAS_PARSE = """
import sys
import pandas as pd
pd.read_csv(sys.argv[1], low_memory=False)
"""

SMCLARIFY = """
import json, logging, sys, time, warnings
logging.disable(logging.CRITICAL); warnings.simplefilter("ignore")
import pandas as pd
from smclarify.bias import report
df = pd.read_csv(sys.argv[1])
started = time.perf_counter()
label = report.LabelColumn("approved", df["approved"], [1])
predicted = report.LabelColumn("predicted", df["predicted"], [1])
facet = report.FacetColumn("sex", [1])
group = df["education"]
pre = report.bias_report(
    df, facet, label, report.StageType.PRE_TRAINING, predicted, ["all"], group
)
post = report.bias_report(
    df, facet, label, report.StageType.POST_TRAINING, predicted, ["all"], group
)
seconds = time.perf_counter() - started
values = {m["name"]: m["value"] for part in (pre, post) for m in part[0]["metrics"]}
print(json.dumps({"bias_report": seconds, "values": values}))
"""

LOADED = re.compile(r"Loaded \d+ rows, \d+ columns in ([0-9.]+)s")
BIAS = re.compile(r"Bias metrics computed in ([0-9.]+)s")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _timed(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``command`` in a fresh process: wall seconds, peak RSS (MB), its output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed ({process.returncode}):\n{stderr[-2000:]}")
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "stdout": stdout,
        "stderr": stderr,
    }


LAYOUTS = {"no report": "no_report", "reports": "reports"}


def _layout(workdir: Path) -> tuple[Path, dict[str, Path]]:
    return workdir / "data.csv", {name: workdir / folder for name, folder in LAYOUTS.items()}


def _prepare(rows: int, workdir: Path) -> None:
    """The CSV and two container layouts (without / with ``methods.report``)."""
    import pandas as pd
    from bias_bench import config_for, make_data

    parquet = workdir / "data.parquet"
    make_data(rows, parquet)
    csv, bases = _layout(workdir)
    pd.read_parquet(parquet).to_csv(csv, index=False)
    for name, base in bases.items():
        report = name == "reports"
        (base / "processing/input/config").mkdir(parents=True)
        (base / "processing/input/data").mkdir(parents=True)
        os.link(csv, base / "processing/input/data/data.csv")
        methods: dict[str, Any] = {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        }
        if report:
            methods["report"] = {"name": "report", "title": "Bias report"}
        config = config_for("categorical", methods, "text/csv")
        (base / "processing/input/config/analysis_config.json").write_text(json.dumps(config))


def _our_values(base: Path) -> dict[str, Any]:
    """Metric name -> value of the job's ``analysis.json`` (facet ``sex``, its one group)."""
    analysis = json.loads((base / "processing/output/analysis.json").read_text())
    values = {}
    for section in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for metric in analysis[section]["facets"]["sex"][0]["metrics"]:
            values[metric["name"]] = metric["value"]
    return values


def _largest_difference(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[str, float]:
    """The metric where ours and smclarify's differ most, and by how much."""
    if set(ours) != set(theirs):
        return f"metric names differ: {sorted(set(ours) ^ set(theirs))}", float("inf")
    worst, difference = "", 0.0
    for name, value in ours.items():
        other = theirs[name]
        if value == other:
            continue
        gap = float("inf") if value is None or other is None else abs(value - other)
        if gap >= difference:
            worst, difference = name, gap
    return worst or "none", difference


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--smclarify-python",
        type=Path,
        default=ROOT / ".venv-golden" / "bin" / "python",
        help="the Python of an environment with smclarify 0.5 (default: .venv-golden)",
    )
    parser.add_argument("--no-reports", action="store_true", help="skip the job with reports")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also run the job from this source tree (e.g. an older checkout's src/), "
        "interleaved with ours, for a before/after under the same load",
    )
    parser.add_argument("--prepare", nargs=2, metavar=("ROWS", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        _prepare(int(args.prepare[0]), Path(args.prepare[1]))
        return

    have_smclarify = args.smclarify_python.exists()
    print(f"openclarify from {ROOT / 'src'}")
    if args.baseline_src is not None:
        print(f"baseline from {args.baseline_src.resolve()}")
    print(f"smclarify 0.5: {args.smclarify_python if have_smclarify else 'absent (skipped)'}")
    print(f"rows: {args.rows:,}, cores: {os.cpu_count()}, rounds: {args.repeat} (medians)")
    with tempfile.TemporaryDirectory(prefix="job-bench-") as tmp:
        # in a child process, so that this one stays small: a child forked from a
        # process holding the data would count the parent's pages in its peak RSS
        subprocess.run([sys.executable, __file__, "--prepare", str(args.rows), tmp], check=True)
        csv, bases = _layout(Path(tmp))
        print(f"CSV: {csv.stat().st_size / 1e6:.1f} MB; load average before: {_load()}\n")
        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "floor: read bytes": ([sys.executable, "-c", READ_BYTES, str(csv)], None),
            "floor: pandas parse": ([sys.executable, "-c", PANDAS_PARSE, str(csv)], None),
        }
        sources = {"openclarify": ROOT / "src"}
        if args.baseline_src is not None:
            sources["baseline"] = args.baseline_src.resolve()
        for label, source in sources.items():
            for name, base in bases.items():
                if name == "reports" and args.no_reports:
                    continue
                commands[f"{label}, {name}"] = (
                    [sys.executable, "-m", "openclarify", "container", "--base-dir", str(base)],
                    {**os.environ, "PYTHONPATH": str(source)},
                )
        if have_smclarify:
            commands["smclarify bias_report"] = (
                [str(args.smclarify_python), "-c", SMCLARIFY, str(csv)],
                None,
            )
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, (command, command_env) in commands.items():
                run = _timed(command, command_env)
                if name.startswith(("openclarify", "baseline")):
                    read, bias = LOADED.search(run["stderr"]), BIAS.search(run["stderr"])
                    run["read"] = float(read.group(1)) if read else float("nan")
                    run["bias"] = float(bias.group(1)) if bias else float("nan")
                    run["values"] = _our_values(
                        bases["reports" if "reports" in name else "no report"]
                    )
                elif name.startswith("smclarify"):
                    answer = json.loads(run["stdout"].strip().splitlines()[-1])
                    run["bias"], run["values"] = answer["bias_report"], answer["values"]
                runs[name].append(run)
        load_after = _load()

    header = (
        f"{'':24} {'process s':>9} {'(min)':>6} {'CPU s':>6} {'read s':>7} {'bias s':>7}"
        f" {'peak RSS MB':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, done in runs.items():
        read = f"{_median(done, 'read'):7.2f}" if "read" in done[0] else f"{'':7}"
        bias = f"{_median(done, 'bias'):7.2f}" if "bias" in done[0] else f"{'':7}"
        fastest = min(r["seconds"] for r in done)
        print(
            f"{name:24} {_median(done, 'seconds'):9.2f} {fastest:6.2f}"
            f" {_median(done, 'cpu_seconds'):6.2f} {read} {bias}"
            f" {_median(done, 'peak_rss_mb'):11.0f}"
        )
    print(f"\nload average after: {load_after}")
    if have_smclarify:
        expected = runs["smclarify bias_report"][0]["values"]
        for name, done in runs.items():
            if "values" in done[0] and not name.startswith("smclarify"):
                worst, difference = _largest_difference(done[-1]["values"], expected)
                ft = done[-1]["values"].get("FT")
                print(
                    f"{name}: {len(expected)} metrics, largest |ours - smclarify| = "
                    f"{difference:.3g} ({worst}); FT {ft!r} vs {expected.get('FT')!r}"
                )
        theirs = _median(runs["smclarify bias_report"], "bias")
        print("smclarify bias_report alone vs ours:")
        for name in runs:
            if name.startswith(("openclarify", "baseline")):
                whole = _median(runs[name], "seconds")
                bias = _median(runs[name], "bias")
                print(
                    f"  {name:24} end to end {theirs / whole:5.1f}x faster,"
                    f" bias phase {theirs / bias:5.1f}x"
                )


if __name__ == "__main__":
    main()
