"""The subpackages ``bias`` and ``explain`` are also the notebook API's functions.

``openclarify.bias(df, ...)`` and ``openclarify.explain(df, model, ...)`` are the
names users call (:mod:`openclarify.frames`), and they are the names of two
subpackages.  Importing a submodule sets it as the parent package's attribute,
which would hide a function of the same name; so the packages themselves are
made callable, forwarding to the function (with its signature and docstring, so
``help`` and Jupyter's ``?`` show them), and ``openclarify.bias.registry`` and
``from openclarify.bias import counts`` keep working.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any

__all__ = ["make_callable"]


def make_callable(module_name: str, function: str) -> None:
    """Make the package ``module_name`` call :func:`openclarify.frames.<function>`."""
    from . import frames  # light: frames imports the rest on call

    target = getattr(frames, function)

    def call(self: types.ModuleType, *args: Any, **kwargs: Any) -> Any:
        return target(*args, **kwargs)

    call.__doc__ = target.__doc__
    signature = inspect.signature(target)
    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[self_parameter, *signature.parameters.values()]
    )
    package_type = type(f"CallablePackage_{function}", (types.ModuleType,), {"__call__": call})
    sys.modules[module_name].__class__ = package_type
