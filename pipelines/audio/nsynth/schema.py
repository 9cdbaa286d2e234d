"""NSynth's schema: its name tables, and one note written as NSynth writes it.

The tables give the names behind the integer fields of records that carry only the index
(the `*_str` twins of full records are preferred when present). instrument_source 0 is
acoustic: some published GANSynth code took 1 for acoustic, which is electronic.
"""

import numpy as np

RATE = 16000
NOTE_SAMPLES = 64000  # four seconds: every NSynth note, held three seconds, then released
SOURCES = ("acoustic", "electronic", "synthetic")
FAMILIES = ("bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed",
            "string", "synth_lead", "vocal")
QUALITIES = ("bright", "dark", "distortion", "fast_decay", "long_release", "multiphonic",
             "nonlinear_env", "percussive", "reverb", "tempo-synced")

# Every feature a full record has, with its tf.train.Feature list kind.
INT_FEATURES = ("note", "pitch", "velocity", "instrument", "instrument_source",
                "instrument_family", "sample_rate", "qualities")
BYTES_FEATURES = ("note_str", "instrument_str", "instrument_source_str",
                  "instrument_family_str", "qualities_str")
FLOAT_FEATURES = ("audio",)


def note_str(family: str, source: str, instrument_number: int, pitch: int, velocity: int):
    """NSynth's note name, e.g. `bass_electronic_018-047-075` (instrument, pitch, velocity)."""
    return f"{instrument_str(family, source, instrument_number)}-{pitch:03d}-{velocity:03d}"


def instrument_str(family: str, source: str, instrument_number: int) -> str:
    return f"{family}_{source}_{instrument_number:03d}"


def note_fields(*, note: int, instrument: int, instrument_number: int, pitch: int,
                velocity: int, family: str, source: str, qualities=()) -> dict:
    """Every field of a full record but the audio, as plain Python values (lists for the
    list features): what examples.json holds for a note, and what `note_example` writes."""
    flags = [int(name in qualities) for name in QUALITIES]
    return {
        "note": note, "note_str": note_str(family, source, instrument_number, pitch, velocity),
        "instrument": instrument, "instrument_str": instrument_str(family, source,
                                                                   instrument_number),
        "pitch": pitch, "velocity": velocity, "sample_rate": RATE,
        "instrument_source": SOURCES.index(source), "instrument_source_str": source,
        "instrument_family": FAMILIES.index(family), "instrument_family_str": family,
        "qualities": flags, "qualities_str": [q for q in QUALITIES if q in qualities],
    }


def note_example(fields: dict, audio):
    """A serialized tf.train.Example of one note: `fields` as `note_fields` gives them and
    `audio` as given (callers pad or crop it to NOTE_SAMPLES, as NSynth's notes are)."""
    import tensorflow as tf  # only writers need it; the name tables stay light

    def as_list(value):
        return list(value) if isinstance(value, (list, tuple)) else [value]

    feature = {}
    for name, value in fields.items():
        if name in INT_FEATURES:
            feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=as_list(value)))
        elif name in BYTES_FEATURES:
            feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(
                value=[v.encode() for v in as_list(value)]))
    feature["audio"] = tf.train.Feature(float_list=tf.train.FloatList(
        value=np.asarray(audio, np.float32).ravel().tolist()))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()
