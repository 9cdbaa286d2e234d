"""MinibatchStddev: hand-computed values, groups that never mix real and fake halves."""

import numpy as np
import pytest

from keras_avgan import recipes
from keras_avgan.layers.minibatch_stddev import MinibatchStddev
from keras_avgan.networks import wavegan


def test_each_group_gets_its_own_mean_std_as_a_channel():
    x = np.zeros((4, 2, 1), np.float32)
    x[0, :, 0], x[1, :, 0] = [0.0, 2.0], [2.0, 0.0]  # group 1: std 1 at both positions
    x[2, :, 0], x[3, :, 0] = [5.0, 5.0], [5.0, 5.0]  # group 2: identical rows, std 0
    y = np.asarray(MinibatchStddev(2)(x))
    assert y.shape == (4, 2, 2)
    np.testing.assert_array_equal(y[..., 0], x[..., 0])
    np.testing.assert_allclose(y[:2, :, 1], 1.0, atol=1e-4)
    np.testing.assert_allclose(y[2:, :, 1], 0.0, atol=1e-3)  # sqrt(0 + 1e-8)


def test_groups_are_consecutive_rows_so_real_and_fake_stay_apart():
    real = np.random.default_rng(0).normal(size=(4, 3, 2)).astype(np.float32)
    fake = np.zeros((4, 3, 2), np.float32)  # a collapsed generator
    y = np.asarray(MinibatchStddev(4)(np.concatenate([real, fake])))
    assert np.all(y[:4, :, -1] > 0.3) and np.all(y[4:, :, -1] < 1e-3)


def test_the_recipe_option_adds_one_channel_and_checks_the_group():
    base = recipes.with_smoke(recipes.WAVEGAN)
    plain = wavegan.build_discriminator(base).count_params()
    with_std = wavegan.build_discriminator(recipes.replace(base, minibatch_stddev=2))
    # One more input channel of the logit: one more weight per remaining position.
    assert with_std.count_params() - plain == base.slice_len // 4 ** 5 * 1
    with pytest.raises(recipes.RecipeError, match="minibatch_stddev"):
        recipes.replace(base, minibatch_stddev=3)  # batch 4 does not split into groups of 3
    with pytest.raises(ValueError, match="group_size"):
        MinibatchStddev(1)
