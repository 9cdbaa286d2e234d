"""Decoding images (both routes), colours and geometry, and the tf.data pipeline."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from odd_images import write_odd_images

from pipelines import images
from pipelines.errors import DataError

SIZE = 16
ROUTE_TOLERANCE = 0.02  # mean |difference| in [-1, 1] allowed between the two routes
# ... and at any pixel where in_graph is set: both use libjpeg's accurate IDCT and the same
# Lanczos weights, so only a 16-bit PNG's dropped low byte (up to 1/255) remains
ROUTE_MAX = 0.01
RED, GREEN, BLUE, BLACK = [1, -1, -1], [-1, 1, -1], [-1, -1, 1], [-1, -1, -1]


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """The usable oddities' ImageFileInfo, by name."""
    root = tmp_path_factory.mktemp("odd")
    write_odd_images(root)
    return {Path(f.path).relative_to(root).as_posix(): f
            for f in images.scan_images(str(root)).good}


@pytest.fixture(scope="module")
def decoded(good):
    return {name: images.load_image(info.path, SIZE) for name, info in good.items()}


def _graph(path):
    return images.decode_in_graph(tf.constant(path), SIZE).numpy()


def _corners(image):
    """Top-left, top-right, bottom-left, bottom-right pixels, clear of quadrant borders."""
    return np.stack([image[1, 1], image[1, -2], image[-2, 1], image[-2, -2]])


def test_every_good_file_decodes_to_a_square_in_range(decoded):
    assert len(decoded) == 18
    for name, image in decoded.items():
        assert image.shape == (SIZE, SIZE, 3) and image.dtype == np.float32, name
        assert image.min() >= -1.0 and image.max() <= 1.0, name


def test_routes_agree_where_in_graph_and_tf_is_wrong_elsewhere(good, decoded):
    """The in_graph flag is what decoding both ways shows: where it is set, the routes agree;
    where it is not, TF fails or gives other pixels (alpha dropped, EXIF ignored, ...)."""
    for name, info in good.items():
        if info.in_graph:
            diff = np.abs(_graph(info.path) - decoded[name])
            assert diff.mean() < ROUTE_TOLERANCE and diff.max() < ROUTE_MAX, (name, diff.max())
        else:
            try:
                differs = np.abs(_graph(info.path) - decoded[name]).mean() > 0.1
            except tf.errors.InvalidArgumentError:  # TIFF: decode_image cannot read it
                differs = True
            assert differs, name


def test_colours_come_out_right(decoded):
    np.testing.assert_allclose(decoded["cmyk.jpg"], np.broadcast_to(RED, (SIZE, SIZE, 3)),
                               atol=0.02)
    quadrants = np.array([RED, GREEN, BLUE, [1, 1, -1]])
    for name in ("palette.png", "palette.bmp", "image.bmp", "image.tiff", "image.webp"):
        np.testing.assert_allclose(_corners(decoded[name]), quadrants, atol=1e-3, err_msg=name)
    # transparent entry (white underneath) composites to black
    np.testing.assert_allclose(_corners(decoded["palette_alpha.png"]),
                               [RED, GREEN, BLUE, BLACK], atol=1e-3)
    half = 128 / 255 * 2 - 1  # alpha 128 of 255 over black
    np.testing.assert_allclose(_corners(decoded["rgba.png"]),
                               [[half, -1, -1], [-1, half, -1], [-1, -1, half],
                                [half, half, -1]], atol=1e-3)
    la = decoded["sub/la.png"]
    assert np.all(la[:4] == -1.0) and la[-4:].mean() > -0.5  # transparent top half is black


def test_animated_gif_gives_its_first_frame(decoded):
    gif = decoded["animated.gif"]  # 24 px frames, right third transparent
    np.testing.assert_allclose(gif[:, :8], np.broadcast_to(RED, (SIZE, 8, 3)), atol=1e-3)
    np.testing.assert_allclose(gif[:, -3:], np.broadcast_to(BLACK, (SIZE, 3, 3)), atol=1e-3)


def test_exif_orientation_is_applied(decoded):
    rotated = decoded["rotated.jpg"]  # stored with the red half left, shown with it on top
    np.testing.assert_allclose(rotated[2, 2:-2], np.broadcast_to(RED, (SIZE - 4, 3)), atol=0.1)
    np.testing.assert_allclose(rotated[-3, 2:-2], np.broadcast_to(GREEN, (SIZE - 4, 3)),
                               atol=0.1)


