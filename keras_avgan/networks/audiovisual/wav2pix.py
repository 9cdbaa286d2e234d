"""Wav2Pix (Duarte et al., ICASSP 2019): a face from one second of speech, as its reference
code builds it (its README's defaults differ; the code's are these).

Speech encoder (SEGAN's critic trunk): pre-emphasis 0.95 (on speech already divided by its
peak, which the pipeline and the export do), then six [zero-pad (6, 7) -> Conv1D k15 s4
valid -> batch norm -> LeakyReLU 0.3] blocks, 16 to 1024 channels, 16000 samples -> 4
frames; flatten, Dense 256 ReLU -> 128 ReLU -> 128 linear: the speech embedding e. The
flatten size follows from the shapes (the reference hard-codes a guess).
Identity classifier on e: Dense 200 -> batch norm -> LeakyReLU 0.2 -> Dense N -> batch
norm, N identities from the data (the reference hard-codes 10).
Face generator: e as 1 x 1 x 128 -> transposed conv 4x4 valid to 4 x 4 (1024 channels at
128 px, 512 at 64) -> stride-2 4x4 transposed convs halving the channels -> 3, tanh. Every
transposed conv is spectrally normalised, without bias or batch norm; dropout 0.5 and ReLU
follow each but the last (`decoder_norm="batch"` adds a batch norm before each dropout,
wav2pix_bn's departure). There is no z: dropout is the generator's only randomness. The
reference never leaves training mode, so its faces at inference still have dropout (and
batch norm on batch statistics); here inference is Keras' `training=False`: no dropout,
batch norm on its moving averages.
Face critic: spectrally normalised 4x4 stride-2 convs without bias (64 ... 512, and 1024 at
128 px) with LeakyReLU 0.2 down to 4 x 4; e tiled over that grid is concatenated; a last
4x4 valid conv (not normalised, no bias) gives the logit. It also returns its 4 x 4 trunk
features, for the generator's feature-matching loss.

Weights start from N(0, 0.02), batch-norm scales from N(1, 0.02). Trainable weight counts
match the reference's (tests); Keras adds non-trainable ones (batch-norm moving statistics,
spectral norm's power-iteration vector) that PyTorch keeps as buffers.
"""

import keras

from keras_avgan.errors import UserError
from keras_avgan.layers.pre_emphasis import PreEmphasis
from keras_avgan.networks.spectral_norm import spectral_normalized
from keras_avgan.seeds import checkpointed_seed

SPEECH_SAMPLES = 16000
ENCODER_CHANNELS = (16, 32, 128, 256, 512, 1024)
EMBEDDING = 128
START = 4
PRE_EMPHASIS = 0.95  # SEGAN's coefficient, which Wav2Pix's loader applies
DECODER_NORMS = ("none", "batch")  # none: the reference's decoder


def _weights():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _norm(name):
    # PyTorch's batch norm: momentum 0.1 of the new batch, epsilon 1e-5.
    return keras.layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5, gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
        name=name)



def encoder_lengths(samples: int) -> list[int]:
    """Frames after each encoder block: pad 13, kernel 15, stride 4 (16000 -> ... -> 4)."""
    lengths = []
    for _ in ENCODER_CHANNELS:
        samples = (samples + 13 - 15) // 4 + 1 if samples + 13 >= 15 else 0
        lengths.append(samples)
    return lengths


def image_layers(image_size: int) -> int:
    """Stride-2 layers between 4 x 4 and the face: 4 at 64 px, 5 at 128 px."""
    if image_size not in (64, 128):
        raise UserError(f"Wav2Pix makes 64 or 128 px faces, got image_size={image_size}; "
                        "use --set image_size=64 or 128")
    return 4 if image_size == 64 else 5


