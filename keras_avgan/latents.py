"""Latent vectors drawn from a seed with stateless ops.

`generate --seed S`, the training previews and the exported `sample` endpoint all call this,
so a seed names the same sounds everywhere: on the command line, in TF Serving, on a phone.
"""

import tensorflow as tf


def sample_latents(n, latent_dim: int, dist: str, seed) -> tf.Tensor:
    """[n, latent_dim] float32; uniform in [-1, 1] (WaveGAN) or standard normal."""
    shape = tf.stack([tf.cast(n, tf.int32), latent_dim])
    key = tf.stack([tf.cast(seed, tf.int64), tf.constant(0x5EED, tf.int64)])
    if dist == "uniform":
        return tf.random.stateless_uniform(shape, key, minval=-1.0, maxval=1.0)
    if dist == "normal":
        return tf.random.stateless_normal(shape, key)
    raise ValueError(f"latent_dist must be 'uniform' or 'normal', got {dist!r}")


def interpolate(z_from: tf.Tensor, z_to: tf.Tensor, steps: int) -> tf.Tensor:
    """`steps` latents on the straight line from z_from to z_to, both ends included."""
    weights = tf.reshape(tf.linspace(0.0, 1.0, steps), [-1, 1])
    return (1.0 - weights) * tf.reshape(z_from, [1, -1]) + weights * tf.reshape(z_to, [1, -1])
