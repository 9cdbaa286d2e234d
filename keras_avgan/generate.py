"""`keras_avgan generate`: files from a trained run, deterministic for a seed."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_avgan import latents, media
from keras_avgan.builders import load_generator
from keras_avgan.errors import UserError


@dataclass
class GenerateResult:
    files: list[Path]
    grid: Path
    checkpoint: str


def generate(run_dir: str | Path, n: int = 16, seed: int = 0, out: str | Path | None = None,
             interpolate: int = 0, batch_size: int = 32) -> GenerateResult:
    """`n` samples for `seed`; with `interpolate=K`, K steps from the first latent of `seed`
    to the first latent of `seed + 1` (the first file each of those seeds generates)."""
    if n < 1:
        raise UserError(f"-n must be at least 1, got {n}")
    if interpolate == 1 or interpolate < 0:
        raise UserError(f"--interpolate needs at least 2 steps, got {interpolate}")
    recipe, generator, which = load_generator(run_dir)
    if interpolate:
        start, end = (latents.sample_latents(1, recipe.latent_dim, recipe.latent_dist, s)[0]
                      for s in (seed, seed + 1))
        z = latents.interpolate(start, end, interpolate)
        prefix = f"interp_seed{seed}-{seed + 1}"
    else:
        z = latents.sample_latents(n, recipe.latent_dim, recipe.latent_dist, seed)
        prefix = f"seed{seed}"
    clips = np.concatenate([np.asarray(generator(z[i:i + batch_size], training=False))
                            for i in range(0, int(z.shape[0]), batch_size)])
    out_dir = Path(out) if out else Path(run_dir) / "generated"
    files, grid = media.write_audio_batch(clips.reshape(len(clips), -1), recipe.sample_rate,
                                          out_dir, prefix)
    return GenerateResult(files=files, grid=grid, checkpoint=which)
