"""Face-to-music networks: sizes against the paper's tables 3, 4 and 6 in closed form,
conditioning, configs, checkpoints; conditional batch norm's per-class scale and offset."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from model_state import assert_checkpoint_restores_every_weight

from keras_avgan.layers.conditional_batch_norm import ConditionalBatchNorm
from keras_avgan.networks.audiovisual.face2music import (
    AuxiliaryCritic,
    NoteFromFaceGenerator,
    ProjectionWaveCritic,
)

K = 25  # every convolution's kernel length


def _trainable(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def generator_weights(face: int, pitches: int, d: int) -> int:
    """Table 3: Dense to 16 x 32d, then 16d, 8d, 4d, 2d, 1 channels; a conditional batch norm
    (a scale and an offset per pitch and channel) after all but the last layer, which alone
    has a bias (batch norm's offset replaces the others')."""
    widths = [32 * d, 16 * d, 8 * d, 4 * d, 2 * d]
    dense = face * 16 * widths[0] + 16 * widths[0]
    convs = sum(K * a * b for a, b in zip(widths, widths[1:], strict=False))
    convs += K * widths[-1] * 1 + 1  # the last layer, to one channel, with its bias
    norms = sum(2 * pitches * w for w in widths)
    return dense + convs + norms


def critic_weights(pitches: int, d: int, batch_norm: bool = True) -> int:
    """Table 4: convolutions 1 -> d -> 2d -> 4d -> 8d -> 16d with biases, batch norm (scale and
    offset) after each (the table's; off by default), a Dense(1) logit and a 16d embedding
    per pitch for the projection."""
    widths = [1, d, 2 * d, 4 * d, 8 * d, 16 * d]
    convs = sum(K * a * b + b for a, b in zip(widths, widths[1:], strict=False))
    norms = sum(2 * w for w in widths[1:]) if batch_norm else 0
    return convs + norms + (16 * d + 1) + pitches * 16 * d


def test_sizes_are_the_papers_tables_at_d_64():
    # 512-d face features, 61 pitches (MIDI 24-84), d = 64.
    g = NoteFromFaceGenerator(face_dim=512, num_pitches=61, model_dim=64)
    assert _trainable(g) == generator_weights(512, 61, 64) == 86_929_281
    d = ProjectionWaveCritic(num_pitches=61, model_dim=64, batch_norm=True)
    assert _trainable(d) == critic_weights(61, 64) == 17_479_041
    plain = ProjectionWaveCritic(num_pitches=61, model_dim=64)  # the recipe's default
    assert _trainable(plain) == critic_weights(61, 64, batch_norm=False) == 17_475_073
    # Table 6: 505 -> 128 -> 64 -> 32 -> 16 -> 1, each with a bias.
    assert _trainable(AuxiliaryCritic(505)) == (505 * 128 + 128 + 128 * 64 + 64 + 64 * 32 + 32
                                                + 32 * 16 + 16 + 16 + 1)


def _inputs(n=4, face=16, seed=0):
    rng = np.random.default_rng(seed)
    return [np.zeros((n, 0), np.float32), rng.normal(size=(n, face)).astype("float32"),
            np.arange(n) % 3]


def test_a_face_and_a_pitch_make_a_note_and_the_critic_judges_it_with_its_pitch():
    keras.utils.set_random_seed(0)
    g = NoteFromFaceGenerator(face_dim=16, num_pitches=3, model_dim=2)
    z, face, pitch = _inputs()
    note = g([z, face, pitch], training=True)
    assert tuple(note.shape) == (4, 8192, 1) and float(np.abs(note).max()) <= 1.0
    # Every pitch starts as plain batch norm; once the pitches' offsets differ, another
    # pitch for the same faces makes another note (the batch norms are its only way in).
    assert np.allclose(np.asarray(g([z, face, (pitch + 1) % 3])), np.asarray(g([z, face, pitch])))
    g.norm0.beta.assign(np.random.default_rng(1).normal(size=g.norm0.beta.shape))
    other = g([z, face, (pitch + 1) % 3])
    assert not np.allclose(np.asarray(other), np.asarray(g([z, face, pitch])))
    critic = ProjectionWaveCritic(num_pitches=3, model_dim=2, seed=1)
    logit = critic([note, pitch])
    assert tuple(logit.shape) == (4, 1) and logit.dtype == "float32"
    # The projection term is <embed(pitch), features>: a pitch's embedding row set to 0
    # leaves the plain logit for the examples of that pitch.
    features = critic.features(note)
    critic.embed.embeddings.assign(tf.zeros_like(critic.embed.embeddings))
    np.testing.assert_allclose(np.asarray(critic([note, pitch])),
                               np.asarray(critic.logit(features)), atol=1e-5)


def test_noise_joins_the_face_when_asked_for():
    g = NoteFromFaceGenerator(face_dim=16, num_pitches=3, model_dim=2, latent_dim=4)
    _, face, pitch = _inputs()
    z = np.random.default_rng(1).uniform(-1, 1, (4, 4)).astype("float32")
    assert not np.allclose(np.asarray(g([z, face, pitch])), np.asarray(g([-z, face, pitch])))


def test_configs_round_trip_and_every_weight_is_checkpointed(tmp_path):
    keras.utils.set_random_seed(0)
    made = {"g": lambda: NoteFromFaceGenerator(face_dim=16, num_pitches=3, model_dim=2),
            "d": lambda: ProjectionWaveCritic(num_pitches=3, model_dim=2, seed=2),
            "aux": lambda: AuxiliaryCritic(505)}
    for name, build in made.items():
        model = build()
        assert type(model).from_config(model.get_config()).get_config() == model.get_config()
        assert_checkpoint_restores_every_weight(model, build(), tmp_path / name)


def test_conditional_batch_norm_scales_and_shifts_each_class_its_own_way():
    norm = ConditionalBatchNorm(2)
    x = tf.constant(np.random.default_rng(0).normal(2.0, 3.0, (4, 5, 3)), tf.float32)
    label = tf.constant([0, 1, 0, 1])
    norm.build([x.shape, label.shape])
    norm.gamma.assign([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    norm.beta.assign([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]])
    out = np.asarray(norm([x, label], training=True))
    mean, var = np.mean(x, axis=(0, 1)), np.var(x, axis=(0, 1))
    plain = (np.asarray(x) - mean) / np.sqrt(var + 1e-3)  # one batch statistic for all
    np.testing.assert_allclose(out[0::2], plain[0::2], atol=1e-4)
    np.testing.assert_allclose(out[1::2], 2.0 * plain[1::2] + 5.0, atol=1e-4)
    with pytest.raises(ValueError, match="num_classes"):
        ConditionalBatchNorm(0)
