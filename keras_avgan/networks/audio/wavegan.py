"""WaveGAN generator and discriminator (Donahue, McAuley, Puckette 2019), as in the paper's code.

Generator: z [B, latent] -> Dense -> [16, 16d] -> ReLU -> five length-25, stride-4 transposed
convolutions (8d, 4d, 2d, d, channels) with ReLU between and tanh last -> [16384, channels].
Long slices start at 32d and add a sixth layer (stride 2 for 32768, stride 4 for 65536).
Discriminator: the mirror image with LeakyReLU(0.2), phase shuffle after the first four
convolutions, and a linear Dense(1) logit (no sigmoid: it is a WGAN critic by default).
Batch norm is off in the paper's defaults and is left out.

With `num_classes` > 0 both are class-conditioned as in AC-GAN (Odena et al. 2017): the
generator takes [z, class ids] and concatenates a scaled one-hot to z before its Dense; the
critic returns `{"logit": [B, 1], "classes": [B, num_classes]}`, its class head reading the
same flattened features as its logit.

Under mixed precision everything computes in the global policy's dtype except the
generator's tanh (and post-filter) and the discriminator's logit, which are float32 so
samples, losses and the gradient penalty see float32 values.
"""

import keras

from keras_avgan.errors import UserError
from keras_avgan.layers.phase_shuffle import PhaseShuffle
from keras_avgan.networks.audio.spectrogram_critic import SpectrogramCritic
from keras_avgan.networks.conditioning import join_one_hot
from keras_avgan.networks.sequence import CriticSequence, SequenceModel, build_in_order

SLICE_LENS = (16384, 32768, 65536)
PROJECT_LEN = 16  # time steps after the generator's Dense projection


def layout(slice_len: int) -> tuple[int, tuple[int, ...]]:
    """(channel multiplier of the widest layer, strides of the conv stack) for a slice length."""
    if slice_len == 16384:
        return 16, (4, 4, 4, 4, 4)
    if slice_len == 32768:
        return 32, (4, 4, 4, 4, 4, 2)
    if slice_len == 65536:
        return 32, (4, 4, 4, 4, 4, 4)
    raise ValueError(f"WaveGAN slice_len must be one of {SLICE_LENS}, got {slice_len}")


