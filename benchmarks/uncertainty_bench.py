"""Intervals for every count-based metric, against the point estimates and fairlearn's bootstrap.

Same synthetic loan data as ``bias_bench.py`` (1M rows by default; facet
``sex`` = 1, 35 % of rows; group variable ``region``, 10 values).  Prints, as
medians of ``--repeat`` in-process runs:

* ``point`` — one counting pass over the rows (:class:`~openclarify.bias.counts.RowKeys`)
  and the 20 count-based metrics of the facet group (FT, a neighbour search,
  has no interval and is left out of both sides);
* ``point + statistics`` — the same plus ``openclarify.uncertainty`` with
  ``--resamples`` resamples: bootstrap intervals of all 20 metrics, their
  p-values (Fisher exact, permutations of the counts) and the reliability flags
  (:func:`openclarify.bias.beyond.beyond_section`);
* ``fairlearn`` — :class:`fairlearn.metrics.MetricFrame` with ``n_boot`` for one
  metric (``selection_rate`` by ``sex``, whose ``difference()`` is DPPL), on
  ``--fairlearn-rows`` rows with ``--fairlearn-boot`` resamples (fairlearn
  resamples the rows, so its time is linear in rows × resamples; the time per
  1,000 resamples at the full row count is extrapolated from that and labelled
  so), against our DPPL interval on the same rows and resamples.

    python benchmarks/uncertainty_bench.py --rows 1000000 --resamples 1000

Measured on this machine (2 shared cores), 1M rows, 1,000 resamples: see the
README section "Beyond Clarify".
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from openclarify.bias.beyond import CountedGroup, beyond_section
from openclarify.bias.counts import RowKeys
from openclarify.bias.engine import evaluate_group
from openclarify.bias.registry import METRICS
from openclarify.config.extension import BeyondClarifyConfig
from openclarify.results import BiasSection

SPECS = tuple(s for s in METRICS if s.batched is not None)


def make_data(rows: int) -> dict[str, np.ndarray]:
    """The loan data of ``bias_bench.make_data``, as arrays."""
    rng = np.random.default_rng(20261122)
    sex = rng.random(rows) < 0.35
    age = rng.integers(18, 91, rows)
    region = rng.integers(0, 10, rows)
    education = rng.integers(0, 5, rows)
    score = rng.normal(650, 80, rows).round(1)
    logit = -0.8 * sex + 0.02 * (age - 40) + 0.4 * education + (score - 650) / 100
    label = rng.random(rows) < 1 / (1 + np.exp(-logit))
    prediction = rng.random(rows) < 1 / (1 + np.exp(-(logit - 0.3 * sex)))
    return {"sex": sex, "region": region, "y": label, "yhat": prediction}


STAGES = {
    "pre_training": tuple(s for s in SPECS if s.stage == "pre_training"),
    "post_training": tuple(s for s in SPECS if s.stage == "post_training"),
}


def point(data: dict[str, np.ndarray]) -> tuple[CountedGroup, dict[str, BiasSection]]:
    """The counting pass and the point values of both stages."""
    keys = RowKeys.build(data["y"], data["yhat"], data["region"], tuple(range(10)))
    counts, grouped = keys.counts_for(data["sex"])
    sections = {
        stage: BiasSection("y", {"sex": (evaluate_group(specs, "1", counts, grouped),)}, "1")
        for stage, specs in STAGES.items()
    }
    return CountedGroup("sex", "1", counts, grouped), sections


def with_statistics(data: dict[str, np.ndarray], resamples: int) -> dict:
    group, sections = point(data)
    extension = BeyondClarifyConfig.model_validate(
        {"uncertainty": {"resamples": resamples, "seed": 0}}
    )
    return beyond_section(extension, STAGES, dict(sections), [group])


def timed(work: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def job_seconds(data: dict[str, np.ndarray], resamples: int, repeat: int) -> tuple[float, float]:
    """``openclarify.analyze`` on a Parquet file of the data (20 count metrics, no FT),
    without and with ``openclarify.uncertainty`` (the job reads, counts and evaluates)."""
    import tempfile
    from pathlib import Path

    import pandas as pd

    import openclarify
    from openclarify.bias.registry import POST_TRAINING_CODES

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.parquet"
        pd.DataFrame({k: v.astype(np.int64) for k, v in data.items()}).to_parquet(path)
        config = {
            "dataset_type": "application/x-parquet",
            "label": "y",
            "predicted_label": "yhat",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
            "group_variable": "region",
            "methods": {
                "pre_training_bias": {"methods": "all"},
                "post_training_bias": {"methods": [c for c in POST_TRAINING_CODES if c != "FT"]},
            },
        }
        opted = {**config, "openclarify": {"uncertainty": {"resamples": resamples}}}
        plain_s, _ = timed(lambda: openclarify.analyze(config, path), repeat)
        opted_s, _ = timed(lambda: openclarify.analyze(opted, path), repeat)
    return plain_s, opted_s


def fairlearn_dppl(data: dict[str, np.ndarray], rows: int, boot: int) -> tuple[float, list]:
    from fairlearn.metrics import MetricFrame, selection_rate

    started = time.perf_counter()
    frame = MetricFrame(
        metrics=selection_rate,
        y_true=data["y"][:rows],
        y_pred=data["yhat"][:rows],
        sensitive_features=data["sex"][:rows],
        n_boot=boot,
        ci_quantiles=[0.025, 0.975],
        random_state=0,
    )
    interval = [float(v) for v in frame.difference_ci()]  # |a − d| rate, 2.5% and 97.5%
    return time.perf_counter() - started, interval


def _dppl(beyond: dict) -> list:
    groups = beyond["uncertainty"]["post_training_bias_metrics"]["facets"]["sex"]
    return next(m for m in groups[0]["metrics"] if m["name"] == "DPPL")["confidence_interval"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fairlearn-rows", type=int, default=100_000)
    parser.add_argument("--fairlearn-boot", type=int, default=20)
    args = parser.parse_args()

    data = make_data(args.rows)
    point_s, _ = timed(lambda: point(data), args.repeat)
    full_s, beyond = timed(lambda: with_statistics(data, args.resamples), args.repeat)
    print(f"{args.rows:,} rows, {len(SPECS)} count-based metrics, {args.resamples:,} resamples")
    print(f"  point estimates                 {point_s:8.3f} s")
    print(f"  point + intervals + p-values    {full_s:8.3f} s   ({full_s / point_s:.2f}x)")
    print(f"  statistics alone                {full_s - point_s:8.3f} s")
    assert isinstance(beyond, dict)
    print(f"  DPPL 95% interval (ours)        {_dppl(beyond)}")
    plain_s, opted_s = job_seconds(data, args.resamples, args.repeat)
    print(f"  job (Parquet), point estimates  {plain_s:8.3f} s")
    print(f"  job, with openclarify.uncertainty {opted_s:6.3f} s   ({opted_s / plain_s:.2f}x)")

    small = {k: v[: args.fairlearn_rows] for k, v in data.items()}
    ours_s, ours = timed(lambda: with_statistics(small, args.fairlearn_boot), args.repeat)
    theirs_s, interval = fairlearn_dppl(data, args.fairlearn_rows, args.fairlearn_boot)
    per_metric_ours = ours_s / len(SPECS)
    print(
        f"\nSame data, {args.fairlearn_rows:,} rows, {args.fairlearn_boot} resamples, one metric:"
    )
    print(f"  fairlearn MetricFrame(n_boot)   {theirs_s:8.3f} s   |DPPL| interval {interval}")
    print(
        f"  openclarify, all {len(SPECS)} metrics      {ours_s:8.3f} s   "
        f"interval {_dppl(ours)}  ({per_metric_ours:.4f} s per metric)"  # type: ignore[arg-type]
    )
    print(f"  speed-up per metric             {theirs_s / per_metric_ours:8.0f}x")
    scale = (args.rows / args.fairlearn_rows) * (args.resamples / args.fairlearn_boot)
    extrapolated = theirs_s * scale
    print(
        f"\nfairlearn at {args.rows:,} rows × {args.resamples:,} resamples, extrapolated "
        f"(linear in rows × resamples): ~{extrapolated:,.0f} s for one metric; ours "
        f"{(full_s - point_s) / len(SPECS):.4f} s per metric measured: "
        f"~{extrapolated / ((full_s - point_s) / len(SPECS)):,.0f}x"
    )


if __name__ == "__main__":
    main()
