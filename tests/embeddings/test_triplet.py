"""The batch-hard triplet loss against values worked out by hand, and the distances under it."""

import numpy as np
import pytest

from keras_avgan.embeddings import BatchHardTripletLoss, pairwise_distances

# Two classes in the plane: a0 (0, 0), a1 (1, 0) | b0 (0, 2), b1 (4, 0). Distances:
# a0a1 1, a0b0 2, a0b1 4, a1b0 sqrt 5, a1b1 3, b0b1 sqrt 20.
POINTS = np.array([[0, 0], [1, 0], [0, 2], [4, 0]], np.float32)
LABELS = np.array([0, 0, 1, 1])


def test_pairwise_distances_are_the_plain_and_squared_l2_distances():
    expected = np.array([[0, 1, 2, 4], [1, 0, 5 ** 0.5, 3], [2, 5 ** 0.5, 0, 20 ** 0.5],
                         [4, 3, 20 ** 0.5, 0]])
    assert np.allclose(pairwise_distances(POINTS), expected, atol=1e-5)
    assert np.allclose(pairwise_distances(POINTS, squared=True), expected ** 2, atol=1e-4)


def test_batch_hard_loss_matches_the_hand_computed_value():
    # Per anchor max(hardest positive - hardest negative + 1, 0):
    # a0: 1 - 2 + 1 = 0; a1: 1 - sqrt 5 + 1 < 0 -> 0; b0: sqrt 20 - 2 + 1; b1: sqrt 20 - 3 + 1
    per_anchor = BatchHardTripletLoss(margin=1.0).call(LABELS, POINTS)
    assert np.allclose(per_anchor, [0, 0, 20 ** 0.5 - 1, 20 ** 0.5 - 2], atol=1e-5)
    mean = BatchHardTripletLoss(margin=1.0)(LABELS, POINTS)
    assert float(mean) == pytest.approx(5 ** 0.5 - 0.75, abs=1e-5)  # (4 sqrt 5 - 3) / 4


def test_squared_distances_give_facenets_form():
    # a0: 1 - 4 + 1 < 0; a1: 1 - 5 + 1 < 0; b0: 20 - 4 + 1 = 17; b1: 20 - 9 + 1 = 12
    loss = BatchHardTripletLoss(margin=1.0, squared=True)(LABELS, POINTS)
    assert float(loss) == pytest.approx(29 / 4, abs=1e-4)


def test_an_anchor_alone_in_its_class_adds_nothing():
    labels = np.array([0, 0, 1, 2])  # classes 1 and 2 have no positive in the batch
    per_anchor = np.asarray(BatchHardTripletLoss(margin=1.0).call(labels, POINTS))
    assert per_anchor[2] == 0 and per_anchor[3] == 0
    assert per_anchor[0] == pytest.approx(0.0) and np.isfinite(per_anchor).all()


def test_the_loss_has_a_finite_gradient_when_a_batch_repeats_an_example():
    import tensorflow as tf

    points = tf.Variable(np.array([[0, 0], [0, 0], [0, 1], [1, 1]], np.float32))
    with tf.GradientTape() as tape:
        loss = BatchHardTripletLoss()(np.array([0, 0, 1, 1]), points)
    assert np.isfinite(tape.gradient(loss, points).numpy()).all()
