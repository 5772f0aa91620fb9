"""JSON-strict field types shared by the analysis-config models.

Why not pydantic's own strict mode?  Two reasons.  First, the config is JSON, so the
question is "which JSON kind is this?", and pydantic's lax mode answers it wrongly for
us (``"1"`` would become ``1``, ``true`` would become ``1``) while its strict mode
rejects things we deliberately accept (an int where a float is expected).  Second,
pydantic reports a failed ``str | int`` union as one error per member, with the
member names inside the location, which makes JSON paths unreadable.

So every leaf type here is ``Annotated[<type>, BeforeValidator(check)]``: the check
runs first, accepts exactly the JSON kinds the SDK schema accepts (bools are never
numbers), normalises where the contract says so (lower-cased enumerations, a scalar
wrapped in a list, an int widened to a float) and otherwise raises one
:func:`fail` error carrying the final wording.  The inner type then only sees values
it accepts unchanged, and still provides mypy types and the JSON Schema.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from typing import Annotated, Any, NoReturn

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from openclarify.config.defaults import (
    ACCEPT_TYPE_VALUES,
    AGG_METHOD_VALUES,
    ASV_BASELINE_KIND_VALUES,
    ASV_DIRECTION_VALUES,
    ASV_GRANULARITY_VALUES,
    CONFIG_VERSION_VALUES,
    CONTENT_TYPE_VALUES,
    DATASET_TYPE_VALUES,
    IMAGE_MODEL_TYPE_VALUES,
    LANGUAGE_VALUES,
    TEXT_GRANULARITY_VALUES,
    TS_DATASET_FORMAT_VALUES,
    AcceptType,
    AggMethod,
    AsvBaselineKind,
    AsvDirection,
    AsvGranularity,
    ConfigVersion,
    ContentType,
    DatasetType,
    ImageModelType,
    Language,
    TextGranularity,
    TimeSeriesDatasetFormat,
)

__all__ = [
    "ERROR_TYPE",
    "MAX_FOUND_CHARS",
    "AcceptTypeField",
    "AggMethodField",
    "AsvBaselineKindField",
    "AsvDirectionField",
    "AsvGranularityField",
    "Bool",
    "CellValue",
    "ContentTypeField",
    "DatasetTypeField",
    "FiniteNumber",
    "ImageModelTypeField",
    "Int",
    "LanguageField",
    "NameOrIndex",
    "NameOrIndexList",
    "NonEmptyStr",
    "PositiveInt",
    "Str",
    "StrList",
    "TextGranularityField",
    "TimeSeriesDatasetFormatField",
    "UnitFloat",
    "Value",
    "ValueList",
    "VersionField",
    "closest",
    "describe",
    "expected",
    "fail",
    "json_key_path",
    "require_list",
    "shorten",
]

#: ``type`` of every error raised by the checks below; the loader recognises it.
ERROR_TYPE = "openclarify_config"

#: Longest text used to show a found value in a message.
MAX_FOUND_CHARS = 40


# --------------------------------------------------------------------------- errors


def fail(problem: str, fix: str, subpath: str = "") -> NoReturn:
    """Raise the one kind of validation error the loader turns into a ConfigError.

    Parameters
    ----------
    problem:
        What was expected and what was found, without the generic prefix.
    fix:
        One sentence telling the user what to change.
    subpath:
        JSON-path suffix (``".model_name"``, ``"[2]"``) appended to the location
        pydantic reports, for checks that run on a whole object or list but blame
        one member of it.
    """
    raise PydanticCustomError(
        ERROR_TYPE, "{problem}", {"problem": problem, "fix": fix, "subpath": subpath}
    )


def shorten(text: str, limit: int = MAX_FOUND_CHARS) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(value: Any) -> str:
    """Name the JSON kind of ``value`` plus a short (≤ 40 characters) rendering.

    Parameters
    ----------
    value:
        Any value taken from a parsed JSON document (or a dict given in code).

    Returns
    -------
    str
        For example ``"string '100'"``, ``"boolean true"``, ``"null"``,
        ``"list of 3 items"`` or ``"object"``.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean true" if value else "boolean false"
    if isinstance(value, int):
        return "integer " + shorten(str(value))
    if isinstance(value, float):
        return "number " + shorten(repr(value))
    if isinstance(value, str):
        return "string " + shorten(repr(value))
    if isinstance(value, list | tuple):
        return f"list of {len(value)} item" + ("" if len(value) == 1 else "s")
    if isinstance(value, Mapping):
        return "object"
    return shorten(type(value).__name__)


