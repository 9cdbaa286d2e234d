"""Pictures: folders of image files in, PNG files and grids out, small convolutional judges."""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_avgan.media import images as image_files
from keras_avgan.media import plots
from keras_avgan.modalities import sharded
from keras_avgan.modalities.base import Modality, OutputSpec, Renderer, TrainingData, label_source
from keras_avgan.networks import judge
from pipelines import images

CHANNELS = 3


class ImageRenderer(Renderer):
    """Generators make [B, H, W, 3] in [-1, 1] (tanh); clients get [0, 1]."""

    kind = "image"

    def publish(self, outputs) -> dict:
        pixels = (tf.cast(outputs, tf.float32) + 1.0) * 0.5
        return {"image": tf.clip_by_value(pixels, 0.0, 1.0)}


def to_unit_range(examples: np.ndarray) -> np.ndarray:
    """The pipelines' [-1, 1] pixels in the published [0, 1]."""
    return np.clip((np.asarray(examples, np.float32) + 1.0) * 0.5, 0.0, 1.0)


class ImageModality(Modality):
    kind = "image"
    output_name = "image"

    # --- data -------------------------------------------------------------------------
    extensions_text = "images: " + " ".join(images.IMAGE_EXTENSIONS)

    def find_files(self, path: Path) -> list[str]:
        return images.list_image_files(str(path))

    def usable_files(self, recipe, path: Path):
        sharded.refuse_files(path)
        scan = images.scan_images(str(path))
        images.require_usable(scan, str(path))
        return scan.good, scan.bad

    def describe(self, path: Path, recipe=None) -> str:
        scan = images.scan_images(str(path))
        images.require_usable(scan, str(path))
        notes = [self.describe_labels(path, recipe, scan.good)]
        if recipe is not None:
            notes.append(f"each is centre-cropped and resized to {recipe.image_size} x "
                         f"{recipe.image_size} for recipe '{recipe.name}'")
        return images.describe_scan(scan, notes=notes)

    def label_rows(self, path: Path, recipe=None):
        return images.read_labels(str(path), *label_source(recipe))

    def renderer(self, recipe, run_root):
        return ImageRenderer()

    def training_dataset(self, recipe, data: TrainingData, seed: int, renderer):
        batch_size = recipe.batch_size * recipe.d_steps
        if sharded.is_sharded(data):
            ds, labelled = sharded.examples(data, seed, batch_size), data.conditions
        else:
            ds = images.image_dataset(data.files, size=recipe.image_size, batch_size=batch_size,
                                      seed=seed, shuffle=True, repeat=True,
                                      labels=data.label_ids)
            labelled = data.label_ids
        if labelled is None:
            def named(pixels):
                return {"image": pixels}
        else:
            def named(pixels, ids):
                return {"image": pixels, data.conditions.name: ids}
        return ds.map(named, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    # --- outputs ----------------------------------------------------------------------
    def output_spec(self, recipe) -> OutputSpec:
        size = recipe.image_size
        # "image" whatever the subclass (speech_face): what the output is, not what is read.
        return OutputSpec("image", "image", (size, size, CHANNELS), (0.0, 1.0))

    def write(self, made, recipe, out_dir: Path, prefix: str, titles=None) -> dict:
        files, grid = image_files.write_image_batch(made["image"], out_dir, prefix, titles)
        return {"files": files, "overview": grid}

    def preview(self, made, recipe, out_dir: Path, name: str, titles=None) -> None:
        plots.image_grid(made["image"], out_dir / f"{name}.png", titles=titles)

    def summarize(self, made, recipe, step: int) -> None:
        tf.summary.image("samples", made["image"][:8], max_outputs=8, step=step)

    # --- judging ----------------------------------------------------------------------
    def labelled_examples(self, recipe, files) -> np.ndarray:
        return to_unit_range(images.eval_images(files, recipe.image_size))

    def judge_key(self, recipe) -> str:
        return f"image:{recipe.image_size}"

    def build_judge(self, recipe, num_classes: int, seed: int = 0, **sizes) -> keras.Model:
        """[B, size, size, 3] RGB in [0, 1] -> logits."""
        size = recipe.image_size
        with judge.float32_policy():
            inputs = keras.Input((size, size, CHANNELS), name="image")
            x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_signed")(inputs)
            return judge.build_classifier(inputs, x, num_classes, "image_classifier",
                                          seed=seed, **sizes)

    def comparison_figure(self, real, generated, recipe, out: Path) -> Path:
        return plots.image_comparison(real, generated, out)
