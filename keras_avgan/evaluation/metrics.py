"""Sample-quality metrics as pure numpy/scipy functions of a classifier's outputs.

Every metric takes activations (penultimate-layer features) or logits that the caller has
already computed with whatever embedder suits the data, so the maths is testable against
closed forms and the network stays swappable. Shapes: activations and logits are [N, D].
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.special
from scipy.spatial import distance

# Above this relative size the imaginary part of sqrtm(Sa Sb) is a real failure, not round-off.
IMAGINARY_TOLERANCE = 1e-3


def _as_matrix(values, name: str, min_rows: int = 1) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D [samples, features] array, got {array.shape}")
    if len(array) < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} samples, got {len(array)}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or Inf")
    return array


def _same_width(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: {a.shape[1]} vs {b.shape[1]}")


def _log_probs(logits_or_probs, from_logits: bool) -> np.ndarray:
    values = _as_matrix(logits_or_probs, "logits" if from_logits else "probabilities")
    if from_logits:
        return scipy.special.log_softmax(values, axis=1)
    if np.any(values < 0) or not np.allclose(values.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("probabilities must be non-negative rows summing to 1; "
                         "pass from_logits=True for raw logits")
    with np.errstate(divide="ignore"):
        return np.log(values)


# --- class predictions -------------------------------------------------------------------

def _split_score(log_p: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))) for one split; 0 log 0 counts as 0."""
    p = np.exp(log_p)
    log_marginal = np.log(np.mean(p, axis=0))
    kl = np.sum(scipy.special.xlogy(p, p) - p * log_marginal, axis=1)
    return float(np.exp(np.mean(kl)))


def inception_score(logits_or_probs, splits: int = 10, from_logits: bool = True):
    """(mean, std) of the Inception score over `splits` disjoint, near-equal splits.

    Ranges from 1 (every sample gets the same prediction) to the number of classes
    (confident predictions spread evenly over the classes).
    """
    log_p = _log_probs(logits_or_probs, from_logits)
    if not 1 <= splits <= len(log_p):
        raise ValueError(f"splits must be between 1 and the {len(log_p)} samples, got {splits}")
    scores = [_split_score(part) for part in np.array_split(log_p, splits)]
    return float(np.mean(scores)), float(np.std(scores))


def label_entropies(logits_or_probs, from_logits: bool = True) -> dict:
    """Entropies in nats: 'conditional' = mean H(p(y|x)) (low: confident predictions) and
    'marginal' = H(p(y)) (high: samples spread over the classes). With one split,
    inception score = exp(marginal - conditional)."""
    p = np.exp(_log_probs(logits_or_probs, from_logits))
    conditional = -np.sum(scipy.special.xlogy(p, p), axis=1).mean()
    marginal_p = p.mean(axis=0)
    marginal = -np.sum(scipy.special.xlogy(marginal_p, marginal_p))
    return {"conditional": float(conditional), "marginal": float(marginal)}


def classification_accuracy(logits, labels) -> float:
    """Fraction of rows whose arg-max class equals the label, e.g. the classifier's reading
    of generated samples against the condition they were generated for."""
    logits = _as_matrix(logits, "logits")
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(logits):
        raise ValueError(f"{len(logits)} logits rows but {len(labels)} labels")
    return float(np.mean(np.argmax(logits, axis=1) == labels))


# --- distances between distributions of activations --------------------------------------

def frechet_distance_from_moments(mu_a, sigma_a, mu_b, sigma_b, eps: float = 1e-6) -> float:
    """||mu_a - mu_b||^2 + Tr(Sa + Sb - 2 sqrtm(Sa Sb)) between two Gaussians."""
    mu_a, mu_b = np.atleast_1d(mu_a).astype(np.float64), np.atleast_1d(mu_b).astype(np.float64)
    sigma_a, sigma_b = np.atleast_2d(sigma_a), np.atleast_2d(sigma_b)
    if mu_a.shape != mu_b.shape or sigma_a.shape != sigma_b.shape \
            or sigma_a.shape != (len(mu_a), len(mu_a)):
        raise ValueError(f"moment shapes do not match: {mu_a.shape}, {sigma_a.shape}, "
                         f"{mu_b.shape}, {sigma_b.shape}")
    covmean = _sqrtm_product(sigma_a, sigma_b, eps)
    diff = mu_a - mu_b
    value = diff @ diff + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * np.trace(covmean)
    # Round-off can leave identical distributions a hair below zero.
    return float(max(value, 0.0))


