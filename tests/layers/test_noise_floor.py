"""RandomNoiseFloor: identity at inference, a per-example noise level within its dB range."""

import keras
import numpy as np
import pytest

from keras_avgan.layers.noise_floor import RandomNoiseFloor


def test_inference_passes_the_input_through():
    x = np.random.default_rng(0).uniform(-1, 1, (3, 256, 1)).astype("float32")
    np.testing.assert_array_equal(np.asarray(RandomNoiseFloor(seed=0)(x)), x)


def test_training_adds_noise_at_a_level_within_the_range_per_example():
    x = np.zeros((64, 8192, 1), "float32")  # silence: the output is the noise alone
    layer = RandomNoiseFloor(-60.0, -30.0, seed=1)
    noise = np.asarray(layer(x, training=True))
    level_db = 20 * np.log10(noise.std(axis=(1, 2)))
    assert level_db.min() > -60.5 and level_db.max() < -29.5
    assert level_db.max() - level_db.min() > 15  # levels differ from clip to clip
    assert not np.allclose(noise, np.asarray(layer(x, training=True)))  # fresh draws each call
    again = np.asarray(RandomNoiseFloor(-60.0, -30.0, seed=1)(x, training=True))
    np.testing.assert_array_equal(noise, again)  # seeded


def test_config_round_trip_and_bad_range():
    layer = RandomNoiseFloor(-70.0, -40.0, seed=3)
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert (clone.min_db, clone.max_db, clone.seed) == (-70.0, -40.0, 3)
    with pytest.raises(ValueError, match="min_db <= max_db"):
        RandomNoiseFloor(-20.0, -40.0)
