"""The base class of every config model: frozen, unknown keys refused, defaults lookup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from openclarify.config.defaults import DEFAULTS
from openclarify.config.fields import closest, expected, fail, json_key_path, shorten

__all__ = ["ConfigModel"]


class ConfigModel(BaseModel):
    """Base of every config object: frozen, unknown keys rejected, defaults lookup.

    Unknown keys are caught by a ``before`` validator rather than left to
    ``extra="forbid"`` so that the error can list the keys allowed at that level
    and suggest the closest spelling; ``extra="forbid"`` stays as a second line of
    defence and puts ``additionalProperties: false`` into the JSON Schema.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # "model_name" and "model_type" are AWS keys, not pydantic internals.
        protected_namespaces=(),
        validate_default=False,
        # A job validates one AnalysisConfig, whose validator holds every nested
        # model: building a validator for each of the ~20 classes at import as
        # well cost about 10 ms of every job's start-up.  A class used on its own
        # (FacetConfig.model_validate, the JSON Schema) builds its own on first use.
        defer_build=True,
    )

    #: JSON path of this object without ``$.`` (``"methods.shap"``); list items
    #: end in ``[]``.  Used as the prefix of :data:`DEFAULTS` keys.
    json_path: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _check_object_and_keys(cls, data: Any) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            expected("an object", data, "Write this value as a JSON object ({...}).")
        allowed = sorted(cls.model_fields)
        for key in data:
            if key not in cls.model_fields:
                guess = closest(str(key), allowed)
                hint = f"Did you mean {guess!r}? " if guess else ""
                fail(
                    f"unknown key {shorten(repr(str(key)))}; allowed keys here: "
                    f"{', '.join(allowed)}",
                    f"{hint}Remove the key or correct its spelling (keys are case-sensitive).",
                    json_key_path(key),
                )
        return dict(data)

    def value_or_default(self, name: str) -> Any:
        """Return the field ``name``, or its default from :data:`DEFAULTS` when absent.

        Parameters
        ----------
        name:
            Field name (the JSON key) of this object.

        Returns
        -------
        Any
            The configured value; the default when the key was absent and a
            default exists; ``None`` otherwise.
        """
        value = getattr(self, name)
        if value is None:
            key = f"{self.json_path}.{name}" if self.json_path else name
            return DEFAULTS.get(key)
        return value
