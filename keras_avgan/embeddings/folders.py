"""The embeddings' training data read from folders by the project's readers: faces with an
identity label (the demo faces, or any image folder with labels), and notes with an
instrument family (a sound folder with labels, or NSynth)."""

from pathlib import Path

import numpy as np

from keras_avgan.errors import UserError
from pipelines import audio, images
from pipelines.labels import natural_key

NOTE_RATE = 16000
NOTE_SAMPLES = 8192  # the first 0.512 s of a note, as NSynth's filter cuts them


def _ids(root: Path, files, rows, column: str, kind: str):
    """(ids [N], class names, files kept): the files labelled in `column`."""
    kept, values = [], []
    for info in files:
        row = rows.get(str(Path(info.path).resolve()), rows.get(info.path))
        if row is not None and row.get(column, ""):
            kept.append(info)
            values.append(row[column])
    names = sorted(set(values), key=natural_key)
    if len(names) < 2:
        have = sorted({c for row in rows.values() for c in row if c != "path"})
        raise UserError(f"{root}: the embeddings need {kind} labelled by '{column}' with at "
                        f"least two classes; found {len(names)} (label columns: "
                        f"{', '.join(have) or 'none'}); pass column=...")
    return np.array([names.index(v) for v in values], np.int32), names, kept


def faces_from_folder(path, column: str = "identity", size: int = 64):
    """(images float32 [N, size, size, 3] in [-1, 1], ids int32 [N], identity names) from
    an image folder (or CSV) whose labels.csv (or parent folders: column='label') name
    each face's identity, as `keras_avgan data demo faces` writes it."""
    root = Path(path).expanduser()
    scan = images.scan_images(root)
    images.require_usable(scan, root)
    ids, names, files = _ids(root, scan.good, images.read_labels(root), column, "faces")
    return images.eval_images(files, size), ids, names


def notes_from_folder(path, column: str | None = None, normalize: bool = True):
    """(audio float32 [N, 8192] in [-1, 1], ids int32 [N], family names): the first 8192
    samples at 16 kHz of each note, peak-normalised unless normalize=False.

    NSynth (TFRecords or jsonwav, through its reader and default filter) is labelled by
    `instrument_family`; a sound folder (the demo notes) by its labels' `family` column.
    """
    from pipelines.audio.nsynth import NSynthFilter, looks_like_nsynth, nsynth_dataset

    root = Path(path).expanduser()
    if looks_like_nsynth(root):
        column = column or "instrument_family"
        dataset, table, _ = nsynth_dataset(root, NSynthFilter(samples=NOTE_SAMPLES))
        clips, ids = [], []
        for clip, labels in dataset.as_numpy_iterator():
            clips.append(clip)
            ids.append(labels[column])
        clips = np.stack(clips)
        if normalize:
            clips = clips / np.maximum(np.abs(clips).max(axis=1, keepdims=True),
                                       audio.PEAK_FLOOR)
        return clips.astype(np.float32), np.array(ids, np.int32), list(table.classes[column])
    scan = audio.scan_audio(root, NOTE_RATE)
    audio.require_usable(scan, root)
    ids, names, files = _ids(root, scan.good, audio.read_labels(root), column or "family",
                             "notes")
    return audio.eval_clips(files, NOTE_RATE, NOTE_SAMPLES, normalize), ids, names
