"""Class conditioning by concatenation: a class id joins z as a scaled one-hot vector."""

import keras


def join_one_hot(z, label, num_classes: int, gain: float):
    """concat([z, gain * one_hot(label)]): `gain` brings the one-hot to about z's norm
    (sqrt(latent_dim / 3) for uniform z), so the class is not drowned out in the first
    Dense."""
    one_hot = keras.ops.one_hot(keras.ops.cast(label, "int32"), num_classes, dtype=z.dtype)
    return keras.ops.concatenate([z, one_hot * gain], axis=-1)
