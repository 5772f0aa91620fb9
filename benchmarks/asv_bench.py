"""Asymmetric Shapley values benchmark: items × steps × related series through a model server.

A synthetic ``timestamp_records`` dataset (``--items`` items of ``--steps`` steps, the
target observed on all but the last ``--future`` steps, ``--related`` related series),
``fine_grained`` chronological ASV with ``num_samples = (1 + related)²`` (the
documented rule of thumb; with blocks of ``1 + related`` players the exact values are
cheaper, so they are exact), and a linear forecaster served over HTTP on 127.0.0.1 in
a separate process (``$records`` requests, ``predictions[*].mean``, 12 forecast steps).
Prints coalitions (records sent), requests, wall time and peak resident memory of
the analysing process.

    python benchmarks/asv_bench.py --items 1000 --steps 48 --related 3

Measured (2 cores shared with other jobs, load average ≈ 10): 1000 items, 625 coalitions
each (36 blocks of 4 players, 12 future blocks of 3: 1 + 36·15 + 12·7), 625,000 records in 252
requests of ~2,480 records, 223 s wall, 535 MB peak RSS; 200 items 39 s, 416 MB.  Before
the records were assembled from one Arrow text per value, rendering alone took about
0.4 ms per record (Python's float formatting).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import resource
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

HORIZON = 12


def _serve(port_queue: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._reply(200, b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            predictions = []
            for record in json.loads(body)["instances"]:
                target = np.asarray(record["target"], dtype=float)
                related = np.asarray(record["dynamic_feat"], dtype=float)
                level = 0.7 * target[-1] + 0.3 * target.mean() + related[:, -HORIZON:].sum(0)
                predictions.append({"mean": (level * np.linspace(1.0, 1.1, HORIZON)).tolist()})
            self._reply(200, json.dumps({"predictions": predictions}).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def _dataset(path: Path, items: int, steps: int, related: int, future: int) -> None:
    rng = np.random.default_rng(7)
    rows = []
    for k in range(items):
        target = 100 + np.cumsum(rng.normal(size=steps))
        covariates = rng.normal(size=(related, steps))
        for t in range(steps):
            row: dict[str, Any] = {"item_id": f"item_{k:05d}", "timestamp": t}
            row["target"] = float(target[t]) if t < steps - future else None
            row.update({f"r{j}": float(covariates[j, t]) for j in range(related)})
            rows.append(row)
    path.write_text(json.dumps(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument("--related", type=int, default=3)
    parser.add_argument("--future", type=int, default=HORIZON)
    args = parser.parse_args(argv)

    import openclarify

    queue: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{queue.get(timeout=30)}"
    names = [f"r{j}" for j in range(args.related)]
    config = {
        "dataset_type": "application/json",
        "headers": ["item_id", "timestamp", "target", *names],
        "time_series_data_config": {
            "item_id": "[].item_id",
            "timestamp": "[].timestamp",
            "target_time_series": "[].target",
            "related_time_series": [f"[].{n}" for n in names],
            "dataset_format": "timestamp_records",
        },
        "predictor": {
            "endpoint_name": "bench",
            "content_type": "application/json",
            "accept_type": "application/json",
            "content_template": '{"instances": $records}',
            "record_template": (
                '{"start": $start_time, "target": $target_time_series, '
                '"dynamic_feat": $related_time_series}'
            ),
            "time_series_predictor_config": {"forecast": "predictions[*].mean"},
            "openclarify": {"endpoint_url": url},
        },
        "methods": {
            "asymmetric_shapley_value": {
                "direction": "chronological",
                "granularity": "fine_grained",
                "num_samples": (1 + args.related) ** 2,
            }
        },
    }
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            dataset = Path(scratch) / "data.json"
            _dataset(dataset, args.items, args.steps, args.related, args.future)
            started = time.perf_counter()
            openclarify.run(config, dataset, Path(scratch) / "out")
            seconds = time.perf_counter() - started
    finally:
        server.terminate()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.items} items x {args.steps} steps x {args.related} related, fine_grained: "
        f"{seconds:.1f} s, peak RSS {peak_mb:.0f} MB (model calls: see 'Model calls' above)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
