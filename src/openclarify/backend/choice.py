"""The backend a job runs on, open for the whole job: ``local``, ``memory`` or ``spark``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..errors import ConfigError

#: Backends: ``local`` streams record batches where it can and loads the table otherwise;
#: ``memory`` always loads the table (the reference the streaming engine is tested against);
#: ``spark`` runs the streaming engine's passes as Spark tasks (:mod:`openclarify.backend.spark`)
#: and refuses, naming ``--backend``, what it cannot do exactly.
BACKENDS = ("local", "memory", "spark")


def check_backend(backend: str) -> None:
    """Refuse a backend name this version does not have."""
    if backend not in BACKENDS:
        raise ConfigError(
            "--backend",
            f"unknown backend '{backend}' (this version has {', '.join(BACKENDS)})",
            "use --backend local",
        )


@contextlib.contextmanager
def open_backend(backend: str) -> Iterator[Any]:
    """The Spark session on ``spark`` (``None`` for the local backends), for the whole job."""
    if backend != "spark":
        yield None
        return
    from .spark import spark_session

    with spark_session() as spark:
        yield spark
