"""Errors, sorted at one edge: what the user can fix vs what is our fault.

Every :class:`UserError` carries a *location* (a JSON path such as
``$.facet[0].value_or_threshold``, a file, a column, a row), the problem, and a
fix.  The CLI and the container adapter turn a ``UserError`` into one line on
stderr / in ``/opt/ml/output/message`` and a documented exit code; anything else
is an :class:`InternalError` (a bug) and is reported with a traceback in the log
but never in the exit message.

Exit codes (documented in README.md):

=====  ======================================================
code   meaning
=====  ======================================================
0      success
1      internal error (a bug in openclarify; please report it)
2      command-line usage error (argparse)
3      configuration error (``analysis_config.json``)
4      dataset error (files, columns, values)
5      predictor / model error
6      analysis error (the data cannot support the requested analysis)
7      output error (results cannot be written where asked)
8      cluster error (the hosts of a multi-instance job could not form a cluster)
9      ``openclarify check`` found violations (``constraint_violations.json`` written)
=====  ======================================================
"""

from __future__ import annotations

import re

__all__ = [
    "VIOLATIONS_EXIT_CODE",
    "AnalysisError",
    "ClusterError",
    "ConfigError",
    "DatasetError",
    "InternalError",
    "OpenClarifyError",
    "OutputError",
    "PredictorError",
    "UserError",
]


#: ``openclarify check`` found drift violations: not an error of the run, but a
#: distinct non-zero code so that a pipeline step fails on it (ClarifyCheckStep's
#: ``fail_on_violation``).  The container exits 0 either way (monitor-contract §8 Q7).
VIOLATIONS_EXIT_CODE = 9

#: Longest run of non-blank characters kept whole in a message (longer: head…tail).
MAX_TOKEN_CHARS = 160  # file paths stay whole
#: Longest ``where`` / ``problem`` (and ``fix``) of a :class:`UserError`.
MAX_WHERE_CHARS = 200
MAX_PROBLEM_CHARS = 600

_LONG_TOKEN = re.compile(rf"\S{{{MAX_TOKEN_CHARS + 1},}}")


def _bounded(text: str, limit: int) -> str:
    """``text`` with over-long tokens elided in the middle, then cut to ``limit``."""
    text = _LONG_TOKEN.sub(
        lambda m: f"{m.group()[:96]}…({len(m.group())} chars)…{m.group()[-48:]}", text
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


class OpenClarifyError(Exception):
    """Base class of every error openclarify raises on purpose."""

    exit_code = 1


class UserError(OpenClarifyError):
    """A mistake the user can fix: bad config, bad data, unreachable model.

    Parameters
    ----------
    where:
        Location of the problem: a JSON path (``$.label``), a file, a column
        (``column 'Age'``) or a row (``row 17``).  Never a data value.
    problem:
        What was expected and what was found.
    fix:
        One sentence telling the user how to fix it (optional).
    """

    exit_code = 3

    def __init__(self, where: str, problem: str, fix: str | None = None) -> None:
        # Names from configs and datasets can be arbitrarily long (a 5,000-character
        # column name); the message must still read as one line.
        self.where = _bounded(where, MAX_WHERE_CHARS)
        self.problem = _bounded(problem, MAX_PROBLEM_CHARS)
        self.fix = _bounded(fix, MAX_PROBLEM_CHARS) if fix is not None else None
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.where}: {self.problem}" if self.where else self.problem
        if self.fix:
            text = f"{text.rstrip('.')}. Fix: {self.fix}"
        return text


class ConfigError(UserError):
    """``analysis_config.json`` is invalid or asks for something unsupported."""

    exit_code = 3


class DatasetError(UserError):
    """The dataset cannot be read or does not match the configuration."""

    exit_code = 4


class PredictorError(UserError):
    """The model or endpoint cannot give the predictions we need."""

    exit_code = 5


class AnalysisError(UserError):
    """The data cannot support the requested analysis as a whole."""

    exit_code = 6


class OutputError(UserError):
    """Results cannot be written where the user asked."""

    exit_code = 7


class InternalError(OpenClarifyError):
    """An unexpected failure inside openclarify (a bug)."""

    exit_code = 1


class ClusterError(UserError):
    """The hosts of a multi-instance job could not form a Spark cluster."""

    exit_code = 8
