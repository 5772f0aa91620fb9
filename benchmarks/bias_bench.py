"""Bias benchmark: openclarify vs smclarify 0.5 on synthetic data.

Prints wall time and peak RSS for all 21 bias metrics on 1M and 10M rows in
three shapes (categorical facet, continuous facet, 10-valued facet evaluated
one-vs-rest), FT separately, a whole ``openclarify container`` run on a 1M-row
CSV, and — where the pinned smclarify environment exists (``make goldens``
creates ``.venv-golden``) — smclarify's time on the same data in the same run.

    python benchmarks/bias_bench.py                      # 1M and 10M rows
    python benchmarks/bias_bench.py --rows 1000000 --repeat 3

Every measurement runs in a fresh subprocess so peak RSS is that of one
analysis.  Medians of ``--repeat`` runs are printed; machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SMCLARIFY_PYTHON = ROOT / ".venv-golden" / "bin" / "python"

SCENARIOS: dict[str, dict[str, Any]] = {
    "categorical": {"facet": "sex", "values": [1]},
    "continuous": {"facet": "age", "values": [40]},
    "one_vs_rest": {"facet": "region", "values": None},
}
PRE = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
POST_COUNTS = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"]


def make_data(rows: int, path: Path) -> None:
    """Deterministic synthetic loan data with a built-in bias, as Parquet."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(20261122)
    sex = (rng.random(rows) < 0.35).astype(np.int64)
    age = rng.integers(18, 91, rows)
    region = rng.integers(0, 10, rows)
    education = rng.integers(0, 5, rows)
    income = rng.lognormal(10.5, 0.5, rows).round(2)
    score = rng.normal(650, 80, rows).round(1)
    logit = -0.8 * sex + 0.02 * (age - 40) + 0.4 * education + (score - 650) / 100
    label = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    prediction = (rng.random(rows) < 1 / (1 + np.exp(-(logit - 0.3 * sex)))).astype(np.int64)
    frame = pd.DataFrame(
        {
            "sex": sex,
            "age": age,
            "region": region,
            "education": education,
            "income": income,
            "score": score,
            "approved": label,
            "predicted": prediction,
        }
    )
    frame.to_parquet(path, index=False)


def config_for(
    scenario: str, metrics: dict[str, Any], dataset_type: str = "application/x-parquet"
) -> dict[str, Any]:
    facet = {"name_or_index": SCENARIOS[scenario]["facet"]}
    if SCENARIOS[scenario]["values"] is not None:
        facet["value_or_threshold"] = SCENARIOS[scenario]["values"]
    return {
        "dataset_type": dataset_type,
        "label": "approved",
        "predicted_label": "predicted",
        "label_values_or_threshold": [1],
        "facet": [facet],
        "group_variable": "education",
        "methods": metrics,
    }


# --------------------------------------------------------------------------- workers
def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_openclarify(data: Path, scenario: str, part: str) -> dict[str, float]:
    """Time reading+resolving the table and the metric computation separately.

    smclarify's figure starts from a loaded DataFrame, so the comparison uses
    our metric time; the read time is printed beside it.
    """
    sys.path.insert(0, str(ROOT / "src"))
    from openclarify.bias.analysis import bias_sections, resolve_labels
    from openclarify.bias.registry import select
    from openclarify.config import load_config
    from openclarify.data.table import load_bias_table

    methods = {
        "all": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
        "counts": {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": POST_COUNTS},
        },
        "ft": {"post_training_bias": {"methods": ["FT"]}},
    }[part]
    config = load_config(config_for(scenario, methods))
    started = time.perf_counter()
    table = load_bias_table(config, data)
    read = time.perf_counter() - started
    pre = methods.get("pre_training_bias", {}).get("methods")
    post = methods.get("post_training_bias", {}).get("methods")
    started = time.perf_counter()
    labels = resolve_labels(table, [1], 0.5, need_predictions=post is not None)
    bias_sections(
        select("pre_training", pre) if pre else None,
        select("post_training", post) if post else None,
        table,
        labels,
        n_jobs=-1,
    )
    return {
        "seconds": time.perf_counter() - started,
        "read_seconds": read,
        "peak_rss_mb": _peak_rss_mb(),
    }


