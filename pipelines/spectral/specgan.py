"""SpecGAN's representation: a 128x128 normalised log-magnitude spectrogram and its inverse.

STFT frame 256, hop 128, periodic Hann, padding at the end: 16384 samples give 128 frames of
129 bins; the Nyquist bin is dropped. Features log(|X| + 1e-6) are standardised per frequency
bin with moments from the training data, divided by 3 and clipped to [-1, 1]. Audio comes back
through Griffin-Lim (16 iterations, as SpecGAN does), written with builtin TFLite ops only.
The GANSynth representation lives in gansynth.py.
"""

import numpy as np
import tensorflow as tf

from pipelines.errors import DataError
from pipelines.spectral.dft import mono_batch
from pipelines.spectral.inverse import griffin_lim

SPECGAN_N_FFT = 256
SPECGAN_HOP = 128
SPECGAN_LENGTH = 16384
SPECGAN_BINS = 128  # 129 one-sided bins minus Nyquist
SPECGAN_CLIP_STDS = 3.0  # /3 then clip: values within three standard deviations survive
STD_FLOOR = 1e-4  # a bin that never varies (e.g. all-silent data) must not divide by zero
LOG_EPS = 1e-6  # log(|X| + eps): silence maps to about -13.8 instead of -inf


def specgan_features(audio) -> tf.Tensor:
    """[B, T] or [B, T, 1] -> log magnitudes [B, ceil(T/128), 128], not yet normalised."""
    # tf.signal.stft (an FFT) is the cheap route inside tf.data and its RFFT2D converts to
    # TFLite; Griffin-Lim, which needs the phase too, uses spectral_dft's matmul STFT.
    spectrum = tf.signal.stft(mono_batch(audio), SPECGAN_N_FFT, SPECGAN_HOP, SPECGAN_N_FFT,
                              pad_end=True)
    # abs before slicing: a strided slice of a complex tensor has no TFLite builtin
    return tf.math.log(tf.abs(spectrum)[..., :SPECGAN_BINS] + LOG_EPS)


def specgan_moments(batches) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin (mean [128], std [128]) of the features over every frame of every clip.

    `batches`: a tf.data.Dataset or any iterable of audio batches [B, T] / [B, T, 1] (or
    tuples/dicts whose first item / "audio" entry is one). Batch statistics are merged in
    float64 with Chan's pairwise update, so long runs do not lose precision to a huge sum
    of squares minus a huge squared sum.
    """
    count, mean, m2 = 0, np.zeros(SPECGAN_BINS), np.zeros(SPECGAN_BINS)
    for element in batches:
        features = specgan_features(_audio_of(element)).numpy().astype(np.float64)
        features = features.reshape(-1, SPECGAN_BINS)
        n = features.shape[0]
        if n == 0:
            continue
        batch_mean = features.mean(axis=0)
        batch_m2 = np.square(features - batch_mean).sum(axis=0)
        delta = batch_mean - mean
        total = count + n
        mean = mean + delta * (n / total)
        m2 = m2 + batch_m2 + np.square(delta) * (count * n / total)
        count = total
    if count == 0:
        raise DataError("specgan_moments: the data gave no audio; nothing to measure")
    return mean.astype(np.float32), np.sqrt(m2 / count).astype(np.float32)


def _audio_of(element):
    if isinstance(element, dict):
        return element["audio"]
    if isinstance(element, (tuple, list)):
        return element[0]
    return element


def _moments(mean, std):
    mean = tf.convert_to_tensor(mean, tf.float32)
    std = tf.maximum(tf.convert_to_tensor(std, tf.float32), STD_FLOOR)
    return mean, std


def specgan_normalize(features, mean, std) -> tf.Tensor:
    """Log magnitudes [B, F, 128] -> [B, F, 128, 1] in [-1, 1]."""
    mean, std = _moments(mean, std)
    scaled = (tf.convert_to_tensor(features, tf.float32) - mean) / (std * SPECGAN_CLIP_STDS)
    return tf.clip_by_value(scaled, -1.0, 1.0)[..., tf.newaxis]


def specgan_forward(audio, mean, std) -> tf.Tensor:
    """[B, T] or [B, T, 1] audio -> [B, ceil(T/128), 128, 1]; 16384 samples give 128x128."""
    return specgan_normalize(specgan_features(audio), mean, std)


def specgan_denormalize(spec, mean, std) -> tf.Tensor:
    """[B, F, 128, 1] (or [B, F, 128]) in [-1, 1] -> log magnitudes [B, F, 128]."""
    spec = tf.convert_to_tensor(spec, tf.float32)
    if spec.shape.rank == 4:
        spec = spec[..., 0]
    mean, std = _moments(mean, std)
    return spec * (std * SPECGAN_CLIP_STDS) + mean


def specgan_magnitudes(spec, mean, std) -> tf.Tensor:
    """[B, F, 128, 1] -> |X| [B, F, 129]: exp undoes the log, the Nyquist bin comes back 0."""
    magnitudes = tf.maximum(tf.exp(specgan_denormalize(spec, mean, std)) - LOG_EPS, 0.0)
    return tf.pad(magnitudes, [[0, 0], [0, 0], [0, 1]])


def specgan_to_audio(spec, mean, std, iterations: int = 16, momentum: float = 0.0,
                     length: int = SPECGAN_LENGTH) -> tf.Tensor:
    """[B, 128, 128, 1] -> audio [B, length] by Griffin-Lim (see spectral_inverse.griffin_lim).

    Builtin TFLite ops only, so it can sit at the end of an exported generator; the graph
    grows linearly with `iterations` because the loop is unrolled.
    """
    magnitudes = specgan_magnitudes(spec, mean, std)
    return griffin_lim(magnitudes, SPECGAN_N_FFT, SPECGAN_HOP, length, iterations, momentum)
