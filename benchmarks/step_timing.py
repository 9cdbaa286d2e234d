"""Timing a training step: the first call (tracing, graph optimisation and, with XLA, the
compile) apart from the steady steps after it, on a recipe's demo data."""

import dataclasses
import sys
import time

RECIPES = {"wavegan": "WAVEGAN", "dcgan": "DCGAN", "avgan": "AVGAN"}


def training_batches(recipe, in_graph=True):
    """The recipe's training dataset on its demo data (in_graph=False: every file through the
    Python decoder)."""
    from keras_avgan import modalities

    modality = modalities.for_recipe(recipe)
    data = modality.load(recipe, modalities.resolve_data(recipe, "demo"), sys.stderr)
    if not in_graph:
        data = dataclasses.replace(data, files=[dataclasses.replace(f, in_graph=False)
                                                for f in data.files])
    return modality.training_dataset(recipe, data, 0, modality.renderer(recipe, None))


def build(recipe_name, overrides, precision_mode="off", jit=False):
    """(gan, recipe, batch iterator), seeded, compiled as `keras_avgan fit` compiles it."""
    import keras

    from keras_avgan import recipes
    from keras_avgan.training import precision
    from keras_avgan.training.builders import build_gan

    recipe = recipes.apply_overrides(getattr(recipes, RECIPES[recipe_name]), overrides)
    keras.utils.set_random_seed(0)
    precision.set_precision(precision_mode)
    gan = build_gan(recipe, seed=0)
    gan.compile(*precision.make_optimizers(recipe, precision_mode), jit_compile=jit)
    return gan, recipe, iter(training_batches(recipe))


def time_calls(step, batches, steps, warmup=1) -> dict:
    """first_step_s: the first call (trace + compile + one step); steps_per_second: the
    steady rate after `warmup` more calls. Each call's result is read back to the host, so
    no step is still running when the clock stops."""
    def call():
        result = step(next(batches))
        float(result["d_loss"] if isinstance(result, dict) else result)

    started = time.perf_counter()
    call()
    first = time.perf_counter() - started
    for _ in range(warmup):
        call()
    started = time.perf_counter()
    for _ in range(steps):
        call()
    return {"first_step_s": first, "steps_per_second": steps / (time.perf_counter() - started)}


def measure_ours(recipe_name, overrides, precision_mode="off", jit=False, steps=10) -> dict:
    """The project's train step, compiled as fit compiles it."""
    import tensorflow as tf

    gan, recipe, batches = build(recipe_name, overrides, precision_mode, jit)
    result = time_calls(tf.function(gan.train_step, jit_compile=jit), batches, steps)
    result["examples_per_second"] = result["steps_per_second"] * recipe.batch_size * recipe.d_steps
    return result


def measure_plain(recipe_name, overrides, steps=10) -> dict:
    """keras.io's step (plain_step.py) on the same networks, optimizers and batches."""
    from plain_step import plain_step

    gan, recipe, batches = build(recipe_name, overrides)
    step = plain_step(gan.generator, gan.discriminator, gan.d_optimizer, gan.g_optimizer,
                      recipe)
    # The real examples alone (an unconditioned recipe's batch has no labels to pass).
    return time_calls(lambda batch: step(gan.layout.split(batch)[0]), batches, steps)
