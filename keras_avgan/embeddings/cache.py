"""Trained embeddings kept on disk as the evaluation judges are: under the cache folder
(`KERAS_AVGAN_CACHE`), named by a key of the data and the training settings, written
atomically, so a second call with the same data and settings loads instead of training."""

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import keras
import numpy as np

from keras_avgan import runs
from keras_avgan.cache import cache_base

# Part of every key: bumped when the way embeddings are built or trained changes, so an
# older cache is retrained rather than reused.
EMBEDDING_VERSION = 1


def cache_root() -> Path:
    return cache_base() / "embeddings"


def data_fingerprint(examples, labels) -> str:
    """Names the data by its content: every value of the examples and their labels."""
    digest = hashlib.sha1()
    for array in (np.asarray(examples, np.float32), np.asarray(labels, np.int64)):
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def cache_key(kind: str, fingerprint: str, settings) -> str:
    settings = json.dumps(dataclasses.asdict(settings), sort_keys=True)
    digest = hashlib.sha1(f"{kind}:{EMBEDDING_VERSION}:{fingerprint}:{settings}".encode())
    return digest.hexdigest()[:16]


def cached_paths(kind: str, key: str) -> tuple[Path, Path]:
    path = cache_root() / f"{key}-{kind}-v{EMBEDDING_VERSION}.keras"
    return path, path.with_suffix(".json")


def load_cached(kind: str, key: str):
    """(model, info) when this embedding is cached, else None."""
    path, info_path = cached_paths(kind, key)
    if not (path.is_file() and info_path.is_file()):
        return None
    model = keras.saving.load_model(str(path), safe_mode=True)
    model.trainable = False
    return model, json.loads(info_path.read_text())


def save_cached(kind: str, key: str, model: keras.Model, info: dict) -> Path:
    """Write the model, then its info, each to a temporary name first: an interrupted
    write leaves no file that load_cached would take for a finished one."""
    path, info_path = cached_paths(kind, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Named by process: two processes training the same embedding at once (parallel runs or
    # test workers) must not write into each other's temporary file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.keras")
    model.save(str(tmp))
    tmp.replace(path)
    runs.atomic_write_text(info_path, json.dumps(info, indent=2))
    return path
