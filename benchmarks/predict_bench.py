"""Prediction benchmark: rows through a SageMaker endpoint (the emulator) with a trivial model.

Prints requests made, rows per request, rows/s and peak RSS for ``--rows`` rows
of ``--features`` float features, per request format.  The model answers a
constant score per record without decoding the request, so the figure is the
client's (serialise, send, parse, re-align) plus the local HTTP round trip —
and the emulator's own bookkeeping, which runs in the same process and shares
its GIL (it decodes every JSON request to count records, which is why JSON
is the slowest line).

    python benchmarks/predict_bench.py                     # 1M rows x 10 features
    python benchmarks/predict_bench.py --rows 200000 --formats csv

Targets (issue 3): >= 1,000 rows per request on average, >= 50k rows/s.
Every format runs in a fresh subprocess so peak RSS is that of one run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PREDICTORS: dict[str, dict[str, Any]] = {
    "csv": {"content_type": "text/csv", "accept_type": "text/csv"},
    "jsonlines": {
        "content_type": "application/jsonlines",
        "accept_type": "application/jsonlines",
        "content_template": '{"features":$features}',
        "probability": "score",
    },
    "json": {
        "content_type": "application/json",
        "accept_type": "application/json",
        "content_template": '{"instances":$records}',
        "record_template": "$features",
        "probability": "predictions[*].score",
    },
}


def one_run(rows: int, features: int, fmt: str, concurrency: int) -> dict[str, Any]:
    """Predict ``rows`` rows in this process; returns the figures."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import pandas as pd

    from openclarify.config import load_config
    from openclarify.data.table import BiasTable
    from openclarify.predict import PredictRuntime, predictions_for
    from tests.emulator import RawModel, start_emulator
    from tests.emulator.model import Invocation, ModelResponse

    def constant(invocation: Invocation) -> ModelResponse:
        if fmt == "json":
            n = invocation.body.count(b"],[") + 1
            items = ",".join(['{"score":0.75}'] * n)
            return ModelResponse(('{"predictions":[' + items + "]}").encode(), "application/json")
        n = invocation.body.count(b"\n")
        if fmt == "csv":
            return ModelResponse(b"0.75\n" * n, "text/csv")
        return ModelResponse(b'{"score":0.75}\n' * n, "application/jsonlines")

    names = [f"f{i}" for i in range(features)]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, features)), columns=names)
    frame["label"] = rng.integers(0, 2, rows)
    table = BiasTable(frame, "label", None, None, [], names)
    with start_emulator(model=RawModel(constant)):
        predictor = {
            "endpoint_name": "clarify-test-endpoint",
            **PREDICTORS[fmt],
            "openclarify": {"max_concurrency": concurrency},
        }
        config = load_config(
            {"dataset_type": "text/csv", "label": "label", "methods": {}, "predictor": predictor}
        )
        runtime = PredictRuntime()
        started = time.perf_counter()
        column = predictions_for(config, table, runtime=runtime)
        seconds = time.perf_counter() - started
    assert len(column) == rows and runtime.stats is not None
    return {
        "format": fmt,
        "rows": rows,
        "requests": runtime.stats.requests,
        "rows_per_request": runtime.stats.rows_per_request,
        "seconds": seconds,
        "rows_per_second": rows / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--formats", nargs="+", default=list(PREDICTORS), choices=list(PREDICTORS))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.rows, args.features, args.one, args.concurrency)))
        return
    print(
        f"{'format':<10} {'rows':>9} {'requests':>8} {'rows/req':>9} {'rows/s':>10} {'RSS MB':>7}"
    )
    for fmt in args.formats:
        command = [
            sys.executable,
            __file__,
            "--one",
            fmt,
            "--rows",
            str(args.rows),
            "--features",
            str(args.features),
            "--concurrency",
            str(args.concurrency),
        ]
        result = json.loads(
            subprocess.run(command, check=True, capture_output=True, text=True).stdout
        )
        print(
            f"{fmt:<10} {result['rows']:>9} {result['requests']:>8} "
            f"{result['rows_per_request']:>9.0f} {result['rows_per_second']:>10,.0f} "
            f"{result['peak_rss_mb']:>7.0f}"
        )


if __name__ == "__main__":
    main()
