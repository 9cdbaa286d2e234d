"""NSynth TFRecord files: every record's labels read in the graph, and the audio of the
notes kept as a tf.data stream.

The labels of SCAN_BATCH records are parsed at once (`tf.io.parse_example`, ragged so that
a missing or wrong-length feature is seen, not defaulted); only their lengths and a
finiteness flag leave the graph for the audio. When a batch fails, its records are read
again one at a time to name the one at fault.
"""

import re

import tensorflow as tf

from pipelines.audio.nsynth.notes import FIX, check_audio, note_from_fields
from pipelines.audio.nsynth.schema import BYTES_FEATURES, INT_FEATURES, NOTE_SAMPLES
from pipelines.audio.nsynth.sources import compression
from pipelines.errors import DataError

SCAN_BATCH = 64  # records: 16 MB of audio in flight


def _spec() -> dict:
    ragged = {name: tf.io.RaggedFeature(tf.int64, row_splits_dtype=tf.int64)
              for name in INT_FEATURES}
    ragged.update({name: tf.io.RaggedFeature(tf.string, row_splits_dtype=tf.int64)
                   for name in BYTES_FEATURES})
    ragged["audio"] = tf.io.RaggedFeature(tf.float32, row_splits_dtype=tf.int64)
    return ragged


def _parse_labels(serialized):
    """[n] serialized Examples -> (ragged label features, audio lengths, audio finite)."""
    parsed = tf.io.parse_example(serialized, _spec())
    audio = parsed.pop("audio")
    return parsed, audio.row_lengths(), tf.reduce_all(tf.math.is_finite(audio), axis=1)


def _records(path):
    return tf.data.TFRecordDataset(str(path), compression_type=compression(path))


def _rows(parsed) -> list[dict]:
    """Ragged features of a batch -> one dict per record of plain lists (text decoded)."""
    columns = {name: values.to_list() for name, values in parsed.items()}
    count = len(next(iter(columns.values())))
    rows = [{} for _ in range(count)]
    for name, values in columns.items():
        text = name in BYTES_FEATURES
        for row, value in zip(rows, values, strict=True):
            row[name] = [v.decode("utf-8", "replace") for v in value] if text else value
    return rows


def iter_record_notes(path):
    """The checked NSynthNote of every record of one file, in file order."""
    batches = _records(path).batch(SCAN_BATCH).map(_parse_labels,
                                                   num_parallel_calls=tf.data.AUTOTUNE)
    batches, start = iter(batches), 0
    while True:
        try:
            parsed, lengths, finite = next(batches)
        except StopIteration:
            return
        except tf.errors.OpError as err:
            raise _locate(path, start, err) from None
        for offset, (fields, samples, ok) in enumerate(
                zip(_rows(parsed), lengths.numpy(), finite.numpy(), strict=True)):
            where = f"{path}, record {start + offset}"
            note = note_from_fields(fields, where)
            check_audio(int(samples), bool(ok), where)
            yield note
        start += len(lengths)


def _locate(path, start: int, batch_error) -> DataError:
    """The error naming the first record at or after `start` that cannot be read or parsed."""
    records, index = iter(_records(path).skip(start)), start
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except tf.errors.OpError as err:
            return DataError(f"{path}, record {index}: cannot be read ({tf_message(err)}): "
                             f"the file is cut short or is not a TFRecord file; {FIX}")
        try:
            _parse_labels(tf.reshape(record, [1]))
        except tf.errors.OpError as err:
            return DataError(f"{path}, record {index}: not an NSynth tf.train.Example "
                             f"({tf_message(err)}); {FIX}")
        index += 1
    return DataError(f"{path}: cannot be read ({tf_message(batch_error)}); {FIX}")


def tf_message(err: tf.errors.OpError) -> str:
    """TensorFlow's own words without the op and function names it wraps them in."""
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", err.message)
    text = re.sub(r"\s*\[Op:[^\]]*\]", "", text)
    # the parser's own position in its batch, and the reader's file details, mislead here
    text = re.sub(r", Index: \d+\.", ":", text)
    text = re.sub(r"Name: <unknown>, |' failed with .*| name:.*", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:200] if text else type(err).__name__


def audio_stream(files, kept_mask, samples: int) -> tf.data.Dataset:
    """float32 [samples] of each kept record, in file order; `kept_mask` has one flag per
    record of `files` in turn (as a scan found them, so every record parses)."""
    ds = tf.data.Dataset.from_tensor_slices(([str(f) for f in files],
                                             [compression(f) for f in files]))
    ds = ds.flat_map(lambda file, kind: tf.data.TFRecordDataset(file, compression_type=kind))
    mask = tf.constant(kept_mask, tf.bool)
    ds = ds.enumerate().filter(lambda index, record: tf.gather(mask, index))
    spec = {"audio": tf.io.FixedLenFeature([NOTE_SAMPLES], tf.float32)}

    def audio(index, record):
        return tf.io.parse_single_example(record, spec)["audio"][:samples]
    return ds.map(audio, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
