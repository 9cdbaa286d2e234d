"""Where trained helpers are kept between runs: the evaluation judges and the fixed
embeddings, under one folder that `KERAS_AVGAN_CACHE` moves."""

import os
from pathlib import Path

CACHE_VARIABLE = "KERAS_AVGAN_CACHE"


def cache_base() -> Path:
    return Path(os.environ.get(CACHE_VARIABLE, Path.home() / ".cache" / "keras_avgan"))
