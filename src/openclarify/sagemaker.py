"""The container adapter: SageMaker Processing paths and the exit message.

Layout under the base directory (``/opt/ml`` in the image)::

    processing/input/config/analysis_config.json   the config (input "analysis_config")
    processing/input/data/                          the dataset (input "dataset")
    processing/output/                              results (output "analysis_result")
    output/message                                  exit message (≤ 1 KB, UTF-8)

SageMaker stops jobs with SIGTERM; we turn it into :class:`Terminated` so that
``finally`` blocks run (shadow endpoints, temp files), write the exit message
and leave no partial result (results are written atomically).
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from . import job
from .errors import OpenClarifyError, UserError
from .results import write_atomic

log = logging.getLogger("openclarify")

MESSAGE_LIMIT = 1024  # bytes SageMaker copies into DescribeProcessingJob.ExitMessage
SUCCESS_MESSAGE = "Completed: openclarify analysis ran successfully"


class Terminated(BaseException):
    """SIGTERM/SIGINT received (a BaseException so ordinary handlers don't eat it)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


@dataclass(frozen=True)
class ContainerPaths:
    """Where a Processing job puts inputs and expects outputs."""

    base: Path

    @property
    def config(self) -> Path:
        return self.base / "processing" / "input" / "config" / "analysis_config.json"

    @property
    def data(self) -> Path:
        return self.base / "processing" / "input" / "data"

    @property
    def output(self) -> Path:
        return self.base / "processing" / "output"

    @property
    def message(self) -> Path:
        return self.base / "output" / "message"


def clip_message(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One line of at most ``limit`` UTF-8 bytes (cut on a character boundary)."""
    line = " ".join(text.split())
    encoded = line.encode("utf-8")
    if len(encoded) <= limit:
        return line
    return encoded[: limit - 3].decode("utf-8", errors="ignore") + "..."


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


def run_container(base_dir: str | Path = "/opt/ml") -> int:
    """Run the analysis as the Clarify container does; return the exit code."""
    paths = ContainerPaths(Path(base_dir))
    previous = {s: signal.signal(s, _raise_terminated) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        log.info("Analysis config path: %s", paths.config)
        log.info("Dataset path: %s", paths.data)
        dataset = paths.data if paths.data.exists() else None
        result = job.run(paths.config, dataset, paths.output, config_dir=paths.config.parent)
        message = SUCCESS_MESSAGE + "".join(f"; note: {note}" for note in result.notes)
        code = 0
    except Terminated as stop:
        message = f"Stopped: received {stop}; no results were written"
        log.error(message)
        code = 128 + stop.signum
    except UserError as exc:
        message = f"ClientError: {exc}"
        log.error(message)
        code = exc.exit_code
    except OpenClarifyError as exc:
        message = f"InternalError: {exc}"
        log.exception(message)
        code = exc.exit_code
    except Exception as exc:  # a bug: full traceback in the log, never in the message
        message = f"InternalError: unexpected {type(exc).__name__}; see the job log"
        log.exception("Unexpected failure")
        code = 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    write_atomic(paths.message, clip_message(message) + "\n")
    return code
