"""Work spread over Spark tasks: one task per unit, errors back as values, results in row order."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from ...data.stream import Unsupported
from ...errors import UserError
from ..rules import TooManyValues

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


def _map(context: Any, units: Sequence[U], work: Callable[[U], T]) -> list[T]:
    """``work`` on every unit, one Spark task each; results in unit (row) order.

    The first error in row order is raised here, as the local engine would
    have raised it reading the pieces one after the other.
    """
    if not units:
        return []
    indexed = list(enumerate(units))
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
