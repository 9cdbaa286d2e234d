"""Pairwise distances over a set of embeddings: the scale constants the embeddings and the
recipes that use them standardise distances with."""

from typing import NamedTuple

import numpy as np
from scipy.spatial.distance import pdist

# pdist over N rows holds N (N - 1) / 2 distances; beyond this many rows a seeded subset
# stands for the set (4000 rows: 8 M distances, 64 MB).
MAX_ROWS = 4000


class DistanceStatistics(NamedTuple):
    mean: float
    std: float


def _pair_distances(embeddings, max_rows: int, seed: int) -> np.ndarray:
    rows = np.asarray(embeddings, np.float64)
    rows = rows.reshape(len(rows), -1)
    if len(rows) < 2:
        raise ValueError(f"pairwise distances need at least two embeddings, got {len(rows)}")
    if len(rows) > max_rows:
        rows = rows[np.random.default_rng(seed).choice(len(rows), max_rows, replace=False)]
    return pdist(rows)


def distance_statistics(embeddings, max_rows: int = MAX_ROWS,
                        seed: int = 0) -> DistanceStatistics:
    """(mean, std) of ||a_i - a_j|| over the pairs i < j of `embeddings` [N, d] (of a
    seeded subset of `max_rows` rows when there are more), so that a distance d standardises
    as (d - mean) / std."""
    distances = _pair_distances(embeddings, max_rows, seed)
    return DistanceStatistics(float(distances.mean()), float(distances.std()))


def max_pairwise_distance(embeddings, max_rows: int = MAX_ROWS, seed: int = 0) -> float:
    """The largest ||a_i - a_j|| over pairs of `embeddings` [N, ...] (rows flattened)."""
    return float(_pair_distances(embeddings, max_rows, seed).max())
