"""Dataset readers: CSV header rule, folders of parts, JSON Lines, Parquet, failures.

Every failure must be a :class:`~openclarify.errors.DatasetError` that names the
file (and the line where there is one), so the CLI and the container print one
line instead of a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import openclarify
from openclarify.cli import main
from openclarify.data import readers
from openclarify.errors import DatasetError, UserError

GOLDEN = Path(__file__).parent.parent / "golden" / "cases"

# --------------------------------------------------------------------------- CSV headers


def test_first_row_without_numbers_is_a_header(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("age,sex,label\n30,F,1\n40,M,0\n")
    frame = readers.read_csv(path, None)
    assert list(frame.columns) == ["age", "sex", "label"]
    assert len(frame) == 2
    assert frame["age"].tolist() == [30, 40]


def test_first_row_with_a_number_is_data(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("F,30,x\nM,40,y\n")
    frame = readers.read_csv(path, None)
    assert list(frame.columns) == ["column_0", "column_1", "column_2"]
    assert len(frame) == 2
    assert frame["column_1"].tolist() == [30, 40]


def test_header_row_equal_to_headers_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    frame = readers.read_csv(path, ["a", "b"])
    assert frame.to_dict("list") == {"a": [1, 3], "b": [2, 4]}
    # surrounding spaces are ignored in the comparison; names are kept as given
    frame = readers.read_csv(path, [" a", "b "])
    assert list(frame.columns) == [" a", "b "] and len(frame) == 2


def test_first_row_different_from_headers_is_data(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n")
    frame = readers.read_csv(path, ["a", "b"])
    assert list(frame.columns) == ["a", "b"]
    assert frame["a"].tolist() == ["x", "1"]


def test_golden_header_row_case_reads_ten_rows() -> None:
    case = GOLDEN / "header_row_skipped"
    config = json.loads((case / "analysis_config.json").read_text())
    (data,) = sorted((case / "data").iterdir())
    frame = readers.read_csv(data, config["headers"])
    lines = data.read_text().splitlines()
    assert lines[0].split(",") == config["headers"]
    assert len(frame) == len(lines) - 1
    assert list(frame.columns) == config["headers"]


def test_wrong_column_count_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "three.csv"
    path.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(DatasetError) as info:
        readers.read_csv(path, ["a", "b"])
    assert str(info.value) == (
        "file three.csv: has 3 columns but $.headers names 2. "
        "Fix: make $.headers list exactly one name per CSV column"
    )
    assert info.value.exit_code == 4


def test_empty_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert readers.read_csv(path, None).shape == (0, 0)
    assert list(readers.read_csv(path, ["p", "q"]).columns) == ["p", "q"]


# --------------------------------------------------------------------------- folders


def test_folder_of_parts_in_sorted_order_skipping_markers(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "_temporary").mkdir()
    (folder / "part-2.csv").write_text("2,x\n")
    (folder / "part-10.csv").write_text("10,x\n")
    (folder / "sub" / "part-0.csv").write_text("0,x\n")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-2.csv.crc").write_text("garbage,that,breaks,csv\n")
    (folder / "_temporary" / "part-9.csv").write_text("9,x\n")
    files = readers.dataset_files(folder)
    assert [p.relative_to(folder).as_posix() for p in files] == [
        "part-10.csv",
        "part-2.csv",
        "sub/part-0.csv",
    ]
    frame = readers.read_csv(folder, ["n", "s"])
    assert frame["n"].tolist() == [10, 2, 0]
    assert frame.index.tolist() == [0, 1, 2]


def test_golden_folder_of_parts_concatenates_every_part() -> None:
    folder = GOLDEN / "folder_of_parts" / "data"
    headers = json.loads((folder.parent / "analysis_config.json").read_text())["headers"]
    frame = readers.read_csv(folder, headers)
    parts = sorted(folder.iterdir())
    expected = pd.concat([readers.read_csv(p, headers) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(frame, expected)
    assert len(parts) >= 2


def test_parts_with_different_columns(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_text("x,z\n1,2\n")
    with pytest.raises(DatasetError, match=r"^file b\.csv: has columns that differ from a\.csv"):
        readers.read_csv(tmp_path, None)


def test_empty_folder_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "_SUCCESS").write_text("")
    with pytest.raises(DatasetError) as info:
        readers.read_csv(tmp_path, None)
    assert str(info.value) == (
        f"{tmp_path}: the dataset folder contains no data files. Fix: put the dataset file(s) there"
    )
    with pytest.raises(DatasetError) as info:
        readers.dataset_files(tmp_path / "nope")
    assert str(info.value) == (
        f"{tmp_path / 'nope'}: the dataset path does not exist. Fix: check the path or mount"
    )


# --------------------------------------------------------------------------- bad CSV


def test_ragged_row_is_a_dataset_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("1,2,3\n4,5,6\n7,8,9,10\n")
    with pytest.raises(DatasetError) as info:
        readers.read_csv(path, None)
    assert str(info.value).startswith("file ragged.csv: is not valid CSV: ")
    assert "line 3" in str(info.value)


def test_ragged_row_through_the_cli_is_one_line_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ragged.csv").write_text("a,b,y\n1,2,1\n3,4,0,9\n")
    config = {
        "dataset_type": "text/csv",
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "a"}],
        "methods": {"pre_training_bias": {"methods": "all"}},
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    code = main(
        [
            "analyze",
            "--config",
            str(tmp_path / "config.json"),
            "--dataset",
            str(tmp_path / "ragged.csv"),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 4
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("error: ")]
    assert line.startswith("error: file ragged.csv: is not valid CSV: ")
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_non_utf8_first_row(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name,city\nJos\xe9,Paris\n".encode("latin-1"))  # é at offset 13
    with pytest.raises(DatasetError) as info:
        readers.read_csv(path, None)
    assert (
        str(info.value) == "file latin.csv: is not UTF-8 text (byte 13). Fix: save the CSV as UTF-8"
    )


def test_non_utf8_far_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_bytes(("a,b\n" + "1,x\n" * 5000 + "2,caf\xe9\n").encode("latin-1"))
    with pytest.raises(DatasetError) as info:
        readers.read_csv(path, ["a", "b"])
    assert str(info.value).startswith("file late.csv: ")
    assert "utf-8" in str(info.value).lower()


# --------------------------------------------------------------------------- JSON Lines

RECORDS = [
    {"features": [1, 2.5], "label": 1, "pred": 0},
    {"features": [3, 4.5], "label": 0, "pred": 1},
]


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_jsonlines_without_headers(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [json.dumps(r) for r in RECORDS] + [""])
    frame = readers.read_jsonlines(path, "features", "label", "pred", None)
    assert list(frame.columns) == ["column_0", "column_1", "label", "pred"]
    assert frame.to_dict("list") == {
        "column_0": [1, 3],
        "column_1": [2.5, 4.5],
        "label": [1, 0],
        "pred": [0, 1],
    }


def test_jsonlines_headers_convention(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [json.dumps(r) for r in RECORDS])
    # feature names only: label columns keep their JMESPath names
    frame = readers.read_jsonlines(path, "features", "label", "pred", ["x", "z"])
    assert list(frame.columns) == ["x", "z", "label", "pred"]
    # features, then label, then predicted label
    frame = readers.read_jsonlines(path, "features", "label", "pred", ["x", "z", "L", "P"])
    assert list(frame.columns) == ["x", "z", "L", "P"]
    # features, then label (every published JSON Lines config): the predicted label
    # gets the documented default name
    frame = readers.read_jsonlines(path, "features", "label", "pred", ["x", "z", "L"])
    assert list(frame.columns) == ["x", "z", "L", readers.JSON_PREDICTED_LABEL]
    assert frame["L"].tolist() == [1, 0] and frame["predicted_label"].tolist() == [0, 1]
    with pytest.raises(DatasetError) as info:
        readers.read_jsonlines(path, "features", "label", "pred", ["x", "z", "predicted_label"])
    assert "default column name 'predicted_label' is already one of them" in str(info.value)
    with pytest.raises(DatasetError) as info:
        readers.read_jsonlines(path, "features", "label", "pred", ["x", "z", "L", "P", "Q"])
    assert str(info.value) == (
        "$.headers: names 5 columns but the data has 2 features plus 2 label column(s); "
        "expected 2 (features), 3 (features, label) or 4 (features, label, predicted label) "
        "names. Fix: list the feature names, then the label name, then (optionally) the "
        "predicted label name"
    )


def test_jsonlines_bad_line_names_the_line(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in RECORDS] + ["{not json"]
    path = write_jsonl(tmp_path / "bad.jsonl", lines)
    with pytest.raises(DatasetError) as info:
        readers.read_jsonlines(path, "features", "label", None, None)
    assert str(info.value).startswith("file bad.jsonl, line 3: is not valid JSON (")


def test_jsonlines_feature_count_change_names_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "w.jsonl", ['{"features": [1, 2]}', "", '{"features": [1]}'])
    with pytest.raises(DatasetError) as info:
        readers.read_jsonlines(path, "features", None, None, None)
    assert str(info.value) == "file w.jsonl, line 3: has 1 features, earlier lines have 2"


def test_jsonlines_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_bytes(b'{"features": [1], "label": "caf\xe9"}\n')
    with pytest.raises(DatasetError, match=r"^file l\.jsonl: is not UTF-8 text"):
        readers.read_jsonlines(path, "features", "label", None, None)


def test_golden_jsonlines_case() -> None:
    case = GOLDEN / "jsonlines_no_headers"
    config = json.loads((case / "analysis_config.json").read_text())
    (data,) = sorted((case / "data").iterdir())
    frame = readers.read_jsonlines(
        data, config["features"], config["label"], config["predicted_label"], None
    )
    first = json.loads(data.read_text().splitlines()[0])
    width = len(first["features"])
    assert list(frame.columns)[-2:] == ["label", "predicted_label"]
    assert list(frame.columns)[:width] == [f"column_{i}" for i in range(width)]
    assert frame.iloc[0].tolist() == [*first["features"], first["label"], first["predicted_label"]]


# --------------------------------------------------------------------------- Parquet


def test_parquet_file_and_folder(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, 1.5, 2.5]})
    frame.iloc[:2].to_parquet(tmp_path / "part-0.parquet")
    frame.iloc[2:].to_parquet(tmp_path / "part-1.parquet")
    (tmp_path / "_SUCCESS").write_text("")
    read = readers.read_parquet(tmp_path)
    assert read["a"].tolist() == [1, 2, 3]
    assert read["b"].tolist() == ["x", "y", "z"]
    assert read["c"].dtype == "float64" and read["a"].dtype == "int64"
    assert len(readers.read_parquet(tmp_path / "part-1.parquet")) == 1


def test_unreadable_parquet(tmp_path: Path) -> None:
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DatasetError, match=r"^file bad\.parquet: is not a readable Parquet file"):
        readers.read_parquet(tmp_path / "bad.parquet")


# --------------------------------------------------------------------------- nested values


@pytest.mark.parametrize("role", ["facet", "group_variable", "label"])
@pytest.mark.parametrize("nested", [[1, 2], {"a": 1}])
def test_nested_json_values_in_a_used_column_are_a_user_error(
    tmp_path: Path, role: str, nested: object
) -> None:
    """A list/dict cell (valid JSON Lines) must be reported, not crash as a TypeError."""

    def cell(i: int, used: bool) -> object:
        return nested if used and i == 3 else i % 2

    lines = [
        {
            "features": [cell(i, role in ("facet", "group_variable")), i % 3],
            "label": cell(i, role == "label"),
        }
        for i in range(60)
    ]
    path = write_jsonl(tmp_path / "nested.jsonl", [json.dumps(line) for line in lines])
    config: dict[str, object] = {
        "dataset_type": "application/jsonlines",
        "features": "features",
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": 0 if role != "group_variable" else 1}],
        "methods": {"pre_training_bias": {"methods": "all"}},
    }
    if role == "group_variable":
        config["group_variable"] = 0
    with pytest.raises(UserError):
        openclarify.analyze(config, path)
