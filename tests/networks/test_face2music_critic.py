"""The face-to-music GAN at smoke size: the critic wrapper's outputs, latents of width 0, a
frozen audio metric that the critic's training leaves alone, and checkpoints that keep it."""

import keras
import numpy as np
import tensorflow as tf

from keras_avgan import recipes
from keras_avgan.training import precision
from keras_avgan.training.builders import build_gan
from keras_avgan.training.gan import batch_norm_layers

BATCH = 4


def _gan(**changes):
    recipe = recipes.replace(recipes.with_smoke(recipes.FACE2MUSIC), **changes)
    gan = build_gan(recipe, seed=0)
    gan.compile(*precision.make_optimizers(recipe))
    return recipe, gan


def _batch(recipe, rng):
    rows = recipe.batch_size * recipe.d_steps
    return {"audio": tf.constant(rng.uniform(-1, 1, (rows, 8192, 1)), tf.float32),
            "pitch": tf.constant(rng.integers(0, 61, rows), tf.int32),
            "face": tf.constant(rng.normal(size=(rows, 128)), tf.float32)}


def test_critic_returns_its_logits_and_the_metric():
    _, gan = _gan()
    out = gan.discriminator([tf.zeros((BATCH, 8192, 1)), tf.zeros((BATCH,), tf.int32)])
    assert sorted(out) == ["aux_logit", "logit", "metric"]
    assert out["logit"].shape == (BATCH, 1) and out["aux_logit"].shape == (BATCH, 1)
    assert out["metric"].shape == (BATCH, 505)
    assert batch_norm_layers(gan.discriminator) and gan.separate_passes
    assert not gan.discriminator.metric.trainable_weights
    _, plain = _gan(aux_critic=False)
    assert "aux_logit" not in plain.discriminator([tf.zeros((1, 8192, 1)),
                                                   tf.zeros((1,), tf.int32)])


def test_a_step_with_no_latent_trains_the_critic_and_leaves_phi_alone():
    recipe, gan = _gan()
    assert gan.latent_dim == 0 and gan.sample_latents(3).shape == (3, 0)
    phi_before = [np.array(w) for w in gan.discriminator.metric.weights]
    critic_before = [np.array(w) for w in gan.discriminator.critic.trainable_weights]
    values = gan.train_step(_batch(recipe, np.random.default_rng(0)))
    assert {"d_loss", "g_loss", "d_loss_aux", "g_loss_aux", "distance_loss",
            "distance_pc"} <= set(values)
    assert all(np.isfinite(float(v)) for v in values.values())
    for before, after in zip(phi_before, gan.discriminator.metric.weights, strict=True):
        np.testing.assert_array_equal(before, np.array(after))
    changed = [not np.array_equal(b, np.array(a)) for b, a in
               zip(critic_before, gan.discriminator.critic.trainable_weights, strict=True)]
    assert any(changed)
    made = gan.generator([tf.zeros((2, 0)), tf.zeros((2, 128)), tf.zeros((2,), tf.int32)])
    assert made.shape == (2, 8192, 1)


def test_distance_weight_zero_drops_the_term():
    _, gan = _gan(distance_weight=0.0)
    assert "distance_loss" not in gan.trackers


def test_a_checkpoint_restores_phi(tmp_path):
    _, gan = _gan()
    path = tf.train.Checkpoint(gan=gan).save(str(tmp_path / "ckpt"))
    _, other = _gan()
    for weight in other.discriminator.metric.weights:
        weight.assign(keras.ops.zeros_like(weight))
    tf.train.Checkpoint(gan=other).restore(path).assert_existing_objects_matched()
    for want, got in zip(gan.discriminator.metric.weights, other.discriminator.metric.weights,
                         strict=True):
        np.testing.assert_array_equal(np.array(want), np.array(got))
