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
    labels = [_row(rows, info.path) or {} for info in scan.good]
    keep, pitch_ids, family_ids, names = note_labels(
        root, recipe, [row.get(recipe.pitch_column) for row in labels],
        [row.get(recipe.family_column, "") for row in labels], report)
    kept = [info for info, wanted in zip(scan.good, keep, strict=True) if wanted]
    notes = audio.eval_clips(kept, recipe.sample_rate, recipe.slice_len, normalize=True)
    return notes, pitch_ids, family_ids, names, kept


def note_labels(root, recipe, pitches, families, report):
    """(which notes to keep [N] bool, their pitch ids, family ids, family names) from each
    note's pitch and family label values; notes without both are counted and left out."""
    pitches = [_pitch(value) for value in pitches]
    keep = np.array([p is not None and bool(f) for p, f in zip(pitches, families, strict=True)],
                    bool)
    if not keep.all():
        print(f"warning: {int((~keep).sum())} of {len(keep)} notes under {root} lack a "
              f"'{recipe.family_column}' label or a '{recipe.pitch_column}' label at MIDI "
              f"{LOWEST_PITCH}-{HIGHEST_PITCH}; training without them", file=report)
    kept_families = [f for f, wanted in zip(families, keep, strict=True) if wanted]
    names = tuple(sorted(set(kept_families), key=natural_key))
    _require_families(root, names, recipe.family_column)
    pitch_ids = np.array([p for p, wanted in zip(pitches, keep, strict=True) if wanted],
                         np.int32) - LOWEST_PITCH
    return keep, pitch_ids, np.array([names.index(f) for f in kept_families], np.int32), names


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
    keep, ids, names = face_labels(root, recipe, [(_row(rows, info.path) or {}).get(
        recipe.face_column, "") for info in scan.good], report)
    kept = [info for info, wanted in zip(scan.good, keep, strict=True) if wanted]
    return images.eval_images(kept, FACE_SIZE), ids, names


def face_labels(root, recipe, values, report):
    """(which faces to keep [M] bool, identity ids or None, identity names) from each face's
    identity value: all faces, unlabelled, when none has one."""
    keep = np.array([bool(value) for value in values], bool)
    if not keep.any():
        return np.ones(len(values), bool), None, ()
    if not keep.all():
        print(f"warning: {int((~keep).sum())} of {len(keep)} faces under {root} have no "
              f"'{recipe.face_column}' label; training without them", file=report)
    named = [value for value, wanted in zip(values, keep, strict=True) if wanted]
    names = tuple(sorted(set(named), key=natural_key))
    return keep, np.array([names.index(value) for value in named], np.int32), names
