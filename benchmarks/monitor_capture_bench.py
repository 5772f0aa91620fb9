"""Monitoring-execution benchmark: a day of data capture (86,400 events × 50 features).

Writes a day of hourly capture files (CSV requests, one record per event, a score
response) and their ground truth, then measures in fresh subprocesses, so that
peak RSS is that of one run:

* ``dataset`` — capture → dataset file only (:func:`build_capture_dataset`: parse,
  window, ground-truth join, write);
* ``bias`` — the whole ``openclarify monitor`` execution: every pre- and
  post-training metric except FT (its neighbour search is measured by
  ``ft_bench.py``), no report;
* ``bias+FT`` — the same with FT, the bias monitor's default ``"all"``.

    python benchmarks/monitor_capture_bench.py                  # 86,400 events
    python benchmarks/monitor_capture_bench.py --events 8640 --features 20

Prints wall time, events per second and peak RSS.  The capture itself is about
``events × features × 12`` bytes of JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def write_day(root: Path, events: int, features: int, seed: int = 0) -> None:
    """Hour folders of capture and ground truth, the layout the service writes."""
    rng = np.random.default_rng(seed)
    per_hour = -(-events // 24)
    names = [f"f{i}" for i in range(features)]
    for hour in range(24):
        count = min(per_hour, events - hour * per_hour)
        if count <= 0:
            break
        values = np.round(rng.normal(size=(count, features)), 4)
        values[:, 0] = rng.integers(0, 2, count)  # the facet
        score = 1 / (1 + np.exp(-(values[:, 1] + values[:, 0])))
        label = (rng.random(count) < score).astype(int)
        folder = root / "capture" / "ep" / "AllTraffic" / "2024" / "01" / "19" / f"{hour:02d}"
        truth = root / "truth" / "2024" / "01" / "19" / f"{hour:02d}"
        folder.mkdir(parents=True)
        truth.mkdir(parents=True)
        with (folder / "capture.jsonl").open("w") as cap, (truth / "gt.jsonl").open("w") as gt:
            for i in range(count):
                key = f"{hour}-{i}"
                second = i * 3600 // count
                row = ",".join(repr(float(v)) for v in values[i, 1:])
                record = {
                    "captureData": {
                        "endpointInput": {
                            "observedContentType": "text/csv",
                            "mode": "INPUT",
                            "data": f"{int(values[i, 0])},{row}",
                            "encoding": "CSV",
                        },
                        "endpointOutput": {
                            "observedContentType": "text/csv; charset=utf-8",
                            "mode": "OUTPUT",
                            "data": repr(float(score[i])),
                            "encoding": "CSV",
                        },
                    },
                    "eventMetadata": {
                        "eventId": key,
                        "inferenceTime": f"2024-01-19T{hour:02d}:{second // 60:02d}:{second % 60:02d}Z",
                    },
                    "eventVersion": "0",
                }
                cap.write(json.dumps(record) + "\n")
                gt.write(
                    json.dumps(
                        {
                            "groundTruthData": {"data": str(label[i]), "encoding": "CSV"},
                            "eventMetadata": {"eventId": key},
                            "eventVersion": "0",
                        }
                    )
                    + "\n"
                )
    config = {
        "headers": ["label", *names],
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "f0", "value_or_threshold": [1]}],
    }
    (root / "config.json").write_text(json.dumps(config))


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
root, what = Path(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
if what == "dataset":
    from openclarify.monitor.attributes import CaptureAttributes
    from openclarify.monitor.dataset import build_capture_dataset
    from openclarify.monitor.execution import monitoring_document
    from openclarify.monitor.groundtruth import read_ground_truth
    document = monitoring_document(json.loads((root / "config.json").read_text()))
    scratch = root / "scratch"; scratch.mkdir(exist_ok=True)
    built = build_capture_dataset(document, root / "capture", scratch,
        attributes=CaptureAttributes(), ground_truth=read_ground_truth(root / "truth"))
    records = built.tally.records
else:
    from openclarify.monitor.execution import MonitoringRun, run_monitoring
    config = json.loads((root / "config.json").read_text())
    post = {"methods": "all"} if what == "bias+FT" else {"methods": [
        "AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"]}
    config["methods"] = {"pre_training_bias": {"methods": "all"}, "post_training_bias": post,
                         "report": None}
    (root / "run.json").write_text(json.dumps(config))
    done = run_monitoring(MonitoringRun(root / "run.json", root / "capture", root / "out",
                                        ground_truth=root / "truth"))
    records = done.tally.records
print(json.dumps({"seconds": time.perf_counter() - started, "records": records,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(root: Path, what: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), what],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=86_400)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--skip-ft", action="store_true", help="leave out the bias+FT run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as folder:
        root = Path(folder)
        started = time.perf_counter()
        write_day(root, args.events, args.features)
        size = sum(p.stat().st_size for p in (root / "capture").rglob("*.jsonl"))
        print(
            f"{args.events} events × {args.features} features: capture {size / 1e6:.0f} MB "
            f"written in {time.perf_counter() - started:.1f}s"
        )
        runs = ["dataset", "bias"] + ([] if args.skip_ft else ["bias+FT"])
        for what in runs:
            found = measure(root, what)
            print(
                f"{what:9} {found['seconds']:7.1f}s  {found['records'] / found['seconds']:9.0f} "
                f"events/s  peak RSS {found['peak_rss_mb']:6.0f} MB"
            )


if __name__ == "__main__":
    main()
