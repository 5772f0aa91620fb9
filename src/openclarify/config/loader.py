"""Read ``analysis_config.json`` and turn every failure into one :class:`ConfigError`.

The config is validated once, here, at the boundary; everything downstream trusts
the typed :class:`~openclarify.config.models.AnalysisConfig`.  A failure becomes a
single ``ConfigError`` whose ``where`` is a JSON path (``$.facet[0].name_or_index``),
whose ``problem`` says what was expected and what was found, and whose ``fix`` is
one sentence; when pydantic found several problems the first is reported and the
rest are counted, because the message must fit in ``/opt/ml/output/message``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from openclarify.config.asv import UNION_TAGS
from openclarify.config.fields import ERROR_TYPE, describe, json_key_path, shorten
from openclarify.config.models import AnalysisConfig
from openclarify.errors import ConfigError

__all__ = [
    "JSON_ERROR_PREFIX",
    "MAX_MESSAGE_CHARS",
    "SCHEMA_ERROR_PREFIX",
    "ConfigSource",
    "config_error_from_validation",
    "config_json_schema",
    "load_config",
    "parse_config_json",
    "validate_config",
]

#: Start of ``problem`` for any failure to read the document as JSON.
JSON_ERROR_PREFIX = "Unable to load analysis configuration as JSON"
#: Start of ``problem`` for any schema violation.
SCHEMA_ERROR_PREFIX = "Analysis configuration schema validation error: "
#: Upper bound of ``str(ConfigError)`` (the exit message must stay under 1 KB).
MAX_MESSAGE_CHARS = 900

#: What :func:`load_config` accepts: a path, the raw bytes, or a parsed document.
ConfigSource = str | os.PathLike[str] | bytes | Mapping[str, Any]

_BYTES_WHERE = "analysis configuration"


def load_config(source: ConfigSource) -> AnalysisConfig:
    """Load and validate an analysis configuration.

    Parameters
    ----------
    source:
        A path (``str`` or :class:`os.PathLike`) to ``analysis_config.json``, the
        file's raw ``bytes``, or an already parsed ``dict``.

    Returns
    -------
    AnalysisConfig
        The validated, frozen configuration.

    Raises
    ------
    ConfigError
        When the file cannot be read, is not UTF-8, is not JSON, or does not match
        the schema.  ``where`` names the path or the JSON path of the problem.
    TypeError
        When ``source`` is none of the accepted kinds (a programming error).
    """
    if isinstance(source, Mapping):
        return validate_config(source)
    if isinstance(source, bytes | bytearray):
        return validate_config(parse_config_json(bytes(source)))
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            raw = path.read_bytes()
        except FileNotFoundError as exc:
            raise ConfigError(
                str(path),
                "analysis configuration file not found",
                "Check the path (in the container the file is "
                "/opt/ml/processing/input/config/analysis_config.json).",
            ) from exc
        except OSError as exc:
            raise ConfigError(
                str(path),
                f"cannot read the analysis configuration file ({exc.strerror or exc})",
                "Make sure the path names a readable file.",
            ) from exc
        return validate_config(parse_config_json(raw, where=str(path)))
    raise TypeError(f"load_config() takes a path, bytes or a dict, not {type(source).__name__}")


def parse_config_json(raw: bytes, where: str = _BYTES_WHERE) -> Any:
    """Decode UTF-8 bytes and parse them as JSON.

    A UTF-8 byte-order mark is tolerated (editors on Windows add one).  ``NaN`` and
    ``Infinity`` literals are accepted as Python's ``json`` module does; typed
    number fields reject them later.

    Parameters
    ----------
    raw:
        The file content.
    where:
        Location used in errors (the file path).

    Returns
    -------
    Any
        The parsed document (not yet validated).

    Raises
    ------
    ConfigError
        When the bytes are not UTF-8 or not JSON; the problem starts with
        :data:`JSON_ERROR_PREFIX` and names the line and column.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            where,
            f"{JSON_ERROR_PREFIX}: the file is not UTF-8 text "
            f"(invalid byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            "Save the file with UTF-8 encoding.",
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            where,
            f"{JSON_ERROR_PREFIX}: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            "Correct the JSON syntax at that position (commas, quotes and brackets).",
        ) from exc
    except RecursionError as exc:
        raise ConfigError(
            where,
            f"{JSON_ERROR_PREFIX}: the document is nested too deeply",
            "Remove the excessive nesting.",
        ) from exc


