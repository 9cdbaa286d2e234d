"""DCGAN networks: Radford et al.'s layer sizes as a closed form, shapes at 64 and 128,
the spectral-norm critic, and the checks every network gets."""

import types

import keras
import numpy as np
import pytest
import tensorflow as tf
from network_checks import (
    assert_bfloat16_keeps_outputs_float32,
    assert_checkpointed,
    assert_config_round_trip,
    assert_one_step_trains,
)

from keras_avgan import networks, recipes
from keras_avgan.errors import UserError
from keras_avgan.networks.image.dcgan import DCGANDiscriminator, DCGANGenerator
from keras_avgan.training.terms import R1Penalty

BN = 4  # batch norm: scale, offset, moving mean, moving variance per channel


def closed_form(d: int, size: int, k: int = 5, z: int = 100) -> tuple[int, int]:
    """(G, D) weights: z -> 4x4xC0 (no bias, BN) -> transposed convs halving the width
    (no bias, BN) -> 3 channels (bias); D mirrors it with a biased first conv, no BN there,
    and a Dense(1) on the 4 x 4 grid."""
    layers = int(np.log2(size // 4))
    g_widths = [d * 2 ** (layers - 1 - i) for i in range(layers)] + [3]
    g = z * 16 * g_widths[0] + BN * g_widths[0]
    for cin, cout in zip(g_widths[:-2], g_widths[1:-1], strict=True):
        g += k * k * cin * cout + BN * cout
    g += k * k * g_widths[-2] * 3 + 3
    d_widths = [3] + [d * 2 ** i for i in range(layers)]
    dis = k * k * 3 * d + d
    for cin, cout in zip(d_widths[1:-1], d_widths[2:], strict=True):
        dis += k * k * cin * cout + BN * cout
    return g, dis + 16 * d_widths[-1] + 1


def test_the_papers_64x64_networks():
    # d = 128: 4x4x1024 -> 512 -> 256 -> 128 -> 3, as the paper's figure 1.
    generator = DCGANGenerator(model_dim=128)
    assert generator.get_layer("to_grid").target_shape == (4, 4, 1024)
    g, d = closed_form(128, 64)
    assert generator.count_params() == g == 18_858_883
    assert DCGANDiscriminator(model_dim=128).count_params() == d


def test_show_summary_prints_the_recipes_counts(capsys):
    from keras_avgan.cli import main

    assert main(["show", "dcgan", "--summary"]) == 0
    g, d = closed_form(recipes.DCGAN.model_dim, 64, recipes.DCGAN.kernel_size)
    printed = capsys.readouterr().out
    assert f"generator parameters: {g}" in printed
    assert f"discriminator parameters: {d}" in printed


@pytest.mark.parametrize("size, kernel", [(64, 5), (128, 4)])
def test_shapes_and_counts_at_small_widths(size, kernel):
    g_net = DCGANGenerator(latent_dim=100, image_size=size, model_dim=2, kernel_size=kernel)
    d_net = DCGANDiscriminator(image_size=size, model_dim=2, kernel_size=kernel)
    z = keras.random.uniform((3, 100), minval=-1.0, maxval=1.0, seed=0)
    x = np.asarray(g_net(z))
    assert x.shape == (3, size, size, 3) and np.all(np.abs(x) <= 1.0)
    assert tuple(d_net(x).shape) == (3, 1)
    assert (g_net.count_params(), d_net.count_params()) == closed_form(2, size, kernel)


def test_batch_norm_everywhere_but_the_generators_output_and_the_critics_input():
    g_net, d_net = DCGANGenerator(model_dim=2), DCGANDiscriminator(model_dim=2)
    norms = [layer.name for layer in g_net.layers if "norm" in layer.name]
    assert norms == ["norm0", "norm1", "norm2", "norm3"]  # after project and up1..up3
    assert g_net.get_layer("up4").use_bias and not g_net.get_layer("up1").use_bias
    assert not any(layer.name == "norm0" for layer in d_net.layers)
    assert d_net.get_layer("down0").use_bias and not d_net.get_layer("down1").use_bias
    weights = np.asarray(g_net.get_layer("up2").kernel)
    assert abs(weights.std() - 0.02) < 0.002 and abs(weights.mean()) < 0.002


def test_the_spectral_norm_critic_drops_batch_norm():
    critic = DCGANDiscriminator(model_dim=2, spectral_norm=True)
    assert not [layer for layer in critic.layers if "norm" in layer.name and
                isinstance(layer, keras.layers.BatchNormalization)]
    names = [layer.name for layer in critic.layers]
    assert "down3_sn" in names and "logit_sn" in names
    x = tf.random.stateless_uniform((2, 64, 64, 3), (0, 1), minval=-1.0, maxval=1.0)
    assert tuple(critic(x, training=True).shape) == (2, 1)


def test_sizes_that_are_not_four_times_a_power_of_two_are_refused():
    with pytest.raises(UserError, match="image_size"):
        DCGANGenerator(image_size=96, model_dim=2)


def test_builders_read_the_recipe():
    recipe = types.SimpleNamespace(latent_dim=16, image_size=128, model_dim=2, kernel_size=4,
                                   spectral_norm=True)
    g_net = networks.get_generator_builder("dcgan_generator")(recipe)
    d_net = networks.get_discriminator_builder("dcgan_discriminator")(recipe)
    assert g_net.sample_shape == (128, 128, 3) and g_net.latent_dim == 16
    assert (d_net.image_size, d_net.kernel_size, d_net.spectral_norm) == (128, 4, True)


def small_pair():
    return DCGANGenerator(latent_dim=8, model_dim=2), DCGANDiscriminator(model_dim=2)


def test_the_checks_every_network_gets(tmp_path):
    generator, critic = small_pair()
    z = keras.random.normal((2, 8), seed=1)
    assert_config_round_trip(generator, z)
    assert_config_round_trip(critic, generator(z))
    assert_checkpointed(lambda: DCGANGenerator(latent_dim=8, model_dim=2), tmp_path)
    assert_bfloat16_keeps_outputs_float32(small_pair, z)
    real = tf.random.stateless_uniform((4, 64, 64, 3), (1, 2), minval=-1.0, maxval=1.0)
    assert_one_step_trains(*small_pair(), real, loss="dcgan", d_steps=1)


def test_the_hinge_loss_with_a_spectral_norm_critic_and_r1_trains():
    generator = DCGANGenerator(latent_dim=8, model_dim=2)
    critic = DCGANDiscriminator(model_dim=2, spectral_norm=True)
    real = tf.random.stateless_uniform((2, 64, 64, 3), (3, 4), minval=-1.0, maxval=1.0)
    logs = assert_one_step_trains(generator, critic, real, loss="hinge", d_steps=1,
                                  terms=[R1Penalty(1.0)])
    assert logs["r1"] > 0
