"""The triplet loss the embeddings train with, on batches that hold several examples of
each class: batch-hard mining (Hermans, Beyer, Leibe 2017), FaceNet's margin form.

For each anchor the hardest positive (the farthest example of its class in the batch) and
the hardest negative (the nearest example of another class) make its triplet:
loss = max(d(a, p) - d(a, n) + margin, 0). Distances are plain L2 by default (`squared`
for FaceNet's squared ones); on unit vectors they lie in [0, 2].
"""

import keras
from keras import ops

# Under this squared distance a pair counts as one point: sqrt's slope at 0 is infinite,
# and a batch may hold the same example twice.
_SQUARED_FLOOR = 1e-12


def pairwise_distances(embeddings, squared: bool = False):
    """[B, d] -> [B, B] L2 (or squared L2) distances between rows, differentiable."""
    embeddings = ops.convert_to_tensor(embeddings, "float32")
    dot = ops.matmul(embeddings, ops.transpose(embeddings))
    norms = ops.diagonal(dot)
    squared_distances = ops.maximum(norms[:, None] - 2.0 * dot + norms[None, :], 0.0)
    if squared:
        return squared_distances
    return ops.sqrt(ops.maximum(squared_distances, _SQUARED_FLOOR))


@keras.saving.register_keras_serializable(package="keras_avgan")
class BatchHardTripletLoss(keras.losses.Loss):
    """y_true: class ids [B] (or [B, 1]); y_pred: embeddings [B, d]. One loss per anchor;
    an anchor with no positive or no negative in its batch contributes 0."""

    def __init__(self, margin: float = 1.0, squared: bool = False,
                 name: str = "batch_hard_triplet", **kwargs):
        super().__init__(name=name, **kwargs)
        self.margin, self.squared = float(margin), bool(squared)

    def call(self, y_true, y_pred):
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        distances = pairwise_distances(y_pred, self.squared)
        same = ops.equal(labels[:, None], labels[None, :])
        itself = ops.eye(ops.shape(labels)[0], dtype="bool")
        positive = ops.logical_and(same, ops.logical_not(itself))
        negative = ops.logical_not(same)
        hardest_positive = ops.max(ops.where(positive, distances, 0.0), axis=1)
        # The largest distance in the batch stands in for "no negative" and loses the min.
        far = ops.max(distances) + self.margin
        hardest_negative = ops.min(ops.where(negative, distances, far), axis=1)
        losses = ops.relu(hardest_positive - hardest_negative + self.margin)
        has_triplet = ops.logical_and(ops.any(positive, axis=1), ops.any(negative, axis=1))
        return ops.where(has_triplet, losses, 0.0)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "squared": self.squared}
