"""What every training pipeline's tf.data options are, and why; files decoded once."""

import tensorflow as tf

# Float32 examples a folder pipeline holds decoded in memory, at most. Below it each file is
# decoded once, when the pipeline is built, rather than once per epoch: a demo face costs an
# antialiased resize from 128 px, CPU a two-core machine's train step runs short of. Larger
# data streams from its files (or is sharded, decoded once on disk).
DECODED_BYTES_MAX = 2 ** 30


def checkpointable(ds: tf.data.Dataset) -> tf.data.Dataset:
    """Deterministic element order, and an iterator tf.train.Checkpoint can save.

    numpy_function makes tf.data refuse to checkpoint iterators by default. It is safe to
    ignore here: the Python side of every pipeline is a pure decode of a file path, it holds
    no state that a restored iterator would need, and every random draw is either a
    stateless op or a seeded shuffle whose state tf.data saves itself.
    """
    options = tf.data.Options()
    options.experimental_external_state_policy = (
        tf.data.experimental.ExternalStatePolicy.IGNORE)
    options.deterministic = True
    return ds.with_options(options)


def decoded_rows(decode, paths, fast, row_bytes: int, bytes_max: int = DECODED_BYTES_MAX):
    """row -> file `row` through `decode(path, fast)`: all files decoded once and held when
    `len(paths) * row_bytes` (what a row of the pipeline holds) fits in `bytes_max`, else
    decoded from disk at each call."""
    if len(paths) * row_bytes > bytes_max:
        paths, fast = tf.constant(paths), tf.constant(fast)
        return lambda row: decode(paths[row], fast[row])
    ds = tf.data.Dataset.from_tensor_slices((paths, fast)).map(
        decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    held = ds.batch(len(paths)).get_single_element()
    return lambda row: tf.gather(held, row)
