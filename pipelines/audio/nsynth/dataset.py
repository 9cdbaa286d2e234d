"""The notes a scan kept as a tf.data.Dataset of (audio [samples] float32, labels dict)."""

import tensorflow as tf

from pipelines.audio.nsynth import jsonwav, tfrecord
from pipelines.audio.nsynth.labels import LabelTable, label_arrays, label_table
from pipelines.audio.nsynth.reader import TFRECORD, NSynthScan, scan_nsynth
from pipelines.errors import DataError


def nsynth_dataset(source, filters=None) -> tuple[tf.data.Dataset, LabelTable, NSynthScan]:
    """(dataset, label table, scan) of the notes kept, in the order they are stored.

    `source` is a path (scanned with `filters`, NSynthFilter's defaults when None) or an
    NSynthScan already made. Elements are (float32 [filters.samples], {"pitch",
    "instrument_family", "velocity": int32 ids into table.classes[column], "qualities":
    float32 [10] multi-hot}); neither shuffled, repeated nor batched: the caller decides.
    The audio is NSynth's own, neither normalised nor resampled.
    """
    scan = source if isinstance(source, NSynthScan) else scan_nsynth(source, filters)
    if not scan.kept:
        raise DataError(f"{scan.path}: none of its {scan.total} notes passes the filters "
                        f"({', '.join(scan.filters.reasons.values())}); widen them")
    samples = scan.filters.samples
    if scan.format == TFRECORD:
        audio = tfrecord.audio_stream(scan.files, scan.kept_mask, samples)
    else:
        audio = jsonwav.audio_stream(scan.wavs, samples)
    table = label_table(scan.kept)
    labels = {name: tf.constant(values) for name, values in label_arrays(scan.kept,
                                                                          table).items()}

    # The k-th audio of the stream is the k-th kept note: both keep the scan's order.
    def with_labels(index, clip):
        clip = tf.ensure_shape(clip, [samples])
        return clip, {name: tf.gather(values, index) for name, values in labels.items()}
    return audio.enumerate().map(with_labels), table, scan
