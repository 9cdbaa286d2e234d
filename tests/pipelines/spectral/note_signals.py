"""Test signals shared by the spectral tests (imported by name: this folder is on sys.path)."""

import numpy as np

RATE, LENGTH = 16000, 16384


def harmonic_note(f0, seed=0, noise=0.01):
    """Five decaying harmonics with random phases plus white noise, [LENGTH] float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(LENGTH) / RATE
    tone = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6)) / k for k in range(1, 6))
    return (0.3 * tone * np.exp(-2 * t) + noise * rng.standard_normal(LENGTH)).astype(np.float32)


def two_notes():
    # 65.4 Hz is MIDI 36, low enough for its main lobe to reach the DC bin
    return np.stack([harmonic_note(220.0, 0), harmonic_note(65.4, 1)])


def snr_db(reference, estimate):
    return float(10 * np.log10(np.sum(reference ** 2) / np.sum((reference - estimate) ** 2)))
