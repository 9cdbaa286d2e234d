"""Audio recipes: WaveGAN, SpecGAN and the GANSynth-style spectrogram GAN."""

import dataclasses

from keras_avgan.recipes.base import SMOKE_RUN_KEEPING, Recipe, RecipeError, at_least, choice

SLICE_MODES = ("random", "first", "all")
REPRESENTATIONS = ("waveform", "specgan", "gansynth")


def _wavegan_only(key: str, value, role: str, network: str, default: str) -> None:
    """Refuse an option of WaveGAN's generator or critic set on a recipe with another one."""
    if value and network != f"wavegan_{'generator' if role == 'generator' else 'discriminator'}":
        raise RecipeError(f"{key} is an option of WaveGAN's {role}; this recipe's {role} is "
                          f"{network!r}: leave it {default}")


@dataclasses.dataclass(frozen=True)
class AudioRecipe(Recipe):
    """Recipes whose data is a folder of sounds, sliced to a fixed length."""

    representation: str = "waveform"  # what the networks see: waveform, specgan or gansynth
    sample_rate: int = 16000
    slice_len: int = 16384
    channels: int = 1
    slice_mode: str = "random"  # random offset, first slice only, or every slice
    pad_short: bool = True  # zero-pad clips shorter than one slice instead of dropping them
    normalize: bool = True  # peak-normalise each clip
    model_dim: int = 64
    kernel_len: int = 25
    phase_shuffle: int = 2
    upsample: str = "zeros"  # transposed convolution, or "nn" (nearest neighbour + conv)
    post_filter: bool = False
    g_model_dim: int = 0  # WaveGAN generator's own width (model_dim for both when 0)
    minibatch_stddev: int = 0  # critic's minibatch-stddev group size (PGGAN); 0: none
    spectral_branch: bool = False  # WaveGAN critic also hears a log-magnitude spectrogram

    def validate(self) -> None:
        super().validate()
        choice("representation", self.representation, REPRESENTATIONS)
        choice("slice_mode", self.slice_mode, SLICE_MODES)
        choice("upsample", self.upsample, ("zeros", "nn"))
        at_least(self, 1, "sample_rate", "slice_len", "channels", "model_dim", "kernel_len")
        if self.minibatch_stddev and (self.minibatch_stddev < 2
                                      or self.batch_size % self.minibatch_stddev):
            raise RecipeError(f"minibatch_stddev must be 0 or a group size >= 2 dividing "
                              f"batch_size ({self.batch_size}), got {self.minibatch_stddev}")
        if self.phase_shuffle < 0:
            raise RecipeError(f"phase_shuffle must be >= 0, got {self.phase_shuffle}")
        if self.g_model_dim < 0:
            raise RecipeError(f"g_model_dim must be 0 (model_dim) or a width >= 1, got "
                              f"{self.g_model_dim}")
        _wavegan_only("g_model_dim", self.g_model_dim, "generator", self.generator, "0")
        _wavegan_only("spectral_branch", self.spectral_branch, "critic", self.discriminator,
                      "false")


@dataclasses.dataclass(frozen=True)
class SpectralRecipe(AudioRecipe):
    """Audio recipes whose networks see a spectrogram image; generators' outputs are inverted.

    The image shape follows from the STFT: slice_len / hop frames (height) by n_fft / 2 bins
    (width; one bin of the n_fft / 2 + 1 is dropped), with 1 channel (SpecGAN's log
    magnitude) or 2 (GANSynth's log magnitude and instantaneous frequency).
    """

    representation: str = "specgan"
    n_fft: int = 256
    hop: int = 128
    mel: bool = False  # GANSynth's mel-warped variant; its inversion is only approximate
    if_floor_db: float = 0.0  # < 0: IF set to 0 in bins this far under the clip's peak
    griffin_lim_iters: int = 16  # SpecGAN's inversion
    fmap_max: int = 256  # GANSynth networks: widest layer
    convs_per_block: int = 2  # GANSynth networks: 3x3 convolutions per resolution

    @property
    def spec_height(self) -> int:
        return self.slice_len // self.hop

    @property
    def spec_width(self) -> int:
        return self.n_fft // 2

    @property
    def spec_channels(self) -> int:
        return 1 if self.representation == "specgan" else 2

    def validate(self) -> None:
        super().validate()
        choice("representation", self.representation, REPRESENTATIONS[1:])
        if self.representation == "specgan" and (self.n_fft, self.hop) != (256, 128):
            raise RecipeError("SpecGAN's representation is fixed at n_fft=256, hop=128")
        if self.hop < 1 or self.n_fft < 2 * self.hop or self.slice_len % self.hop:
            raise RecipeError(f"slice_len ({self.slice_len}) must be a multiple of hop "
                              f"({self.hop}), and n_fft ({self.n_fft}) at least twice hop")
        at_least(self, 1, "griffin_lim_iters", "fmap_max", "convs_per_block")


