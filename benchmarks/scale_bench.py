"""Scale benchmark: streaming bias engine, rows vs wall time and peak RSS.

Generates synthetic loan data as Parquet (written one row group at a time, so
generation itself stays in bounded memory), then runs the streaming engine on
it in a fresh subprocess per measurement and prints wall time and peak RSS:

* all pre-training metrics + the count-based post-training metrics (every
  post-training metric but FT), streamed;
* FT separately at 1M rows (FT needs all rows: in memory);
* with ``--spark``, the same count-based metrics by the Spark backend in local
  mode (``local[*]``: one task per 1M-row row group), and whether its
  ``analysis.json`` sections equal the streamed ones (hash of the JSON).  The
  session start is timed apart; peak RSS is the driver's only (executors are
  separate Python processes, Spark a JVM).

    python benchmarks/scale_bench.py                     # 1M and 10M rows
    python benchmarks/scale_bench.py --rows 10000000 --no-ft --spark
    python benchmarks/scale_bench.py --rows 100000000    # 100M (≈ 1.5 GB of Parquet)
    python benchmarks/scale_bench.py --rows 1000000 --no-ft --keep /tmp/scale

Data files are cached under ``--keep`` (default: a temporary folder) by row count.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROW_GROUP = 1_000_000
PRE = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
POST_COUNTS = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"]


def make_parquet(rows: int, path: Path, seed: int = 20261122) -> None:
    """Deterministic loan data with a built-in bias, one row group at a time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    tmp = path.with_suffix(".tmp")
    try:
        for start in range(0, rows, ROW_GROUP):
            n = min(ROW_GROUP, rows - start)
            sex = np.where(rng.random(n) < 0.35, "Female", "Male")
            age = rng.integers(18, 91, n)
            region = rng.integers(0, 10, n)
            income = rng.normal(50, 15, n)
            score = income / 100 + (sex == "Male") * 0.1 + rng.normal(0, 0.1, n)
            label = (score > 0.6).astype(np.int64)
            prediction = (score + rng.normal(0, 0.05, n) > 0.6).astype(np.int64)
            table = pa.table(
                {
                    "sex": pa.array(sex, pa.string()),
                    "age": age,
                    "region": region,
                    "income": income,
                    "label": label,
                    "prediction": prediction,
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table, row_group_size=ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)


def config(ft: bool) -> dict[str, Any]:
    return {
        "dataset_type": "application/x-parquet",
        "label": "label",
        "label_values_or_threshold": [1],
        "predicted_label": "prediction",
        "group_variable": "region",
        "facet": [
            {"name_or_index": "sex", "value_or_threshold": ["Female"]},
            {"name_or_index": "age", "value_or_threshold": [40]},
            {"name_or_index": "region"},
        ],
        "methods": (
            {"post_training_bias": {"methods": ["FT"]}}
            if ft
            else {
                "pre_training_bias": {"methods": PRE},
                "post_training_bias": {"methods": POST_COUNTS},
            }
        ),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` belongs to the address space, which ``exec`` replaces, whereas
    ``ru_maxrss`` survives ``exec`` on Linux and would report a large parent's
    peak; ``ru_maxrss`` (KB on Linux) is the fallback elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _digest(sections: Any) -> str:
    from openclarify.results import AnalysisResult

    document = AnalysisResult(pre_training=sections[0], post_training=sections[1]).to_dict()
    return hashlib.sha256(json.dumps(document).encode()).hexdigest()[:16]


def child(data: str, mode: str) -> None:
    """One measurement, in this (fresh) process; prints one JSON line."""
    from openclarify import analyze
    from openclarify.backend import stream_bias_sections
    from openclarify.config import load_config

    started = time.perf_counter()
    extra: dict[str, Any] = {}
    if mode == "stream":
        sections = stream_bias_sections(load_config(config(False)), Path(data))
        assert sections is not None, "the benchmark config must be streamed"
        groups = sum(len(v) for v in sections[0].facets.values())  # type: ignore[union-attr]
        extra["digest"] = _digest(sections)
    elif mode == "spark":
        from openclarify.backend.spark import spark_bias_sections, spark_session

        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        with spark_session() as spark:
            spark.sparkContext.setLogLevel("ERROR")
            extra["session_s"] = round(time.perf_counter() - started, 2)
            started = time.perf_counter()  # the analysis alone, session start excluded
            sections = spark_bias_sections(load_config(config(False)), Path(data), spark=spark)
            groups = sum(len(v) for v in sections[0].facets.values())  # type: ignore[union-attr]
            extra["digest"] = _digest(sections)
    else:  # FT: needs all rows at once
        result = analyze(config(True), data, n_jobs=-1)
        groups = sum(len(v) for v in result.post_training.facets.values())  # type: ignore[union-attr]
    wall = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    print(
        json.dumps(
            {"wall_s": round(wall, 2), "peak_rss_mb": round(peak_mb), "groups": groups, **extra}
        )
    )


def measure(data: Path, mode: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(data), mode],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--keep", type=Path, default=None, help="folder for the generated data")
    parser.add_argument("--no-ft", action="store_true", help="skip the FT measurement")
    parser.add_argument(
        "--spark", action="store_true", help="also run the Spark backend (local mode)"
    )
    parser.add_argument("--child", nargs=2, metavar=("DATA", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print("| rows | what | data MB | generate s | wall s | peak RSS MB |")
    print("|---:|---|---:|---:|---:|---:|")
    for rows in args.rows:
        data = folder / f"loans_{rows}.parquet"
        started = time.perf_counter()
        cached = data.exists()
        if not cached:
            make_parquet(rows, data)
        generated = "cached" if cached else f"{time.perf_counter() - started:.1f}"
        size = data.stat().st_size / 1e6
        result = measure(data, "stream")
        print(
            f"| {rows:,} | 20 count-based metrics, 3 facets (12 groups), streamed | {size:.0f} "
            f"| {generated} | {result['wall_s']} | {result['peak_rss_mb']} |",
            flush=True,
        )
        if args.spark:
            spark = measure(data, "spark")
            same = "equal to streamed" if spark["digest"] == result["digest"] else "DIFFERENT"
            print(
                f"| {rows:,} | same, Spark local[*] ({same}; session start "
                f"{spark['session_s']} s) | {size:.0f} | – | {spark['wall_s']} "
                f"| {spark['peak_rss_mb']} (driver) |",
                flush=True,
            )
    if not args.no_ft:
        rows = 1_000_000
        data = folder / f"loans_{rows}.parquet"
        if not data.exists():
            make_parquet(rows, data)
        result = measure(data, "ft")
        print(
            f"| {rows:,} | FT only, in memory | {data.stat().st_size / 1e6:.0f} | – "
            f"| {result['wall_s']} | {result['peak_rss_mb']} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