def test_centre_crop_keeps_the_centre(decoded):
    # Green centre square; red and blue ends beyond it that a centre crop must drop
    np.testing.assert_allclose(decoded["portrait.png"], np.broadcast_to(GREEN, (SIZE, SIZE, 3)),
                               atol=1e-4)
    middle = decoded["landscape.jpg"][:, 3:-3]  # JPEG chroma bleeds a little at the cuts
    np.testing.assert_allclose(middle, np.broadcast_to(GREEN, middle.shape), atol=0.1)
    x = tf.reshape(tf.range(5 * 3), [5, 3, 1])
    assert images.centre_crop(x)[..., 0].numpy().tolist() == [[3, 4, 5], [6, 7, 8],
                                                              [9, 10, 11]]
    assert images.centre_crop(tf.zeros([2, 7, 3])).shape == (2, 2, 3)


def _batches(ds, count):
    return [tuple(np.asarray(x) for x in (b if isinstance(b, tuple) else (b,)))
            for b in ds.take(count)]


def test_dataset_matches_load_image_file_by_file(good, decoded):
    files = list(good.values())
    ds = images.image_dataset(files, size=SIZE, batch_size=1, seed=0, shuffle=False,
                              repeat=False)
    batches = [np.asarray(b) for b in ds]
    assert len(batches) == len(files)
    for name, batch in zip(good, batches, strict=True):
        assert batch.shape == (1, SIZE, SIZE, 3) and batch.dtype == np.float32
        assert np.abs(batch[0] - decoded[name]).mean() < ROUTE_TOLERANCE, name
    evaluated = images.eval_images(files, SIZE)
    np.testing.assert_array_equal(evaluated, np.stack([decoded[n] for n in good]))


def test_labels_stay_with_their_images_when_shuffled(good):
    files = list(good.values())
    evaluated = images.eval_images(files, SIZE)
    ds = images.image_dataset(files, size=SIZE, batch_size=5, seed=3,
                              labels=list(range(len(files))))
    (batch, ids), = _batches(ds, 1)
    assert batch.shape == (5, SIZE, SIZE, 3) and ids.dtype == np.int32
    assert ids.tolist() != sorted(ids.tolist())  # shuffled
    for image, index in zip(batch, ids, strict=True):
        assert np.abs(image - evaluated[index]).mean() < ROUTE_TOLERANCE


def test_dataset_is_deterministic_for_a_seed(good):
    files = list(good.values())

    def first(seed):
        ds = images.image_dataset(files, size=SIZE, batch_size=4, seed=seed)
        return np.concatenate([b[0] for b in _batches(ds, 6)])  # more than one epoch

    once = first(5)
    assert once.shape == (24, SIZE, SIZE, 3)
    np.testing.assert_array_equal(once, first(5))
    assert not np.array_equal(once, first(6))


def test_iterator_checkpoint_restores_the_exact_next_batch(tmp_path, good):
    ds = images.image_dataset(list(good.values()), size=SIZE, batch_size=4, seed=1)
    iterator = iter(ds)
    for _ in range(3):
        next(iterator)
    checkpoint = tf.train.Checkpoint(data=iterator)
    saved = checkpoint.save(str(tmp_path / "ckpt"))
    expected = [next(iterator).numpy() for _ in range(4)]  # crosses an epoch boundary
    checkpoint.restore(saved)
    for batch in expected:
        np.testing.assert_array_equal(next(iterator).numpy(), batch)


def test_single_route_datasets(good):
    """A folder all in-graph (or all Pillow) builds without the other route."""
    for in_graph in (True, False):
        files = [f for f in good.values() if f.in_graph == in_graph]
        ds = images.image_dataset(files, size=8, batch_size=len(files), seed=0,
                                  shuffle=False, repeat=False)
        (batch,), = _batches(ds, 1)
        assert batch.shape == (len(files), 8, 8, 3)
        diff = np.abs(batch - images.eval_images(files, 8)).mean(axis=(1, 2, 3))
        assert diff.max() < ROUTE_TOLERANCE


def test_dataset_rejects_what_it_cannot_build(good):
    files = list(good.values())
    with pytest.raises(DataError, match="no usable image files"):
        images.image_dataset([], size=SIZE, batch_size=1, seed=0)
    with pytest.raises(DataError, match="size=0"):
        images.image_dataset(files, size=0, batch_size=1, seed=0)
    with pytest.raises(DataError, match="2 ids for 18 files"):
        images.image_dataset(files, size=SIZE, batch_size=1, seed=0, labels=[0, 1])


def test_pictures_decoded_once_stream_what_their_files_give(good):
    """Held decoded in memory (a small folder, both routes) or decoded every epoch (a budget
    of 0 bytes): the same batches and labels, over more than one epoch."""
    files = list(good.values())

    def stream(**held):
        ds = images.image_dataset(files, size=SIZE, batch_size=3, seed=2,
                                  labels=list(range(len(files))), **held)
        return _batches(ds, 2 * len(files) // 3 + 1)

    for (got, got_ids), (want, want_ids) in zip(stream(), stream(decoded_bytes_max=0),
                                                strict=True):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got_ids, want_ids)
