"""A day of a loan model's traffic, monitored for bias drift: generate, baseline, monitor.

    python sample_configs/model_monitor_bias/run.py out/model_monitor_bias

(``make run SAMPLE=model_monitor_bias`` runs exactly this.)  Everything is generated
here, deterministically (``numpy.random.default_rng(15)``), under ``OUT/input``:

* ``baseline.csv`` + ``baseline_config.json``: the validation data the baseline job
  analysed (features, ground truth, the model's score) — its ``analysis.json``
  (``OUT/baseline``) is the constraints;
* ``capture/loans-endpoint/AllTraffic/2024/01/19/HH/*.jsonl``: a day of endpoint data
  capture, one event every 10 seconds (8,640 events), CSV requests of one to three
  records and CSV score responses, every event with an ``inferenceId``;
* ``groundtruth/2024/01/19/HH/labels.jsonl``: the labels, uploaded an hour later, for
  all but 2 % of the events (those are skipped and counted).

From noon on, the model starts to favour men (a score shift of ``-0.8`` logits for
``Gender`` = 0), so the day's post-training metrics drift beyond the baseline: the
monitoring execution (``OUT``) writes ``constraint_violations.json`` and a report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from openclarify import cli

FEATURES = ["Gender", "Age", "Income", "EducationLevel", "Debt", "YearsEmployed"]
CONFIG = Path(__file__).with_name("monitoring_config.json")
DAY = "2024-01-19"
EVENTS = 8640  # one every 10 seconds
THRESHOLD = 0.5


def applicants(rng: np.random.Generator, n: int) -> np.ndarray:
    """Features of ``n`` applicants (ints and 2-decimal floats, as a client sends them)."""
    return np.column_stack(
        [
            rng.integers(0, 2, n),
            rng.integers(18, 70, n),
            np.round(rng.lognormal(10.5, 0.4, n) / 1000, 2),
            rng.integers(1, 5, n),
            np.round(rng.uniform(0, 40, n), 2),
            rng.integers(0, 30, n),
        ]
    )


def score(rows: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """The model: a logistic score of income, debt and tenure (plus the drift ``shift``)."""
    logit = 0.06 * (rows[:, 2] - 36) - 0.08 * (rows[:, 4] - 20) + 0.05 * rows[:, 5] - 0.4 + shift
    return 1 / (1 + np.exp(-logit))


def approved(rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
    """Ground truth: repayment, slightly easier for Gender = 1 (historical bias)."""
    return (rng.random(len(rows)) < score(rows, 0.3 * rows[:, 0])).astype(int)


def cells(row: np.ndarray) -> str:
    return ",".join(
        str(int(v)) if float(v).is_integer() and i != 2 else f"{v:.2f}" for i, v in enumerate(row)
    )


def write_inputs(folder: Path) -> None:
    rng = np.random.default_rng(15)
    folder.mkdir(parents=True, exist_ok=True)
    rows = applicants(rng, 3000)
    labels = approved(rng, rows)
    scores = score(rows, np.zeros(len(rows)))
    with (folder / "baseline.csv").open("w") as handle:
        handle.write(",".join(["Approved", *FEATURES, "Score"]) + "\n")
        for row, label, value in zip(rows, labels, scores, strict=True):
            handle.write(f"{label},{cells(row)},{value:.6f}\n")
    config = json.loads(CONFIG.read_text())
    config.update(
        dataset_type="text/csv",
        headers=[*config["headers"], "Score"],
        predicted_label="Score",
        probability_threshold=THRESHOLD,
        methods={
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
            "report": {"name": "report", "title": "Analysis Report"},
        },
    )
    (folder / "baseline_config.json").write_text(json.dumps(config, indent=4) + "\n")

    for hour in range(24):
        capture, truth = [], []
        for event in range(EVENTS // 24):
            second = event * 10
            n = int(rng.integers(1, 4))
            rows = applicants(rng, n)
            drift = -0.8 * (1 - rows[:, 0]) if hour >= 12 else np.zeros(n)
            key = f"{hour:02d}-{event:04d}"
            capture.append(
                {
                    "captureData": {
                        "endpointInput": {
                            "observedContentType": "text/csv",
                            "mode": "INPUT",
                            "data": "\n".join(cells(r) for r in rows),
                            "encoding": "CSV",
                        },
                        "endpointOutput": {
                            "observedContentType": "text/csv; charset=utf-8",
                            "mode": "OUTPUT",
                            "data": "\n".join(f"{s:.6f}" for s in score(rows, drift)),
                            "encoding": "CSV",
                        },
                    },
                    "eventMetadata": {
                        "eventId": f"event-{key}",
                        "inferenceId": key,
                        "inferenceTime": f"{DAY}T{hour:02d}:{second // 60:02d}:{second % 60:02d}Z",
                    },
                    "eventVersion": "0",
                }
            )
            if rng.random() >= 0.02:
                labels = approved(rng, rows)
                truth.append(
                    {
                        "groundTruthData": {
                            "data": "\n".join(str(v) for v in labels),
                            "encoding": "CSV",
                        },
                        "eventMetadata": {"eventId": key},
                        "eventVersion": "0",
                    }
                )
        hour_path = f"2024/01/19/{hour:02d}"
        data = folder / "capture" / "loans-endpoint" / "AllTraffic" / hour_path
        labels_folder = folder / "groundtruth" / f"2024/01/19/{min(hour + 1, 23):02d}"
        data.mkdir(parents=True, exist_ok=True)
        labels_folder.mkdir(parents=True, exist_ok=True)
        (data / "00-00-000-capture.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in capture)
        )
        with (labels_folder / f"labels-{hour:02d}.jsonl").open("w") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in truth)


def main(out: str) -> int:
    root = Path(out)
    inputs = root / "input"
    write_inputs(inputs)
    code = cli.main(
        [
            "analyze",
            "--config",
            str(inputs / "baseline_config.json"),
            "--dataset",
            str(inputs / "baseline.csv"),
            "--output",
            str(root / "baseline"),
        ]
    )
    if code != 0:
        return code
    return cli.main(
        [
            "monitor",
            "--config",
            str(CONFIG),
            "--capture",
            str(inputs / "capture"),
            "--ground-truth",
            str(inputs / "groundtruth"),
            "--baseline",
            str(root / "baseline" / "analysis.json"),
            "--start",
            f"{DAY}T00:00:00Z",
            "--end",
            "2024-01-20T00:00:00Z",
            "--threshold-attribute",
            str(THRESHOLD),
            "--output",
            str(root / "execution"),
        ]
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "out/model_monitor_bias"))
