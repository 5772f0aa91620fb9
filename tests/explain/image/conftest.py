"""The moto S3 server fixture of tests/storage, for image datasets under an S3 prefix."""

from tests.storage.conftest import _moto_server, s3_server  # noqa: F401
