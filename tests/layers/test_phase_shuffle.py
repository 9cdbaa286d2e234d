"""PhaseShuffle: reflect-padded shifts, one per call for the whole batch, identity at inference."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_avgan.layers.phase_shuffle import PhaseShuffle, reflect_shift

RAD = 2


def numpy_shift(x, k, rad=RAD):
    """Reference: out[t] = x[t - k], reflecting past the ends (numpy's 'reflect' mode)."""
    padded = np.pad(x, [(0, 0), (rad, rad), (0, 0)], mode="reflect")
    return padded[:, rad - k: rad - k + x.shape[1]]


def batch(seed=0, shape=(3, 11, 2)):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("k", range(-RAD, RAD + 1))
def test_forced_shift_moves_samples_with_reflected_edges(k):
    x = batch()
    out = np.asarray(reflect_shift(x, k, RAD))
    np.testing.assert_array_equal(out, numpy_shift(x, k))


def test_forced_shift_by_one_by_hand():
    x = np.arange(6, dtype="float32").reshape(1, 6, 1)
    right = np.asarray(reflect_shift(x, 1, RAD))[0, :, 0]
    left = np.asarray(reflect_shift(x, -2, RAD))[0, :, 0]
    np.testing.assert_array_equal(right, [1, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(left, [2, 3, 4, 5, 4, 3])


def shift_of(out, x):
    """The single k in [-RAD, RAD] that explains the whole batch (None if there is none)."""
    matches = [k for k in range(-RAD, RAD + 1) if np.array_equal(out, numpy_shift(x, k))]
    return matches[0] if len(matches) == 1 else None


def test_training_uses_one_shift_for_the_whole_batch_and_sees_every_shift():
    layer = PhaseShuffle(RAD, seed=1)
    x = batch()
    seen = [shift_of(np.asarray(layer(x, training=True)), x) for _ in range(60)]
    assert None not in seen  # every call is one batch-wide shift within range
    assert set(seen) == set(range(-RAD, RAD + 1))


def test_identity_at_inference_and_with_zero_radius():
    x = batch()
    np.testing.assert_array_equal(np.asarray(PhaseShuffle(RAD)(x)), x)
    np.testing.assert_array_equal(np.asarray(PhaseShuffle(0)(x, training=True)), x)


def test_shape_kept_in_a_graph_with_unknown_batch_and_length():
    layer = PhaseShuffle(RAD, seed=0)
    fn = tf.function(lambda x: layer(x, training=True),
                     input_signature=[tf.TensorSpec([None, None, 2])])
    assert tuple(fn(tf.zeros((4, 9, 2))).shape) == (4, 9, 2)
    assert layer.compute_output_shape((None, 9, 2)) == (None, 9, 2)


def test_seeded_layers_repeat_their_shifts_and_have_no_weights():
    x = batch()
    a, b = PhaseShuffle(RAD, seed=5), PhaseShuffle(RAD, seed=5)
    outs_a = [np.asarray(a(x, training=True)) for _ in range(5)]
    outs_b = [np.asarray(b(x, training=True)) for _ in range(5)]
    for out_a, out_b in zip(outs_a, outs_b, strict=True):
        np.testing.assert_array_equal(out_a, out_b)
    assert a.count_params() == 0 and a.weights == []


def test_seed_state_is_checkpointed(tmp_path):
    x = batch()
    layer = PhaseShuffle(RAD, seed=3)
    layer(x, training=True)
    path = tf.train.Checkpoint(layer=layer).save(str(tmp_path / "ckpt"))
    expected = [np.asarray(layer(x, training=True)) for _ in range(6)]
    fresh = PhaseShuffle(RAD, seed=99)
    tf.train.Checkpoint(layer=fresh).restore(path).assert_consumed()
    for want in expected:
        np.testing.assert_array_equal(np.asarray(fresh(x, training=True)), want)


def test_config_round_trip():
    layer = PhaseShuffle(3, seed=7, name="ps")
    clone = PhaseShuffle.from_config(layer.get_config())
    assert (clone.rad, clone.seed, clone.name) == (3, 7, "ps")
    assert keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)).rad == 3


def test_negative_radius_is_refused():
    with pytest.raises(ValueError, match="rad"):
        PhaseShuffle(-1)
