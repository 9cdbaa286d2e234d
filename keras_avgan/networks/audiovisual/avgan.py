"""AVGAN: a face and its sound from one latent, judged together by a pair critic.

Generator: z (and, conditioned, a one-hot identity scaled by `condition_gain`) -> a shared
trunk (Dense + LeakyReLU 0.2) -> two branches fed the same trunk features: DCGAN's
generator for the face ([B, S, S, 3], tanh) and WaveGAN's for the sound ([B, T, 1], tanh).
Because both branches read one vector, whatever decides the face also decides the voice.
Pair critic: one tower per modality (strided convolutions with LeakyReLU 0.2, DCGAN's for
the face, WaveGAN's with phase shuffle for the sound), each flattened; the two feature
vectors are concatenated and a joint Dense + LeakyReLU judges the pair, with one logit (and,
conditioned, identity logits for the AC-GAN term). With `spectral_branch` WaveGAN's
spectrogram critic also hears the voice and adds its logit: whether it sounds like a voice
at all, which the strided waveform tower is slow to learn. With `classes_per_half` each
tower also has identity logits of its own, so that each half must carry the identity: the
joint head can tell it from the face alone. Trained end to end, with
mismatched real pairs (a real voice with another identity's face) counted as fakes, it
judges whether face and sound belong together, not only whether each looks real.
"""

import keras

from keras_avgan.layers.log_mel import LogMelSpectrogram
from keras_avgan.layers.minibatch_stddev import MinibatchStddev
from keras_avgan.layers.phase_shuffle import PhaseShuffle
from keras_avgan.networks.audio.spectrogram_critic import SpectrogramCritic
from keras_avgan.networks.audio.wavegan import WaveGANGenerator
from keras_avgan.networks.audio.wavegan import layout as audio_layout
from keras_avgan.networks.conditioning import join_one_hot
from keras_avgan.networks.image.dcgan import DCGANGenerator, num_layers

LEAK = 0.2
AUDIO_KERNEL, IMAGE_KERNEL = 25, 5
SHUFFLED = 4  # phase shuffle after the sound tower's first four convolutions, as WaveGAN
VOICE_TOWERS = ("wave", "mel", "both")
MEL_FLOOR = 1e-2  # the critic's log-mel floor, some 60 dB under a full-scale band
MEL_LAYERS = 4  # stride-2 convolutions over the 64 x 64 log-mel image: 4 x 4 at the end