def _sqrtm_product(sigma_a, sigma_b, eps: float) -> np.ndarray:
    """sqrtm(Sa Sb), retried with eps*I added to both when the product is singular (more
    features than samples, dead ReLU units): sqrtm then warns or returns Inf/NaN."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
            covmean = scipy.linalg.sqrtm(sigma_a @ sigma_b)
        usable = bool(np.all(np.isfinite(covmean)))
    except scipy.linalg.LinAlgWarning:
        usable = False
    if not usable:
        offset = eps * np.eye(len(sigma_a))
        covmean = scipy.linalg.sqrtm((sigma_a + offset) @ (sigma_b + offset))
    if np.iscomplexobj(covmean):
        scale = max(1.0, float(np.max(np.abs(covmean.real))))
        worst = float(np.max(np.abs(covmean.imag)))
        if worst > IMAGINARY_TOLERANCE * scale:
            raise ValueError(f"sqrtm(Sa Sb) has an imaginary part of {worst:.3g}: the "
                             "covariances are badly conditioned; use more samples")
        covmean = covmean.real
    return covmean


def frechet_distance(act_a, act_b, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians fitted to two sets of activations (FID when the
    activations come from an Inception network)."""
    act_a = _as_matrix(act_a, "act_a", min_rows=2)
    act_b = _as_matrix(act_b, "act_b", min_rows=2)
    _same_width(act_a, act_b)
    return frechet_distance_from_moments(
        act_a.mean(axis=0), np.cov(act_a, rowvar=False), act_b.mean(axis=0),
        np.cov(act_b, rowvar=False), eps=eps)


def _polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _unbiased_mmd2(a: np.ndarray, b: np.ndarray) -> float:
    m, n = len(a), len(b)
    k_aa, k_bb, k_ab = _polynomial_kernel(a, a), _polynomial_kernel(b, b), \
        _polynomial_kernel(a, b)
    # The diagonal k(x, x) would bias the within-set terms upwards.
    within_a = (k_aa.sum() - np.trace(k_aa)) / (m * (m - 1))
    within_b = (k_bb.sum() - np.trace(k_bb)) / (n * (n - 1))
    return float(within_a + within_b - 2.0 * k_ab.mean())


def kernel_distance(act_a, act_b) -> float:
    """Kernel Inception Distance on the whole sets: unbiased MMD^2 with the cubic polynomial
    kernel k(x, y) = (x.y / d + 1)^3. Can be slightly negative for matching distributions."""
    act_a = _as_matrix(act_a, "act_a", min_rows=2)
    act_b = _as_matrix(act_b, "act_b", min_rows=2)
    _same_width(act_a, act_b)
    return _unbiased_mmd2(act_a, act_b)


def kernel_distance_subsets(act_a, act_b, num_subsets: int = 100, subset_size: int = 1000,
                            seed: int = 0):
    """(mean, std) of the KID over random subsets drawn without replacement, for sets too
    large for whole-set kernel matrices; subset_size is capped by the smaller set."""
    act_a = _as_matrix(act_a, "act_a", min_rows=2)
    act_b = _as_matrix(act_b, "act_b", min_rows=2)
    _same_width(act_a, act_b)
    if num_subsets < 1 or subset_size < 2:
        raise ValueError(f"need num_subsets >= 1 and subset_size >= 2, got {num_subsets}, "
                         f"{subset_size}")
    size = min(subset_size, len(act_a), len(act_b))
    rng = np.random.default_rng(seed)
    values = [_unbiased_mmd2(act_a[rng.choice(len(act_a), size, replace=False)],
                             act_b[rng.choice(len(act_b), size, replace=False)])
              for _ in range(num_subsets)]
    return float(np.mean(values)), float(np.std(values))


