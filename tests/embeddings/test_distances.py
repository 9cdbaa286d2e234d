"""Pairwise-distance constants, the held-out split and the scores the embeddings report."""

import numpy as np
import pytest

from keras_avgan.embeddings import distance_statistics, max_pairwise_distance
from keras_avgan.embeddings.batches import ClassBalancedBatches, split_per_class
from keras_avgan.embeddings.scores import (
    best_threshold,
    centroid_accuracy,
    nearest_centroid,
    verification_accuracy,
)


def test_distance_statistics_are_over_the_pairs_i_below_j():
    rows = np.random.default_rng(0).normal(size=(7, 3))
    pairs = [np.linalg.norm(rows[i] - rows[j]) for i in range(7) for j in range(i + 1, 7)]
    stats = distance_statistics(rows)
    assert stats.mean == pytest.approx(np.mean(pairs)) and stats.std == pytest.approx(np.std(pairs))
    assert max_pairwise_distance(rows) == pytest.approx(max(pairs))
    # beyond max_rows a seeded subset stands in, the same every time
    assert distance_statistics(rows, max_rows=4) == distance_statistics(rows, max_rows=4)
    with pytest.raises(ValueError, match="at least two"):
        distance_statistics(rows[:1])


def test_the_split_holds_out_a_share_of_every_class_and_keeps_two_for_training():
    labels = np.repeat([0, 1, 2], [10, 10, 3])
    held = split_per_class(labels, 20, seed=0)
    assert [held[labels == c].sum() for c in range(3)] == [2, 2, 1]
    assert np.array_equal(held, split_per_class(labels, 20, seed=0))


def test_balanced_batches_hold_per_class_examples_of_each_class():
    x, labels = np.arange(40, dtype=np.float32)[:, None], np.repeat(np.arange(4), 10)
    batches = ClassBalancedBatches(x, labels, classes_per_batch=3, per_class=4, steps=5, seed=0)
    xb, yb = batches[0]
    assert len(batches) == 5 and len(set(yb)) == 3
    assert all(np.sum(yb == c) == 4 for c in set(yb))
    assert np.array_equal(labels[xb[:, 0].astype(int)], yb)
    assert np.array_equal(batches[0][0], xb)  # the same batch when asked again
    batches.on_epoch_end()
    assert not np.array_equal(batches[0][0], xb)  # a new epoch draws anew


def test_the_threshold_separates_the_training_pairs_best():
    distances, same = np.array([0.1, 0.2, 0.9, 0.3, 1.0]), np.array([1, 1, 0, 1, 0], bool)
    assert 0.3 < best_threshold(distances, same) < 0.9


def test_scores_of_separated_classes_are_perfect_and_chance_is_stated():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 8)
    points = np.eye(3)[labels] * 5 + rng.normal(0, 0.1, (24, 3))
    verified = verification_accuracy(points, labels, points + 0.01, labels)
    assert verified["accuracy"] == 1.0 and verified["chance"] == 0.5
    nearest = centroid_accuracy(points, labels, points, labels)
    assert nearest["accuracy"] == 1.0 and nearest["chance"] == pytest.approx(1 / 3)


def test_nearest_centroid_gives_each_query_the_closest_class_mean():
    # Class means: "a" (1, 0) and "b" (10, 1). (0, 5) is 5.10 from a, 10.8 from b; (6, 1)
    # is 5 from a, 4 from b; (5.5, 0.5) is sqrt(20.5) from both: the tie goes to "a".
    points = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0], [10.0, 2.0]])
    queries = np.array([[0.0, 5.0], [6.0, 1.0], [5.5, 0.5]])
    assert nearest_centroid(points, ["a", "a", "b", "b"], queries).tolist() == ["a", "b", "a"]
