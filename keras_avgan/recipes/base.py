"""The fields every recipe has: what it makes, how it trains, how its run is kept.

Standard library only, so the CLI can list and resolve recipes without importing TF.
"""

import dataclasses
import math
import re
import types
from typing import Any, Mapping

LOSSES = ("wgan-gp", "dcgan", "lsgan", "hinge")
PRECISIONS = ("off", "float16", "bfloat16")
DATA_KINDS = ("audio", "image", "speech_face", "audio_visual", "faces_notes")
TRAIN_SCHEMES = ("gan", "speech_to_face")
# none: an unconditional generator. class: the generator takes the class id of each example
# (label_column of the data) and the critic has an auxiliary classifier head (AC-GAN).
CONDITIONING = ("none", "class")
# The generators that take class ids beside z (conditioning=class); the others take z alone.
# Generators that always take class ids, and those that take them with conditioning=class.
CLASS_CONDITIONED_GENERATORS = ("gansynth_generator",)
CLASS_CAPABLE_GENERATORS = CLASS_CONDITIONED_GENERATORS + ("wavegan_generator", "avgan_generator")
# Where labels come from (pipelines.labels): auto = labels.csv when there is one, else parent
# folders; filename = label_pattern's first group (default: the text before the first "_").
LABEL_SOURCES = ("auto", "folder", "csv", "filename")
# Every smoke run checkpoints, previews and logs within its few steps, so tests see them all.
SMOKE_RUN_KEEPING = {"checkpoint_every": 2, "sample_every": 2, "log_every": 1}


class RecipeError(ValueError):
    """A recipe name, override or value a user gave that cannot be used."""


def choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise RecipeError(f"{key} must be one of {', '.join(choices)}; got {value!r}")


def at_least(recipe, minimum: int, *keys: str) -> None:
    for key in keys:
        if getattr(recipe, key) < minimum:
            raise RecipeError(f"{key} must be at least {minimum}, got {getattr(recipe, key)}")


def check_label_pattern(label_from: str, pattern: str) -> None:
    """A pattern compiles, has the group that is the label, and is used (label_from=filename)."""
    if not pattern:
        return
    if label_from != "filename":
        raise RecipeError(f"label_pattern is read only with label_from=filename (it is "
                          f"{label_from!r}); add label_from=filename")
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        raise RecipeError(f"label_pattern {pattern!r} is not a regular expression: {err}") from None
    if compiled.groups < 1:
        raise RecipeError(f"label_pattern {pattern!r} has no group: put the part of the file "
                          "name that is the label in parentheses, e.g. ^([^_]+)_")
    if {"path", "folder"} & set(compiled.groupindex):
        raise RecipeError(f"label_pattern {pattern!r}: a group may not be named 'path' or "
                          "'folder' (columns every file already has)")


def frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(mapping))


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Fields every recipe has. The networks are keys of `networks.GENERATORS` and
    `networks.DISCRIMINATORS`; `data_kind` picks the modality that reads, writes and judges
    the data (`modalities.MODALITIES`)."""

    name: str
    summary: str
    data_kind: str  # audio | image: what `--data` must hold
    generator: str
    discriminator: str
    demo: str = "notes"  # the demo dataset `--data demo` builds (pipelines.demo)
    train_scheme: str = "gan"  # key of the training scheme (one train_step per scheme)
    loss: str = "wgan-gp"  # wgan-gp brings its gradient penalty (gp_weight)
    latent_dim: int = 100
    latent_dist: str = "uniform"  # uniform in [-1, 1] (WaveGAN, DCGAN) or normal
    batch_size: int = 64
    d_steps: int = 5  # D updates per G update, each on a fresh real batch
    d_learning_rate: float = 1e-4
    g_learning_rate: float = 1e-4
    lr_decay_steps: int = 0  # > 0: both rates fall linearly to 0 over this many G steps
    # in (0, 1): with lr_decay_steps, both rates are multiplied by this every lr_decay_steps
    # G steps instead (an exponential staircase); 0: the linear fall
    lr_decay_rate: float = 0.0
    beta_1: float = 0.5
    beta_2: float = 0.9
    gp_weight: float = 10.0
    r1_gamma: float = 0.0  # > 0: R1 penalty (gamma / 2) on D's gradient at real data
    r1_every: int = 1  # > 1: lazy R1, on one critic update in r1_every (weighted as many times)
    r1_batch_shrink: int = 1  # > 1: R1 on every update, on batch_size / r1_batch_shrink rows
    drift: float = 0.0  # PGGAN's drift penalty on the critic's real logits
    g_ema: float = 0.0  # decay of a moving average of G's weights used for output; 0: none
    label_column: str = ""  # labels.csv column for conditioning (and for judging)
    label_from: str = "auto"  # one of LABEL_SOURCES
    # label_from=filename: a regular expression searched in each file name without its
    # extension; group 1 is the column `label`, named groups are columns too ("": "^([^_]+)_")
    label_pattern: str = ""
    conditioning: str = "none"
    num_classes: int = 0  # conditioning=class: 0 takes the count from label_column's values
    ac_weight: float = 10.0  # AC-GAN: weight of the auxiliary classification loss
    condition_gain: float = 1.0  # conditioning=class: the one-hot's scale beside z
    ac_on_fakes: bool = False  # AC-GAN as Odena et al.: D's classifier also learns fakes' labels
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
    # The smallest latent_dim the recipe's generator takes (face-to-music's needs no noise).
    min_latent_dim = 1

    def __post_init__(self):
        object.__setattr__(self, "smoke", frozen(self.smoke))
        self.validate()

    def validate(self) -> None:
        choice("data_kind", self.data_kind, DATA_KINDS)
        choice("train_scheme", self.train_scheme, TRAIN_SCHEMES)
        choice("loss", self.loss, LOSSES)
        choice("latent_dist", self.latent_dist, ("uniform", "normal"))
        choice("best_metric", self.best_metric, ("fd", "is", "accuracy"))
        choice("conditioning", self.conditioning, CONDITIONING)
        choice("label_from", self.label_from, LABEL_SOURCES)
        check_label_pattern(self.label_from, self.label_pattern)
        at_least(self, self.min_latent_dim, "latent_dim")
        at_least(self, 1, "batch_size", "d_steps", "steps", "checkpoint_every", "r1_every",
                 "r1_batch_shrink", "keep_checkpoints", "sample_every", "log_every")
        at_least(self, 0, "num_classes", "eval_every")
        # NaN passes every `<` check below, and no field means anything at infinity.
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise RecipeError(f"{field.name} must be a finite number, got {value}")
        for key in ("d_learning_rate", "g_learning_rate"):
            if getattr(self, key) <= 0:  # 0 never trains; below 0 is gradient ascent
                raise RecipeError(f"{key} must be positive, got {getattr(self, key)}")
        for key in ("beta_1", "beta_2"):
            if not 0.0 <= getattr(self, key) < 1.0:  # Adam's moment decays
                raise RecipeError(f"{key} must be in [0, 1), got {getattr(self, key)}")
        if not 0.0 <= self.g_ema < 1.0:
            raise RecipeError(f"g_ema must be 0 (off) or a decay in (0, 1), got {self.g_ema}")
        if self.lr_decay_steps < 0:
            raise RecipeError(f"lr_decay_steps must be 0 (constant) or positive, got "
                              f"{self.lr_decay_steps}")
        if not 0.0 <= self.lr_decay_rate < 1.0:
            raise RecipeError(f"lr_decay_rate must be 0 (linear decay) or a factor in (0, 1), "
                              f"got {self.lr_decay_rate}")
        if self.lr_decay_rate and not self.lr_decay_steps:
            raise RecipeError("lr_decay_rate multiplies the rates every lr_decay_steps G steps: "
                              "set lr_decay_steps too")
        for key in ("r1_gamma", "drift", "gp_weight", "ac_weight"):
            if getattr(self, key) < 0:
                raise RecipeError(f"{key} must be 0 (off) or positive, got {getattr(self, key)}")
        if self.batch_size % self.r1_batch_shrink:
            raise RecipeError(f"r1_batch_shrink ({self.r1_batch_shrink}) must divide batch_size "
                              f"({self.batch_size}): R1 is taken on batch_size / r1_batch_shrink "
                              "real rows")
        if self.conditioning == "class" and not self.label_column:
            raise RecipeError("conditioning=class needs label_column (a labels.csv column)")
        if self.conditioning == "class" and self.generator not in CLASS_CAPABLE_GENERATORS:
            raise RecipeError(f"conditioning=class, but the generator {self.generator!r} takes "
                              "z alone; generators that take class ids: "
                              + ", ".join(CLASS_CAPABLE_GENERATORS))
        if self.conditioning != "class" and self.generator in CLASS_CONDITIONED_GENERATORS:
            raise RecipeError(f"conditioning={self.conditioning}, but the generator "
                              f"{self.generator!r} takes class ids: use conditioning=class")
        if self.best_metric == "accuracy" and not self.asks_for_classes:
            raise RecipeError("best_metric=accuracy scores a conditional generator; this "
                              "recipe is unconditional: use best_metric=fd or is")

    @property
    def conditional(self) -> bool:
        return self.conditioning != "none"

    @property
    def asks_for_classes(self) -> bool:
        """Whether each example is made to be of a class of label_column, so a judge can
        say how often it is (accuracy_<column>)."""
        return self.conditioning == "class"
