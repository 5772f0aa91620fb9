"""A Spark standalone cluster over the hosts of a multi-instance Processing job.

SageMaker writes ``/opt/ml/config/resourceconfig.json`` on every host of a
job with ``instance_count > 1``: ``{"current_host": "algo-2", "hosts":
["algo-1", "algo-2"], ...}``.  Every host runs the same container entrypoint;
:func:`cluster_role` tells it what to do:

* the **leader** (``algo-1``; the first host when there is none) starts a
  Spark standalone master and a worker, waits until every host's worker has
  joined, runs the analysis as the driver (``--backend spark``), writes the
  single ``analysis.json`` and the reports, then stops the cluster;
* every **follower** starts a worker that joins the leader's master and
  returns when the leader's master has gone away (the job is over).  It
  writes no results.

Timeouts (seconds; environment variables override them) — nobody waits forever:

* ``OPENCLARIFY_CLUSTER_JOIN_TIMEOUT`` (default 300): how long the leader
  waits for all workers, and a follower for the leader's master port, before
  failing with a message naming the missing host(s);
* ``OPENCLARIFY_CLUSTER_JOB_TIMEOUT`` (default 0 = none beyond the Processing
  job's own ``MaxRuntimeInSeconds``): how long a follower waits for the job;
* inside the job, Spark's own: a lost executor is noticed after
  ``spark.network.timeout`` (120 s) and its tasks are retried elsewhere, up
  to ``spark.task.maxFailures`` (4) attempts per task.

``OPENCLARIFY_HOST_ADDRESSES`` (``algo-1=10.0.0.5,algo-2=10.0.0.6``) maps
host names to addresses where the names do not resolve (tests run two hosts
on 127.0.0.1); ``OPENCLARIFY_SPARK_MASTER_PORT`` moves the master off 7077.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import cleanup
from ..errors import ClusterError, ConfigError

_log = logging.getLogger("openclarify")

LEADER = "algo-1"
DEFAULT_MASTER_PORT = 7077
JOIN_TIMEOUT_ENV = "OPENCLARIFY_CLUSTER_JOIN_TIMEOUT"
JOB_TIMEOUT_ENV = "OPENCLARIFY_CLUSTER_JOB_TIMEOUT"
ADDRESSES_ENV = "OPENCLARIFY_HOST_ADDRESSES"
PORT_ENV = "OPENCLARIFY_SPARK_MASTER_PORT"
DEFAULT_JOIN_TIMEOUT_S = 300.0
#: How often waits look again (seconds).
POLL_S = 0.5


@dataclass(frozen=True)
class Hosts:
    """This host and all hosts of the job, from ``resourceconfig.json``."""

    current: str
    all: tuple[str, ...]

    @property
    def leader(self) -> str:
        return LEADER if LEADER in self.all else self.all[0]

    @property
    def is_leader(self) -> bool:
        return self.current == self.leader

    @property
    def distributed(self) -> bool:
        return len(self.all) > 1


def read_hosts(base_dir: Path) -> Hosts | None:
    """The job's hosts, or ``None`` when ``config/resourceconfig.json`` is absent."""
    path = base_dir / "config" / "resourceconfig.json"
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text())
        hosts = tuple(str(h) for h in raw["hosts"])
        current = str(raw["current_host"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            str(path), f"is not a SageMaker resource config ({type(exc).__name__}: {exc})"
        ) from exc
    if not hosts or current not in hosts:
        raise ConfigError(str(path), f"current_host '{current}' is not in hosts {list(hosts)}")
    return Hosts(current, hosts)


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ConfigError(name, f"is not a number of seconds: {value!r}") from exc


def address_of(host: str) -> str:
    """The address to reach ``host`` at (``OPENCLARIFY_HOST_ADDRESSES`` first)."""
    for pair in os.environ.get(ADDRESSES_ENV, "").split(","):
        name, _, address = pair.partition("=")
        if name.strip() == host and address.strip():
            return address.strip()
    return host


def master_port() -> int:
    return int(os.environ.get(PORT_ENV) or DEFAULT_MASTER_PORT)


def _spark_class() -> tuple[Path, dict[str, str]]:
    """``spark-class`` of the installed pyspark, and an environment for it."""
    try:
        import pyspark
    except ImportError as exc:
        raise ConfigError(
            "instance_count",
            "a multi-instance job runs on Spark, but pyspark is not installed",
            "install openclarify[spark] in the image, or use one instance",
        ) from exc
    home = Path(pyspark.__file__).parent
    env = dict(os.environ, SPARK_HOME=str(home), PYSPARK_PYTHON=sys.executable)
    return home / "bin" / "spark-class", env


def _reachable(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2):
            return True
    except OSError:
        return False


@contextmanager
def _daemon(args: list[str], env: dict[str, str], log_file: Path) -> Iterator[subprocess.Popen]:
    """A Spark daemon (master or worker) that is stopped when the block ends.

    Also on SIGTERM: the container adapter then runs the cleanup actions and
    ends the process without unwinding this block.
    """
    with log_file.open("wb") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    handle = cleanup.register(f"stop Spark {args[1].rsplit('.', 1)[-1]}", process.kill)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        cleanup.unregister(handle)


def _worker_args(spark_class: Path, master_url: str, address: str, work_dir: Path) -> list[str]:
    return [
        str(spark_class),
        "org.apache.spark.deploy.worker.Worker",
        master_url,
        "--host",
        address,
        "--webui-port",
        "0",
        "--work-dir",
        str(work_dir),
    ]


@contextmanager
def leader_session(hosts: Hosts, log: logging.Logger | None = None) -> Iterator[Any]:
    """Start the master and a worker here, wait for every worker, yield the session.

    The session is active while the block runs (so ``--backend spark`` uses
    it); the session, the worker and the master stop when the block ends.
    """
    log = log or _log
    from pyspark.sql import SparkSession

    spark_class, env = _spark_class()
    address, port = address_of(hosts.current), master_port()
    url = f"spark://{address}:{port}"
    join_timeout = _seconds(JOIN_TIMEOUT_ENV, DEFAULT_JOIN_TIMEOUT_S)
    with tempfile.TemporaryDirectory(prefix="openclarify-spark-") as scratch:
        root = Path(scratch)
        master_args = [
            str(spark_class),
            "org.apache.spark.deploy.master.Master",
            "--host",
            address,
            "--port",
            str(port),
            "--webui-port",
            "0",
        ]
        with (
            _daemon(master_args, env, root / "master.log") as master,
            _daemon(
                _worker_args(spark_class, url, address, root / "work"), env, root / "worker.log"
            ),
        ):
            _wait_for_port(address, port, join_timeout, master, hosts.current, root)
            log.info("Spark master at %s; waiting for %d worker(s)", url, len(hosts.all))
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            session = (
                SparkSession.builder.master(url)
                .appName("openclarify")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", address)
                .getOrCreate()
            )
            try:
                _wait_for_workers(session, hosts, join_timeout)
                log.info("Spark workers of all %d hosts joined", len(hosts.all))
                yield session
            finally:
                session.stop()


def _wait_for_port(
    address: str, port: int, timeout: float, process: subprocess.Popen, host: str, root: Path
) -> None:
    deadline = time.monotonic() + timeout
    while not _reachable(address, port):
        if process.poll() is not None:
            tail = (root / "master.log").read_text(errors="replace")[-400:]
            raise ClusterError(host, f"the Spark master did not start: {tail.strip()}")
        if time.monotonic() > deadline:
            raise ClusterError(host, f"the Spark master did not listen on port {port}")
        time.sleep(POLL_S)


def _executors(session: Any) -> int:
    # the driver counts itself among the block managers
    status = session.sparkContext._jsc.sc().getExecutorMemoryStatus()
    return int(status.size()) - 1


def _wait_for_workers(session: Any, hosts: Hosts, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    expected = len(hosts.all)
    while (joined := _executors(session)) < expected:
        if time.monotonic() > deadline:
            others = [h for h in hosts.all if h != hosts.current]
            raise ClusterError(
                hosts.current,
                f"only {joined} of {expected} hosts' Spark workers joined within {timeout:g}s "
                f"(waiting for {', '.join(others)})",
                f"check that those hosts run this image and can reach {hosts.current}; "
                f"raise {JOIN_TIMEOUT_ENV} for slow starts",
            )
        time.sleep(POLL_S)


def run_follower(hosts: Hosts, log: logging.Logger | None = None) -> None:
    """Join the leader's master with a worker; return when the leader's job is over."""
    log = log or _log
    spark_class, env = _spark_class()
    leader, port = address_of(hosts.leader), master_port()
    join_timeout = _seconds(JOIN_TIMEOUT_ENV, DEFAULT_JOIN_TIMEOUT_S)
    job_timeout = _seconds(JOB_TIMEOUT_ENV, 0.0)
    deadline = time.monotonic() + join_timeout
    while not _reachable(leader, port):
        if time.monotonic() > deadline:
            raise ClusterError(
                hosts.current,
                f"cannot reach the leader {hosts.leader} ({leader}:{port}) within "
                f"{join_timeout:g}s",
                f"check that {hosts.leader} is running and that port {port} is open between "
                "the hosts",
            )
        time.sleep(POLL_S)
    url = f"spark://{leader}:{port}"
    log.info("Joining the Spark master of %s at %s", hosts.leader, url)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="openclarify-spark-") as scratch:
        root = Path(scratch)
        address = address_of(hosts.current)
        args = _worker_args(spark_class, url, address, root / "work")
        with _daemon(args, env, root / "worker.log") as worker:
            # the leader stops its master when its job ends: that is our end too
            while _reachable(leader, port):
                if worker.poll() is not None:
                    tail = (root / "worker.log").read_text(errors="replace")[-400:]
                    raise ClusterError(hosts.current, f"the Spark worker stopped: {tail.strip()}")
                if job_timeout and time.monotonic() - started > job_timeout:
                    raise ClusterError(
                        hosts.current,
                        f"the job on {hosts.leader} did not end within {job_timeout:g}s",
                        f"raise {JOB_TIMEOUT_ENV}",
                    )
                time.sleep(POLL_S)
    log.info("The leader %s has finished; this host is done", hosts.leader)


__all__ = ["ClusterError", "Hosts", "leader_session", "read_hosts", "run_follower"]
