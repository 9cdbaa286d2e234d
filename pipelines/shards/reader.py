"""Shard folders to tf.data: interleaved parallel reads of the TFRecord shards, parsed to the
examples the folder reader makes (float32 [slice_len, 1] clips or [S, S, 3] pictures in
[-1, 1]), with class ids of one label column when asked.

Exact resume: every step is deterministic (`deterministic=True` on the parallel interleave
and maps, seeded shuffles), and TFRecordDataset, interleave and shuffle save their position
and buffers in an iterator checkpoint, so a restored iterator gives the batches the
uninterrupted one would have.
"""

import numpy as np
import tensorflow as tf

from pipelines.errors import DataError
from pipelines.shards import examples as examples_lib
from pipelines.shards.spec import LABEL_PREFIX, Manifest
from pipelines.tfdata import checkpointable

CYCLE = 8  # shards read at once: what spreads reads over files
SHUFFLE_BUFFER = 256  # examples; as the folder reader's slice buffer, a few MB per checkpoint


def label_classes(manifest: Manifest, column: str) -> list[str]:
    """The classes of `column` in natural order (as a folder's labels give them)."""
    info = manifest.labels.get(column)
    if info is None:
        have = ", ".join(manifest.labels) or "none"
        raise DataError(f"{manifest.root}: the shards carry no '{column}' label column (they "
                        f"have: {have}); shard again with the labels that column comes from")
    if info["classes"] is None:
        raise DataError(f"{manifest.root}: the '{column}' column has {info['values']} values, "
                        "too many to condition on")
    return list(info["classes"])


def records(manifest: Manifest, seed: int, shuffle: bool, repeat: bool):
    """The serialized examples: shards in a seeded order, CYCLE of them read at once."""
    ds = tf.data.Dataset.from_tensor_slices(manifest.paths)
    if shuffle:
        ds = ds.shuffle(len(manifest.paths), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.interleave(tf.data.TFRecordDataset, cycle_length=min(CYCLE, len(manifest.paths)),
                         block_length=1, num_parallel_calls=tf.data.AUTOTUNE,
                         deterministic=True)


def parser(manifest: Manifest, label_column: str | None = None):
    """record -> {each feature of the spec, "path", "window", each label column's value
    ("label/<column>", "" where none); with `label_column` also "label" (its class id) and
    "labelled" (whether it has a value there)}."""
    spec = manifest.spec
    features = examples_lib.feature_spec(spec)
    classes = tf.constant(label_classes(manifest, label_column)) if label_column else None

    def parse(record):
        parsed = tf.io.parse_single_example(record, features)
        found = {key: tf.reshape(tf.io.decode_raw(parsed[key], tf.float32, little_endian=True),
                                 shape) for key, shape in spec.features.items()}
        found.update(path=parsed["path"], window=parsed["window"])
        found.update({LABEL_PREFIX + c: parsed[LABEL_PREFIX + c] for c in spec.label_columns})
        if classes is not None:
            hit = tf.equal(classes, parsed[LABEL_PREFIX + label_column])
            found["label"] = tf.cast(tf.argmax(tf.cast(hit, tf.int32)), tf.int32)
            found["labelled"] = tf.reduce_any(hit)
        return found
    return parse


def shard_dataset(manifest: Manifest, *, batch_size: int | None, seed: int, shuffle=True,
                  repeat=True, label_column: str | None = None, first_only: bool = False,
                  with_names: bool = False):
    """Batches of float32 [B, *the example's shape] (or (examples, int32 class ids of
    `label_column`), examples without a value there left out; `with_names`: a dict with
    "example", "path", "window" and the label values too, unbatched when batch_size is
    None). `first_only`:
    the first slice of each file alone, as the folder reader's slice_mode=first gives."""
    kind = manifest.spec.kind
    seed = int(seed) % (2 ** 31)
    ds = records(manifest, seed, shuffle, repeat)
    ds = ds.map(parser(manifest, label_column), num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True)
    if first_only:
        ds = ds.filter(lambda e: tf.equal(e["window"], 0))
    if label_column:
        ds = ds.filter(lambda e: e["labelled"])
    if shuffle:
        ds = ds.shuffle(SHUFFLE_BUFFER, seed=seed + 1, reshuffle_each_iteration=True)
    if with_names:
        ds = ds.map(lambda e: {("example" if k == kind else k): v for k, v in e.items()
                               if k != "labelled"})
    elif label_column:
        ds = ds.map(lambda e: (e[kind], e["label"]))
    else:
        ds = ds.map(lambda e: e[kind])
    if batch_size is not None:
        ds = ds.batch(batch_size, drop_remainder=True)
    return checkpointable(ds.prefetch(tf.data.AUTOTUNE))


def read_all(manifest: Manifest, label_column: str | None = None) -> dict:
    """Every example in a fixed order (by file name, then window), as numpy: for checks."""
    rows = list(shard_dataset(manifest, batch_size=None, seed=0, shuffle=False, repeat=False,
                              label_column=label_column, with_names=True).as_numpy_iterator())
    rows.sort(key=lambda r: (r["path"], r["window"]))
    return {key: np.stack([r[key] for r in rows]) for key in rows[0]} if rows else {}
