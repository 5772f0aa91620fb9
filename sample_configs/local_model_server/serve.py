"""A tiny model server speaking the SageMaker inference protocol, for offline runs.

    python sample_configs/local_model_server/serve.py --port 8765

``GET /ping`` answers 200; ``POST /invocations`` takes ``text/csv`` rows of the
loan features (Gender, Age, EducationLevel, YearsEmployed, AnnualIncome,
DebtToIncome, CreditScore, LoanAmount — no header) and answers one approval
probability per line.  The model is a fixed logistic scoring rule (no pickle,
no training), deliberately harsher on ``Gender=Female`` so post-training bias
shows.  Standard library only; stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FEATURES = 8


def approval_probability(row: list[str]) -> float:
    gender, age, education, years, income, dti, credit, loan = row
    logit = (
        -0.9 * (gender == "Female")
        + 0.01 * (float(age) - 40)
        + 0.25 * (float(education) - 2)
        + 0.04 * float(years)
        + (float(income) - 50_000) / 40_000
        - 3.0 * (float(dti) - 0.35)
        + (float(credit) - 680) / 60
        - (float(loan) - 15_000) / 25_000
    )
    return 1 / (1 + math.exp(-logit))


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
        if not self.headers.get("Content-Type", "").startswith("text/csv"):
            self._answer(415, b"this model reads text/csv")
            return
        rows = [r for r in csv.reader(io.StringIO(body.decode("utf-8"))) if r]
        if any(len(r) != FEATURES for r in rows):
            self._answer(400, f"expected {FEATURES} features per row".encode())
            return
        try:
            scores = [approval_probability(r) for r in rows]
        except ValueError:
            self._answer(400, b"non-numeric value in a numeric feature")
            return
        self._answer(200, "".join(f"{s!r}\n" for s in scores).encode(), "text/csv")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
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
