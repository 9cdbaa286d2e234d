"""The embeddings' training data read from folders through the project's readers."""

import numpy as np
import pytest
from PIL import Image

from keras_avgan.embeddings import faces_from_folder, notes_from_folder
from keras_avgan.errors import UserError


def test_faces_come_with_their_identity_ids(tmp_path):
    rows = ["path,identity"]
    rng = np.random.default_rng(0)
    for i in range(6):
        name = f"face_{i}.png"
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(tmp_path / name)
        rows.append(f"{name},{('ann', 'bob')[i % 2]}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    images, ids, names = faces_from_folder(tmp_path, size=16)
    assert images.shape == (6, 16, 16, 3) and images.min() >= -1 and images.max() <= 1
    assert names == ["ann", "bob"] and list(ids) == [0, 1, 0, 1, 0, 1]
    with pytest.raises(UserError, match="labelled by 'family'"):
        faces_from_folder(tmp_path, column="family")


def test_notes_of_a_sound_folder_are_their_first_8192_samples(tiny_tones):
    notes, ids, names = notes_from_folder(tiny_tones, column="pitch")
    assert notes.shape == (12, 8192) and np.abs(notes).max() == pytest.approx(1.0)
    assert names == ["48", "55", "62"] and list(ids[:3]) == [0, 1, 2]


def test_nsynth_notes_are_labelled_by_family(tmp_path):
    import tensorflow as tf

    from pipelines.audio.nsynth import NOTE_SAMPLES, note_example, note_fields

    with tf.io.TFRecordWriter(str(tmp_path / "notes.tfrecord")) as writer:
        for i, family in enumerate(("brass", "reed", "brass")):
            fields = note_fields(note=i, instrument=i, instrument_number=i, pitch=60,
                                 velocity=100, family=family, source="acoustic", qualities=())
            audio = 0.1 * np.sin(np.arange(NOTE_SAMPLES) * 0.01 * (i + 1)).astype(np.float32)
            writer.write(note_example(fields, audio))
    notes, ids, names = notes_from_folder(tmp_path)
    assert notes.shape == (3, 8192) and names == ["brass", "reed"] and list(ids) == [0, 1, 0]
    assert np.abs(notes).max(axis=1) == pytest.approx(1.0)
