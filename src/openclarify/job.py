"""The pipeline: plan → read → predict → run each requested method → collect → write.

Reads top-down in the order the work happens, and never names a method: the
methods, what they need and how they are refused when not built yet are the
table in :mod:`openclarify.methods`.  Front doors (``cli.py``, ``container.py``,
:func:`openclarify.analyze`) call :func:`run` or :func:`analyze`; nothing here
parses arguments or decides exit codes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import AnalysisConfig, load_config
from .errors import ConfigError, OutputError
from .locations import Locations
from .methods import JobData, Method, Needs, Row, requested_methods
from .results import AnalysisResult, dumps_analysis, write_atomic

log = logging.getLogger("openclarify")

ANALYSIS_FILE = "analysis.json"


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


def resolve_dataset(
    config: AnalysisConfig, dataset: Path | None, locations: Locations | None = None
) -> Path:
    """The dataset path.

    From the command line the explicit ``--dataset`` wins; in the container
    ``dataset_uri`` takes precedence over the ``dataset`` processing input
    (contract §1.3).  An ``s3://`` ``dataset_uri`` is downloaded.
    """
    locations = locations or Locations()
    in_container = locations.input_root is not None
    if dataset is not None and not (in_container and config.dataset_uri):
        return dataset
    if config.dataset_uri:
        return locations.local(config.dataset_uri, "$.dataset_uri")
    raise ConfigError("dataset", "no dataset given", "pass --dataset PATH or set $.dataset_uri")


def _locate_model(config: AnalysisConfig, locations: Locations) -> AnalysisConfig:
    """``config`` with an in-process ``model_path`` found like every other path.

    Relative to the config (not the working directory), and confined to the
    input folder in container mode.
    """
    predictor = config.predictor
    extension = predictor.openclarify if predictor is not None else None
    if predictor is None or extension is None or extension.model_path is None:
        return config
    located = locations.local(extension.model_path, "$.predictor.openclarify.model_path")
    extension = extension.model_copy(update={"model_path": str(located)})
    predictor = predictor.model_copy(update={"openclarify": extension})
    return config.model_copy(update={"predictor": predictor})


def analyze(
    config: AnalysisConfig | dict[str, Any] | str | Path,
    dataset: str | Path | None = None,
    *,
    config_dir: Path | None = None,
    input_root: Path | None = None,
    n_jobs: int | None = -1,
    backend: str = "local",
) -> AnalysisResult:
    """Run the analysis and return the result (writes nothing).

    Parameters
    ----------
    config:
        An :class:`AnalysisConfig`, a parsed dict, or a path to
        ``analysis_config.json``.
    dataset:
        The dataset file or folder (optional when ``dataset_uri`` is a local
        path).
    config_dir:
        Folder that relative paths in the config are resolved against.
    input_root:
        Container mode: every path the config names must resolve inside this
        folder (see :mod:`openclarify.locations`).
    n_jobs:
        Cores for the Flip Test's neighbour search (-1 = all).
    backend:
        ``local`` (default: stream record batches where possible), ``memory``
        (always load the table) or ``spark`` (Spark tasks; needs the ``spark``
        extra); see :data:`BACKENDS`.
    """
    if backend not in BACKENDS:
        raise ConfigError(
            "--backend",
            f"unknown backend '{backend}' (this version has {', '.join(BACKENDS)})",
            "use --backend local",
        )
    if not isinstance(config, AnalysisConfig):
        if isinstance(config, str | Path) and config_dir is None:
            config_dir = Path(config).parent
        config = load_config(config if not isinstance(config, str) else Path(config))
    with tempfile.TemporaryDirectory(prefix="openclarify-") as scratch:
        locations = Locations(config_dir, input_root, Path(scratch))
        return _analyze(
            config, Path(dataset) if dataset is not None else None, locations, n_jobs, backend
        )


#: Backends: ``local`` streams record batches where it can and loads the table otherwise;
#: ``memory`` always loads the table (the reference the streaming engine is tested against);
#: ``spark`` runs the streaming engine's passes as Spark tasks (:mod:`openclarify.backend.spark`)
#: and refuses, naming ``--backend``, what it cannot do exactly.
BACKENDS = ("local", "memory", "spark")


def _analyze(
    config: AnalysisConfig,
    dataset: Path | None,
    locations: Locations,
    n_jobs: int | None,
    backend: str = "local",
) -> AnalysisResult:
    config = _locate_model(config, locations)
    plan = plan_analysis(config, backend)
    path = resolve_dataset(config, dataset, locations)
    with _backend(backend) as spark:
        data = JobData(config, path, locations, backend, log, n_jobs, spark=spark)
        parts: dict[int, AnalysisResult] = {}
        with _model_session(plan, data):
            _run_methods(plan, data, parts, with_model=True)
        _run_methods(plan, data, parts, with_model=False)
    return _collect(parts, config)


@contextlib.contextmanager
def _backend(backend: str) -> Iterator[Any]:
    """The Spark session on ``--backend spark`` (``None`` otherwise), for the whole job."""
    if backend != "spark":
        yield None
        return
    from .backend.spark import spark_session

    with spark_session() as spark:
        yield spark


@contextlib.contextmanager
def _model_session(plan: Plan, data: JobData) -> Iterator[None]:
    """One model session for every use of the model, with the predictions added first.

    A shadow endpoint is created once and deleted when the last method that needs
    the model is done, before the others run.  On Spark the tasks call the model.
    """
    if not plan.needs_model or data.spark is not None:
        yield
        return
    from .predict import open_model, predictions_for, with_predictions

    table = data.table()
    with open_model(data.config, list(table.feature_columns), log=log) as session:
        if plan.needs_predictions:
            started = time.perf_counter()
            data.replace_table(
                with_predictions(table, predictions_for(data.config, table, session=session))
            )
            log.info("Predictions computed in %.2fs", time.perf_counter() - started)
        data.session = session
        try:
            yield
        finally:
            data.session = None
        stats = session.stats
        if stats.requests:
            log.info(
                "Model calls: %d requests, %d rows (%.0f rows per request)",
                stats.requests,
                stats.rows,
                stats.rows_per_request,
            )


def _run_methods(
    plan: Plan, data: JobData, parts: dict[int, AnalysisResult], *, with_model: bool
) -> None:
    """Run the steps that need the model (or the others) in table order, into ``parts``."""
    for index, step in enumerate(plan.steps):
        if step.needs.model == with_model:
            parts[index] = step.unit.run(data, _collect(parts))


def _collect(
    parts: dict[int, AnalysisResult], config: AnalysisConfig | None = None
) -> AnalysisResult:
    """One result from the methods' parts in table order, whatever order they ran in."""
    return AnalysisResult.combine((parts[i] for i in sorted(parts)), config)


