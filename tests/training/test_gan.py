"""GAN: fit, the d_steps semantics, exact checkpoint resume, generation, and learning."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from model_state import assert_same, gan_state

from keras_avgan import latents, networks, recipes
from keras_avgan.training import losses, precision
from keras_avgan.training.builders import build_gan
from keras_avgan.training.gan import GAN
from keras_avgan.training.terms import R1Penalty

SMOKE = recipes.replace(recipes.with_smoke(recipes.WAVEGAN), batch_size=2, d_steps=2)


def smoke_gan(init_seed=0, gan_seed=0, recipe=SMOKE):
    keras.utils.set_random_seed(init_seed)  # weights and phase-shuffle seeds
    gan = GAN(networks.get_generator_builder(recipe.generator)(recipe),
              networks.get_discriminator_builder(recipe.discriminator)(recipe),
              latent_dim=recipe.latent_dim, latent_dist=recipe.latent_dist, loss=recipe.loss,
              d_steps=recipe.d_steps, gp_weight=recipe.gp_weight, seed=gan_seed)
    gan.compile(*precision.make_optimizers(recipe))
    return gan


def real_audio(seed, recipe=SMOKE):
    rows = recipe.batch_size * recipe.d_steps
    noise = np.random.default_rng(seed).uniform(-0.5, 0.5, (rows, recipe.slice_len, 1))
    return tf.constant(noise.astype("float32"))


def dense_net(units, inputs, **kwargs):
    layers = [keras.layers.Dense(u, activation="leaky_relu") for u in units[:-1]]
    return keras.Sequential([keras.Input((inputs,)), *layers,
                             keras.layers.Dense(units[-1], **kwargs)])


def test_fit_runs_without_a_keras_optimizer_and_reports_the_losses():
    gan = smoke_gan()
    data = tf.data.Dataset.from_tensors(real_audio(0)).repeat()
    history = gan.fit(data, steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
    assert set(history.history) == {"d_loss", "g_loss", "gp", "w_dist", "loss"}
    assert history.history["loss"] == history.history["d_loss"]
    assert gan.optimizer is None
    assert int(gan.d_optimizer.iterations) == 2 * SMOKE.d_steps
    assert int(gan.g_optimizer.iterations) == 2


def test_each_d_update_takes_its_own_fresh_real_chunk():
    # G(z) = 0 and D(x) = <w, x> from w = 0; LSGAN D loss = E[(<w, x> - 1)^2] (+ E[0^2]).
    # Chunk 1 is all (1, 0), chunk 2 all (0, 1); SGD(0.1) gives w = (0.2, 0) then (0.2, 0.2).
    # Reusing chunk 1 would give (0.36, 0); the whole batch twice would give (0.19, 0.19).
    g = dense_net([2], 3, kernel_initializer="zeros")
    d = dense_net([1], 2, use_bias=False, kernel_initializer="zeros")
    gan = GAN(g, d, latent_dim=3, loss="lsgan", d_steps=2, seed=0)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    real = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], "float32")
    gan.train_step(tf.constant(real))
    np.testing.assert_allclose(np.asarray(d.weights[0])[:, 0], [0.2, 0.2], rtol=1e-6)
    assert (int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations)) == (2, 1)


def test_r1_penalty_pulls_the_critic_weights_by_gamma_times_themselves():
    # D(x) = <w, x> with w = (1, 1): R1 = ||w||^2, so gamma / 2 * R1 adds gamma * w to D's
    # gradient. One SGD(0.1) update with gamma = 4 must leave w 0.4 lower per component
    # than the same update without the penalty, and report R1 = 2.
    def trained_critic(gamma):
        keras.utils.set_random_seed(0)
        g = dense_net([2], 3)
        d = dense_net([1], 2, use_bias=False, kernel_initializer="ones")
        gan = GAN(g, d, latent_dim=3, loss="lsgan", d_steps=1, seed=0,
                  terms=[R1Penalty(gamma)] if gamma else [])
        gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.0))
        results = gan.train_step(tf.constant([[1.0, 0.0], [0.0, 1.0]]))
        return np.asarray(d.weights[0])[:, 0], results

    plain, plain_results = trained_critic(0.0)
    penalised, results = trained_critic(4.0)
    np.testing.assert_allclose(plain - penalised, [0.4, 0.4], rtol=1e-5)
    assert "r1" not in plain_results and float(results["r1"]) == pytest.approx(2.0)
    assert float(results["d_loss"]) == pytest.approx(float(plain_results["d_loss"]) + 4.0)


def test_r1_gamma_is_kept_in_the_config_and_refused_when_negative():
    def gan(gamma):
        return GAN(dense_net([2], 3), dense_net([1], 2), latent_dim=3, terms=[R1Penalty(gamma)])

    assert GAN.from_config(gan(10.0).get_config()).extra_terms[0].gamma == 10.0
    with pytest.raises(ValueError, match="r1_gamma"):
        gan(-1.0)


def test_a_batch_element_the_gan_cannot_use_is_refused():
    gan = GAN(dense_net([2], 3), dense_net([1], 2), latent_dim=3, d_steps=1, outputs=("audio",))
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    x = tf.zeros((2, 2))
    with pytest.raises(ValueError, match=r"\['image'\].*cannot use"):
        gan.train_step({"audio": x, "image": x})
    with pytest.raises(ValueError, match="audio"):
        gan.train_step({"image": x})
    with pytest.raises(ValueError, match="in this order"):
        gan.train_step((x, tf.zeros((2,))))  # (audio, labels) for an unconditional GAN
    assert set(gan.train_step({"audio": x})) >= {"d_loss", "g_loss"}


def two_output_networks():
    """G(z) -> {"image": [B, 2], "audio": [B, 3]}; D sees both and returns one logit."""
    z = keras.Input((4,))
    h = keras.layers.Dense(8, activation="relu")(z)
    generator = keras.Model(z, {"image": keras.layers.Dense(2)(h),
                                "audio": keras.layers.Dense(3)(h)})
    image, audio = keras.Input((2,), name="image"), keras.Input((3,), name="audio")
    joined = keras.layers.Concatenate()([image, audio])
    critic = keras.Model({"image": image, "audio": audio},
                         keras.layers.Dense(1)(keras.layers.Dense(8, activation="relu")(joined)))
    return generator, critic


def test_a_generator_with_two_outputs_trains_on_both_with_the_penalty():
    keras.utils.set_random_seed(0)
    gan = GAN(*two_output_networks(), latent_dim=4, d_steps=2, seed=0,
              outputs=("image", "audio"))
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    batch = {"image": tf.ones((4, 2)), "audio": -tf.ones((4, 3))}
    before = [np.array(w) for w in gan.discriminator.weights]
    logs = {k: float(v) for k, v in tf.function(gan.train_step)(batch).items()}
    assert set(logs) == {"d_loss", "g_loss", "gp", "w_dist", "loss"}
    assert all(np.isfinite(v) for v in logs.values()) and logs["gp"] > 0
    assert any(not np.array_equal(a, np.array(b)) for a, b in
               zip(before, gan.discriminator.weights, strict=True))
    made = gan.generate(3, seed=1)
    assert made["image"].shape == (3, 2) and made["audio"].shape == (3, 3)


def test_a_batch_that_does_not_split_into_d_steps_chunks_is_refused():
    gan = GAN(dense_net([2], 3), dense_net([1], 2), latent_dim=3, d_steps=2)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    with pytest.raises(ValueError, match="d_steps"):
        gan.train_step(tf.zeros((3, 2)))


def test_training_before_compile_says_what_to_do():
    gan = GAN(dense_net([2], 3), dense_net([1], 2), latent_dim=3, d_steps=1)
    with pytest.raises(RuntimeError, match="compile"):
        gan.train_step(tf.zeros((2, 2)))


def test_build_all_creates_optimizer_slots_before_any_step():
    gan = smoke_gan()
    for opt, net in ((gan.d_optimizer, gan.discriminator), (gan.g_optimizer, gan.generator)):
        # iterations, learning rate, then Adam's two moments per trainable variable
        assert len(opt.variables) == 2 + 2 * len(net.trainable_variables)
        assert int(opt.iterations) == 0


def test_restore_into_a_fresh_gan_resumes_exactly(tmp_path, deterministic_ops):
    gan = smoke_gan(init_seed=0, gan_seed=1)
    step = gan.train_step  # eager: two steps cost less than tracing the step twice
    step(real_audio(0))
    path = tf.train.Checkpoint(gan=gan).save(str(tmp_path / "ckpt"))
    saved = gan_state(gan)
    gan.reset_metrics()
    logs = {k: float(v) for k, v in step(real_audio(1)).items()}
    after = gan_state(gan)

    fresh = smoke_gan(init_seed=5, gan_seed=2)
    assert not np.array_equal(gan_state(fresh)[0], saved[0])  # really a different start
    tf.train.Checkpoint(gan=fresh).restore(path).assert_consumed()
    assert_same(gan_state(fresh), saved)
    fresh_logs = {k: float(v) for k, v in fresh.train_step(real_audio(1)).items()}
    assert fresh_logs == logs
    assert_same(gan_state(fresh), after)


def test_generate_from_a_seed_or_from_latents():
    gan = smoke_gan()
    first = np.asarray(gan.generate(3, seed=4))
    np.testing.assert_array_equal(first, np.asarray(gan.generate(3, seed=4)))
    z = latents.sample_latents(3, SMOKE.latent_dim, SMOKE.latent_dist, 4)
    np.testing.assert_array_equal(first, np.asarray(gan.generate(z)))
    assert first.shape == (3, SMOKE.slice_len, 1)
    assert np.all(np.abs(first) <= 1.0)


def test_training_latents_are_uniform_in_minus_one_one():
    z = np.asarray(smoke_gan().sample_latents(256))
    assert z.shape == (256, SMOKE.latent_dim)
    assert z.min() >= -1.0 and z.max() <= 1.0 and z.min() < -0.99 and z.max() > 0.99


def test_config_round_trip_rebuilds_both_networks():
    gan = smoke_gan()
    clone = GAN.from_config(gan.get_config())
    assert clone.generator.count_params() == gan.generator.count_params()
    assert clone.discriminator.count_params() == gan.discriminator.count_params()
    assert (clone.d_steps, clone.loss_name, clone.latent_dim) == (2, "wgan-gp", 100)


MU = np.array([2.0, -1.0], "float32")


def mean_gap(gan):
    return float(np.linalg.norm(np.asarray(gan.generate(512, seed=1)).mean(axis=0) - MU))


@pytest.mark.parametrize("loss", sorted(losses.LOSSES))
def test_each_loss_moves_the_samples_to_the_data(loss):
    # 2-D Gaussian data far from where a fresh generator puts its samples; 600 G steps of
    # small dense nets must close most of the gap (measured: to 4-22% of the start).
    keras.utils.set_random_seed(0)
    gan = GAN(dense_net([16, 2], 4), dense_net([32, 1], 2), latent_dim=4, loss=loss,
              d_steps=5, seed=0)
    gan.compile(keras.optimizers.Adam(5e-3, 0.5, 0.9), keras.optimizers.Adam(5e-3, 0.5, 0.9))
    step = tf.function(gan.train_step)
    rng = np.random.default_rng(0)
    before = mean_gap(gan)
    for _ in range(600):
        step(tf.constant(MU + 0.2 * rng.normal(size=(5 * 32, 2)).astype("float32")))
    after = mean_gap(gan)
    assert before > 1.5
    assert after < 0.35 * before, (before, after)


def test_generator_ema_averages_with_a_warm_up():
    recipe = recipes.replace(SMOKE, g_ema=0.9)
    gan = build_gan(recipe, seed=0)
    gan.compile(*precision.make_optimizers(recipe))
    start = [w.numpy() for w in gan.generator.weights]
    assert all(np.array_equal(a.numpy(), s) for a, s in zip(gan.inference_generator.weights,
                                                            start, strict=True))
    gan.train_step(real_audio(0, recipe))
    trained = [w.numpy() for w in gan.generator.weights]
    decay = min(0.9, 2.0 / 11.0)  # after the first G update t = 1: (1 + t) / (10 + t)
    for average, s, w in zip(gan.inference_generator.weights, start, trained, strict=True):
        np.testing.assert_allclose(average.numpy(), decay * s + (1 - decay) * w, rtol=1e-5,
                                   atol=1e-7)
    assert any(not np.array_equal(s, w) for s, w in zip(start, trained, strict=True))
    assert gan.inference_generator is gan.generator_ema
    with pytest.raises(ValueError, match="ema_decay"):
        GAN(gan.generator, gan.discriminator, latent_dim=recipe.latent_dim, ema_decay=0.9)


def test_a_critic_with_batch_norm_sees_real_and_fake_batches_apart():
    # BN over concat([real, fake]) would normalise both halves with shared statistics, which
    # tell them apart; the G update shows D fakes alone. Apart, D(x) below is BN(x) of each
    # batch on its own: every real batch and every fake batch then has mean logit 0.
    g = dense_net([2], 3)
    x = keras.Input((2,))
    d = keras.Model(x, keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")(
        keras.layers.BatchNormalization(center=False, scale=False)(x)))
    gan = GAN(g, d, latent_dim=3, loss="lsgan", d_steps=1, seed=0)
    assert gan.separate_passes and not GAN(dense_net([2], 3), dense_net([1], 2),
                                           latent_dim=3).separate_passes
    real = tf.constant([[5.0, 5.0], [7.0, 7.0]])
    fake = tf.constant([[0.0, 0.0], [1.0, 1.0]])
    real_out, fake_out = gan._critic_outputs(real, fake, {})
    np.testing.assert_allclose(np.mean(real_out["logit"]), 0.0, atol=1e-4)
    np.testing.assert_allclose(np.mean(fake_out["logit"]), 0.0, atol=1e-4)


def two_head_critic(inputs):
    x = keras.Input((inputs,))
    hidden = keras.layers.Dense(8, activation="tanh")(x)
    return keras.Model(x, {"logit": keras.layers.Dense(1)(hidden),
                           "face_logit": keras.layers.Dense(1)(keras.ops.square(hidden))})


@pytest.mark.parametrize("heads", [("logit",), ("logit", "face_logit")])
def test_r1_taken_through_the_updates_own_pass_is_the_penalty_of_a_pass_on_the_real_rows(heads):
    # The critic update reads R1's input gradient from its joint pass over real and fake;
    # it must equal the penalty of a separate pass on the real rows, taken before the update.
    keras.utils.set_random_seed(1)
    d = two_head_critic(2)
    gan = GAN(dense_net([4, 2], 3), d, latent_dim=3, loss="dcgan", d_steps=1, seed=0,
              terms=[R1Penalty(2.0, heads=heads)])
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.0))
    real = tf.constant(np.random.default_rng(0).normal(size=(4, 2)).astype("float32"))
    expected = losses.r1_penalty(lambda x: sum(d(x, training=True)[h] for h in heads), real)
    assert gan.terms[0].reads_real_gradient
    assert float(gan.train_step(real)["r1"]) == pytest.approx(float(expected), rel=1e-5)


def two_part_critic():
    image, audio = keras.Input((2,), name="image"), keras.Input((3,), name="audio")
    hidden = keras.layers.Dense(6, activation="tanh")(
        keras.layers.Concatenate()([image, keras.ops.square(audio)]))
    return keras.Model({"image": image, "audio": audio}, keras.layers.Dense(1)(hidden))


@pytest.mark.parametrize("shrink", [1, 2])
def test_r1_on_one_part_of_a_pair_is_the_squared_gradient_with_respect_to_that_part(shrink):
    # On the update's own pass (shrink 1) and on a second pass over half the rows (shrink 2),
    # R1 on "image" alone must be E||dD/d image||^2, the audio held at its real values.
    keras.utils.set_random_seed(2)
    d = two_part_critic()
    g_in = keras.Input((3,))
    g = keras.Model(g_in, {"image": keras.layers.Dense(2)(g_in),
                           "audio": keras.layers.Dense(3)(g_in)})
    gan = GAN(g, d, latent_dim=3, loss="dcgan", d_steps=1, seed=0, outputs=("image", "audio"),
              terms=[R1Penalty(2.0, batch_shrink=shrink, inputs=("image",))])
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.0))
    rng = np.random.default_rng(0)
    real = {"image": tf.constant(rng.normal(size=(4, 2)).astype("float32")),
            "audio": tf.constant(rng.normal(size=(4, 3)).astype("float32"))}
    rows = 4 // shrink
    audio = real["audio"][:rows]
    expected = losses.r1_penalty(lambda image: d({"image": image, "audio": audio},
                                                 training=True), real["image"][:rows])
    both = losses.r1_penalty(lambda x: d(x, training=True),
                             {k: v[:rows] for k, v in real.items()})
    assert float(both) > float(expected) * 1.05  # the audio's share is not negligible
    assert float(gan.train_step(real)["r1"]) == pytest.approx(float(expected), rel=1e-5)
    assert GAN.from_config(gan.get_config()).terms[0].inputs == ("image",)


class SecondPassR1(R1Penalty):
    reads_real_gradient = False  # R1 by a second forward pass on the real rows


def test_the_critic_update_with_r1_through_its_own_pass_is_the_update_with_a_second_pass():
    # Second order: the penalty's gradient with respect to the weights must be the same too.
    def updated_critic(term):
        keras.utils.set_random_seed(3)
        d = two_head_critic(2)
        gan = GAN(dense_net([4, 2], 3), d, latent_dim=3, loss="dcgan", d_steps=1, seed=0,
                  terms=[term(10.0, heads=("logit", "face_logit"))])
        gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.0))
        gan.train_step(tf.constant(np.random.default_rng(1).normal(size=(4, 2)), "float32"))
        return [np.asarray(w) for w in d.weights]

    own, second = updated_critic(R1Penalty), updated_critic(SecondPassR1)
    for a, b in zip(own, second, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
