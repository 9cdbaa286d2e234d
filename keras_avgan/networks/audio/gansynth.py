"""GANSynth-style pitch-conditional spectrogram generator and AC-GAN discriminator.

These are the networks of GANSynth (Engel et al. 2019) trained at full resolution from the
first step: NOT progressive growing, and without equalised learning rate (so the learning
rate must be lower than GANSynth's 8e-4); minibatch stddev is the recipe's option
`minibatch_stddev`. What is kept: 3x3 convolutions, He-normal initialisation, LeakyReLU(0.2),
pixel norm after every generator convolution, nearest-neighbour upsampling and average-pool
downsampling, a 2-channel (magnitude, instantaneous frequency) tanh output, z concatenated
with the one-hot pitch, and an auxiliary pitch head on the discriminator.

Both networks work on a grid of (H/32, W/32) at the coarse end and double it five times,
so the default 128 time x 256 frequency output starts from 4 x 8. Channel widths follow
PGGAN's rule of shrinking as the resolution grows: level l (0 = coarsest, 5 = output) has
min(fmap_max, model_dim * 2**(5 - l)) channels; model_dim=32, fmap_max=256 gives the paper's
256, 256, 256, 128, 64, 32.

The generator takes a list `[z, pitch]`: z float [B, latent_dim] and pitch int class ids
[B] in [0, num_classes) (one-hot inside the model). The discriminator returns a dict
`{"logit": [B, 1], "classes": [B, num_classes]}`, both float32 under mixed precision.
"""

import keras

from keras_avgan.layers.minibatch_stddev import MinibatchStddev
from keras_avgan.layers.pixel_norm import PixelNorm
from keras_avgan.networks.audio.specgan import spec_shape, start_size
from keras_avgan.networks.sequence import build_in_order as _build_in_order

NUM_BLOCKS = 5
DEFAULT_SHAPE = (128, 256, 2)
NSYNTH_PITCHES = 61  # MIDI 24-84, GANSynth's classes
INIT = "he_normal"


def level_widths(model_dim: int, fmap_max: int) -> list[int]:
    """Channels at each resolution level, coarsest first."""
    return [min(fmap_max, model_dim * 2 ** (NUM_BLOCKS - level)) for level in range(NUM_BLOCKS + 1)]


def _conv(units, kernel, name):
    return keras.layers.Conv2D(units, kernel, padding="same", kernel_initializer=INIT, name=name)


@keras.saving.register_keras_serializable(package="keras_avgan")
class GANSynthGenerator(keras.Model):
    """[z [B, latent_dim], pitch int [B]] -> spectrogram [B, height, width, channels] in [-1, 1]."""

    def __init__(self, latent_dim: int = 256, num_classes: int = 61, height: int = 128,
                 width: int = 256, channels: int = 2, model_dim: int = 32, fmap_max: int = 256,
                 convs_per_block: int = 2, condition_gain: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        start_h, start_w = start_size(height, width)
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.condition_gain = float(condition_gain)
        self.height, self.width, self.channels = height, width, channels
        self.model_dim, self.fmap_max, self.convs_per_block = model_dim, fmap_max, convs_per_block
        self.sample_shape = (height, width, channels)
        widths = level_widths(model_dim, fmap_max)

        self.project = keras.layers.Dense(start_h * start_w * widths[0], kernel_initializer=INIT,
                                          name="project")
        self.to_grid = keras.layers.Reshape((start_h, start_w, widths[0]), name="to_grid")
        self.leaky = keras.layers.LeakyReLU(0.2, name="leaky_relu")
        self.norm = PixelNorm(name="pixel_norm")
        self.upsample = keras.layers.UpSampling2D(2, interpolation="nearest", name="upsample")
        self.start_conv = _conv(widths[0], 3, "start_conv")
        # One attribute per layer (not a list) so tf.train.Checkpoint tracks each of them.
        for block in range(1, NUM_BLOCKS + 1):
            for j in range(convs_per_block):
                setattr(self, f"conv{block}_{j}", _conv(widths[block], 3, f"conv{block}_{j}"))
        self.to_output = _conv(channels, 1, "to_output")
        self.tanh = keras.layers.Activation("tanh", dtype="float32", name="tanh")
        self.build([(None, latent_dim), (None,)])

    def _sequence(self):
        """Layers after the z/one-hot concatenation, in call order."""
        layers = [self.project, self.to_grid, self.leaky, self.norm,
                  self.start_conv, self.leaky, self.norm]
        for block in range(1, NUM_BLOCKS + 1):
            layers.append(self.upsample)
            for j in range(self.convs_per_block):
                layers += [getattr(self, f"conv{block}_{j}"), self.leaky, self.norm]
        return layers + [self.to_output, self.tanh]

    def build(self, input_shape):
        z_shape = tuple(input_shape[0])
        _build_in_order(self._sequence(), (z_shape[0], self.latent_dim + self.num_classes))
        self.built = True

    def call(self, inputs, training=False):
        z, pitch = inputs
        one_hot = keras.ops.one_hot(keras.ops.cast(pitch, "int32"), self.num_classes,
                                    dtype=z.dtype) * self.condition_gain
        x = keras.ops.concatenate([z, one_hot], axis=-1)
        for layer in self._sequence():
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape[0])[0], *self.sample_shape)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "num_classes": self.num_classes, "height": self.height, "width": self.width,
                "channels": self.channels, "model_dim": self.model_dim,
                "fmap_max": self.fmap_max, "convs_per_block": self.convs_per_block,
                "condition_gain": self.condition_gain}


