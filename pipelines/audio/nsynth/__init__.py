"""NSynth notes (16 kHz mono, 64000 samples each) as labelled clips for tf.data.

Reads a `.tfrecord` file (one tf.train.Example per note), a folder of them (sharded names
and `.gz` included), or a jsonwav folder (`examples.json` plus `audio/<note_str>.wav`).

    scan = scan_nsynth(path, NSynthFilter())      # every note read, checked and filtered
    ds, table, scan = nsynth_dataset(path)        # or nsynth_dataset(scan)
    for audio, labels in ds:                      # audio: float32 [8192]
        labels["pitch"], labels["instrument_family"], labels["velocity"]   # int32 ids
        labels["qualities"]                       # float32 [10] multi-hot, QUALITIES order
    table.classes["pitch"]                        # ('24', ..., '84'): the id -> value map
    table.values("instrument_family", ids)        # ['brass', ...]
    print(describe_nsynth(scan))                  # kept, dropped by filter, counts

- The filter (`NSynthFilter`, face-to-music's setting by default) keeps acoustic notes
  (instrument_source 0) at MIDI pitch 24-84 inclusive and cuts each to its first 8192
  samples; `scan.dropped` counts the notes each filter dropped (a note counts under the
  first it fails), `scan.kept` lists the NSynthNote kept, in the order they are stored.
- Labels: `pitch` (MIDI), `instrument_family` (its name: the `_str` field when the record
  has one, else the index's name), `velocity`, `qualities` (the names of those set). A
  table's classes are the values the kept notes have, as text in natural order.
- A record or entry that cannot be parsed, lacks a feature, or whose audio is not 64000
  finite samples at 16 kHz is a DataError naming the file and the record (or entry) index.
- The dataset is neither shuffled, repeated, batched nor normalised; TFRecords are parsed
  in the graph, jsonwav WAVs decoded as the other sounds are (16-bit PCM in the graph).

The names below are imported on first use, so that the schema and the file finding
(`schema`, `sources`) load without TensorFlow (the demo notes' builder needs only them).
"""

import importlib

_WHERE = {
    "dataset": ("nsynth_dataset",),
    "labels": ("LabelTable", "label_table"),
    "notes": ("NSynthFilter", "NSynthNote"),
    "reader": ("JSONWAV", "TFRECORD", "NSynthScan", "scan_nsynth"),
    "report": ("describe_nsynth",),
    "schema": ("FAMILIES", "NOTE_SAMPLES", "QUALITIES", "RATE", "SOURCES", "note_example",
               "note_fields"),
    "sources": ("looks_like_nsynth",),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name in _MODULE_OF:
        return getattr(importlib.import_module(f"pipelines.audio.nsynth.{_MODULE_OF[name]}"),
                       name)
    raise AttributeError(f"module 'pipelines.audio.nsynth' has no attribute {name!r}")
