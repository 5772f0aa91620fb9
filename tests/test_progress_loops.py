"""Every long loop reports through progress.Tracker: counts reach the total, outputs unchanged.

For each loop (PDP, the bias bootstrap, text SHAP, asymmetric Shapley values,
image SHAP; tabular SHAP and predictions in ``test_progress.py``; Spark jobs in
``tests/spark/test_spark_progress.py``) the reports are recorded with
:func:`openclarify.progress.listening`: they never go backwards, and the last
one is ``total of total``.  The log line of the container is checked with
``caplog``; the bar with a terminal-like standard error (``isatty`` true) and
without one; the outputs with the bar on and off are the same bytes.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify import progress
from openclarify.config import load_config
from openclarify.data.timeseries import TimeSeriesDataset, TimeSeriesItem
from openclarify.explain.analysis import partial_dependence_plots
from openclarify.explain.asymmetric.estimator import explain_items
from openclarify.explain.pdp import pdp_grid
from openclarify.predict.timeseries import record_template
from openclarify.results import BEYOND_KEY, dumps_analysis

from .explain.asymmetric import test_item_brute_force as asv_case
from .explain.text.test_text_shap import REVIEWS, bag_of_tokens
from .explain.text.test_text_shap import run as run_text_shap

CASES = Path(__file__).parent / "golden" / "cases"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """The reports of one run: ``{task: [(done, total), ...]}``."""

    def __init__(self) -> None:
        self.seen: dict[str, list[tuple[int, int]]] = {}

    def __call__(self, task: str, done: int, total: int) -> None:
        self.seen.setdefault(task, []).append((done, total))

    def finished(self, task: str) -> int:
        """The task's total, after checking that it was counted up to it in order."""
        reports = self.seen[task]
        totals = {total for _, total in reports}
        assert len(totals) == 1, reports
        done = [d for d, _ in reports]
        assert done == sorted(done), reports  # never backwards
        assert done[-1] == reports[-1][1], reports  # reached the total
        return reports[-1][1]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_tracker_logs_every_interval_and_the_end_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, recorder = Clock(), Recorder()
    tracker = progress.Tracker("PDP", 30, "model rows", seconds=10.0, clock=clock)
    with caplog.at_level(logging.INFO, logger="openclarify"), progress.listening(recorder):
        tracker.update(0)
        clock.now = 4.0
        tracker.update(10)  # within 10 s of the start: no line
        clock.now = 10.5
        tracker.update(20, ", detail")
        tracker.update(30)
        tracker.update(30)  # complete twice: one line
    assert caplog.messages == [
        "PDP: 20 of 30 model rows (67%), detail, 10.5s",
        "PDP: 30 of 30 model rows (100%), 10.5s",
    ]
    assert recorder.seen["PDP model rows"] == [(0, 30), (10, 30), (20, 30), (30, 30), (30, 30)]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "x1": rng.normal(size=30),
            "x2": rng.integers(0, 4, size=30),
            "city": rng.choice(["a", "b", "c"], size=30),
        }
    )


def _scores(frame: pd.DataFrame) -> np.ndarray:
    return (frame["x1"].to_numpy() + 0.5 * frame["x2"].to_numpy())[:, None]


def test_pdp_reports_every_model_row_of_every_feature(caplog: pytest.LogCaptureFixture) -> None:
    frame, recorder = _frame(), Recorder()
    with caplog.at_level(logging.INFO, logger="openclarify"), progress.listening(recorder):
        plots = partial_dependence_plots(frame, _scores, ["x1", "city", "x2"], grid_resolution=5)
    sizes = [len(pdp_grid(frame[c], 5)[1]) for c in ["x1", "city", "x2"]]
    assert sizes == [5, 3, 5]
    total = sum(sizes) * len(frame)
    assert recorder.finished("PDP model rows") == total
    # one report before the first call, then one per feature (one call each: < 1M rows)
    assert [d for d, _ in recorder.seen["PDP model rows"]] == [0, 150, 240, 390]
    assert f"PDP: {total} of {total} model rows (100%)" in caplog.text
    # the same plots without anyone listening
    assert partial_dependence_plots(frame, _scores, ["x1", "city", "x2"], grid_resolution=5) == (
        plots
    )


def _opted(case: str) -> tuple[dict[str, Any], Path, Path]:
    folder = CASES / case
    raw = json.loads((folder / "analysis_config.json").read_text())
    raw["methods"].pop("report", None)
    raw[BEYOND_KEY] = {"uncertainty": {"resamples": 50, "seed": 3}, "group_performance": True}
    return raw, folder / "data", folder


