"""Progress bars: drawn only when someone watches, throttled, one line per task."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import openclarify
from openclarify import progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_redraws_one_line_throttled_and_ends_it() -> None:
    stream, clock = io.StringIO(), Clock()
    bar = progress.TextBar(stream, clock)
    bar.update("SHAP records", 0, 4)
    clock.now = 0.1
    bar.update("SHAP records", 1, 4)  # within MIN_SECONDS: not drawn
    clock.now = 1.0
    bar.update("SHAP records", 2, 4)
    bar.update("SHAP records", 4, 4)  # the last one is always drawn, then a newline
    lines = stream.getvalue().split("\r")[1:]
    assert [line.split("]")[1].strip() for line in lines] == [
        "0%  0 of 4",
        "50%  2 of 4",
        "100%  4 of 4",
    ]
    assert stream.getvalue().endswith("4 of 4\n")
    assert lines[1].startswith("SHAP records: [" + "#" * 15 + "." * 15 + "]")


def test_a_new_task_starts_a_new_line_and_close_ends_an_open_one() -> None:
    stream = io.StringIO()
    bar = progress.TextBar(stream, Clock())
    bar.update("Predictions", 5, 10)
    bar.update("SHAP records", 1, 10)
    bar.close()
    assert stream.getvalue().count("\n") == 2


def test_nothing_is_drawn_outside_shown() -> None:
    stream = io.StringIO()
    progress.report("x", 1, 2)  # no listener: a no-op
    with progress.shown(False, stream):
        progress.report("x", 1, 2)
    assert stream.getvalue() == ""
    with progress.shown(True, stream):
        progress.report("x", 2, 2)
    assert "x: [" in stream.getvalue()


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=40), "x2": rng.normal(size=40)})
    frame["y"] = (frame.x1 > 0).astype(int)
    frame["g"] = np.where(frame.x2 > 0, "a", "b")
    return frame


def test_the_dataframe_api_draws_shap_and_prediction_progress(
    capsys: pytest.CaptureFixture[str],
) -> None:
    frame = _frame()
    model = lambda rows: (rows["x1"].to_numpy() > 0).astype(float)  # noqa: E731
    openclarify.explain(
        frame[["x1", "x2", "y"]],
        model,
        label="y",
        shap={"num_samples": 4, "seed": 1, "num_clusters": 1},
        progress=True,
    )
    assert "SHAP records: [" in capsys.readouterr().err
    openclarify.bias(
        frame,
        label="y",
        label_values=[1],
        facet="g",
        model=model,
        methods=["DPPL"],
        excluded_columns=["g"],
        progress=True,
    )
    assert "Predictions: [" in capsys.readouterr().err
    openclarify.bias(
        frame,
        label="y",
        label_values=[1],
        facet="g",
        model=model,
        methods=["DPPL"],
        excluded_columns=["g"],
        progress=False,
    )
    assert "Predictions: [" not in capsys.readouterr().err
