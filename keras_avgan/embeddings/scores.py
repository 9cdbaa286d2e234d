"""How well an embedding separates classes it did not train on: verification of pairs
(same class or not, by a distance threshold) and nearest class centroid.

Verification pairs are every same-class pair of a set and as many different-class pairs
drawn at random, so always answering "different" (or "same") scores one half: the chance
level is 0.5. The threshold is the one that best separates the *training* pairs; the
accuracy is measured on held-out pairs with it.
"""

import numpy as np
from scipy.spatial.distance import cdist


def balanced_pairs(labels, seed: int, max_pairs: int = 20000):
    """(i, j, same) index arrays: every same-class pair (at most max_pairs / 2, a seeded
    subset beyond) and as many different-class pairs drawn at random."""
    labels = np.asarray(labels).reshape(-1)
    rng = np.random.default_rng([seed, 3])
    first, second = np.triu_indices(len(labels), k=1)
    same = labels[first] == labels[second]
    positive, negative = np.flatnonzero(same), np.flatnonzero(~same)
    count = min(len(positive), len(negative), max_pairs // 2)
    if count == 0:
        raise ValueError("verification needs same-class and different-class pairs")
    chosen = np.concatenate([rng.choice(positive, count, replace=False),
                             rng.choice(negative, count, replace=False)])
    return first[chosen], second[chosen], same[chosen]


def _pair_distances(embeddings, first, second) -> np.ndarray:
    embeddings = np.asarray(embeddings, np.float64)
    return np.linalg.norm(embeddings[first] - embeddings[second], axis=1)


def best_threshold(distances, same) -> float:
    """The distance under which a pair is called "same" that is right most often."""
    order = np.argsort(distances)
    ranked, truth = distances[order], same[order]
    # Calling the first k pairs "same": k same-pairs right among them, the rest's different
    correct = np.concatenate([[0], np.cumsum(truth)]) + np.concatenate(
        [[np.sum(~truth)], np.sum(~truth) - np.cumsum(~truth)])
    k = int(np.argmax(correct))
    if k == 0:
        return float(ranked[0]) - 1e-9
    if k == len(ranked):
        return float(ranked[-1]) + 1e-9
    return float(0.5 * (ranked[k - 1] + ranked[k]))


def verification_accuracy(train_embeddings, train_labels, held_embeddings, held_labels,
                          seed: int = 0) -> dict:
    """{"accuracy", "chance", "threshold", "pairs"}: held-out pairs told same-class or
    not at the threshold that best separates the training pairs."""
    i, j, same = balanced_pairs(train_labels, seed)
    threshold = best_threshold(_pair_distances(train_embeddings, i, j), same)
    i, j, same = balanced_pairs(held_labels, seed + 1)
    said_same = _pair_distances(held_embeddings, i, j) < threshold
    return {"accuracy": float(np.mean(said_same == same)), "chance": 0.5,
            "threshold": threshold, "pairs": int(len(same))}


def nearest_centroid(embeddings, labels, queries) -> np.ndarray:
    """[Q] the label of each query's nearest class mean (Euclidean) among `embeddings`
    [N, d] labelled `labels` [N]; a tie goes to the class that sorts first."""
    labels = np.asarray(labels).reshape(-1)
    classes = np.unique(labels)
    centroids = np.stack([np.asarray(embeddings)[labels == c].mean(axis=0) for c in classes])
    return classes[np.argmin(cdist(queries, centroids), axis=1)]


def centroid_accuracy(train_embeddings, train_labels, held_embeddings, held_labels) -> dict:
    """{"accuracy", "chance"}: each held-out example given the class of the nearest
    training-class mean; chance is the largest class's share of the held-out examples (what
    always answering that class scores)."""
    held_labels = np.asarray(held_labels).reshape(-1)
    predicted = nearest_centroid(train_embeddings, train_labels, held_embeddings)
    _, counts = np.unique(held_labels, return_counts=True)
    return {"accuracy": float(np.mean(predicted == held_labels)),
            "chance": float(counts.max() / len(held_labels))}


def _has_pairs(labels) -> bool:
    _, counts = np.unique(np.asarray(labels).reshape(-1), return_counts=True)
    return len(counts) > 1 and counts.max() > 1


def held_out_scores(train_embeddings, train_labels, held_embeddings, held_labels,
                    seed: int = 0) -> dict:
    """What an embedding's info reports of its held-out examples: "held_out_centroid", and
    "held_out_verification" when both sets hold same-class and different-class pairs; an
    empty dict when too little is held out (fewer than two classes)."""
    if len(np.unique(held_labels)) < 2:
        return {}
    args = (train_embeddings, train_labels, held_embeddings, held_labels)
    found = {"held_out_centroid": centroid_accuracy(*args)}
    if _has_pairs(train_labels) and _has_pairs(held_labels):
        found["held_out_verification"] = verification_accuracy(*args, seed)
    return found
