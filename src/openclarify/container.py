"""The container adapter: SageMaker Processing paths and the exit message.

Layout under the base directory (``/opt/ml`` in the image)::

    processing/input/config/analysis_config.json   the config (input "analysis_config")
    processing/input/data/                          the dataset (input "dataset")
    processing/output/                              results (output "analysis_result")
    output/message                                  exit message (≤ 1 KB, UTF-8)
    processing/baseline/constraints/*.json          a baseline analysis.json (optional):
                                                    drift check, constraint_violations.json
    output/metrics/cloudwatch/                      CloudWatch metric file (when enabled)

A Model Monitor execution (env ``dataset_format``, or a config without
``dataset_type``) reads captured traffic from ``processing/input_data`` (and the
other candidates of :mod:`openclarify.monitor.layout`) instead of the dataset input.

SageMaker stops jobs with SIGTERM; we turn it into :class:`Terminated` so that
``finally`` blocks run (shadow endpoints, temp files), write the exit message
and leave no partial result (results are written atomically).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from . import cleanup
from .errors import OpenClarifyError, UserError
from .results import journal, write_atomic

if TYPE_CHECKING:
    from .backend.cluster import Hosts
    from .monitor.step import MonitorOutcome
    from .report.pdf import PdfPrinter
    from .results import AnalysisResult

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


@dataclass
class _Outcome:
    message: str = ""
    code: int = 1
    #: Every path this process wrote under the output folder (:func:`results.journal`).
    written: list[Path] = field(default_factory=list)
    #: The results are complete (``analysis.json`` and the reports are written): a stop
    #: after this point (a Spark cluster shutting down) keeps them.
    complete: bool = False


def _analyse(paths: ContainerPaths, outcome: _Outcome) -> None:
    """The job itself; runs in a worker thread (see :func:`run_container`)."""
    with journal() as outcome.written:
        _analyse_recorded(paths, outcome)


def _analyse_recorded(paths: ContainerPaths, outcome: _Outcome) -> None:
    try:
        # The analysis (pandas, the config models: most of a small job's start-up) is
        # imported only once this host is known to run it, after the first log lines.
        from .backend.cluster import read_hosts, run_follower

        hosts = read_hosts(paths.base)
        if hosts is not None and hosts.distributed and not hosts.is_leader:
            # instance_count > 1: this host only lends its cores to the leader's Spark job
            run_follower(hosts, log=log)
            outcome.message = f"{SUCCESS_MESSAGE}; ran Spark tasks for {hosts.leader}"
            outcome.code = 0
            return
        from .monitor.layout import is_monitoring, run_monitoring_execution

        if is_monitoring(paths.base, os.environ):  # a Model Monitor execution (monitor Q1)
            try:
                monitored = run_monitoring_execution(paths.base, os.environ, log)
            except UserError:
                _remove_partial_files(outcome.written)  # no results that look checked
                raise
            outcome.complete = True
            outcome.message, outcome.code = monitored.message, 0
            return
        log.info("Analysis config path: %s", paths.config)
        log.info("Dataset path: %s", paths.data)
        dataset = paths.data if paths.data.exists() else None
        from .outputs import printer_for_config_file

        # weasyprint's import starts on the other core before the analysis is imported
        printer = printer_for_config_file(paths.config)
        try:
            result, monitoring = _run_job(paths, hosts, dataset, outcome, printer)
        finally:
            if printer is not None:
                printer.close()  # a no-op once the job printed with it
        outcome.message = (monitoring.message or SUCCESS_MESSAGE) + "".join(
            f"; note: {note}" for note in result.notes
        )
        outcome.code = 0
    except UserError as exc:
        outcome.message = f"ClientError: {exc}"
        log.error(outcome.message)
        outcome.code = exc.exit_code
    except OpenClarifyError as exc:
        outcome.message = f"InternalError: {exc}"
        log.exception(outcome.message)
        outcome.code = exc.exit_code
    except Exception as exc:  # a bug: full traceback in the log, never in the message
        outcome.message = f"InternalError: unexpected {type(exc).__name__}; see the job log"
        log.exception("Unexpected failure")
        outcome.code = 1


def _run_job(
    paths: ContainerPaths,
    hosts: Hosts | None,
    dataset: Path | None,
    outcome: _Outcome,
    printer: PdfPrinter | None,
) -> tuple[AnalysisResult, MonitorOutcome]:
    """The analysis job of this host (the leader's, or the only one) and its checks."""
    from . import job
    from .backend.cluster import leader_session
    from .monitor.step import after_analysis, drift_stage, find_baseline

    # Before the analysis: a missing or unreadable baseline fails the job before
    # any result is written (monitoring executions and ClarifyCheckStep, §8 Q13).
    baseline = find_baseline(os.environ, paths.base)
    stage, drift = drift_stage(baseline, os.environ, paths.output)
    distributed = hosts is not None and hosts.distributed
    with contextlib.ExitStack() as stack:
        if hosts is not None and distributed:
            log.info("Leader of %d hosts: the analysis runs on Spark", len(hosts.all))
            stack.enter_context(leader_session(hosts, log=log))
        try:
            result = job.run(
                paths.config,
                dataset,
                paths.output,
                config_dir=paths.config.parent,
                input_root=paths.base / "processing",
                backend="spark" if distributed else "local",
                drift=drift,
                printer=printer,
            )
        except UserError:
            if stage is not None and stage.check is None:
                # A baseline of another configuration fails the check after
                # analysis.json: leave no results that look like a checked run.
                _remove_partial_files(outcome.written)
            raise
        # The CloudWatch file when asked; nothing (outputs exactly as before)
        # without a baseline and with publishing off.
        monitoring = after_analysis(result.to_dict(), os.environ, base_dir=paths.base, stage=stage)
        outcome.complete = True
    return result, monitoring


def _remove_partial_files(written: list[Path]) -> None:
    """Delete what this stopped run wrote: its temporary files, result files and new folders.

    A stop reported as "no results were written" must leave no results, even when
    the signal lands between the final rename and the end of the job.  Only the
    paths this process wrote are touched (:func:`openclarify.results.journal`):
    in a multi-instance job every host may share one output folder, and a
    follower that is stopped must not delete the leader's results.
    """
    for path in reversed(list(written)):  # files before the folders that hold them
        with contextlib.suppress(OSError):
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
            else:
                path.unlink(missing_ok=True)


def run_container(base_dir: str | Path = "/opt/ml") -> int:
    """Run the analysis as the Clarify container does; return the exit code.

    The work runs in a worker thread while the main thread waits with a short
    timeout, so a SIGTERM is handled at once even while native code (a k-d
    tree query, a CSV parse) holds the worker.  On SIGTERM the main thread
    writes the exit message, removes partial files and ends the process with
    ``os._exit(128 + signum)``: native worker threads are never unwound under
    their feet, and results are never half-written because every result file
    is renamed into place only when complete.
    """
    paths = ContainerPaths(Path(base_dir))
    handlers = {s: signal.signal(s, _raise_terminated) for s in (signal.SIGTERM, signal.SIGINT)}
    outcome = _Outcome()
    worker = threading.Thread(
        target=_analyse, args=(paths, outcome), name="openclarify-job", daemon=True
    )
    try:
        worker.start()
        while worker.is_alive():
            worker.join(timeout=0.1)
    except Terminated as stop:
        cleanup.run_all()  # e.g. delete a shadow endpoint before the process ends
        if outcome.complete:
            message = f"Stopped: received {stop} after the results were complete; they are kept"
        else:
            message = f"Stopped: received {stop}; no results were written"
            _remove_partial_files(outcome.written)
        log.error(message)
        write_atomic(paths.message, clip_message(message) + "\n")
        logging.shutdown()
        os._exit(128 + stop.signum)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    write_atomic(paths.message, clip_message(outcome.message) + "\n")
    return outcome.code
