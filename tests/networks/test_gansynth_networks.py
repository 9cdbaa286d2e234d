"""GANSynth-style networks: layer widths, parameter counts, conditioning, pixel norm, precision."""

import types

import keras
import numpy as np
import pytest
import tensorflow as tf
from model_state import assert_checkpoint_restores_every_weight

from keras_avgan import networks
from keras_avgan.layers.pixel_norm import PixelNorm
from keras_avgan.networks.audio.gansynth import (
    GANSynthDiscriminator,
    GANSynthGenerator,
    level_widths,
)
from keras_avgan.training import precision

SMALL = {"num_classes": 3, "height": 32, "width": 64, "model_dim": 2}


def small_generator(**kwargs):
    return GANSynthGenerator(latent_dim=8, **{**SMALL, **kwargs})


def conv(k, cin, cout):
    return k * k * cin * cout + cout


def test_widths_shrink_as_resolution_grows_and_cap_at_fmap_max():
    assert level_widths(32, 256) == [256, 256, 256, 128, 64, 32]
    assert level_widths(2, 256) == [64, 32, 16, 8, 4, 2]


def test_parameter_counts_at_the_default_size():
    z, classes, w = 256, 61, [256, 256, 256, 128, 64, 32]  # 128 x 256 x 2 from a 4 x 8 grid
    grid = 4 * 8
    g = (z + classes) * grid * w[0] + grid * w[0] + conv(3, w[0], w[0])
    g += sum(conv(3, w[b - 1], w[b]) + conv(3, w[b], w[b]) for b in range(1, 6))
    g += conv(1, w[5], 2)
    d = conv(1, 2, w[5])
    d += sum(conv(3, w[b], w[b]) + conv(3, w[b], w[b - 1]) for b in range(1, 6))
    d += conv(3, w[0], w[0]) + (grid * w[0] + 1) + (grid * w[0] * classes + classes)
    assert GANSynthGenerator().count_params() == g == 6_136_578
    assert GANSynthDiscriminator().count_params() == d == 4_039_742


def test_shapes_and_two_float32_heads():
    g = small_generator()
    d = GANSynthDiscriminator(**SMALL)
    x = np.asarray(g([keras.random.normal((4, 8), seed=0), tf.constant([0, 1, 2, 0])]))
    assert x.shape == (4, 32, 64, 2) and np.all(np.abs(x) <= 1.0)
    out = d(x)
    assert tuple(out["logit"].shape) == (4, 1) and tuple(out["classes"].shape) == (4, 3)
    assert g.compute_output_shape([(4, 8), (4,)]) == (4, 32, 64, 2)
    assert (g.latent_dim, g.num_classes) == (8, 3)


def test_the_pitch_changes_the_output():
    g = small_generator()
    z = keras.random.normal((1, 8), seed=2)
    a, b = (np.asarray(g([z, tf.constant([c])])) for c in (0, 2))
    assert not np.allclose(a, b)


def test_condition_gain_scales_the_one_hot_as_the_projection_sees_it():
    # gain g on the one-hot == gain 1 with the projection's one-hot rows multiplied by g.
    z, pitch = keras.random.normal((2, 8), seed=3), tf.constant([1, 2])
    scaled = small_generator(condition_gain=16.0)
    plain = small_generator()
    plain.set_weights(scaled.get_weights())
    kernel = plain.project.kernel
    kernel.assign(tf.concat([kernel[:8], 16.0 * kernel[8:]], axis=0))
    np.testing.assert_allclose(np.asarray(scaled([z, pitch])), np.asarray(plain([z, pitch])),
                               rtol=1e-4, atol=1e-6)
    # gain 0 takes the pitch out altogether
    deaf = small_generator(condition_gain=0.0)
    np.testing.assert_array_equal(np.asarray(deaf([z[:1], tf.constant([0])])),
                                  np.asarray(deaf([z[:1], tf.constant([2])])))
    assert GANSynthGenerator.from_config(scaled.get_config()).condition_gain == 16.0


def test_pixel_norm_gives_unit_rms_per_position_and_survives_float16():
    x = tf.constant([[[3.0, 4.0]], [[0.0, 0.0]]])
    out = np.asarray(PixelNorm()(x))
    np.testing.assert_allclose(np.sqrt(np.mean(out[0] ** 2)), 1.0, rtol=1e-5)
    assert np.all(np.isfinite(out))
    big = PixelNorm(dtype="float16")(tf.constant([[1000.0, 1000.0]], tf.float16))
    np.testing.assert_allclose(np.asarray(big, "float32"), [[1.0, 1.0]], rtol=1e-3)
    assert PixelNorm.from_config(PixelNorm(epsilon=1e-6).get_config()).epsilon == 1e-6


def test_builders_are_registered_and_read_the_recipe():
    recipe = types.SimpleNamespace(latent_dim=8, model_dim=2, num_classes=5, spec_height=32,
                                   spec_width=64, spec_channels=2, condition_gain=16.0)
    g = networks.get_generator_builder("gansynth_generator")(recipe)
    d = networks.get_discriminator_builder("gansynth_discriminator")(recipe)
    assert (g.latent_dim, g.num_classes, g.sample_shape) == (8, 5, (32, 64, 2))
    assert g.condition_gain == 16.0
    assert d.compute_output_shape((None, 32, 64, 2)) == {"logit": (None, 1),
                                                         "classes": (None, 5)}


def test_config_round_trip_gives_the_same_networks():
    g = small_generator(convs_per_block=1)
    d = GANSynthDiscriminator(**SMALL, convs_per_block=1)
    inputs = [keras.random.normal((2, 8), seed=1), tf.constant([1, 2])]
    g_clone = GANSynthGenerator.from_config(g.get_config())
    g_clone.set_weights(g.get_weights())
    x = g(inputs)
    np.testing.assert_allclose(np.asarray(g_clone(inputs)), np.asarray(x), rtol=1e-6)
    d_clone = GANSynthDiscriminator.from_config(d.get_config())
    d_clone.set_weights(d.get_weights())
    ours, theirs = d(x), d_clone(x)
    for key in ("logit", "classes"):
        np.testing.assert_allclose(np.asarray(theirs[key]), np.asarray(ours[key]), rtol=1e-5)


def test_every_layer_is_in_a_tf_checkpoint(tmp_path):
    assert_checkpoint_restores_every_weight(GANSynthDiscriminator(**SMALL),
                                            GANSynthDiscriminator(**SMALL), tmp_path)


def test_mixed_bfloat16_keeps_samples_and_both_heads_float32():
    precision.set_precision("bfloat16")
    try:
        g = small_generator()
        d = GANSynthDiscriminator(**SMALL)
        x = g([keras.random.normal((2, 8), seed=0), tf.constant([0, 1])])
        assert x.dtype == "float32"
        assert {k: out.dtype for k, out in d(x).items()} == {"logit": "float32",
                                                             "classes": "float32"}
    finally:
        precision.set_precision("off")


def test_sizes_that_do_not_halve_five_times_are_refused():
    with pytest.raises(ValueError, match="multiples of 32"):
        GANSynthDiscriminator(height=48, width=64)
