"""Text SHAP benchmark: reviews of about 60 tokens through a local model server.

Setting (issue 16): ``--records`` reviews (default 1,000) of about 60 tokens,
``token`` granularity, the default ``num_samples`` (2P + 2048 per record of P
tokens), served by ``sample_configs/text_reviews/serve.py`` over HTTP (CSV
requests).  Each part runs in a child process of its own, so that its peak
memory (``ru_maxrss``) is its own:

* ``ours``: ``openclarify.analyze`` of the config, as a job runs it: model
  requests and rows (from the job's log), wall time, peak memory;
* ``shap``: ``shap.Explainer`` with ``shap.maskers.Text`` (a word regex, mask
  token ``"..."``, which this model reads as no word) and the Partition algorithm at the same evaluation budget per
  record, calling the same server with CSV batches: the requests, wall time,
  peak memory.  It is not the same estimator (a hierarchical Owen value, not
  Kernel SHAP), but it is shap's own way of explaining a text model.  It is
  slow, so it explains the first ``--shap-records`` reviews (default 20): compare
  seconds per record.

    python benchmarks/text_shap_bench.py                    # 1,000 reviews
    python benchmarks/text_shap_bench.py --records 100      # a quick look
    python benchmarks/text_shap_bench.py --skip-shap        # ours only
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_configs" / "text_reviews"
VOCABULARY = [
    "i",
    "love",
    "this",
    "dress",
    "the",
    "fabric",
    "is",
    "soft",
    "and",
    "fit",
    "perfect",
    "but",
    "color",
    "thin",
    "itchy",
    "small",
    "returned",
    "great",
    "comfortable",
    "flattering",
    "cheap",
    "not",
    "disappointed",
    "it",
    "was",
    "a",
    "little",
    "long",
    "on",
    "top",
    "so",
    "went",
    "with",
    "size",
    "up",
    "and",
    "now",
    "fits",
    "well",
    "wash",
    "after",
    "one",
    "seams",
    "came",
    "apart",
]


def reviews(n: int, seed: int = 0) -> list[str]:
    """``n`` reviews of 50–70 words and punctuation (about 60 spaCy tokens each)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        words = list(rng.choice(VOCABULARY, size=int(rng.integers(45, 62))))
        for position in sorted(rng.choice(len(words), size=5, replace=False), reverse=True):
            words.insert(int(position), rng.choice([",", ".", "!"]))
        out.append(" ".join(words).replace(" ,", ",").replace(" .", ".").replace(" !", "!"))
    return out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(SAMPLE / "serve.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=1):
                break
        except OSError:
            time.sleep(0.05)
    return process, url


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(url: str, data: Path) -> dict[str, object]:
    import openclarify

    config = json.loads((SAMPLE / "analysis_config.json").read_text())
    config["predictor"]["openclarify"]["endpoint_url"] = url
    config["methods"].pop("report")
    config["methods"]["shap"].pop("num_samples")
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("openclarify")
    logger.addHandler(Keep())
    logger.setLevel(logging.INFO)
    started = time.perf_counter()
    result = openclarify.analyze(config, data)
    seconds = time.perf_counter() - started
    calls = [line for line in lines if line.startswith("Model calls")]
    return {
        "part": "ours",
        "seconds": round(seconds, 1),
        "seconds per record": round(
            seconds / max(1, len(result.files[1].content().splitlines())), 3
        ),
        "model calls": calls[-1] if calls else "?",
        "peak MiB": round(_peak_mib()),
        "records": len(result.files[1].content().splitlines()),
    }


def run_shap(url: str, data: Path, records: int) -> dict[str, object]:
    import shap

    with data.open(newline="") as handle:
        texts = [row["Review Text"] for row in csv.DictReader(handle)][:records]
    requests = [0, 0]

    def model(batch: np.ndarray) -> np.ndarray:
        out = []
        for start in range(0, len(batch), 4096):
            body = io.StringIO()
            csv.writer(body, lineterminator="\n").writerows(
                [str(t), 40] for t in batch[start : start + 4096]
            )
            request = urllib.request.Request(
                f"{url}/invocations",
                data=body.getvalue().encode(),
                headers={"Content-Type": "text/csv"},
            )
            with urllib.request.urlopen(request, timeout=600) as answer:
                out.extend(float(v) for v in answer.read().decode().split())
            requests[0] += 1
            requests[1] += len(batch[start : start + 4096])
        return np.array(out)

    # "..." (shap's default mask token) has no words, so for this model it drops the word
    masker = shap.maskers.Text(r"\W+")
    explainer = shap.Explainer(model, masker, algorithm="partition")
    budget = 2 * 60 + 2048
    started = time.perf_counter()
    explainer(texts, max_evals=budget, batch_size=budget, silent=True)
    seconds = time.perf_counter() - started
    return {
        "part": "shap (Text masker, Partition)",
        "seconds": round(seconds, 1),
        "seconds per record": round(seconds / max(1, len(texts)), 3),
        "model calls": f"{requests[0]} requests, {requests[1]} rows",
        "peak MiB": round(_peak_mib()),
        "records": len(texts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--shap-records", type=int, default=20)
    parser.add_argument("--skip-shap", action="store_true")
    parser.add_argument("--part", choices=["ours", "shap"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.part is not None:  # a child: one part, its figures as JSON
        if args.part == "ours":
            print(json.dumps(run_ours(args.url, args.data)))
        else:
            print(json.dumps(run_shap(args.url, args.data, args.shap_records)))
        return 0
    server, url = _serve()
    try:
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder) / "reviews.csv"
            with data.open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["Review Text", "Age", "Recommended"])
                writer.writerows([text, 40, 1] for text in reviews(args.records))
            for part in ["ours"] + ([] if args.skip_shap else ["shap"]):
                done = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        *("--part", part, "--url", url, "--data", str(data)),
                        *("--shap-records", str(args.shap_records)),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                print(done.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
