"""A forecasting model behind the SageMaker inference protocol, on 127.0.0.1 (tests only).

:func:`linear_forecast` is the closed-form model of the tests: for forecast step
``h`` (``H = 3`` steps),

    f_h(x) = d_h + Σ_t a(h, t)·target_t + Σ_r Σ_t b(h, r, t)·related_{r,t} + Σ_j c(h, j)·static_j

with coefficients that depend on the position only, so any series length works.
:func:`interacting_forecast` adds products of neighbouring steps, so that the order
in which players join matters (the linear model's values do not depend on it).

Requests: DeepAR records (``start``, ``target``, ``dynamic_feat``, ``cat``), either
one record (``$record``, also wrapped as ``{"instances": $record}``) or
``{"instances": [...]}``, or JSON Lines (one record per
line); answers ``{"predictions": {"mean": [...]}}``, ``{"predictions": [{"mean": [...]}]}``
or one ``{"mean": [...]}`` per line.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

H = 3


def a(h: int, t: int) -> float:
    return 0.5 * (h + 1) / (t + 1)


def b(h: int, r: int, t: int) -> float:
    return 0.25 * (r + 1) * (h + 1) * (-1) ** t


def c(h: int, j: int) -> float:
    return 2.0 * (j + 1) + h


def d(h: int) -> float:
    return 10.0 * h + 1.0


def linear_forecast(record: dict[str, Any]) -> list[float]:
    target = record["target"]
    related = record.get("dynamic_feat", [])
    statics = record.get("cat", [])
    out = []
    for h in range(H):
        value = d(h)
        value += sum(a(h, t) * x for t, x in enumerate(target))
        value += sum(b(h, r, t) * x for r, row in enumerate(related) for t, x in enumerate(row))
        value += sum(c(h, j) * float(x) for j, x in enumerate(statics))
        out.append(value)
    return out


def interacting_forecast(record: dict[str, Any]) -> list[float]:
    out = linear_forecast(record)
    target = record["target"]
    related = record.get("dynamic_feat", [])
    for h in range(H):
        out[h] += (h + 1) * sum(target[t] * target[t + 1] for t in range(len(target) - 1))
        for row in related:
            out[h] += 0.5 * sum(row[t] * target[min(t, len(target) - 1)] for t in range(len(row)))
    return out


@dataclass
class ForecastServer:
    """State of a running :func:`forecast_server`."""

    model: Callable[[dict[str, Any]], list[float]]
    url: str = ""
    bodies: list[bytes] = field(default_factory=list)
    pings: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: ForecastServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def _reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with state.lock:
                state.pings += 1
            self._reply(200 if self.path == "/ping" else 404, b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.bodies.append(body)
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("application/jsonlines"):
                lines = [json.loads(x) for x in body.decode().splitlines() if x.strip()]
                text = "".join(json.dumps({"mean": state.model(r)}) + "\n" for r in lines)
                self._reply(200, text.encode(), "application/jsonlines")
                return
            document = json.loads(body)
            instances = document.get("instances") if isinstance(document, dict) else None
            if isinstance(instances, list):
                out: Any = {"predictions": [{"mean": state.model(r)} for r in instances]}
            elif isinstance(instances, dict):  # '{"instances": $record}' (EX-TS)
                out = {"predictions": {"mean": state.model(instances)}}
            else:
                out = {"predictions": {"mean": state.model(document)}}
            self._reply(200, json.dumps(out).encode())

    return Handler


@contextmanager
def forecast_server(
    model: Callable[[dict[str, Any]], list[float]] = linear_forecast,
) -> Iterator[ForecastServer]:
    """Serve ``model`` on a free port of 127.0.0.1 for the ``with`` block."""
    state = ForecastServer(model)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def expected_linear(
    target: np.ndarray, related: np.ndarray, statics: list[float], baseline: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Closed-form φ of :func:`linear_forecast`: coefficient × (value − baseline) per cell."""
    t_base, r_base, s_base = baseline["target"], baseline["related"], baseline["statics"]
    out = {
        "target": np.array(
            [[a(h, t) * (target[t] - t_base[t]) for h in range(H)] for t in range(len(target))]
        ),
        "related": np.array(
            [
                [
                    [b(h, r, t) * (related[r, t] - r_base[r, t]) for h in range(H)]
                    for t in range(related.shape[1])
                ]
                for r in range(related.shape[0])
            ]
        ).reshape(related.shape[0], related.shape[1], H),
        "static": np.array(
            [
                [c(h, j) * (float(statics[j]) - float(s_base[j])) for h in range(H)]
                for j in range(len(statics))
            ]
        ).reshape(len(statics), H),
    }
    return out
