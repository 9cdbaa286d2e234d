"""Evaluation classifiers: shapes, file round trips, and learning on synthetic labelled data."""

import time
import types

import keras
import numpy as np
import pytest

from keras_avgan.errors import UserError
from keras_avgan.evaluation import classifiers
from keras_avgan.layers.log_mel import LogMelSpectrogram
from keras_avgan.modalities import MODALITIES

RATE = 16000
SLICE = 4096  # a quarter second keeps the learning test within seconds on a CPU
SMALL = {"widths": (8, 16, 32), "embedding_dim": 32}


def audio_judge(classes, slice_len=SLICE, **sizes):
    """The audio modality's judge for clips of `slice_len` samples at RATE."""
    recipe = types.SimpleNamespace(sample_rate=RATE, slice_len=slice_len)
    return MODALITIES["audio"].build_judge(recipe, classes, **sizes)


def image_judge(classes, image_size, **sizes):
    return MODALITIES["image"].build_judge(types.SimpleNamespace(image_size=image_size),
                                           classes, **sizes)


def tone_set(n, seed, noise=0.03):
    """Four classes of noisy tones: fundamentals an octave apart, random phase, level and
    decay, with two random upper harmonics so no class is a single pure sine."""
    rng = np.random.default_rng(seed)
    t = np.arange(SLICE) / RATE
    labels = rng.integers(0, 4, n)
    clips = np.empty((n, SLICE, 1), np.float32)
    for i, label in enumerate(labels):
        f0 = 220.0 * 2 ** label * rng.uniform(0.97, 1.03)
        tone = sum(rng.uniform(0.2, 1) / k * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6))
                   for k in (1, 2, 3))
        tone *= rng.uniform(0.2, 0.6) * np.exp(-t * rng.uniform(0, 8))
        clips[i, :, 0] = tone + rng.normal(0, noise, SLICE)
    return np.clip(clips, -1, 1), labels


