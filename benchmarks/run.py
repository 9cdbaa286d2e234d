"""`make bench`: speed and memory of the training step and the input pipeline, measured side by
side in one run and printed as ratios against a baseline.

Each configuration runs in its own process so that its dtype policy, XLA cache and peak
memory do not leak into the next one.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The non-saturating loss with R1 needs one critic update per G step, not five.
R1_ONE_UPDATE = ["loss=dcgan", "d_steps=1", "r1_gamma=10"]
STEP_CONFIGS = {  # name -> (recipe overrides, precision, jit)
    "float32": ([], "off", False),
    "float32, no phase shuffle": (["phase_shuffle=0"], "off", False),
    "mixed bfloat16": ([], "bfloat16", False),
    "float32 + XLA": ([], "off", True),
    "float32, NS + R1, 1 D update": (R1_ONE_UPDATE, "off", False),
    "... + spectral branch": (R1_ONE_UPDATE + ["spectral_branch=true"], "off", False),
}
PIPELINE_CONFIGS = ("in-graph decode", "soundfile decode")
BASE = ["model_dim=16", "batch_size=16"]
# The image rows: DCGAN as the quality benchmark trains it, on the demo faces.
DCGAN_SET = ["model_dim=32", "batch_size=64"]
IMAGE_BATCHES = 12


def _training_batches(recipe, in_graph=True):
    """The recipe's training dataset on its demo data (in_graph=False: every file through the
    Python decoder)."""
    import dataclasses

    from keras_avgan import modalities

    modality = modalities.for_recipe(recipe)
    data = modality.load(recipe, modalities.resolve_data(recipe, "demo"), sys.stderr)
    if not in_graph:
        data = dataclasses.replace(data, files=[dataclasses.replace(f, in_graph=False)
                                                for f in data.files])
    return modality.training_dataset(recipe, data, 0, modality.renderer(recipe, None))


def measure_steps(overrides, precision_mode, jit, steps, warmup=2) -> dict:
    import keras
    import tensorflow as tf

    from keras_avgan import recipes
    from keras_avgan.training import precision
    from keras_avgan.training.builders import build_gan

    recipe = recipes.apply_overrides(recipes.WAVEGAN, BASE + overrides)
    keras.utils.set_random_seed(0)
    precision.set_precision(precision_mode)
    gan = build_gan(recipe, seed=0)
    gan.compile(*precision.make_optimizers(recipe, precision_mode), jit_compile=jit)
    batches = iter(_training_batches(recipe))

    step = tf.function(gan.train_step, jit_compile=jit)
    for _ in range(warmup):
        step(next(batches))
    started = time.perf_counter()
    for _ in range(steps):
        float(step(next(batches))["d_loss"])
    seconds = time.perf_counter() - started
    return {"steps_per_second": steps / seconds}


def measure_pipeline(name, batches=30) -> dict:
    from keras_avgan import recipes

    recipe = recipes.apply_overrides(recipes.WAVEGAN, BASE)
    iterator = iter(_training_batches(recipe, in_graph=name != "soundfile decode"))
    next(iterator)
    started = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    seconds = time.perf_counter() - started
    return {"batches_per_second": batches / seconds}


def measure_dcgan_step(steps) -> dict:
    """Images a DCGAN train step consumes per second (batch x d_steps x steps/s)."""
    import keras
    import tensorflow as tf

    from keras_avgan import recipes
    from keras_avgan.training import precision
    from keras_avgan.training.builders import build_gan

    recipe = recipes.apply_overrides(recipes.DCGAN, DCGAN_SET)
    keras.utils.set_random_seed(0)
    gan = build_gan(recipe, seed=0)
    gan.compile(*precision.make_optimizers(recipe))
    batches = iter(_training_batches(recipe))
    step = tf.function(gan.train_step)
    for _ in range(2):
        step(next(batches))
    started = time.perf_counter()
    for _ in range(steps):
        float(step(next(batches))["d_loss"])
    rate = steps / (time.perf_counter() - started)
    return {"images_per_second": rate * recipe.batch_size * recipe.d_steps}


def measure_image_pipeline(name) -> dict:
    """The demo faces through `image_dataset`, or through the naive one-file-at-a-time loop."""
    from image_pipeline import naive_loop

    from keras_avgan import recipes

    recipe = recipes.apply_overrides(recipes.DCGAN, DCGAN_SET)
    if name == "image_dataset":
        batches = iter(_training_batches(recipe))
        next(batches)
        started = time.perf_counter()
        for _ in range(IMAGE_BATCHES):
            next(batches)
        count = IMAGE_BATCHES * recipe.batch_size
    else:
        from pipelines import demo, images

        paths = images.list_image_files(demo.ensure_demo("faces"))[:IMAGE_BATCHES
                                                                   * recipe.batch_size]
        started = time.perf_counter()
        naive_loop(paths, recipe.image_size)
        count = len(paths)
    return {"images_per_second": count / (time.perf_counter() - started)}


def _child(kind: str, name: str, steps: int) -> None:
    if kind == "step":
        result = measure_steps(*STEP_CONFIGS[name], steps=steps)
    elif kind == "dcgan":
        result = measure_dcgan_step(steps)
    elif kind == "images":
        result = measure_image_pipeline(name)
    else:
        result = measure_pipeline(name)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def _run(kind: str, name: str, steps: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, name, "--steps", str(steps)],
                         capture_output=True, text=True, check=True)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _table(title, results: dict, key: str) -> None:
    base = next(iter(results.values()))
    print(f"\n{title}")
    for name, result in results.items():
        print(f"  {name:<30} {result[key]:8.2f} {key.replace('_', ' ')}   "
              f"x{result[key] / base[key]:.2f}   peak {result['peak_rss_mb']:.0f} MB "
              f"(x{result['peak_rss_mb'] / base['peak_rss_mb']:.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "NAME"), help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    if args.child:
        _child(*args.child, args.steps)
        return 0
    print(f"WaveGAN train step, {' '.join(BASE)}, WGAN-GP with 5 critic updates per step "
          "unless the row says otherwise, demo notes, CPU")
    _table("train step (ratio to float32)",
           {name: _run("step", name, args.steps) for name in STEP_CONFIGS}, "steps_per_second")
    _table("input pipeline, batches of 80 x 16384 (ratio to in-graph decode)",
           {name: _run("pipeline", name, args.steps) for name in PIPELINE_CONFIGS},
           "batches_per_second")
    _table(f"pictures: the demo faces at 64 x 64 (ratio to what a DCGAN step consumes, "
           f"{' '.join(DCGAN_SET)})",
           {"DCGAN train step": _run("dcgan", "step", args.steps),
            "image_dataset": _run("images", "image_dataset", args.steps),
            "naive PIL loop": _run("images", "naive", args.steps)}, "images_per_second")
    # The demo builders and the video reader, each timed (and the talking demo's identity
    # judged from the voice alone and the face alone) by its own script.
    for script in ("demo_faces.py", "demo_talking.py", "video_pairs.py"):
        print()
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), script)],
                       check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
