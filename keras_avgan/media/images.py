"""Image files people open: one PNG per image and a grid of them."""

from pathlib import Path

import numpy as np
from PIL import Image


def write_png(path: Path, image: np.ndarray) -> Path:
    """An 8-bit RGB (or gray) PNG from floats in [0, 1], written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.round(np.clip(np.asarray(image, np.float32), 0.0, 1.0) * 255.0).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(pixels).save(tmp, format="PNG")
    tmp.replace(path)
    return path


def write_image_batch(images: np.ndarray, out_dir: Path, prefix: str,
                      titles=None) -> tuple[list[Path], Path]:
    """One PNG per image plus a grid of (at most 16 of) them."""
    images = np.asarray(images)
    width = max(2, len(str(len(images) - 1)))
    pngs = [write_png(out_dir / f"{prefix}_{i:0{width}d}.png", image)
            for i, image in enumerate(images)]
    from keras_avgan.media import plots  # matplotlib: only the grid needs it

    grid = plots.image_grid(images, out_dir / f"{prefix}_grid.png", titles=titles)
    return pngs, grid
