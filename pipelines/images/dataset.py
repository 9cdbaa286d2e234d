"""Decoding images to square float arrays, and the checkpointable tf.data pipeline of them.

Two routes give the same picture: tf.io's decoders in the graph for the files they read
correctly (`ImageFileInfo.in_graph`), Pillow through tf.numpy_function for the rest. Both
crop the centre square and resize it with the same antialiased Lanczos-3 filter, in float:
Pillow's "F"-mode LANCZOS and tf.image.resize(method="lanczos3", antialias=True) compute
the same weights, so the routes agree to float rounding (16-bit PNGs to 1/255).
"""

import numpy as np
import tensorflow as tf

from pipelines.errors import DataError
from pipelines.images.pillow import load_image
from pipelines.tfdata import DECODED_BYTES_MAX, checkpointable, decoded_rows

RESIZE_METHOD = "lanczos3"  # tf.image.resize's name for Pillow's Image.LANCZOS


def centre_crop(image):
    """[h, w, c] -> [s, s, c] with s = min(h, w): the middle square, offsets rounded down."""
    image = tf.convert_to_tensor(image)
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    side = tf.minimum(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top:top + side, left:left + side]


def fit_square(image, size):
    """float [s, s, 3] in [0, 1] -> float32 [size, size, 3] in [-1, 1], antialiased."""
    image = tf.image.resize(tf.convert_to_tensor(image, tf.float32), [size, size],
                            method=RESIZE_METHOD, antialias=True)
    # Lanczos overshoots next to sharp edges; clipping keeps the promised range
    return tf.ensure_shape(tf.clip_by_value(image, 0.0, 1.0) * 2.0 - 1.0, [size, size, 3])


def decode_in_graph(path, size):
    """The in-graph route, for `in_graph` files: read, decode, centre crop, resize."""
    data = tf.io.read_file(path)
    # decode_image's JPEG IDCT is libjpeg's fast one, off Pillow's by up to 4/255; the
    # accurate one gives Pillow's pixels exactly. uint8 throughout: decode_image reads WebP
    # only as uint8 (a 16-bit PNG keeps its top byte, within 1/255 of the Pillow route).
    image = tf.cond(
        tf.io.is_jpeg(data),
        lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"),
        lambda: tf.io.decode_image(data, channels=3, expand_animations=False))
    return fit_square(tf.image.convert_image_dtype(centre_crop(image), tf.float32), size)


def picture_decoder(size, any_in_graph, any_pillow):
    """(path, in_graph) -> float32 [size, size, 3], choosing the in-graph or Pillow route."""
    def pillow(path):
        out = tf.numpy_function(load_image, [path, size], tf.float32, stateful=False)
        return tf.ensure_shape(out, [size, size, 3])

    def decode(path, fast):
        if not any_pillow:
            return decode_in_graph(path, size)
        if not any_in_graph:
            return pillow(path)
        return tf.cond(fast, lambda: decode_in_graph(path, size), lambda: pillow(path))
    return decode


def image_dataset(files, *, size, batch_size, seed, shuffle=True, repeat=True, labels=None,
                  decoded_bytes_max=DECODED_BYTES_MAX):
    """float32 [batch_size, size, size, 3] batches in [-1, 1] (or (images, int32 label ids)),
    from ImageFileInfo `files`; deterministic for a seed, and checkpointable. Pictures that
    fit in `decoded_bytes_max` decoded are decoded once (the same batches)."""
    if not files:
        raise DataError("no usable image files to build a dataset from")
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size <= 0:
        raise DataError(f"image size={size!r}: must be a positive integer such as 64")
    ids = list(labels) if labels is not None else [0] * len(files)
    if len(ids) != len(files):
        raise DataError(f"labels: {len(ids)} ids for {len(files)} files; pass one id per file")
    fast = [bool(f.in_graph) for f in files]
    decode = picture_decoder(int(size), any(fast), not all(fast))

    picture = decoded_rows(decode, [f.path for f in files], fast, 4 * int(size) ** 2 * 3,
                           decoded_bytes_max)

    ds = tf.data.Dataset.from_tensor_slices(
        (np.arange(len(files), dtype=np.int32), np.asarray(ids, np.int32)))
    if shuffle:
        ds = ds.shuffle(len(files), seed=int(seed) % (2 ** 31), reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.map(lambda row, label: (picture(row), label),
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    if labels is None:
        ds = ds.map(lambda images, label: images)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    return checkpointable(ds)


def eval_images(files, size) -> np.ndarray:
    """float32 [N, size, size, 3] in [-1, 1], in file order, through Pillow: for evaluation,
    the pixels the dataset gives (ImageFileInfo or paths)."""
    out = np.zeros((len(files), size, size, 3), np.float32)
    for row, info in enumerate(files):
        out[row] = load_image(getattr(info, "path", info), size)
    return out
