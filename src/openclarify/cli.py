"""Command-line front door: parse arguments, call the library, map errors.

    openclarify analyze   --config analysis_config.json --dataset PATH --output DIR
    openclarify validate  --config analysis_config.json
    openclarify container [--base-dir /opt/ml]
    openclarify monitor   --config analysis_config.json --capture DIR_or_s3 --output DIR
                          [--ground-truth DIR_or_s3] [--baseline analysis.json]
                          [--start ISO] [--end ISO]
    openclarify metrics
    openclarify report    RUN/analysis.json --output DIR
    openclarify report    --compare A/analysis.json B/analysis.json --output DIR
    openclarify check     --baseline A/analysis.json --current B/analysis.json --output DIR
    openclarify mitigate  resample|reweigh|thresholds --data IN --label L --label-values V \
                          --facet F --output OUT

Exit codes are those of :mod:`openclarify.errors`.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from .errors import VIOLATIONS_EXIT_CODE, ConfigError, OutputError, UserError

if TYPE_CHECKING:
    from .results import AnalysisResult

log = logging.getLogger("openclarify")


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    root = logging.getLogger("openclarify")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openclarify",
        description="Bias metrics and explanations, a drop-in for the SageMaker Clarify container.",
    )
    parser.add_argument("--version", action="version", version=f"openclarify {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    analyze = sub.add_parser("analyze", help="run an analysis_config.json on a dataset")
    analyze.add_argument("--config", required=True, type=Path, help="analysis_config.json")
    analyze.add_argument(
        "--dataset", type=Path, help="dataset file or folder (default: $.dataset_uri)"
    )
    # a str, not a Path: Path("s3://b/p") would collapse the "//"
    analyze.add_argument(
        "--output", required=True, help="folder for the results, or s3://bucket/prefix"
    )
    analyze.add_argument(
        "--backend",
        choices=["local", "memory", "spark"],
        default="local",
        help="local: stream record batches where possible (default); memory: load the table; "
        "spark: run on Apache Spark (pip install 'openclarify[spark]'; master from "
        "$OPENCLARIFY_SPARK_MASTER, default local[*])",
    )

    validate = sub.add_parser("validate", help="check an analysis_config.json without data")
    validate.add_argument("--config", required=True, type=Path, help="analysis_config.json")

    container = sub.add_parser("container", help="run as the SageMaker Processing container")
    container.add_argument("--base-dir", default="/opt/ml", type=Path, help="default: /opt/ml")

    monitor = sub.add_parser(
        "monitor",
        help="one Model Monitor execution on captured traffic (as the image runs it)",
        description="Read data capture, merged or batch-transform records, join ground truth, "
        "keep the window [--start, --end), run the analysis and, with --baseline, check it.",
    )
    monitor.add_argument("--config", required=True, type=Path, help="analysis_config.json")
    monitor.add_argument("--capture", required=True, help="capture file or folder, or s3://")
    monitor.add_argument("--ground-truth", help="ground-truth file or folder, or s3://")
    monitor.add_argument("--baseline", type=Path, help="the baseline analysis.json")
    monitor.add_argument("--start", help="window start, ISO 8601 (inclusive)")
    monitor.add_argument("--end", help="window end, ISO 8601 (exclusive)")
    monitor.add_argument(
        "--dataset-format", help='the service\'s dataset_format JSON, e.g. {"csv":{"header":true}}'
    )
    for name, api in (
        ("features", "FeaturesAttribute"),
        ("inference", "InferenceAttribute"),
        ("probability", "ProbabilityAttribute"),
        ("threshold", "ProbabilityThresholdAttribute"),
        ("exclude", "ExcludeFeaturesAttribute"),
    ):
        monitor.add_argument(f"--{name}-attribute", dest=name, help=f"the job's {api}")
    monitor.add_argument("--output", required=True, help="folder for the results, or s3://")

    sub.add_parser("metrics", help="list the bias metrics")

    report = sub.add_parser(
        "report",
        help="render report.html/.ipynb/.pdf from an analysis.json, or compare two runs",
        description="Render the report of one run from its analysis.json (the statistics that "
        "need the dataset are left out), or two runs side by side with --compare.",
    )
    report.add_argument("analysis", nargs="?", type=Path, help="analysis.json (or its folder)")
    report.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("A", "B"),
        help="two analysis.json files (or folders) to show side by side, A then B",
    )
    report.add_argument("--output", required=True, type=Path, help="folder for the report files")
    report.add_argument("--name", help="file name without extension (default: report / comparison)")
    report.add_argument("--title", help="title shown in the report")
    report.add_argument("--no-pdf", action="store_true", help="skip the PDF (the slowest part)")

    check = sub.add_parser(
        "check",
        help="check an analysis.json against a baseline one (Model Monitor / ClarifyCheckStep)",
        description="Write DIR/constraint_violations.json when the current analysis violates "
        f"the baseline and exit {VIOLATIONS_EXIT_CODE}; without violations write nothing and "
        "exit 0.",
    )
    check.add_argument("--baseline", required=True, help="baseline analysis.json (path or s3://)")
    check.add_argument("--current", required=True, help="current analysis.json (path or s3://)")
    check.add_argument("--output", required=True, help="folder or s3://bucket/prefix")
    check.add_argument(
        "--di-centred",
        action="store_true",
        help="check DI by its distance from 1 instead of from 0 (not Clarify's documented rule)",
    )
    check.add_argument(
        "--ndcg-threshold",
        type=float,
        default=0.9,
        help="attribution drift: an nDCG below this is a violation (default 0.9)",
    )
    check.add_argument(
        "--cloudwatch",
        action="store_true",
        help="publish the current metrics with PutMetricData (standard AWS credentials)",
    )
    check.add_argument("--openmetrics", type=Path, help="also write the metrics to this .prom file")
    check.add_argument("--endpoint", help="Endpoint dimension (default: none, batch namespaces)")
    check.add_argument("--schedule", help="MonitoringSchedule dimension")

    from .mitigate.command import add_parser as add_mitigate

    add_mitigate(sub)
    return parser


def _check_command(args: argparse.Namespace) -> int:
    """``openclarify check``: violations → the file and exit code 9; none → exit 0."""
    import math

    from .monitor.command import run_check

    if not math.isfinite(args.ndcg_threshold):
        raise ConfigError("--ndcg-threshold", "expected a finite number", "pass e.g. 0.9")
    done = run_check(
        args.baseline,
        args.current,
        args.output,
        di_centred=args.di_centred,
        ndcg_threshold=args.ndcg_threshold,
        cloudwatch=args.cloudwatch,
        openmetrics=args.openmetrics,
        endpoint=args.endpoint,
        schedule=args.schedule,
        log=log,
    )
    check = done.check
    print(
        f"{check.compared} value(s) compared ({check.kind}), {len(check.violations)} violation(s)"
    )
    for violation in check.violations:
        where = violation.label or f"{violation.facet}={violation.facet_value}"
        print(f"  {violation.metric_name} ({where}): {violation.description}")
    if done.violations is not None:
        print(f"Wrote {done.violations}")
        return VIOLATIONS_EXIT_CODE
    return 0


def _read_analysis(path: Path) -> dict[str, Any]:
    """An analysis.json document; every problem is a one-line DatasetError."""
    from .monitor.documents import read_analysis

    return read_analysis(path)


def _output_folder(output: Path) -> Path:
    if output.exists() and not output.is_dir():
        raise OutputError(
            str(output), "the output path is a file, expected a folder", "pass a folder path"
        )
    return output


def _place_analysis(source: Path, copy: Path, document: dict[str, Any]) -> None:
    """Put analysis.json next to the notebook, which re-reads it from its own folder."""
    from .results import write_atomic

    if copy.exists():
        if copy.resolve() == source.resolve():
            return
        try:
            same = json.loads(copy.read_text(encoding="utf-8")) == document
        except (OSError, ValueError):
            same = False
        if not same:
            raise OutputError(
                str(copy),
                "the output folder already holds a different analysis.json",
                "choose an empty folder or the run's own folder",
            )
        return
    try:
        write_atomic(copy, source.read_bytes())
    except OSError as exc:
        raise OutputError(
            str(copy.parent), f"cannot write {copy.name} ({exc.strerror or type(exc).__name__})"
        ) from None


def _report_command(args: argparse.Namespace) -> int:
    """``openclarify report``: one run re-rendered, or two runs compared."""
    from . import report
    from .job import ANALYSIS_FILE

    output = _output_folder(args.output)
    if args.compare is not None:
        first, second = (_read_analysis(p) for p in args.compare)
        name = args.name or "comparison"
        notes = report.write_comparison(
            first,
            second,
            output,
            name=name,
            name_a=str(args.compare[0]),
            name_b=str(args.compare[1]),
            title=args.title,
            pdf=not args.no_pdf,
        )
    else:
        document = _read_analysis(args.analysis)
        source = args.analysis / ANALYSIS_FILE if args.analysis.is_dir() else args.analysis
        _place_analysis(source, output / ANALYSIS_FILE, document)
        name = args.name or report.DEFAULT_NAME
        notes = report.write_reports(
            document, output, name=name, title=args.title, pdf=not args.no_pdf
        )
    for note in notes:
        print(f"error: {note}", file=sys.stderr)
    if notes:
        return OutputError.exit_code
    print(f"Wrote {name} files to {output}")
    return 0


def _print_summary(result: AnalysisResult, output: str) -> None:
    """Where analysis.json went and a short table of the metric values."""
    import pandas as pd

    from .job import ANALYSIS_FILE

    frame = result.metrics_frame()
    print(f"Wrote {output.rstrip('/')}/{ANALYSIS_FILE}")
    if len(frame):
        table = frame.pivot_table(
            index=["facet", "value_or_threshold"],
            columns="metric",
            values="value",
            aggfunc="first",
            sort=False,
        )
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print(table.round(4).to_string())
        if result.beyond is not None:
            _print_beyond(frame, result)


def _print_beyond(frame: Any, result: AnalysisResult) -> None:
    """With ``openclarify``: intervals, p-values, flags and the per-group performance."""
    import pandas as pd

    performance = result.group_performance_frame()
    if "ci_low" in frame.columns:
        shown = frame[
            ["facet", "value_or_threshold", "metric", "value", "ci_low", "ci_high", "p_value"]
        ]
        shown = shown.assign(flags=frame["flags"])
        level = (result.beyond or {}).get("uncertainty", {}).get("confidence_level", 0.95)
        print(f"\n{level:.0%} confidence intervals (bootstrap), p-values and reliability flags:")
        with pd.option_context("display.width", 200, "display.max_rows", 500):
            print(shown.round(4).to_string(index=False))
    if len(performance):
        print("\nPer-group performance (value [low, high]):")
        rates = ("base_rate", "acceptance_rate", "tpr", "fpr", "precision", "accuracy")
        table = performance[["facet", "value_or_threshold", "rows"]].copy()
        for rate in rates:
            table[rate] = [
                f"{v:.3f} [{lo:.3f}, {hi:.3f}]"
                for v, lo, hi in zip(
                    performance[rate],
                    performance[f"{rate}_low"],
                    performance[f"{rate}_high"],
                    strict=True,
                )
            ]
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(table.to_string(index=False))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``openclarify`` command; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "report" and (args.analysis is None) == (args.compare is None):
        parser.error("report: give either one analysis.json or --compare A B")
    _configure_logging(args.verbose)
    try:
        if args.command == "container":
            from .container import run_container

            return run_container(args.base_dir)
        if args.command == "metrics":
            from .bias.registry import METRICS

            for spec in METRICS:
                print(
                    f"{spec.code:6} {spec.stage:14} {spec.value_range:12} fair={spec.fair_value:g}  {spec.description}"
                )
            return 0
        if args.command == "report":
            return _report_command(args)
        if args.command == "monitor":
            from .monitor.cli_monitor import run_from_arguments

            return run_from_arguments(args)
        if args.command == "check":
            return _check_command(args)
        if args.command == "mitigate":
            from .mitigate.command import run as run_mitigate

            return run_mitigate(args)
        if args.command == "validate":
            from . import job
            from .config import load_config

            job.plan_analysis(load_config(args.config))
            print(f"{args.config}: valid")
            return 0
        return _analyze_command(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _analyze_command(args: argparse.Namespace) -> int:
    """``openclarify analyze``: the job, its PDF printer started before the job is imported."""
    from .outputs import printer_for_config_file

    printer = printer_for_config_file(args.config)  # see the container's use of it
    try:
        from . import job

        result = job.run(
            args.config,
            args.dataset,
            args.output,
            config_dir=args.config.parent,
            backend=args.backend,
            printer=printer,
        )
    finally:
        if printer is not None:
            printer.close()  # a no-op once the job printed with it
    _print_summary(result, args.output)
    return 0


def console() -> NoReturn:
    """The ``openclarify`` command (console script, ``python -m openclarify``): :func:`main`, then exit.

    :func:`main` returns the exit code, so that tests and callers run it in their own
    process; this is the process's end.
    """
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` without tearing the interpreter down.

    An orderly interpreter exit frees every module and object one by one: with
    pandas, pyarrow and NumPy loaded that is 0.1-0.2 s of a small job's 1 s, spent
    on memory the operating system reclaims at once.  What that exit does that
    matters is done here first, in the same order: the ``atexit`` handlers
    (logging's flush, ``weakref.finalize`` of temporary files, a Spark context's
    stop), then flushing stdout and stderr (a failed flush exits 120, as Python
    does).  A non-daemon thread still running would be waited for by an
    orderly exit, so then this is one: ``sys.exit`` (nothing in a job leaves such
    a thread, but a library might).
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not stream.closed:
            try:
                stream.flush()
            except OSError:  # e.g. a closed pipe: Python's own exit reports 120
                code = 120
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    console()
