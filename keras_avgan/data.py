"""From `--data PATH|demo` to a checked list of files and a tf.data pipeline for a recipe."""

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_avgan import conditions as conditions_lib
from keras_avgan.recipes import Recipe
from pipelines import audio, demo


@dataclass(frozen=True)
class AudioData:
    root: Path
    scan: audio.AudioScan
    files: list  # the files training reads: the usable ones, labelled if the recipe needs it
    conditions: conditions_lib.Conditions | None = None
    label_ids: np.ndarray | None = None  # class id per file, for conditional recipes


def resolve_path(recipe: Recipe, data: str) -> Path:
    """`demo` builds (once) and returns the recipe's demo dataset; anything else is a path."""
    if data == "demo":
        return Path(demo.ensure_demo(recipe.demo))
    return Path(data).expanduser()


def load_audio(recipe: Recipe, data: str, report=sys.stderr) -> AudioData:
    """Scan the data, report skipped files once, and fail before any model is built."""
    root = resolve_path(recipe, data)
    scan = audio.scan_audio(str(root), sample_rate=recipe.sample_rate,
                            slice_len=recipe.slice_len)
    audio.require_usable(scan, str(root))
    audio.check_recipe_fit(scan, recipe.sample_rate, recipe.slice_len)
    if scan.bad:
        names = "\n".join(f"  {path}: {reason}" for path, reason in scan.bad)
        print(f"warning: skipped {len(scan.bad)} of {len(scan.bad) + len(scan.good)} files "
              f"under {root}:\n{names}", file=report)
    labelled = conditions_lib.from_data(recipe, root, scan.good, report)
    if labelled is None:
        return AudioData(root=root, scan=scan, files=list(scan.good))
    found, files, ids = labelled
    return AudioData(root=root, scan=scan, files=files, conditions=found, label_ids=ids)


def audio_training_dataset(recipe: Recipe, data: AudioData, seed: int, representation=None):
    """Batches of batch_size * d_steps examples: one G step's worth of fresh real batches.

    Examples are what the generator makes (`representation.to_model` of the slices), paired
    with their class ids for conditional recipes.
    """
    ds = audio.audio_dataset(
        data.files, sample_rate=recipe.sample_rate, slice_len=recipe.slice_len,
        slice_mode=recipe.slice_mode, pad_short=recipe.pad_short, normalize=recipe.normalize,
        batch_size=recipe.batch_size * recipe.d_steps, seed=seed, shuffle=True, repeat=True,
        labels=data.label_ids,
    )
    if representation is None or representation.kind == "waveform":
        return ds
    if data.label_ids is None:
        transform = representation.to_model
    else:
        def transform(clips, ids):
            return representation.to_model(clips), ids
    return ds.map(transform, num_parallel_calls=tf.data.AUTOTUNE,
                  deterministic=True).prefetch(tf.data.AUTOTUNE)
