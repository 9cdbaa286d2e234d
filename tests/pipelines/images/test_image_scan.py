"""Image listing, scanning (formats by content, reasons for bad files) and the scan report."""

from pathlib import Path

import pytest
from odd_images import write_odd_images
from PIL import Image

from pipelines import images
from pipelines.errors import DataError

# name -> (format by content, Pillow mode, decoded in-graph)
EXPECTED = {
    "animated.gif": ("GIF", "P", True),
    "baseline.jpg": ("JPEG", "RGB", True),
    "cmyk.jpg": ("JPEG", "CMYK", True),
    "gray.jpg": ("JPEG", "L", True),
    "gray16.png": ("PNG", "I;16", True),
    "image.bmp": ("BMP", "RGB", True),
    "image.tiff": ("TIFF", "RGB", False),
    "image.webp": ("WEBP", "RGB", True),
    "landscape.jpg": ("JPEG", "RGB", True),
    "palette.bmp": ("BMP", "P", False),
    "palette.png": ("PNG", "P", True),
    "palette_alpha.png": ("PNG", "P", False),
    "portrait.png": ("PNG", "RGB", True),
    "progressive.jpg": ("JPEG", "RGB", True),
    "rgba.png": ("PNG", "RGBA", False),
    "rotated.jpg": ("JPEG", "RGB", False),
    "sub/jpeg_named.png": ("JPEG", "RGB", True),
    "sub/la.png": ("PNG", "LA", False),
}
REASONS = {  # bad file -> words its reason must contain
    "truncated.jpg": "truncated",
    "empty.png": "empty file",
    "notes.jpg": "not an image",
    "zero.png": "0x0",
    "bad_header.png": "broken PNG header",
}


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    root = tmp_path_factory.mktemp("odd")
    return root, write_odd_images(root)


@pytest.fixture(scope="module")
def scan(odd):
    return images.scan_images(str(odd[0]))


def _name(root: Path, path: str) -> str:
    return Path(path).relative_to(root).as_posix()


def test_listing_skips_hidden_and_other_extensions(odd):
    root, written = odd
    listed = [_name(root, p) for p in images.list_image_files(str(root))]
    assert listed == sorted(listed, key=lambda n: str(root / n))
    assert set(listed) == set(written["good"]) | set(written["bad"])
    assert ".hidden.png" not in listed and "readme.txt" not in listed


def test_scan_sorts_every_oddity_with_its_reason(odd, scan):
    root, written = odd
    assert set(EXPECTED) == set(written["good"]) and set(REASONS) == set(written["bad"])
    found = {_name(root, f.path): (f.format, f.mode, f.in_graph) for f in scan.good}
    assert found == EXPECTED
    reasons = {_name(root, path): why for path, why in scan.bad}
    assert set(reasons) == set(REASONS)
    for name, words in REASONS.items():
        assert words in reasons[name], (name, reasons[name])


def test_format_comes_from_content_not_extension(tmp_path):
    Image.new("RGB", (8, 6), (10, 20, 30)).save(tmp_path / "photo.png", format="JPEG")
    Image.new("RGB", (8, 6)).save(tmp_path / "scan.jpg", format="PNG")
    Image.new("RGB", (8, 6)).save(tmp_path / "tiff.gif", format="TIFF")
    scan = images.scan_images(str(tmp_path))
    formats = {Path(f.path).name: (f.format, f.width, f.height) for f in scan.good}
    assert formats == {"photo.png": ("JPEG", 8, 6), "scan.jpg": ("PNG", 8, 6),
                       "tiff.gif": ("TIFF", 8, 6)}
    assert {Path(f.path).name: f.in_graph for f in scan.good} == {
        "photo.png": True, "scan.jpg": True, "tiff.gif": False}
    assert "content differs from the extension: 3" in images.describe_scan(scan)


def test_sizes_are_as_shown(odd, scan):
    sizes = {_name(odd[0], f.path): (f.width, f.height) for f in scan.good}
    assert sizes["portrait.png"] == (24, 40) and sizes["landscape.jpg"] == (48, 16)
    assert sizes["rotated.jpg"] == (32, 48)  # stored 48x32, EXIF turns it upright


def test_describe_scan_reports_counts_sizes_modes_formats_and_bad_files(odd, scan):
    report = images.describe_scan(scan)
    assert report.splitlines()[0] == "23 image files: 18 usable, 5 skipped"
    assert "sizes (WxH): min 24x16" in report and "max 48x48" in report
    assert "shorter side (the centre crop's size): min 16" in report
    assert "modes: CMYK x1, I;16 x1, L x1, LA x1, P x4, RGB x9, RGBA x1" in report
    assert "formats (by content): BMP x2, GIF x1, JPEG x7, PNG x6, TIFF x1, WEBP x1" in report
    assert "decoded in-graph (tf.io decoders): 12; through Pillow (" in report
    assert "EXIF rotation, palette BMP): 6" in report
    for path, reason in scan.bad:
        assert f"skipped {path}: {reason}" in report


def test_require_usable_names_the_folder_and_what_to_do(tmp_path, odd):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.jpg").write_text("text")
    (bad / "b.png").write_bytes(b"")
    with pytest.raises(DataError, match=f"no usable image file under {bad}.*a.jpg: not an "
                                        "image.*b.png: empty file"):
        images.require_usable(images.scan_images(str(bad)), str(bad))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=rf"{empty}: no image files found \(.png .jpg"):
        images.require_usable(images.scan_images(str(empty)), str(empty))
    with pytest.raises(DataError, match="no such file or folder.*image files"):
        images.scan_images(str(tmp_path / "missing"))
    images.require_usable(images.scan_images(str(odd[0])), str(odd[0]))  # has usable files


def test_labels_from_labels_csv_from_folders_and_csv_listing(tmp_path, odd):
    root = odd[0]
    rows = images.read_labels(str(root))
    assert len(rows) == 18
    assert rows[str((root / "animated.gif").resolve())]["label"] == "gif"
    la = rows[str((root / "sub" / "la.png").resolve())]
    assert la["label"] == "still" and la["folder"] == "sub"
    for kind in ("cats", "dogs"):
        (tmp_path / "pets" / kind).mkdir(parents=True)
        Image.new("RGB", (4, 4)).save(tmp_path / "pets" / kind / f"{kind}.png")
    pets = images.read_labels(str(tmp_path / "pets"))
    assert {Path(p).name: row["label"] for p, row in pets.items()} == {
        "cats.png": "cats", "dogs.png": "dogs"}
    listing = tmp_path / "pets" / "some.csv"
    listing.write_text(f"path,split\ncats/cats.png,train\n{root / 'image.bmp'},test\n")
    assert images.list_image_files(str(listing)) == [
        str(tmp_path / "pets" / "cats" / "cats.png"), str(root / "image.bmp")]
    assert images.read_labels(str(listing))[str((root / "image.bmp").resolve())][
        "split"] == "test"
    scan = images.scan_images(str(listing))
    assert [f.format for f in scan.good] == ["PNG", "BMP"] and not scan.bad
