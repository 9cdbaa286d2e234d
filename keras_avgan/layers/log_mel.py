"""Fixed (untrained) audio features: a log-mel front end computed inside the Keras graph.

The audio judges start with this layer so a saved classifier takes raw audio and needs no
preprocessing outside the model.
"""

import keras
import tensorflow as tf

# Below this power a mel band counts as silence; keeps log() finite on digital zeros.
LOG_FLOOR = 1e-6


@keras.saving.register_keras_serializable(package="keras_avgan")
class LogMelSpectrogram(keras.layers.Layer):
    """[B, T, 1] or [B, T] audio in [-1, 1] -> [B, frames, num_mels, 1] log mel power.

    Each example is scaled on its own (no per-batch max as in a dB-with-top_db front end), so
    a clip's features do not depend on which other clips share its batch.
    """

    def __init__(self, sample_rate: int = 16000, frame_length: int = 1024,
                 frame_step: int = 256, num_mels: int = 64, min_hz: float = 40.0,
                 max_hz: float = 7800.0, floor: float = LOG_FLOOR, **kwargs):
        super().__init__(**kwargs)
        if frame_step <= 0 or frame_length <= 0 or num_mels <= 0:
            raise ValueError("frame_length, frame_step and num_mels must be positive, got "
                             f"{frame_length}, {frame_step}, {num_mels}")
        self.sample_rate = int(sample_rate)
        self.frame_length = int(frame_length)
        self.frame_step = int(frame_step)
        self.num_mels = int(num_mels)
        # A critic hearing generated audio wants a higher floor: log's slope 1 / (mel + floor)
        # is what R1 penalises, and a near-silent band should not dominate it.
        self.floor = float(floor)
        self.min_hz = float(min_hz)
        # A recipe at 8 kHz cannot have bands up to 7.8 kHz; cap at Nyquist.
        self.max_hz = float(min(max_hz, sample_rate / 2))
        if not 0 <= self.min_hz < self.max_hz:
            raise ValueError(f"need 0 <= min_hz < max_hz, got {self.min_hz}, {self.max_hz}")
        self.mel_matrix = tf.signal.linear_to_mel_weight_matrix(
            self.num_mels, self.frame_length // 2 + 1, self.sample_rate, self.min_hz,
            self.max_hz)

    def call(self, inputs):
        audio = tf.cast(inputs, tf.float32)
        if audio.shape.rank == 3:
            audio = audio[..., 0]
        stft = tf.signal.stft(audio, self.frame_length, self.frame_step, pad_end=True)
        # re^2 + im^2 rather than |stft|^2: abs() has no gradient at an exactly silent bin
        # (zero-padded clips have them), and critics train through this layer.
        power = tf.math.square(tf.math.real(stft)) + tf.math.square(tf.math.imag(stft))
        mel = tf.linalg.matmul(power, self.mel_matrix)
        return tf.math.log(mel + self.floor)[..., None]

    def num_frames(self, length: int) -> int:
        return -(-int(length) // self.frame_step)  # pad_end=True: ceil(T / step)

    def compute_output_shape(self, input_shape):
        length = input_shape[1]
        frames = None if length is None else self.num_frames(length)
        return (input_shape[0], frames, self.num_mels, 1)

    def get_config(self):
        return {**super().get_config(), "sample_rate": self.sample_rate,
                "frame_length": self.frame_length, "frame_step": self.frame_step,
                "num_mels": self.num_mels, "min_hz": self.min_hz, "max_hz": self.max_hz,
                "floor": self.floor}
