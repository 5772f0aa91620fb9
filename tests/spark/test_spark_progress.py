"""Spark jobs report their completed tasks while they run, from Spark's status tracker.

On a real ``local[2]`` session: a two-task job whose second task waits until the
progress listener has seen "1 of 2" — so the count came from the running job,
not from the driver after ``collect`` (no timing involved: the task waits for a
file only the listener writes).  The caller's job group is kept and restored.
A whole SHAP + PDP job on Spark draws its bar and logs its lines, and writes the
same ``analysis.json`` bytes with the bar on and off.
"""

from __future__ import annotations

import io
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify import progress
from openclarify.backend.spark.tasks import JOB_GROUP, _map

from .test_spark_pdp import CASES, _config

pytestmark = pytest.mark.spark

#: Hang guard only: a task that never sees the flag gives up after this long and
#: the test fails on its result (it never passes by waiting).
HANG_GUARD_S = 120.0


def _second_waits(unit: tuple[int, str]) -> bool:
    """Task 0 ends at once; task 1 ends when ``flag`` exists (True) or at the guard (False)."""
    index, flag = unit
    if index == 0:
        return True
    deadline = time.monotonic() + HANG_GUARD_S
    while not os.path.exists(flag):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class FlagAtFirstTask:
    """Records the reports; writes ``flag`` when one task of a running job is complete."""

    def __init__(self, flag: Path) -> None:
        self.flag = flag
        self.seen: list[tuple[str, int, int]] = []

    def __call__(self, task: str, done: int, total: int) -> None:
        self.seen.append((task, done, total))
        if 0 < done < total:
            self.flag.touch()


def test_tasks_completed_are_reported_while_the_job_runs(
    spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flag = tmp_path / "one-task-done"
    listener = FlagAtFirstTask(flag)
    units = [(0, str(flag)), (1, str(flag))]
    with caplog.at_level(logging.INFO, logger="openclarify"), progress.listening(listener):
        results = _map(spark.sparkContext, units, _second_waits, "Spark test")
    assert results == [True, True]  # task 1 saw the flag: "1 of 2" came while it ran
    assert ("Spark test tasks", 1, 2) in listener.seen
    assert listener.seen[0] == ("Spark test tasks", 0, 2)
    assert listener.seen[-1] == ("Spark test tasks", 2, 2)
    assert "Spark test: 2 of 2 tasks (100%)" in caplog.text
    assert spark.sparkContext.getLocalProperty(JOB_GROUP) is None  # ours is removed


def test_the_callers_job_group_is_kept(spark: Any) -> None:
    context = spark.sparkContext
    reports: list[tuple[str, int, int]] = []
    context.setJobGroup("callers-group", "the caller's own jobs")
    try:
        _map(context, [1, 2, 3], abs, "Spark before")  # an earlier job of the same group
        with progress.listening(lambda *report: reports.append(report)):
            assert _map(context, [-1, -2], abs, "Spark kept") == [1, 2]
        assert context.getLocalProperty(JOB_GROUP) == "callers-group"
    finally:
        context.setLocalProperty(JOB_GROUP, None)
    # the earlier job's 3 tasks are not counted in this one's 2
    assert all(done <= total == 2 for _, done, total in reports)
    assert reports[-1] == ("Spark kept tasks", 2, 2)


def test_a_spark_job_draws_its_bar_logs_its_lines_and_writes_the_same_bytes(
    spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model, pdp, shap = CASES["top_k_features"]  # SHAP, then PDP of its top 2 features
    config, dataset = _config(tmp_path, model, pdp, shap)
    openclarify.run(config, dataset, tmp_path / "quiet", backend="spark")
    terminal = io.StringIO()
    with caplog.at_level(logging.INFO, logger="openclarify"), progress.shown(True, terminal):
        openclarify.run(config, dataset, tmp_path / "shown", backend="spark")
    quiet = (tmp_path / "quiet" / "analysis.json").read_bytes()
    assert (tmp_path / "shown" / "analysis.json").read_bytes() == quiet
    bar = terminal.getvalue()
    assert "Spark SHAP tasks: [" in bar
    assert len(re.findall(r"Spark PDP \(\w+\) tasks: \[#+\] 100%  (\d+) of \1\n", bar)) == 2
    assert re.search(r"Spark SHAP: (\d+) of \1 tasks \(100%\)", caplog.text)
