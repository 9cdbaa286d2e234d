"""MFCCs computed in the Keras graph, TensorFlow's recipe: STFT -> magnitude -> mel
(linear_to_mel_weight_matrix) -> log -> tf.signal.mfccs_from_log_mel_spectrograms, first
13 coefficients.

Frames are 1024 samples with a hop of 256 and no end padding, so a clip of T samples has
1 + (T - 1024) // 256 frames: 29 for 8192 samples, whose flattened MFCCs are
29 x 13 = 377 values.
"""

import keras
import tensorflow as tf

# Added to the mel magnitudes before the log (TensorFlow's recipe): keeps silence finite.
LOG_OFFSET = 1e-6
# Added to re^2 + im^2 under the square root: |z|'s slope is undefined at an exactly
# silent bin, and generators are trained through this layer.
POWER_FLOOR = 1e-12


@keras.saving.register_keras_serializable(package="keras_avgan")
class MFCC(keras.layers.Layer):
    """[B, T] or [B, T, 1] audio in [-1, 1] -> [B, frames, num_coefficients] MFCCs."""

    def __init__(self, sample_rate: int = 16000, frame_length: int = 1024,
                 frame_step: int = 256, num_mels: int = 80, min_hz: float = 80.0,
                 max_hz: float = 7600.0, num_coefficients: int = 13, **kwargs):
        super().__init__(**kwargs)
        if not 0 < num_coefficients <= num_mels:
            raise ValueError(f"need 0 < num_coefficients <= num_mels, got "
                             f"{num_coefficients}, {num_mels}")
        self.sample_rate, self.frame_length = int(sample_rate), int(frame_length)
        self.frame_step, self.num_mels = int(frame_step), int(num_mels)
        self.min_hz, self.max_hz = float(min_hz), float(min(max_hz, sample_rate / 2))
        self.num_coefficients = int(num_coefficients)
        self.mel_matrix = tf.signal.linear_to_mel_weight_matrix(
            self.num_mels, self.frame_length // 2 + 1, self.sample_rate, self.min_hz,
            self.max_hz)

    def call(self, inputs):
        audio = tf.cast(inputs, tf.float32)
        if audio.shape.rank == 3:
            audio = audio[..., 0]
        stft = tf.signal.stft(audio, self.frame_length, self.frame_step,
                              fft_length=self.frame_length)
        magnitude = tf.sqrt(tf.square(tf.math.real(stft)) + tf.square(tf.math.imag(stft))
                            + POWER_FLOOR)
        log_mel = tf.math.log(tf.linalg.matmul(magnitude, self.mel_matrix) + LOG_OFFSET)
        return tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :self.num_coefficients]

    def num_frames(self, length: int) -> int:
        return 1 + (int(length) - self.frame_length) // self.frame_step

    def compute_output_shape(self, input_shape):
        length = input_shape[1]
        frames = None if length is None else self.num_frames(length)
        return (input_shape[0], frames, self.num_coefficients)

    def get_config(self):
        return {**super().get_config(), "sample_rate": self.sample_rate,
                "frame_length": self.frame_length, "frame_step": self.frame_step,
                "num_mels": self.num_mels, "min_hz": self.min_hz, "max_hz": self.max_hz,
                "num_coefficients": self.num_coefficients}
