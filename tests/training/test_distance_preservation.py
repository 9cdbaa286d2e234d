"""Face-to-music's distance-preservation term against distances worked out by hand."""

import numpy as np
import pytest

from keras_avgan.training import terms

# Three faces and three notes' metrics whose pair distances (0-1, 0-2, 1-2) are whole numbers:
# faces 3, 4, 5; notes 1, 3, 2.
FACES = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]], np.float32)
METRICS = np.array([[0.0], [1.0], [3.0]], np.float32)


def _critique(faces, metrics):
    return terms.Critique(real=None, fake=None, conditions={"face": faces}, real_out=None,
                          fake_out={"metric": metrics}, critic=None, seed_generator=None)


def test_loss_and_pc_match_hand_computed_values():
    # Standardised with mean 4, std 1 (faces) and mean 2, std 1 (notes): faces -1, 0, 1 and
    # notes -1, 1, 0. Mean |difference| = (0 + 1 + 1) / 3; Pearson r = (1/3) / (2/3) = 0.5.
    term = terms.DistancePreservation(10.0, face_mean=4.0, face_std=1.0, note_mean=2.0,
                                      note_std=1.0)
    share, reported = term.on_generator(_critique(FACES, METRICS))
    assert float(reported["distance_loss"]) == pytest.approx(2 / 3, abs=1e-6)
    assert float(share) == pytest.approx(20 / 3, abs=1e-5)
    assert float(reported["distance_pc"]) == pytest.approx(0.5, abs=1e-6)


def test_standard_deviations_scale_the_distances():
    # face std 2: faces (3-4)/2, 0, (5-4)/2 = -0.5, 0, 0.5; notes std 0.5: -2, 2, 0.
    # |diff| = 1.5, 2, 0.5 -> mean 4/3. r: cov = (1 + 0 + 0) / 3, var 1/6 and 8/3 -> 0.5.
    term = terms.DistancePreservation(1.0, 4.0, 2.0, 2.0, 0.5)
    share, reported = term.on_generator(_critique(FACES, METRICS))
    assert float(share) == pytest.approx(4 / 3, abs=1e-5)
    assert float(reported["distance_pc"]) == pytest.approx(0.5, abs=1e-6)


def test_equal_distances_cost_nothing_and_correlate_fully():
    term = terms.DistancePreservation(10.0, 0.0, 1.0, 0.0, 1.0)
    share, reported = term.on_generator(_critique(FACES, FACES))
    assert float(share) == pytest.approx(0.0, abs=1e-5)
    assert float(reported["distance_pc"]) == pytest.approx(1.0, abs=1e-5)


def test_it_round_trips_and_refuses_a_zero_spread():
    term = terms.DistancePreservation(3.0, 1.0, 2.0, 3.0, 4.0)
    again = terms.deserialize(terms.serialize(term))
    assert again.get_config() == term.get_config()
    with pytest.raises(ValueError, match="positive"):
        terms.DistancePreservation(1.0, 0.0, 0.0, 0.0, 1.0)
