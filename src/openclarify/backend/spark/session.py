"""The Spark session the backend runs in, its ``--backend`` name, and its refusal.

The only module of this package that imports ``pyspark`` (inside
:func:`spark_session`, so importing openclarify never does).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from ...errors import ConfigError

#: ``--backend`` value that selects this backend.
BACKEND = "spark"
#: Spark master when none is active and ``OPENCLARIFY_SPARK_MASTER`` is unset.
DEFAULT_MASTER = "local[*]"
MASTER_ENV = "OPENCLARIFY_SPARK_MASTER"


def _refuse(reason: str) -> ConfigError:
    return ConfigError(
        "--backend",
        f"the spark backend cannot run this analysis exactly: {reason}",
        "use --backend local (or memory) for it",
    )


@contextlib.contextmanager
def spark_session(master: str | None = None) -> Iterator[Any]:
    """The active SparkSession, or a new one stopped on exit.

    A new session uses ``master``, else ``$OPENCLARIFY_SPARK_MASTER``, else
    ``local[*]``; its Python workers run this interpreter (so they import this
    same openclarify), the web UI is off and the console progress bar too
    (it would interleave with the job log).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(
            "--backend",
            "the spark backend needs pyspark, which is not installed",
            "pip install 'openclarify[spark]' (and a Java 17 runtime)",
        ) from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    # executors must run the interpreter that has openclarify installed, not
    # whatever "python3" is first on PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER)
        .appName("openclarify")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    session = builder.getOrCreate()
    try:
        yield session
    finally:
        session.stop()
