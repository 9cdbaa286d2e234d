"""Images on disk to tf.data: finding and checking files (`scan`), decoding them to squares
(`dataset`)."""

from pipelines.images.dataset import (
    RESIZE_METHOD,
    centre_crop,
    decode_in_graph,
    eval_images,
    fit_square,
    image_dataset,
    load_image,
)
from pipelines.images.scan import (
    IMAGE_EXTENSIONS,
    ImageFileInfo,
    ImageScan,
    describe_scan,
    list_image_files,
    read_labels,
    require_usable,
    scan_images,
)

__all__ = [
    "IMAGE_EXTENSIONS", "RESIZE_METHOD", "ImageFileInfo", "ImageScan", "centre_crop",
    "decode_in_graph", "describe_scan", "eval_images", "fit_square", "image_dataset",
    "list_image_files", "load_image", "read_labels", "require_usable", "scan_images",
]
