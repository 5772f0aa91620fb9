"""A tiny review-sentiment model server speaking the SageMaker inference protocol.

    python sample_configs/text_reviews/serve.py --port 8767

``GET /ping`` answers 200; ``POST /invocations`` takes records of
``[review text, age]`` as ``text/csv`` (one CSV line each, the text quoted when
needed) or ``application/jsonlines`` (``{"features": [text, age]}`` per line)
or ``application/json`` (``{"instances": [[text, age], ...]}``) and answers one
score per record: ``text/csv`` lines, ``{"score": s}`` JSON lines when the
request was JSON Lines, ``{"predictions": [{"score": s}, ...]}`` when it was JSON.

The model is a fixed bag of words (no training, no pickle): the score is
``BIAS + Σ WEIGHTS[word] over the words present (each distinct word once) +
AGE_WEIGHT · (age − 40)``, words being runs of letters (lower-cased); a record
of the text alone is read with age 40.  A text holding ``[MASK]`` is refused
with 400, so a config whose text baseline is ``"[MASK]"`` shows how a model that
rejects the rebuilt texts is reported.  Because
it is a sum over the words present, its exact SHAP values are known: a word
that occurs once in a review gets its weight (tests/explain/text).  Standard
library only; stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIAS = 0.5
AGE_WEIGHT = 0.002
WEIGHTS = {
    "love": 0.30,
    "perfect": 0.25,
    "beautiful": 0.20,
    "comfortable": 0.15,
    "soft": 0.10,
    "great": 0.20,
    "flattering": 0.15,
    "cheap": -0.25,
    "small": -0.10,
    "returned": -0.35,
    "itchy": -0.20,
    "disappointed": -0.30,
    "not": -0.15,
    "thin": -0.10,
}
WORD = re.compile(r"[^\W\d_]+")


def score(text: str, age: float) -> float:
    words = {w.lower() for w in WORD.findall(text)}
    return BIAS + sum(WEIGHTS.get(w, 0.0) for w in words) + AGE_WEIGHT * (age - 40)


def _records(body: str, content_type: str) -> list[tuple[str, float]]:
    if content_type.startswith("application/jsonlines"):
        rows = [json.loads(line)["features"] for line in body.splitlines() if line.strip()]
    elif content_type.startswith("application/json"):
        rows = json.loads(body)["instances"]
    else:
        rows = [r for r in csv.reader(io.StringIO(body)) if r]
    return [(str(row[0]), float(row[1]) if len(row) > 1 else 40.0) for row in rows]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
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
            self._answer(404, b"not found")
            return
        content_type = self.headers.get("Content-Type", "")
        try:
            records = _records(body.decode("utf-8"), content_type)
        except (ValueError, KeyError, TypeError):
            self._answer(400, b"expected records of [review text, age]")
            return
        if any("[MASK]" in text for text, _ in records):
            self._answer(400, b"[MASK] is not accepted in review texts")
            return
        scores = [score(text, age) for text, age in records]
        if content_type.startswith("application/jsonlines"):
            out = "".join(json.dumps({"score": s}) + "\n" for s in scores)
            self._answer(200, out.encode(), "application/jsonlines")
        elif content_type.startswith("application/json"):
            out = json.dumps({"predictions": [{"score": s} for s in scores]})
            self._answer(200, out.encode(), "application/json")
        else:
            self._answer(200, "".join(f"{s!r}\n" for s in scores).encode(), "text/csv")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
