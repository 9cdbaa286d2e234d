"""Face-to-music networks (Kim, Port, Patel 2020, appendix tables 3, 4 and 6): a note from a
face, pitch-conditioned, judged by a projection critic and by an auxiliary critic that sees
only the note's audio-metric features.

Generator (table 3): [face feature [B, F] (and z [B, Z] with latent_dim > 0: the paper has
none), pitch ids [B]] -> Dense 16 x 32d -> conditional batch norm -> LeakyReLU 0.2 -> four
transposed convolutions (kernel 25, stride 4; 16d, 8d, 4d, 2d) each followed by conditional
batch norm and LeakyReLU -> a last one to 1 channel (stride 2) -> tanh: [B, 8192, 1]. Every
weight matrix is spectrally normalised (the paper's baseline normalises the generator too).
The table also lists a batch norm in the last block, before tanh; a batch norm over the one
output channel would set every note's loudness from the batch's, so the last block has none.
Critic (table 4): five convolutions (kernel 25, strides 4, 4, 4, 4, 2; d, 2d, 4d, 8d, 16d),
each spectrally normalised and followed by LeakyReLU 0.2, phase shuffle after the first four
(as WaveGAN: a shift before the sum over time changes nothing) -> sum over time [B, 16d] ->
a linear logit plus the projection term <embed(pitch), features> (Miyato & Koyama 2018;
the embedding, a lookup, is not normalised). The table puts a batch norm after
each convolution (`batch_norm=True`); off by default: a batch norm rescales each layer by
its batch's spread, undoing the Lipschitz bound spectral norm gives, and with it the critic
tells the generator's first sounds from notes so completely (hinge loss near 0) that the
generator learns nothing but full-scale noise.
Auxiliary critic (table 6): the audio metric's features [B, M] -> spectrally normalised Dense
128, 64, 32, 16 with LeakyReLU 0.2 -> Dense 1.
"""

import keras

from keras_avgan.layers.conditional_batch_norm import ConditionalBatchNorm
from keras_avgan.layers.phase_shuffle import PhaseShuffle
from keras_avgan.networks.spectral_norm import spectral_normalized

SLICE_LEN = 8192
PROJECT_LEN = 16
STRIDES = (4, 4, 4, 4, 2)  # 16 -> 64 -> 256 -> 1024 -> 4096 -> 8192
KERNEL = 25
LEAK = 0.2
SHUFFLED = 4
AUX_WIDTHS = (128, 64, 32, 16)



@keras.saving.register_keras_serializable(package="keras_avgan")
class NoteFromFaceGenerator(keras.Model):
    """[z [B, latent_dim], face [B, face_dim], pitch ids [B]] -> note [B, 8192, 1] in [-1, 1].
    With latent_dim 0, z is an empty [B, 0] tensor (the scheme draws one anyway)."""

    def __init__(self, face_dim: int = 512, num_pitches: int = 61, model_dim: int = 64,
                 latent_dim: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.face_dim, self.num_pitches = int(face_dim), int(num_pitches)
        self.model_dim, self.latent_dim = int(model_dim), int(latent_dim)
        top = 32 * model_dim
        self.project = spectral_normalized(keras.layers.Dense(PROJECT_LEN * top, name="project"))
        self.to_frames = keras.layers.Reshape((PROJECT_LEN, top), name="to_frames")
        self.leaky = keras.layers.LeakyReLU(LEAK, name="leaky_relu")
        self.norm0 = ConditionalBatchNorm(num_pitches, name="norm0")
        widths = [top // 2 ** (i + 1) for i in range(len(STRIDES) - 1)] + [1]
        for i, (width, stride) in enumerate(zip(widths, STRIDES, strict=True)):
            last = i == len(STRIDES) - 1
            # A convolution followed by batch norm needs no bias: the norm's offset is one.
            setattr(self, f"up{i}", spectral_normalized(keras.layers.Conv1DTranspose(
                width, KERNEL, strides=stride, padding="same", use_bias=last, name=f"up{i}")))
            if not last:
                setattr(self, f"norm{i + 1}", ConditionalBatchNorm(num_pitches,
                                                                   name=f"norm{i + 1}"))
        self.tanh = keras.layers.Activation("tanh", dtype="float32", name="tanh")
        self.build([(None, latent_dim), (None, face_dim), (None,)])

    def build(self, input_shape):
        self.project.build((None, self.latent_dim + self.face_dim))
        shape = (None, PROJECT_LEN, 32 * self.model_dim)
        self.norm0.build([shape, (None,)])
        for i in range(len(STRIDES)):
            conv = getattr(self, f"up{i}")
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            if i < len(STRIDES) - 1:
                getattr(self, f"norm{i + 1}").build([shape, (None,)])
        self.built = True

    def call(self, inputs, training=False):
        z, face, pitch = inputs
        x = keras.ops.concatenate([keras.ops.cast(z, face.dtype), face], axis=-1) \
            if self.latent_dim else face
        x = self.to_frames(self.project(x, training=training))
        x = self.leaky(self.norm0([x, pitch], training=training))
        for i in range(len(STRIDES)):
            x = getattr(self, f"up{i}")(x, training=training)
            if i < len(STRIDES) - 1:
                x = self.leaky(getattr(self, f"norm{i + 1}")([x, pitch], training=training))
        return self.tanh(x)

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape[1])[0], SLICE_LEN, 1)

    def get_config(self):
        return {**super().get_config(), "face_dim": self.face_dim,
                "num_pitches": self.num_pitches, "model_dim": self.model_dim,
                "latent_dim": self.latent_dim}


