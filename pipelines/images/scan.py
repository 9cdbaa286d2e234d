"""Finding and checking image files on disk (no tf.data here)."""

import os
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, UnidentifiedImageError

from pipelines import labels, listing
from pipelines.errors import DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
# What each extension promises; a file whose content differs is still read by its content.
_EXTENSION_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP",
                      ".gif": "GIF", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}
# Magic bytes, used only to word the reason when Pillow cannot read a file
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"),
               (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))
_ORIENTATION = 0x0112  # EXIF tag; 1 is "as stored"
_JPEG_MODES = ("L", "RGB", "CMYK")  # decode_jpeg turns Adobe CMYK into RGB as Pillow does
_BMP_BITS = (24, 32)  # decode_bmp ignores palettes and cannot read 1/4/16-bit or RLE files


@dataclass(frozen=True)
class ImageFileInfo:
    path: str
    format: str  # from the content, as Pillow names it ("JPEG", "PNG"), whatever the extension
    width: int  # as shown, i.e. after the EXIF orientation
    height: int
    mode: str  # Pillow's mode as stored: "RGB", "L", "P", "RGBA", "CMYK", "I;16", ...
    in_graph: bool  # tf.io's decoders read it as the Pillow route does (dataset.py)


@dataclass
class ImageScan:
    good: list = field(default_factory=list)  # ImageFileInfo
    bad: list = field(default_factory=list)  # (path, reason)


def list_image_files(path) -> list[str]:
    """Image files under a folder (recursive, sorted) or named by a CSV's `path` column."""
    return listing.list_files(path, IMAGE_EXTENSIONS, "image")


def read_labels(root, label_from="auto", pattern="") -> labels.Labels:
    """Absolute path -> label row (pipelines.labels): from labels.csv (or the CSV passed),
    parent folders or file names; `auto` takes labels.csv when there is one, else folders."""
    return labels.read_labels(root, IMAGE_EXTENSIONS, "image", label_from, pattern)


def _check_file(path: str):
    """An ImageFileInfo, or the reason the file cannot be used (a str)."""
    if not os.path.isfile(path):
        return "file not found (listed but missing)"
    if os.path.getsize(path) == 0:
        return "empty file (0 bytes)"
    try:
        image = Image.open(path)  # reads the header only
    except UnidentifiedImageError:
        return _unidentified(path)
    except Image.DecompressionBombError as err:  # over 2x Image.MAX_IMAGE_PIXELS
        return f"too large to decode safely ({_short(err)})"
    except Exception as err:  # Pillow's plugins raise OSError, SyntaxError, ValueError, ...
        return f"broken {_sniff(path) or 'image'} header ({_short(err)})"
    with image:
        width, height = image.size
        if not width or not height:
            return f"{width}x{height} image (no pixels)"
        try:
            image.load()  # decodes every pixel: truncated or corrupt data fails here
            turned = image.getexif().get(_ORIENTATION, 1) in (5, 6, 7, 8)
        except Exception as err:
            if "truncat" in str(err).lower():
                return f"truncated: the image data ends early ({_short(err)})"
            return f"corrupt image data ({_short(err)})"
        if turned:
            width, height = height, width  # shown turned by 90 degrees
        return ImageFileInfo(path, image.format, width, height, image.mode,
                             _decodes_in_graph(image, path))


def _decodes_in_graph(image: Image.Image, path: str) -> bool:
    """Whether the in-graph route (images.dataset.decode_in_graph) gives the pixels the Pillow
    route gives. Found by decoding each kind both ways; tests/pipelines/images checks it."""
    if image.format not in ("JPEG", "MPO", "PNG", "GIF", "BMP", "WEBP"):
        return False  # TIFF and the rest: decode_image does not read them
    if image.getexif().get(_ORIENTATION, 1) != 1:
        return False  # decode_image ignores EXIF orientation
    if image.format in ("JPEG", "MPO"):
        return image.mode in _JPEG_MODES  # MPO: decode_image reads its first picture
    if image.format == "GIF":
        return True  # decode_gif paints transparent pixels black, as the Pillow route does
    if image.format == "BMP":
        return _bmp_bits(path) in _BMP_BITS and image.info.get("compression") == 0
    if image.format == "WEBP" and getattr(image, "n_frames", 1) > 1:
        return False  # decode_image reads animated WebP only as 4 channels
    # PNG and WebP of any bit depth or palette: decode_image only drops alpha, where the
    # Pillow route composites on black, so images that use their alpha go through Pillow.
    return not _has_transparency(image)


def _has_transparency(image: Image.Image) -> bool:
    if "A" not in image.getbands() and "transparency" not in image.info:
        return False
    alpha = image.getchannel("A") if "A" in image.getbands() else (
        image.convert("RGBA").getchannel("A"))
    return alpha.getextrema()[0] < 255


def _bmp_bits(path: str) -> int:
    """Bits per pixel from a BMP header (the old OS/2 header keeps it elsewhere)."""
    with open(path, "rb") as handle:
        head = handle.read(30)
    if len(head) < 30:
        return 0
    header_size = struct.unpack("<I", head[14:18])[0]
    return struct.unpack("<H", head[24:26] if header_size == 12 else head[28:30])[0]


