"""A small image model server for tests: the SageMaker inference protocol over HTTP.

``POST /invocations`` decodes the body by its ``Content-Type`` — ``image/jpeg`` /
``image/png`` with Pillow, ``application/x-npy`` with ``numpy.load`` (one
``(H, W, 3)`` image or an ``(N, H, W, 3)`` batch) — calls ``model(batch)`` on the
``(N, H, W, 3)`` float array and answers its JSON.  Every request is recorded.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from PIL import Image

#: ``model(images[N, H, W, 3] float64) -> JSON-able answer`` for the whole request.
ImageModel = Callable[[np.ndarray], Any]


@dataclass
class ImageServer:
    model: ImageModel
    url: str = ""
    content_types: list[str] = field(default_factory=list)
    shapes: list[tuple[int, ...]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def decode_body(body: bytes, content_type: str) -> np.ndarray:
    if content_type == "application/x-npy":
        array = np.load(io.BytesIO(body), allow_pickle=False)
        return array[None] if array.ndim == 3 else array
    with Image.open(io.BytesIO(body)) as image:
        return np.asarray(image.convert("RGB"))[None]


@contextmanager
def image_server(model: ImageModel) -> Iterator[ImageServer]:
    state = ImageServer(model)

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
            self._reply(200 if self.path == "/ping" else 404, b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            content_type = self.headers.get("Content-Type", "")
            try:
                batch = decode_body(body, content_type)
            except Exception as exc:  # the test sees a model error
                self._reply(400, str(type(exc).__name__).encode())
                return
            with state.lock:
                state.content_types.append(content_type)
                state.shapes.append(tuple(batch.shape))
            answer = state.model(batch.astype(np.float64))
            self._reply(200, json.dumps(answer).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