def pattern_set(n, seed, size=24):
    """Four classes of RGB images: horizontal stripes, vertical stripes, a checkerboard and a
    solid square, each in a random colour on a noisy background, at a random offset."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    rows, cols = np.mgrid[0:size, 0:size]
    images = rng.uniform(0, 0.3, (n, size, size, 3)).astype(np.float32)
    for i, label in enumerate(labels):
        dy, dx, period = rng.integers(0, 6), rng.integers(0, 6), rng.integers(3, 5)
        r, c = rows + dy, cols + dx
        mask = [(r // period) % 2 == 0, (c // period) % 2 == 0,
                ((r // period) + (c // period)) % 2 == 0,
                (abs(rows - size / 2 + dy - 3) < 6) & (abs(cols - size / 2 + dx - 3) < 6)][label]
        images[i][mask] = rng.uniform(0.5, 1.0, 3)
    return images, labels


def test_audio_classifier_shapes():
    model = audio_judge(5, **SMALL)
    assert model.output_shape == (None, 5)
    acts, logits = classifiers.classifier_outputs(model, np.zeros((3, SLICE, 1)), batch_size=2)
    assert acts.shape == (3, 32) and logits.shape == (3, 5)
    assert acts.dtype == np.float32 and np.all(np.isfinite(logits))


def test_log_mel_features_shape():
    layer = LogMelSpectrogram(RATE, frame_length=512, frame_step=256, num_mels=40)
    assert tuple(layer(np.zeros((2, SLICE), np.float32)).shape) == (2, SLICE // 256, 40, 1)


def test_save_and_load_give_identical_outputs(tmp_path):
    model = image_judge(3, 16, **SMALL)
    images = np.random.default_rng(0).uniform(0, 1, (4, 16, 16, 3)).astype(np.float32)
    acts, logits = classifiers.classifier_outputs(model, images)
    classifiers.save_classifier(model, str(tmp_path / "c.keras"))
    classifiers.export_classifier(model, str(tmp_path / "saved"))
    for path in (tmp_path / "c.keras", tmp_path / "saved"):
        loaded_acts, loaded_logits = classifiers.classifier_outputs(
            classifiers.load_classifier(str(path)), images)
        np.testing.assert_allclose(loaded_acts, acts, atol=1e-5)
        np.testing.assert_allclose(loaded_logits, logits, atol=1e-5)
    with pytest.raises(UserError, match="expected a .keras"):
        classifiers.load_classifier(str(tmp_path / "missing.keras"))


def test_audio_classifier_save_load_round_trip(tmp_path):
    model = audio_judge(2, **SMALL)
    clips = tone_set(3, seed=9)[0]
    classifiers.save_classifier(model, str(tmp_path / "a.keras"))
    loaded = classifiers.load_classifier(str(tmp_path / "a.keras"))
    for mine, theirs in zip(classifiers.classifier_outputs(model, clips),
                            classifiers.classifier_outputs(loaded, clips), strict=True):
        np.testing.assert_allclose(theirs, mine, atol=1e-5)


def test_audio_classifier_learns_tones():
    x_train, y_train = tone_set(160, seed=1)
    x_val, y_val = tone_set(80, seed=2)
    model = audio_judge(4, **SMALL)
    start = time.perf_counter()
    result = classifiers.train_classifier(model, x_train, y_train, x_val, y_val, epochs=16,
                                          batch_size=16)
    print(f"audio classifier: {result}, {time.perf_counter() - start:.1f} s")
    assert result["val_accuracy"] >= 0.8
    _, logits = classifiers.classifier_outputs(model, x_val)
    assert np.mean(np.argmax(logits, axis=1) == y_val) == pytest.approx(result["val_accuracy"])


def test_image_classifier_learns_patterns():
    x_train, y_train = pattern_set(200, seed=3)
    x_val, y_val = pattern_set(80, seed=4)
    model = image_judge(4, 24, **SMALL)
    start = time.perf_counter()
    result = classifiers.train_classifier(model, x_train, y_train, x_val, y_val, epochs=10,
                                          batch_size=16)
    print(f"image classifier: {result}, {time.perf_counter() - start:.1f} s")
    assert result["val_accuracy"] >= 0.8


def test_train_classifier_edge_cases():
    model = image_judge(2, 8, widths=(4,), embedding_dim=4)
    with pytest.raises(ValueError, match="as many labels"):
        classifiers.train_classifier(model, np.zeros((4, 8, 8, 3)), [0, 1, 0], epochs=1)
    # A small dataset may hold out nothing: train anyway and say accuracy is unknown.
    result = classifiers.train_classifier(model, np.zeros((4, 8, 8, 3)), [0, 1, 0, 1],
                                          np.zeros((0, 8, 8, 3)), [], epochs=1)
    assert result["epochs"] == 1 and np.isnan(result["val_accuracy"])


def test_classifier_is_float32_inside_a_mixed_precision_run():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = audio_judge(2, slice_len=1024, **SMALL)
        assert keras.config.dtype_policy().name == "mixed_float16"
    finally:
        keras.config.set_dtype_policy(previous)
    assert {layer.compute_dtype for layer in model.layers} == {"float32"}


def test_a_classifier_trained_on_clean_clips_still_hears_them_under_a_noise_floor():
    # Digitally clean training clips (as the demo data's) teach a classifier that silence
    # is a feature unless it trains with a noise floor; then noise 40 dB down decided the
    # answer for every clip. With the floor, the class survives that noise.
    x_train, y_train = tone_set(160, seed=3, noise=0.0)
    x_val, y_val = tone_set(80, seed=4, noise=0.0)
    model = audio_judge(4, **SMALL)
    result = classifiers.train_classifier(model, x_train, y_train, x_val, y_val, epochs=16,
                                          batch_size=16)
    assert result["val_accuracy"] >= 0.8
    noisy = x_val + np.random.default_rng(5).normal(0, 0.01, x_val.shape).astype("float32")
    _, logits = classifiers.classifier_outputs(model, noisy)
    assert np.mean(np.argmax(logits, axis=1) == y_val) >= 0.8


def test_a_bad_classifier_file_is_a_user_error_saying_what_is_wrong(tmp_path):
    (tmp_path / "empty.keras").write_bytes(b"")
    (tmp_path / "garbage.keras").write_bytes(np.random.default_rng(0).bytes(500))
    inputs = keras.Input((4,))
    keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs)).save(
        tmp_path / "code.keras")
    for name, message in (("empty", "empty"), ("garbage", "not a .keras archive"),
                          ("code", "Lambda layers are refused")):
        with pytest.raises(UserError, match=message):
            classifiers.load_classifier(str(tmp_path / f"{name}.keras"))
