"""Fixture ``aws_server``: moto's standalone server on 127.0.0.1 for CloudWatch and S3.

boto3 reaches it through ``AWS_ENDPOINT_URL_CLOUDWATCH`` / ``AWS_ENDPOINT_URL_S3``
with fake credentials and empty AWS config files; nothing patches boto3.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.server import UNSET_ENV_VARS
from tests.moto_server import moto_server

REGION = "us-east-1"


@dataclass
class AwsServer:
    url: str

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def client(self, service: str) -> Any:
        """A client for arranging and reading back (explicit endpoint and keys)."""
        import boto3.session

        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        ).client(service, endpoint_url=self.url)


@pytest.fixture(scope="session")
def _aws_server() -> Iterator[AwsServer]:
    with moto_server() as port:
        yield AwsServer(url=f"http://127.0.0.1:{port}")


@pytest.fixture
def aws_server(
    _aws_server: AwsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[AwsServer]:
    """The empty server, with ``AWS_*`` variables pointing boto3 at it for this test."""
    _aws_server.reset()
    config_dir = tmp_path / "aws-config"
    config_dir.mkdir()
    (config_dir / "config").write_text("")
    (config_dir / "credentials").write_text("")
    for key in (*UNSET_ENV_VARS, "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {
        "AWS_ENDPOINT_URL_CLOUDWATCH": _aws_server.url,
        "AWS_ENDPOINT_URL_S3": _aws_server.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(config_dir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
    yield _aws_server
