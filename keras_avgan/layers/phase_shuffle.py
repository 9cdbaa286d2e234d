"""Phase shuffle (WaveGAN): move the discriminator's activations by a few samples at random.

A transposed-convolution generator leaves periodic artefacts at fixed phases; shifting D's
feature maps by a random -rad..rad samples stops D from keying on those phases. One shift is
drawn per call and shared by the whole batch, as in the paper. The edges are filled by
reflection so no silent zeros appear. At inference it is the identity, so it never reaches
an exported generator (it lives in D only anyway).
"""

import keras

from keras_avgan.seeds import checkpointed_seed


def reflect_shift(inputs, shift, rad: int):
    """[B, T, C] moved right by `shift` (|shift| <= rad) with reflected edges, length kept.

    Output sample t is input sample t - shift, reading past either end as a mirror image.
    Pad both sides by the largest shift once and gather a length-T window, so the shapes are
    static. A gather rather than a dynamic slice: under XLA the gradient of a dynamic slice
    is an XlaDynamicUpdateSlice, which has no gradient of its own, and the gradient penalty
    needs second derivatives through D.
    """
    padded = keras.ops.pad(inputs, [[0, 0], [rad, rad], [0, 0]], mode="reflect")
    start = rad - keras.ops.cast(shift, "int32")
    positions = start + keras.ops.arange(keras.ops.shape(inputs)[1], dtype="int32")
    return keras.ops.take(padded, positions, axis=1)


@keras.saving.register_keras_serializable(package="keras_avgan")
class PhaseShuffle(keras.layers.Layer):
    """Shift [B, T, C] inputs by one random integer in [-rad, rad] per call while training."""

    def __init__(self, rad: int = 2, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if rad < 0:
            raise ValueError(f"PhaseShuffle rad must be >= 0, got {rad}")
        self.rad = int(rad)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.seed_checkpoint = checkpointed_seed(self.seed_generator)
        self.input_spec = keras.InputSpec(ndim=3)

    def draw_shift(self):
        """The integer shift for one call: uniform over -rad..rad, both ends included."""
        return keras.random.randint((), -self.rad, self.rad + 1, dtype="int32",
                                    seed=self.seed_generator)

    def call(self, inputs, training=False):
        if not training or self.rad == 0:
            return inputs
        if inputs.shape[1] is not None and inputs.shape[1] <= self.rad:
            raise ValueError(f"PhaseShuffle(rad={self.rad}) needs more than {self.rad} "
                             f"time steps to reflect, got {inputs.shape[1]}")
        return reflect_shift(inputs, self.draw_shift(), self.rad)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rad": self.rad, "seed": self.seed}