def run(
    config: AnalysisConfig | dict[str, Any] | str | Path,
    dataset: str | Path | None,
    output_dir: str | Path,
    *,
    config_dir: Path | None = None,
    input_root: Path | None = None,
    backend: str = "local",
) -> AnalysisResult:
    """:func:`analyze`, then write every output file atomically to ``output_dir``.

    ``output_dir`` may be ``s3://bucket/prefix``: the files are written to a
    temporary folder first and uploaded once all are complete, ``analysis.json``
    last (:func:`openclarify.storage.upload_folder`).
    """
    if isinstance(output_dir, str) and output_dir.startswith("s3://"):
        from . import storage

        storage.parse_s3_uri(output_dir, "--output")  # a typo fails before the analysis
        with tempfile.TemporaryDirectory(prefix="openclarify-output-") as staging:
            result = run(
                config,
                dataset,
                staging,
                config_dir=config_dir,
                input_root=input_root,
                backend=backend,
            )
            uploaded = storage.upload_folder(Path(staging), output_dir, where="--output")
        log.info("Uploaded %d file(s) to %s", len(uploaded), output_dir)
        return result
    output = Path(output_dir)
    if output.exists() and not output.is_dir():
        raise OutputError(
            str(output), "the output path is a file, expected a folder", "pass a folder path"
        )
    result = analyze(config, dataset, config_dir=config_dir, input_root=input_root, backend=backend)
    # the methods' files before analysis.json: when it exists, the results are complete
    # (reports follow it; a report failure never fails the job)
    for extra in result.files:
        written = output.joinpath(*extra.path.split("/"))
        _write(written, extra.content())
        log.info(extra.note.format(target=written, folder=written.parent))
    target = output / ANALYSIS_FILE
    document = result.to_dict()
    _write(target, dumps_analysis(document))
    log.info("Wrote %s", target)
    report = result.config.methods.report if result.config is not None else None
    if report is not None:
        # after analysis.json, as Clarify does: the notebook re-reads it.  A report
        # that cannot be rendered never fails the job; the notes say why.
        from .report import write_reports

        notes = write_reports(
            document,
            output,
            name=report.name or "report",
            title=report.title,
            stats=result.report_stats,
            config=result.config.model_dump(mode="json", exclude_none=True)
            if result.config is not None
            else None,
            log=log,
        )
        result = dataclasses.replace(result, notes=result.notes + tuple(notes))
    return result


def _write(target: Path, text: str) -> None:
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise OutputError(
            str(target.parent),
            f"cannot write {target.name} ({exc.strerror or type(exc).__name__})",
            "check that the output folder is writable and has space",
        ) from exc