@keras.saving.register_keras_serializable(package="keras_avgan")
class ProjectionWaveCritic(keras.Model):
    """[note [B, 8192, 1], pitch ids [B]] -> float32 logit [B, 1]."""

    def __init__(self, num_pitches: int = 61, model_dim: int = 64, phase_shuffle: int = 2,
                 seed: int | None = None, batch_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.num_pitches, self.model_dim = int(num_pitches), int(model_dim)
        self.phase_shuffle, self.seed = int(phase_shuffle), seed
        self.batch_norm = bool(batch_norm)
        self.leaky = keras.layers.LeakyReLU(LEAK, name="leaky_relu")
        for i, stride in enumerate(STRIDES):
            setattr(self, f"down{i}", spectral_normalized(keras.layers.Conv1D(
                model_dim * 2 ** i, KERNEL, strides=stride, padding="same", name=f"down{i}")))
            if self.batch_norm:
                setattr(self, f"norm{i}", keras.layers.BatchNormalization(name=f"norm{i}"))
        self.shuffled = SHUFFLED if phase_shuffle else 0
        for i in range(self.shuffled):
            setattr(self, f"shuffle{i}", PhaseShuffle(
                phase_shuffle, seed=None if seed is None else seed + i, name=f"shuffle{i}"))
        self.width = model_dim * 2 ** (len(STRIDES) - 1)
        self.logit = spectral_normalized(keras.layers.Dense(1, dtype="float32", name="logit"))
        # The class embedding of the projection term is a lookup, not a linear map of the
        # input: it is left unnormalised.
        self.embed = keras.layers.Embedding(num_pitches, self.width, name="embed")
        self.build([(None, SLICE_LEN, 1), (None,)])

    def build(self, input_shape):
        shape = tuple(input_shape[0])
        for i in range(len(STRIDES)):
            conv = getattr(self, f"down{i}")
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            if self.batch_norm:
                getattr(self, f"norm{i}").build(shape)
        self.logit.build((None, self.width))
        self.embed.build((None,))
        self.built = True

    def features(self, audio, training=False):
        """[B, 16d]: the last block's activations summed over time."""
        x = audio
        for i in range(len(STRIDES)):
            x = getattr(self, f"down{i}")(x, training=training)
            if self.batch_norm:
                x = getattr(self, f"norm{i}")(x, training=training)
            x = self.leaky(x)
            if i < self.shuffled:
                x = getattr(self, f"shuffle{i}")(x, training=training)
        return keras.ops.sum(x, axis=1)

    def call(self, inputs, training=False):
        audio, pitch = inputs
        x = self.features(audio, training=training)
        pitch = keras.ops.cast(keras.ops.reshape(pitch, (-1,)), "int32")
        projection = keras.ops.sum(keras.ops.cast(self.embed(pitch), x.dtype) * x, axis=-1,
                                   keepdims=True)
        return self.logit(x, training=training) + keras.ops.cast(projection, "float32")

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape[0])[0], 1)

    def get_config(self):
        return {**super().get_config(), "num_pitches": self.num_pitches,
                "model_dim": self.model_dim, "phase_shuffle": self.phase_shuffle,
                "seed": self.seed, "batch_norm": self.batch_norm}


@keras.saving.register_keras_serializable(package="keras_avgan")
class AuxiliaryCritic(keras.Model):
    """Audio-metric features [B, M] -> float32 logit [B, 1]."""

    def __init__(self, metric_dim: int = 505, **kwargs):
        super().__init__(**kwargs)
        self.metric_dim = int(metric_dim)
        self.leaky = keras.layers.LeakyReLU(LEAK, name="leaky_relu")
        for i, width in enumerate(AUX_WIDTHS):
            dense = keras.layers.Dense(width, name=f"dense{i}")
            setattr(self, f"dense{i}", spectral_normalized(dense))
        self.logit = spectral_normalized(keras.layers.Dense(1, dtype="float32", name="logit"))
        self.build((None, metric_dim))

    def _dense(self):
        return [getattr(self, f"dense{i}") for i in range(len(AUX_WIDTHS))]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._dense():
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.logit.build(shape)
        self.built = True

    def call(self, features, training=False):
        x = features
        for layer in self._dense():
            x = self.leaky(layer(x, training=training))
        return self.logit(x, training=training)

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape)[0], 1)

    def get_config(self):
        return {**super().get_config(), "metric_dim": self.metric_dim}
