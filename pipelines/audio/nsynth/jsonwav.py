"""NSynth's jsonwav layout: examples.json (note_str -> its fields) and audio/<note_str>.wav.

The labels come from examples.json alone; only the WAVs of the notes kept are opened (to
check them, and later to decode them: 16-bit PCM in the graph, as the other sounds are).
"""

import json
from dataclasses import replace
from pathlib import Path

import tensorflow as tf

from pipelines.audio.dataset import clip_decoder
from pipelines.audio.nsynth.notes import FIX, note_from_fields
from pipelines.audio.nsynth.schema import NOTE_SAMPLES, RATE
from pipelines.audio.nsynth.sources import AUDIO_FOLDER
from pipelines.audio.scan import check_audio_files
from pipelines.errors import DataError


def _entries(examples: Path) -> dict:
    try:
        entries = json.loads(examples.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise DataError(f"{examples}: cannot be read as JSON ({err}); {FIX}") from None
    if not isinstance(entries, dict):
        raise DataError(f"{examples}: holds a {type(entries).__name__}, not NSynth's object "
                        f"of note_str -> fields; {FIX}")
    return entries


def iter_jsonwav_notes(examples: Path):
    """The checked NSynthNote of every entry of examples.json, in the file's order; each
    note's `where` is its WAV, which is not opened here."""
    for index, (key, entry) in enumerate(_entries(examples).items()):
        where = f"{examples}, entry {index} ({key})"
        if not isinstance(entry, dict):
            raise DataError(f"{where}: a {type(entry).__name__}, not an object of fields; {FIX}")
        fields = {name: value if isinstance(value, list) else [value]
                  for name, value in entry.items()}
        fields.setdefault("note_str", [key])
        note = note_from_fields(fields, where)
        wav = examples.parent / AUDIO_FOLDER / f"{note.note_str}.wav"
        yield replace(note, where=str(wav))


def check_wavs(notes):
    """AudioFileInfo of each note's WAV, in order; a missing, unreadable, or not 64000-sample
    16 kHz WAV is an error naming it."""
    paths = [note.where for note in notes]
    scan = check_audio_files(paths, sample_rate=RATE)
    if scan.bad:
        path, reason = scan.bad[0]
        raise DataError(f"{path}: {reason}; {len(scan.bad)} of the {len(paths)} WAVs of the "
                        f"notes kept cannot be used; {FIX}")
    for info in scan.good:
        if info.sample_rate != RATE or info.frames != NOTE_SAMPLES:
            raise DataError(f"{info.path}: {info.frames} samples at {info.sample_rate} Hz; "
                            f"NSynth notes have {NOTE_SAMPLES} at {RATE} Hz; {FIX}")
    return scan.good


def audio_stream(wavs, samples: int) -> tf.data.Dataset:
    """float32 [samples] of each WAV (AudioFileInfo, as `check_wavs` gives them), in order."""
    fast = [bool(info.in_graph) for info in wavs]
    decode = clip_decoder(RATE, any(fast), not all(fast))
    ds = tf.data.Dataset.from_tensor_slices(([w.path for w in wavs], fast))
    return ds.map(lambda path, in_graph: decode(path, in_graph)[:samples, 0],
                  num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
