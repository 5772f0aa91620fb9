#!/usr/bin/env bash
# Build the openclarify image: `make image` runs this.
#
#   container/build-image.sh [TAG]            # default TAG: openclarify:dev
#
# Base image: $PYTHON_IMAGE when set; otherwise the official python:3.11-slim-bookworm
# when it is present or can be pulled; otherwise (no registry reachable) a stand-in
# made from Debian packages by container/bootstrap-base.sh (needs root and
# debootstrap), kept as localbase/python:3.11-slim-bookworm for the next build.
# Uses the legacy builder when BuildKit's buildx is not installed, and the host's
# network for the build's apt and pip steps (works with or without a default bridge).
set -euo pipefail
cd "$(dirname "$0")/.."

tag="${1:-openclarify:dev}"
official="python:3.11-slim-bookworm"
local_base="localbase/python:3.11-slim-bookworm"

docker info > /dev/null 2>&1 || { echo "error: no Docker engine answers 'docker info'; Fix: start dockerd (README, 'Run it as a container')" >&2; exit 2; }

base="${PYTHON_IMAGE:-}"
if [ -z "$base" ]; then
    if docker image inspect "$official" > /dev/null 2>&1 \
        || timeout 120 docker pull --quiet "$official" > /dev/null 2>&1; then
        base="$official"
    else
        base="$local_base"
        if ! docker image inspect "$local_base" > /dev/null 2>&1; then
            echo "$official cannot be pulled: bootstrapping $local_base from Debian packages"
            if [ "$(id -u)" -eq 0 ]; then container/bootstrap-base.sh "$local_base"; else sudo container/bootstrap-base.sh "$local_base"; fi
        fi
    fi
fi
echo "Building $tag on $base"

if ! docker buildx version > /dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
docker build --network host \
    --build-arg PYTHON_IMAGE="$base" \
    --build-arg VERSION="$version" \
    --build-arg REVISION="$(git rev-parse HEAD 2> /dev/null || echo unknown)" \
    --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --tag "$tag" .
docker image inspect --format "Built $tag: {{.Size}} bytes" "$tag"
