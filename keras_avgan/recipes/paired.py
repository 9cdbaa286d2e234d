"""Recipes whose data is pairs of a face and a sound: Wav2Pix and AVGAN."""

import dataclasses

from keras_avgan.recipes.base import SMOKE_RUN_KEEPING, Recipe, RecipeError

FACE_SIZES = (64, 128)
VOICE_LENGTHS = (16384, 32768, 65536)  # what WaveGAN's generator makes


@dataclasses.dataclass(frozen=True)
class SpeechFaceRecipe(Recipe):
    """A face from one second of speech: pairs (pipelines.paired), one identity per folder."""

    sample_rate: int = 16000
    slice_len: int = 16000  # the speech clip the encoder hears (its first samples)
    image_size: int = 128
    dropout: float = 0.5  # the face decoder's, its only randomness
    decoder_norm: str = "none"  # "batch": batch norm after each decoder layer but the last
    real_target: float = 0.9  # LSGAN's target for real pairs (one-sided label smoothing)
    matching_weight: float = 100.0  # feature matching on the critic's 4 x 4 features
    l1_weight: float = 50.0  # L1 between the face made and the pair's own face
    identity_weight: float = 20.0  # cross entropy of the encoder's identity head

    @property
    def asks_for_classes(self) -> bool:
        return True  # a face made from speech should be the speaker's (label_column)

    def validate(self) -> None:
        super().validate()
        if self.image_size not in FACE_SIZES:
            raise RecipeError(f"image_size must be one of {FACE_SIZES}, got {self.image_size}")
        if self.decoder_norm not in ("none", "batch"):
            raise RecipeError(f"decoder_norm must be none or batch, got {self.decoder_norm!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise RecipeError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.slice_len < 4096 or self.sample_rate < 1000:
            raise RecipeError(f"slice_len ({self.slice_len}) must be at least 4096 samples and "
                              f"sample_rate ({self.sample_rate}) at least 1000 Hz; Wav2Pix "
                              "hears 16000 samples at 16 kHz")
        # What the speech-to-face scheme trains with is fixed: say so rather than ignore.
        fixed = {"loss": "lsgan", "d_steps": 1, "g_ema": 0.0, "conditioning": "none",
                 "train_scheme": "speech_to_face"}
        for key, value in fixed.items():
            if getattr(self, key) != value:
                raise RecipeError(f"{key}={getattr(self, key)!r}: the speech-to-face scheme "
                                  f"trains with {key}={value!r} only")
        for key in ("matching_weight", "l1_weight", "identity_weight"):
            if getattr(self, key) < 0:
                raise RecipeError(f"{key} must be 0 (off) or positive, got {getattr(self, key)}")


# Wav2Pix's reference code (runtime.py, whose defaults beat its README's): 128 px faces,
# Adam 4e-4 for the critic and 1e-4 for the generator with betas (0.5, 0.999), batch 64,
# LSGAN with real target 0.9 and mismatched faces; the weights of its extra terms.
WAV2PIX = SpeechFaceRecipe(
    name="wav2pix",
    summary="a face from one second of speech (Wav2Pix), 64 or 128 px",
    data_kind="speech_face",
    generator="wav2pix_generator",
    discriminator="wav2pix_discriminator",
    train_scheme="speech_to_face",
    demo="talking",
    loss="lsgan",
    d_steps=1,
    batch_size=64,
    d_learning_rate=4e-4,
    g_learning_rate=1e-4,
    beta_1=0.5,
    beta_2=0.999,
    label_column="identity",
    checkpoint_every=500,
    sample_every=500,
    smoke={"image_size": 64, "batch_size": 4, "steps": 4, **SMOKE_RUN_KEEPING},
)

# Wav2Pix with a batch norm after each face-decoder layer but the last, at 64 px with batch
# 32: the reference's decoder (spectral norm alone, no bias, no batch norm) shrinks its
# activations layer by layer and draws a flat grey for hundreds of steps, where this one draws
# the speaker's face within a CPU quarter hour (docs/wav2pix.md).
WAV2PIX_BN = dataclasses.replace(
    WAV2PIX,
    name="wav2pix_bn",
    summary="wav2pix with a batch-normed face decoder: faces within minutes, 64 px",
    decoder_norm="batch",
    image_size=64,
    batch_size=32,
    checkpoint_every=200,
    sample_every=200,
)


@dataclasses.dataclass(frozen=True)
class AudioVisualRecipe(Recipe):
    """A face and its sound from one latent (AVGAN), trained on pairs with a pair critic."""

    sample_rate: int = 16000
    slice_len: int = 16384  # WaveGAN's length; one-second clips are zero-padded
    image_size: int = 64
    image_dim: int = 32  # the critic's face tower width (DCGAN's d)
    audio_dim: int = 8  # the critic's sound tower width (WaveGAN's d)
    g_image_dim: int = 32  # the generator's face branch width
    g_audio_dim: int = 16  # the generator's voice branch width
    trunk_dim: int = 256  # the shared trunk's features, and the critic's joint layer
    # The generator's kernels. A kernel that is a multiple of its stride (4 for the face's
    # stride 2, 24 for the voice's stride 4) overlaps evenly: no built-in checkerboard.
    g_image_kernel: int = 5  # DCGAN's
    g_audio_kernel: int = 25  # WaveGAN's
    phase_shuffle: int = 2
    spectral_branch: bool = False  # the critic also hears the voice's log spectrogram
    # conditioning=class: an identity head on each tower too (AC-GAN terms of their own)
    classes_per_half: bool = True
    # the critic's voice tower: "wave" (WaveGAN's strided convolutions), "mel" (2-D
    # convolutions over the voice's log-mel image, as the judges hear it) or "both"
    voice_tower: str = "both"
    # a realism logit per half beside the pair's, each with its own adversarial loss
    half_logits: bool = True
    minibatch_stddev: int = 4  # the critic's group size for PGGAN's minibatch stddev; 0: none
    # When conditioned (conditioning=class): projection terms on the realism logits (real
    # for the identity asked for), the critic taking the identity ids; needs half_logits
    projection: bool = True
    channels: int = 1  # the voice is mono
    mismatched_weight: float = 1.0  # real face + another identity's voice counted as fake
    # what R1 regularises the critic on: both halves of a real pair, or the face or the
    # voice alone (its double backward pass then skips the other half's tower)
    r1_on: str = "both"

    def validate(self) -> None:
        super().validate()
        if self.image_size not in FACE_SIZES:
            raise RecipeError(f"image_size must be one of {FACE_SIZES}, got {self.image_size}")
        if self.slice_len not in VOICE_LENGTHS:
            raise RecipeError(f"slice_len must be one of {VOICE_LENGTHS} (WaveGAN's voice "
                              f"branch), got {self.slice_len}")
        for key in ("image_dim", "audio_dim", "g_image_dim", "g_audio_dim", "trunk_dim",
                    "g_image_kernel", "g_audio_kernel"):
            if getattr(self, key) < 1:
                raise RecipeError(f"{key} must be at least 1, got {getattr(self, key)}")
        if self.r1_on not in ("both", "face", "voice"):
            raise RecipeError(f"r1_on must be both, face or voice, got {self.r1_on!r}")
        if self.voice_tower not in ("wave", "mel", "both"):
            raise RecipeError(f"voice_tower must be wave, mel or both, got {self.voice_tower!r}")
        if self.projection and self.conditioning == "class" and not self.half_logits:
            raise RecipeError("projection=true projects the identity onto each half's realism "
                              "logit: it needs half_logits=true (or set projection=false)")
        if self.minibatch_stddev and (self.minibatch_stddev < 2
                                      or self.batch_size % self.minibatch_stddev):
            raise RecipeError(f"minibatch_stddev must be 0 or a group size >= 2 dividing "
                              f"batch_size ({self.batch_size}), got {self.minibatch_stddev}")
        r1_rows = self.batch_size // self.r1_batch_shrink
        # Fewer rows than a group make one group of them (MinibatchStddev); more must split.
        if self.r1_gamma and self.minibatch_stddev and r1_rows > self.minibatch_stddev \
                and r1_rows % self.minibatch_stddev:
            raise RecipeError(f"R1 judges batch_size / r1_batch_shrink = {r1_rows} rows, which "
                              f"minibatch_stddev={self.minibatch_stddev} must divide into groups")
        if self.channels != 1:
            raise RecipeError(f"avgan's voice is mono (channels=1), got {self.channels}")
        if self.mismatched_weight < 0:
            raise RecipeError(f"mismatched_weight must be 0 (off) or positive, got "
                              f"{self.mismatched_weight}")
        if self.d_steps != 1:
            raise RecipeError("avgan trains with one critic update per step (d_steps=1): "
                              "mismatched faces come one per real pair")


# AVGAN as its report meant it, trained end to end: the non-saturating loss with R1
# (the setting that trains WaveGAN and DCGAN on two CPU cores), one critic update per step,
# Adam (0, 0.99), a moving average of the generator; the pair critic also learns that a
# real face with another identity's voice is a fake pair. Its defaults (a log-mel voice
# tower beside the waveform one, a realism logit per half, minibatch stddev and, when
# conditioned, projection) are what made both halves learn on the demo (docs/avgan.md).
AVGAN = AudioVisualRecipe(
    name="avgan",
    summary="a face and its voice from one latent (AVGAN), judged by a pair critic",
    data_kind="audio_visual",
    generator="avgan_generator",
    discriminator="pair_critic",
    demo="talking",
    loss="dcgan",
    r1_gamma=10.0,
    # R1 on half the real rows of every update: the faces tolerate it once the AC-GAN terms
    # are light, and the step is cheaper (docs/avgan.md, sixth round).
    r1_batch_shrink=2,
    # Light AC-GAN terms: at the package's 10 the generator satisfied the critic's identity
    # heads with cues the judges do not see (blurred, speckled faces); projection carries
    # the identity, the heads only steer.
    ac_weight=1.0,
    d_steps=1,
    batch_size=32,
    d_learning_rate=2e-4,
    g_learning_rate=2e-4,
    beta_1=0.0,
    beta_2=0.99,
    g_ema=0.999,
    label_column="identity",
    checkpoint_every=250,
    sample_every=250,
    smoke={"image_dim": 2, "audio_dim": 2, "g_image_dim": 2, "g_audio_dim": 2, "trunk_dim": 8,
           "batch_size": 4, "steps": 4, **SMOKE_RUN_KEEPING},
)
