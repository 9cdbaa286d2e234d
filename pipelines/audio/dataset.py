"""Audio transforms and the checkpointable tf.data pipeline of fixed-length slices."""

import numpy as np
import tensorflow as tf

from pipelines.audio.scan import check_recipe_fit, decode_file, resampled_frames
from pipelines.errors import DataError
from pipelines.tfdata import checkpointable

SLICE_MODES = ("random", "first", "all")
SLICE_SHUFFLE_BUFFER = 256  # slices, not files: keeps iterator checkpoints to a few MB
PEAK_FLOOR = 1e-6  # below this a clip counts as silence and is left as it is


def to_mono(x):
    """[samples, channels] -> [samples, 1] by averaging the channels."""
    return tf.reduce_mean(tf.convert_to_tensor(x, tf.float32), axis=-1, keepdims=True)


def peak_normalize(x, axis=None):
    """Scale so the largest |sample| is 1 (over `axis`: -1 for each row of a batch [B, T]);
    silence stays zeros instead of dividing by zero."""
    x = tf.convert_to_tensor(x, tf.float32)
    # reduce_max of an empty clip is -inf, which the floor also absorbs
    return x / tf.maximum(tf.reduce_max(tf.abs(x), axis=axis, keepdims=axis is not None),
                          PEAK_FLOOR)


def pad_to(x, n):
    """Zero-pad [samples, c] at the end to at least n samples (longer clips are untouched)."""
    x = tf.convert_to_tensor(x, tf.float32)
    return tf.pad(x, [[0, tf.maximum(n - tf.shape(x)[0], 0)], [0, 0]])


def first_slice(x, n):
    return pad_to(x, n)[:n]


def random_slice(x, n, seed):
    """One n-sample window at a uniform offset; `seed` is a [2] int tensor (stateless op)."""
    x = pad_to(x, n)
    span = tf.shape(x)[0] - n + 1
    start = tf.random.stateless_uniform([], seed, minval=0, maxval=span, dtype=tf.int32)
    return x[start:start + n]


def all_slices(x, n, pad_short=True):
    """[k, n, c]: back-to-back n-sample windows; with pad_short the last, partial one is
    zero-padded (so a short clip gives one), without it only whole windows are kept."""
    x = tf.convert_to_tensor(x, tf.float32)
    if pad_short:
        x = pad_to(x, (tf.shape(x)[0] + n - 1) // n * n)
    count = tf.shape(x)[0] // n
    return tf.reshape(x[:count * n], [count, n, tf.shape(x)[1]])


def clip_decoder(sample_rate, any_in_graph, any_python):
    """(path, in_graph) -> float32 [samples, 1], choosing the in-graph or Python route; the
    Python route (decode_file) reads by content, soundfile first, PyAV after, as the scan did,
    so the iterator's elements (and checkpoints) stay (path, in_graph, label)."""
    def in_graph(path):
        wav, _ = tf.audio.decode_wav(tf.io.read_file(path))
        return to_mono(wav)

    def python(path):
        out = tf.numpy_function(decode_file, [path, sample_rate], tf.float32, stateful=False)
        return tf.reshape(out, [-1, 1])

    def decode(path, fast):
        if not any_python:
            return in_graph(path)
        if not any_in_graph:
            return python(path)
        return tf.cond(fast, lambda: in_graph(path), lambda: python(path))
    return decode


def _usable_files(files, labels, sample_rate, slice_len, pad_short):
    """Without pad_short, files shorter than one slice are dropped up front (and said so)."""
    ids = list(labels) if labels is not None else [0] * len(files)
    if len(ids) != len(files):
        raise DataError(f"labels: {len(ids)} ids for {len(files)} files; pass one id per file")
    if pad_short:
        return list(files), ids
    kept = [(f, i) for f, i in zip(files, ids, strict=True)
            if resampled_frames(f, sample_rate) >= slice_len]
    if not kept:
        raise DataError(f"every one of the {len(files)} files is shorter than slice_len="
                        f"{slice_len} at {sample_rate} Hz; turn pad_short on or use a "
                        "shorter slice_len")
    return [f for f, _ in kept], [i for _, i in kept]


def audio_dataset(files, *, sample_rate, slice_len, slice_mode="random", pad_short=True,
                  normalize=True, batch_size, seed, shuffle=True, repeat=True, labels=None):
    """float32 [batch_size, slice_len, 1] batches (or (audio, label ids)); checkpointable."""
    if slice_mode not in SLICE_MODES:
        raise DataError(f"slice_mode={slice_mode!r}: choose one of {', '.join(SLICE_MODES)}")
    if not files:
        raise DataError("no usable audio files to build a dataset from")
    check_recipe_fit(None, sample_rate, slice_len)
    files, ids = _usable_files(files, labels, sample_rate, slice_len, pad_short)
    fast = [bool(f.in_graph and f.sample_rate == sample_rate) for f in files]
    decode = clip_decoder(sample_rate, any(fast), not all(fast))
    seed = int(seed) % (2 ** 31)

    ds = tf.data.Dataset.from_tensor_slices(
        ([f.path for f in files], fast, np.asarray(ids, np.int32)))
    if shuffle:
        ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    # The running element index seeds each random slice, so the stream depends only on the
    # seed and position: a restored iterator continues exactly where it stopped.
    ds = ds.enumerate()

    def load(index, item):
        path, is_fast, label = item
        clip = decode(path, is_fast)
        if normalize:
            clip = peak_normalize(clip)
        return index, clip, label

    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if not pad_short:  # guards against headers that overstate the length
        ds = ds.filter(lambda index, clip, label: tf.shape(clip)[0] >= slice_len)
    ds = _slice(ds, slice_mode, slice_len, seed, pad_short)
    if shuffle:
        ds = ds.shuffle(SLICE_SHUFFLE_BUFFER, seed=seed + 1, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    if labels is None:
        ds = ds.map(lambda clip, label: clip)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    return checkpointable(ds)


def _slice(ds, slice_mode, n, seed, pad_short):
    """(index, clip, label) -> (slice [n, 1], label), one or many per clip."""
    if slice_mode == "all":
        def cut(index, clip, label):
            pieces = all_slices(clip, n, pad_short)
            return pieces, tf.fill([tf.shape(pieces)[0]], label)
        ds = ds.map(cut).unbatch()
    elif slice_mode == "first":
        ds = ds.map(lambda index, clip, label: (first_slice(clip, n), label))
    else:
        def cut(index, clip, label):
            key = tf.stack([tf.constant(seed, tf.int64), index])
            return random_slice(clip, n, key), label
        ds = ds.map(cut)
    return ds.map(lambda clip, label: (tf.ensure_shape(clip, [n, 1]), label))


def eval_clips(files, sample_rate, slice_len, normalize=True) -> np.ndarray:
    """float32 [N, slice_len]: the first slice of each file, zero-padded, for evaluation."""
    clips = np.zeros((len(files), slice_len), np.float32)
    for row, info in enumerate(files):
        clip = decode_file(info.path, sample_rate, info.decoder)[:, 0]
        if normalize:
            clip = clip / max(float(np.abs(clip).max(initial=0.0)), PEAK_FLOOR)
        clips[row, :min(len(clip), slice_len)] = clip[:slice_len]
    return clips
