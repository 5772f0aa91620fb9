"""Amazon S3 input and output through boto3, for runs outside a Processing job.

Inside a SageMaker Processing job, SageMaker itself copies the dataset to
``/opt/ml/processing/input/data`` and the results from
``/opt/ml/processing/output`` (contract §1.1).  Run anywhere else, the config's
``dataset_uri``, ``facet_dataset_uri``, ``predicted_label_dataset_uri`` and a
SHAP ``baseline`` may be ``s3://`` URIs, and ``openclarify analyze --output``
may name an S3 prefix.  This package is the only place that talks to S3:

* :func:`download` copies an object, or every object under a prefix, into a
  local folder that the ordinary file readers then read
  (:mod:`~openclarify.storage.inputs`).
* :func:`upload_folder` copies a finished local output folder to a prefix,
  ``analysis.json`` last (:mod:`~openclarify.storage.outputs`).
* :func:`s3_client` builds the client both use; :func:`parse_s3_uri` checks a
  URI (:mod:`~openclarify.storage.s3`, also the transfer settings).
* How a boto3 failure becomes the error described below:
  :mod:`~openclarify.storage.failures`.

Credentials, region and endpoint come from the standard boto3 chain
(environment, shared config/credentials files, container or instance role);
``AWS_ENDPOINT_URL_S3`` (or ``AWS_ENDPOINT_URL``) points boto3 at an
S3-compatible server.  ``boto3`` is imported inside the functions only, so that
``import openclarify`` stays fast and a run that never touches S3 never loads it.

Errors
------
Every failure the user can fix becomes a :class:`~openclarify.errors.UserError`
whose ``where`` is the place the URI came from (a JSON path such as
``$.dataset_uri``, or ``--output``).  A malformed URI is a
:class:`~openclarify.errors.ConfigError`; a download failure (missing bucket,
missing object, empty prefix, access denied, rejected or missing credentials,
unreachable endpoint) is, by default, a :class:`~openclarify.errors.DatasetError`
— the URI was well formed, the data behind it cannot be read — and the caller
may choose another class (``error=``); an upload failure is an
:class:`~openclarify.errors.OutputError`.  Messages name the URI and the S3
error code, never a data value and never a credential: server messages are
quoted only for error codes we do not recognise, cut short.
"""

from .inputs import download
from .outputs import COMPLETION_MARKER, upload_folder
from .s3 import (
    DEFAULT_MULTIPART_CHUNKSIZE,
    DEFAULT_MULTIPART_THRESHOLD,
    aws_client,
    is_s3_uri,
    parse_s3_uri,
    s3_client,
)

__all__ = [
    "COMPLETION_MARKER",
    "DEFAULT_MULTIPART_CHUNKSIZE",
    "DEFAULT_MULTIPART_THRESHOLD",
    "aws_client",
    "download",
    "is_s3_uri",
    "parse_s3_uri",
    "s3_client",
    "upload_folder",
]
