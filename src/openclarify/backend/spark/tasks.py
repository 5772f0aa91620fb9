"""Work spread over Spark tasks: one task per unit, errors back as values, results in row order.

Progress: every Spark job of this backend runs through :func:`_map`, which
knows the job's task count up front (one task per unit) and reports the tasks
completed through :class:`~openclarify.progress.Tracker` — the bar in Jupyter
or a terminal, a log line every few seconds in the container.  The count comes
from Spark's own status tracker (``SparkContext.statusTracker()``), polled
every :data:`POLL_SECONDS` by a driver thread while the driver's thread waits
in ``collect``: the tasks' code is not changed, nothing travels with the
results, and a task retried after a failure is counted once, when it
succeeds.  (Accumulators were the other way: their updates too reach the
driver only as tasks end, but they need code in every task.)  The job is
found by its job group: the caller's, when one is set (the jobs it had before
are left out), else one of ours for the duration of the call.  The status
tracker is fed asynchronously by Spark's listener bus, so the last poll may
lag; the final "all done" is reported by the driver's thread once ``collect``
has returned.  A failing status call only stops the polling: progress never
fails a job.

Also the driver's BLAS thread count, for tasks that must round as the driver does
(:func:`blas_threads`, :func:`driver_blas`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from ...data.stream import Unsupported
from ...errors import UserError
from ...progress import Tracker
from ..rules import TooManyValues

#: Seconds between two polls of Spark's status tracker while a job runs.
POLL_SECONDS = 0.5
#: The local property that holds the thread's Spark job group.
JOB_GROUP = "spark.jobGroup.id"

T = TypeVar("T")
U = TypeVar("U")
#: What a task sends back: ("ok", value), ("user", error parts) or ("unsupported", reason).
Outcome = tuple[str, Any]


def _guarded(work: Callable[[U], T], unit: U) -> Outcome:
    """Run one task's work; errors come back as values (UserError does not pickle)."""
    try:
        return ("ok", work(unit))
    except UserError as exc:
        return ("user", (type(exc), exc.where, exc.problem, exc.fix))
    except (Unsupported, TooManyValues) as exc:
        return ("unsupported", (type(exc), str(exc)))


def _task(work: Callable[[U], T], indexed: Iterable[tuple[int, U]]) -> list[Any]:
    return [(index, _guarded(work, unit)) for index, unit in indexed]


def _completed(status: Any, group: str, before: set[int]) -> int:
    """Tasks completed so far in the jobs of ``group`` that are not in ``before``."""
    done = 0
    for job_id in set(status.getJobIdsForGroup(group)) - before:
        job = status.getJobInfo(job_id)
        for stage_id in job.stageIds if job is not None else ():
            stage = status.getStageInfo(stage_id)
            done += stage.numCompletedTasks if stage is not None else 0
    return done


@contextlib.contextmanager
def _progress(context: Any, task: str, total: int) -> Iterator[None]:
    """Report the completed tasks of the Spark job the block runs (module docstring)."""
    tracker = Tracker(task, total, "tasks")
    tracker.update(0)
    group = context.getLocalProperty(JOB_GROUP)
    own = group is None
    if own:
        group = f"openclarify-{uuid.uuid4().hex}"
        context.setLocalProperty(JOB_GROUP, group)
    stop = threading.Event()
    try:
        status = context.statusTracker()
        before = set(status.getJobIdsForGroup(group))

        def poll() -> None:
            while not stop.wait(POLL_SECONDS):
                try:
                    done = _completed(status, group, before)
                except Exception:
                    return
                tracker.update(done)

        # a copy of this context, so that the poller's reports reach this run's bar
        poller = threading.Thread(
            target=contextvars.copy_context().run,
            args=(poll,),
            name="openclarify-spark-progress",
            daemon=True,
        )
        poller.start()
        try:
            yield
        finally:
            stop.set()
            poller.join()
    finally:
        if own:
            context.setLocalProperty(JOB_GROUP, None)
    tracker.update(total)


def _map(context: Any, units: Sequence[U], work: Callable[[U], T], task: str = "Spark") -> list[T]:
    """``work`` on every unit, one Spark task each; results in unit (row) order.

    The first error in row order is raised here, as the local engine would
    have raised it reading the pieces one after the other.  ``task`` names the
    job in the progress (``"Spark SHAP"``: ``Spark SHAP tasks: [###…] 3 of 8``).
    """
    if not units:
        return []
    indexed = list(enumerate(units))
    with _progress(context, task, len(indexed)):
        rdd = context.parallelize(indexed, len(indexed))
        results = sorted(rdd.mapPartitions(functools.partial(_task, work)).collect(), key=_first)
    values = []
    for _, (status, value) in results:
        if status == "user":
            raise _rebuild(*value)
        if status == "unsupported":
            kind, reason = value
            raise kind(reason)
        values.append(value)
    return values


def _first(item: tuple[int, Any]) -> int:
    return item[0]


def _rebuild(kind: type[UserError], where: str, problem: str, fix: str | None) -> UserError:
    """The task's error with its exact text (no second round of shortening)."""
    error = kind.__new__(kind)
    error.where, error.problem, error.fix = where, problem, fix
    Exception.__init__(error, error.render())
    return error


def blas_threads() -> int | None:
    """The BLAS thread count of this process (the driver's), ``None`` without a known BLAS.

    A BLAS routine's rounding can depend on how many threads split its work:
    measured with OpenBLAS, the Kernel SHAP fit of a record with 60 players
    (``XᵀWX`` over some 2,000 coalitions) differs in the last digits between 1
    and 2 threads.  PySpark starts its Python workers with ``OMP_NUM_THREADS``
    set to ``spark.task.cpus`` (1), so a task would not round as the local
    backend does on the same machine.
    """
    from threadpoolctl import threadpool_info

    counts = [lib["num_threads"] for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return max(counts) if counts else None


@contextlib.contextmanager
def driver_blas(threads: int | None) -> Iterator[None]:
    """Inside a task: BLAS with the driver's thread count (:func:`blas_threads`).

    The task's arithmetic — the least-squares fits, and an in-process model's
    own BLAS calls — then rounds as it does in the local backend's process,
    so the values are byte-identical.  This assumes executors with the same
    CPU kind as the driver (the kernels OpenBLAS picks differ by CPU), which is
    what a Spark cluster of one instance type is.  The tasks then use more
    threads than Spark planned for a moment; being exact is worth it.
    """
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="blas"):
        yield
