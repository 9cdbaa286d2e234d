"""Mel filterbank of as many bands as linear bins, and its normalised way back."""

import numpy as np
import pytest

from pipelines.spectral import mel


def test_htk_mel_scale():
    assert mel.hz_to_mel(0.0) == 0.0
    assert mel.hz_to_mel(1000.0) == pytest.approx(1000.0, abs=0.05)  # the scale's anchor
    np.testing.assert_allclose(mel.mel_to_hz(mel.hz_to_mel([50.0, 440.0, 8000.0])),
                               [50.0, 440.0, 8000.0])


@pytest.mark.parametrize("first_bin", [0, 1])
def test_filterbank_shape_and_columns(first_bin):
    weights = mel.mel_matrix(512, 16000, first_bin, 256)
    assert weights.shape == (256, 256) and weights.dtype == np.float32
    assert np.all(weights >= 0)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, atol=1e-6)  # no empty band
    freqs = mel.bin_frequencies(512, 16000, first_bin, 256)
    centers = freqs @ weights
    assert np.all(np.diff(centers) >= 0)  # bands go up in frequency
    assert centers[-1] > 7000 and centers[0] < 100


def test_bands_widen_with_frequency():
    weights = mel.mel_matrix(512, 16000, 0, 256)
    support = (weights > 0).sum(axis=0)
    assert support[-1] > support[len(support) // 2] >= support[0]


def test_pseudo_inverse_keeps_flat_spectra_flat():
    weights = mel.mel_matrix(512, 16000, 1, 256)
    back = mel.normalised_pseudo_inverse(weights)
    assert back.shape == (256, 256)
    np.testing.assert_allclose(back.sum(axis=0), 1.0, atol=1e-6)  # every linear bin reached
    flat = np.full((1, 256), 3.0, np.float32)
    np.testing.assert_allclose(flat @ weights @ back, flat, rtol=1e-5)
