"""GANSynth representation: IF golden values, exact linear inversion, mel, scales, tf.data."""

import numpy as np
import pytest
import tensorflow as tf
from note_signals import LENGTH, harmonic_note, snr_db, two_notes

from pipelines.spectral import gansynth as gs


@pytest.fixture(scope="module")
def notes():
    return two_notes()


def test_image_shape_and_range(notes):
    for audio in (notes, notes[..., None]):
        image = gs.gansynth_forward(audio).numpy()
        assert image.shape == (2, 128, 256, 2)
        assert image.min() >= -1 and image.max() <= 1
    assert gs.gansynth_forward(notes, mel=True).shape == (2, 128, 256, 2)


@pytest.mark.parametrize("k,expected", [(1, 0.5), (3, -0.5), (5, 0.5), (8, 0.0)])
def test_if_of_a_stationary_sinusoid(k, expected):
    """Phase advances 2*pi*k*hop/n_fft per frame; IF is that step, wrapped, over pi."""
    n = np.arange(LENGTH)
    x = np.cos(2 * np.pi * k * n / 512 + 0.3)[None].astype(np.float32)
    image = gs.gansynth_forward(x, normalise=False).numpy()[0]
    assert image[1:, :, 0].mean(axis=0).argmax() == k  # Nyquist dropped: index = bin
    np.testing.assert_allclose(image[1:, k, 1], expected, atol=1e-4)
    assert -1 <= image[0, k, 1] <= 1  # the first frame keeps its own phase


def test_normalisation_constants(notes):
    raw = gs.gansynth_forward(notes, normalise=False).numpy()
    scaled = gs.gansynth_forward(notes).numpy()
    (ma, mb), (ia, ib) = gs.MAGNITUDE_SCALE, gs.IF_SCALE
    np.testing.assert_allclose(scaled[..., 0], np.clip(ma * raw[..., 0] + mb, -1, 1), atol=1e-6)
    np.testing.assert_allclose(scaled[..., 1], np.clip(ia * raw[..., 1] + ib, -1, 1), atol=1e-6)


def test_linear_round_trip_is_exact(notes):
    """Whole clip, no samples excluded: circular framing covers every sample 4 times."""
    audio = gs.gansynth_to_audio(gs.gansynth_forward(notes)).numpy()
    assert audio.shape == notes.shape
    figures = [snr_db(notes[i], audio[i]) for i in range(2)]
    print("GANSynth linear IF round trip SNR (220 Hz, 65.4 Hz):",
          ", ".join(f"{f:.1f} dB" for f in figures))
    assert min(figures) >= 40.0


def test_gansynth_zero_front_padding_loses_only_the_tail(notes):
    audio = gs.gansynth_to_audio(gs.gansynth_forward(notes, wrap=False), wrap=False).numpy()
    body = slice(0, LENGTH - 384)  # the last n_fft - hop samples see fewer than 4 frames
    assert min(snr_db(notes[i, body], audio[i, body]) for i in range(2)) >= 40.0


def test_mel_round_trip_is_approximate(notes):
    audio = gs.gansynth_to_audio(gs.gansynth_forward(notes, mel=True), mel=True).numpy()
    assert audio.shape == notes.shape and np.all(np.isfinite(audio))
    figures = [snr_db(notes[i], audio[i]) for i in range(2)]
    print("GANSynth mel IF round trip SNR (220 Hz, 65.4 Hz):",
          ", ".join(f"{f:.1f} dB" for f in figures))
    # the way back averages neighbouring bins' phases: only a loose check of sanity
    assert np.std(audio) < 3 * np.std(notes)


def test_dropping_dc_like_gansynth_costs_fidelity_on_low_notes(notes):
    image = gs.gansynth_forward(notes, drop="dc")
    audio = gs.gansynth_to_audio(image, drop="dc").numpy()
    exact = gs.gansynth_to_audio(gs.gansynth_forward(notes)).numpy()
    assert snr_db(notes[1], audio[1]) < snr_db(notes[1], exact[1])
    with pytest.raises(ValueError):
        gs.gansynth_forward(notes, drop="middle")


def test_scales_from_data_map_the_data_onto_minus_one_one(notes):
    ds = tf.data.Dataset.from_tensor_slices((notes, [0, 1])).batch(1)
    magnitude_scale, if_scale = gs.gansynth_scales_from_data(ds)
    image = gs.gansynth_forward(notes, magnitude_scale=magnitude_scale,
                                if_scale=if_scale).numpy()
    for channel in (0, 1):
        assert image[..., channel].min() == pytest.approx(-1, abs=1e-4)
        assert image[..., channel].max() == pytest.approx(1, abs=1e-4)
    audio = gs.gansynth_to_audio(image, magnitude_scale=magnitude_scale,
                                 if_scale=if_scale).numpy()
    assert snr_db(notes[0], audio[0]) >= 40.0


@pytest.mark.parametrize("mel", [False, True])
def test_tf_data_map_matches_eager(notes, mel):
    eager = gs.gansynth_forward(notes[..., None], mel=mel).numpy()
    ds = tf.data.Dataset.from_tensor_slices(notes[..., None]).batch(2)
    mapped = next(iter(ds.map(lambda a: gs.gansynth_forward(a, mel=mel)))).numpy()
    np.testing.assert_allclose(mapped, eager, atol=1e-5)
    audio = gs.gansynth_to_audio(eager, mel=mel).numpy()
    mapped_audio = next(iter(tf.data.Dataset.from_tensor_slices(eager).batch(2).map(
        lambda image: gs.gansynth_to_audio(image, mel=mel)))).numpy()
    np.testing.assert_allclose(mapped_audio, audio, atol=1e-5)


def test_if_floor_zeroes_only_bins_far_below_the_peak(notes):
    raw = gs.gansynth_forward(notes, normalise=False).numpy()
    floored = gs.gansynth_forward(notes, normalise=False, if_floor_db=-60.0).numpy()
    np.testing.assert_array_equal(floored[..., 0], raw[..., 0])  # magnitudes untouched
    quiet = raw[..., 0] < raw[..., 0].max(axis=(1, 2), keepdims=True) - 3 * np.log(10.0)
    np.testing.assert_array_equal(floored[..., 1][quiet], 0.0)
    np.testing.assert_array_equal(floored[..., 1][~quiet], raw[..., 1][~quiet])
    assert 0.05 < quiet.mean() < 0.95  # the white noise floor of the notes sits below -60 dB
    # The floored bins come back with a frozen phase. With a noise floor as low as 16-bit
    # audio's the waveform still round-trips above 40 dB; a loud noise floor (the fixture's,
    # -30 dB) comes back as noise of another phase: the same sound, a lower waveform SNR.
    clean = np.stack([harmonic_note(220.0, 0, noise=1e-4), harmonic_note(65.4, 1, noise=1e-4)])
    audio = gs.gansynth_to_audio(gs.gansynth_forward(clean, if_floor_db=-60.0)).numpy()
    figures = [snr_db(clean[i], audio[i]) for i in range(2)]
    print("round trip SNR with the -60 dB IF floor:", ", ".join(f"{f:.1f} dB" for f in figures))
    assert min(figures) >= 40.0