WAVEGAN = AudioRecipe(
    name="wavegan",
    summary="raw audio waveforms, 16384/32768/65536 samples (WaveGAN)",
    data_kind="audio",
    generator="wavegan_generator",
    discriminator="wavegan_discriminator",
    smoke={"model_dim": 2, "batch_size": 4, "d_steps": 2, "steps": 4, **SMOKE_RUN_KEEPING},
)

# The best-known setting on small data (docs/wavegan.md has the measurements): the
# non-saturating loss with R1 instead of WGAN-GP, so one critic update per step; the critic
# also hears a spectrogram and compares minibatch statistics; a generator twice the critic's
# width, averaged over steps. Sized for two CPU cores: widen both on a GPU.
WAVEGAN_R1 = dataclasses.replace(
    WAVEGAN,
    name="wavegan_r1",
    summary="WaveGAN with the non-saturating loss + R1 and a spectrogram critic branch",
    loss="dcgan", d_steps=1, r1_gamma=10.0, spectral_branch=True, minibatch_stddev=4,
    model_dim=8, g_model_dim=16, batch_size=32, g_ema=0.999, beta_1=0.0, beta_2=0.99,
    d_learning_rate=5e-4, g_learning_rate=5e-4, steps=3000, lr_decay_steps=3000,
    smoke={"model_dim": 2, "g_model_dim": 2, "batch_size": 4, "steps": 4, "lr_decay_steps": 4,
           **SMOKE_RUN_KEEPING},
)

# wavegan_r1 conditioned on a class (AC-GAN): ask for a family, or any labels.csv column's
# class (label_column=...), and get it. The one-hot is scaled to about z's norm
# (sqrt(100 / 3) for uniform z), so the class is not drowned out in the first Dense.
WAVEGAN_AC = dataclasses.replace(
    WAVEGAN_R1,
    name="wavegan_ac",
    summary="wavegan_r1 conditioned on a class label (AC-GAN critic head), e.g. the family",
    conditioning="class", label_column="family", condition_gain=6.0,
)

SPECGAN = SpectralRecipe(
    name="specgan",
    summary="128x128 log-magnitude spectrograms, inverted by Griffin-Lim (SpecGAN)",
    data_kind="audio",
    generator="specgan_generator",
    discriminator="specgan_discriminator",
    representation="specgan",
    phase_shuffle=0,
    smoke={"model_dim": 2, "batch_size": 4, "d_steps": 2, "steps": 4, "slice_len": 4096,
           **SMOKE_RUN_KEEPING},
)

# GANSynth's configuration at full resolution from the start, for 1-s notes: 128 frames x
# 256 bins, n_fft 512, hop 128; the pitch classes come from the data. Departures are
# commented where they are made (docs/gansynth.md has the measurements behind them).
GANSYNTH = SpectralRecipe(
    name="gansynth",
    summary="pitch-conditioned log-magnitude + instantaneous frequency (mel), inverted to audio",
    data_kind="audio",
    generator="gansynth_generator",
    discriminator="gansynth_discriminator",
    representation="gansynth",
    conditioning="class",
    n_fft=512,
    hop=128,
    label_column="pitch",
    latent_dim=256,
    latent_dist="normal",
    batch_size=8,
    d_steps=1,
    # GANSynth's Adam 8e-4 (0, 0.99) relies on PGGAN's equalised learning rate, which these
    # networks leave out: on the demo notes it blew the critic up, where 2e-4 (0.5, 0.9)
    # trains steadily.
    d_learning_rate=2e-4,
    g_learning_rate=2e-4,
    beta_1=0.5,
    beta_2=0.9,
    if_floor_db=-60.0,
    # GANSynth's best configuration (IF-Mel): the mel scale gives the low notes' harmonics
    # room to be told apart; its inversion is approximate.
    mel=True,
    ac_weight=10.0,
    # As TF-GAN's AC-GAN loss, which GANSynth trains with: the critic's pitch head also
    # learns the labels of generated notes.
    ac_on_fakes=True,
    # Departure: z ~ N(0, I) has norm sqrt(256) = 16 against the one-hot's 1, so at He
    # initialisation the pitch is under 1% of the first layer's input, and on the demo
    # budget the generator never learned to use it. At 16 the two weigh the same.
    condition_gain=16.0,
    drift=0.001,
    g_ema=0.999,
    model_dim=32,
    phase_shuffle=0,
    smoke={"model_dim": 2, "fmap_max": 8, "batch_size": 4, "steps": 4, "slice_len": 2048,
           "n_fft": 128, "hop": 64, "latent_dim": 16, **SMOKE_RUN_KEEPING},
)
