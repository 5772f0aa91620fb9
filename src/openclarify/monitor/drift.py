"""Drift checks: a current ``analysis.json`` against a baseline one (monitor-contract §4).

Two checks, chosen by the sections the documents hold:

* **bias drift** (``pre_training_bias_metrics`` / ``post_training_bias_metrics``):
  per (stage, facet, facet value, metric) present in both, a violation iff the
  current value is farther from 0 than the baseline value,
  ``|current| > |baseline|`` (equal is not a violation; null and NaN are skipped;
  ``±Infinity`` compares by magnitude, so ``Infinity`` against a finite baseline is a
  violation and ``Infinity`` against ``-Infinity`` is not).  With
  ``di_centred=True``, DI (fair value 1) uses ``|current - 1| > |baseline - 1|``
  instead — the literal rule is the default because nothing public says the service
  centres DI (contract §8 Q3).
* **feature attribution drift** (``explanations.kernel_shap``): per label, the nDCG
  (:func:`~openclarify.monitor.ndcg.ndcg`) of the current global SHAP values
  against the baseline's; a violation iff ``score < ndcg_threshold`` (0.9).

When both kinds of sections are in both documents both checks run, bias
violations first: a combined analysis must not pass silently on the half that
was not looked at.  Sections in one document only are logged and listed in
:attr:`DriftCheck.notes`; documents with nothing in common (another
configuration's baseline) are a :class:`~openclarify.errors.DatasetError`.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ..errors import DatasetError
from .ndcg import ndcg

__all__ = [
    "ATTRIBUTION_CHECK",
    "BIAS_CHECK",
    "DEFAULT_NDCG_THRESHOLD",
    "AttributionPair",
    "BiasPair",
    "DriftCheck",
    "Violation",
    "check_drift",
    "format_value",
]

log = logging.getLogger("openclarify")

BIAS_CHECK: Final = "bias_drift_check"
ATTRIBUTION_CHECK: Final = "feature_attribution_drift_check"
#: "If the score is less than 0.9, then a violation is logged" (contract §4.3).
DEFAULT_NDCG_THRESHOLD: Final = 0.9
#: analysis.json bias sections, in the order violations of equal sort key keep.
BIAS_SECTIONS: Final = ("pre_training_bias_metrics", "post_training_bias_metrics")
_EXPLANATIONS: Final = "explanations"
_KERNEL_SHAP: Final = "kernel_shap"
# A threshold facet's group, "(40, 89]": the upper end is the data's maximum, which
# moves from one execution to the next.
_INTERVAL: Final = re.compile(r"\((?P<low>[^,\]]+), (?P<high>[^,\]]+)\]\Z")

Kind = Literal["bias", "explainability", "bias+explainability"]


@dataclass(frozen=True)
class Violation:
    """One entry of ``constraint_violations.json`` (key order: :meth:`to_dict`)."""

    metric_name: str
    constraint_check_type: str
    description: str
    facet: str | None = None
    facet_value: str | None = None
    label: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The entry as the docs' schema orders it (contract §4.1, §4.3, §8 Q5)."""
        if self.constraint_check_type == BIAS_CHECK:
            head = {"facet": self.facet or "", "facet_value": self.facet_value or ""}
        else:
            head = {"label": self.label or ""}
        return {
            **head,
            "metric_name": self.metric_name,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
        }


@dataclass(frozen=True)
class BiasPair:
    """One bias metric found in both documents: its two values and the verdict.

    ``checked`` is False when either value is null or NaN (nothing to compare).
    ``baseline`` and ``current`` are the values exactly as ``analysis.json`` has
    them (a float, an int, ``"Infinity"``, ``None``).
    """

    stage: str
    facet: str
    facet_value: str
    metric: str
    baseline: Any
    current: Any
    checked: bool
    violated: bool


@dataclass(frozen=True)
class AttributionPair:
    """One label's attribution check: the nDCG and the vectors it was computed on."""

    label: str
    score: float
    violated: bool
    #: ``(feature, baseline value, current value)`` in baseline order.
    features: tuple[tuple[str, float, float], ...]


@dataclass(frozen=True)
class DriftCheck:
    """The outcome of :func:`check_drift`."""

    kind: Kind
    violations: tuple[Violation, ...]
    bias: tuple[BiasPair, ...] = ()
    attribution: tuple[AttributionPair, ...] = ()
    di_centred: bool = False
    ndcg_threshold: float = DEFAULT_NDCG_THRESHOLD
    #: What could not be compared and why (also logged as warnings).
    notes: tuple[str, ...] = ()

    @property
    def compared(self) -> int:
        """Pairs actually compared: bias metrics with two values, plus labels scored."""
        return sum(1 for pair in self.bias if pair.checked) + len(self.attribution)

    @property
    def has_violations(self) -> bool:
        return bool(self.violations)


