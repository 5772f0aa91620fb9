"""Fixture ``s3_server``: moto's standalone S3 server on 127.0.0.1, reached through the environment.

The server is a real HTTP server (``moto.server.ThreadedMotoServer``, the code
behind the ``moto_server`` command) started once per test session; every test
gets it reset to empty.  boto3 finds it through ``AWS_ENDPOINT_URL_S3`` (and
``AWS_ENDPOINT_URL_IAM`` for the access-denied tests), with fake credentials and
empty AWS config files, the way ``tests/emulator/fixtures.py`` points boto3 at
the SageMaker emulator.  Nothing patches boto3.

``S3Server.require_signed_requests()`` switches on moto's IAM checks (its
``/moto-api/reset-auth`` control endpoint), so that requests signed with keys
whose IAM policy does not allow an action get a real ``403 AccessDenied``.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.server import UNSET_ENV_VARS
from tests.moto_server import moto_server

REGION = "us-east-1"
#: The fake credentials every test starts with (moto accepts any until
#: ``require_signed_requests``).
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"


@dataclass
class S3Server:
    """A running, empty moto S3 server and the environment that points boto3 at it."""

    url: str
    port: int

    def _post(self, path: str, body: bytes) -> None:
        # text/plain: with the urllib default (a form) the server reads an empty body.
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=body,
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200, path

    def reset(self) -> None:
        """Drop every bucket, IAM user and key; stop checking signatures."""
        self._post("/moto-api/reset-auth", b"inf")
        self._post("/moto-api/reset", b"")

    def client(self, service: str = "s3") -> Any:
        """An administrator client with the fixture's credentials (for arranging tests).

        Built from explicit credentials so that a test may change the
        ``AWS_*`` credential variables for the code under test.
        """
        import boto3.session

        return boto3.session.Session(
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            region_name=REGION,
        ).client(service, endpoint_url=self.url)

    def iam_keys(self, policy: dict[str, Any], user: str = "reader") -> tuple[str, str]:
        """Create an IAM user with ``policy`` inline; return a new access key id and secret."""
        iam = self.client("iam")
        try:
            iam.create_user(UserName=user)
            iam.put_user_policy(
                UserName=user, PolicyName="only-this", PolicyDocument=json.dumps(policy)
            )
            key = iam.create_access_key(UserName=user)["AccessKey"]
        finally:
            iam.close()
        return str(key["AccessKeyId"]), str(key["SecretAccessKey"])

    def require_signed_requests(self) -> None:
        """From now on every request must be signed by an IAM key allowed to do it."""
        self._post("/moto-api/reset-auth", b"0")

    def allow_everyone(self) -> None:
        """Stop checking signatures and policies again."""
        self._post("/moto-api/reset-auth", b"inf")


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[S3Server]:
    with moto_server() as port:
        yield S3Server(url=f"http://127.0.0.1:{port}", port=port)


@pytest.fixture
def s3_server(
    _moto_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[S3Server]:
    """The empty S3 server, with ``AWS_*`` variables pointing boto3 at it for this test."""
    _moto_server.reset()
    config_dir = tmp_path / "aws"
    config_dir.mkdir()
    (config_dir / "config").write_text("")
    (config_dir / "credentials").write_text("")
    for key in (*UNSET_ENV_VARS, "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {
        "AWS_ENDPOINT_URL_S3": _moto_server.url,
        "AWS_ENDPOINT_URL_IAM": _moto_server.url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(config_dir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
    try:
        yield _moto_server
    finally:
        _moto_server.reset()
