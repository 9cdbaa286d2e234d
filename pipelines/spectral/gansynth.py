"""GANSynth's picture of sound: log magnitude and instantaneous frequency, linear or mel.

Shapes for our 1-s notes (16384 samples at 16 kHz): n_fft 512, hop 128 -> 128 frames x
257 bins; dropping one bin leaves a [128 time, 256 freq, 2] image. This keeps GANSynth's
75 % overlap (hop = n_fft / 4) and power-of-two sides, with 31 Hz bins and 8 ms hops
(GANSynth's 2048/512 on 4-s notes gives 128 x 1024; 1024/256 on 1 s would be 64 x 512).

Which bin goes. GANSynth drops DC, harmless at its 7.8 Hz resolution. At 31 Hz the Hann
main lobe (+-2 bins) of any fundamental below ~94 Hz (MIDI 24-30), and the envelope of
every decaying note, reach bin 0: measured on decaying notes, dropping DC caps the linear
round trip at 36 dB (65 Hz) to 46 dB (220 Hz), dropping Nyquist gives 76-82 dB. Audio
resampled to 16 kHz has next to nothing at 8 kHz, so we drop Nyquist by default;
`drop="dc"` gives GANSynth's choice.

Edges. GANSynth pads n_fft - hop zeros at the front so that 16384 / hop frames come out,
which leaves the last n_fft - hop samples covered by fewer frames than the inverse window
assumes (the "tail edge effects" its code mentions). By default we pad with the last
n_fft - hop samples instead (circular framing): every sample is then covered by exactly
n_fft / hop frames, and the inverse folds the head of its output onto the tail, so the
linear round trip is exact. For notes, which decay, the wrapped tail is nearly silent.
`wrap=False` gives GANSynth's zero front padding.

Channels: 0 is log(|X| + 1e-6) (linear) or log(mel(|X|^2) + 1e-6) (mel); 1 is the
instantaneous frequency, the principal value of the phase step between frames over pi,
where the first frame keeps its own phase. In the mel variant the unwrapped phase is
projected onto the mel bands before differencing, and the inverse maps both channels back
with the normalised pseudo-inverse, as GANSynth does; that way back is only approximate.
"""

import numpy as np
import tensorflow as tf

from pipelines.spectral import dft
from pipelines.spectral import mel as mel_lib

N_FFT = 512
HOP = 128
SAMPLE_RATE = 16000
LENGTH = 16384
LOG_EPS = 1e-6
# GANSynth's clip(a * x + b, -1, 1) constants, per channel.
MAGNITUDE_SCALE = (0.0661371661726, 0.113718730221)
IF_SCALE = (0.8, 0.0)
DROPS = ("nyquist", "dc")


def _pad(n_fft: int, hop: int) -> int:
    return n_fft - hop


