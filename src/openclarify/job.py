"""The pipeline: plan → read → predict → run each requested method → collect → write.

Reads top-down in the order the work happens and never names a method: the
methods, what they need and how unbuilt ones are refused are the table in
:mod:`openclarify.methods`; the stages around them live in their own modules
(:mod:`.locations` finds the data, :mod:`.predict.stage` opens the model,
:mod:`.backend.choice` the backend, :mod:`.outputs` writes).  Front doors
(``cli.py``, ``container.py``, :func:`openclarify.analyze`) call :func:`run` or
:func:`analyze`; nothing here parses arguments or decides exit codes.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backend.choice import BACKENDS, check_backend, open_backend
from .config import AnalysisConfig, load_config
from .locations import Locations, locate_model, resolve_dataset
from .methods import JobData, Plan, plan_analysis, translate_data_kind
from .outputs import ANALYSIS_FILE, early_pdf_printer, output_folder, write_outputs
from .results import AnalysisResult

if TYPE_CHECKING:
    from .report.drift import DriftSection
    from .report.pdf import PdfPrinter

__all__ = ["ANALYSIS_FILE", "BACKENDS", "analyze", "plan_analysis", "run"]

log = logging.getLogger("openclarify")


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
    check_backend(backend)
    config, config_dir = _loaded(config, config_dir)
    with tempfile.TemporaryDirectory(prefix="openclarify-") as scratch:
        locations = Locations(config_dir, input_root, Path(scratch))
        return _analyze(
            config, Path(dataset) if dataset is not None else None, locations, n_jobs, backend
        )


def _loaded(
    config: AnalysisConfig | dict[str, Any] | str | Path, config_dir: Path | None
) -> tuple[AnalysisConfig, Path | None]:
    """The validated config, and the folder its relative paths start from (a file's own)."""
    if isinstance(config, AnalysisConfig):
        return config, config_dir
    if isinstance(config, str | Path) and config_dir is None:
        config_dir = Path(config).parent
    return load_config(config if not isinstance(config, str) else Path(config)), config_dir


def _analyze(
    config: AnalysisConfig,
    dataset: Path | None,
    locations: Locations,
    n_jobs: int | None,
    backend: str = "local",
) -> AnalysisResult:
    config = locate_model(config, locations)
    config, dataset = translate_data_kind(config, dataset, locations)  # capture → CSV/JSONL
    plan = plan_analysis(config, backend)  # every refusal before any data is read
    path = resolve_dataset(config, dataset, locations)
    with open_backend(backend) as spark:
        data = JobData(config, path, locations, backend, log, n_jobs, spark=spark)
        parts: dict[int, AnalysisResult] = {}
        if plan.needs_model:
            from .predict.stage import model_stage

            with model_stage(data, needs_predictions=plan.needs_predictions, log=log):
                _run_methods(plan, data, parts, with_model=True)
        _run_methods(plan, data, parts, with_model=False)
    return _collect(parts, config)


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
    drift: Callable[[dict[str, Any]], DriftSection | None] | None = None,
    printer: PdfPrinter | None = None,
) -> AnalysisResult:
    """:func:`analyze`, then write every output file atomically to ``output_dir``.

    ``drift``: a Model Monitor check between ``analysis.json`` and the reports
    (:func:`openclarify.outputs.write_outputs`).

    ``printer``: a PDF printer started before this call
    (:func:`openclarify.outputs.printer_for_config_file`); the job uses it for
    its PDF, or closes it when it writes no report, and closes it in any case.

    ``output_dir`` may be ``s3://bucket/prefix``: the files are written to a
    temporary folder first and uploaded once all are complete, ``analysis.json``
    last (:func:`openclarify.outputs.output_folder`).
    """
    with contextlib.ExitStack() as stack:
        if printer is not None:
            stack.callback(printer.close)  # whatever fails before the printer is handed on
        output = stack.enter_context(output_folder(output_dir, log))
        config, config_dir = _loaded(config, config_dir)
        # started before the analysis: it imports weasyprint on the other core meanwhile
        with early_pdf_printer(config, started=printer) as used:
            result = analyze(
                config, dataset, config_dir=config_dir, input_root=input_root, backend=backend
            )
            return write_outputs(result, output, log, drift=drift, printer=used)
