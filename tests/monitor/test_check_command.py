"""``openclarify check``: exit codes, the no-file-without-violations rule, S3, alerts."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from openclarify.cli import main
from openclarify.errors import VIOLATIONS_EXIT_CODE
from openclarify.monitor.violations import VIOLATIONS_FILE

from .conftest import AwsServer
from .documents import bias_document, shap_document


def _write(path: Path, document: dict[str, Any]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return str(path)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    return {
        "baseline": _write(tmp_path / "a" / "analysis.json", bias_document({"AD": 0.1, "TE": 2.0})),
        "same": _write(tmp_path / "b" / "analysis.json", bias_document({"AD": 0.1, "TE": 2.0})),
        "worse": _write(
            tmp_path / "c" / "analysis.json", bias_document({"AD": -0.2, "TE": math.inf})
        ),
    }


def test_exit_code_nine_is_documented_and_free() -> None:
    from openclarify import errors

    codes = {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.OpenClarifyError)
    }
    assert VIOLATIONS_EXIT_CODE == 9 and 9 not in codes
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "| 9 |" in readme


def test_no_violations_exit_0_and_no_file(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert (
        main(
            [
                "check",
                "--baseline",
                files["baseline"],
                "--current",
                files["same"],
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert not (out / VIOLATIONS_FILE).exists()
    assert "0 violation(s)" in capsys.readouterr().out


def test_violations_exit_9_and_the_file(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "check",
            "--baseline",
            files["baseline"],
            "--current",
            files["worse"],
            "--output",
            str(out),
        ]
    )
    assert code == VIOLATIONS_EXIT_CODE
    entries = json.loads((out / VIOLATIONS_FILE).read_text())["violations"]
    assert [e["metric_name"] for e in entries] == ["AD", "TE"]
    printed = capsys.readouterr().out
    assert "Metric value Infinity doesn't meet the baseline constraint requirement 2.0" in printed
    # Rerun in the same folder with no violations: the stale file goes.
    assert (
        main(
            [
                "check",
                "--baseline",
                files["baseline"],
                "--current",
                files["same"],
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert not (out / VIOLATIONS_FILE).exists()


def test_di_switch_and_threshold_flags(tmp_path: Path) -> None:
    base = _write(tmp_path / "a.json", bias_document({"DI": 0.8}))
    now = _write(tmp_path / "b.json", bias_document({"DI": 0.75}))
    args = ["check", "--baseline", base, "--current", now, "--output", str(tmp_path / "o")]
    assert main(args) == 0
    assert main([*args, "--di-centred"]) == VIOLATIONS_EXIT_CODE
    sbase = _write(tmp_path / "s.json", shap_document({"label0": {"a": 0.7, "b": 0.5, "c": 0.05}}))
    snow = _write(tmp_path / "t.json", shap_document({"label0": {"a": 0.1, "b": 0.2, "c": 0.7}}))
    args = ["check", "--baseline", sbase, "--current", snow, "--output", str(tmp_path / "p")]
    assert main(args) == VIOLATIONS_EXIT_CODE  # nDCG 0.6876 < 0.9
    assert main([*args, "--ndcg-threshold", "0.6"]) == 0


def test_user_errors_are_one_line(
    tmp_path: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    other = _write(tmp_path / "other.json", bias_document({"AD": 0.1}, facet="Age"))
    code = main(
        ["check", "--baseline", other, "--current", files["same"], "--output", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err
    assert code == 4 and err.count("\n") == 1
    assert other in err and files["same"] in err
    assert not (tmp_path / "o").exists()
    code = main(
        [
            "check",
            "--baseline",
            str(tmp_path / "missing.json"),
            "--current",
            files["same"],
            "--output",
            str(tmp_path / "o"),
        ]
    )
    assert code == 4 and "file not found" in capsys.readouterr().err


def test_s3_in_and_out_cloudwatch_and_openmetrics(
    aws_server: AwsServer, files: dict[str, str], tmp_path: Path
) -> None:
    s3 = aws_server.client("s3")
    s3.create_bucket(Bucket="runs")
    s3.upload_file(files["baseline"], "runs", "baseline/analysis.json")
    s3.upload_file(files["worse"], "runs", "current/analysis.json")
    prom = tmp_path / "textfile" / "clarify.prom"
    code = main(
        [
            "check",
            "--baseline", "s3://runs/baseline/",
            "--current", "s3://runs/current/analysis.json",
            "--output", "s3://runs/check",
            "--cloudwatch",
            "--openmetrics", str(prom),
            "--endpoint", "ep",
            "--schedule", "hourly",
        ]
    )  # fmt: skip
    assert code == VIOLATIONS_EXIT_CODE
    body = s3.get_object(Bucket="runs", Key=f"check/{VIOLATIONS_FILE}")["Body"].read()
    assert [e["metric_name"] for e in json.loads(body)["violations"]] == ["AD", "TE"]
    listed = aws_server.client("cloudwatch").list_metrics(
        Namespace="aws/sagemaker/Endpoints/bias-metrics"
    )
    assert sorted(m["MetricName"] for m in listed["Metrics"]) == [
        "bias_metric_AD",
        "bias_metric_TE",
    ]
    text = prom.read_text()
    assert (
        text.endswith("# EOF\n")
        and 'bias_metric_TE{namespace="aws/sagemaker/Endpoints/bias-metrics",Endpoint="ep"' in text
    )


def test_threshold_must_be_finite(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "check",
        "--baseline",
        files["baseline"],
        "--current",
        files["same"],
        "--output",
        str(tmp_path / "o"),
    ]
    assert main([*args, "--ndcg-threshold", "nan"]) == 3
    assert "--ndcg-threshold" in capsys.readouterr().err
