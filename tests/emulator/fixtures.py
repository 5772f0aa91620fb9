"""pytest fixtures for the SageMaker emulator.

Make them visible to a test directory with a ``conftest.py`` line
``from tests.emulator.fixtures import emulator  # noqa: F401`` (as ``tests/emulator/conftest.py``
does), or for the whole suite with ``pytest_plugins = ["tests.emulator.fixtures"]`` in
``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import UNSET_ENV_VARS, Emulator, start_emulator


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulator]:
    """A started emulator (endpoint ``clarify-test-endpoint``, model ``clarify-test-model``)
    with the AWS environment pointing boto3 at it; stopped after the test, which then fails
    if the server hit an unexpected error."""
    emu = start_emulator(patch_env=False)
    try:
        for key in UNSET_ENV_VARS:
            monkeypatch.delenv(key, raising=False)
        for key, value in emu.environment(tmp_path / "aws").items():
            monkeypatch.setenv(key, value)
        yield emu
    finally:
        emu.stop()
    assert not emu.server_errors, "\n".join(emu.server_errors)
