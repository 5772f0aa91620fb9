# openclarify: drop-in replacement for the SageMaker Clarify processing image.
#
#   docker build -t openclarify:0.1.0 \
#       --build-arg VERSION=0.1.0 \
#       --build-arg REVISION="$(git rev-parse HEAD)" \
#       --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#
# The image runs `openclarify container` with no arguments, exactly what a
# SageMaker Processing job does (see container/CONTRACT.md and container/README.md).
# Builds with BuildKit or the legacy builder (no BuildKit-only syntax is used).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
# build: a self-contained virtual environment in /opt/openclarify holding the
# pinned dependencies (container/requirements.lock) and the openclarify wheel.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /build

# Dependencies first, so that a source change does not reinstall them.
# --no-deps: the lock is the complete set; `pip check` below proves it.
# --only-binary: every pin has a manylinux wheel; no compiler in this stage.
COPY container/build-requirements.lock container/requirements.lock ./
RUN python -m pip install --no-cache-dir --no-deps --only-binary=:all: -r build-requirements.lock \
 && python -m venv /opt/openclarify \
 && /opt/openclarify/bin/python -m pip install --no-cache-dir --no-deps --only-binary=:all: \
        -r requirements.lock

# The Spark backend (multi-instance jobs): pyspark is an sdist, built here into a
# wheel with the pinned setuptools (pure Python), then installed like the rest.
COPY container/spark-requirements.lock ./
RUN python -m pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /build/spark \
        -r spark-requirements.lock \
 && /opt/openclarify/bin/python -m pip install --no-cache-dir --no-deps /build/spark/*.whl

# The package itself, from the repository: built into a wheel with the pinned
# backend (no build isolation, so nothing unpinned is fetched), then installed
# without dependencies. `pip check` fails the build if the lock misses anything
# pyproject.toml asks for. pip/setuptools are then removed from the runtime venv:
# nothing installs packages at run time, and the bundled setuptools is old.
COPY pyproject.toml README.md ./
COPY src/ ./src/
RUN python -m pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /build/dist . \
 && /opt/openclarify/bin/python -m pip install --no-cache-dir --no-deps /build/dist/openclarify-*.whl \
 && /opt/openclarify/bin/python -m pip check \
 && /opt/openclarify/bin/python -m pip uninstall --yes pip setuptools

# What costs a user nothing to lose (about 180 MB): the test suites that wheels ship
# (pandas, SciPy, NumPy, pyarrow, matplotlib, pyspark, ...: never imported by a job),
# Spark's examples and the Spark Connect REPL (an interactive shell; jobs use the
# standalone scheduler). The image tests run every sample config, the Spark cluster
# and the reports on the pruned image.
RUN site=$(/opt/openclarify/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") \
 && find "$site" -depth -type d -name tests -exec rm -rf {} + \
 && rm -rf "$site/pyspark/examples" "$site/pyspark/jars/connect-repl"

# ---------------------------------------------------------------------------
# runtime: the same base image plus the virtual environment and the entrypoint.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG PYTHON_IMAGE

# PYTHONUNBUFFERED: log lines reach CloudWatch as they are written, and are not
# lost in a buffer when the job is stopped. PYTHONDONTWRITEBYTECODE: the venv is
# byte-compiled at build time; nothing is written next to the code at run time.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/opt/openclarify/share/matplotlib \
    PATH="/opt/openclarify/bin:${PATH}"

# pango (and its fontconfig/harfbuzz dependencies) is the layout library that
# weasyprint prints report.pdf with; fonts-dejavu-core gives the report's font;
# HarfBuzz's subsetter embeds only the glyphs a PDF uses (without it weasyprint
# falls back to fontTools, about 0.2 s more per report, in Python);
# a Java 17 runtime runs Spark (multi-instance jobs, --backend spark; `java` on the
# PATH through Debian's alternatives, whatever the architecture; procps gives the
# `ps` that Spark's scripts call).
# Versions follow the pinned Debian release of the base image. The man folder is
# created first because the JRE's post-install scripts expect it in slim images.
# hadolint ignore=DL3008
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core openjdk-17-jre-headless procps \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /opt/openclarify /opt/openclarify
COPY container/entrypoint.sh /usr/local/bin/openclarify-entrypoint

# Mode set here rather than with COPY --chmod so that the legacy builder works
# too; the smoke test proves the console script and its imports resolve. Importing
# matplotlib's font manager builds its font cache once, in the image (MPLCONFIGDIR),
# instead of in every job; the entrypoint gives a non-root user a private copy of it.
# Importing weasyprint proves pango is found, and that it subsets fonts with HarfBuzz.
RUN chmod 0755 /usr/local/bin/openclarify-entrypoint \
 && mkdir -p "$MPLCONFIGDIR" \
 && openclarify --help > /dev/null \
 && python -c "import matplotlib.font_manager, weasyprint, pyspark" \
 && python -c "from weasyprint.text.ffi import harfbuzz_subset; assert harfbuzz_subset" \
 && chmod -R a+rX "$MPLCONFIGDIR" \
 && java -version

# No USER: the image runs as root by default, on purpose. SageMaker Processing
# mounts /opt/ml/processing/{input,output} and /opt/ml/output owned by root, so a
# non-root default user could not write analysis.json or the exit message there, and
# the job would fail without saying why. On your own machine, run it as yourself
# (`docker run --user "$(id -u):$(id -g)"` on a folder you own; a read-only root file
# system works too): outputs follow the umask (0644 / 0755 under 022), nothing is
# written outside the output folders and /tmp, and no cache is built at run time
# (tests/image). What limits the exposure as root: the job is a batch process with
# no network listener, the image adds no setuid binaries and no packages beyond the
# pinned locks, pango and the Java runtime, and the venv keeps no package installer.

# Labels last: the build's date and revision change every build, and layers after
# them would never be reused.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=unknown

LABEL org.opencontainers.image.title="openclarify" \
      org.opencontainers.image.description="Open-source drop-in replacement for the Amazon SageMaker Clarify processing container (bias metrics, explanations, reports)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

# StopProcessingJob / the job's MaxRuntimeInSeconds send SIGTERM, then SIGKILL.
# entrypoint.sh execs Python, which receives SIGTERM itself.
STOPSIGNAL SIGTERM

ENTRYPOINT ["/usr/local/bin/openclarify-entrypoint"]
# SageMaker passes no arguments; an empty CMD keeps it that way for `docker run`.
CMD []
