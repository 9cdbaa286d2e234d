"""Training-time augmentation for the audio judges (evaluation classifiers).

The demo datasets are synthesised, so their clips are digitally clean: above a note's last
harmonic the spectrum is exact silence. A classifier trained only on such clips learns the
silence as a feature, and any noise floor then decides its answer (docs/evaluation.md shows
how far). Every generator leaves some noise floor, so scores from such a judge measure the
noise, not the family or pitch. Training on clips with a random noise floor makes it judge
the content.
"""

import keras


@keras.saving.register_keras_serializable(package="keras_avgan")
class RandomNoiseFloor(keras.layers.Layer):
    """In training only: add white noise at a level drawn per example, uniform in dB (re full
    scale) between min_db and max_db. At inference the input passes through unchanged."""

    def __init__(self, min_db: float = -80.0, max_db: float = -30.0, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        if not min_db <= max_db:
            raise ValueError(f"need min_db <= max_db, got {min_db}, {max_db}")
        self.min_db, self.max_db, self.seed = float(min_db), float(max_db), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        level_shape = (keras.ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        level_db = keras.random.uniform(level_shape, self.min_db, self.max_db,
                                        dtype=inputs.dtype, seed=self.seed_generator)
        noise = keras.random.normal(keras.ops.shape(inputs), dtype=inputs.dtype,
                                    seed=self.seed_generator)
        return inputs + noise * keras.ops.power(10.0, level_db / 20.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "min_db": self.min_db, "max_db": self.max_db,
                "seed": self.seed}
