"""Images on disk to tf.data: finding and checking files (`scan`), decoding them to squares
(`pillow`, and `dataset` for tf.data).

`dataset` (TensorFlow) is imported on first use of one of its names, so that reading
pictures through `scan` and `pillow` works where TensorFlow is not loaded (`keras_avgan
request --face`).
"""

import importlib

from pipelines.images.pillow import load_image
from pipelines.images.scan import (
    IMAGE_EXTENSIONS,
    ImageFileInfo,
    ImageScan,
    check_image_files,
    describe_scan,
    list_image_files,
    named_images,
    read_labels,
    require_usable,
    scan_images,
)

__all__ = [
    "IMAGE_EXTENSIONS", "RESIZE_METHOD", "ImageFileInfo", "ImageScan", "centre_crop",
    "check_image_files", "decode_in_graph", "describe_scan", "eval_images", "fit_square",
    "image_dataset", "list_image_files", "load_image", "named_images", "read_labels",
    "require_usable", "scan_images",
]

_FROM_DATASET = {"RESIZE_METHOD", "centre_crop", "decode_in_graph", "eval_images", "fit_square",
                 "image_dataset"}


def __getattr__(name: str):
    if name in _FROM_DATASET:
        return getattr(importlib.import_module("pipelines.images.dataset"), name)
    raise AttributeError(f"module 'pipelines.images' has no attribute {name!r}")
