# CUDA training image for keras_avgan.
#   docker compose build train
#   docker compose run --rm train fit --recipe wavegan --data /work/data --run-dir /work/runs/wavegan
# The base pins the TensorFlow that pyproject.toml pins (tensorflow==2.21.*), so pip keeps the
# base image's CUDA build instead of replacing it. Its python3 must satisfy requires-python
# (3.11 or 3.12); pip stops with a clear message if it does not.
FROM tensorflow/tensorflow:2.21.0-gpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2

WORKDIR /work

# Only what the package build needs; .dockerignore keeps runs, data and models out anyway.
COPY pyproject.toml README.md ./
COPY keras_avgan ./keras_avgan
COPY pipelines ./pipelines

# Same package spec as `make install` (.[dev]); not editable, since the source is baked in.
RUN python3 -m pip install ".[dev]"

# Train as an unprivileged user. Files it writes into bind mounts belong to uid 1000: on a
# host where you are another uid, run with `--user "$(id -u):$(id -g)"`.
RUN useradd --create-home --uid 1000 avgan \
    && mkdir -p /work/runs /work/data /work/saved_models \
    && chown avgan:avgan /work/runs /work/data /work/saved_models
USER avgan

VOLUME ["/work/runs", "/work/data", "/work/saved_models"]

ENTRYPOINT ["keras_avgan"]
CMD ["--help"]