def _number(raw: Any) -> float | None:
    """An ``analysis.json`` value as a float; None for null, NaN and non-numbers."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)  # also "Infinity" / "-Infinity"
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def format_value(raw: Any) -> str:
    """A value as the service's description prints it.

    ``repr`` of a float (``0.3748947825295131``), ``Infinity`` / ``-Infinity``
    (observed, contract §4.1), and an integer as written (``0``: the "both ratios
    infinite" case of analysis.json is the int 0; printing the document's value
    as it is gives "0", as Python's f-string would).
    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    value = float(raw)
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _bias_description(current: Any, baseline: Any) -> str:
    return (
        f"Metric value {format_value(current)} doesn't meet the baseline "
        f"constraint requirement {format_value(baseline)}"
    )


def _worse(current: float, baseline: float, *, centre: float) -> bool:
    # abs() of ±inf is inf, and inf > inf is False: equal infinities are no violation.
    return abs(current - centre) > abs(baseline - centre)


def _groups(section: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``(facet, value_or_threshold) → {metric name: raw value}`` of one bias section."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    facets = section.get("facets")
    if not isinstance(facets, Mapping):
        return out
    for facet, groups in facets.items():
        for group in groups if isinstance(groups, list) else ():
            if not isinstance(group, Mapping):
                continue
            metrics = {
                str(m["name"]): m.get("value")
                for m in group.get("metrics") or ()
                if isinstance(m, Mapping) and "name" in m
            }
            out[(str(facet), str(group.get("value_or_threshold", "")))] = metrics
    return out


def _interval_low(text: str) -> str | None:
    found = _INTERVAL.match(text)
    return found.group("low") if found else None


def _match_group(
    facet: str, value: str, current: dict[tuple[str, str], dict[str, Any]]
) -> tuple[str, str] | None:
    """The current group that corresponds to a baseline ``(facet, value)``.

    The exact ``value_or_threshold`` string first.  Failing that, a threshold
    facet's interval ``(low, high]`` matches the current interval with the same
    ``low``: the threshold is the configuration, ``high`` is the data's maximum and
    differs between the baseline's data and each execution's.  Without this, a
    threshold facet would never be compared (a silent pass).
    """
    if (facet, value) in current:
        return facet, value
    low = _interval_low(value)
    if low is None:
        return None
    for key in current:
        if key[0] == facet and _interval_low(key[1]) == low:
            return key
    return None


def _check_bias(
    baseline: Mapping[str, Any], current: Mapping[str, Any], stage: str, *, di_centred: bool
) -> tuple[list[BiasPair], list[Violation]]:
    pairs: list[BiasPair] = []
    violations: list[Violation] = []
    current_groups = _groups(current)
    for (facet, value), metrics in _groups(baseline).items():
        key = _match_group(facet, value, current_groups)
        if key is None:
            continue
        if key[1] != value:
            log.info(
                "Drift check: facet %s group %s of the baseline compared with %s",
                facet,
                value,
                key[1],
            )
        now = current_groups[key]
        for metric, raw_baseline in metrics.items():
            if metric not in now:
                continue  # a metric missing from either side is not checked (Q3)
            raw_current = now[metric]
            base, cur = _number(raw_baseline), _number(raw_current)
            checked = base is not None and cur is not None
            violated = False
            if base is not None and cur is not None:
                centre = 1.0 if di_centred and metric == "DI" else 0.0
                violated = _worse(cur, base, centre=centre)
            pairs.append(
                BiasPair(stage, facet, key[1], metric, raw_baseline, raw_current, checked, violated)
            )
            if violated:
                violations.append(
                    Violation(
                        metric_name=metric,
                        constraint_check_type=BIAS_CHECK,
                        description=_bias_description(raw_current, raw_baseline),
                        facet=facet,
                        facet_value=key[1],
                    )
                )
    return pairs, violations


def _shap_vectors(document: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """``label → {feature: finite global SHAP value}`` of ``explanations.kernel_shap``."""
    explanations = document.get(_EXPLANATIONS)
    kernel = explanations.get(_KERNEL_SHAP) if isinstance(explanations, Mapping) else None
    out: dict[str, dict[str, float]] = {}
    if not isinstance(kernel, Mapping):
        return out
    for label, entry in kernel.items():
        values = entry.get("global_shap_values") if isinstance(entry, Mapping) else None
        if not isinstance(values, Mapping):
            continue
        vector = {}
        for feature, raw in values.items():
            value = _number(raw)
            if value is not None and math.isfinite(value):
                vector[str(feature)] = value
        out[str(label)] = vector
    return out


def _check_attribution(
    baseline: dict[str, dict[str, float]],
    current: dict[str, dict[str, float]],
    *,
    threshold: float,
    notes: list[str],
) -> tuple[list[AttributionPair], list[Violation]]:
    pairs: list[AttributionPair] = []
    violations: list[Violation] = []
    for label, base_vector in baseline.items():
        if label not in current:
            notes.append(f"label {label} of the baseline is not in the current analysis; skipped")
            continue
        now = current[label]
        features = [f for f in base_vector if f in now]  # intersection, baseline order (Q6)
        if not features:
            notes.append(f"label {label}: no feature in common with the baseline; skipped")
            continue
        # Relevance = baseline values, negatives clipped to 0 (scikit-learn refuses
        # negative relevances; a median-aggregated SHAP vector can have them).
        relevance = [max(base_vector[f], 0.0) for f in features]
        score = ndcg(relevance, [now[f] for f in features])
        violated = score < threshold  # "less than 0.9": exactly 0.9 passes
        pairs.append(
            AttributionPair(
                label, score, violated, tuple((f, base_vector[f], now[f]) for f in features)
            )
        )
        if violated:
            violations.append(
                Violation(
                    metric_name="shap",
                    constraint_check_type=ATTRIBUTION_CHECK,
                    # Verbatim, although the score is *below* the threshold (§4.3).
                    description=f"Feature attribution drift {score!r} exceeds threshold "
                    f"{format_value(threshold)}",
                    label=label,
                )
            )
    return pairs, violations


def _mismatch(baseline_name: str, current_name: str, what: str) -> DatasetError:
    return DatasetError(
        baseline_name,
        f"the baseline has {what} in common with the current analysis {current_name}, "
        "so nothing can be checked (a baseline of another analysis configuration?)",
        "give the analysis.json of a baseline run of the same analysis configuration",
    )


def check_drift(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    di_centred: bool = False,
    ndcg_threshold: float = DEFAULT_NDCG_THRESHOLD,
    baseline_name: str = "the baseline",
    current_name: str = "the current analysis",
) -> DriftCheck:
    """Compare a current ``analysis.json`` document with a baseline one.

    Parameters
    ----------
    baseline, current:
        Parsed ``analysis.json`` documents (the baseline is the constraints file).
    di_centred:
        Check DI by its distance from 1 instead of from 0 (see the module text).
    ndcg_threshold:
        An attribution score below this is a violation.
    baseline_name, current_name:
        The files the documents came from, for errors and notes.

    Returns
    -------
    DriftCheck
        Violations ordered by facet, facet value, metric name (bias, contract §8
        Q5), then attribution violations in the baseline's label order.

    Raises
    ------
    DatasetError
        The baseline has no section, facet group, label or feature in common with
        the current analysis (a baseline of another configuration), or nothing to
        check at all.
    """
    notes: list[str] = []
    bias_stages = [
        key
        for key in BIAS_SECTIONS
        if isinstance(baseline.get(key), Mapping) and isinstance(current.get(key), Mapping)
    ]
    for key in BIAS_SECTIONS:
        if isinstance(baseline.get(key), Mapping) and key not in bias_stages:
            notes.append(f"{key} of the baseline is not in the current analysis; not checked")
    base_shap, current_shap = _shap_vectors(baseline), _shap_vectors(current)
    explain = bool(base_shap) and bool(current_shap)
    if base_shap and not current_shap:
        notes.append("explanations.kernel_shap of the baseline is not in the current analysis")
    if not bias_stages and not explain:
        if not base_shap and not any(isinstance(baseline.get(k), Mapping) for k in BIAS_SECTIONS):
            raise DatasetError(
                baseline_name,
                "the baseline has no bias metrics and no explanations.kernel_shap to check against",
                "give the analysis.json of a bias or explainability baseline run",
            )
        raise _mismatch(baseline_name, current_name, "no section")

    pairs: list[BiasPair] = []
    bias_violations: list[Violation] = []
    for key in bias_stages:
        stage_pairs, stage_violations = _check_bias(
            baseline[key], current[key], key, di_centred=di_centred
        )
        pairs += stage_pairs
        bias_violations += stage_violations
    if bias_stages and not pairs:
        raise _mismatch(baseline_name, current_name, "no facet group and metric")
    # Stable sort: equal keys keep the stage order of BIAS_SECTIONS.
    bias_violations.sort(key=lambda v: (v.facet or "", v.facet_value or "", v.metric_name))

    scored: list[AttributionPair] = []
    attribution_violations: list[Violation] = []
    if explain:
        scored, attribution_violations = _check_attribution(
            base_shap, current_shap, threshold=ndcg_threshold, notes=notes
        )
        if not scored:
            raise _mismatch(baseline_name, current_name, "no label with a feature")
    for note in notes:
        log.warning("Drift check: %s", note)
    kind: Kind = (
        "bias+explainability"
        if bias_stages and explain
        else "bias"
        if bias_stages
        else "explainability"
    )
    check = DriftCheck(
        kind=kind,
        violations=tuple(bias_violations + attribution_violations),
        bias=tuple(pairs),
        attribution=tuple(scored),
        di_centred=di_centred,
        ndcg_threshold=ndcg_threshold,
        notes=tuple(notes),
    )
    log.info(
        "Drift check (%s): %d pair(s) compared, %d violation(s)",
        kind,
        check.compared,
        len(check.violations),
    )
    return check
