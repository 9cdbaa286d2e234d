"""SpecGAN representation: features, moments, normalisation, Griffin-Lim inversion."""

import numpy as np
import pytest
import tensorflow as tf
from note_signals import LENGTH, harmonic_note, snr_db, two_notes

from pipelines.spectral import specgan as sg


@pytest.fixture(scope="module")
def notes():
    return two_notes()


def test_shapes_for_one_second(notes):
    mean, std = np.zeros(128, np.float32), np.ones(128, np.float32)
    assert sg.specgan_features(notes).shape == (2, 128, 128)
    assert sg.specgan_forward(notes, mean, std).shape == (2, 128, 128, 1)
    assert sg.specgan_forward(notes[..., None], mean, std).shape == (2, 128, 128, 1)


def test_sine_on_bin_peaks_there():
    k = 20  # 20 * 16000 / 256 = 1250 Hz
    x = np.sin(2 * np.pi * k * np.arange(LENGTH) / 256)[None].astype(np.float32)
    assert sg.specgan_features(x).numpy()[0, 1:-1].mean(axis=0).argmax() == k


def test_moments_merge_batches_exactly(notes):
    more = np.stack([harmonic_note(f, s) for s, f in enumerate((110.0, 330.0, 523.0))])
    everything = np.concatenate([notes, more])
    features = sg.specgan_features(everything).numpy().reshape(-1, 128).astype(np.float64)
    # uneven batches, (audio, label) tuples and [B, T, 1] audio, through tf.data
    ds = tf.data.Dataset.from_tensor_slices((everything[..., None], np.arange(5))).batch(2)
    mean, std = sg.specgan_moments(ds)
    assert mean.shape == std.shape == (128,)
    np.testing.assert_allclose(mean, features.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(std, features.std(axis=0), rtol=1e-4, atol=1e-5)


def test_moments_of_nothing_is_an_error():
    with pytest.raises(Exception, match="no audio"):
        sg.specgan_moments([])


def test_normalisation_is_per_bin_over_three_stds_and_clips():
    mean = np.linspace(-5, 0, 128).astype(np.float32)
    std = np.linspace(1, 2, 128).astype(np.float32)
    z = np.array([0.0, 0.5, -0.5, 2.0], np.float32)  # in units of 3 std
    features = mean + 3 * std * z[:, None]  # [4, 128] as 4 frames
    spec = sg.specgan_normalize(features[None], mean, std).numpy()[0, ..., 0]
    np.testing.assert_allclose(spec, np.broadcast_to(np.clip(z, -1, 1)[:, None], (4, 128)),
                               atol=1e-5)
    back = sg.specgan_denormalize(spec[None, ..., None], mean, std).numpy()[0]
    np.testing.assert_allclose(back[:3], features[:3], atol=1e-5)


def test_tf_data_map_matches_eager(notes):
    mean, std = sg.specgan_moments([notes])
    eager = sg.specgan_forward(notes[..., None], mean, std).numpy()
    ds = tf.data.Dataset.from_tensor_slices(notes[..., None]).batch(2)
    mapped = next(iter(ds.map(lambda a: sg.specgan_forward(a, mean, std)))).numpy()
    np.testing.assert_allclose(mapped, eager, atol=1e-6)
    audio = sg.specgan_to_audio(eager, mean, std, iterations=2).numpy()
    mapped_audio = next(iter(tf.data.Dataset.from_tensor_slices(eager).batch(2).map(
        lambda s: sg.specgan_to_audio(s, mean, std, iterations=2)))).numpy()
    np.testing.assert_allclose(mapped_audio, audio, atol=1e-5)


def test_griffin_lim_quality(notes):
    """Waveform SNR means little after Griffin-Lim (any phase fits the magnitudes), so the
    check is on magnitudes: more iterations must fit them better. Figures are printed."""
    mean, std = sg.specgan_moments([notes])
    spec = sg.specgan_forward(notes, mean, std)
    target = np.abs(tf.signal.stft(notes, 256, 128, pad_end=True).numpy())
    figures = {}
    for iterations in (16, 64):
        audio = sg.specgan_to_audio(spec, mean, std, iterations=iterations).numpy()
        assert audio.shape == (2, LENGTH) and np.all(np.isfinite(audio))
        fitted = np.abs(tf.signal.stft(audio, 256, 128, pad_end=True).numpy())
        figures[iterations] = (np.mean([snr_db(notes[i], audio[i]) for i in range(2)]),
                               np.mean([snr_db(target[i], fitted[i]) for i in range(2)]))
    for iterations, (wave, mag) in figures.items():
        print(f"SpecGAN Griffin-Lim {iterations} it.: waveform SNR {wave:.1f} dB, "
              f"magnitude SNR {mag:.1f} dB")
    assert figures[16][1] > 10.0
    assert figures[64][1] > figures[16][1]
