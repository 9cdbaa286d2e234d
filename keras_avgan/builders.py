"""Networks and GAN models from a recipe, through plain dicts; and a trained generator back."""

from pathlib import Path

from keras_avgan import (
    checkpoints,
    conditional_gan,
    conditions,
    gan,
    networks,
    precision,
    recipes,
    representations,
    runs,
)
from keras_avgan.errors import UserError
from keras_avgan.synthesis import Synthesizer

# One GAN class (and so one train_step) per training scheme.
SCHEMES = {"gan": gan.GAN}
SCHEMES["acgan"] = conditional_gan.ConditionalGAN  # AC-GAN: needs from_recipe (num_classes)


def build_gan(recipe: recipes.Recipe, seed: int | None = None):
    build_generator = networks.get_generator_builder(recipe.generator)
    generator = build_generator(recipe)
    discriminator = networks.get_discriminator_builder(recipe.discriminator)(recipe)
    average = {"generator_ema": build_generator(recipe), "ema_decay": recipe.g_ema} \
        if recipe.g_ema else {}
    scheme = SCHEMES[recipe.train_scheme]
    if hasattr(scheme, "from_recipe"):  # schemes with extra settings (classes, AC weight)
        return scheme.from_recipe(generator, discriminator, recipe, seed, **average)
    return scheme(
        generator, discriminator, latent_dim=recipe.latent_dim, latent_dist=recipe.latent_dist,
        loss=recipe.loss, d_steps=recipe.d_steps, gp_weight=recipe.gp_weight, seed=seed,
        r1_gamma=recipe.r1_gamma, **average,
    )


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
    return recipe, model.inference_generator, f"{label} ({path})"


def load_synthesizer(run_dir: str | Path, which: str = "auto"):
    """(recipe, Synthesizer, which checkpoint): a trained run's generator with the run's
    representation and conditions, so that it makes audio."""
    recipe, generator, label = load_generator(run_dir, which)
    synthesizer = Synthesizer(generator, representations.for_run(recipe, run_dir),
                              conditions.load(run_dir))
    return recipe, synthesizer, label


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
