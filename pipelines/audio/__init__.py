"""Audio on disk to tf.data: finding and checking files (`scan`), slicing them (`dataset`).

`dataset` (TensorFlow) is imported on first use of one of its names, so that reading files
through `pipelines.audio.scan` works where TensorFlow is not loaded (`keras_avgan request`).
"""

import importlib

from pipelines.audio.scan import (
    AUDIO_EXTENSIONS,
    AudioFileInfo,
    AudioScan,
    check_audio_files,
    check_recipe_fit,
    decode_file,
    describe_scan,
    list_audio_files,
    read_labels,
    require_usable,
    resampled_frames,
    scan_audio,
)

__all__ = [
    "AUDIO_EXTENSIONS", "PEAK_FLOOR", "SLICE_MODES", "AudioFileInfo", "AudioScan", "all_slices",
    "audio_dataset", "check_audio_files", "check_recipe_fit", "decode_file", "describe_scan",
    "eval_clips", "first_slice", "list_audio_files", "pad_to", "peak_normalize", "random_slice",
    "read_labels", "require_usable", "resampled_frames", "scan_audio", "to_mono",
]

_FROM_DATASET = {"PEAK_FLOOR", "SLICE_MODES", "all_slices", "audio_dataset", "eval_clips",
                 "first_slice", "pad_to", "peak_normalize", "random_slice", "to_mono"}


def __getattr__(name: str):
    if name in _FROM_DATASET:
        return getattr(importlib.import_module("pipelines.audio.dataset"), name)
    raise AttributeError(f"module 'pipelines.audio' has no attribute {name!r}")
