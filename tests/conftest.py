"""Fixtures for every test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _openclarify_logger_as_it_was() -> Iterator[None]:
    """Give the ``openclarify`` logger back as the test found it.

    A command run in-process (``cli.main``) points the logger at the ``sys.stderr``
    of that moment — pytest's capture of that one test, closed after it — and stops
    propagation; a later test would log into the closed stream.
    """
    logger = logging.getLogger("openclarify")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]
