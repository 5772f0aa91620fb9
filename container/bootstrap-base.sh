#!/usr/bin/env bash
# Build a stand-in for the official python:3.11-slim-bookworm base image from Debian
# packages alone, for machines that reach a Debian mirror and PyPI but no image
# registry (air-gapped build farms, CI without Docker Hub).
#
#   sudo container/bootstrap-base.sh [TAG]      # default TAG: localbase/python:3.11-slim-bookworm
#   docker build --build-arg PYTHON_IMAGE=localbase/python:3.11-slim-bookworm .
#
# What it makes: Debian bookworm (minbase) with Debian's python3 (3.11), venv and pip,
# CA certificates, and this machine's apt sources, pip configuration and CA bundle, so
# that `apt-get` and `pip` inside the build reach the same mirrors this machine does.
# PIP_BREAK_SYSTEM_PACKAGES=1 lets the build stage install its pinned wheel-building
# backend into the system Python, as it does on the official image (Debian marks its
# Python "externally managed"). The Dockerfile's venv and runtime steps are the same
# on both bases. Needs root (debootstrap), debootstrap and a running Docker engine.
#
# Environment: MIRROR (default http://deb.debian.org/debian), SUITE (default bookworm).
set -euo pipefail

tag="${1:-localbase/python:3.11-slim-bookworm}"
mirror="${MIRROR:-http://deb.debian.org/debian}"
suite="${SUITE:-bookworm}"

if [ "$(id -u)" -ne 0 ]; then
    echo "error: debootstrap needs root; run: sudo $0 $*" >&2
    exit 2
fi
for tool in debootstrap docker tar; do
    command -v "$tool" > /dev/null || { echo "error: '$tool' not found; Fix: apt-get install debootstrap docker.io" >&2; exit 2; }
done

root="$(mktemp -d "${TMPDIR:-/tmp}/openclarify-base.XXXXXX")"
trap 'rm -rf "$root"' EXIT

echo "debootstrap $suite from $mirror into $root"
debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates \
    "$suite" "$root" "$mirror" > "$root.log" 2>&1 || { tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

# This machine's package sources and trust, so the build reaches the same mirrors
# (including through a TLS-inspecting proxy whose CA this machine trusts).
if [ -d /etc/apt/sources.list.d ]; then
    cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/"
    # debootstrap's own sources.list would duplicate a deb822 file naming the same suite.
    if ls /etc/apt/sources.list.d/*.sources > /dev/null 2>&1; then : > "$root/etc/apt/sources.list"; fi
fi
[ -f /etc/apt/sources.list ] && [ -s /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
fi

# Slim, like the official image: no apt lists, docs or man pages.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* \
       "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*

tar --numeric-owner -C "$root" -c . | docker import \
    -c 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["python3"]' \
    - "$tag" > /dev/null
echo "built $tag"
