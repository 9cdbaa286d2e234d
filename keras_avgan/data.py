"""From `--data PATH|demo` to a checked list of files and a tf.data pipeline for a recipe."""

import sys
from dataclasses import dataclass
from pathlib import Path

from keras_avgan.recipes import Recipe
from pipelines import audio, demo


@dataclass(frozen=True)
class AudioData:
    root: Path
    scan: audio.AudioScan


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
    return AudioData(root=root, scan=scan)


def audio_training_dataset(recipe: Recipe, data: AudioData, seed: int):
    """Batches of batch_size * d_steps slices: one G step's worth of fresh real batches."""
    return audio.audio_dataset(
        data.scan.good, sample_rate=recipe.sample_rate, slice_len=recipe.slice_len,
        slice_mode=recipe.slice_mode, pad_short=recipe.pad_short, normalize=recipe.normalize,
        batch_size=recipe.batch_size * recipe.d_steps, seed=seed, shuffle=True, repeat=True,
    )
