"""phi = [lambda1 psi, lambda2 MFCC]: its sizes, its scales, and its gradient."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from synthetic import partial_notes

from keras_avgan.embeddings import MFCC, AudioMetricSettings, TripletTraining, audio_metric
from keras_avgan.embeddings.audio_metric import build_psi

TINY = AudioMetricSettings(model_dim=2, training=TripletTraining(steps=4, classes_per_batch=3,
                                                                 per_class=3))


@pytest.fixture(scope="module")
def notes():
    return partial_notes(classes=3, per_class=6)


@pytest.fixture(scope="module")
def metric(notes, tmp_path_factory):
    import os

    os.environ["KERAS_AVGAN_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    try:
        return audio_metric(*notes, settings=TINY, log=lambda _: None)
    finally:
        del os.environ["KERAS_AVGAN_CACHE"]


def test_mfcc_of_8192_samples_is_29_frames_of_13_coefficients():
    layer = MFCC()
    out = layer(np.zeros((2, 8192), np.float32))
    assert tuple(out.shape) == (2, 29, 13) and 29 * 13 == 377
    assert layer.num_frames(8192) == 29
    assert tuple(layer(np.zeros((1, 8192, 1), np.float32)).shape) == (1, 29, 13)


def test_psi_is_a_unit_vector_of_128(notes):
    out = build_psi(AudioMetricSettings(model_dim=2))(notes[0][:3], training=False)
    assert out.shape == (3, 128)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_phi_is_505_values_and_each_part_spans_distance_one_on_its_notes(notes, metric):
    phi, info = metric
    out = np.asarray(phi(notes[0], training=False))
    assert out.shape == (len(notes[0]), 505) and info["dim"] == 505
    assert (info["psi_dim"], info["mfcc_dim"]) == (128, 377)
    for part in (out[:, :128], out[:, 128:]):
        gaps = np.linalg.norm(part[:, None] - part[None], axis=-1)
        assert gaps.max() == pytest.approx(1.0, rel=1e-4)
    assert info["psi_scale"] == pytest.approx(1 / info["psi_max_distance"])
    assert info["mfcc_scale"] == pytest.approx(1 / info["mfcc_max_distance"])
    assert info["held_out_centroid"]["chance"] == pytest.approx(1 / 3)


def test_phi_is_frozen_and_has_a_finite_nonzero_gradient_wrt_the_audio(notes, metric):
    phi, _ = metric
    assert not phi.trainable_weights and phi.non_trainable_weights
    audio = tf.Variable(notes[0][:4])
    with tf.GradientTape() as tape:
        # a pairwise distance, as the recipe's distance-preservation loss reads phi
        out = phi(audio, training=True)
        distance = tf.norm(out[0] - out[1])
    gradient = tape.gradient(distance, audio).numpy()
    assert np.isfinite(gradient).all() and np.abs(gradient).max() > 0
    # training=True must not move batch norm: phi is a fixed metric
    assert np.allclose(phi(notes[0][:4], training=False), out, atol=1e-5)


def test_the_gradient_is_finite_on_silence():
    phi_input = tf.Variable(np.zeros((2, 8192), np.float32))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(MFCC()(phi_input))
    assert np.isfinite(tape.gradient(total, phi_input).numpy()).all()


def test_cached_phi_loads_as_a_keras_model(notes, metric, tmp_path):
    phi, _ = metric
    phi.save(tmp_path / "phi.keras")
    again = keras.saving.load_model(tmp_path / "phi.keras", safe_mode=True)
    assert np.allclose(again(notes[0][:2]), phi(notes[0][:2]), atol=1e-5)
