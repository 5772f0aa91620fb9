"""Two runs side by side, and the `openclarify report` command."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import openclarify
from openclarify.bias.registry import BY_CODE
from openclarify.cli import main
from openclarify.report import flags
from openclarify.report.content import format_value, to_float
from openclarify.results import dumps_analysis

from .conftest import SAMPLES, case_config, document_metrics, exact, parse_page

CASE = "pre_training_csv"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample as it is (A) and re-balanced: equal approval rates per Gender (B)."""
    root = tmp_path_factory.mktemp("compare")
    frame = pd.read_csv(SAMPLES / CASE / "loans.csv")
    parts = []
    for _, group in frame.groupby("Gender", sort=True):
        n = int(group["Approved"].value_counts().min())
        for _, rows in group.groupby("Approved", sort=True):
            parts.append(rows.iloc[:n])
    balanced = root / "balanced.csv"
    pd.concat(parts).to_csv(balanced, index=False)
    folders = []
    for name, data in (("unbalanced", SAMPLES / CASE / "loans.csv"), ("balanced", balanced)):
        folder = root / name
        folder.mkdir()
        document = openclarify.analyze(case_config(CASE), data).to_dict()
        (folder / "analysis.json").write_text(dumps_analysis(document))
        folders.append(folder)
    return folders[0] / "analysis.json", folders[1] / "analysis.json"


def _change_cells(text: str) -> list[list[str]]:
    # The change column is the 8th cell of each metric row.
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[list[str]] = []
            self._row: list[str] | None = None
            self._cell: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "tr":
                self._row = []
            elif tag == "td" and self._row is not None:
                self._cell = []

        def handle_endtag(self, tag: str) -> None:
            if tag == "td" and self._row is not None and self._cell is not None:
                self._row.append("".join(self._cell).strip())
                self._cell = None
            elif tag == "tr" and self._row:
                self.rows.append(self._row)
                self._row = None

        def handle_data(self, data: str) -> None:
            if self._cell is not None:
                self._cell.append(data)

    parser = Cells()
    parser.feed(text)
    return [row for row in parser.rows if len(row) == 9]


def test_compare_command_shows_every_metric_and_its_change(
    two_runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = two_runs
    code = main(["report", "--compare", str(first), str(second), "--output", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "comparison.pdf").read_bytes().startswith(b"%PDF-")
    text = (tmp_path / "comparison.html").read_text(encoding="utf-8")
    page = parse_page(text)
    assert page.scripts == 0 and page.unbalanced == []
    a = document_metrics(json.loads(first.read_text()))
    b = document_metrics(json.loads(second.read_text()))
    assert len(a) == len(b) == 16  # 8 metrics x 2 facets
    values = [value for value, _ in page.values]
    assert values == [
        v for pair in zip(a, b, strict=True) for v in map(exact, (p["value"] for p in pair))
    ]
    rows = _change_cells(text)
    assert len(rows) == len(a)
    for row, metric_a, metric_b in zip(rows, a, b, strict=True):
        va, vb = to_float(metric_a["value"]), to_float(metric_b["value"])
        assert va is not None and vb is not None
        change = vb - va
        assert row[7] == ("+" if change > 0 else "") + format_value(change)
        fair = BY_CODE[metric_a["name"]].fair_value
        gap_a, gap_b = flags.gap(va, fair), flags.gap(vb, fair)
        expected = "closer to fair" if gap_b < gap_a else "further from fair"
        if abs(gap_a - gap_b) <= 1e-12:
            expected = "unchanged"
        assert row[8] == expected
    # Balancing the labels per Gender brings DPL for Female to (almost) 0.
    dpl = next(r for r in rows if r[0] == "DPL")
    assert dpl[8] == "closer to fair"


def test_rerender_one_run_into_another_folder(
    two_runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = two_runs
    out = tmp_path / "out"
    code = main(["report", str(first.parent), "--output", str(out), "--no-pdf", "--title", "Re"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["analysis.json", "report.html", "report.ipynb"]
    assert (out / "analysis.json").read_bytes() == first.read_bytes()
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "<title>Re</title>" in text and "these need the dataset" in text


def test_rerender_refuses_to_overwrite_a_different_analysis(
    two_runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = two_runs
    code = main(["report", str(first), "--output", str(second.parent), "--no-pdf"])
    assert code == 7
    err = capsys.readouterr().err
    assert "already holds a different analysis.json" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("{not json", "is not valid JSON (line 1, column 2"),
        ("[1, 2]", "is not an analysis.json document"),
    ],
)
def test_bad_inputs_are_one_line_user_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    source = tmp_path / "analysis.json"
    if content is not None:
        source.write_text(content)
    code = main(["report", str(source), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 4
    assert err.startswith(f"error: {source}: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "arguments",
    [["report", "--output", "x"], ["report", "a.json", "--compare", "a", "b", "--output", "x"]],
)
def test_one_run_or_compare_not_both(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert "give either one analysis.json or --compare A B" in capsys.readouterr().err
