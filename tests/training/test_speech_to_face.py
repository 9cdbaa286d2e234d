"""The speech-to-face (Wav2Pix) scheme on a toy problem: two voices, two faces. Its critic
update moves the critic alone; its generator update learns who is speaking and draws
that identity's face."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_avgan.networks.audiovisual.wav2pix import Wav2PixDiscriminator, Wav2PixGenerator
from keras_avgan.training.speech_to_face import SpeechToFaceGAN

FACES = np.array([[0.9, -0.9, -0.9], [-0.9, 0.9, -0.9]], np.float32)  # red, green


def _batches(batch=4, seed=0):
    """Speech at 150 or 450 Hz with noise, the identity's flat face, and the other's face."""
    rng = np.random.default_rng(seed)
    t = np.arange(16000) / 16000

    def batch_of(_):
        ids = rng.permutation(np.arange(batch) % 2)  # both speakers in every batch
        speech = np.stack([np.sin(2 * np.pi * (150 + 300 * i) * t) + 0.1 * rng.normal(size=t.size)
                           for i in ids])[..., None].astype(np.float32)
        faces = np.broadcast_to(FACES[ids][:, None, None, :], (batch, 64, 64, 3))
        wrong = np.broadcast_to(FACES[1 - ids][:, None, None, :], (batch, 64, 64, 3))
        return {"audio": speech, "image": np.array(faces), "identity": ids.astype(np.int32),
                "mismatched_image": np.array(wrong)}
    return [batch_of(i) for i in range(4)]


def _model(g_rate=1e-4):
    keras.utils.set_random_seed(0)
    gan = SpeechToFaceGAN(Wav2PixGenerator(num_classes=2, image_size=64),
                          Wav2PixDiscriminator(image_size=64), seed=0)
    gan.compile(keras.optimizers.Adam(4e-4, 0.5, 0.999),
                keras.optimizers.Adam(g_rate, 0.5, 0.999))
    return gan


def test_the_critic_update_moves_the_critic_only():
    gan = _model()
    data = {k: tf.constant(v) for k, v in _batches()[0].items()}
    # The encoder and identity head have no spectral norm (whose power iteration rewrites
    # the decoder's kernels in any training-mode call): any change there is a gradient step.
    trained_by_g = gan.generator.encoder.trainable_weights + \
        gan.generator.classifier.trainable_weights
    before_g = [w.numpy().copy() for w in trained_by_g]
    before_d = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    gan._critic_step(data)
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(before_g, trained_by_g, strict=True))
    assert (int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations)) == (1, 0)
    assert any(not np.array_equal(b, w.numpy())
               for b, w in zip(before_d, gan.discriminator.trainable_weights, strict=True))
    assert np.isfinite(float(gan.trackers["mismatched"].result()))


@pytest.mark.slow
def test_it_learns_who_speaks_and_draws_their_face():
    gan = _model(g_rate=5e-4)  # Wav2Pix's critic rate, to learn in few steps
    batches, history = _batches(), []
    for step in range(18):
        for metric in gan.metrics:  # the trackers are running means, as over a Keras epoch
            metric.reset_state()
        logs = gan.train_step({k: tf.constant(v) for k, v in batches[step % 4].items()})
        history.append({k: float(v) for k, v in logs.items()})
    assert all(np.isfinite(v) for logs in history for v in logs.values())
    assert set(history[-1]) >= {"d_loss", "g_loss", "mismatched", "feature_matching", "l1",
                                "identity_loss", "identity_accuracy"}
    assert np.mean([h["identity_accuracy"] for h in history[-4:]]) >= 0.75
    assert history[-1]["l1"] < 0.75 * history[0]["l1"]
    speech = batches[0]["audio"]
    # As trained (batch statistics, dropout on): after 18 steps the batch-norm moving
    # averages that inference uses still hold most of their starting values.
    faces = np.asarray(gan.generator(speech, training=True))
    mean_colour = faces.reshape(len(faces), -1, 3).mean(axis=1)
    # The face follows the speaker: speaker 0's faces are redder (red minus green) than
    # speaker 1's, by a clear margin; a generator deaf to the speech would draw one face.
    redness = mean_colour[:, 0] - mean_colour[:, 1]
    ids = batches[0]["identity"]
    assert redness[ids == 0].min() > redness[ids == 1].max() + 0.5, (mean_colour, ids)


def test_a_batch_without_its_mismatched_faces_is_refused():
    gan = _model()
    data = dict(_batches()[0])
    del data["mismatched_image"]
    with pytest.raises(ValueError, match="missing \\['mismatched_image'\\]"):
        gan.train_step(data)
