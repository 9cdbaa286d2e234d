"""Mel filterbank with as many mel bands as linear bins, and its way back (GANSynth's IF-Mel).

Both matrices are averaging operators: each mel band is a weighted mean of the linear bins
under its triangle (columns sum to one), and each linear bin is a weighted mean of the mel
bands that cover it. Averaging keeps an instantaneous frequency in [-1, 1] after warping, and
a flat spectrum stays flat both ways. The way back is the normalised transpose rather than
a true pseudo-inverse, whose negative weights would turn powers negative.
"""

import functools

import numpy as np

MEL_BREAK_HZ = 700.0  # the HTK mel scale, as tf.signal.linear_to_mel_weight_matrix uses
MEL_HIGH_Q = 1127.0


def hz_to_mel(hz):
    return MEL_HIGH_Q * np.log1p(np.asarray(hz, np.float64) / MEL_BREAK_HZ)


def mel_to_hz(mel):
    return MEL_BREAK_HZ * np.expm1(np.asarray(mel, np.float64) / MEL_HIGH_Q)


def bin_frequencies(n_fft: int, sample_rate: float, first_bin: int, count: int) -> np.ndarray:
    return (first_bin + np.arange(count)) * sample_rate / n_fft


@functools.lru_cache(maxsize=16)
def mel_matrix(n_fft: int, sample_rate: float, first_bin: int, count: int,
               lower_hz: float = 0.0, upper_hz: float | None = None,
               min_width_bins: float = 1.5) -> np.ndarray:
    """[count linear bins, count mel bands]: linear power [..., count] @ M -> mel power.

    The linear bins are first_bin .. first_bin+count-1 of an n_fft-point DFT. Band edges are
    equally spaced in mel from lower_hz to upper_hz (default sample_rate/2). Low bands are
    narrower than a DFT bin, so every triangle is widened to at least `min_width_bins` bins,
    and a band that still covers no bin takes its nearest bin: no mel band is ever empty.
    """
    upper_hz = sample_rate / 2 if upper_hz is None else upper_hz
    freqs = bin_frequencies(n_fft, sample_rate, first_bin, count)
    edges = mel_to_hz(np.linspace(hz_to_mel(lower_hz), hz_to_mel(upper_hz), count + 2))
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    half = 0.5 * min_width_bins * sample_rate / n_fft
    lower, upper = np.minimum(lower, center - half), np.maximum(upper, center + half)
    f = freqs[:, None]
    rising = (f - lower) / (center - lower)
    falling = (upper - f) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    empty = weights.sum(axis=0) == 0
    nearest = np.abs(freqs[:, None] - center[None, :]).argmin(axis=0)
    weights[nearest[empty], np.flatnonzero(empty)] = 1.0
    return (weights / weights.sum(axis=0, keepdims=True)).astype(np.float32)


def normalised_pseudo_inverse(weights: np.ndarray) -> np.ndarray:
    """[linear, mel] filterbank -> [mel, linear] way back (the module docstring says why).

    The transpose with each linear bin's weights rescaled to sum to one; a bin no band
    touches (the top bin when the bands end at Nyquist) copies the band whose weighted
    centre is nearest.
    """
    weights = np.asarray(weights, np.float64)
    back = weights.T.copy()
    totals = back.sum(axis=0)
    uncovered = np.flatnonzero(totals == 0)
    if uncovered.size:
        centers = np.arange(weights.shape[0]) @ weights / weights.sum(axis=0)
        nearest = np.abs(uncovered[:, None] - centers[None, :]).argmin(axis=1)
        back[nearest, uncovered] = 1.0
        totals = back.sum(axis=0)
    return (back / totals[None, :]).astype(np.float32)