def validate_config(data: Any) -> AnalysisConfig:
    """Validate a parsed document against the analysis-config models.

    Parameters
    ----------
    data:
        The parsed JSON document (normally a ``dict``).

    Returns
    -------
    AnalysisConfig
        The validated configuration.

    Raises
    ------
    ConfigError
        On the first schema violation (see :func:`config_error_from_validation`).
    """
    try:
        return AnalysisConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error_from_validation(exc) from exc


def config_error_from_validation(exc: ValidationError) -> ConfigError:
    """Turn a pydantic ``ValidationError`` into one ``ConfigError``.

    Parameters
    ----------
    exc:
        Raised while validating an analysis-config model.

    Returns
    -------
    ConfigError
        ``where`` = JSON path of the first problem, ``problem`` =
        :data:`SCHEMA_ERROR_PREFIX` + what was expected and found (plus
        "(and N more problems)"), ``fix`` = one sentence; at most
        :data:`MAX_MESSAGE_CHARS` characters once rendered.
    """
    errors = exc.errors(include_url=False)
    where, problem, fix = _explain(errors[0])
    more = len(errors) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return _bounded(where, SCHEMA_ERROR_PREFIX + problem, suffix, fix)


def config_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of ``analysis_config.json`` as the models accept it.

    Returns
    -------
    dict
        pydantic's JSON Schema (validation mode) of :class:`AnalysisConfig`.  It
        shows the canonical shapes; the validators are a little more lenient
        (scalars wrapped into lists, enumerations in any case).
    """
    schema = AnalysisConfig.model_json_schema(mode="validation")
    schema["title"] = "analysis_config.json"
    return schema


# -------------------------------------------------------------------------- helpers


def _json_path(loc: tuple[int | str, ...]) -> str:
    return "$" + "".join(json_key_path(part) for part in loc if part not in UNION_TAGS)


def _explain(error: ErrorDetails) -> tuple[str, str, str]:
    """Return (where, problem without prefix, fix) for one pydantic error."""
    loc = tuple(error["loc"])
    where = _json_path(loc)
    kind = error["type"]
    value = error.get("input")
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if kind == ERROR_TYPE:
        ctx = error.get("ctx") or {}
        return where + str(ctx.get("subpath", "")), str(ctx["problem"]), str(ctx["fix"])
    if kind == "missing":
        return where, f"missing required key {key!r}", f"Add the required key {key!r}."
    if kind == "extra_forbidden":
        return where, f"unknown key {shorten(repr(key))}", "Remove the key or correct its spelling."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return where, f"expected an object, found {describe(value)}", "Write a JSON object."
    if kind in ("list_type", "tuple_type"):
        return where, f"expected a list, found {describe(value)}", "Write a JSON list."
    # Not expected to happen (the field checks run first); keep pydantic's words.
    return (
        where,
        f"expected a valid value ({error['msg']}), found {describe(value)}",
        "Correct the value.",
    )


def _bounded(where: str, problem: str, suffix: str, fix: str) -> ConfigError:
    """Build the error, shortening the problem so the rendered text fits the limit."""
    where = shorten(where, 200)
    fix = shorten(fix, 300)
    error = ConfigError(where, problem + suffix, fix)
    excess = len(str(error)) - MAX_MESSAGE_CHARS
    if excess > 0:
        problem = problem[: max(0, len(problem) - excess - 1)] + "…"
        error = ConfigError(where, problem + suffix, fix)
    return error
