"""Pre-emphasis (SEGAN, Wav2Pix): y[t] = x[t] - a * x[t - 1], y[0] = x[0].

A first-order high-pass that lifts the formants over the louder low frequencies of speech
before a convolutional encoder hears it. A layer of the network, not a pipeline step, so an
exported model and a TFLite file apply it to the speech they are given.
"""

import keras


@keras.saving.register_keras_serializable(package="keras_avgan")
class PreEmphasis(keras.layers.Layer):
    """[B, T, C] -> [B, T, C] along the time axis."""

    def __init__(self, coefficient: float = 0.95, **kwargs):
        super().__init__(**kwargs)
        self.coefficient = float(coefficient)

    def call(self, inputs):
        rest = inputs[:, 1:] - self.coefficient * inputs[:, :-1]
        return keras.ops.concatenate([inputs[:, :1], rest], axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "coefficient": self.coefficient}
