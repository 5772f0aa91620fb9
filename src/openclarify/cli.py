"""Command-line front door: parse arguments, call the library, map errors.

    openclarify analyze   --config analysis_config.json --dataset PATH --output DIR
    openclarify validate  --config analysis_config.json
    openclarify container [--base-dir /opt/ml]
    openclarify metrics

Exit codes are those of :mod:`openclarify.errors`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import UserError

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
    analyze.add_argument("--output", required=True, type=Path, help="folder for analysis.json")

    validate = sub.add_parser("validate", help="check an analysis_config.json without data")
    validate.add_argument("--config", required=True, type=Path, help="analysis_config.json")

    container = sub.add_parser("container", help="run as the SageMaker Processing container")
    container.add_argument("--base-dir", default="/opt/ml", type=Path, help="default: /opt/ml")

    sub.add_parser("metrics", help="list the bias metrics")
    return parser


def _print_summary(result: AnalysisResult, output: Path) -> None:
    """Where analysis.json went and a short table of the metric values."""
    import pandas as pd

    from .job import ANALYSIS_FILE

    frame = result.metrics_frame()
    print(f"Wrote {output / ANALYSIS_FILE}")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``openclarify`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        if args.command == "container":
            from .sagemaker import run_container

            return run_container(args.base_dir)
        if args.command == "metrics":
            from .bias.registry import METRICS

            for spec in METRICS:
                print(
                    f"{spec.code:6} {spec.stage:14} {spec.value_range:12} fair={spec.fair_value:g}  {spec.description}"
                )
            return 0
        from . import job

        if args.command == "validate":
            from .config import load_config

            job.plan_analysis(load_config(args.config))
            print(f"{args.config}: valid")
            return 0
        result = job.run(args.config, args.dataset, args.output, config_dir=args.config.parent)
        _print_summary(result, args.output)
        return 0
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
