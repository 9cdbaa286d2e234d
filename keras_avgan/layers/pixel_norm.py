"""Pixel norm (Karras et al. 2018, progressive GAN): unit mean square over the channels.

Each spatial position's feature vector is divided by its root mean square, which keeps the
generator's activations from escalating when G and D compete; it has no weights.
"""

import keras


@keras.saving.register_keras_serializable(package="keras_avgan")
class PixelNorm(keras.layers.Layer):
    """x / sqrt(mean(x^2 over the last axis) + epsilon)."""

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        # The mean of squares runs in float32: under float16 a square of 256 already overflows.
        x = keras.ops.cast(inputs, "float32")
        scale = keras.ops.rsqrt(keras.ops.mean(keras.ops.square(x), axis=-1, keepdims=True)
                                + self.epsilon)
        return keras.ops.cast(x * scale, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
