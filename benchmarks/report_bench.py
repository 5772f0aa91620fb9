"""Report benchmark: time to write the reports of the largest sample case.

Prints, for ``sample_configs/<case>`` (default: the one with the most rows),
the time of the first renders in this process (they include importing jinja2,
matplotlib, nbformat and weasyprint — what one job pays), then the median of
``--repeat`` further renders, for HTML + notebook and for HTML + notebook +
PDF, and the peak memory.  Targets: under 3 s without the PDF, 10 s with it.

    python benchmarks/report_bench.py
    python benchmarks/report_bench.py --case jsonlines --repeat 7
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openclarify  # noqa: E402
from openclarify.report import write_reports  # noqa: E402
from openclarify.results import dumps_analysis  # noqa: E402
from tests.report.conftest import CASES, MODEL_CASES, SAMPLES, report_stats  # noqa: E402

#: Cases that need no model server, by number of rows.
OFFLINE = [c for c in CASES if c not in MODEL_CASES]


def _largest() -> str:
    def rows(case: str) -> int:
        config = json.loads((SAMPLES / case / "analysis_config.json").read_text())
        stats = report_stats(config, CASES[case], SAMPLES / case)
        return stats.rows if stats is not None else 0

    return max(OFFLINE, key=rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=OFFLINE, help="default: the case with the most rows")
    parser.add_argument("--repeat", type=int, default=5, help="renders per measurement")
    args = parser.parse_args()
    logging.getLogger("openclarify").setLevel(logging.ERROR)

    case = args.case or _largest()
    config = json.loads((SAMPLES / case / "analysis_config.json").read_text())
    document = openclarify.analyze(config, CASES[case], config_dir=SAMPLES / case).to_dict()
    stats = report_stats(config, CASES[case], SAMPLES / case)
    assert stats is not None
    log = logging.getLogger("openclarify.bench")
    metrics = sum(
        len(g["metrics"])
        for key in ("pre_training_bias_metrics", "post_training_bias_metrics")
        for groups in (document.get(key) or {}).get("facets", {}).values()
        for g in groups
    )
    print(
        f"case {case}: {stats.rows} rows, {len(stats.groups)} facet groups, {metrics} metric values"
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "analysis.json").write_text(dumps_analysis(document))

        def render(pdf: bool) -> float:
            started = time.perf_counter()
            notes = write_reports(document, folder, stats=stats, config=config, log=log, pdf=pdf)
            elapsed = time.perf_counter() - started
            if notes:
                raise SystemExit(f"report failed: {notes}")
            return elapsed

        first = render(pdf=False)
        print(f"first render, HTML + notebook (includes imports): {first:.2f} s")
        first = render(pdf=True)
        print(f"first render with PDF (includes importing weasyprint): {first:.2f} s")
        for pdf, label, target in (
            (False, "HTML + notebook", 3.0),
            (True, "HTML + notebook + PDF", 10.0),
        ):
            times = [render(pdf) for _ in range(args.repeat)]
            median = statistics.median(times)
            verdict = "ok" if median < target else "OVER TARGET"
            print(
                f"{label:24} median {median:.2f} s  (min {min(times):.2f}, max {max(times):.2f}, "
                f"n={args.repeat}; target < {target:.0f} s: {verdict})"
            )
        tracemalloc.start()
        render(pdf=True)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        sizes = {p.suffix: p.stat().st_size for p in folder.glob("report.*")}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak Python allocations during one render with PDF: {peak / 2**20:.1f} MiB")
    print(f"peak RSS of this process: {rss:.0f} MiB")
    print(
        "file sizes: " + ", ".join(f"{k[1:]} {v / 1024:.0f} KiB" for k, v in sorted(sizes.items()))
    )


if __name__ == "__main__":
    main()
