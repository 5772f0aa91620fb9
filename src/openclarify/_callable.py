"""The subpackages ``bias`` and ``explain`` are also the notebook API's functions.

``openclarify.bias(df, ...)`` and ``openclarify.explain(df, model, ...)`` are the
names users call (:mod:`openclarify.frames`), and they are the names of two
subpackages.  Importing a submodule sets it as the parent package's attribute,
which would hide a function of the same name; so the packages themselves are
made callable, forwarding to the function, and ``openclarify.bias.registry`` and
``from openclarify.bias import counts`` keep working.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["make_callable"]


class _CallablePackage(types.ModuleType):
    """A package whose call is :func:`openclarify.frames.<__frames_function__>`."""

    __frames_function__: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from . import frames

        return getattr(frames, self.__frames_function__)(*args, **kwargs)


def make_callable(module_name: str, function: str) -> None:
    """Make the package ``module_name`` call :func:`openclarify.frames.<function>`."""
    module = sys.modules[module_name]
    module.__class__ = _CallablePackage
    setattr(module, "__frames_function__", function)  # noqa: B010  (ModuleType has no such field for mypy)