@keras.saving.register_keras_serializable(package="keras_avgan")
class PassThrough(keras.initializers.Initializer):
    """A [length, channels, channels] conv kernel whose centre tap copies each channel to itself.

    The post-filter starts as the identity, so training begins from the plain generator. The
    reference initialises it at random, which makes the first samples a 512-tap random filter of
    the generator's output, and training first has to undo that (docs/wavegan.md).
    """

    def __call__(self, shape, dtype=None):
        length, channels_in, channels_out = shape
        centre = keras.ops.one_hot((length - 1) // 2, length, dtype=dtype)  # "same" padding
        return centre[:, None, None] * keras.ops.eye(channels_in, channels_out, dtype=dtype)


@keras.saving.register_keras_serializable(package="keras_avgan")
class WaveGANGenerator(SequenceModel):
    """z in [-1, 1]^latent_dim (and class ids [B] when num_classes > 0) -> audio
    [B, slice_len, channels] in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, slice_len: int = 16384, model_dim: int = 64,
                 channels: int = 1, kernel_len: int = 25, upsample: str = "zeros",
                 post_filter: bool = False, post_filter_len: int = 512, num_classes: int = 0,
                 condition_gain: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if upsample not in ("zeros", "nn"):
            raise ValueError(f"upsample must be 'zeros' or 'nn', got {upsample!r}")
        dim_mul, strides = layout(slice_len)
        self.latent_dim, self.slice_len, self.model_dim = latent_dim, slice_len, model_dim
        self.channels, self.kernel_len, self.upsample = channels, kernel_len, upsample
        self.post_filter, self.post_filter_len = post_filter, post_filter_len
        self.num_classes, self.condition_gain = num_classes, float(condition_gain)
        self.sample_shape = (slice_len, channels)
        if not num_classes:
            self.input_spec = keras.InputSpec(shape=(None, latent_dim), name="z")

        width = model_dim * dim_mul
        self.project = keras.layers.Dense(PROJECT_LEN * width, name="project")
        self.to_frames = keras.layers.Reshape((PROJECT_LEN, width), name="to_frames")
        self.relu = keras.layers.ReLU(name="relu")
        filters = [width // 2 ** (i + 1) for i in range(len(strides) - 1)] + [channels]
        # Layers are attributes one by one (not a list) so tf.train.Checkpoint sees them.
        for i, (units, stride) in enumerate(zip(filters, strides, strict=True)):
            if upsample == "nn":
                setattr(self, f"resize{i}", keras.layers.UpSampling1D(stride, name=f"resize{i}"))
                conv = keras.layers.Conv1D(units, kernel_len, padding="same", name=f"up{i}")
            else:
                conv = keras.layers.Conv1DTranspose(units, kernel_len, strides=stride,
                                                    padding="same", name=f"up{i}")
            setattr(self, f"up{i}", conv)
        self.num_up = len(strides)
        self.tanh = keras.layers.Activation("tanh", dtype="float32", name="tanh")
        if post_filter:
            self.post = keras.layers.Conv1D(channels, post_filter_len, padding="same",
                                            use_bias=False, dtype="float32", name="post_filter",
                                            kernel_initializer=PassThrough())
        self.build([(None, latent_dim), (None,)] if num_classes else (None, latent_dim))

    def _sequence(self):
        """Every layer in call order; build and call both walk it."""
        layers = [self.project, self.to_frames, self.relu]
        for i in range(self.num_up):
            if self.upsample == "nn":
                layers.append(getattr(self, f"resize{i}"))
            layers.append(getattr(self, f"up{i}"))
            layers.append(self.relu if i < self.num_up - 1 else self.tanh)
        if self.post_filter:
            # The paper's learned post-filter runs after tanh and is linear, so its output
            # can leave [-1, 1] slightly; that is the reference behaviour.
            layers.append(self.post)
        return layers

    def build(self, input_shape):
        batch = (input_shape[0] if self.num_classes else input_shape)[0]
        super().build((batch, self.latent_dim + self.num_classes))

    def call(self, inputs, training=False):
        if self.num_classes:
            z, label = inputs
            inputs = join_one_hot(z, label, self.num_classes, self.condition_gain)
        return super().call(inputs, training=training)

    def compute_output_shape(self, input_shape):
        batch = (tuple(input_shape[0]) if self.num_classes else tuple(input_shape))[0]
        return (batch, *self.sample_shape)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "slice_len": self.slice_len, "model_dim": self.model_dim,
                "channels": self.channels, "kernel_len": self.kernel_len,
                "upsample": self.upsample, "post_filter": self.post_filter,
                "post_filter_len": self.post_filter_len, "num_classes": self.num_classes,
                "condition_gain": self.condition_gain}


@keras.saving.register_keras_serializable(package="keras_avgan")
class WaveGANDiscriminator(CriticSequence):
    """Audio [B, slice_len, channels] -> one float32 logit per example (linear), and with
    num_classes > 0 a dict of that logit and float32 class logits."""

    def __init__(self, slice_len: int = 16384, model_dim: int = 64, channels: int = 1,
                 kernel_len: int = 25, phase_shuffle: int = 2, seed: int | None = None,
                 minibatch_stddev: int = 0, spectral_branch: bool = False,
                 num_classes: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.spectral_branch, self.num_classes = spectral_branch, num_classes
        if num_classes:
            self.class_logits = keras.layers.Dense(num_classes, dtype="float32",
                                                   name="class_logits")
        if spectral_branch:
            self.spectral = SpectrogramCritic(model_dim, minibatch_stddev=minibatch_stddev,
                                              name="spectral")
        _, strides = layout(slice_len)
        self.slice_len, self.model_dim, self.channels = slice_len, model_dim, channels
        self.kernel_len, self.phase_shuffle, self.seed = kernel_len, phase_shuffle, seed
        self.input_spec = keras.InputSpec(shape=(None, slice_len, channels), name="audio")

        self.leaky = keras.layers.LeakyReLU(0.2, name="leaky_relu")
        for i, stride in enumerate(strides):
            setattr(self, f"down{i}", keras.layers.Conv1D(
                model_dim * 2 ** i, kernel_len, strides=stride, padding="same", name=f"down{i}"))
        self.num_down = len(strides)
        # Phase shuffle follows the first four convolutions only (as in the paper's code,
        # also for long slices). Each layer draws its own shift from its own seed.
        self.num_shuffled = 4 if phase_shuffle > 0 else 0
        for i in range(self.num_shuffled):
            layer_seed = None if seed is None else seed + i
            setattr(self, f"shuffle{i}", PhaseShuffle(phase_shuffle, seed=layer_seed,
                                                      name=f"phase_shuffle{i}"))
        self._add_head(minibatch_stddev)
        self.build((None, slice_len, channels))

    def _sequence(self):
        layers = []
        for i in range(self.num_down):
            layers += [getattr(self, f"down{i}"), self.leaky]
            if i < self.num_shuffled:
                layers.append(getattr(self, f"shuffle{i}"))
        return layers + self._head()

    def get_config(self):
        return {**super().get_config(), "slice_len": self.slice_len,
                "model_dim": self.model_dim, "channels": self.channels,
                "kernel_len": self.kernel_len, "phase_shuffle": self.phase_shuffle,
                "seed": self.seed, "minibatch_stddev": self.minibatch_stddev,
                "spectral_branch": self.spectral_branch, "num_classes": self.num_classes}

    def build(self, input_shape):
        features = build_in_order(self._sequence()[:-1], input_shape)
        self.logit.build(features)
        if self.num_classes:
            self.class_logits.build(features)
        if self.spectral_branch:
            self.spectral.build(input_shape)
        self.built = True

    def call(self, inputs, training=False):
        features = inputs
        for layer in self._sequence()[:-1]:  # all but the logit
            features = layer(features, training=training)
        logit = self.logit(features)
        if self.spectral_branch:
            logit = logit + self.spectral(inputs)
        if self.num_classes:
            return {"logit": logit, "classes": self.class_logits(features)}
        return logit

    def compute_output_shape(self, input_shape):
        logit = (input_shape[0], 1)
        return {"logit": logit, "classes": (input_shape[0], self.num_classes)} \
            if self.num_classes else logit


def _check_slice_len(recipe) -> None:
    if recipe.slice_len not in SLICE_LENS:
        raise UserError(f"WaveGAN needs slice_len in {SLICE_LENS}, got {recipe.slice_len}; "
                        "use --set slice_len=16384 (or 32768, 65536)")


def _classes(recipe) -> int:
    """0 (unconditional), else the class count: fit takes it from the data before building;
    a recipe that has not seen data yet builds with 2 (shapes only, e.g. `show --summary`)."""
    if recipe.conditioning != "class":
        return 0
    return recipe.num_classes or 2


def build_generator(recipe) -> WaveGANGenerator:
    _check_slice_len(recipe)
    return WaveGANGenerator(
        latent_dim=recipe.latent_dim, slice_len=recipe.slice_len,
        model_dim=recipe.g_model_dim or recipe.model_dim,
        channels=recipe.channels, kernel_len=recipe.kernel_len, upsample=recipe.upsample,
        post_filter=recipe.post_filter, num_classes=_classes(recipe),
        condition_gain=recipe.condition_gain, name="generator",
    )


def build_discriminator(recipe) -> WaveGANDiscriminator:
    _check_slice_len(recipe)
    return WaveGANDiscriminator(
        slice_len=recipe.slice_len, model_dim=recipe.model_dim, channels=recipe.channels,
        kernel_len=recipe.kernel_len, phase_shuffle=recipe.phase_shuffle,
        minibatch_stddev=recipe.minibatch_stddev, spectral_branch=recipe.spectral_branch,
        num_classes=_classes(recipe), name="discriminator",
    )
