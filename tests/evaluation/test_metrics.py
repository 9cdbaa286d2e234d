"""Metric maths against closed forms and small hand computations."""

import numpy as np
import pytest

from keras_avgan.evaluation import metrics


def with_moments(rng, n, mean, cov):
    """n samples whose sample mean and (ddof=1) covariance are exactly `mean` and `cov`."""
    x = rng.normal(size=(n, len(mean)))
    x -= x.mean(axis=0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T
    return mean + x @ np.linalg.cholesky(cov).T


# --- inception score and class predictions -----------------------------------------------

def test_inception_score_of_confident_uniform_predictions_is_class_count():
    k = 5
    probs = np.tile(np.eye(k), (4, 1))  # every split of 5 rows holds each class once
    assert metrics.inception_score(probs, splits=4, from_logits=False) == pytest.approx((k, 0))
    mean, _ = metrics.inception_score(60.0 * probs, splits=1)
    assert mean == pytest.approx(k, rel=1e-6)


def test_inception_score_of_identical_predictions_is_one():
    logits = np.tile([[2.0, -1.0, 0.5]], (12, 1))
    mean, std = metrics.inception_score(logits, splits=3)
    assert mean == pytest.approx(1.0) and std == pytest.approx(0.0)


def test_inception_score_matches_label_entropies():
    logits = np.random.default_rng(0).normal(size=(50, 7)) * 3
    entropies = metrics.label_entropies(logits)
    expected = np.exp(entropies["marginal"] - entropies["conditional"])
    assert metrics.inception_score(logits, splits=1)[0] == pytest.approx(expected)


def test_inception_score_rejects_bad_input():
    with pytest.raises(ValueError, match="splits"):
        metrics.inception_score(np.zeros((3, 4)), splits=10)
    with pytest.raises(ValueError, match="from_logits"):
        metrics.inception_score(np.ones((3, 4)), splits=1, from_logits=False)


def test_classification_accuracy():
    logits = np.array([[3.0, 1.0], [0.0, 2.0], [5.0, -1.0], [1.0, 0.0]])
    assert metrics.classification_accuracy(logits, [0, 1, 1, 1]) == pytest.approx(0.5)


# --- Frechet and kernel distances ---------------------------------------------------------

def test_frechet_distance_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(1).normal(size=(200, 8))
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_diagonal_gaussians_matches_closed_form():
    rng = np.random.default_rng(2)
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))  # 6.25+4+1+4
    a = with_moments(rng, 40, mu1, np.diag(s1))
    b = with_moments(rng, 70, mu2, np.diag(s2))
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    assert metrics.frechet_distance_from_moments(mu1, np.diag(s1), mu2, np.diag(s2)) == \
        pytest.approx(expected, rel=1e-9)


def test_frechet_distance_from_moments_with_full_covariances():
    rng = np.random.default_rng(3)
    m1, m2 = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    s1, s2 = m1 @ m1.T + 0.1 * np.eye(4), m2 @ m2.T + 0.1 * np.eye(4)
    # Tr sqrt(S1 S2) = sum of sqrt eigenvalues of the symmetric S1^1/2 S2 S1^1/2.
    w, v = np.linalg.eigh(s1)
    root = v @ np.diag(np.sqrt(w)) @ v.T
    trace = np.sum(np.sqrt(np.linalg.eigvalsh(root @ s2 @ root)))
    expected = 1.0 + np.trace(s1) + np.trace(s2) - 2 * trace
    value = metrics.frechet_distance_from_moments(np.zeros(4), s1, np.eye(4)[0], s2)
    assert value == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_with_singular_covariances_stays_finite():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(6, 32)), rng.normal(size=(6, 32)) + 1.0  # fewer samples than dims
    value = metrics.frechet_distance(a, b)
    assert np.isfinite(value) and value > 0
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-3)


def test_frechet_distance_needs_two_samples_and_equal_widths():
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="feature sizes differ"):
        metrics.frechet_distance(np.zeros((4, 3)), np.zeros((4, 2)))


