"""``openclarify monitor``: one monitoring execution from command-line options.

The options become the same :class:`~.execution.MonitoringRun` the image builds
from its mounts (:mod:`.layout`), so both run one code path.  Beyond the options,
the capture attributes may come from the environment exactly as in the image
(``inference_attribute`` …, :mod:`.attributes`), and ``sagemaker_endpoint_name``
names the live endpoint to explain; nothing else is read from the environment
(no CloudWatch file is written by this command: ``openclarify check`` publishes).

Exit code 0 whether or not there are violations — as the service reports both
``Completed`` and ``CompletedWithViolations`` as successful executions; the last
line printed is the execution's exit message.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .attributes import ATTRIBUTE_KEYS
from .execution import MonitoringRun, run_monitoring
from .formats import parse_dataset_format
from .window import Window

__all__ = ["run_from_arguments"]

#: Environment variables the command reads (everything else in the environment is ignored).
ENVIRONMENT = (
    *(name for snake, api in ATTRIBUTE_KEYS.values() for name in (snake, snake.upper(), api)),
    "sagemaker_endpoint_name",
)


def run_from_arguments(args: argparse.Namespace) -> int:
    """Run ``openclarify monitor`` (options parsed by :mod:`openclarify.cli`)."""
    explicit = {name: getattr(args, name) for name in ATTRIBUTE_KEYS}
    run = MonitoringRun(
        config=args.config,
        capture=args.capture if args.capture.startswith("s3://") else Path(args.capture),
        output=args.output,
        ground_truth=args.ground_truth,
        baseline=args.baseline,
        window=Window.from_text(args.start, args.end, ("--start", "--end")),
        dataset_format=parse_dataset_format(args.dataset_format),
        env={name: os.environ[name] for name in ENVIRONMENT if name in os.environ},
        attributes={k: v for k, v in explicit.items() if v is not None},
    )
    done = run_monitoring(run)
    print(f"Analysed {done.tally.records} records from {done.tally.used} events")
    print(f"Wrote {str(args.output).rstrip('/')}/analysis.json")
    print(done.message)
    return 0
