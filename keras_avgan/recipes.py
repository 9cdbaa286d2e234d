"""Recipes: one frozen dataclass constant per trainable system.

A recipe names its data pipeline, networks and loss, and carries every hyperparameter.
`--set key=value` overrides any field with type checking; `smoke` is a set of overrides
that shrinks the recipe to seconds on a CPU (used by tests and `--smoke`).
Standard library only, so the CLI can list and resolve recipes without importing TF.
"""

import dataclasses
import json
import types
from typing import Any, Mapping

LOSSES = ("wgan-gp", "dcgan", "lsgan", "hinge")
SLICE_MODES = ("random", "first", "all")
PRECISIONS = ("off", "float16", "bfloat16")


class RecipeError(ValueError):
    """A recipe name, override or value a user gave that cannot be used."""


def _choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise RecipeError(f"{key} must be one of {', '.join(choices)}; got {value!r}")


def _wavegan_only(key: str, value, role: str, network: str, default: str) -> None:
    """Refuse an option of WaveGAN's generator or critic set on a recipe with another one."""
    if value and network != f"wavegan_{'generator' if role == 'generator' else 'discriminator'}":
        raise RecipeError(f"{key} is an option of WaveGAN's {role}; this recipe's {role} is "
                          f"{network!r}: leave it {default}")


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(mapping))


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Fields every recipe has: what it is, how it trains, how a run is kept."""

    name: str
    summary: str
    data_kind: str  # audio | image | pairs: what `--data` must hold
    pipeline: str  # key of the input pipeline builder
    generator: str  # key of the generator builder
    discriminator: str  # key of the discriminator builder
    demo: str = "notes"  # the demo dataset `--data demo` builds (pipelines.demo)
    train_scheme: str = "gan"  # key of the GAN model class (one train_step per scheme)
    loss: str = "wgan-gp"
    latent_dim: int = 100
    latent_dist: str = "uniform"  # uniform in [-1, 1] (WaveGAN) or normal
    batch_size: int = 64
    d_steps: int = 5  # D updates per G update, each on a fresh real batch
    d_learning_rate: float = 1e-4
    g_learning_rate: float = 1e-4
    lr_decay_steps: int = 0  # > 0: both rates fall linearly to 0 over this many G steps
    beta_1: float = 0.5
    beta_2: float = 0.9
    gp_weight: float = 10.0
    r1_gamma: float = 0.0  # > 0: R1 penalty (gamma / 2) on D's gradient at real data
    g_ema: float = 0.0  # decay of a moving average of G's weights used for output; 0: none
    steps: int = 200_000  # G updates; `fit --steps` overrides
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    sample_every: int = 1000
    log_every: int = 50
    eval_every: int = 0  # 0: no evaluation during training
    # what picks the best checkpoint: fd (lower), is (higher), or accuracy (higher; the asked
    # class heard, for generators conditioned on label_column)
    best_metric: str = "fd"
    smoke: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "smoke", _frozen(self.smoke))
        self.validate()

    def validate(self) -> None:
        _choice("loss", self.loss, LOSSES)
        _choice("latent_dist", self.latent_dist, ("uniform", "normal"))
        _choice("best_metric", self.best_metric, ("fd", "is", "accuracy"))
        for key in ("latent_dim", "batch_size", "d_steps", "steps", "checkpoint_every",
                    "keep_checkpoints", "sample_every", "log_every"):
            if getattr(self, key) < 1:
                raise RecipeError(f"{key} must be at least 1, got {getattr(self, key)}")
        if not 0.0 <= self.g_ema < 1.0:
            raise RecipeError(f"g_ema must be 0 (off) or a decay in (0, 1), got {self.g_ema}")
        if self.lr_decay_steps < 0:
            raise RecipeError(f"lr_decay_steps must be 0 (constant) or positive, got "
                              f"{self.lr_decay_steps}")
        if self.r1_gamma < 0:
            raise RecipeError(f"r1_gamma must be 0 (off) or positive, got {self.r1_gamma}")
        if self.r1_gamma and self.train_scheme != "gan":
            raise RecipeError("r1_gamma is for unconditional recipes; this recipe trains "
                              f"the {self.train_scheme!r} scheme: leave r1_gamma at 0")
        if self.eval_every < 0:
            raise RecipeError(f"eval_every must be 0 (off) or positive, got {self.eval_every}")
        if self.best_metric == "accuracy" and self.train_scheme != "acgan":
            raise RecipeError("best_metric=accuracy scores a conditional generator; this "
                              "recipe is unconditional: use best_metric=fd or is")


@dataclasses.dataclass(frozen=True)
class AudioRecipe(Recipe):
    """Recipes whose data is a folder of sounds, sliced to a fixed length."""

    sample_rate: int = 16000
    slice_len: int = 16384
    channels: int = 1
    slice_mode: str = "random"  # random offset, first slice only, or every slice
    pad_short: bool = True  # zero-pad clips shorter than one slice instead of dropping them
    normalize: bool = True  # peak-normalise each clip
    label_column: str = ""  # labels.csv column used for conditioning/evaluation
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
        _choice("slice_mode", self.slice_mode, SLICE_MODES)
        _choice("upsample", self.upsample, ("zeros", "nn"))
        for key in ("sample_rate", "slice_len", "channels", "model_dim", "kernel_len"):
            if getattr(self, key) < 1:
                raise RecipeError(f"{key} must be at least 1, got {getattr(self, key)}")
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


# Every smoke run checkpoints, previews and logs within its few steps, so tests see them all.
SMOKE_RUN_KEEPING = {"checkpoint_every": 2, "sample_every": 2, "log_every": 1}

WAVEGAN = AudioRecipe(
    name="wavegan",
    summary="raw audio waveforms, 16384/32768/65536 samples (WaveGAN)",
    data_kind="audio",
    pipeline="audio_slices",
    generator="wavegan_generator",
    discriminator="wavegan_discriminator",
    smoke={"model_dim": 2, "batch_size": 4, "d_steps": 2, "steps": 4, **SMOKE_RUN_KEEPING},
)



REPRESENTATIONS = ("specgan", "gansynth")


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
    num_classes: int = 0  # conditional recipes: 0 takes the count from label_column's values
    ac_weight: float = 10.0  # AC-GAN: weight of the auxiliary classification loss
    drift: float = 0.0  # PGGAN's drift penalty on the critic's real logits
    ac_on_fakes: bool = False  # AC-GAN as Odena et al.: D's classifier also learns fakes' labels
    fmap_max: int = 256  # GANSynth networks: widest layer
    convs_per_block: int = 2  # GANSynth networks: 3x3 convolutions per resolution
    condition_gain: float = 1.0  # GANSynth generator: the one-hot pitch's scale beside z

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
        _choice("representation", self.representation, REPRESENTATIONS)
        if self.representation == "specgan" and (self.n_fft, self.hop) != (256, 128):
            raise RecipeError("SpecGAN's representation is fixed at n_fft=256, hop=128")
        if self.hop < 1 or self.n_fft < 2 * self.hop or self.slice_len % self.hop:
            raise RecipeError(f"slice_len ({self.slice_len}) must be a multiple of hop "
                              f"({self.hop}), and n_fft ({self.n_fft}) at least twice hop")
        for key in ("griffin_lim_iters", "num_classes", "fmap_max", "convs_per_block"):
            if getattr(self, key) < 0 or (key != "num_classes" and getattr(self, key) < 1):
                raise RecipeError(f"{key} must be positive, got {getattr(self, key)}")
        if self.train_scheme == "acgan" and not self.label_column:
            raise RecipeError("a conditional recipe needs label_column (a labels.csv column)")


SPECGAN = SpectralRecipe(
    name="specgan",
    summary="128x128 log-magnitude spectrograms, inverted by Griffin-Lim (SpecGAN)",
    data_kind="audio",
    pipeline="audio_slices",
    generator="specgan_generator",
    discriminator="specgan_discriminator",
    representation="specgan",
    phase_shuffle=0,
    smoke={"model_dim": 2, "batch_size": 4, "d_steps": 2, "steps": 4, "slice_len": 4096,
           **SMOKE_RUN_KEEPING},
)

# GANSynth's configuration (REFERENCE.md 1.3) at full resolution from the start, for 1-s
# notes: 128 frames x 256 bins, n_fft 512, hop 128; the pitch classes come from the data.
# Departures are commented where they are made.
GANSYNTH = SpectralRecipe(
    name="gansynth",
    summary="pitch-conditioned log-magnitude + instantaneous frequency, inverted exactly",
    data_kind="audio",
    pipeline="audio_slices",
    generator="gansynth_generator",
    discriminator="gansynth_discriminator",
    train_scheme="acgan",
    representation="gansynth",
    n_fft=512,
    hop=128,
    label_column="pitch",
    latent_dim=256,
    latent_dist="normal",
    batch_size=8,
    d_steps=1,
    # GANSynth's Adam 8e-4 (0, 0.99) relies on PGGAN's equalised learning rate, which these
    # networks leave out: on the demo notes it blew the critic up (Wasserstein estimate
    # past 200 within 1000 steps), where 2e-4 (0.5, 0.9) trains steadily.
    d_learning_rate=2e-4,
    g_learning_rate=2e-4,
    beta_1=0.5,
    beta_2=0.9,
    if_floor_db=-60.0,
    # GANSynth's best configuration (IF-Mel): the mel scale gives the low notes' harmonics
    # room to be told apart; its inversion is approximate (the README gives the SNR).
    mel=True,
    ac_weight=10.0,
    # As TF-GAN's AC-GAN loss, which GANSynth trains with: the critic's pitch head also
    # learns the labels of generated notes.
    ac_on_fakes=True,
    # Departure: z ~ N(0, I) has norm sqrt(256) = 16 against the one-hot's 1, so at He
    # initialisation the pitch is under 1% of the first layer's input, and on the demo
    # budget the generator never learned to use it (pitch accuracy at chance). At 16 the two
    # weigh the same from the first step.
    condition_gain=16.0,
    drift=0.001,
    g_ema=0.999,
    model_dim=32,
    phase_shuffle=0,
    smoke={"model_dim": 2, "fmap_max": 8, "batch_size": 4, "steps": 4, "slice_len": 2048,
           "n_fft": 128, "hop": 64, "latent_dim": 16, **SMOKE_RUN_KEEPING},
)

RECIPES: dict[str, Recipe] = {r.name: r for r in (WAVEGAN, SPECGAN, GANSYNTH)}


def get_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise RecipeError(
            f"unknown recipe {name!r}; choose one of: {', '.join(sorted(RECIPES))}"
        ) from None


def _editable_fields(recipe: Recipe) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(recipe) if f.name not in ("name", "smoke")}


def _parse_value(key: str, text: str, kind: type) -> Any:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise RecipeError(f"--set {key}: expected true or false, got {text!r}")
    try:
        return kind(text)
    except ValueError:
        raise RecipeError(f"--set {key}: expected {kind.__name__}, got {text!r}") from None


def replace(recipe: Recipe, **changes: Any) -> Recipe:
    """dataclasses.replace that checks names and types the way `--set` does."""
    fields = _editable_fields(recipe)
    for key, value in changes.items():
        if key not in fields:
            raise RecipeError(
                f"recipe {recipe.name!r} has no field {key!r}; fields: {', '.join(sorted(fields))}"
            )
        kind = fields[key].type
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            changes[key] = value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise RecipeError(f"{key} must be {kind.__name__}, got {value!r}")
    return dataclasses.replace(recipe, **changes)


def apply_overrides(recipe: Recipe, assignments: list[str]) -> Recipe:
    """Apply `key=value` strings (the CLI's `--set`)."""
    fields = _editable_fields(recipe)
    changes: dict[str, Any] = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise RecipeError(f"--set expects key=value, got {item!r}")
        if key not in fields:
            raise RecipeError(
                f"--set {key}: recipe {recipe.name!r} has no such field; "
                f"fields: {', '.join(sorted(fields))}"
            )
        changes[key] = _parse_value(key, text, fields[key].type)
    return replace(recipe, **changes)


def with_smoke(recipe: Recipe) -> Recipe:
    """The recipe shrunk by its smoke overrides (tests and `--smoke`)."""
    return replace(recipe, **dict(recipe.smoke))


def to_dict(recipe: Recipe) -> dict[str, Any]:
    data = {f.name: getattr(recipe, f.name) for f in dataclasses.fields(recipe)}
    data["smoke"] = dict(recipe.smoke)
    return data


def to_json(recipe: Recipe) -> str:
    return json.dumps(to_dict(recipe), indent=2, sort_keys=True)


def from_dict(data: Mapping[str, Any]) -> Recipe:
    """Rebuild a resolved recipe (a run's recipe.json) on top of its registered constant."""
    base = get_recipe(str(data.get("name", "")))
    fields = _editable_fields(base)
    unknown = sorted(set(data) - set(fields) - {"name", "smoke"})
    if unknown:
        raise RecipeError(f"recipe.json has fields this version does not know: {unknown}")
    return replace(base, **{k: v for k, v in data.items() if k in fields})
