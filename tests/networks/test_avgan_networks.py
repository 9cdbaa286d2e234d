"""AVGAN networks: a face and a voice from one shared trunk, a pair critic with a tower per
modality, their sizes, configs, checkpoints and dtypes."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from model_state import assert_checkpoint_restores_every_weight

from keras_avgan.networks.audio.wavegan import WaveGANGenerator
from keras_avgan.networks.audiovisual.avgan import AVGANGenerator, PairCritic
from keras_avgan.networks.image.dcgan import DCGANGenerator
from keras_avgan.training import precision

SMALL = {"image_dim": 4, "audio_dim": 2, "trunk_dim": 16}
CRITIC = {"image_dim": 4, "audio_dim": 2, "joint_dim": 16}


def _trainable(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _z(n=2, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 100)).astype("float32")


def test_a_face_and_a_voice_come_from_one_latent():
    g = AVGANGenerator(**SMALL)
    made = g(_z())
    assert tuple(made["image"].shape) == (2, 64, 64, 3)
    assert tuple(made["audio"].shape) == (2, 16384, 1)
    assert max(float(np.abs(np.asarray(v)).max()) for v in made.values()) <= 1.0
    out = PairCritic(**CRITIC, num_classes=5)(made)
    assert {k: tuple(v.shape) for k, v in out.items()} == {"logit": (2, 1), "classes": (2, 5)}
    # An identity head per tower too: each half must tell the identity on its own.
    critic = PairCritic(**CRITIC, num_classes=5, classes_per_half=True)
    shapes = {k: tuple(v.shape) for k, v in critic(made).items()}
    assert shapes == {"logit": (2, 1), "classes": (2, 5), "face_classes": (2, 5),
                      "voice_classes": (2, 5)} == critic.compute_output_shape(
                          {"image": (2, 64, 64, 3), "audio": (2, 16384, 1)})


@pytest.mark.parametrize("tower", ["mel", "both"])
def test_a_log_mel_voice_tower_gives_each_half_its_own_realism_logit(tower):
    keras.utils.set_random_seed(0)
    made = AVGANGenerator(**SMALL)(_z())
    critic = PairCritic(**CRITIC, voice_tower=tower, half_logits=True)
    out = critic(made)
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "logit": (2, 1), "face_logit": (2, 1), "voice_logit": (2, 1)}
    face, voice = critic.tower_features(made)
    # Four stride-2 layers over 64 frames x 64 mel bands: 4 x 4 x 16d, after the waveform
    # tower's 16 x 16d when both are heard.
    assert voice.shape[-1] == 4 * 4 * 16 * CRITIC["audio_dim"] + (
        16 * 16 * CRITIC["audio_dim"] if tower == "both" else 0)
    np.testing.assert_allclose(np.asarray(out["voice_logit"]),
                               np.asarray(critic.voice_logit(voice)), atol=1e-5)
    # A zero-padded clip (digital silence) has a finite input gradient: R1 trains through it.
    silent = {"image": made["image"], "audio": tf.zeros((2, 16384, 1))}
    with tf.GradientTape() as tape:
        tape.watch(silent["audio"])
        logit = tf.reduce_sum(critic(silent)["voice_logit"])
    assert np.isfinite(np.asarray(tape.gradient(logit, silent["audio"]))).all()


def test_projection_judges_each_half_real_for_the_identity_asked_for():
    keras.utils.set_random_seed(0)
    made = AVGANGenerator(**SMALL)(_z(4))
    critic = PairCritic(**CRITIC, num_classes=3, half_logits=True, projection=True)
    asked, other = np.array([0, 1, 2, 0]), np.array([1, 1, 1, 1])
    changed = {k: not np.allclose(np.asarray(critic([made, asked])[k]),
                                  np.asarray(critic([made, other])[k]))
               for k in ("logit", "face_logit", "voice_logit")}
    assert changed == {"logit": True, "face_logit": True, "voice_logit": True}
    # Each logit's own embedding is its only way to the identity.
    critic.embed_face_logit.embeddings.assign(tf.zeros_like(critic.embed_face_logit.embeddings))
    np.testing.assert_allclose(np.asarray(critic([made, asked])["face_logit"]),
                               np.asarray(critic([made, other])["face_logit"]), atol=1e-6)
    with pytest.raises(ValueError, match="projection"):
        PairCritic(**CRITIC, num_classes=3, projection=True)


def test_the_generator_is_its_trunk_and_the_dcgan_and_wavegan_branches():
    g = AVGANGenerator(**SMALL, num_classes=3)
    face = DCGANGenerator(latent_dim=16, image_size=64, model_dim=4)
    voice = WaveGANGenerator(latent_dim=16, slice_len=16384, model_dim=2)
    assert _trainable(g) == (100 + 3) * 16 + 16 + _trainable(face) + _trainable(voice)


def test_both_halves_depend_on_the_shared_trunk_and_on_the_identity():
    keras.utils.set_random_seed(0)
    g = AVGANGenerator(**SMALL, num_classes=3, condition_gain=3.0)
    z = tf.constant(_z())
    with tf.GradientTape(persistent=True) as tape:
        made = g([z, tf.constant([0, 1])], training=True)
        face, voice = tf.reduce_sum(made["image"]), tf.reduce_sum(made["audio"])
    for half in (face, voice):
        assert float(tf.reduce_sum(tf.abs(tape.gradient(half, g.trunk.kernel)))) > 0
    other = g([z, tf.constant([2, 2])])
    for key in ("image", "audio"):
        assert not np.allclose(np.asarray(other[key]), np.asarray(g([z, tf.constant([0, 1])])[key]))


def test_the_spectral_branch_adds_its_logit_for_the_voice():
    keras.utils.set_random_seed(0)
    made = AVGANGenerator(**SMALL)(_z())
    critic = PairCritic(**CRITIC, spectral_branch=True)
    face, voice = critic.tower_features(made)
    logit = critic.logit(critic.leaky(critic.joint(keras.ops.concatenate([face, voice], -1))))
    np.testing.assert_allclose(np.asarray(critic(made)["logit"]),
                               np.asarray(logit + critic.spectral(made["audio"])), atol=1e-5)
    plain = PairCritic(**CRITIC)
    assert _trainable(critic) - _trainable(plain) == _trainable(critic.spectral) > 0


def test_configs_round_trip_and_every_weight_is_checkpointed(tmp_path):
    keras.utils.set_random_seed(0)
    g = AVGANGenerator(**SMALL)
    d = PairCritic(**CRITIC, num_classes=2, spectral_branch=True, voice_tower="both",
                   half_logits=True, seed=3)
    g2 = AVGANGenerator.from_config(g.get_config())
    g2.set_weights(g.get_weights())
    z = _z(1)
    for key, value in g(z).items():
        np.testing.assert_allclose(np.asarray(g2(z)[key]), np.asarray(value), atol=1e-6)
    assert PairCritic.from_config(d.get_config()).get_config() == d.get_config()
    keras.utils.set_random_seed(1)
    assert_checkpoint_restores_every_weight(g, AVGANGenerator(**SMALL), tmp_path / "g")
    other = PairCritic(**CRITIC, num_classes=2, spectral_branch=True, voice_tower="both",
                       half_logits=True, seed=3)
    assert_checkpoint_restores_every_weight(d, other, tmp_path / "d")


def test_mixed_bfloat16_keeps_both_halves_and_the_logit_float32():
    precision.set_precision("bfloat16")
    try:
        made = AVGANGenerator(**SMALL)(_z(1))
        assert all(v.dtype == "float32" for v in made.values())
        assert PairCritic(**CRITIC)(made)["logit"].dtype == "float32"
    finally:
        precision.set_precision("off")
