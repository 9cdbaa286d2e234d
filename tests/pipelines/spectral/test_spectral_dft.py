"""Real-valued DFT STFT (spectral_dft) and its edge gains against tf.signal."""

import numpy as np
import pytest
import tensorflow as tf

from pipelines.spectral import dft
from pipelines.spectral.inverse import COVERAGE_FLOOR, edge_gain


def _signal(batch=2, length=4096, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, length)).astype(np.float32)


@pytest.mark.parametrize("n_fft,hop", [(256, 128), (512, 128)])
def test_stft_matches_tf_signal(n_fft, hop):
    x = _signal()
    real, imag = dft.stft(x, n_fft, hop)
    ref = tf.signal.stft(x, n_fft, hop, n_fft, pad_end=False).numpy()
    assert real.shape == ref.shape
    # float32 sums of n_fft terms of size <= 1: 1e-4 is a few ulps of the largest bins
    np.testing.assert_allclose(real.numpy(), ref.real, atol=1e-4)
    np.testing.assert_allclose(imag.numpy(), ref.imag, atol=1e-4)


@pytest.mark.parametrize("n_fft,hop", [(256, 128), (512, 128)])
def test_istft_matches_tf_inverse_stft_with_inverse_window(n_fft, hop):
    spectrum = tf.signal.stft(_signal(seed=1), n_fft, hop, n_fft, pad_end=False)
    ours = dft.istft(tf.math.real(spectrum), tf.math.imag(spectrum), n_fft, hop).numpy()
    ref = tf.signal.inverse_stft(spectrum, n_fft, hop, n_fft,
                                 window_fn=tf.signal.inverse_stft_window_fn(hop)).numpy()
    assert ours.shape == ref.shape
    assert np.max(np.abs(ours - ref)) <= 1e-5


def test_inverse_window_is_tf_inverse_stft_window():
    for n_fft, hop in [(256, 128), (512, 128), (1024, 256)]:
        ref = tf.signal.inverse_stft_window_fn(hop)(n_fft, tf.float64).numpy()
        np.testing.assert_allclose(dft.inverse_window(n_fft, hop), ref, atol=1e-12)


def test_analysis_then_synthesis_is_identity_inside():
    x = _signal(length=2048)
    y = dft.istft(*dft.stft(x, 512, 128), 512, 128).numpy()
    inner = slice(512 - 128, 2048 - 512 + 128)  # samples seen by all four frames
    assert np.max(np.abs(y[:, inner] - x[:, inner])) < 1e-5


def test_sine_on_a_bin_peaks_at_that_bin():
    k, n_fft = 10, 256
    x = np.sin(2 * np.pi * k * np.arange(4096) / n_fft)[None].astype(np.float32)
    real, imag = dft.stft(x, n_fft, 128)
    power = (real ** 2 + imag ** 2).numpy().mean(axis=1)[0]
    assert power.argmax() == k
    assert power[k] > 1e6 * np.delete(power, [k - 1, k, k + 1]).max()


def test_accepts_batch_time_and_batch_time_one():
    x = _signal(length=1024)
    a = dft.stft(dft.mono_batch(x), 256, 128)[0]
    b = dft.stft(dft.mono_batch(x[..., None]), 256, 128)[0]
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError):
        dft.mono_batch(np.zeros((2, 1024, 2), np.float32))


def test_edge_gain_is_one_inside_and_capped_at_the_edges():
    gain = edge_gain(256, 128, 128)  # SpecGAN framing: padding only at the end
    assert gain.shape == (127 * 128 + 256,)
    np.testing.assert_array_equal(gain[128:-128], 1.0)
    assert gain[0] == pytest.approx(1 / COVERAGE_FLOOR)
    assert np.all(gain[:128] >= 1.0)
