"""Wav2Pix networks: trainable weights against the reference's counts, shapes, the encoder's
lengths, dropout only in training, configs, checkpoints and dtypes."""

import keras
import numpy as np
import pytest
from model_state import assert_checkpoint_restores_every_weight

from keras_avgan.errors import UserError
from keras_avgan.networks.audiovisual.wav2pix import (
    IdentityClassifier,
    SpeechEncoder,
    Wav2PixDiscriminator,
    Wav2PixGenerator,
    encoder_lengths,
)
from keras_avgan.training import precision


def _trainable(model) -> int:
    # PyTorch counts parameters, not buffers: batch-norm statistics and spectral norm's
    # power-iteration vector are non-trainable weights here and left out, as there.
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize("size, decoder, generator, critic", [
    (64, 3_804_160, 15_327_814, 2_765_824),
    (128, 13_241_344, 24_764_998, 11_162_624),
])
def test_trainable_weights_match_the_reference_with_its_ten_identities(size, decoder,
                                                                       generator, critic):
    g = Wav2PixGenerator(num_classes=10, image_size=size)
    # Encoder: six k15 convs + batch norm (10,397,184) and the 4096 -> 256 -> 128 -> 128
    # Dense layers (1,098,240); the identity head: Dense 200 + BN + Dense 10 + BN (28,230).
    assert (_trainable(g.encoder), _trainable(g.classifier)) == (10_397_184 + 1_098_240, 28_230)
    assert _trainable(g.decoder) == decoder and _trainable(g) == generator
    assert _trainable(Wav2PixDiscriminator(image_size=size)) == critic


def test_the_identity_head_is_sized_from_the_data():
    # Dense(128 -> 200) + BN(200) + Dense(200 -> N) + BN(N), for N = 2 and 16.
    for classes in (2, 16):
        assert _trainable(IdentityClassifier(classes)) == 25_800 + 400 + 201 * classes + 2 * classes


def test_one_second_of_speech_ends_in_four_frames_and_a_face_comes_out():
    encoder = SpeechEncoder()
    lengths, shape = [], (1, 16000, 1)
    for i in range(6):
        shape = getattr(encoder, f"conv{i}").compute_output_shape(
            encoder.pad.compute_output_shape(shape))
        lengths.append(shape[1])
    assert lengths == encoder_lengths(16000) == [4000, 1000, 250, 63, 16, 4]
    assert encoder_lengths(16384)[-1] == 4  # the reference's 16384-sample option too
    g = Wav2PixGenerator(num_classes=3, image_size=64)
    speech = np.random.default_rng(0).uniform(-1, 1, (2, 16000, 1)).astype("float32")
    face = g(speech)
    assert tuple(face.shape) == (2, 64, 64, 3) and np.abs(np.asarray(face)).max() <= 1.0
    assert tuple(g.classify(g.embed(speech)).shape) == (2, 3)
    out = Wav2PixDiscriminator(image_size=64)([face, g.embed(speech)])
    assert {k: tuple(v.shape) for k, v in out.items()} == {"logit": (2, 1),
                                                          "features": (2, 4, 4, 512)}
    with pytest.raises(UserError, match="64 or 128"):
        Wav2PixGenerator(num_classes=3, image_size=96)
    with pytest.raises(UserError, match="too few"):
        SpeechEncoder(samples=300)


def test_dropout_is_the_randomness_of_training_only():
    keras.utils.set_random_seed(0)
    g = Wav2PixGenerator(num_classes=3, image_size=64)
    speech = np.random.default_rng(1).uniform(-1, 1, (2, 16000, 1)).astype("float32")
    np.testing.assert_array_equal(np.asarray(g(speech)), np.asarray(g(speech)))
    assert not np.array_equal(np.asarray(g(speech, training=True)),
                              np.asarray(g(speech, training=True)))


@pytest.mark.parametrize("decoder_norm", ["none", "batch"])
def test_configs_round_trip_and_every_weight_is_checkpointed(decoder_norm, tmp_path):
    keras.utils.set_random_seed(0)
    g = Wav2PixGenerator(num_classes=4, image_size=64, decoder_norm=decoder_norm)
    clone = Wav2PixGenerator.from_config(g.get_config())
    clone.set_weights(g.get_weights())
    speech = np.random.default_rng(2).uniform(-1, 1, (1, 16000, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(clone(speech)), np.asarray(g(speech)), rtol=1e-5,
                               atol=1e-7)
    keras.utils.set_random_seed(1)
    other = Wav2PixGenerator(num_classes=4, image_size=64, decoder_norm=decoder_norm)
    assert_checkpoint_restores_every_weight(g, other, tmp_path / "g")
    assert_checkpoint_restores_every_weight(Wav2PixDiscriminator(image_size=64),
                                            Wav2PixDiscriminator(image_size=64), tmp_path / "d")


def test_a_batch_normed_decoder_adds_a_scale_and_shift_per_channel():
    # After the 512, 256, 128 and 64-channel layers at 64 px: 2 x 960 weights.
    plain = Wav2PixGenerator(num_classes=10, image_size=64).decoder
    normed = Wav2PixGenerator(num_classes=10, image_size=64, decoder_norm="batch").decoder
    assert _trainable(normed) - _trainable(plain) == 2 * (512 + 256 + 128 + 64)
    with pytest.raises(UserError, match="decoder_norm"):
        Wav2PixGenerator(num_classes=10, image_size=64, decoder_norm="layer")


def test_mixed_bfloat16_keeps_faces_logits_and_features_float32():
    precision.set_precision("bfloat16")
    try:
        g = Wav2PixGenerator(num_classes=3, image_size=64)
        speech = np.zeros((1, 16000, 1), "float32")
        face, embedding = g(speech), g.embed(speech)
        assert face.dtype == "float32" and g.classify(embedding).dtype == "float32"
        out = Wav2PixDiscriminator(image_size=64)([face, embedding])
        assert {k: v.dtype for k, v in out.items()} == {"logit": "float32",
                                                        "features": "float32"}
    finally:
        precision.set_precision("off")