def _sniff(path: str) -> str | None:
    """The format the magic bytes announce, to word reasons when Pillow cannot read a file."""
    with open(path, "rb") as handle:
        head = handle.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)


def _unidentified(path: str) -> str:
    """Why Pillow cannot identify a file: not an image at all, or a broken header."""
    kind = _sniff(path)
    if kind is None:
        return "not an image: the content matches no image format (a text or other file?)"
    with open(path, "rb") as handle:
        head = handle.read(24)
    if kind == "PNG" and head[12:16] == b"IHDR" and 0 in struct.unpack(">II", head[16:24]):
        width, height = struct.unpack(">II", head[16:24])
        return f"{width}x{height} image (no pixels): its PNG header declares an empty image"
    return f"broken {kind} header: Pillow cannot read it (corrupt or cut short)"


def _short(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:160] if text else type(err).__name__


def scan_images(path) -> ImageScan:
    """Open and fully decode every image under `path`, sorting it into usable files and
    (path, reason): a file that passes cannot fail later, in the middle of training."""
    return check_image_files(list_image_files(path))


def check_image_files(files) -> ImageScan:
    """`scan_images` for a list of paths."""
    scan = ImageScan()
    if not files:
        return scan
    workers = min(8, 2 * (os.cpu_count() or 1), len(files))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # Pillow's decoders release the GIL
        results = list(pool.map(_check_file, files))
    for file, result in zip(files, results, strict=True):
        if isinstance(result, ImageFileInfo):
            scan.good.append(result)
        else:
            scan.bad.append((file, result))
    return scan


def named_images(paths, flag: str = "--face") -> list[tuple[ImageFileInfo, str]]:
    """(file, name) for each picture a command line names, a folder standing for the
    pictures under it, checked as training checks them: any that cannot be read is an error
    naming it. A name is what files made from the picture are called: its stem, or under a
    folder its path there ('/' as '_'); repeated names get '-2', '-3', ..."""
    named = []
    for given in paths:
        root = os.path.expanduser(str(given))
        if os.path.isdir(root):
            found = list_image_files(root)
            if not found:
                raise DataError(f"{flag} {given}: no image files in this folder "
                                f"({' '.join(IMAGE_EXTENSIONS)}, searched recursively)")
            named += [(f, os.path.splitext(os.path.relpath(f, root))[0].replace(os.sep, "_"))
                      for f in found]
        elif os.path.exists(root):
            named.append((root, os.path.splitext(os.path.basename(root))[0]))
        else:
            raise DataError(f"{flag} {given}: no such file or folder")
    scan = check_image_files([f for f, _ in named])
    if scan.bad:
        path, reason = scan.bad[0]
        raise DataError(f"{flag} {path}: {reason}; pass a picture (PNG, JPEG, ...) or a "
                        "folder of them")
    seen: dict[str, int] = {}
    out = []
    for info, (_, name) in zip(scan.good, named, strict=True):
        seen[name] = seen.get(name, 0) + 1
        out.append((info, name if seen[name] == 1 else f"{name}-{seen[name]}"))
    return out


def require_usable(scan: ImageScan, path) -> None:
    listing.require_usable(scan.good, scan.bad, path, IMAGE_EXTENSIONS, "image")


def describe_scan(scan: ImageScan, notes=()) -> str:
    """The human report behind `keras_avgan data check`; `notes` (e.g. the labels found)
    come before the list of skipped files, which can be long."""
    total = len(scan.good) + len(scan.bad)
    lines = [f"{total} image files: {len(scan.good)} usable, {len(scan.bad)} skipped"]
    if scan.good:
        widths = np.array([f.width for f in scan.good])
        heights = np.array([f.height for f in scan.good])
        sides = np.minimum(widths, heights)
        fast = sum(f.in_graph for f in scan.good)
        lines += [
            f"sizes (WxH): min {widths.min()}x{heights.min()}, "
            f"mean {widths.mean():.0f}x{heights.mean():.0f}, max {widths.max()}x{heights.max()}",
            f"shorter side (the centre crop's size): min {sides.min()}, "
            f"mean {sides.mean():.0f}, max {sides.max()}",
            f"modes: {_counts(f.mode for f in scan.good)}",
            f"formats (by content): {_counts(f.format for f in scan.good)}",
            f"decoded in-graph (tf.io decoders): {fast}; through Pillow (TIFF, animated "
            f"WebP, alpha, EXIF rotation, palette BMP): {len(scan.good) - fast}",
        ]
        misnamed = [f for f in scan.good if _misnamed(f)]
        if misnamed:
            lines.append(f"content differs from the extension: {len(misnamed)} (read by "
                         f"content), e.g. {misnamed[0].path} is {misnamed[0].format}")
    lines += [note for note in notes if note]
    for path, reason in scan.bad:
        lines.append(f"skipped {path}: {reason}")
    return "\n".join(lines)


def _misnamed(info: ImageFileInfo) -> bool:
    expected = _EXTENSION_FORMATS.get(os.path.splitext(info.path)[1].lower())
    return expected is not None and expected != {"MPO": "JPEG"}.get(info.format, info.format)


def _counts(values) -> str:
    tally = {}
    for value in values:
        tally[value] = tally.get(value, 0) + 1
    return ", ".join(f"{key} x{count}" for key, count in sorted(tally.items(), key=str))
