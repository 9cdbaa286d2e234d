"""Spectral flatness against closed forms: pure tones, white noise, silence."""

import numpy as np
import pytest

from keras_avgan.modalities import tonality

RATE = 16000


def tone(freq, seconds=1.0, amplitude=0.5):
    t = np.arange(int(RATE * seconds)) / RATE
    return amplitude * np.sin(2 * np.pi * freq * t)


def test_white_noise_scores_exp_minus_euler_gamma():
    # Periodogram bins of white noise are exponential: E[log P] = log E[P] - gamma.
    noise = np.random.default_rng(0).normal(size=(8, RATE))
    assert tonality.spectral_flatness(noise, RATE) == pytest.approx(np.exp(-np.euler_gamma),
                                                                    abs=0.03)


def test_clean_partials_score_near_zero_and_noise_raises_the_score_with_its_level():
    note = tone(220) + 0.5 * tone(440) + 0.25 * tone(660)
    noise = np.random.default_rng(1).normal(size=note.shape) * note.std()
    scores = [tonality.spectral_flatness(note[None] + noise * 10 ** (-db / 20), RATE)
              for db in (np.inf, 30, 20, 10)]
    assert scores[0] < 1e-4
    assert scores == sorted(scores) and scores[-1] > 100 * scores[0]


def test_silent_frames_do_not_count_and_a_silent_clip_scores_one():
    note = tone(220)
    fade = np.clip((RATE // 2 - np.arange(RATE)) / 800, 0, 1)  # 50 ms release, no click
    half_silent = note * fade
    clips = np.stack([note, half_silent, np.zeros(RATE)])[..., None]  # [N, T, 1] accepted
    per_clip = tonality.clip_flatness(clips, RATE)
    assert per_clip[1] == pytest.approx(per_clip[0], abs=1e-4)
    assert per_clip[2] == 1.0


def test_bad_shapes_and_bands_are_refused():
    with pytest.raises(ValueError, match="shape"):
        tonality.clip_flatness(np.zeros((2, 3, 4)), RATE)
    with pytest.raises(ValueError, match="band"):
        tonality.clip_flatness(np.zeros((1, RATE)), RATE, band_hz=(100, 9000))
