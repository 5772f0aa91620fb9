"""The job definition's ``EndpointInput`` / ``BatchTransformInput`` attributes, from wherever they come.

``FeaturesAttribute``, ``InferenceAttribute``, ``ProbabilityAttribute``,
``ProbabilityThresholdAttribute`` and ``ExcludeFeaturesAttribute`` say where the
features, the predicted label and the score sit in the captured request and
response (monitor contract §3.1).  How they reach the container is not public
(monitor contract Q1), so every candidate is accepted, first found wins:

1. explicit values (``openclarify monitor`` options, tests);
2. the environment: ``features_attribute`` … ``exclude_features_attribute``, the
   names of the SDK's Model-Quality constants, also in upper case
   (``FEATURES_ATTRIBUTE``) and in the API's spelling (``FeaturesAttribute``);
3. the same keys inside ``analysis_config.json`` (either spelling);
4. back-filled from an ordinary Clarify config, as the SDK back-fills them from
   the baselining job (monitor contract §1.2): ``features`` → features,
   ``predictor.label`` → inference, ``predictor.probability`` → probability,
   ``probability_threshold`` → threshold.

An inference or probability attribute given as a string of digits (``"0"``, as
the API transports every value) is a 0-based index: a CSV column, or an element
of a JSON array response (a bare number is no JMESPath).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

__all__ = ["ATTRIBUTE_KEYS", "CaptureAttributes", "pop_attribute_keys"]

#: Our field name → the snake-case name (env var, config key) and the API's name.
ATTRIBUTE_KEYS: dict[str, tuple[str, str]] = {
    "features": ("features_attribute", "FeaturesAttribute"),
    "inference": ("inference_attribute", "InferenceAttribute"),
    "probability": ("probability_attribute", "ProbabilityAttribute"),
    "threshold": ("probability_threshold_attribute", "ProbabilityThresholdAttribute"),
    "exclude": ("exclude_features_attribute", "ExcludeFeaturesAttribute"),
}


@dataclass(frozen=True)
class CaptureAttributes:
    """Where features, predictions and scores sit in captured payloads.

    Attributes
    ----------
    features:
        JMESPath of the features in a JSON request (a list, or a list of lists for
        several records); ``None``: the request is the features (CSV, or a JSON array).
    inference:
        Column index (CSV) or JMESPath (JSON) of the predicted label in the response.
    probability:
        Column index or JMESPath of the score; with ``inference`` a list of labels and
        this a list of scores, the label of the highest score is the prediction.
    threshold:
        A score ``> threshold`` is the positive prediction (default 0.5, strict).
    exclude:
        Features left out of the analysis: 0-based positions in the captured feature
        vector, or feature names.
    sources:
        Where each attribute was found (for the log).
    """

    features: str | None = None
    inference: str | int | None = None
    probability: str | int | None = None
    threshold: float | None = None
    exclude: tuple[str | int, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()

    @classmethod
    def collect(
        cls,
        explicit: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> CaptureAttributes:
        """The attributes from the candidates of the module docstring, first found wins.

        ``config`` is the raw ``analysis_config.json`` document (before the
        monitoring keys are removed by :func:`pop_attribute_keys`).
        """
        explicit = explicit or {}
        env = env or {}
        config = config or {}
        found_predictor = config.get("predictor")
        predictor: Mapping[str, Any] = found_predictor if isinstance(found_predictor, dict) else {}
        backfill = {
            "features": config.get("features"),
            "inference": predictor.get("label"),
            "probability": predictor.get("probability"),
            "threshold": config.get("probability_threshold"),
        }
        found: dict[str, Any] = {}
        sources: list[tuple[str, str]] = []
        for field, (snake, api) in ATTRIBUTE_KEYS.items():
            candidates = [
                (explicit.get(field), f"--{field}"),
                *((env.get(name), f"env {name}") for name in (snake, snake.upper(), api)),
                *((config.get(name), f"$.{name}") for name in (snake, api)),
                (backfill.get(field), "the analysis config"),
            ]
            for value, source in candidates:
                if value is not None and value != "":
                    found[field] = value
                    sources.append((field, source))
                    break
        return cls(
            features=_jmespath(found.get("features"), "FeaturesAttribute"),
            inference=_location(found.get("inference"), "InferenceAttribute"),
            probability=_location(found.get("probability"), "ProbabilityAttribute"),
            threshold=_threshold(found.get("threshold")),
            exclude=_exclude(found.get("exclude")),
            sources=tuple(sources),
        )

    def describe(self) -> str:
        """One log line: every attribute found and where it came from."""
        if not self.sources:
            return "no capture attributes (CSV payloads, whole response)"
        return ", ".join(f"{field} from {source}" for field, source in self.sources)


def pop_attribute_keys(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without the attribute keys (they are not analysis-config keys)."""
    names = {name for pair in ATTRIBUTE_KEYS.values() for name in pair}
    return {key: value for key, value in document.items() if key not in names}


def _jmespath(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(what, f"must be a JMESPath string, found {type(value).__name__}")
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        raise ConfigError(
            what,
            f"is not a valid JMESPath ({type(exc).__name__})",
            "e.g. instances[*].features",
        ) from None
    return value


def _location(value: Any, what: str) -> str | int | None:
    """A column index (int, or a string of digits) or a JMESPath."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(what, "must be a column index or a JMESPath, found a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(what, "must be a 0-based column index (>= 0)")
        return value
    text = str(value).strip()
    if text.isdigit():  # the API transports every attribute as a string: "0" is column 0
        return int(text)
    return _jmespath(text, what)


def _threshold(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(
            "ProbabilityThresholdAttribute", "must be a number between 0 and 1", "e.g. 0.5"
        ) from None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise ConfigError(
            "ProbabilityThresholdAttribute", "must be a number between 0 and 1", "e.g. 0.5"
        )
    return number


def _exclude(value: Any) -> tuple[str | int, ...]:
    """``"0,3"`` / ``"Age, Sex"`` / a list → positions (ints) and names."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    out: list[str | int] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        out.append(int(text) if text.isdigit() else text)
    return tuple(out)
