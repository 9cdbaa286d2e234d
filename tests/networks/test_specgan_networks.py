"""SpecGAN networks: the paper's layer sizes, shapes at any multiple of 32, config, precision."""

import types

import keras
import numpy as np
import pytest
import tensorflow as tf
from model_state import assert_checkpoint_restores_every_weight

from keras_avgan import networks
from keras_avgan.errors import UserError
from keras_avgan.networks.audio.specgan import SpecGANDiscriminator, SpecGANGenerator
from keras_avgan.training import precision
from keras_avgan.training.gan import GAN


def recipe(**fields):
    base = {"latent_dim": 100, "model_dim": 2, "spec_height": 64, "spec_width": 96,
            "spec_channels": 1}
    return types.SimpleNamespace(**{**base, **fields})


def test_parameter_counts_at_d64_match_the_paper_layout():
    d, k, z = 64, 5, 100
    widths = [16 * d, 8 * d, 4 * d, 2 * d, d, 1]  # G: from the 4 x 4 grid to one channel
    dense = z * 4 * 4 * 16 * d + 4 * 4 * 16 * d
    g_convs = sum(k * k * cin * cout + cout
                  for cin, cout in zip(widths[:-1], widths[1:], strict=True))
    d_widths = [1, d, 2 * d, 4 * d, 8 * d, 16 * d]
    d_convs = sum(k * k * cin * cout + cout
                  for cin, cout in zip(d_widths[:-1], d_widths[1:], strict=True))
    logit = 4 * 4 * 16 * d + 1
    assert SpecGANGenerator(model_dim=d).count_params() == dense + g_convs == 19_065_345
    assert SpecGANDiscriminator(model_dim=d).count_params() == d_convs + logit == 17_427_969


@pytest.mark.parametrize("height, width", [(128, 128), (64, 96)])
def test_shapes_at_small_dims_square_and_not(height, width):
    g = SpecGANGenerator(latent_dim=8, height=height, width=width, model_dim=2)
    d = SpecGANDiscriminator(height=height, width=width, model_dim=2)
    z = keras.random.uniform((3, 8), minval=-1.0, maxval=1.0, seed=0)
    x = np.asarray(g(z))
    assert x.shape == (3, height, width, 1)
    assert np.all(np.abs(x) <= 1.0)
    assert g.compute_output_shape((3, 8)) == (3, height, width, 1)
    assert tuple(d(x).shape) == (3, 1)
    assert g.get_layer("to_grid").target_shape[:2] == (height // 32, width // 32)


def test_sizes_that_do_not_halve_five_times_are_refused():
    with pytest.raises(ValueError, match="multiples of 32"):
        SpecGANGenerator(height=100, width=128, model_dim=2)
    with pytest.raises(UserError, match="spec_height"):
        networks.get_generator_builder("specgan_generator")(recipe(spec_height=48))


def test_builders_are_registered_and_read_the_spec_fields():
    g = networks.get_generator_builder("specgan_generator")(recipe(spec_channels=2))
    d = networks.get_discriminator_builder("specgan_discriminator")(recipe(spec_channels=2))
    assert g.sample_shape == (64, 96, 2) and g.latent_dim == 100
    assert (d.height, d.width, d.channels, d.model_dim) == (64, 96, 2, 2)
    # A recipe without the spec fields gets the paper's 128 x 128 x 1.
    plain = types.SimpleNamespace(latent_dim=100, model_dim=1)
    assert networks.get_generator_builder("specgan_generator")(plain).sample_shape == (128, 128, 1)


def test_config_round_trip_gives_the_same_network():
    g = SpecGANGenerator(latent_dim=8, height=64, width=64, model_dim=2)
    d = SpecGANDiscriminator(height=64, width=64, channels=1, model_dim=2)
    z = keras.random.normal((2, 8), seed=1)
    for net, x in ((g, z), (d, g(z))):
        clone = net.__class__.from_config(net.get_config())
        clone.set_weights(net.get_weights())
        np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(net(x)), rtol=1e-6)


def test_every_layer_is_in_a_tf_checkpoint(tmp_path):
    g = SpecGANGenerator(latent_dim=8, height=64, width=64, model_dim=2)
    keras.utils.set_random_seed(3)
    other = SpecGANGenerator(latent_dim=8, height=64, width=64, model_dim=2)
    assert_checkpoint_restores_every_weight(g, other, tmp_path)


def test_mixed_bfloat16_keeps_samples_and_logits_float32():
    precision.set_precision("bfloat16")
    try:
        g = SpecGANGenerator(latent_dim=8, height=64, width=64, model_dim=2)
        d = SpecGANDiscriminator(height=64, width=64, model_dim=2)
        x = g(keras.random.normal((2, 8), seed=0))
        assert x.dtype == "float32" and d(x).dtype == "float32"
        assert g.get_layer("up0").compute_dtype == "bfloat16"
    finally:
        precision.set_precision("off")


def test_a_wgan_gp_train_step_runs_on_specgan_networks():
    g = SpecGANGenerator(latent_dim=8, height=64, width=64, model_dim=2)
    d = SpecGANDiscriminator(height=64, width=64, model_dim=2)
    gan = GAN(g, d, latent_dim=8, d_steps=2, seed=0)
    gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
    real = tf.random.stateless_uniform((4, 64, 64, 1), (1, 2), minval=-1.0, maxval=1.0)
    logs = {k: float(v) for k, v in gan.train_step(real).items()}
    assert all(np.isfinite(v) for v in logs.values())
    assert (int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations)) == (2, 1)
