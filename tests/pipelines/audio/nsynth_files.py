"""Small NSynth files for tests: records built feature by feature with tf.train.Example
(not with the package's own writer), and jsonwav folders written with soundfile."""

import json

import numpy as np
import soundfile
import tensorflow as tf

NOTE_SAMPLES = 64000
FAMILIES = ("bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed",
            "string", "synth_lead", "vocal")
SOURCES = ("acoustic", "electronic", "synthetic")
QUALITIES = ("bright", "dark", "distortion", "fast_decay", "long_release", "multiphonic",
             "nonlinear_env", "percussive", "reverb", "tempo-synced")

# (pitch, velocity, source, family, qualities): what each filter keeps or drops
NOTES = (
    (24, 100, "acoustic", "brass", ("bright",)),  # lowest pitch kept
    (60, 50, "acoustic", "flute", ()),
    (84, 127, "acoustic", "mallet", ("fast_decay", "percussive")),  # highest pitch kept
    (60, 75, "electronic", "bass", ()),  # dropped: source
    (60, 75, "synthetic", "synth_lead", ("distortion",)),  # dropped: source
    (23, 25, "acoustic", "string", ()),  # dropped: pitch
    (85, 25, "acoustic", "reed", ()),  # dropped: pitch
    (70, 100, "acoustic", "organ", ("reverb",)),
)
KEPT = [n for n in NOTES if n[2] == "acoustic" and 24 <= n[0] <= 84]


def note_audio(index: int, length: int = NOTE_SAMPLES) -> np.ndarray:
    """A distinct, 16-bit-exact waveform per note (so WAV and TFRecord hold the same)."""
    t = np.arange(length)
    wave = 0.5 * np.sin(2 * np.pi * (110 + 40 * index) * t / 16000) * np.exp(-t / 20000)
    return (np.round(wave * 32767) / 32768).astype(np.float32)


def name_of(index, pitch, velocity, source, family) -> str:
    return f"{family}_{source}_{index:03d}-{pitch:03d}-{velocity:03d}"


def _ints(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def _texts(values):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[v.encode() for v in values]))


def features(index, note, *, full=True, audio=None) -> dict:
    """tf.train.Feature of every field of an NSynth record (full: with the `_str` twins)."""
    pitch, velocity, source, family, qualities = note
    flags = [int(q in qualities) for q in QUALITIES]
    out = {
        "audio": tf.train.Feature(float_list=tf.train.FloatList(
            value=(note_audio(index) if audio is None else audio).tolist())),
        "pitch": _ints([pitch]), "velocity": _ints([velocity]),
        "instrument_source": _ints([SOURCES.index(source)]),
        "instrument_family": _ints([FAMILIES.index(family)]),
        "qualities": _ints(flags),
        "note_str": _texts([name_of(index, pitch, velocity, source, family)]),
    }
    if full:
        out.update({
            "note": _ints([index]), "instrument": _ints([index]), "sample_rate": _ints([16000]),
            "instrument_str": _texts([f"{family}_{source}_{index:03d}"]),
            "instrument_source_str": _texts([source]),
            "instrument_family_str": _texts([family]),
            "qualities_str": _texts([q for q in QUALITIES if q in qualities]),
        })
    return out


def serialize(feature: dict) -> bytes:
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_records(path, records, options=None):
    """`records`: serialized Examples (or any bytes, to test what is not one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path), options) as writer:
        for record in records:
            writer.write(record)
    return path


def nsynth_records(path, notes=NOTES, full=True):
    return write_records(path, [serialize(features(i, n, full=full))
                                for i, n in enumerate(notes)])


def write_jsonwav(root, notes=NOTES, lengths=None):
    """examples.json and audio/<note_str>.wav (PCM-16) for `notes`; `lengths` overrides the
    number of samples of some notes' WAVs (index -> samples)."""
    (root / "audio").mkdir(parents=True, exist_ok=True)
    entries = {}
    for i, (pitch, velocity, source, family, qualities) in enumerate(notes):
        name = name_of(i, pitch, velocity, source, family)
        flags = [int(q in qualities) for q in QUALITIES]
        entries[name] = {
            "note": i, "note_str": name, "pitch": pitch, "velocity": velocity,
            "sample_rate": 16000, "instrument": i,
            "instrument_str": f"{family}_{source}_{i:03d}",
            "instrument_source": SOURCES.index(source), "instrument_source_str": source,
            "instrument_family": FAMILIES.index(family), "instrument_family_str": family,
            "qualities": flags, "qualities_str": [q for q in QUALITIES if q in qualities],
        }
        length = (lengths or {}).get(i, NOTE_SAMPLES)
        soundfile.write(str(root / "audio" / f"{name}.wav"), note_audio(i, length), 16000,
                        subtype="PCM_16")
    (root / "examples.json").write_text(json.dumps(entries, indent=2))
    return root