@keras.saving.register_keras_serializable(package="keras_avgan")
class AVGANGenerator(keras.Model):
    """z [B, latent_dim] (and identity ids [B] when num_classes > 0) -> {"image":
    [B, S, S, 3], "audio": [B, slice_len, 1]}, both float32 in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, image_size: int = 64, slice_len: int = 16384,
                 image_dim: int = 32, audio_dim: int = 16, trunk_dim: int = 256,
                 num_classes: int = 0, condition_gain: float = 1.0,
                 image_kernel: int = IMAGE_KERNEL, audio_kernel: int = AUDIO_KERNEL, **kwargs):
        super().__init__(**kwargs)
        self.image_kernel, self.audio_kernel = image_kernel, audio_kernel
        self.latent_dim, self.image_size, self.slice_len = latent_dim, image_size, slice_len
        self.image_dim, self.audio_dim, self.trunk_dim = image_dim, audio_dim, trunk_dim
        self.num_classes, self.condition_gain = num_classes, float(condition_gain)
        self.trunk = keras.layers.Dense(trunk_dim, name="trunk")
        self.leaky = keras.layers.LeakyReLU(LEAK, name="leaky_relu")
        self.face = DCGANGenerator(latent_dim=trunk_dim, image_size=image_size,
                                   model_dim=image_dim, kernel_size=image_kernel,
                                   name="face_branch")
        self.voice = WaveGANGenerator(latent_dim=trunk_dim, slice_len=slice_len,
                                      model_dim=audio_dim, kernel_len=audio_kernel,
                                      name="voice_branch")
        self.trunk.build((None, latent_dim + num_classes))
        self.built = True

    def call(self, inputs, training=False):
        if self.num_classes:
            z, label = inputs
            z = join_one_hot(z, label, self.num_classes, self.condition_gain)
        else:
            z = inputs
        shared = self.leaky(self.trunk(z))
        return {"image": self.face(shared, training=training),
                "audio": self.voice(shared, training=training)}

    def compute_output_shape(self, input_shape):
        batch = (tuple(input_shape[0]) if self.num_classes else tuple(input_shape))[0]
        return {"image": (batch, self.image_size, self.image_size, 3),
                "audio": (batch, self.slice_len, 1)}

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "image_size": self.image_size, "slice_len": self.slice_len,
                "image_dim": self.image_dim, "audio_dim": self.audio_dim,
                "trunk_dim": self.trunk_dim, "num_classes": self.num_classes,
                "condition_gain": self.condition_gain, "image_kernel": self.image_kernel,
                "audio_kernel": self.audio_kernel}


@keras.saving.register_keras_serializable(package="keras_avgan")
class PairCritic(keras.Model):
    """{"image": [B, S, S, 3], "audio": [B, T, 1]} -> {"logit": [B, 1]} (and "classes":
    [B, num_classes] when num_classes > 0), float32."""

    def __init__(self, image_size: int = 64, slice_len: int = 16384, image_dim: int = 32,
                 audio_dim: int = 8, joint_dim: int = 256, phase_shuffle: int = 2,
                 num_classes: int = 0, spectral_branch: bool = False,
                 classes_per_half: bool = False, voice_tower: str = "wave",
                 half_logits: bool = False, sample_rate: int = 16000,
                 minibatch_stddev: int = 0, projection: bool = False,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if projection and not (num_classes and half_logits):
            raise ValueError("projection needs num_classes > 0 and half_logits")
        # Projection (Miyato & Koyama 2018): each realism logit also gets <embed(identity),
        # features>, so a face or voice is judged real *for the identity asked for*; the
        # critic then takes [pair, identity ids].
        self.projection = bool(projection)
        if voice_tower not in VOICE_TOWERS:
            raise ValueError(f"voice_tower must be one of {VOICE_TOWERS}, got {voice_tower!r}")
        self.voice_tower, self.half_logits = voice_tower, bool(half_logits)
        self.sample_rate = int(sample_rate)
        # PGGAN's minibatch stddev on each tower's last map: how much a group's faces (and
        # voices) differ, so that one face per identity is easy to tell from the data's.
        self.minibatch_stddev = int(minibatch_stddev)
        if minibatch_stddev:
            self.stddev = MinibatchStddev(minibatch_stddev, name="minibatch_stddev")
        self.image_size, self.slice_len = image_size, slice_len
        self.image_dim, self.audio_dim, self.joint_dim = image_dim, audio_dim, joint_dim
        self.phase_shuffle, self.num_classes, self.seed = phase_shuffle, num_classes, seed
        self.spectral_branch = bool(spectral_branch)
        if spectral_branch:  # WaveGAN's spectrogram critic, its logit added: is it a voice?
            self.spectral = SpectrogramCritic(audio_dim, name="spectral")
        self.leaky = keras.layers.LeakyReLU(LEAK, name="leaky_relu")
        self.flatten = keras.layers.Flatten(name="flatten")
        # One attribute per layer (TF checkpoints do not see layers held in lists).
        self.image_depth = num_layers(image_size)
        for i in range(self.image_depth):
            setattr(self, f"face{i}", keras.layers.Conv2D(
                image_dim * 2 ** i, IMAGE_KERNEL, strides=2, padding="same", name=f"face{i}"))
        _, strides = audio_layout(slice_len)
        self.audio_strides = strides if voice_tower != "mel" else ()
        if voice_tower != "wave":  # the voice as the judges hear it: a log-mel image
            self.log_mel = LogMelSpectrogram(sample_rate, floor=MEL_FLOOR, name="log_mel")
            for i in range(MEL_LAYERS):
                setattr(self, f"mel{i}", keras.layers.Conv2D(
                    audio_dim * 2 ** (i + 1), IMAGE_KERNEL, strides=2, padding="same",
                    name=f"mel{i}"))
        for i, stride in enumerate(self.audio_strides):
            setattr(self, f"voice{i}", keras.layers.Conv1D(
                audio_dim * 2 ** i, AUDIO_KERNEL, strides=stride, padding="same",
                name=f"voice{i}"))
        self.shuffled = SHUFFLED if phase_shuffle and self.audio_strides else 0
        for i in range(self.shuffled):
            setattr(self, f"shuffle{i}", PhaseShuffle(
                phase_shuffle, seed=None if seed is None else seed + i, name=f"shuffle{i}"))
        self.joint = keras.layers.Dense(joint_dim, name="joint")
        self.logit = keras.layers.Dense(1, dtype="float32", name="logit")
        if self.half_logits:  # is the face real, is the voice real: each judged on its own
            self.face_logit = keras.layers.Dense(1, dtype="float32", name="face_logit")
            self.voice_logit = keras.layers.Dense(1, dtype="float32", name="voice_logit")
        # The projection embeddings, one per realism logit; built when the widths are known.
        self.projected = ("logit", "face_logit", "voice_logit") if self.projection else ()
        self.classes_per_half = bool(classes_per_half and num_classes)
        if num_classes:
            self.class_logits = keras.layers.Dense(num_classes, dtype="float32",
                                                   name="class_logits")
        if self.classes_per_half:  # each tower alone must tell the identity
            self.face_class_logits = keras.layers.Dense(num_classes, dtype="float32",
                                                        name="face_class_logits")
            self.voice_class_logits = keras.layers.Dense(num_classes, dtype="float32",
                                                         name="voice_class_logits")
        pair = {"image": (None, image_size, image_size, 3), "audio": (None, slice_len, 1)}
        self.build([pair, (None,)] if self.projection else pair)

    def _face_layers(self):
        return [getattr(self, f"face{i}") for i in range(self.image_depth)]

    def _voice_layers(self):
        return [getattr(self, f"voice{i}") for i in range(len(self.audio_strides))]

    def _mel_layers(self):
        return [getattr(self, f"mel{i}") for i in range(MEL_LAYERS)] \
            if self.voice_tower != "wave" else []

    def build(self, input_shape):
        if self.projection:
            input_shape = input_shape[0]
        face = tuple(input_shape["image"])
        for conv in self._face_layers():
            conv.build(face)
            face = conv.compute_output_shape(face)
        face_width, voice_width = self._width(face), 0
        voice = tuple(input_shape["audio"])
        for conv in self._voice_layers():
            conv.build(voice)
            voice = conv.compute_output_shape(voice)
        voice_width += self._width(voice) if self.audio_strides else 0
        if self.voice_tower != "wave":
            mel = self.log_mel.compute_output_shape(tuple(input_shape["audio"]))
            for conv in self._mel_layers():
                conv.build(mel)
                mel = conv.compute_output_shape(mel)
            voice_width += self._width(mel)
        self.joint.build((None, face_width + voice_width))
        if self.half_logits:
            self.face_logit.build((None, face_width))
            self.voice_logit.build((None, voice_width))
        widths = {"logit": self.joint_dim, "face_logit": face_width, "voice_logit": voice_width}
        for head in self.projected:
            embed = keras.layers.Embedding(self.num_classes, widths[head], name=f"embed_{head}")
            embed.build((None,))
            setattr(self, f"embed_{head}", embed)
        if self.classes_per_half:
            self.face_class_logits.build((None, face_width))
            self.voice_class_logits.build((None, voice_width))
        self.logit.build((None, self.joint_dim))
        if self.num_classes:
            self.class_logits.build((None, self.joint_dim))
        if self.spectral_branch:
            self.spectral.build(tuple(input_shape["audio"]))
        self.built = True

    def _width(self, shape) -> int:
        """Flattened features of a tower's last map (with the stddev channel if any)."""
        return _size(shape[1:-1]) * (shape[-1] + (1 if self.minibatch_stddev else 0))

    def _last_map(self, x):
        return self.flatten(self.stddev(x) if self.minibatch_stddev else x)

    def tower_features(self, inputs, training=False):
        """(face features, sound features), each flattened: what the joint layer reads."""
        face = inputs["image"]
        for conv in self._face_layers():
            face = self.leaky(conv(face))
        voices = []
        if self.audio_strides:
            voice = inputs["audio"]
            for i, conv in enumerate(self._voice_layers()):
                voice = self.leaky(conv(voice))
                if i < self.shuffled:
                    voice = getattr(self, f"shuffle{i}")(voice, training=training)
            voices.append(self._last_map(voice))
        if self.voice_tower != "wave":
            mel = keras.ops.cast(self.log_mel(inputs["audio"]), self.compute_dtype)
            for conv in self._mel_layers():
                mel = self.leaky(conv(mel))
            voices.append(self._last_map(mel))
        voice = voices[0] if len(voices) == 1 else keras.ops.concatenate(voices, axis=-1)
        return self._last_map(face), voice

    def call(self, inputs, training=False):
        inputs, label = inputs if self.projection else (inputs, None)
        face, voice = self.tower_features(inputs, training=training)
        joint = self.leaky(self.joint(keras.ops.concatenate([face, voice], axis=-1)))
        logit = self.logit(joint)
        if self.spectral_branch:
            logit = logit + self.spectral(inputs["audio"])
        out = {"logit": logit}
        if self.half_logits:
            out["face_logit"], out["voice_logit"] = self.face_logit(face), self.voice_logit(voice)
        features = {"logit": joint, "face_logit": face, "voice_logit": voice}
        for head in self.projected:
            out[head] = out[head] + _project(getattr(self, f"embed_{head}"), label,
                                             features[head])
        if self.num_classes:
            out["classes"] = self.class_logits(joint)
        if self.classes_per_half:
            out["face_classes"] = self.face_class_logits(face)
            out["voice_classes"] = self.voice_class_logits(voice)
        return out

    def compute_output_shape(self, input_shape):
        if self.projection:
            input_shape = input_shape[0]
        batch = tuple(input_shape["image"])[0]
        out = {"logit": (batch, 1)}
        if self.half_logits:
            out.update(face_logit=(batch, 1), voice_logit=(batch, 1))
        heads = ("classes", "face_classes", "voice_classes") if self.classes_per_half else (
            ("classes",) if self.num_classes else ())
        out.update({head: (batch, self.num_classes) for head in heads})
        return out

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size,
                "slice_len": self.slice_len, "image_dim": self.image_dim,
                "audio_dim": self.audio_dim, "joint_dim": self.joint_dim,
                "phase_shuffle": self.phase_shuffle, "num_classes": self.num_classes,
                "spectral_branch": self.spectral_branch,
                "classes_per_half": self.classes_per_half, "voice_tower": self.voice_tower,
                "half_logits": self.half_logits, "sample_rate": self.sample_rate,
                "minibatch_stddev": self.minibatch_stddev, "projection": self.projection,
                "seed": self.seed}


