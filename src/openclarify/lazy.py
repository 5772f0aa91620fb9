"""Package attributes imported on first use (PEP 562 module ``__getattr__``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_attributes(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``name`` from ``package.<table[name]>``.

    A package assigns it (``__getattr__ = lazy_attributes(__name__, _LAZY)``) so
    that reading one of its light modules does not import the heavy ones (pandas
    and the like) that its re-exported names live in; the submodule is imported
    when one of those names is first used.  Any other name raises the
    ``AttributeError`` Python's own lookup would.
    """

    def attribute(name: str) -> Any:
        if name in table:
            return getattr(import_module(f".{table[name]}", package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return attribute