@keras.saving.register_keras_serializable(package="keras_avgan")
class SpeechEncoder(keras.Model):
    """Speech [B, samples, 1] -> embedding [B, 128]."""

    def __init__(self, samples: int = SPEECH_SAMPLES, **kwargs):
        super().__init__(**kwargs)
        if min(encoder_lengths(samples)) < 1:
            raise UserError(f"{samples} speech samples are too few for the encoder's six "
                            "stride-4 convolutions; use 16000 (one second at 16 kHz)")
        self.samples = samples
        self.pre_emphasis = PreEmphasis(PRE_EMPHASIS, name="pre_emphasis")
        self.pad = keras.layers.ZeroPadding1D((6, 7), name="pad")
        for i, units in enumerate(ENCODER_CHANNELS):
            setattr(self, f"conv{i}", keras.layers.Conv1D(
                units, 15, strides=4, padding="valid", kernel_initializer=_weights(),
                name=f"conv{i}"))
            setattr(self, f"norm{i}", _norm(f"norm{i}"))
        self.leaky = keras.layers.LeakyReLU(0.3, name="leaky_relu")
        self.flatten = keras.layers.Flatten(name="flatten")
        self.fc0 = keras.layers.Dense(256, activation="relu", name="fc0")
        self.fc1 = keras.layers.Dense(EMBEDDING, activation="relu", name="fc1")
        self.fc2 = keras.layers.Dense(EMBEDDING, name="fc2")
        self.build((None, samples, 1))

    def call(self, speech, training=False):
        x = self.pre_emphasis(speech)
        for i in range(len(ENCODER_CHANNELS)):
            x = self.pad(x)
            x = getattr(self, f"conv{i}")(x)
            x = self.leaky(getattr(self, f"norm{i}")(x, training=training))
        return self.fc2(self.fc1(self.fc0(self.flatten(x))))

    def build(self, input_shape):
        shape = tuple(input_shape)
        for i in range(len(ENCODER_CHANNELS)):
            shape = self.pad.compute_output_shape(shape)
            conv = getattr(self, f"conv{i}")
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            getattr(self, f"norm{i}").build(shape)
        shape = self.flatten.compute_output_shape(shape)
        for dense in (self.fc0, self.fc1, self.fc2):
            dense.build(shape)
            shape = dense.compute_output_shape(shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0], EMBEDDING)

    def get_config(self):
        return {**super().get_config(), "samples": self.samples}


@keras.saving.register_keras_serializable(package="keras_avgan")
class IdentityClassifier(keras.Model):
    """Embedding [B, 128] -> identity logits [B, num_classes] (float32)."""

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.hidden = keras.layers.Dense(200, name="hidden")
        self.hidden_norm = _norm("hidden_norm")
        self.leaky = keras.layers.LeakyReLU(0.2, name="leaky_relu")
        self.logits = keras.layers.Dense(num_classes, name="logits")
        self.logits_norm = _norm("logits_norm")
        self.to_float32 = keras.layers.Activation("linear", dtype="float32", name="to_float32")
        self.build((None, EMBEDDING))

    def call(self, embedding, training=False):
        x = self.leaky(self.hidden_norm(self.hidden(embedding), training=training))
        return self.to_float32(self.logits_norm(self.logits(x), training=training))

    def build(self, input_shape):
        self.hidden.build(input_shape)
        self.hidden_norm.build((None, 200))
        self.logits.build((None, 200))
        self.logits_norm.build((None, self.num_classes))
        self.built = True

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="keras_avgan")
class FaceDecoder(keras.Model):
    """Embedding [B, 128] -> face [B, S, S, 3] in [-1, 1] (float32)."""

    def __init__(self, image_size: int = 128, dropout: float = 0.5, norm: str = "none",
                 **kwargs):
        super().__init__(**kwargs)
        if norm not in DECODER_NORMS:
            raise UserError(f"decoder_norm must be one of {', '.join(DECODER_NORMS)}, got "
                            f"{norm!r}")
        self.image_size, self.dropout_rate, self.norm = image_size, dropout, norm
        self.depth = image_layers(image_size)
        top = 64 * 2 ** (self.depth - 1)  # 512 at 64 px, 1024 at 128 px
        self.to_grid = keras.layers.Reshape((1, 1, EMBEDDING), name="to_grid")
        self.up0 = spectral_normalized(keras.layers.Conv2DTranspose(
            top, 4, padding="valid", use_bias=False, kernel_initializer=_weights(), name="up0"))
        for i in range(1, self.depth + 1):
            units = 3 if i == self.depth else top // 2 ** i
            setattr(self, f"up{i}", spectral_normalized(keras.layers.Conv2DTranspose(
                units, 4, strides=2, padding="same", use_bias=False,
                kernel_initializer=_weights(), name=f"up{i}")))
        # "batch": a batch norm after every layer but the last. Spectral norm alone bounds
        # each layer's gain, so activations shrink layer by layer and the faces start (and
        # long stay) a flat grey; batch norm restores their scale, as in SAGAN's generator.
        # Each an attribute of its own: TF checkpoints do not see layers held in a list.
        self.norms = []
        for i in range(self.depth if norm == "batch" else 0):
            setattr(self, f"up_norm{i}", _norm(f"up_norm{i}"))
            self.norms.append(getattr(self, f"up_norm{i}"))
        self.dropout = keras.layers.Dropout(dropout, name="dropout")
        # Its masks come from a keras SeedGenerator, which TF checkpoints do not see: held
        # here, a resumed run draws the masks the uninterrupted run would have.
        self.dropout_seed = checkpointed_seed(self.dropout.seed_generator)
        self.relu = keras.layers.ReLU(name="relu")
        self.tanh = keras.layers.Activation("tanh", dtype="float32", name="tanh")
        self.build((None, EMBEDDING))

    def _convs(self):
        return [getattr(self, f"up{i}") for i in range(self.depth + 1)]

    def call(self, embedding, training=False):
        x = self.to_grid(embedding)
        convs = self._convs()
        for i, conv in enumerate(convs[:-1]):
            x = conv(x, training=training)
            if self.norms:
                x = self.norms[i](x, training=training)
            x = self.relu(self.dropout(x, training=training))
        return self.tanh(convs[-1](x, training=training))

    def build(self, input_shape):
        shape = self.to_grid.compute_output_shape(tuple(input_shape))
        for i, conv in enumerate(self._convs()):
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            if i < len(self.norms):
                self.norms[i].build(shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, 3)

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size,
                "dropout": self.dropout_rate, "norm": self.norm}


