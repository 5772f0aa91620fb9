#!/bin/sh
# Entrypoint of the openclarify processing image.
#
# SageMaker Processing starts the image with no arguments (ContainerEntrypoint and
# ContainerArguments are not supported for Clarify jobs), so this runs exactly
# `openclarify container`, which reads /opt/ml/processing/input/... and writes
# /opt/ml/processing/output/analysis.json and /opt/ml/output/message.
#
# Extra arguments are passed through for local use, e.g.
#   docker run --rm -v "$PWD/ml:/tmp/ml" IMAGE --base-dir /tmp/ml
#
# `exec` replaces this shell with the Python process, so SIGTERM sent by
# StopProcessingJob / `docker stop` reaches openclarify directly and no shell
# stays behind as PID 1.
set -eu

exec openclarify container "$@"