SMCLARIFY_WORKER = rf"""
import json, sys, time, resource, logging, warnings
logging.disable(logging.CRITICAL); warnings.simplefilter("ignore")
import pandas as pd
from smclarify.bias import report
data, facet, values, part = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
df = pd.read_parquet(data)
started = time.perf_counter()
label = report.LabelColumn("approved", df["approved"], [1])
pred = report.LabelColumn("predicted", df["predicted"], [1])
fc = report.FacetColumn(facet, values)
group = df["education"]
if part in ("all", "counts"):
    report.bias_report(df, fc, label, report.StageType.PRE_TRAINING, pred, ["all"], group)
post = {{"all": ["all"], "counts": {json.dumps(POST_COUNTS)}, "ft": ["FT"]}}[part]
report.bias_report(df, fc, label, report.StageType.POST_TRAINING, pred, post, group)
print(json.dumps({{"seconds": time.perf_counter() - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _run(command: list[str]) -> dict[str, float]:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(kind: str, data: Path, scenario: str, part: str, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        if kind == "openclarify":
            cmd = [sys.executable, __file__, "--worker", str(data), scenario, part]
        else:
            values = json.dumps(SCENARIOS[scenario]["values"])
            cmd = [
                str(SMCLARIFY_PYTHON),
                "-c",
                SMCLARIFY_WORKER,
                str(data),
                SCENARIOS[scenario]["facet"],
                values,
                part,
            ]
        runs.append(_run(cmd))
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def container_run(rows: int, workdir: Path, repeat: int) -> dict[str, float]:
    """A whole `openclarify container` run (process start to exit) on a CSV."""
    import pandas as pd

    base = workdir / f"container_{rows}"
    (base / "processing/input/config").mkdir(parents=True, exist_ok=True)
    (base / "processing/input/data").mkdir(parents=True, exist_ok=True)
    parquet = workdir / f"data_{rows}.parquet"
    pd.read_parquet(parquet).to_csv(base / "processing/input/data/data.csv", index=False)
    config = config_for(
        "categorical",
        {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
        "text/csv",
    )
    (base / "processing/input/config/analysis_config.json").write_text(json.dumps(config))
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "openclarify", "container", "--base-dir", str(base)],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        times.append(time.perf_counter() - started)
    return {"seconds": statistics.median(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--smclarify-max-rows",
        type=int,
        default=1_000_000,
        help="smclarify is slow: skip it above this",
    )
    parser.add_argument(
        "--smclarify-slow", action="store_true", help="also time smclarify's one-vs-rest FT"
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("DATA", "SCENARIO", "PART"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker_openclarify(Path(args.worker[0]), args.worker[1], args.worker[2])))
        return

    have_smclarify = SMCLARIFY_PYTHON.exists()
    print(
        f"smclarify 0.5 environment: {'found' if have_smclarify else 'absent (run `make goldens` to create it)'}"
    )
    print(f"cores: {os.cpu_count()}, repeat: {args.repeat} (medians)\n")
    header = f"{'rows':>11} {'scenario':12} {'metrics':22} {'read s':>7} {'openclarify s':>13} {'peak RSS MB':>11} {'smclarify s':>11} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for rows in args.rows:
            data = workdir / f"data_{rows}.parquet"
            make_data(rows, data)
            for scenario in SCENARIOS:
                for part, label in (("counts", "20 count-based"), ("ft", "FT"), ("all", "all 21")):
                    ours = measure("openclarify", data, scenario, part, args.repeat)
                    theirs = None
                    # smclarify's one-vs-rest FT refits k-NN per value (~6 min at 1M): opt-in
                    slow = scenario == "one_vs_rest" and part == "ft" and not args.smclarify_slow
                    if (
                        have_smclarify
                        and rows <= args.smclarify_max_rows
                        and part != "all"
                        and not slow
                    ):
                        theirs = measure("smclarify", data, scenario, part, 1)
                    ratio = (
                        f"{theirs['seconds'] / ours['seconds']:8.0f}x" if theirs else f"{'-':>9}"
                    )
                    their_s = f"{theirs['seconds']:11.2f}" if theirs else f"{'-':>11}"
                    print(
                        f"{rows:>11,} {scenario:12} {label:22} {ours['read_seconds']:7.2f} "
                        f"{ours['seconds']:13.3f} {ours['peak_rss_mb']:11.0f} {their_s} {ratio}",
                        flush=True,
                    )
            if rows <= 1_000_000:
                whole = container_run(rows, workdir, args.repeat)
                print(
                    f"{rows:>11,} {'container':12} {'all 21, CSV, end-to-end':22} {'':7} "
                    f"{whole['seconds']:13.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
