"""The Pillow route of decoding a picture to a square float array (no TensorFlow), so that
`keras_avgan request` reads faces as training reads them where TensorFlow is not loaded."""

import numpy as np
from PIL import Image, ImageOps

_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def load_image(path, size) -> np.ndarray:
    """float32 [size, size, 3] in [-1, 1] from any file Pillow reads (the Pillow route)."""
    if isinstance(path, bytes):
        path = path.decode()
    with Image.open(path) as image:
        image.seek(0)  # the first frame of an animation
        image = ImageOps.exif_transpose(image)  # as shown: phones store photos sideways
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        rgb = _to_rgb(image.crop((left, top, left + side, top + side)))
    # One "F" image per channel: Pillow's float resize has no 8-bit rounding between passes
    channels = [Image.fromarray(rgb[..., c], "F").resize((size, size), Image.LANCZOS)
                for c in range(3)]
    out = np.stack([np.asarray(c, np.float32) for c in channels], axis=-1)
    return np.clip(out, 0.0, 1.0) * 2.0 - 1.0


def _to_rgb(image: Image.Image) -> np.ndarray:
    """float32 [h, w, 3] in [0, 1] from any Pillow mode."""
    if "A" in image.getbands() or "transparency" in image.info:
        # Composited on black: tf.io.decode_gif paints transparent pixels black, and most
        # encoders store fully transparent pixels as (0, 0, 0, 0), so every route agrees.
        rgba = np.asarray(image.convert("RGBA"), np.float32) / 255.0
        return rgba[..., :3] * rgba[..., 3:]
    if image.mode in _SIXTEEN_BIT:  # Pillow's own conversion to 8 bits clips, not scales
        gray = np.asarray(image, np.float32) / 65535.0
        return np.repeat(np.clip(gray, 0.0, 1.0)[..., None], 3, axis=-1)
    if image.mode == "F":  # float TIFF: taken as already in [0, 1]
        return np.repeat(np.clip(np.asarray(image, np.float32), 0.0, 1.0)[..., None], 3, -1)
    return np.asarray(image.convert("RGB"), np.float32) / 255.0  # CMYK, L, P, 1, YCbCr, ...
