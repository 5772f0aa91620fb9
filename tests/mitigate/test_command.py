"""``openclarify mitigate``: the library calls on files, the before / after table printed."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from openclarify import mitigate
from openclarify.cli import main

sys.path.insert(0, str(Path(__file__).parents[2] / "examples"))
from womens_clothing_reviews import reviews

ARGS = ["--label", "sentiment", "--label-values", "1", "--facet", "product_category"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.csv"
    reviews(800, seed=2).to_csv(path, index=False)
    return path


def test_resample_writes_the_balanced_file(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "balanced.csv"
    assert (
        main(
            [
                "mitigate",
                "resample",
                "--data",
                str(data),
                *ARGS,
                "--output",
                str(out),
                "--seed",
                "4",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "before" in printed and "after" in printed and "DPL" in printed
    expected = mitigate.resample(
        pd.read_csv(data), label="sentiment", facet="product_category", label_values=[1], seed=4
    )
    assert pd.read_csv(out).equals(expected.data.reset_index(drop=True))


def test_reweigh_writes_a_weight_column_to_parquet(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "weighted.parquet"
    assert (
        main(
            [
                "mitigate",
                "reweigh",
                "--data",
                str(data),
                *ARGS,
                "--output",
                str(out),
                "--weight-column",
                "w",
            ]
        )
        == 0
    )
    written = pd.read_parquet(out)
    assert list(written.columns) == ["sentiment", "review_body", "product_category", "w"]
    assert len(written) == 800


def test_errors_are_one_line_and_write_nothing(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.csv"
    code = main(["mitigate", "thresholds", "--data", str(data), *ARGS, "--output", str(out)])
    assert code == 4 and not out.exists()
    assert capsys.readouterr().err.startswith("error: --scores: is required")
    code = main(
        ["mitigate", "resample", "--data", str(tmp_path / "no.csv"), *ARGS, "--output", str(out)]
    )
    assert code == 4 and not out.exists()
    code = main(
        [
            "mitigate",
            "resample",
            "--data",
            str(data),
            *ARGS,
            "--output",
            str(out),
            "--strategy",
            "2",
        ]
    )
    assert code == 3 and not out.exists()
