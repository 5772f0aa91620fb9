"""THE table of analysis methods and data kinds: what asks for each, what it needs, where it lives.

A method is a unit (:class:`Method`): one module per method family that says
what it needs (:class:`Needs`: a model, predicted labels), checks its part of
the config before any data is read, and computes its share of the result (its
``analysis.json`` section and its extra files) from a :class:`JobData`.  The job
(:mod:`openclarify.job`) reads this table and never names a method.

Rows whose ``unit`` is ``None`` are not built yet: asking for them is refused
with one "not supported yet: ..." error from :func:`refuse_not_built`, never
ignored.  Adding a method is a module and a row here.

Order matters twice: the refusals and checks run in table order, and so do the
methods (within the rule that every method that needs the model runs while the
model session is open, before the others, so that a shadow endpoint is deleted
as early as possible); ``explanations`` sections appear in table order
(``kernel_shap`` before ``pdp``, as Clarify writes them).
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import AnalysisConfig
    from .data.table import BiasTable
    from .data.timeseries import TimeSeriesDataset
    from .locations import Locations
    from .predict.session import ModelSession
    from .results import AnalysisResult
    from .segments.membership import SegmentRows


@dataclass(frozen=True)
class Needs:
    """What a method needs from the job beyond the dataset.

    Attributes
    ----------
    model:
        It calls ``$.predictor`` (SHAP, PDP) or needs predictions from it.
    predictions:
        It needs predicted labels that the data does not hold: the job adds the
        model's predictions to the table first (post-training bias without a
        ``predicted_label``).
    no_predictor:
        ``(problem, fix)`` when ``$.predictor`` is missing although ``model``.
    """

    model: bool = False
    predictions: bool = False
    no_predictor: tuple[str, str] = ("this analysis needs a model", "set $.predictor")


@dataclass
class JobData:
    """What a method computes from: the config, the dataset, the model, the backend.

    The table is read on first use (:meth:`table`) and shared by every method
    after that, so a method that can stream the files (bias on CSV) reads them
    only when nothing before it loaded them.
    """

    config: AnalysisConfig
    path: Path
    locations: Locations
    backend: str
    log: logging.Logger
    n_jobs: int | None = -1
    #: The open model session (``None`` when no method needs the model, or on Spark,
    #: whose tasks call the model themselves).
    session: ModelSession | None = None
    #: The Spark session on ``--backend spark``.
    spark: Any = None
    #: ``segment_config``: the one segment this copy of the job's data is restricted
    #: to (:class:`openclarify.segments.method.SegmentData`); ``None``: every row.
    #: A method that reads the files itself (streaming bias) filters them with it.
    segment: SegmentRows | None = None
    #: The number of rows of :attr:`segment`, set by whatever read them first.
    segment_records: int | None = None
    _table: BiasTable | None = field(default=None, repr=False)
    _time_series: TimeSeriesDataset | None = field(default=None, repr=False)

    @property
    def table_loaded(self) -> bool:
        return self._table is not None

    def table(self) -> BiasTable:
        """The dataset read whole with every configured column resolved (read once)."""
        if self._table is None:
            from .data.table import load_bias_table

            started = time.perf_counter()
            self._table = load_bias_table(self.config, self.path, self.locations)
            seconds = time.perf_counter() - started
            if self.spark is not None:
                self.log.info(
                    "Loaded %d rows for explanations in %.2fs", self._table.n_rows, seconds
                )
            else:
                self.log.info(
                    "Loaded %d rows, %d columns in %.2fs",
                    self._table.n_rows,
                    len(self._table.frame.columns),
                    seconds,
                )
        return self._table

    def time_series(self) -> TimeSeriesDataset:
        """The items of a ``time_series_data_config`` dataset (read once)."""
        if self._time_series is None:
            from .data.timeseries import read_time_series

            self._time_series = read_time_series(self.config, self.path)
            self.log.info("Loaded %d time-series items", len(self._time_series.items))
        return self._time_series

    def replace_table(self, table: BiasTable) -> None:
        """The table with columns added by an earlier stage (the model's predictions)."""
        self._table = table


class Method(Protocol):
    """One method family's unit (a module-level object named in :data:`METHODS`)."""

    def needs(self, config: AnalysisConfig) -> Needs:
        """What this method needs for ``config``."""
        ...

    def check(self, config: AnalysisConfig, backend: str) -> None:
        """Refuse, before any data is read, what this method cannot compute."""
        ...

    def run(self, data: JobData, earlier: AnalysisResult) -> AnalysisResult:
        """This method's part of the result; ``earlier`` combines the methods before it."""
        ...


@dataclass(frozen=True)
class Row:
    """One row of the table.

    Attributes
    ----------
    name:
        Short name, for logs.
    key:
        The JSON path of the config key that asks for it.
    requested:
        Whether a config asks for it.
    unit:
        ``"module:attribute"`` of its :class:`Method`; ``None``: not built yet.
    refusal:
        ``(what, fix)`` of the "not supported yet" error for a row not built yet.
    """

    name: str
    key: str
    requested: Callable[[AnalysisConfig], bool]
    unit: str | None = None
    refusal: tuple[str, str] | None = None

    def load(self) -> Method:
        """The row's unit (its module imported on first use)."""
        assert self.unit is not None, self.name
        module, attribute = self.unit.split(":")
        unit: Method = getattr(importlib.import_module(module), attribute)
        return unit


def _shap_of_kind(key: str | None) -> Callable[[AnalysisConfig], bool]:
    """``methods.shap`` is set and ``key`` (``text_config``, ``image_config``) is, or none is."""

    def requested(config: AnalysisConfig) -> bool:
        shap = config.methods.shap
        if shap is None:
            return False
        if key is not None:
            return getattr(shap, key) is not None
        return shap.text_config is None and shap.image_config is None

    return requested


#: Data kinds (``$.dataset_type``) that are not read yet, with the fix.
DATA_KINDS_NOT_BUILT: dict[str, str] = {}

#: Data kinds read by turning them into another kind first: ``"module:function"`` taking
#: ``(config, dataset, locations)`` and returning the config and dataset to analyse.
DATA_KINDS_TRANSLATED: dict[str, str] = {
    "application/sagemakercapturejson": "openclarify.monitor.kind:read_capture_kind",
}

#: Data kinds that only some methods can read: the names of the rows allowed for them.
#: Images are explained by SHAP over segments only (contract §2.2: "only SHAP
#: explainability"); a bias method or tabular SHAP asked of them is refused up front.
DATA_KIND_METHODS: dict[str, tuple[str, ...]] = {
    "application/x-image": ("image SHAP",),
}

#: Config sections that change how the data is read or grouped and are not built yet.
SECTIONS_NOT_BUILT: tuple[Row, ...] = ()

#: Config sections that repeat the requested methods on parts of the data: each
#: row's unit has ``wrap(unit) -> Method`` and wraps every requested method's unit.
SECTIONS: tuple[Row, ...] = (
    Row(
        "segments",
        "$.segment_config",
        lambda c: bool(c.segment_config),
        unit="openclarify.segments.method:SEGMENTS",
    ),
)

#: THE table of methods, in the order they are checked, run and written.
METHODS: tuple[Row, ...] = (
    Row(
        "asymmetric Shapley values",
        "$.methods.asymmetric_shapley_value",
        lambda c: c.methods.asymmetric_shapley_value is not None,
        unit="openclarify.explain.asymmetric.method:ASYMMETRIC_SHAPLEY",
    ),
    Row(
        "text SHAP",
        "$.methods.shap.text_config",
        _shap_of_kind("text_config"),
        unit="openclarify.explain.text.method:TEXT_SHAP",
    ),
    Row(
        "image SHAP",
        "$.methods.shap.image_config",
        _shap_of_kind("image_config"),
        unit="openclarify.explain.image.method:IMAGE_SHAP",
    ),
    Row(
        "kernel SHAP",
        "$.methods.shap",
        _shap_of_kind(None),
        unit="openclarify.explain.method:KERNEL_SHAP",
    ),
    Row(
        "PDP",
        "$.methods.pdp",
        lambda c: c.methods.pdp is not None,
        "openclarify.explain.method:PDP",
    ),
    Row(
        "bias",
        "$.methods.pre_training_bias",
        lambda c: (
            c.methods.pre_training_bias is not None or c.methods.post_training_bias is not None
        ),
        unit="openclarify.bias.method:BIAS",
    ),
)


def translate_data_kind(
    config: AnalysisConfig, dataset: Path | None, locations: Locations
) -> tuple[AnalysisConfig, Path | None]:
    """``(config, dataset)``, or what a translated data kind becomes (:data:`DATA_KINDS_TRANSLATED`).

    Runs before :func:`plan_analysis`; the translation checks the config on its own
    before it reads any data.
    """
    target = DATA_KINDS_TRANSLATED.get(config.dataset_type)
    if target is None:
        return config, dataset
    module, attribute = target.split(":")
    translate = getattr(importlib.import_module(module), attribute)
    translated: tuple[AnalysisConfig, Path] = translate(config, dataset, locations)
    return translated


def refuse_not_built(config: AnalysisConfig) -> None:
    """The one "not supported yet: <what>" error for the first unbuilt feature asked for."""
    if config.dataset_type in DATA_KINDS_NOT_BUILT:
        raise ConfigError(
            "$.dataset_type",
            f"not supported yet: {config.dataset_type}",
            DATA_KINDS_NOT_BUILT[config.dataset_type],
        )
    for row in (*SECTIONS_NOT_BUILT, *METHODS):
        if row.unit is None and row.requested(config):
            assert row.refusal is not None, row.name
            what, fix = row.refusal
            raise ConfigError(row.key, f"not supported yet: {what}", fix)
    allowed = DATA_KIND_METHODS.get(config.dataset_type)
    if allowed is not None:
        for row in METHODS:
            if row.requested(config) and row.name not in allowed:
                raise ConfigError(
                    row.key,
                    f"cannot be computed for {config.dataset_type} datasets",
                    f"remove it; {config.dataset_type} datasets are explained with "
                    "$.methods.shap.image_config",
                )


#: The one method that reads a time-series dataset (``time_series_data_config``).
TIME_SERIES_METHOD = "asymmetric Shapley values"


def refuse_mixed_time_series(config: AnalysisConfig) -> None:
    """A time-series dataset is explained by asymmetric Shapley values only.

    The SDK refuses bias with a ``TimeSeriesDataConfig`` ("Bias metrics are
    unsupported for time series."); SHAP and PDP read tables, which a
    time-series dataset is not.
    """
    if not config.is_time_series:
        return
    others = [
        row.key for row in METHODS if row.name != TIME_SERIES_METHOD and row.requested(config)
    ]
    if others:
        raise ConfigError(
            others[0],
            "is unsupported for time series (a time_series_data_config dataset is explained "
            "by methods.asymmetric_shapley_value only)",
            "run it in a separate job on a tabular dataset",
        )


def requested_methods(config: AnalysisConfig) -> list[tuple[Row, Method]]:
    """The built methods ``config`` asks for, in table order, with their units.

    Each unit is wrapped by the :data:`SECTIONS` the config asks for (``segment_config``:
    the unit also computes its part for every segment).
    """
    refuse_not_built(config)
    refuse_mixed_time_series(config)
    requested = [
        (row, row.load()) for row in METHODS if row.unit is not None and row.requested(config)
    ]
    for section in SECTIONS:
        if section.requested(config):
            assert section.unit is not None, section.name
            module, attribute = section.unit.split(":")
            wrapper = getattr(importlib.import_module(module), attribute)
            requested = [(row, wrapper.wrap(unit)) for row, unit in requested]
    return requested


@dataclass(frozen=True)
class Step:
    """One requested method: its table row, its unit, and what it needs for this config."""

    row: Row
    unit: Method
    needs: Needs


@dataclass(frozen=True)
class Plan:
    """What this config asks us to compute, checked before any data is read."""

    steps: tuple[Step, ...]

    @property
    def needs_model(self) -> bool:
        """Some method calls ``$.predictor`` (for predictions, or to explain it)."""
        return any(step.needs.model for step in self.steps)

    @property
    def needs_predictions(self) -> bool:
        """The model's predictions must be added to the table (no predicted-label column)."""
        return any(step.needs.predictions for step in self.steps)


def plan_analysis(config: AnalysisConfig, backend: str = "local") -> Plan:
    """Check that every requested method is available and has what it needs.

    Keys the schema accepts but this version does not compute are refused with
    one "not supported yet: <key>" error (:func:`openclarify.methods.refuse_not_built`)
    — never ignored silently.  ``methods.report`` is an output, not a method: a
    report that cannot be rendered is noted in the log and the exit message.
    """
    requested = requested_methods(config)
    extension = config.openclarify
    bias = config.methods.pre_training_bias or config.methods.post_training_bias
    if extension is not None and extension.active and bias is None:
        # the statistics accompany bias metrics; without them the key would be ignored
        raise ConfigError(
            "$.openclarify",
            "intervals, intersections and per-group performance accompany the bias metrics, "
            "and no bias method is requested",
            "add methods.pre_training_bias or methods.post_training_bias, or remove $.openclarify",
        )
    for _, unit in requested:
        unit.check(config, backend)
    plan = Plan(tuple(Step(row, unit, unit.needs(config)) for row, unit in requested))
    if plan.needs_model:
        if config.predictor is None:
            # the method that needs predictions says it first: it is the one most
            # users meant (a post-training config without a predicted label)
            needs = [step.needs for step in plan.steps if step.needs.model]
            problem, fix = sorted(needs, key=lambda n: not n.predictions)[0].no_predictor
            raise ConfigError("$.predictor", problem, fix)
        from .predict import check_predictor_config

        check_predictor_config(config)
    return plan
