"""How examples reach a triplet loss: a held-out part of each class, and training batches
of P classes x K examples, so every anchor has positives and negatives in its batch."""

import keras
import numpy as np


def split_per_class(labels, held_out_percent: int, seed: int) -> np.ndarray:
    """A boolean mask of held-out examples: `held_out_percent` % of each class (rounded),
    drawn with `seed`, and never so many that a class keeps fewer than two training
    examples (a triplet needs an anchor and a positive)."""
    labels = np.asarray(labels).reshape(-1)
    held = np.zeros(len(labels), bool)
    rng = np.random.default_rng([seed, 7])
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        count = min(int(round(len(rows) * held_out_percent / 100)), max(len(rows) - 2, 0))
        held[rows[:count]] = True
    return held


class ClassBalancedBatches(keras.utils.PyDataset):
    """`steps` batches of (x, labels) an epoch, each `classes_per_batch` classes (or all,
    when there are fewer) with `per_class` examples of each (drawn with replacement when a
    class has fewer), from a seeded generator so training repeats."""

    def __init__(self, x, labels, *, classes_per_batch: int, per_class: int, steps: int,
                 seed: int):
        super().__init__()
        self.x = np.asarray(x, np.float32)
        self.labels = np.asarray(labels, np.int32).reshape(-1)
        self.rows = [np.flatnonzero(self.labels == c) for c in np.unique(self.labels)]
        if len(self.rows) < 2:
            raise ValueError("triplet training needs at least two classes, got "
                             f"{len(self.rows)}")
        self.classes_per_batch = min(classes_per_batch, len(self.rows))
        self.per_class, self.steps, self.seed = per_class, steps, seed
        self.epoch = 0

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        # Drawn from (seed, epoch, index), not from a running state: Keras may ask for
        # batches out of order, and the same run must see the same batches.
        rng = np.random.default_rng([self.seed, 11, self.epoch, index])
        classes = rng.choice(len(self.rows), self.classes_per_batch, replace=False)
        picked = [rng.choice(self.rows[c], self.per_class,
                             replace=len(self.rows[c]) < self.per_class) for c in classes]
        rows = np.concatenate(picked)
        return self.x[rows], self.labels[rows]

    def on_epoch_end(self):
        self.epoch += 1