def test_kernel_distance_matches_hand_computation():
    a = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    b = np.array([[2.0, 0.0], [0.0, -1.0]])

    def k(x, y):
        return (x @ y / 2 + 1) ** 3
    within_a = sum(k(a[i], a[j]) for i in range(3) for j in range(3) if i != j) / 6
    within_b = sum(k(b[i], b[j]) for i in range(2) for j in range(2) if i != j) / 2
    across = sum(k(x, y) for x in a for y in b) / 6
    assert metrics.kernel_distance(a, b) == pytest.approx(within_a + within_b - 2 * across)


def test_kernel_distance_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(300, 16)), rng.normal(size=(300, 16))
    same = metrics.kernel_distance(x, y)
    shifted = metrics.kernel_distance(x, y + 1.0)
    # With one set twice, the cross term keeps k(x, x) and the estimate dips a little below 0.
    assert abs(metrics.kernel_distance(x, x)) < 0.1 and abs(same) < 0.1
    assert shifted > 5.0 and metrics.kernel_distance(x, y + 0.3) > 2 * abs(same)
    mean, std = metrics.kernel_distance_subsets(x, y + 1.0, num_subsets=20, subset_size=100)
    assert mean == pytest.approx(shifted, rel=0.3) and std > 0


# --- geometry -------------------------------------------------------------------------------

def test_pairwise_distance_correlation():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(20, 5))
    rotation, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    assert metrics.pairwise_distance_correlation(x, x) == pytest.approx(1.0)
    assert metrics.pairwise_distance_correlation(x, 3.0 * x @ rotation + 7.0) == \
        pytest.approx(1.0)
    # Pair distances (01, 02, 12): x gives 1, 3, 2 and y gives 3, 1, 2 = 4 - x's.
    line_x, line_y = np.array([[0.0], [1.0], [3.0]]), np.array([[0.0], [3.0], [1.0]])
    assert metrics.pairwise_distance_correlation(line_x, line_y) == pytest.approx(-1.0)
    assert np.isnan(metrics.pairwise_distance_correlation(x[:4], np.zeros((4, 2))))
    with pytest.raises(ValueError, match="aligned"):
        metrics.pairwise_distance_correlation(x, x[:10])


def test_silhouette_score_matches_hand_computation():
    # Clusters {0, 1} and {4, 6} on a line; per point (b - a) / max(a, b):
    # 0: a=1, b=5 -> 4/5; 1: a=1, b=4 -> 3/4; 4: a=2, b=3.5 -> 3/7; 6: a=2, b=5.5 -> 7/11.
    feats = np.array([[0.0], [1.0], [4.0], [6.0]])
    expected = (4 / 5 + 3 / 4 + 3 / 7 + 7 / 11) / 4
    assert metrics.silhouette_score(feats, ["a", "a", "b", "b"]) == pytest.approx(expected)
    # A point alone in its cluster scores 0: {0, 1} a/b as above, {10} alone.
    three = np.array([[0.0], [1.0], [10.0]])
    expected = (1 - 1 / 10 + 1 - 1 / 9 + 0) / 3
    assert metrics.silhouette_score(three, [0, 0, 1]) == pytest.approx(expected)
    with pytest.raises(ValueError, match="clusters"):
        metrics.silhouette_score(feats, [0, 0, 0, 0])


def test_nearest_neighbor_distances_match_hand_computation():
    queries = np.array([[0.0, 0.0], [6.0, 3.0]])
    reference = np.array([[0.0, 1.0], [6.0, 8.0], [3.0, 9.0]])
    np.testing.assert_allclose(metrics.nearest_neighbor_distances(queries, reference), [1, 5])
    np.testing.assert_allclose(
        metrics.nearest_neighbor_distances(np.array([[0.0], [1.0], [5.0]]), batch_size=2),
        [1, 1, 4])
    held_out = np.array([[0.0, 3.0]])
    summary = metrics.nearest_neighbor_summary(queries, reference, held_out=held_out)
    assert summary["generated_to_train"] == pytest.approx(3.0)
    assert summary["held_out_to_train"] == pytest.approx(2.0)
    assert summary["ratio"] == pytest.approx(1.5)
    assert summary["generated_to_generated"] == pytest.approx(np.sqrt(45.0))
