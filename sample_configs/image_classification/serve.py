"""A tiny image classifier speaking the SageMaker inference protocol, for offline runs.

    python sample_configs/image_classification/serve.py --port 8766
    python sample_configs/image_classification/serve.py --write-images DIR  # the sample images

``GET /ping`` answers 200; ``POST /invocations`` takes one ``image/jpeg`` or
``image/png`` image (or ``application/x-npy`` arrays) and answers the JSON scores
``[p_dark, p_bright]``, where ``p_bright`` is a logistic function of the mean
brightness of the image's centre (the middle half in each direction) — so the
heat maps light up the centre segments.  No weights, no training; needs numpy
and Pillow (the ``image`` extra).  Stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image


def bright_probability(image: np.ndarray) -> float:
    height, width = image.shape[:2]
    centre = image[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4]
    return 1 / (1 + math.exp(-8 * (float(centre.mean()) / 255 - 0.5)))


def decode(body: bytes, content_type: str) -> np.ndarray:
    """``(N, H, W, 3)`` images from a request body."""
    if content_type.startswith("application/x-npy"):
        array = np.load(io.BytesIO(body), allow_pickle=False)
        return array[None] if array.ndim == 3 else array
    with Image.open(io.BytesIO(body)) as image:
        return np.asarray(image.convert("RGB"))[None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/ping":
            self._answer(200, b"")
        else:
            self._answer(404, b"not found")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/invocations":
            self._answer(404, b"not found")
            return
        try:
            images = decode(body, self.headers.get("Content-Type", ""))
        except Exception:
            self._answer(400, b"send one JPEG or PNG image, or .npy arrays")
            return
        scores = [[1 - p, p] for p in map(bright_probability, images)]
        answer = scores[0] if len(scores) == 1 else scores
        self._answer(200, json.dumps(answer).encode(), "application/json")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


def write_images(folder: Path) -> None:
    """The sample's three 96×96 images: smooth colours, a light or dark centre."""
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:96, 0:96] / 96.0
    for name, centre, phase in (("sunny", 230, 0.0), ("dusk", 40, 0.3), ("mixed", 150, 0.6)):
        channels = [
            127 + 100 * np.sin(2 * np.pi * (x * (1 + c) + y * (2 - c) + phase)) for c in range(3)
        ]
        image = np.stack(channels, axis=-1)
        image[30:66, 30:66] = 0.5 * image[30:66, 30:66] + 0.5 * centre
        Image.fromarray(image.astype(np.uint8)).save(folder / f"{name}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--write-images", type=Path, help="write the sample images and exit")
    args = parser.parse_args()
    if args.write_images is not None:
        write_images(args.write_images)
        return
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
