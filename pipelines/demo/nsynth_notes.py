"""The demo notes written as NSynth writes its notes: one TFRecord file of full records.

The notes are those `data demo notes` writes as WAVs for the same seed. Each is zero-padded
from one second to NSynth's four (the demo notes have died away by 0.95 s, as NSynth's have
by the end of their fourth second), with every feature of a full record.
"""

from pathlib import Path

import numpy as np

from pipelines.audio.nsynth.schema import NOTE_SAMPLES, note_example, note_fields
from pipelines.demo import notes
from pipelines.demo.build import mark, staging

RECORD_FILE = "nsynth-demo.tfrecord"
SOURCE = "acoustic"  # instrument_source 0: what the NSynth filter keeps by default
# The demo's families were modelled on NSynth's and carry NSynth's own family names
# (string, mallet, reed, organ, brass), so each maps to itself (a test keeps it so).
FAMILY_NAMES = {family: family for family in notes.FAMILIES}
# Qualities the synthesis gives a family: struck bars die within a fifth of a second and
# plucked strings start with a click; the blown and drawn sounds are plain.
FAMILY_QUALITIES = {"mallet": ("fast_decay", "percussive"), "string": ("percussive",)}


def build_nsynth_notes(out_dir, seed=0, per_cell=15) -> Path:
    """`out_dir`/nsynth-demo.tfrecord: the demo notes as NSynth-schema records, 600 by
    default (154 MB: NSynth stores four seconds of float32 per note)."""
    import tensorflow as tf  # the other demos build without it

    count = 0
    with staging(out_dir) as tmp:
        with tf.io.TFRecordWriter(str(tmp / RECORD_FILE)) as writer:
            for family, n, pitch, velocity, note in notes.demo_notes(seed, per_cell):
                name = FAMILY_NAMES[family]
                # one "instrument" per note number within a family's cell: note_str is unique
                fields = note_fields(
                    note=count, instrument=notes.FAMILIES.index(family) * per_cell + n,
                    instrument_number=n, pitch=pitch, velocity=velocity, family=name,
                    source=SOURCE, qualities=FAMILY_QUALITIES.get(family, ()))
                writer.write(note_example(fields, _to_nsynth_length(note)))
                count += 1
        mark(tmp, "notes-nsynth", seed, count)
    return Path(out_dir)


def _to_nsynth_length(note: np.ndarray) -> np.ndarray:
    padded = np.zeros(NOTE_SAMPLES, np.float32)
    padded[:min(len(note), NOTE_SAMPLES)] = note[:NOTE_SAMPLES]
    return padded
