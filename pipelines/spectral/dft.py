"""Short-time Fourier transforms written with real-valued DFT bases.

`tf.signal.inverse_stft` lowers to tf.Complex and tf.IRFFT, which TFLite cannot run with
builtin ops. Here every transform is a matmul against cos/sin bases, framing is a reshape
plus shifted slices and overlap-add is padded slices summed, so the same code serves
tf.data pipelines, exported SavedModels and builtins-only TFLite files. Complex values are
carried as a pair (real, imag) of float32 tensors.

Only frame lengths that are a whole multiple of the hop are supported: that is what lets
framing and overlap-add be reshapes instead of gathers.
"""

import functools

import numpy as np
import tensorflow as tf


def hann_periodic(n_fft: int) -> np.ndarray:
    """The window tf.signal.hann_window(n, periodic=True) gives, as float64."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)


@functools.lru_cache(maxsize=None)
def inverse_window(n_fft: int, hop: int) -> np.ndarray:
    """Synthesis window matching tf.signal.inverse_stft_window_fn(hop) for a periodic Hann.

    Dividing the analysis window by the sum of its squared hop-shifts makes overlap-add
    of windowed frames give back the signal wherever all n_fft/hop frames overlap.
    """
    window = hann_periodic(n_fft)
    squared = (window ** 2).reshape(-1, hop).sum(axis=0)
    return window / np.tile(squared, n_fft // hop)


@functools.lru_cache(maxsize=None)
def _bases(n_fft: int, hop: int):
    """(forward [n_fft, 2*bins], inverse [2*bins, n_fft]) with the windows folded in."""
    bins = n_fft // 2 + 1
    # k*n mod N keeps the angle small, so float64 cos/sin stay exact for large N.
    angle = 2.0 * np.pi * (np.outer(np.arange(n_fft), np.arange(bins)) % n_fft) / n_fft
    cos, sin = np.cos(angle), np.sin(angle)
    window = hann_periodic(n_fft)[:, None]
    forward = np.concatenate([window * cos, -window * sin], axis=1)
    # irfft: interior bins stand for themselves and their mirror images, so they count twice.
    weight = np.full(bins, 2.0)
    weight[0] = 1.0
    weight[-1] = 1.0
    synthesis = inverse_window(n_fft, hop)[None, :]
    inverse = np.concatenate([weight[:, None] * cos.T, -weight[:, None] * sin.T], axis=0)
    inverse = inverse * synthesis / n_fft
    return forward.astype(np.float32), inverse.astype(np.float32)


def _check_sizes(n_fft: int, hop: int):
    if n_fft % hop or n_fft % 2:
        raise ValueError(f"n_fft ({n_fft}) must be even and a multiple of hop ({hop})")


def static_length(signal: tf.Tensor) -> int:
    length = signal.shape[-1]
    if length is None:
        raise ValueError("the number of samples must be known when the graph is built; "
                         "batch fixed-length clips (e.g. crop or pad before batching)")
    return int(length)


def frame(signal: tf.Tensor, n_fft: int, hop: int) -> tf.Tensor:
    """[B, L] -> [B, frames, n_fft] for L = hop * (frames - 1) + n_fft, no padding added."""
    _check_sizes(n_fft, hop)
    length = static_length(signal)
    if length < n_fft or (length - n_fft) % hop:
        raise ValueError(f"{length} samples do not tile into frames of {n_fft} by {hop}")
    chunks, ratio = length // hop, n_fft // hop
    frames = chunks - ratio + 1
    pieces = tf.reshape(signal, [-1, chunks, hop])
    return tf.concat([pieces[:, j:j + frames] for j in range(ratio)], axis=-1)


def overlap_add(frames: tf.Tensor, hop: int) -> tf.Tensor:
    """[B, frames, n_fft] -> [B, hop * (frames - 1) + n_fft], summing where frames overlap."""
    count, n_fft = int(frames.shape[-2]), int(frames.shape[-1])
    _check_sizes(n_fft, hop)
    ratio = n_fft // hop
    total = 0.0
    for j in range(ratio):
        piece = frames[:, :, j * hop:(j + 1) * hop]
        total += tf.pad(piece, [[0, 0], [j, ratio - 1 - j], [0, 0]])
    return tf.reshape(total, [-1, (count + ratio - 1) * hop])


def pad_end(signal: tf.Tensor, n_fft: int, hop: int) -> tf.Tensor:
    """Zero-pad the tail as tf.signal.stft(pad_end=True) does: ceil(L / hop) frames."""
    length = static_length(signal)
    frames = -(-length // hop)
    return tf.pad(signal, [[0, 0], [0, hop * (frames - 1) + n_fft - length]])


def stft(signal: tf.Tensor, n_fft: int, hop: int):
    """[B, L] -> (real, imag), each [B, frames, n_fft // 2 + 1]; periodic Hann analysis.

    Equals tf.signal.stft(signal, n_fft, hop, n_fft, pad_end=False) up to float32 rounding.
    """
    forward, _ = _bases(n_fft, hop)
    spectrum = tf.matmul(frame(tf.cast(signal, tf.float32), n_fft, hop), forward)
    return tf.split(spectrum, 2, axis=-1)


def istft(real: tf.Tensor, imag: tf.Tensor, n_fft: int, hop: int) -> tf.Tensor:
    """(real, imag) [B, frames, n_fft // 2 + 1] -> [B, hop * (frames - 1) + n_fft].

    Equals tf.signal.inverse_stft(..., window_fn=tf.signal.inverse_stft_window_fn(hop)).
    The imaginary parts of the DC and Nyquist bins are ignored, as an irfft does.
    """
    _, inverse = _bases(n_fft, hop)
    frames = tf.matmul(tf.concat([real, imag], axis=-1), inverse)
    return overlap_add(frames, hop)


def magnitude(real: tf.Tensor, imag: tf.Tensor) -> tf.Tensor:
    return tf.sqrt(tf.square(real) + tf.square(imag))


def mono_batch(audio) -> tf.Tensor:
    """[B, T] or [B, T, 1] -> float32 [B, T]."""
    audio = tf.convert_to_tensor(audio, dtype=tf.float32)
    if audio.shape.rank == 3:
        if audio.shape[-1] != 1:
            raise ValueError(f"expected mono audio [B, T, 1], got shape {audio.shape}")
        audio = audio[..., 0]
    if audio.shape.rank != 2:
        raise ValueError(f"expected audio [B, T] or [B, T, 1], got shape {audio.shape}")
    return audio
