"""WaveGAN networks: parameter counts from the paper's layout, shapes, ranges, configs, dtypes."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf
from model_state import assert_checkpoint_restores_every_weight

from keras_avgan import networks, recipes
from keras_avgan.errors import UserError
from keras_avgan.networks.audio.wavegan import WaveGANDiscriminator, WaveGANGenerator
from keras_avgan.training import precision


@pytest.fixture
def float32_policy():
    yield
    keras.config.set_dtype_policy("float32")


def _z(batch, dim=100, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, dim)).astype("float32")


def test_parameter_counts_match_the_paper_at_d64():
    # Counted from the layout: Dense 100->16*1024 plus five k25 transposed convs (G);
    # five k25 convs plus Dense(16*1024 -> 1) (D). Built at construction, so no call is needed.
    assert WaveGANGenerator(model_dim=64, slice_len=16384).count_params() == 19_065_345
    assert WaveGANDiscriminator(model_dim=64, slice_len=16384).count_params() == 17_427_969


@pytest.mark.parametrize("slice_len", [16384, 32768, 65536])
def test_shapes_and_range_for_every_slice_length(slice_len):
    g = WaveGANGenerator(latent_dim=100, slice_len=slice_len, model_dim=2)
    d = WaveGANDiscriminator(slice_len=slice_len, model_dim=2)
    audio = g(_z(2), training=False)
    assert tuple(audio.shape) == (2, slice_len, 1)
    values = keras.ops.convert_to_numpy(audio)
    assert np.all(np.abs(values) <= 1.0)
    logits = d(audio, training=True)  # training: phase shuffle active
    assert tuple(logits.shape) == (2, 1)
    assert g.latent_dim == 100


def test_nearest_neighbour_upsampling_and_post_filter():
    g = WaveGANGenerator(model_dim=2, upsample="nn", post_filter=True, channels=2)
    assert tuple(g(_z(1)).shape) == (1, 16384, 2)
    post = g.get_layer("post_filter")
    assert tuple(post.kernel.shape) == (512, 2, 2) and not post.use_bias


@pytest.mark.parametrize("length", [512, 5, 16])
def test_post_filter_starts_as_pass_through(length):
    # The post-filter begins as the identity: the generator's first outputs are those of the
    # plain generator, not a random 512-tap filtering of them. Odd and even lengths both centre.
    g = WaveGANGenerator(model_dim=2, post_filter=True, post_filter_len=length, channels=2)
    x = _z(2)
    for layer in g._sequence()[:-1]:
        x = layer(x)
    unfiltered = keras.ops.convert_to_numpy(x)
    assert np.abs(unfiltered).max() > 0.01  # a real signal, not zeros passing through
    np.testing.assert_allclose(keras.ops.convert_to_numpy(g(_z(2))), unfiltered, atol=1e-6)


def test_get_config_round_trip_keeps_architecture():
    g = WaveGANGenerator(latent_dim=8, slice_len=32768, model_dim=2, kernel_len=5,
                         upsample="nn", post_filter=True, post_filter_len=16)
    d = WaveGANDiscriminator(slice_len=65536, model_dim=2, kernel_len=5, phase_shuffle=1, seed=3)
    for net in (g, d):
        clone = type(net).from_config(net.get_config())
        assert clone.get_config() == net.get_config()
        assert clone.count_params() == net.count_params()


def test_builders_from_the_recipe_and_dict_lookup():
    recipe = dataclasses.replace(recipes.WAVEGAN, model_dim=2, latent_dim=10)
    g = networks.get_generator_builder(recipe.generator)(recipe)
    d = networks.get_discriminator_builder(recipe.discriminator)(recipe)
    assert g.latent_dim == 10 and tuple(d(g(_z(1, 10))).shape) == (1, 1)
    assert networks.GENERATORS["wavegan_generator"] is not None
    with pytest.raises(UserError, match="wavegan_generator"):
        networks.get_generator_builder("nope")
    with pytest.raises(UserError, match="wavegan_discriminator"):
        networks.get_discriminator_builder("nope")
    with pytest.raises(UserError, match="slice_len"):
        networks.get_generator_builder(recipe.generator)(
            dataclasses.replace(recipe, slice_len=1000))


def test_g_model_dim_widens_the_generator_only():
    recipe = recipes.apply_overrides(recipes.WAVEGAN, ["model_dim=4", "g_model_dim=8"])
    g = networks.get_generator_builder(recipe.generator)(recipe)
    d = networks.get_discriminator_builder(recipe.discriminator)(recipe)
    assert (g.model_dim, d.model_dim) == (8, 4)
    assert g.count_params() == WaveGANGenerator(model_dim=8).count_params()
    assert d.count_params() == WaveGANDiscriminator(model_dim=4).count_params()
    same = dataclasses.replace(recipe, g_model_dim=0)
    assert networks.get_generator_builder(same.generator)(same).model_dim == 4
    with pytest.raises(recipes.RecipeError, match="g_model_dim must be 0"):
        recipes.apply_overrides(recipes.WAVEGAN, ["g_model_dim=-1"])
    with pytest.raises(recipes.RecipeError, match="g_model_dim is an option of WaveGAN"):
        recipes.apply_overrides(recipes.SPECGAN, ["g_model_dim=8"])


@pytest.mark.parametrize("policy, compute", [("mixed_float16", "float16"),
                                             ("mixed_bfloat16", "bfloat16")])
def test_mixed_precision_keeps_tanh_and_logit_float32(float32_policy, policy, compute):
    keras.config.set_dtype_policy(policy)
    g = WaveGANGenerator(model_dim=2)
    d = WaveGANDiscriminator(model_dim=2)
    assert g.get_layer("up0").compute_dtype == compute
    assert g.get_layer("project").variable_dtype == "float32"
    assert d.get_layer("down0").compute_dtype == compute
    audio = g(_z(2))
    assert audio.dtype == "float32"
    assert d(audio, training=True).dtype == "float32"


def test_long_slice_parameter_counts_at_d32():
    # dim_mul 32: Dense 100 -> 16*1024, transposed convs 1024,512,256,128,64,32 -> 1 (G);
    # convs 1 -> 32..1024 and Dense(16*1024 -> 1) (D). Strides do not change the counts.
    for slice_len in (32768, 65536):
        assert WaveGANGenerator(model_dim=32, slice_len=slice_len).count_params() == 19_115_777
        assert WaveGANDiscriminator(model_dim=32, slice_len=slice_len).count_params() == 17_478_401


def test_keras_transposed_conv_matches_the_reference_2d_formulation():
    # The paper's code runs a 2-D transposed conv (kernel 1x25, stride 1x4, SAME) on an
    # expanded axis; Keras' Conv1DTranspose must give the same numbers and length 4x.
    layer = keras.layers.Conv1DTranspose(3, 25, strides=4, padding="same",
                                         bias_initializer="glorot_uniform")
    x = np.random.default_rng(1).normal(size=(2, 16, 5)).astype("float32")
    out = np.asarray(layer(x))
    kernel = np.asarray(layer.kernel)  # [25, filters, in_channels]
    reference = tf.nn.conv2d_transpose(x[:, None], kernel[None], output_shape=[2, 1, 64, 3],
                                       strides=[1, 1, 4, 1], padding="SAME")[:, 0]
    np.testing.assert_allclose(out, np.asarray(reference) + np.asarray(layer.bias), atol=1e-5)


def test_discriminator_shuffles_only_while_training_and_generator_describes_itself():
    g = WaveGANGenerator(model_dim=2)
    d = WaveGANDiscriminator(model_dim=2, seed=0)
    audio = np.random.default_rng(2).uniform(-1, 1, (2, 16384, 1)).astype("float32")
    infer = [np.asarray(d(audio)) for _ in range(2)]
    np.testing.assert_array_equal(infer[0], infer[1])
    trained = [np.asarray(d(audio, training=True)) for _ in range(6)]
    assert any(not np.array_equal(t, infer[0]) for t in trained)
    shuffles = [layer for layer in d.layers if layer.__class__.__name__ == "PhaseShuffle"]
    assert len(shuffles) == 4 and all(s.rad == 2 for s in shuffles)
    assert g.sample_shape == (16384, 1)
    assert tuple(g.input_spec.shape) == (None, 100)


def test_class_conditioned_parameter_counts_add_the_one_hot_rows_and_the_class_head():
    # G: 5 more input rows to the Dense 100 -> 16 * 1024. D: Dense(16 * 1024 -> 5) beside
    # the logit, on the same flattened features.
    assert WaveGANGenerator(model_dim=64, num_classes=5).count_params() == \
        19_065_345 + 5 * 16 * 1024
    assert WaveGANDiscriminator(model_dim=64, num_classes=5).count_params() == \
        17_427_969 + 16 * 1024 * 5 + 5


def _conditioned_pair(**generator_kwargs):
    keras.utils.set_random_seed(0)
    generator = WaveGANGenerator(model_dim=2, num_classes=3, **generator_kwargs)
    critic = WaveGANDiscriminator(model_dim=2, num_classes=3, spectral_branch=True,
                                  minibatch_stddev=2, phase_shuffle=0)
    return generator, critic


def test_a_class_conditioned_pair_takes_classes_and_answers_with_two_float32_heads():
    generator, critic = _conditioned_pair()
    z, classes = _z(4), tf.constant([0, 1, 2, 0])
    audio = generator([z, classes])
    assert tuple(audio.shape) == (4, 16384, 1) and np.abs(np.asarray(audio)).max() <= 1.0
    assert generator.compute_output_shape([(4, 100), (4,)]) == (4, 16384, 1)
    out = critic(audio)
    assert {k: tuple(v.shape) for k, v in out.items()} == {"logit": (4, 1), "classes": (4, 3)}
    assert critic.compute_output_shape((4, 16384, 1)) == {"logit": (4, 1), "classes": (4, 3)}
    # The class is heard: the same z at another class is another sound.
    a, b = (np.asarray(generator([z[:1], tf.constant([c])])) for c in (0, 2))
    assert not np.allclose(a, b)


def test_condition_gain_scales_the_one_hot_as_the_projection_sees_it():
    z, classes = _z(2, seed=3), tf.constant([1, 2])
    scaled, _ = _conditioned_pair(condition_gain=6.0)
    plain, _ = _conditioned_pair()
    plain.set_weights(scaled.get_weights())
    kernel = plain.project.kernel
    kernel.assign(tf.concat([kernel[:100], 6.0 * kernel[100:]], axis=0))
    np.testing.assert_allclose(np.asarray(scaled([z, classes])),
                               np.asarray(plain([z, classes])), rtol=1e-4, atol=1e-6)


def test_a_class_conditioned_pair_round_trips_its_config_and_checkpoints(tmp_path):
    generator, critic = _conditioned_pair(condition_gain=6.0)
    inputs = [_z(2), tf.constant([2, 1])]
    clone = WaveGANGenerator.from_config(generator.get_config())
    clone.set_weights(generator.get_weights())
    np.testing.assert_allclose(np.asarray(clone(inputs)), np.asarray(generator(inputs)),
                               rtol=1e-6)
    x = generator(inputs)
    critic_clone = WaveGANDiscriminator.from_config(critic.get_config())
    critic_clone.set_weights(critic.get_weights())
    for key, value in critic(x).items():
        np.testing.assert_allclose(np.asarray(critic_clone(x)[key]), np.asarray(value),
                                   rtol=1e-5, atol=1e-6)
    assert_checkpoint_restores_every_weight(critic, _conditioned_pair()[1], tmp_path)


def test_a_class_conditioned_wavegan_keeps_both_heads_float32_under_bfloat16(float32_policy):
    precision.set_precision("bfloat16")
    try:
        generator, critic = _conditioned_pair()
        x = generator([_z(2), tf.constant([0, 1])])
        assert x.dtype == "float32"
        assert {k: v.dtype for k, v in critic(x).items()} == {"logit": "float32",
                                                              "classes": "float32"}
    finally:
        precision.set_precision("off")