def _kept(n_fft: int, drop: str) -> slice:
    """The n_fft/2 bins the image keeps out of the n_fft/2 + 1 one-sided ones."""
    if drop not in DROPS:
        raise ValueError(f"drop must be one of {DROPS}; got {drop!r}")
    return slice(0, n_fft // 2) if drop == "nyquist" else slice(1, n_fft // 2 + 1)


def _restore(part: tf.Tensor, drop: str) -> tf.Tensor:
    """[B, time, n_fft/2] -> [B, time, n_fft/2 + 1] with the dropped bin back as zero."""
    return tf.pad(part, [[0, 0], [0, 0], [0, 1] if drop == "nyquist" else [1, 0]])


def _mel_matrices(n_fft: int, sample_rate: int, drop: str):
    """(to_mel [bins, bins], from_mel [bins, bins]) as float32 constants."""
    weights = mel_lib.mel_matrix(n_fft, sample_rate, _kept(n_fft, drop).start, n_fft // 2)
    return (tf.constant(weights), tf.constant(mel_lib.normalised_pseudo_inverse(weights)))


def _frame_step_diff(phase: tf.Tensor) -> tf.Tensor:
    """Principal value of phase[t] - phase[t-1] along axis 1; phase[-1] counts as 0."""
    previous = tf.pad(phase[:, :-1], [[0, 0], [1, 0], [0, 0]])
    step = phase - previous
    return step - (2.0 * np.pi) * tf.round(step / (2.0 * np.pi))


def instantaneous_frequency(phase: tf.Tensor) -> tf.Tensor:
    """Phase [B, time, freq] in radians -> IF in [-1, 1] (radians per hop over pi)."""
    return _frame_step_diff(phase) / np.pi


def _scale(image: tf.Tensor, magnitude_scale, if_scale) -> tf.Tensor:
    a = tf.constant([magnitude_scale[0], if_scale[0]], tf.float32)
    b = tf.constant([magnitude_scale[1], if_scale[1]], tf.float32)
    return tf.clip_by_value(image * a + b, -1.0, 1.0)


def _unscale(image: tf.Tensor, magnitude_scale, if_scale) -> tf.Tensor:
    a = tf.constant([magnitude_scale[0], if_scale[0]], tf.float32)
    b = tf.constant([magnitude_scale[1], if_scale[1]], tf.float32)
    return (image - b) / a


def _spectrum(audio, n_fft: int, hop: int, wrap: bool, drop: str):
    """Audio [B, T] -> (real, imag) [B, T / hop, n_fft / 2] without the dropped bin."""
    signal = dft.mono_batch(audio)
    length, pad = dft.static_length(signal), _pad(n_fft, hop)
    if length % hop or length < pad:
        raise ValueError(f"{length} samples must be a multiple of hop {hop} and >= {pad}")
    head = signal[:, length - pad:] if wrap else tf.zeros_like(signal[:, :pad])
    real, imag = dft.stft(tf.concat([head, signal], axis=1), n_fft, hop)
    kept = _kept(n_fft, drop)
    return real[..., kept], imag[..., kept]


def gansynth_forward(audio, mel: bool = False, n_fft: int = N_FFT, hop: int = HOP,
                     sample_rate: int = SAMPLE_RATE, wrap: bool = True,
                     normalise: bool = True, magnitude_scale=MAGNITUDE_SCALE,
                     if_scale=IF_SCALE, drop: str = "nyquist",
                     if_floor_db: float | None = None) -> tf.Tensor:
    """audio [B, T] or [B, T, 1] -> image [B, T / hop, n_fft / 2, 2].

    With `normalise`, channels go through clip(a * x + b, -1, 1); pass data-derived (a, b)
    pairs as `magnitude_scale` / `if_scale` to replace GANSynth's constants.
    `if_floor_db` (e.g. -60) sets the IF to 0 in bins that far below the clip's loudest
    bin: their phase is that of quantisation noise, random from frame to frame, which a
    generator would otherwise have to imitate over most of the image, and which no one hears.
    """
    real, imag = _spectrum(audio, n_fft, hop, wrap, drop)
    phase = tf.atan2(imag, real)
    if mel:
        to_mel, _ = _mel_matrices(n_fft, sample_rate, drop)
        power = tf.square(real) + tf.square(imag)
        log_mag = tf.math.log(tf.matmul(power, to_mel) + LOG_EPS)
        unwrapped = tf.cumsum(_frame_step_diff(phase), axis=1)
        freq = instantaneous_frequency(tf.matmul(unwrapped, to_mel))
    else:
        log_mag = tf.math.log(dft.magnitude(real, imag) + LOG_EPS)
        freq = instantaneous_frequency(phase)
    if if_floor_db is not None:
        # log_mag is ln|X| (linear) or ln|X|^2 (mel): dB / 20 (or / 10) * ln 10 nats.
        nats = if_floor_db / (10.0 if mel else 20.0) * np.log(10.0)
        loudest = tf.reduce_max(log_mag, axis=[1, 2], keepdims=True)
        freq = tf.where(log_mag >= loudest + nats, freq, tf.zeros_like(freq))
    image = tf.stack([log_mag, freq], axis=-1)
    return _scale(image, magnitude_scale, if_scale) if normalise else image


def _fold(audio: tf.Tensor, length: int, pad: int, wrap: bool) -> tf.Tensor:
    """Inverse-STFT output [B, pad + length] -> [B, length].

    With circular framing the first `pad` samples are the tail seen again, so they are
    added back onto it; with zero padding they are simply dropped.
    """
    body = audio[:, pad:]
    if not wrap:
        return body
    return tf.concat([body[:, :length - pad], body[:, length - pad:] + audio[:, :pad]], axis=1)


def gansynth_to_audio(image, mel: bool = False, n_fft: int = N_FFT, hop: int = HOP,
                      sample_rate: int = SAMPLE_RATE, wrap: bool = True,
                      normalised: bool = True, magnitude_scale=MAGNITUDE_SCALE,
                      if_scale=IF_SCALE, drop: str = "nyquist") -> tf.Tensor:
    """image [B, time, n_fft / 2, 2] -> audio [B, time * hop].

    Phase is the running sum of IF * pi over frames; the inverse STFT is the real-valued
    one from spectral_dft, so this converts to TFLite with builtin ops only.
    """
    image = tf.convert_to_tensor(image, tf.float32)
    if normalised:
        image = _unscale(image, magnitude_scale, if_scale)
    log_mag, freq = image[..., 0], image[..., 1]
    phase = tf.cumsum(freq * np.pi, axis=1)
    if mel:
        _, from_mel = _mel_matrices(n_fft, sample_rate, drop)
        power = tf.matmul(tf.nn.relu(tf.exp(log_mag) - LOG_EPS), from_mel)
        mag = tf.sqrt(tf.nn.relu(power))
        phase = tf.matmul(phase, from_mel)
    else:
        mag = tf.nn.relu(tf.exp(log_mag) - LOG_EPS)
    real = _restore(mag * tf.cos(phase), drop)
    imag = _restore(mag * tf.sin(phase), drop)
    frames = int(image.shape[1])
    audio = dft.istft(real, imag, n_fft, hop)
    return _fold(audio, frames * hop, _pad(n_fft, hop), wrap)


def gansynth_scales_from_data(batches, **forward_kwargs) -> tuple[tuple, tuple]:
    """(magnitude_scale, if_scale) mapping each channel's range over the data onto [-1, 1].

    The data-derived alternative to GANSynth's constants: `batches` is a tf.data.Dataset or
    any iterable of audio batches (or tuples whose first item is one); `forward_kwargs` are
    those later given to gansynth_forward (mel, n_fft, ...). Pass the result back to both
    gansynth_forward and gansynth_to_audio.
    """
    low, high = np.full(2, np.inf), np.full(2, -np.inf)
    for element in batches:
        audio = element[0] if isinstance(element, (tuple, list)) else element
        image = gansynth_forward(audio, normalise=False, **forward_kwargs).numpy()
        low = np.minimum(low, image.min(axis=(0, 1, 2)))
        high = np.maximum(high, image.max(axis=(0, 1, 2)))
    if not np.all(np.isfinite(low)):
        raise ValueError("gansynth_scales_from_data: the data gave no audio")
    span = np.maximum(high - low, 1e-6)  # a constant channel must not divide by zero
    a, b = 2.0 / span, -(high + low) / span
    return (float(a[0]), float(b[0])), (float(a[1]), float(b[1]))
