"""Networks and GAN models from a recipe, through plain dicts; and a trained generator back."""

from pathlib import Path

from keras_avgan import checkpoints, conditional_gan, gan, networks, precision, recipes, runs
from keras_avgan.errors import UserError

# One GAN class (and so one train_step) per training scheme.
SCHEMES = {"gan": gan.GAN}
SCHEMES["acgan"] = conditional_gan.ConditionalGAN  # AC-GAN: needs from_recipe (num_classes)


def build_gan(recipe: recipes.Recipe, seed: int | None = None):
    generator = networks.get_generator_builder(recipe.generator)(recipe)
    discriminator = networks.get_discriminator_builder(recipe.discriminator)(recipe)
    scheme = SCHEMES[recipe.train_scheme]
    if hasattr(scheme, "from_recipe"):  # schemes with extra settings (classes, AC weight)
        return scheme.from_recipe(generator, discriminator, recipe, seed)
    return scheme(
        generator, discriminator, latent_dim=recipe.latent_dim, latent_dist=recipe.latent_dist,
        loss=recipe.loss, d_steps=recipe.d_steps, gp_weight=recipe.gp_weight, seed=seed,
    )


def output_head(recipe: recipes.Recipe):
    """(kind, in-graph postprocess) that turns the generator's output into what users get.

    Waveform generators need none; spectrogram recipes register their inversion here so that
    generate, export and TFLite all hand out audio.
    """
    head = OUTPUT_HEADS.get(recipe.generator)
    return ("audio", None) if head is None else head(recipe)


# generator name -> builder of (kind, postprocess) for generators whose output is not media.
OUTPUT_HEADS: dict = {}


def load_generator(run_dir: str | Path, which: str = "auto"):
    """(recipe, float32 generator, which checkpoint) for generate, evaluate and export.

    `auto` prefers the best checkpoint kept by evaluation during training, then the latest.
    The networks are rebuilt in float32 whatever precision the run trained in: variables are
    float32 under mixed precision, and float32 graphs are what TF Serving and TFLite want.
    """
    run = runs.RunDir(Path(run_dir))
    recipe = runs.load_recipe(run)
    path, label = _pick_checkpoint(run, which)
    precision.set_precision("off")
    model = build_gan(recipe)
    model.build_all()
    checkpoints.restore_weights(model, path)
    return recipe, model.generator, f"{label} ({path})"


def _pick_checkpoint(run: runs.RunDir, which: str) -> tuple[str, str]:
    best, latest = checkpoints.latest_in(run.best), checkpoints.latest_in(run.checkpoints)
    if which in ("auto", "best") and best:
        return best, "best checkpoint"
    if which == "best":
        raise UserError(f"{run.root} has no best checkpoint (train with --eval-every N); "
                        "use the latest instead")
    if latest:
        return latest, "latest checkpoint"
    raise UserError(f"{run.root} has no checkpoint yet; train it with 'keras_avgan fit "
                    f"--run-dir {run.root} ...' first")
