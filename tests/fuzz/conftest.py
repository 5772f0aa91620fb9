"""The ``fuzz`` marker: the full fuzzing run, selected with ``-m fuzz`` (``make fuzz``, CI).

``make test`` runs the fast subset in the same modules; the full run is skipped
unless the marker expression asks for it, so a plain ``pytest`` stays quick.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fuzz: the full fuzzing run (10,000 configs, 1,000 datasets)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "fuzz" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="full fuzzing run: select it with -m fuzz")
    for item in items:
        if item.get_closest_marker("fuzz") is not None:
            item.add_marker(skip)
