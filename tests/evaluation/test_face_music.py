"""Face-to-music's PC and SV on hand-made vectors: the families notes are heard as, and the
degenerate case of a single family."""

import numpy as np
import pytest

from keras_avgan.evaluation.face_music import face_music_scores, generator_inputs
from keras_avgan.recipes import FACE2MUSIC

# Real notes' phi on a line: families 0 and 1 centred at 1 and 10.
REAL_PHI, REAL_FAMILIES = np.array([[0.0], [2.0], [8.0], [12.0]]), np.array([0, 0, 1, 1])


def test_notes_get_the_nearest_real_family_and_the_faces_their_silhouette():
    faces = np.array([[0.0], [1.0], [4.0], [6.0]])
    # phi of the notes: 2 x the faces (PC 1), heard as families 0, 0, 1, 1 (0 and 2 nearer
    # 1; 8 and 12 nearer 10), so the faces' clusters are {0, 1} and {4, 6}: per face
    # (b - a) / max(a, b) = 4/5, 3/4, 3/7, 7/11.
    found = face_music_scores(faces, 2 * faces, REAL_PHI, REAL_FAMILIES)
    assert found["pc"] == pytest.approx(1.0) and found["sv_families"] == 2
    assert found["sv"] == pytest.approx((4 / 5 + 3 / 4 + 3 / 7 + 7 / 11) / 4)


def test_one_family_heard_leaves_the_silhouette_undefined():
    faces = np.array([[0.0], [1.0], [4.0], [6.0]])
    found = face_music_scores(faces, faces / 10, REAL_PHI, REAL_FAMILIES)  # all nearer 1
    assert found["sv_families"] == 1 and np.isnan(found["sv"])
    assert found["pc"] == pytest.approx(1.0)


def test_every_face_is_used_once_before_any_again_at_the_data_s_pitches():
    faces = np.arange(5, dtype=np.float32)[:, None]
    (z, vectors, pitches), rows = generator_inputs(FACE2MUSIC, faces, np.array([3, 3, 7]), 7)
    assert z.shape == (7, 0) and sorted(rows[:5]) == list(range(5))
    assert np.array_equal(vectors, faces[rows]) and set(pitches) <= {3, 7}
    again = generator_inputs(FACE2MUSIC, faces, np.array([3, 3, 7]), 7)
    assert np.array_equal(again[1], rows) and np.array_equal(again[0][2], pitches)