@keras.saving.register_keras_serializable(package="keras_avgan")
class GANSynthDiscriminator(keras.Model):
    """Spectrogram [B, H, W, C] -> (critic logit [B, 1], pitch logits [B, num_classes])."""

    def __init__(self, num_classes: int = 61, height: int = 128, width: int = 256,
                 channels: int = 2, model_dim: int = 32, fmap_max: int = 256,
                 convs_per_block: int = 2, minibatch_stddev: int = 0, **kwargs):
        super().__init__(**kwargs)
        start_size(height, width)  # validates; D ends on the generator's start grid
        self.minibatch_stddev = minibatch_stddev
        if minibatch_stddev:  # PGGAN's, before the last convolution
            self.stddev = MinibatchStddev(minibatch_stddev, name="minibatch_stddev")
        self.num_classes = num_classes
        self.height, self.width, self.channels = height, width, channels
        self.model_dim, self.fmap_max, self.convs_per_block = model_dim, fmap_max, convs_per_block
        self.input_spec = keras.InputSpec(shape=(None, height, width, channels),
                                          name="spectrogram")
        widths = level_widths(model_dim, fmap_max)

        self.from_input = _conv(widths[-1], 1, "from_input")
        self.leaky = keras.layers.LeakyReLU(0.2, name="leaky_relu")
        self.pool = keras.layers.AveragePooling2D(2, name="downsample")
        for block in range(NUM_BLOCKS, 0, -1):
            # Every conv but the last keeps the level's width; the last moves to the next one.
            for j in range(convs_per_block):
                units = widths[block] if j < convs_per_block - 1 else widths[block - 1]
                setattr(self, f"conv{block}_{j}", _conv(units, 3, f"conv{block}_{j}"))
        self.final_conv = _conv(widths[0], 3, "final_conv")
        self.flatten = keras.layers.Flatten(name="flatten")
        self.logit = keras.layers.Dense(1, dtype="float32", name="logit")
        self.class_logits = keras.layers.Dense(num_classes, dtype="float32", name="class_logits")
        self.build((None, height, width, channels))

    def _trunk(self):
        """Layers up to the flattened features that both heads read."""
        layers = [self.from_input, self.leaky]
        for block in range(NUM_BLOCKS, 0, -1):
            for j in range(self.convs_per_block):
                layers += [getattr(self, f"conv{block}_{j}"), self.leaky]
            layers.append(self.pool)
        if self.minibatch_stddev:
            layers.append(self.stddev)
        return layers + [self.final_conv, self.leaky, self.flatten]

    def build(self, input_shape):
        features = _build_in_order(self._trunk(), input_shape)
        for head in (self.logit, self.class_logits):
            head.build(features)
        self.built = True

    def call(self, x, training=False):
        for layer in self._trunk():
            x = layer(x, training=training)
        return {"logit": self.logit(x), "classes": self.class_logits(x)}

    def compute_output_shape(self, input_shape):
        return {"logit": (input_shape[0], 1), "classes": (input_shape[0], self.num_classes)}

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "height": self.height, "width": self.width, "channels": self.channels,
                "model_dim": self.model_dim, "fmap_max": self.fmap_max,
                "convs_per_block": self.convs_per_block,
                "minibatch_stddev": self.minibatch_stddev}


def _common(recipe) -> dict:
    height, width, channels = spec_shape(recipe, DEFAULT_SHAPE)
    # num_classes 0 means "from the data" (fit resolves it); before that, GANSynth's 61 pitches.
    classes = int(getattr(recipe, "num_classes", 0)) or NSYNTH_PITCHES
    return {"num_classes": classes, "height": height,
            "width": width, "channels": channels, "model_dim": recipe.model_dim,
            "fmap_max": int(getattr(recipe, "fmap_max", 256)),
            "convs_per_block": int(getattr(recipe, "convs_per_block", 2))}


def build_gansynth_generator(recipe) -> GANSynthGenerator:
    return GANSynthGenerator(latent_dim=recipe.latent_dim, name="generator", **_common(recipe),
                             condition_gain=recipe.condition_gain)


def build_gansynth_discriminator(recipe) -> GANSynthDiscriminator:
    return GANSynthDiscriminator(name="discriminator", **_common(recipe),
                                 minibatch_stddev=getattr(recipe, "minibatch_stddev", 0))
