"""DCGAN generator and discriminator (Radford, Metz, Chintala 2016).

Generator: z [B, latent] -> Dense -> [4, 4, 8d] -> BN -> ReLU -> stride-2 transposed
convolutions halving the width (4d, 2d, d) with BN and ReLU -> a last one to 3 channels
-> tanh: [64, 64, 3] in [-1, 1]. 128 x 128 adds one layer (the start is then 16d wide).
With d = 128 this is the paper's 4x4x1024 -> 512 -> 256 -> 128 -> 3.
Discriminator: stride-2 convolutions d, 2d, 4d, 8d (16d at 128) with LeakyReLU(0.2) and
batch norm on all but the first, flatten, and a Dense(1) logit.
Weights start from N(0, 0.02) and batch-norm scales from N(1, 0.02), as the paper and its
reference implementations initialise them; a layer followed by batch norm has no bias (the
norm's offset replaces it). With `spectral_norm` the critic's layers are spectrally
normalised (SNGAN), keep their biases and drop batch norm.

Under mixed precision the generator's tanh and the discriminator's logit are float32.
"""

import math

import keras

from keras_avgan.errors import UserError
from keras_avgan.networks.sequence import CriticSequence, SequenceModel

START = 4  # the generator starts from 4 x 4, as the discriminator ends
LEAK = 0.2


def _weights():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _norm(name):
    return keras.layers.BatchNormalization(
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02), name=name)


def num_layers(image_size: int) -> int:
    """Stride-2 layers between 4 x 4 and the image: 4 for 64 x 64, 5 for 128 x 128."""
    layers = int(round(math.log2(image_size / START)))
    if image_size < 2 * START or START * 2 ** layers != image_size:
        raise UserError(f"DCGAN needs image_size = 4 x a power of two (64 or 128), got "
                        f"{image_size}; use --set image_size=64")
    return layers


@keras.saving.register_keras_serializable(package="keras_avgan")
class DCGANGenerator(SequenceModel):
    """z [B, latent_dim] -> image [B, image_size, image_size, channels] in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, image_size: int = 64, channels: int = 3,
                 model_dim: int = 128, kernel_size: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.image_size, self.channels = latent_dim, image_size, channels
        self.model_dim, self.kernel_size = model_dim, kernel_size
        self.sample_shape = (image_size, image_size, channels)
        self.input_spec = keras.InputSpec(shape=(None, latent_dim), name="z")
        self.depth = num_layers(image_size)
        top = model_dim * 2 ** (self.depth - 1)
        self.project = keras.layers.Dense(START * START * top, use_bias=False,
                                          kernel_initializer=_weights(), name="project")
        self.to_grid = keras.layers.Reshape((START, START, top), name="to_grid")
        self.norm0 = _norm("norm0")
        self.relu = keras.layers.ReLU(name="relu")
        # One attribute per layer (not a list) so tf.train.Checkpoint tracks each of them.
        for i in range(1, self.depth + 1):
            last = i == self.depth
            setattr(self, f"up{i}", keras.layers.Conv2DTranspose(
                channels if last else top // 2 ** i, kernel_size, strides=2, padding="same",
                use_bias=last, kernel_initializer=_weights(), name=f"up{i}"))
            if not last:
                setattr(self, f"norm{i}", _norm(f"norm{i}"))
        self.tanh = keras.layers.Activation("tanh", dtype="float32", name="tanh")
        self.build((None, latent_dim))

    def _sequence(self):
        layers = [self.project, self.to_grid, self.norm0, self.relu]
        for i in range(1, self.depth):
            layers += [getattr(self, f"up{i}"), getattr(self, f"norm{i}"), self.relu]
        return layers + [getattr(self, f"up{self.depth}"), self.tanh]

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "image_size": self.image_size, "channels": self.channels,
                "model_dim": self.model_dim, "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="keras_avgan")
class DCGANDiscriminator(CriticSequence):
    """Image [B, image_size, image_size, channels] in [-1, 1] -> one float32 logit each."""

    def __init__(self, image_size: int = 64, channels: int = 3, model_dim: int = 128,
                 kernel_size: int = 5, spectral_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.image_size, self.channels, self.model_dim = image_size, channels, model_dim
        self.kernel_size, self.spectral_norm = kernel_size, bool(spectral_norm)
        self.input_spec = keras.InputSpec(shape=(None, image_size, image_size, channels),
                                          name="image")
        self.depth = num_layers(image_size)
        self.leaky = keras.layers.LeakyReLU(LEAK, name="leaky_relu")
        for i in range(self.depth):
            # No norm on D's input layer (the paper); spectral norm replaces batch norm.
            normed = i > 0 and not spectral_norm
            conv = keras.layers.Conv2D(model_dim * 2 ** i, kernel_size, strides=2,
                                       padding="same", use_bias=not normed,
                                       kernel_initializer=_weights(), name=f"down{i}")
            setattr(self, f"down{i}", self._normalised(conv))
            if normed:
                setattr(self, f"norm{i}", _norm(f"norm{i}"))
        self.minibatch_stddev = 0
        self.flatten = keras.layers.Flatten(name="flatten")
        self.logit = self._normalised(keras.layers.Dense(
            1, dtype="float32", kernel_initializer=_weights(), name="logit"))
        self.build((None, image_size, image_size, channels))

    def _normalised(self, layer):
        return keras.layers.SpectralNormalization(layer, name=f"{layer.name}_sn") \
            if self.spectral_norm else layer

    def _sequence(self):
        layers = []
        for i in range(self.depth):
            layers.append(getattr(self, f"down{i}"))
            if hasattr(self, f"norm{i}"):
                layers.append(getattr(self, f"norm{i}"))
            layers.append(self.leaky)
        return layers + self._head()

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size,
                "channels": self.channels, "model_dim": self.model_dim,
                "kernel_size": self.kernel_size, "spectral_norm": self.spectral_norm}


def build_dcgan_generator(recipe) -> DCGANGenerator:
    return DCGANGenerator(latent_dim=recipe.latent_dim, image_size=recipe.image_size,
                          model_dim=recipe.model_dim, kernel_size=recipe.kernel_size,
                          name="generator")


def build_dcgan_discriminator(recipe) -> DCGANDiscriminator:
    return DCGANDiscriminator(image_size=recipe.image_size, model_dim=recipe.model_dim,
                              kernel_size=recipe.kernel_size,
                              spectral_norm=recipe.spectral_norm, name="discriminator")
