"""``methods.asymmetric_shapley_value.baseline``: what replaces an absent player, per item.

``target_time_series`` ``zero`` (the schema's default) or ``mean`` (the item's mean
over its observed steps); ``related_time_series`` ``zero`` (our default: the schema
has none, and zero is the target's) or ``mean`` (each series' mean over all its
steps, future ones included); ``static_covariates`` ``{item_id: [one value per
static covariate]}``, looked up by the item id's text (JSON object keys are
strings).  A baseline given as a URI is not read yet (refused while planning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...data.timeseries import TimeSeriesItem
from ...errors import ConfigError
from .players import ItemBaseline

if TYPE_CHECKING:
    from ...config import AsymmetricShapleyValueConfig

__all__ = ["check_baseline", "item_baseline"]

_PATH = "$.methods.asymmetric_shapley_value.baseline"


def check_baseline(asv: AsymmetricShapleyValueConfig, n_static: int) -> None:
    """Refuse, before any data is read, a baseline this version cannot use.

    Raises
    ------
    ConfigError
        A URI baseline; static-covariate baselines without static covariates or
        with the wrong number of values (the SDK's two rules).
    """
    baseline = asv.baseline
    if baseline is None:
        return
    if isinstance(baseline, str):
        raise ConfigError(
            _PATH,
            "not supported yet: a baseline given as a URI",
            "give the baseline object in the config (target_time_series, "
            "related_time_series, static_covariates)",
        )
    statics = baseline.static_covariates
    if statics is None:
        return
    if n_static == 0:
        raise ConfigError(
            f"{_PATH}.static_covariates",
            "is given but $.time_series_data_config.static_covariates is not set",
            "remove it or configure the static covariates",
        )
    for position, values in enumerate(statics.values()):
        if len(values) != n_static:
            raise ConfigError(
                f"{_PATH}.static_covariates",
                f"entry {position + 1} has {len(values)} values for {n_static} static covariates",
                "give one value per static covariate, in config order",
            )


def item_baseline(
    item: TimeSeriesItem, asv: AsymmetricShapleyValueConfig, explains_statics: bool
) -> ItemBaseline:
    """The baseline of ``item``.

    Raises
    ------
    ConfigError
        When static covariates are explained (``fine_grained``) and the item has
        no entry in ``baseline.static_covariates``.
    """
    baseline = asv.baseline if not isinstance(asv.baseline, str) else None
    target_kind = (baseline.target_time_series if baseline else None) or "zero"
    related_kind = (baseline.related_time_series if baseline else None) or "zero"
    target = np.full_like(item.target, item.target.mean() if target_kind == "mean" else 0.0)
    if related_kind == "mean" and item.related.size:
        related = np.repeat(item.related.mean(axis=1, keepdims=True), item.n_steps, axis=1)
    else:
        related = np.zeros_like(item.related)
    statics = item.statics
    if explains_statics and statics:
        table = (baseline.static_covariates if baseline else None) or {}
        found = {str(k): v for k, v in table.items()}.get(str(item.item_id))
        if found is None:
            raise ConfigError(
                f"{_PATH}.static_covariates",
                "has no entry for an item of the dataset (fine_grained explains the static "
                "covariates, which need a baseline per item)",
                "add {item_id: [one value per static covariate]} for every item",
            )
        statics = tuple(found)
    return ItemBaseline(target, related, tuple(statics))
