"""Training an embedding network with the batch-hard triplet loss, shared by the face
embedding and the audio metric's psi."""

from dataclasses import dataclass

import keras
import numpy as np

from keras_avgan.embeddings.batches import ClassBalancedBatches
from keras_avgan.embeddings.triplet import BatchHardTripletLoss

STEPS_PER_EPOCH = 50  # only how often Keras reports; batches are drawn the same either way


@dataclass(frozen=True)
class TripletTraining:
    """How long and on what batches; part of every cache key."""

    steps: int
    classes_per_batch: int
    per_class: int
    margin: float = 1.0
    squared: bool = False  # plain L2 distances (FaceNet: squared)
    learning_rate: float = 1e-3

    def __post_init__(self):
        if self.steps < 1 or self.classes_per_batch < 2 or self.per_class < 2:
            raise ValueError("triplet training needs steps >= 1, classes_per_batch >= 2 and "
                             f"per_class >= 2, got {self.steps}, {self.classes_per_batch}, "
                             f"{self.per_class}")
        if self.margin <= 0:
            raise ValueError(f"the triplet margin must be positive, got {self.margin}")


def train_triplet(model: keras.Model, x, labels, training: TripletTraining, seed: int,
                  verbose: int = 0) -> dict:
    """Fit `model` (examples -> unit vectors) on class-balanced batches; {"loss": the last
    epoch's mean triplet loss}."""
    per_epoch = min(STEPS_PER_EPOCH, training.steps)
    batches = ClassBalancedBatches(x, labels, classes_per_batch=training.classes_per_batch,
                                   per_class=training.per_class, steps=per_epoch, seed=seed)
    # A second model over the same layers is what trains: `model` itself stays uncompiled,
    # so the file it is cached in holds no optimizer state.
    trainer = keras.Model(model.inputs, model.outputs, name=f"{model.name}_trainer")
    trainer.compile(optimizer=keras.optimizers.Adam(training.learning_rate),
                    loss=BatchHardTripletLoss(training.margin, training.squared))
    epochs = -(-training.steps // per_epoch)
    history = trainer.fit(batches, epochs=epochs, verbose=verbose)
    return {"loss": float(history.history["loss"][-1]), "steps": epochs * per_epoch}


def embed(model, x, batch_size: int = 64) -> np.ndarray:
    """float32 [N, d]: `model` on `x` in inference mode (batch norm's moving statistics)."""
    x = np.asarray(x, np.float32)
    return np.concatenate([np.asarray(model(x[i:i + batch_size], training=False), np.float32)
                           for i in range(0, len(x), batch_size)])
