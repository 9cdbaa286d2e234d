"""What every training pipeline's tf.data options are, and why."""

import tensorflow as tf


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
