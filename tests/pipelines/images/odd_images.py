"""A folder of real-world image oddities, written with Pillow and numpy only (no network).

Each good file is small and has a known picture, so tests can check colours and geometry
after decoding; each bad file is broken in one way a user's folder commonly is.
"""

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)
# Pure red in CMYK (no cyan, full magenta and yellow, no black)
CMYK_RED = (0, 255, 255, 0)


def quadrants(width=32, height=32) -> np.ndarray:
    """uint8 [h, w, 3]: red, green / blue, yellow quadrants."""
    image = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    image[:h, :w], image[:h, w:], image[h:, :w], image[h:, w:] = RED, GREEN, BLUE, YELLOW
    return image


def gradient(width=40, height=40) -> np.ndarray:
    """uint8 [h, w, 3]: smooth ramps, so lossy codecs stay close to the source."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // (width - 1), y * 255 // (height - 1),
                     np.full_like(x, 128)], -1).astype(np.uint8)


def striped(width, height, centre=GREEN, ends=(RED, BLUE)) -> np.ndarray:
    """The centre square is `centre`; the parts a centre crop drops are `ends`."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = centre
    if height > width:
        cut = (height - width) // 2
        image[:cut], image[cut + width:] = ends
    else:
        cut = (width - height) // 2
        image[:, :cut], image[:, cut + height:] = ends
    return image


def _png_with_size(path: Path, width: int, height: int) -> None:
    """A valid 1x1 PNG whose IHDR then claims width x height (with a correct CRC)."""
    Image.new("RGB", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", zlib.crc32(data[ihdr - 4:ihdr + 13]))
    path.write_bytes(bytes(data))


def _animated_gif(path: Path) -> None:
    """Red, then green, then blue frames; in each the right third is transparent (palette
    entry 1, white underneath), which decodes black."""
    frames = []
    for colour in (RED, GREEN, BLUE):
        index = np.zeros((24, 24), np.uint8)
        index[:, 16:] = 1
        frame = Image.fromarray(index, "P")
        frame.putpalette(list(colour) + [255, 255, 255] + [0] * 762)
        frames.append(frame)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0,
                   transparency=1, disposal=2)


def _palette(colours, width=32, height=32) -> Image.Image:
    """Mode P quadrants using palette entries 0..3."""
    index = np.zeros((height, width), np.uint8)
    index[:height // 2, width // 2:], index[height // 2:, :width // 2] = 1, 2
    index[height // 2:, width // 2:] = 3
    image = Image.fromarray(index, "P")
    image.putpalette([c for colour in colours for c in colour] + [0] * (768 - 3 * len(colours)))
    return image


def _rotated_jpeg(path: Path) -> None:
    """Stored 48 wide x 32 high, left half red, with EXIF orientation 6 (turn 90 degrees
    clockwise to show): shown 32 wide x 48 high, with the red half on top."""
    stored = np.zeros((32, 48, 3), np.uint8)
    stored[:] = GREEN
    stored[:, :24] = RED
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(path, quality=95, exif=exif)


def write_odd_images(root) -> dict:
    """Write the oddities under `root`; {"good": {name: path}, "bad": {name: path}}."""
    root = Path(root)
    (root / "sub").mkdir(parents=True, exist_ok=True)
    good = {}

    def save(name, image, **kwargs):
        path = root / name
        (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(
            path, **kwargs)
        good[name] = str(path)

    save("cmyk.jpg", Image.new("CMYK", (32, 32), CMYK_RED), quality=95)
    save("progressive.jpg", gradient(), quality=95, progressive=True)
    save("baseline.jpg", gradient(), quality=95)
    save("gray.jpg", gradient()[..., 0], quality=95)
    ramp = np.tile(np.linspace(0, 65535, 40).astype(np.uint16), (40, 1))
    save("gray16.png", Image.fromarray(ramp))  # mode I;16: a 16-bit grayscale PNG
    save("palette.png", _palette([RED, GREEN, BLUE, YELLOW]))
    # Entry 3 (bottom right) is transparent and white underneath: composited it is black.
    save("palette_alpha.png", _palette([RED, GREEN, BLUE, (255, 255, 255)]), transparency=3)
    rgba = np.dstack([quadrants(), np.full((32, 32), 128, np.uint8)])
    save("rgba.png", Image.fromarray(rgba, "RGBA"))
    la = np.dstack([gradient()[..., 0], np.full((40, 40), 255, np.uint8)])
    la[:20, :, 1] = 0  # top half fully transparent
    save("sub/la.png", Image.fromarray(la, "LA"))
    save("image.webp", quadrants(), lossless=True)
    save("image.tiff", quadrants())
    save("image.bmp", quadrants())
    save("palette.bmp", _palette([RED, GREEN, BLUE, YELLOW]))  # 8-bit, colours by palette
    save("sub/jpeg_named.png", gradient(), format="JPEG", quality=95)
    save("portrait.png", striped(24, 40))
    save("landscape.jpg", striped(48, 16), quality=95)
    _animated_gif(root / "animated.gif")
    good["animated.gif"] = str(root / "animated.gif")
    _rotated_jpeg(root / "rotated.jpg")
    good["rotated.jpg"] = str(root / "rotated.jpg")

    bad = {}
    noise = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    Image.fromarray(noise).save(root / "truncated.jpg", quality=90)
    whole = (root / "truncated.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(whole[:len(whole) * 6 // 10])  # cut in the pixels
    (root / "empty.png").write_bytes(b"")
    (root / "notes.jpg").write_text("not a picture, just some notes\n")
    _png_with_size(root / "zero.png", 0, 0)
    (root / "bad_header.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 8)
    for name in ("truncated.jpg", "empty.png", "notes.jpg", "zero.png", "bad_header.png"):
        bad[name] = str(root / name)

    (root / ".hidden.png").write_bytes(whole)  # hidden: never listed
    (root / "readme.txt").write_text("not listed: not an image extension\n")
    rows = ["path,label"] + [f"{name},{'gif' if name.endswith('.gif') else 'still'}"
                             for name in sorted(good)]
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return {"good": good, "bad": bad}