def _project(embed, label, features):
    """<embed(label), features> per example: [B, 1] float32."""
    label = keras.ops.cast(keras.ops.reshape(label, (-1,)), "int32")
    rows = keras.ops.cast(embed(label), features.dtype)
    return keras.ops.cast(keras.ops.sum(rows * features, axis=-1, keepdims=True), "float32")


def _size(shape) -> int:
    total = 1
    for dim in shape:
        total *= int(dim)
    return total


def _classes(recipe) -> int:
    """The identity count when conditioned (fit takes it from the data; 2 before that, for
    shapes only), else 0."""
    return (recipe.num_classes or 2) if recipe.conditioning == "class" else 0


def build_avgan_generator(recipe) -> AVGANGenerator:
    return AVGANGenerator(latent_dim=recipe.latent_dim, image_size=recipe.image_size,
                          slice_len=recipe.slice_len, image_dim=recipe.g_image_dim,
                          audio_dim=recipe.g_audio_dim, trunk_dim=recipe.trunk_dim,
                          num_classes=_classes(recipe), condition_gain=recipe.condition_gain,
                          image_kernel=recipe.g_image_kernel,
                          audio_kernel=recipe.g_audio_kernel, name="generator")


def build_pair_critic(recipe) -> PairCritic:
    return PairCritic(image_size=recipe.image_size, slice_len=recipe.slice_len,
                      image_dim=recipe.image_dim, audio_dim=recipe.audio_dim,
                      joint_dim=recipe.trunk_dim, phase_shuffle=recipe.phase_shuffle,
                      num_classes=_classes(recipe), spectral_branch=recipe.spectral_branch,
                      classes_per_half=recipe.classes_per_half, voice_tower=recipe.voice_tower,
                      half_logits=recipe.half_logits, sample_rate=recipe.sample_rate,
                      minibatch_stddev=recipe.minibatch_stddev,
                      projection=recipe.projection and recipe.conditioning == "class",
                      name="discriminator")
