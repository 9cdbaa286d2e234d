"""SpecGAN generator and discriminator (Donahue, McAuley, Puckette 2019): WaveGAN in 2-D.

Generator: z [B, latent] -> Dense -> [H/32, W/32, 16d] -> ReLU -> five 5x5, stride-2
transposed convolutions (8d, 4d, 2d, d, channels) with ReLU between and tanh last
-> [H, W, channels]; the paper's spectrogram is 128 x 128 x 1 (start 4 x 4).
Discriminator: five 5x5, stride-2 convolutions (d, 2d, 4d, 8d, 16d) with LeakyReLU(0.2),
flatten, and a linear Dense(1) logit. No phase shuffle and no batch norm, as in the paper.

Non-square sizes work as long as both sides are multiples of 32 (five halvings).
Under mixed precision the generator's tanh and the discriminator's logit are float32, so
samples, losses and the gradient penalty see float32 values.
"""

import keras

from keras_avgan.errors import UserError
from keras_avgan.networks.sequence import CriticSequence, SequenceModel

NUM_LAYERS = 5  # stride-2 layers: the start size is the output size / 2**5
DIM_MUL = 16  # channel multiplier of the widest layer (next to the 4 x 4 start)
DEFAULT_SHAPE = (128, 128, 1)


def start_size(height: int, width: int) -> tuple[int, int]:
    """(height, width) after the Dense projection, for an output of height x width."""
    factor = 2 ** NUM_LAYERS
    if height % factor or width % factor or height < factor or width < factor:
        raise ValueError(f"SpecGAN needs height and width that are positive multiples of "
                         f"{factor}, got {height} x {width}")
    return height // factor, width // factor


@keras.saving.register_keras_serializable(package="keras_avgan")
class SpecGANGenerator(SequenceModel):
    """z in [-1, 1]^latent_dim -> spectrogram [B, height, width, channels] in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, height: int = 128, width: int = 128,
                 channels: int = 1, model_dim: int = 64, kernel_size: int = 5, **kwargs):
        super().__init__(**kwargs)
        start_h, start_w = start_size(height, width)
        self.latent_dim, self.model_dim, self.kernel_size = latent_dim, model_dim, kernel_size
        self.height, self.width, self.channels = height, width, channels
        self.sample_shape = (height, width, channels)
        self.input_spec = keras.InputSpec(shape=(None, latent_dim), name="z")

        top = model_dim * DIM_MUL
        self.project = keras.layers.Dense(start_h * start_w * top, name="project")
        self.to_grid = keras.layers.Reshape((start_h, start_w, top), name="to_grid")
        self.relu = keras.layers.ReLU(name="relu")
        filters = [top // 2 ** (i + 1) for i in range(NUM_LAYERS - 1)] + [channels]
        # One attribute per layer (not a list) so tf.train.Checkpoint tracks each of them.
        for i, units in enumerate(filters):
            setattr(self, f"up{i}", keras.layers.Conv2DTranspose(
                units, kernel_size, strides=2, padding="same", name=f"up{i}"))
        self.tanh = keras.layers.Activation("tanh", dtype="float32", name="tanh")
        self.build((None, latent_dim))

    def _sequence(self):
        layers = [self.project, self.to_grid, self.relu]
        for i in range(NUM_LAYERS):
            layers.append(getattr(self, f"up{i}"))
            layers.append(self.relu if i < NUM_LAYERS - 1 else self.tanh)
        return layers

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "height": self.height,
                "width": self.width, "channels": self.channels, "model_dim": self.model_dim,
                "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="keras_avgan")
class SpecGANDiscriminator(CriticSequence):
    """Spectrogram [B, height, width, channels] -> one float32 logit per example (linear)."""

    def __init__(self, height: int = 128, width: int = 128, channels: int = 1,
                 model_dim: int = 64, kernel_size: int = 5, minibatch_stddev: int = 0,
                 **kwargs):
        super().__init__(**kwargs)
        start_size(height, width)  # validates the size; D ends at the same start grid
        self.height, self.width, self.channels = height, width, channels
        self.model_dim, self.kernel_size = model_dim, kernel_size
        self.input_spec = keras.InputSpec(shape=(None, height, width, channels),
                                          name="spectrogram")
        self.leaky = keras.layers.LeakyReLU(0.2, name="leaky_relu")
        for i in range(NUM_LAYERS):
            setattr(self, f"down{i}", keras.layers.Conv2D(
                model_dim * 2 ** i, kernel_size, strides=2, padding="same", name=f"down{i}"))
        self._add_head(minibatch_stddev)
        self.build((None, height, width, channels))

    def _sequence(self):
        layers = []
        for i in range(NUM_LAYERS):
            layers += [getattr(self, f"down{i}"), self.leaky]
        return layers + self._head()

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "channels": self.channels, "model_dim": self.model_dim,
                "kernel_size": self.kernel_size, "minibatch_stddev": self.minibatch_stddev}


def spec_shape(recipe, default=DEFAULT_SHAPE) -> tuple[int, int, int]:
    """(height, width, channels) from the recipe's spec_height/spec_width/spec_channels."""
    shape = tuple(int(getattr(recipe, key, value)) for key, value in
                  zip(("spec_height", "spec_width", "spec_channels"), default, strict=True))
    factor = 2 ** NUM_LAYERS
    if shape[0] % factor or shape[1] % factor or min(shape) < 1:
        raise UserError(f"spectrogram size {shape[0]} x {shape[1]} must be a multiple of "
                        f"{factor} on both sides; use --set spec_height=... spec_width=...")
    return shape


def build_specgan_generator(recipe) -> SpecGANGenerator:
    height, width, channels = spec_shape(recipe)
    return SpecGANGenerator(latent_dim=recipe.latent_dim, height=height, width=width,
                            channels=channels, model_dim=recipe.model_dim, name="generator")


def build_specgan_discriminator(recipe) -> SpecGANDiscriminator:
    height, width, channels = spec_shape(recipe)
    return SpecGANDiscriminator(height=height, width=width, channels=channels,
                                model_dim=recipe.model_dim,
                                minibatch_stddev=getattr(recipe, "minibatch_stddev", 0),
                                name="discriminator")
