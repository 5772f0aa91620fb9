"""A tiny forecasting model speaking the SageMaker inference protocol, for offline runs.

    python sample_configs/time_series/serve.py --port 8766

``GET /ping`` answers 200; ``POST /invocations`` takes DeepAR-style JSON,
``{"instances": [{"start": ..., "target": [...], "dynamic_feat": [[price...],
[promo...]], "cat": [region]}, ...]}``, and answers
``{"predictions": [{"mean": [3 values]}, ...]}``: a fixed rule (no training) —
the last observed sales, pulled towards the recent mean, lowered by the price and
raised by promotions of the forecast days, plus a regional level.  Standard
library only; stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HORIZON = 3


def forecast(record: dict[str, Any]) -> list[float]:
    target = [float(x) for x in record["target"]]
    price, promo = record.get("dynamic_feat", [[], []])
    region = float(record.get("cat", [0])[0])
    n = len(target)
    recent = sum(target[-3:]) / len(target[-3:])
    out = []
    for h in range(HORIZON):
        step = n + h  # the forecast day's position in the related series
        level = 0.6 * target[-1] + 0.4 * recent + 2.0 * region
        effect = -1.5 * float(price[step]) + 4.0 * float(promo[step]) * (1 + 0.01 * recent)
        out.append(level + effect)
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(200 if self.path == "/ping" else 404, b"")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/invocations":
            self._answer(404, b"not found", "text/plain")
            return
        try:
            instances = json.loads(body)["instances"]
            predictions = [{"mean": forecast(r)} for r in instances]
        except (ValueError, KeyError, IndexError, TypeError):
            self._answer(400, b"expected {'instances': [DeepAR records]}", "text/plain")
            return
        self._answer(200, json.dumps({"predictions": predictions}).encode())

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line per request."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    port = parser.parse_args(argv).port
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