@keras.saving.register_keras_serializable(package="keras_avgan")
class Wav2PixGenerator(keras.Model):
    """Speech [B, 16000, 1] -> face [B, S, S, 3] in [-1, 1]; `embed` and `classify` give the
    embedding the critic is conditioned on and the identity logits its loss needs."""

    def __init__(self, num_classes: int, image_size: int = 128, samples: int = SPEECH_SAMPLES,
                 dropout: float = 0.5, decoder_norm: str = "none", **kwargs):
        super().__init__(**kwargs)
        self.num_classes, self.image_size, self.samples = num_classes, image_size, samples
        self.dropout, self.decoder_norm = dropout, decoder_norm
        self.sample_shape = (image_size, image_size, 3)
        self.encoder = SpeechEncoder(samples, name="speech_encoder")
        self.classifier = IdentityClassifier(num_classes, name="identity_classifier")
        self.decoder = FaceDecoder(image_size, dropout, decoder_norm, name="face_decoder")
        self.built = True

    def embed(self, speech, training=False):
        return self.encoder(speech, training=training)

    def classify(self, embedding, training=False):
        return self.classifier(embedding, training=training)

    def call(self, speech, training=False):
        return self.decoder(self.embed(speech, training=training), training=training)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.sample_shape)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "image_size": self.image_size, "samples": self.samples, "dropout": self.dropout,
                "decoder_norm": self.decoder_norm}


@keras.saving.register_keras_serializable(package="keras_avgan")
class Wav2PixDiscriminator(keras.Model):
    """[face [B, S, S, 3], embedding [B, 128]] -> {"logit": [B, 1], "features": [B, 4, 4, C]}
    (the trunk's 4 x 4 features, for feature matching), both float32."""

    def __init__(self, image_size: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.image_size = image_size
        self.depth = image_layers(image_size)
        for i in range(self.depth):
            setattr(self, f"down{i}", spectral_normalized(keras.layers.Conv2D(
                64 * 2 ** i, 4, strides=2, padding="same", use_bias=False,
                kernel_initializer=_weights(), name=f"down{i}")))
        self.leaky = keras.layers.LeakyReLU(0.2, name="leaky_relu")
        self.logit = keras.layers.Conv2D(1, 4, padding="valid", use_bias=False,
                                         kernel_initializer=_weights(), dtype="float32",
                                         name="logit")
        self.flatten = keras.layers.Flatten(dtype="float32", name="flatten")
        self.to_float32 = keras.layers.Activation("linear", dtype="float32", name="to_float32")
        self.build([(None, image_size, image_size, 3), (None, EMBEDDING)])

    def _trunk(self):
        return [getattr(self, f"down{i}") for i in range(self.depth)]

    def call(self, inputs, training=False):
        face, embedding = inputs
        x = face
        for conv in self._trunk():
            x = self.leaky(conv(x, training=training))
        features = x
        tiled = keras.ops.tile(embedding[:, None, None, :], (1, START, START, 1))
        x = keras.ops.concatenate([x, keras.ops.cast(tiled, x.dtype)], axis=-1)
        return {"logit": self.flatten(self.logit(x)), "features": self.to_float32(features)}

    def build(self, input_shape):
        shape = tuple(input_shape[0])
        for conv in self._trunk():
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
        self.logit.build((*shape[:-1], shape[-1] + EMBEDDING))
        self.built = True

    def compute_output_shape(self, input_shape):
        batch = tuple(input_shape[0])[0]
        width = 64 * 2 ** (self.depth - 1)
        return {"logit": (batch, 1), "features": (batch, START, START, width)}

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size}


def _identities(recipe) -> int:
    """fit takes the count from the data before building; before that (e.g. `show
    --summary`), the reference's 10."""
    return recipe.num_classes or 10


def build_wav2pix_generator(recipe) -> Wav2PixGenerator:
    return Wav2PixGenerator(num_classes=_identities(recipe), image_size=recipe.image_size,
                            samples=recipe.slice_len, dropout=recipe.dropout,
                            decoder_norm=recipe.decoder_norm, name="generator")


def build_wav2pix_discriminator(recipe) -> Wav2PixDiscriminator:
    return Wav2PixDiscriminator(image_size=recipe.image_size, name="discriminator")
