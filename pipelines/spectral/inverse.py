"""Griffin-Lim with real-valued DFT bases, so it runs inside builtins-only TFLite models.

Spectra are (real, imag) pairs of float32 tensors and both transforms are the matmul STFTs
of spectral_dft: tf.Complex, tf.IRFFT and tf.Angle would all need Flex ops.
"""

import functools

import numpy as np
import tensorflow as tf

from pipelines.spectral import dft

# Edge samples that fewer frames overlap come back attenuated by the inverse window; their
# gain is restored, but never by more than 1/COVERAGE_FLOOR, so the near-zero ends of the
# Hann window cannot amplify the inconsistencies Griffin-Lim leaves.
COVERAGE_FLOOR = 0.1
PHASE_EPS = 1e-8  # below this |X| has no usable phase; such bins keep only their magnitude


@functools.lru_cache(maxsize=32)
def edge_gain(n_fft: int, hop: int, frames: int) -> np.ndarray:
    """Per sample of the overlap-added signal, 1 / (the share of it the frames give back).

    The synthesis window makes analysis x synthesis sum to exactly one where n_fft/hop
    frames overlap; only the first and last n_fft - hop samples fall short.
    """
    window = dft.hann_periodic(n_fft) * dft.inverse_window(n_fft, hop)
    coverage = np.zeros((frames - 1) * hop + n_fft)
    for t in range(frames):
        coverage[t * hop:t * hop + n_fft] += window
    gain = 1.0 / np.maximum(coverage, COVERAGE_FLOOR)
    gain[np.abs(coverage - 1.0) < 1e-9] = 1.0  # the interior stays an exact identity
    return gain.astype(np.float32)


def _support(n_fft: int, hop: int, frames: int, length: int) -> tf.Tensor:
    """Edge gain on the clip's samples and zero on the end padding: the padding was silent."""
    gain = edge_gain(n_fft, hop, frames).copy()
    gain[length:] = 0.0
    return tf.constant(gain)


def griffin_lim(magnitudes, n_fft: int, hop: int, length: int, iterations: int = 16,
                momentum: float = 0.0) -> tf.Tensor:
    """|X| [B, frames, n_fft/2 + 1] (end-padded framing) -> a clip [B, length].

    Starts from zero phase (deterministic, so TF and TFLite agree), then alternates the
    least-squares signal, restricted to the clip, with keeping its phase and imposing the
    magnitudes. `momentum` > 0 is the "fast Griffin-Lim" extrapolation (0.99 is usual);
    0 is the plain algorithm SpecGAN uses. The loop unrolls when traced: `iterations` is
    fixed in the graph.
    """
    magnitudes = tf.convert_to_tensor(magnitudes, tf.float32)
    frames = magnitudes.shape[1]
    if frames is None:
        raise ValueError("griffin_lim needs the number of frames when the graph is built")
    support = _support(n_fft, hop, frames, length)
    real, imag = magnitudes, tf.zeros_like(magnitudes)
    previous = None
    for _ in range(iterations):
        signal = dft.istft(real, imag, n_fft, hop) * support
        projected = _impose(magnitudes, *dft.stft(signal, n_fft, hop))
        real, imag = projected
        if momentum and previous is not None:
            real = projected[0] + momentum * (projected[0] - previous[0])
            imag = projected[1] + momentum * (projected[1] - previous[1])
        previous = projected
    signal = dft.istft(real, imag, n_fft, hop) * support
    return signal[:, :length]


def _impose(magnitudes, real, imag):
    """Keep the phase of (real, imag), take the magnitude from `magnitudes`."""
    scale = magnitudes / tf.maximum(dft.magnitude(real, imag), PHASE_EPS)
    return real * scale, imag * scale
