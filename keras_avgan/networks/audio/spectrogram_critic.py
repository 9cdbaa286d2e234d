"""A critic branch that listens to a log-magnitude spectrogram of the audio it is given.

WaveGAN's critic sees raw samples through 25-tap strided convolutions: a frequency resolution
of several hundred hertz in its first layers, too coarse to hear whether the space between two
partials 130 Hz apart is silent or filled with noise, or which harmonics a note leaves out
(what tells an organ or a clarinet from a brass note). This branch takes the STFT with a
1024-sample frame (15.6 Hz bins), log-compresses its magnitude so that white noise 20 dB
under a note lifts the gaps between its partials well off the floor, and runs 2-D
convolutions over time x frequency, as the multi-resolution spectrogram discriminators of
UnivNet (Jang et al. 2021) do. Its logit is added to the waveform critic's, so the losses
and penalties see one critic.
"""

import keras
import tensorflow as tf

from keras_avgan.layers.minibatch_stddev import MinibatchStddev
from pipelines.spectral.dft import mono_batch

# Added to |STFT| before the log: full-scale partials reach ~256 with a 1024 Hann window, so
# the floor sits ~70 dB under them, and the log's slope (what R1 penalises) stays bounded.
MAGNITUDE_FLOOR = 0.1


@keras.saving.register_keras_serializable(package="keras_avgan")
class SpectrogramCritic(keras.layers.Layer):
    """[B, T, 1] audio -> [B, 1] float32 logit from 2-D convolutions over log |STFT|."""

    def __init__(self, model_dim: int = 64, frame_length: int = 1024, frame_step: int = 256,
                 minibatch_stddev: int = 0, **kwargs):
        # The STFT runs in float32 whatever the policy (a restored config says float32 too).
        super().__init__(**{**kwargs, "dtype": "float32"})
        self.model_dim, self.frame_length, self.frame_step = model_dim, frame_length, frame_step
        self.leaky = keras.layers.LeakyReLU(0.2, name="leaky_relu")
        widths = (model_dim, 2 * model_dim, 4 * model_dim)
        # Stride 2 along frequency only: time keeps its frames, as in UnivNet's critic.
        for i, width in enumerate(widths):
            setattr(self, f"conv{i}", keras.layers.Conv2D(
                width, (3, 9), strides=(1, 2), padding="same", name=f"conv{i}"))
        self.conv3 = keras.layers.Conv2D(4 * model_dim, (3, 3), padding="same", name="conv3")
        # The convolutions follow the global policy; the logit is float32, as the waveform
        # critic's, so the two add up and losses and penalties see float32.
        self.logit_map = keras.layers.Conv2D(1, (3, 3), padding="same", dtype="float32",
                                             name="logit_map")
        # As in the waveform critic: how much the group's spectrograms differ, before the
        # last convolutions, so a generator with one timbre for every z is easy to spot.
        self.minibatch_stddev = minibatch_stddev
        if minibatch_stddev:
            self.stddev = MinibatchStddev(minibatch_stddev, name="minibatch_stddev")

    def _stack(self):
        """Every layer from log |STFT| to the logit map, in call order."""
        layers = [self.conv0, self.leaky, self.conv1, self.leaky, self.conv2, self.leaky]
        layers += [self.stddev] if self.minibatch_stddev else []
        return layers + [self.conv3, self.leaky, self.logit_map]

    def build(self, input_shape):
        frames = 1 + (input_shape[1] - self.frame_length) // self.frame_step
        shape = (input_shape[0], frames, self.frame_length // 2 + 1, 1)
        for layer in self._stack():
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.built = True

    def log_magnitude(self, audio):
        """[B, T, 1] -> [B, frames, bins, 1] log(|STFT| + floor)."""
        spectrum = tf.signal.stft(mono_batch(audio), self.frame_length, self.frame_step)
        # sqrt with a tiny epsilon: its gradient at an exactly silent bin is 0, not NaN.
        power = tf.math.real(spectrum) ** 2 + tf.math.imag(spectrum) ** 2
        return keras.ops.log(keras.ops.sqrt(power + 1e-12) + MAGNITUDE_FLOOR)[..., None]

    def call(self, audio):
        x = self.log_magnitude(audio)
        for layer in self._stack():
            x = layer(x)
        return keras.ops.mean(x, axis=(1, 2))  # [B, 1]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "model_dim": self.model_dim,
                "frame_length": self.frame_length, "frame_step": self.frame_step,
                "minibatch_stddev": self.minibatch_stddev}