def test_the_bootstrap_reports_each_facet_group_and_changes_no_byte(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw, data, folder = _opted("multiple_facets")
    plain = dumps_analysis(
        openclarify.analyze(copy.deepcopy(raw), data, config_dir=folder).to_dict()
    )
    recorder = Recorder()
    with caplog.at_level(logging.INFO, logger="openclarify"), progress.listening(recorder):
        result = openclarify.analyze(copy.deepcopy(raw), data, config_dir=folder)
    assert dumps_analysis(result.to_dict()) == plain
    groups = sum(
        len(groups)
        for groups in json.loads(plain)[BEYOND_KEY]["group_performance"]["facets"].values()
    )
    assert groups >= 2
    assert recorder.finished("Bootstrap facet groups") == groups
    assert f"Bootstrap: {groups} of {groups} facet groups (100%), 50 resamples each" in (
        caplog.text
    )


def test_text_shap_reports_its_records(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()
    with caplog.at_level(logging.INFO, logger="openclarify"), progress.listening(recorder):
        with_bar = run_text_shap(REVIEWS, bag_of_tokens, num_samples=64, chunk_rows=1)
    assert recorder.finished("SHAP records") == len(REVIEWS)
    assert len(recorder.seen["SHAP records"]) == len(REVIEWS)  # one chunk per record
    assert f"SHAP: {len(REVIEWS)} of {len(REVIEWS)} records (100%)" in caplog.text
    without = run_text_shap(REVIEWS, bag_of_tokens, num_samples=64, chunk_rows=1)
    for c in with_bar.local_units["Review"], without.local_units["Review"]:
        assert len(c) == len(REVIEWS)
    for a, b in zip(with_bar.local_units["Review"], without.local_units["Review"], strict=True):
        np.testing.assert_array_equal(a, b)  # the same draws: progress takes no randomness


def test_asymmetric_shapley_values_report_their_items(caplog: pytest.LogCaptureFixture) -> None:
    items = tuple(
        TimeSeriesItem(
            item_id=name,
            timestamps=("t0", "t1", "t2"),
            target=np.array(asv_case.TARGET) + shift,
            related=np.array([asv_case.RELATED]),
            statics=(asv_case.STATIC,),
        )
        for shift, name in enumerate(["x", "y", "z"])
    )
    dataset = TimeSeriesDataset(items, "sales", ("price",), ("region",))
    raw = asv_case.data.config("http://127.0.0.1:1")  # never called: the forecaster is local
    ts = raw["time_series_data_config"]
    ts["related_time_series"] = ts["related_time_series"][:1]
    raw["headers"] = ["item_id", "timestamp", "sales", "price", "region"]
    raw["methods"]["asymmetric_shapley_value"] = {
        "direction": "chronological",
        "granularity": "fine_grained",
        "num_samples": 50,
        "baseline": {"static_covariates": {name: [1.0] for name in ["x", "y", "z"]}},
    }
    cfg = load_config(raw)
    asv = cfg.methods.asymmetric_shapley_value
    assert asv is not None

    def forecaster(records: list[str]) -> np.ndarray:
        return np.array([asv_case.model(json.loads(r)) for r in records])

    recorder = Recorder()
    with caplog.at_level(logging.INFO, logger="openclarify"), progress.listening(recorder):
        got = explain_items(dataset, asv, record_template(cfg), forecaster, records_per_call=1)
    assert len(got) == 3
    assert recorder.finished("Asymmetric Shapley values items") == 3
    assert [d for d, _ in recorder.seen["Asymmetric Shapley values items"]] == [0, 1, 2, 3]
    assert "Asymmetric Shapley values: 3 of 3 items (100%)" in caplog.text


def _explain(progress_flag: bool | None) -> str:
    frame = _frame()
    frame["y"] = (frame["x1"] > 0).astype(int)
    result = openclarify.explain(
        frame,
        lambda rows: rows["x1"].to_numpy() + 0.5 * rows["x2"].to_numpy(),
        label="y",
        shap={"num_samples": 6, "seed": 2, "num_clusters": 1},
        pdp={"features": ["x1", "city"], "grid_resolution": 4},
        progress=progress_flag,
    )
    return dumps_analysis(result.to_dict())


def test_a_terminal_gets_the_bar_a_log_gets_lines_and_the_bytes_are_the_same(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # a kernel imported by an earlier test (tests/examples) would count as Jupyter
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    shown = _explain(None)  # default: a bar, standard error is a terminal
    assert "PDP model rows: [" in terminal.getvalue()
    assert "SHAP records: [" in terminal.getvalue()
    assert "210 of 210\n" in terminal.getvalue()  # 30 rows × (4 + 3) grid values, complete

    piped = io.StringIO()  # no terminal (the container, a pipe): no bar …
    monkeypatch.setattr(sys, "stderr", piped)
    with caplog.at_level(logging.INFO, logger="openclarify"):
        silent = _explain(None)
    assert piped.getvalue() == ""
    # … but the log lines, every few seconds and at the end
    assert "PDP: 210 of 210 model rows (100%)" in caplog.text
    assert "SHAP: 30 of 30 records (100%)" in caplog.text
    assert silent == shown == _explain(False)


def test_image_shap_reports_each_image_and_writes_the_same_files(tmp_path: Path) -> None:
    from PIL import Image

    from .explain.image.helpers import brightness, smooth
    from .explain.image.server import image_server

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(smooth(seed=i)).save(folder / f"photo{i}.png")
    recorder = Recorder()
    with image_server(brightness) as server:
        config = {
            "dataset_type": "application/x-image",
            "predictor": {
                "content_type": "image/png",
                "label_headers": ["dark", "bright"],
                "openclarify": {"endpoint_url": server.url},
            },
            "methods": {
                "shap": {
                    "seed": 3,
                    "num_samples": 8,
                    "image_config": {"model_type": "IMAGE_CLASSIFICATION", "num_segments": 4},
                }
            },
        }
        with progress.listening(recorder):
            openclarify.run(config, folder, tmp_path / "shown")
        openclarify.run(config, folder, tmp_path / "quiet")
    assert recorder.finished("SHAP images") == 3
    assert [d for d, _ in recorder.seen["SHAP images"]] == [1, 2, 3]
    names = sorted(p.name for p in (tmp_path / "quiet").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "shown").iterdir())
    for name in names:
        assert (tmp_path / "shown" / name).read_bytes() == (tmp_path / "quiet" / name).read_bytes()


def test_a_task_with_nothing_to_do_shows_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    with caplog.at_level(logging.INFO, logger="openclarify"), progress.listening(recorder):
        progress.Tracker("Bootstrap", 0, "facet groups").update(0)
    assert recorder.seen == {}
    assert caplog.messages == []