def _type_fix(what: str, value: Any) -> str:
    """Pick a fix sentence for "expected <what>, found <value>"."""
    if isinstance(value, str) and ("integer" in what or "number" in what):
        return "Write the number without quotes."
    if isinstance(value, bool):
        return f"Replace true/false by {what}."
    if value is None:
        return f"Replace null by {what}, or remove the key."
    return f"Change the value to {what}."


def expected(what: str, value: Any, fix: str | None = None, subpath: str = "") -> NoReturn:
    """Raise "expected ``what``, found ``describe(value)``".

    Parameters
    ----------
    what:
        Noun phrase for the accepted values (``"an integer >= 1"``).
    value:
        The offending value.
    fix:
        Fix sentence; a generic one derived from ``what`` when omitted.
    subpath:
        See :func:`fail`.
    """
    fail(f"expected {what}, found {describe(value)}", fix or _type_fix(what, value), subpath)


def closest(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """Return the spelling in ``choices`` closest to ``word`` (for "did you mean")."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def json_key_path(key: object) -> str:
    """Render one path component: ``.name`` for plain keys, ``['a b']`` otherwise.

    Keys longer than 40 characters are shortened (a key is user input too).
    """
    if isinstance(key, int):
        return f"[{key}]"
    text = shorten(str(key))
    if text.isidentifier():
        return "." + text
    return "[" + repr(text) + "]"


# --------------------------------------------------------------------- leaf checks


def _is_int(value: Any) -> bool:
    # bool is a subclass of int in Python; JSON true is never a number here.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    expected("a string", value)


def _check_nonempty_str(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    expected("a non-empty string", value)


def _check_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        expected("true or false", value, "Write true or false without quotes.")
    expected("true or false", value)


def _check_int(value: Any) -> int:
    if _is_int(value):
        return int(value)
    expected("an integer", value)


def _check_positive_int(value: Any) -> int:
    if _is_int(value) and value >= 1:
        return int(value)
    expected("an integer >= 1", value)


def _check_unit_float(value: Any) -> float:
    # Ints are widened (0 and 1 are valid thresholds); NaN fails the comparison.
    if _is_number(value) and 0.0 <= value <= 1.0:
        return float(value)
    expected("a number between 0 and 1", value)


def _check_finite_number(value: Any) -> float:
    if _is_number(value) and math.isfinite(value):
        return float(value)
    expected("a finite number", value)


def _check_name_or_index(value: Any) -> str | int:
    # Kept as given: "3" is a column *name*, 3 a column *index*.
    if isinstance(value, str) or _is_int(value):
        return value
    expected("a column name (string) or index (integer)", value)


def _check_value(value: Any) -> int | float | str:
    if isinstance(value, str) or _is_int(value):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    expected("a string or a finite number", value)


def _check_cell(value: Any) -> int | float | str:
    # Segment values and static covariates: the SDK accepts str/int (/float); we
    # accept finite floats too (a categorical value such as 1.5 is harmless).
    return _check_value(value)


def require_list(what: str, *, wrap_scalar: bool = False) -> Callable[[Any], Any]:
    """Build a check that accepts a JSON array (list or tuple).

    Parameters
    ----------
    what:
        Noun phrase of the items, used in the message (``"strings"``).
    wrap_scalar:
        Accept a lone string/number and wrap it in a one-item list.  This is the
        documented leniency for ``label_values_or_threshold`` and facet
        ``value_or_threshold`` (the AWS docs write ``0.5`` where the SDK needs
        ``[0.5]``).

    Returns
    -------
    callable
        A validator for :class:`pydantic.BeforeValidator`.
    """

    def check(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return value
        if wrap_scalar and (isinstance(value, str) or _is_number(value)):
            return [value]
        expected(f"a list of {what}", value)

    return check


def _enum(
    allowed: tuple[str, ...],
    *,
    upper: bool = False,
    what: str | None = None,
    fix: str = "Use one of the listed values (case does not matter).",
) -> Callable[[Any], str]:
    """Build a case-insensitive enumeration check that normalises the case."""
    listed = ", ".join(repr(v) for v in allowed)
    phrase = what or f"one of {listed}"

    def check(value: Any) -> str:
        if isinstance(value, str):
            normal = value.upper() if upper else value.lower()
            if normal in allowed:
                return normal
            guess = closest(normal, allowed)
            hint = f"Did you mean {guess!r}? " if guess else ""
            expected(phrase, value, hint + fix)
        expected(phrase, value)

    return check


# --------------------------------------------------------------------------- types

Str = Annotated[str, BeforeValidator(_check_str)]
NonEmptyStr = Annotated[str, Field(min_length=1), BeforeValidator(_check_nonempty_str)]
Bool = Annotated[bool, BeforeValidator(_check_bool)]
Int = Annotated[int, BeforeValidator(_check_int)]
PositiveInt = Annotated[int, Field(ge=1), BeforeValidator(_check_positive_int)]
UnitFloat = Annotated[float, Field(ge=0, le=1), BeforeValidator(_check_unit_float)]
FiniteNumber = Annotated[float, BeforeValidator(_check_finite_number)]
NameOrIndex = Annotated[str | int, BeforeValidator(_check_name_or_index)]
Value = Annotated[int | float | str, BeforeValidator(_check_value)]
CellValue = Annotated[int | float | str, BeforeValidator(_check_cell)]

StrList = Annotated[tuple[Str, ...], BeforeValidator(require_list("strings"))]
NameOrIndexList = Annotated[
    tuple[NameOrIndex, ...], BeforeValidator(require_list("column names or indices"))
]
ValueList = Annotated[
    tuple[Value, ...], BeforeValidator(require_list("strings or numbers", wrap_scalar=True))
]

VersionField = Annotated[ConfigVersion, BeforeValidator(_enum(CONFIG_VERSION_VALUES))]
DatasetTypeField = Annotated[DatasetType, BeforeValidator(_enum(DATASET_TYPE_VALUES))]
ContentTypeField = Annotated[ContentType, BeforeValidator(_enum(CONTENT_TYPE_VALUES))]
AcceptTypeField = Annotated[AcceptType, BeforeValidator(_enum(ACCEPT_TYPE_VALUES))]
AggMethodField = Annotated[AggMethod, BeforeValidator(_enum(AGG_METHOD_VALUES))]
TextGranularityField = Annotated[TextGranularity, BeforeValidator(_enum(TEXT_GRANULARITY_VALUES))]
# 124 spellings would not fit a message; name the kind and a few examples instead.
LanguageField = Annotated[
    Language,
    BeforeValidator(
        _enum(
            LANGUAGE_VALUES,
            what="a supported language name or code (e.g. 'english', 'en', 'german', 'de')",
            fix="Use one of the 62 spaCy languages, by English name or ISO code.",
        )
    ),
]
ImageModelTypeField = Annotated[
    ImageModelType, BeforeValidator(_enum(IMAGE_MODEL_TYPE_VALUES, upper=True))
]
AsvDirectionField = Annotated[AsvDirection, BeforeValidator(_enum(ASV_DIRECTION_VALUES))]
AsvGranularityField = Annotated[AsvGranularity, BeforeValidator(_enum(ASV_GRANULARITY_VALUES))]
AsvBaselineKindField = Annotated[AsvBaselineKind, BeforeValidator(_enum(ASV_BASELINE_KIND_VALUES))]
TimeSeriesDatasetFormatField = Annotated[
    TimeSeriesDatasetFormat, BeforeValidator(_enum(TS_DATASET_FORMAT_VALUES))
]
