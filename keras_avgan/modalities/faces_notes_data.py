"""What face-to-music trains on, read into memory: notes with their pitch and instrument family
(a sound folder with labels, or NSynth through its reader and default filter), and faces
with their identity when the labels name one. Faces and notes are not paired."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_avgan.errors import UserError
from keras_avgan.modalities.base import TrainingData
from keras_avgan.recipes.face2music import HIGHEST_PITCH, LOWEST_PITCH
from pipelines import audio, images
from pipelines.labels import natural_key

FACE_SIZE = 64  # what the face embedding trained here sees; a user's f resizes itself


@dataclass
class FacesAndNotes(TrainingData):
    notes: np.ndarray | None = None  # float32 [N, 8192], peak-normalised
    pitch_ids: np.ndarray | None = None  # int32 [N]: MIDI pitch - LOWEST_PITCH
    family_ids: np.ndarray | None = None  # int32 [N]
    family_names: tuple = ()
    faces_root: Path | None = None
    faces: np.ndarray | None = None  # float32 [M, 64, 64, 3] in [-1, 1]
    identity_ids: np.ndarray | None = None  # int32 [M], or None when unlabelled
    identity_names: tuple = ()
    face_vectors: np.ndarray | None = None  # f of every face, set when the run is prepared


def _row(rows, path: str):
    return rows.get(str(Path(path).resolve()), rows.get(path))


def _pitch(value) -> int | None:
    try:
        pitch = int(float(value))
    except (TypeError, ValueError):
        return None
    return pitch if LOWEST_PITCH <= pitch <= HIGHEST_PITCH else None


def read_notes(root: Path, recipe, report):
    """(notes [N, 8192], pitch ids [N], family ids [N], family names, files kept)."""
    from pipelines.audio.nsynth import NSynthFilter, looks_like_nsynth, nsynth_dataset

    if looks_like_nsynth(root):
        dataset, table, scan = nsynth_dataset(root, NSynthFilter(samples=recipe.slice_len))
        clips, pitches, families = [], [], []
        for clip, labels in dataset.as_numpy_iterator():
            clips.append(clip)
            pitches.append(int(table.classes["pitch"][labels["pitch"]]))
            families.append(int(labels["instrument_family"]))
        notes = np.stack(clips)
        notes = notes / np.maximum(np.abs(notes).max(axis=1, keepdims=True), audio.PEAK_FLOOR)
        names = tuple(table.classes["instrument_family"])
        _require_families(root, names, "instrument_family")
        return (notes.astype(np.float32), np.array(pitches, np.int32) - LOWEST_PITCH,
                np.array(families, np.int32), names, list(scan.kept))
    scan = audio.scan_audio(str(root), sample_rate=recipe.sample_rate)
    audio.require_usable(scan, str(root))
    rows = audio.read_labels(str(root), recipe.label_from, recipe.label_pattern)
    kept, pitches, families, skipped = [], [], [], 0
    for info in scan.good:
        row = _row(rows, info.path) or {}
        pitch, family = _pitch(row.get(recipe.pitch_column)), row.get(recipe.family_column, "")
        if pitch is None or not family:
            skipped += 1
            continue
        kept.append(info)
        pitches.append(pitch)
        families.append(family)
    if skipped:
        print(f"warning: {skipped} of {len(scan.good)} notes under {root} lack a "
              f"'{recipe.family_column}' label or a '{recipe.pitch_column}' label at MIDI "
              f"{LOWEST_PITCH}-{HIGHEST_PITCH}; training without them", file=report)
    names = tuple(sorted(set(families), key=natural_key))
    _require_families(root, names, recipe.family_column)
    notes = audio.eval_clips(kept, recipe.sample_rate, recipe.slice_len, normalize=True)
    return (notes, np.array(pitches, np.int32) - LOWEST_PITCH,
            np.array([names.index(f) for f in families], np.int32), names, kept)


def _require_families(root: Path, names, column: str) -> None:
    if len(names) < 2:
        raise UserError(f"{root}: face2music's audio metric learns the notes' instrument "
                        f"families, so it needs notes of at least two '{column}' values "
                        f"(with a pitch at MIDI {LOWEST_PITCH}-{HIGHEST_PITCH}); found "
                        f"{len(names)}")


def read_faces(root: Path, recipe, report):
    """(faces [M, 64, 64, 3] in [-1, 1], identity ids [M] or None, identity names). Faces
    without an identity are kept only when none has one (a user's f needs none)."""
    scan = images.scan_images(root)
    images.require_usable(scan, root)
    if scan.bad:
        print(f"warning: skipped {len(scan.bad)} unreadable images under {root}", file=report)
    rows = images.read_labels(root, recipe.label_from, recipe.label_pattern)
    labelled = [(info, (_row(rows, info.path) or {}).get(recipe.face_column, ""))
                for info in scan.good]
    named = [(info, value) for info, value in labelled if value]
    if not named:
        return images.eval_images(scan.good, FACE_SIZE), None, ()
    if len(named) < len(labelled):
        print(f"warning: {len(labelled) - len(named)} of {len(labelled)} faces under {root} "
              f"have no '{recipe.face_column}' label; training without them", file=report)
    names = tuple(sorted({value for _, value in named}, key=natural_key))
    ids = np.array([names.index(value) for _, value in named], np.int32)
    return images.eval_images([info for info, _ in named], FACE_SIZE), ids, names
