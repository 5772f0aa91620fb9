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

# matplotlib (the report's charts) uses its cache folder only when it may write
# there; the image ships the folder with the font list built at build time
# (MPLCONFIGDIR). Run as another user (`docker run --user`) or on a read-only root
# file system, the folder is not writable: copy the prebuilt cache to a private
# temporary folder instead, so that no font cache is built at run time and nothing
# is written outside the temp folder.
if [ -n "${MPLCONFIGDIR:-}" ] && [ ! -w "$MPLCONFIGDIR" ]; then
    private="$(mktemp -d "${TMPDIR:-/tmp}/openclarify-mpl.XXXXXX")"
    cp -R "$MPLCONFIGDIR/." "$private/"
    MPLCONFIGDIR="$private"
    export MPLCONFIGDIR
fi

exec openclarify container "$@"
