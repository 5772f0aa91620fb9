"""openclarify.storage against a real S3-protocol server (moto's) on 127.0.0.1.

boto3 reaches the server through ``AWS_ENDPOINT_URL_S3`` (fixture ``s3_server``,
``conftest.py``); every request below crosses a socket.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from openclarify import storage
from openclarify.errors import ConfigError, DatasetError, OutputError, UserError

from .conftest import S3Server

MiB = 1024 * 1024
BUCKET = "clarify-bucket"


def _put(s3: S3Server, objects: dict[str, bytes], bucket: str = BUCKET) -> None:
    client = s3.client()
    try:
        client.create_bucket(Bucket=bucket)
        for key, body in objects.items():
            client.put_object(Bucket=bucket, Key=key, Body=body)
    finally:
        client.close()


def _objects(s3: S3Server, bucket: str = BUCKET) -> dict[str, bytes]:
    client = s3.client()
    try:
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {
            item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listed
        }
    finally:
        client.close()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ----------------------------------------------------------------------- URIs


@pytest.mark.parametrize(
    ("text", "expected"),
    [("s3://b/k", True), ("S3://b/k", True), ("/opt/data", False), ("s3:/b", False), (3, False)],
)
def test_is_s3_uri(text: object, expected: bool) -> None:
    assert storage.is_s3_uri(text) is expected


def test_parse_s3_uri_splits_bucket_and_key() -> None:
    assert storage.parse_s3_uri("s3://my-bucket/a/b.csv", "$.x") == ("my-bucket", "a/b.csv")
    assert storage.parse_s3_uri("s3://my-bucket/a/", "$.x") == ("my-bucket", "a/")
    assert storage.parse_s3_uri("s3://my-bucket", "$.x") == ("my-bucket", "")


@pytest.mark.parametrize("uri", ["https://b/k", "s3:///key", "s3://Bad_Bucket/k", "s3://ab/k"])
def test_parse_s3_uri_rejects_malformed_uris_as_config_errors(uri: str) -> None:
    with pytest.raises(ConfigError) as info:
        storage.parse_s3_uri(uri, "$.dataset_uri")
    assert info.value.where == "$.dataset_uri"


# ------------------------------------------------------------------- download


def test_download_object_keeps_its_file_name(s3_server: S3Server, tmp_path: Path) -> None:
    _put(s3_server, {"data/train.csv": b"a,b\n1,2\n", "data/other.csv": b"x\n"})
    got = storage.download(f"s3://{BUCKET}/data/train.csv", tmp_path / "in", where="$.dataset_uri")
    assert got == tmp_path / "in" / "train.csv"
    assert _files(tmp_path / "in") == {"train.csv": b"a,b\n1,2\n"}


def test_download_prefix_keeps_nested_paths_and_skips_markers(
    s3_server: S3Server, tmp_path: Path
) -> None:
    _put(
        s3_server,
        {
            "data/": b"",  # folder marker
            "data/part-0.csv": b"1\n",
            "data/sub/": b"",
            "data/sub/part-1.csv": b"2\n",
            "data/sub/deeper/part-2.csv": b"3\n",
            "data/_SUCCESS": b"",
            "data/.part-0.csv.crc": b"crc",
            "data/_temporary/0/part-9.csv": b"half",
            "data-old.csv": b"not under data/",
        },
    )
    for uri in (f"s3://{BUCKET}/data/", f"s3://{BUCKET}/data"):
        destination = tmp_path / uri.rstrip("/").rsplit("/", 1)[-1] / "x"
        got = storage.download(uri, destination, where="$.dataset_uri")
        assert got == destination
        assert _files(destination) == {
            "part-0.csv": b"1\n",
            "sub/part-1.csv": b"2\n",
            "sub/deeper/part-2.csv": b"3\n",
        }


def test_download_whole_bucket(s3_server: S3Server, tmp_path: Path) -> None:
    _put(s3_server, {"a.csv": b"1\n", "b/c.csv": b"2\n"})
    got = storage.download(f"s3://{BUCKET}", tmp_path / "in", where="$.dataset_uri")
    assert _files(got) == {"a.csv": b"1\n", "b/c.csv": b"2\n"}


def test_download_large_object_in_ranges_is_byte_exact(s3_server: S3Server, tmp_path: Path) -> None:
    body = bytes(range(256)) * (6 * MiB // 256) + b"tail"
    _put(s3_server, {"big/data.csv": body})
    got = storage.download(
        f"s3://{BUCKET}/big/data.csv",
        tmp_path / "in",
        where="$.dataset_uri",
        multipart_threshold_bytes=MiB,
        multipart_chunksize_bytes=MiB,
    )
    assert got.read_bytes() == body
    assert [p.name for p in (tmp_path / "in").iterdir()] == ["data.csv"]  # no temp files left


def test_download_missing_bucket(s3_server: S3Server, tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        storage.download("s3://no-such-bucket/data.csv", tmp_path, where="$.dataset_uri")
    assert info.value.where == "$.dataset_uri"
    assert "bucket 'no-such-bucket' does not exist" in info.value.problem


def test_download_missing_key(s3_server: S3Server, tmp_path: Path) -> None:
    _put(s3_server, {"data/train.csv": b"1\n"})
    with pytest.raises(DatasetError) as info:
        storage.download(f"s3://{BUCKET}/data/test.csv", tmp_path, where="$.facet_dataset_uri")
    assert info.value.where == "$.facet_dataset_uri"
    assert info.value.problem == (
        f"no object s3://{BUCKET}/data/test.csv and no objects under s3://{BUCKET}/data/test.csv/"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["aws"]  # nothing downloaded


def test_download_empty_prefix(s3_server: S3Server, tmp_path: Path) -> None:
    _put(s3_server, {"data/train.csv": b"1\n"})
    with pytest.raises(DatasetError) as info:
        storage.download(f"s3://{BUCKET}/empty/", tmp_path, where="$.dataset_uri")
    assert info.value.problem == f"no objects under s3://{BUCKET}/empty/"


def test_download_prefix_with_only_markers_is_empty(s3_server: S3Server, tmp_path: Path) -> None:
    _put(s3_server, {"data/": b"", "data/_SUCCESS": b""})
    with pytest.raises(DatasetError, match="no data objects under"):
        storage.download(f"s3://{BUCKET}/data/", tmp_path, where="$.dataset_uri")


def test_download_error_class_can_be_chosen(s3_server: S3Server, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        storage.download(
            "s3://no-such-bucket/b.csv",
            tmp_path,
            where="$.methods.shap.baseline",
            error=ConfigError,
        )
    assert info.value.where == "$.methods.shap.baseline"


def test_download_never_writes_outside_the_destination(s3_server: S3Server, tmp_path: Path) -> None:
    # S3 keys are plain strings: '..' segments and '//' are legal in them.
    _put(s3_server, {"data/ok.csv": b"1\n", "data/../../escape.csv": b"2\n"})
    got = storage.download(f"s3://{BUCKET}/data/", tmp_path / "a" / "in", where="$.dataset_uri")
    assert _files(got) == {"ok.csv": b"1\n"}  # a '..' segment is skipped like a hidden file
    assert not list(tmp_path.rglob("escape.csv"))
    _put(s3_server, {"data//abs.csv": b"3\n"})
    with pytest.raises(DatasetError, match="not a safe relative path"):
        storage.download(f"s3://{BUCKET}/data/", tmp_path / "b" / "in", where="$.dataset_uri")
    assert not list(tmp_path.rglob("abs.csv"))


# -------------------------------------------------------------- access denied


def _deny_setup(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, actions: list[str]) -> None:
    """Data exists; the credentials in the environment may do only ``actions``."""
    _put(s3_server, {"data/train.csv": b"1\n"})
    key_id, secret = s3_server.iam_keys(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    s3_server.require_signed_requests()


@pytest.mark.parametrize(
    ("allowed", "uri"),
    [
        (["s3:PutObject"], f"s3://{BUCKET}/data/train.csv"),  # HEAD -> bare 403
        (["s3:PutObject"], f"s3://{BUCKET}/data/"),  # ListObjectsV2 -> AccessDenied
        (["s3:ListBucket"], f"s3://{BUCKET}/data/"),  # listed, then GetObject denied
    ],
)
def test_download_access_denied(
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    allowed: list[str],
    uri: str,
) -> None:
    _deny_setup(s3_server, monkeypatch, allowed)
    with pytest.raises(DatasetError) as info:
        storage.download(uri, tmp_path / "in", where="$.dataset_uri")
    assert info.value.where == "$.dataset_uri"
    assert info.value.problem.startswith(f"access denied to {uri}")
    assert info.value.fix is not None and "s3:GetObject and s3:ListBucket" in info.value.fix
    assert not [p for p in (tmp_path / "in").rglob("*") if p.is_file()]


def test_download_with_rejected_secret_names_the_credentials(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _deny_setup(s3_server, monkeypatch, ["s3:*"])
    wrong = "WrongSecretValue0123456789abcdefWRONG"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    with pytest.raises(DatasetError) as info:
        storage.download(f"s3://{BUCKET}/data/", tmp_path, where="$.dataset_uri")
    assert "rejected the AWS credentials" in info.value.problem
    assert "SignatureDoesNotMatch" in info.value.problem
    assert wrong not in str(info.value)


# ------------------------------------------------- credentials and endpoint


def test_no_credentials(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(DatasetError) as info:
        storage.download(f"s3://{BUCKET}/data.csv", tmp_path, where="$.dataset_uri")
    assert info.value.problem.startswith("no AWS credentials found")
    assert info.value.fix is not None and "standard boto3 chain" in info.value.fix
    with pytest.raises(OutputError, match="no AWS credentials found"):
        storage.upload_folder(tmp_path, f"s3://{BUCKET}/out")


def test_unreachable_endpoint(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{_closed_port()}")
    client = storage.s3_client(connect_timeout=1, read_timeout=1, max_attempts=1)
    try:
        with pytest.raises(DatasetError) as info:
            storage.download(f"s3://{BUCKET}/d.csv", tmp_path, where="$.dataset_uri", client=client)
        assert "could not reach the S3 endpoint" in info.value.problem
        assert "EndpointConnectionError" in info.value.problem
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "analysis.json").write_text("{}")
        with pytest.raises(OutputError, match="could not reach the S3 endpoint"):
            storage.upload_folder(tmp_path / "out", f"s3://{BUCKET}/out", client=client)
    finally:
        client.close()


def test_messages_never_contain_credentials(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_id = "AKIAKEYIDNOTINMESSAGES"
    secret = "SecretNotInMessages/abcdefghijklmnopqrstuvwxyz"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    _put(s3_server, {"data/_SUCCESS": b""})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "analysis.json").write_text("{}")
    errors: list[UserError] = []
    for uri in (
        "s3://no-such-bucket/x.csv",
        f"s3://{BUCKET}/missing.csv",
        f"s3://{BUCKET}/data/",
    ):
        with pytest.raises(DatasetError) as info:
            storage.download(uri, tmp_path / "in", where="$.dataset_uri")
        errors.append(info.value)
    with pytest.raises(OutputError) as out:
        storage.upload_folder(tmp_path / "out", "s3://no-such-bucket/out")
    errors.append(out.value)
    assert len(errors) == 4
    for error in errors:
        for text in (str(error), repr(error), error.problem, error.fix or ""):
            assert secret not in text
            assert key_id not in text


# --------------------------------------------------------------------- upload


def _output_folder(root: Path) -> dict[str, bytes]:
    files = {
        "analysis.json": b'{"version": "1.0"}\n',
        "report.html": b"<html></html>",
        "explanations_shap/baseline.csv": b"1,2\n",
        "explanations_shap/out.csv": b"a,b\n0.1,0.2\n",
    }
    for relative, body in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    # Left behind by an interrupted write_atomic: half-written, never uploaded.
    (root / ".report.html.x1y2.tmp").write_bytes(b"<ht")
    return files


class _Recorder:
    """Records, through botocore's public event hooks, when each upload starts and ends."""

    def __init__(self, client: Any) -> None:
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        events = client.meta.events
        for operation in ("PutObject", "CreateMultipartUpload"):
            events.register(f"before-parameter-build.s3.{operation}", self._start)
        for operation in ("PutObject", "CompleteMultipartUpload"):
            events.register(f"before-parameter-build.s3.{operation}", self._remember)
            events.register(f"after-call.s3.{operation}", self._end)

    def _start(self, params: dict[str, Any], **_: Any) -> None:
        with self.lock:
            self.events.append(("start", params["Key"]))

    def _remember(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["recorded_key"] = params["Key"]

    def _end(self, context: dict[str, Any], http_response: Any, **_: Any) -> None:
        assert http_response.status_code == 200
        with self.lock:
            self.events.append(("end", context["recorded_key"]))


def test_upload_folder_writes_every_file_and_analysis_json_last(
    s3_server: S3Server, tmp_path: Path
) -> None:
    files = _output_folder(tmp_path / "out")
    _put(s3_server, {})
    client = storage.s3_client(max_attempts=1)
    recorder = _Recorder(client)
    try:
        uris = storage.upload_folder(tmp_path / "out", f"s3://{BUCKET}/runs/1/", client=client)
    finally:
        client.close()
    expected = {f"runs/1/{relative}": body for relative, body in files.items()}
    assert _objects(s3_server) == expected
    assert sorted(uris) == sorted(f"s3://{BUCKET}/{key}" for key in expected)
    assert uris[-1] == f"s3://{BUCKET}/runs/1/analysis.json"
    # analysis.json's upload starts only after every other upload has finished.
    marker_start = recorder.events.index(("start", "runs/1/analysis.json"))
    ended_before = {key for kind, key in recorder.events[:marker_start] if kind == "end"}
    assert ended_before == set(expected) - {"runs/1/analysis.json"}
    assert recorder.events[-1] == ("end", "runs/1/analysis.json")


def test_upload_folder_default_client_and_bucket_top_level(
    s3_server: S3Server, tmp_path: Path
) -> None:
    files = _output_folder(tmp_path / "out")
    _put(s3_server, {})
    storage.upload_folder(tmp_path / "out", f"s3://{BUCKET}")
    assert _objects(s3_server) == files


def test_upload_large_file_as_multipart(s3_server: S3Server, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    body = bytes(range(256)) * (11 * MiB // 256) + b"end"
    (out / "explanations_shap").mkdir()
    (out / "explanations_shap" / "out.csv").write_bytes(body)
    (out / "analysis.json").write_text("{}")
    _put(s3_server, {})
    storage.upload_folder(
        out,
        f"s3://{BUCKET}/prefix",
        multipart_threshold_bytes=5 * MiB,
        multipart_chunksize_bytes=5 * MiB,
    )
    client = s3_server.client()
    try:
        head = client.head_object(Bucket=BUCKET, Key="prefix/explanations_shap/out.csv")
        small = client.head_object(Bucket=BUCKET, Key="prefix/analysis.json")
        got = client.get_object(Bucket=BUCKET, Key="prefix/explanations_shap/out.csv")
        data = got["Body"].read()
    finally:
        client.close()
    # A multipart object's ETag is "<md5 of part md5s>-<number of parts>".
    assert head["ETag"].strip('"').endswith("-3")
    assert "-" not in small["ETag"]
    assert data == body


def test_upload_to_missing_bucket(s3_server: S3Server, tmp_path: Path) -> None:
    _output_folder(tmp_path / "out")
    with pytest.raises(OutputError) as info:
        storage.upload_folder(tmp_path / "out", "s3://no-such-bucket/out")
    assert info.value.where == "--output"
    assert "bucket 'no-such-bucket' does not exist" in info.value.problem


def test_failed_upload_never_writes_analysis_json(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _output_folder(tmp_path / "out")
    _put(s3_server, {})
    # Allowed to write analysis.json only: every other file is denied, so the
    # marker must not be written either.
    key_id, secret = s3_server.iam_keys(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{BUCKET}/out/analysis.json",
                }
            ],
        }
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    s3_server.require_signed_requests()
    with pytest.raises(OutputError) as info:
        storage.upload_folder(tmp_path / "out", f"s3://{BUCKET}/out", where="--output")
    s3_server.allow_everyone()
    assert info.value.problem.startswith(f"access denied to s3://{BUCKET}/out")
    assert info.value.fix is not None and "s3:PutObject" in info.value.fix
    assert _objects(s3_server) == {}


def test_upload_malformed_uri_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        storage.upload_folder(tmp_path, "s3://", where="--output")
    assert info.value.where == "--output"