# --- geometry of one set ------------------------------------------------------------------

def pairwise_distance_correlation(x_feats, y_feats) -> float:
    """Pearson r between the pairwise Euclidean distances within x and within y, pair i-j of
    x matched with pair i-j of y (face-to-music's PC: is the mapping distance-preserving?).

    NaN when either set has all pairwise distances equal (e.g. a collapsed generator)."""
    x_feats = _as_matrix(x_feats, "x_feats", min_rows=3)
    y_feats = _as_matrix(y_feats, "y_feats", min_rows=3)
    if len(x_feats) != len(y_feats):
        raise ValueError(f"the sets must be aligned: {len(x_feats)} vs {len(y_feats)} rows")
    d_x, d_y = distance.pdist(x_feats), distance.pdist(y_feats)
    if np.ptp(d_x) == 0 or np.ptp(d_y) == 0:
        return float("nan")
    return float(np.corrcoef(d_x, d_y)[0, 1])


def silhouette_score(feats, labels) -> float:
    """Mean silhouette (b - a) / max(a, b) with Euclidean distances; a point alone in its
    cluster scores 0. Needs 2 <= clusters <= samples - 1."""
    feats = _as_matrix(feats, "feats", min_rows=3)
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(feats):
        raise ValueError(f"{len(feats)} feature rows but {len(labels)} labels")
    classes, ids = np.unique(labels, return_inverse=True)
    if not 2 <= len(classes) <= len(feats) - 1:
        raise ValueError(f"silhouette needs 2 to {len(feats) - 1} clusters, got {len(classes)}")
    dist = distance.squareform(distance.pdist(feats))
    members = np.eye(len(classes), dtype=np.float64)[ids]  # [N, K] one-hot
    counts = members.sum(axis=0)
    sums = dist @ members  # [N, K] total distance from each point to each cluster
    own = counts[ids] - 1
    a = np.divide(sums[np.arange(len(feats)), ids], own, out=np.zeros(len(feats)),
                  where=own > 0)
    means = sums / counts
    means[np.arange(len(feats)), ids] = np.inf
    b = means.min(axis=1)
    scores = np.where(own > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(scores.mean())


# --- memorisation ---------------------------------------------------------------------------

def nearest_neighbor_distances(queries, reference=None, batch_size: int = 512) -> np.ndarray:
    """[N] Euclidean distance of each query to its nearest reference row. Without a
    reference, to its nearest other query (how spread out one set is)."""
    queries = _as_matrix(queries, "queries")
    within = reference is None
    reference = queries if within else _as_matrix(reference, "reference")
    _same_width(queries, reference)
    if within and len(queries) < 2:
        raise ValueError("distances within one set need at least 2 samples")
    out = np.empty(len(queries))
    for start in range(0, len(queries), batch_size):
        block = distance.cdist(queries[start:start + batch_size], reference)
        if within:
            rows = np.arange(len(block))
            block[rows, start + rows] = np.inf
        out[start:start + batch_size] = block.min(axis=1)
    return out


def nearest_neighbor_summary(generated, train, held_out=None) -> dict:
    """Mean nearest-training-sample distances. 'ratio' = generated / held-out: real clips the
    model never saw set the scale, and a ratio well below 1 suggests copied training data."""
    summary = {"generated_to_train": float(np.mean(nearest_neighbor_distances(generated,
                                                                              train))),
               "generated_to_generated": float(np.mean(nearest_neighbor_distances(generated)))}
    if held_out is not None:
        held = float(np.mean(nearest_neighbor_distances(held_out, train)))
        summary["held_out_to_train"] = held
        summary["ratio"] = summary["generated_to_train"] / held if held > 0 else float("nan")
    return summary
