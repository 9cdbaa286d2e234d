"""Training and reading the judges (networks/judge.py builds them; a modality picks the
front end): fit on labelled examples, then read activations and logits, from a Keras model or
from a SavedModel a user supplies.
"""

import weakref
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_avgan.errors import UserError
from keras_avgan.keras_files import load_keras_file
from keras_avgan.networks.judge import EMBEDDING, LOGITS


class _ArrayBatches(keras.utils.PyDataset):
    """Shuffled batches of in-memory arrays, reshuffled each epoch from a seeded generator,
    so training is repeatable without touching the global random state."""

    def __init__(self, x, y, batch_size: int, seed: int):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(x))

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        rows = np.sort(self.order[index * self.batch_size:(index + 1) * self.batch_size])
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.x))


def _labelled(x, y, batch_size: int, seed: int):
    """Numpy arrays become a shuffled PyDataset; a tf.data.Dataset or PyDataset of (x, y)
    batches (y=None) passes through."""
    if y is None:
        return x
    x, y = np.asarray(x, np.float32), np.asarray(y, np.int32).reshape(-1)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need as many labels as examples, got {len(x)} and {len(y)}")
    return _ArrayBatches(x, y, batch_size, seed)


def _validation(x_val, y_val):
    """None when there is nothing to validate on (a small dataset can hold out no file)."""
    if x_val is None or (y_val is not None and len(y_val) == 0):
        return None
    if y_val is None:
        return x_val
    return np.asarray(x_val, np.float32), np.asarray(y_val, np.int32).reshape(-1)


def train_classifier(model: keras.Model, x_train, y_train=None, x_val=None, y_val=None, *,
                     epochs: int = 30, batch_size: int = 32, learning_rate: float = 1e-3,
                     patience: int = 8, seed: int = 0, verbose: int = 0) -> dict:
    """Fit on (x_train, y_train) with integer labels, keep the weights with the lowest
    validation loss, and return their accuracies. Pass datasets of (x, y) as x_train and
    x_val with y_train=y_val=None. Without validation data (None or empty) the final weights
    are kept and val_accuracy is NaN.

    The reported val_accuracy belongs to the epoch chosen on that same data, so it is a
    little optimistic; it only needs to show the classifier is good enough to score with.
    """
    train = _labelled(x_train, y_train, batch_size, seed)
    val = _validation(x_val, y_val)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    callbacks = [] if val is None else [keras.callbacks.EarlyStopping(
        "val_loss", patience=patience, restore_best_weights=True)]
    history = model.fit(train, validation_data=val, epochs=epochs, callbacks=callbacks,
                        verbose=verbose)
    result = {"epochs": len(history.history["loss"]),
              "train_accuracy": float(history.history["accuracy"][-1]),
              "val_accuracy": float("nan"), "val_loss": float("nan")}
    if val is not None:
        scores = (model.evaluate(val, verbose=0, return_dict=True) if y_val is None else
                  model.evaluate(*val, batch_size=batch_size, verbose=0, return_dict=True))
        result.update(val_accuracy=float(scores["accuracy"]), val_loss=float(scores["loss"]))
    return result


# --- outputs ------------------------------------------------------------------------------

_EMBEDDERS = weakref.WeakKeyDictionary()  # model -> its two-output view, built once


def _embedder(model: keras.Model) -> keras.Model:
    if model not in _EMBEDDERS:
        try:
            embedding = model.get_layer(EMBEDDING).output
        except ValueError as error:
            raise ValueError(f"model '{model.name}' has no '{EMBEDDING}' layer; build it "
                             "with a modality's build_judge") from error
        _EMBEDDERS[model] = keras.Model(model.input, [embedding, model.output])
    return _EMBEDDERS[model]


def embed_and_logits(model, x):
    """(activations, logits) for one batch, in inference mode (BN statistics, no dropout)."""
    if isinstance(model, SavedModelClassifier):
        return model(x)
    activations, logits = _embedder(model)(x, training=False)
    return activations, logits


def classifier_outputs(model, inputs, batch_size: int = 64):
    """(activations [N, E], logits [N, K]) as float32 numpy for an array of inputs
    ([N, T, 1] audio or [N, H, W, 3] images), computed batch by batch."""
    inputs = np.asarray(inputs, np.float32)
    if len(inputs) == 0:
        raise ValueError("classifier_outputs needs at least one input")
    acts, logits = [], []
    for start in range(0, len(inputs), batch_size):
        a, b = embed_and_logits(model, inputs[start:start + batch_size])
        acts.append(np.asarray(a, np.float32))
        logits.append(np.asarray(b, np.float32))
    return np.concatenate(acts), np.concatenate(logits)


# --- files --------------------------------------------------------------------------------

class SavedModelClassifier:
    """A classifier exported as a SavedModel; calling it gives (activations, logits).

    Uses the `serving_default` signature. Outputs named 'embedding' and 'logits' (as written
    by export_classifier) are used as such; a signature with a single output is taken as
    the logits and also serves as the activations, the best a foreign model can offer.
    """

    def __init__(self, directory: str):
        self.loaded = tf.saved_model.load(directory)
        if "serving_default" not in self.loaded.signatures:
            raise UserError(f"{directory}: the SavedModel has no 'serving_default' signature")
        self.signature = self.loaded.signatures["serving_default"]
        self.input_name = next(iter(self.signature.structured_input_signature[1]))
        outputs = sorted(self.signature.structured_outputs)
        if {EMBEDDING, LOGITS} <= set(outputs):
            self.names = (EMBEDDING, LOGITS)
        elif len(outputs) == 1:
            self.names = (outputs[0], outputs[0])
        else:
            raise UserError(f"{directory}: cannot tell activations from logits among the "
                            f"outputs {outputs}; expected 'embedding' and 'logits'")

    def __call__(self, x):
        outputs = self.signature(**{self.input_name: tf.convert_to_tensor(x, tf.float32)})
        return outputs[self.names[0]], outputs[self.names[1]]


def save_classifier(model: keras.Model, path: str) -> None:
    """Write a `.keras` file (architecture, weights; the log-mel layer is registered)."""
    if not str(path).endswith(".keras"):
        raise ValueError(f"save_classifier writes .keras files, got {path}")
    model.save(str(path))


def export_classifier(model: keras.Model, directory: str) -> None:
    """Write a SavedModel whose serving_default returns {'embedding', 'logits'}."""
    embedding, logits = _embedder(model).outputs
    named = keras.Model(model.input, {EMBEDDING: embedding, LOGITS: logits})
    named.export(str(directory), format="tf_saved_model", verbose=False)


def load_classifier(path: str):
    """A `.keras` file -> keras.Model; a SavedModel directory -> SavedModelClassifier.
    Either works with embed_and_logits and classifier_outputs."""
    location = Path(path)
    if location.is_dir() and (location / "saved_model.pb").is_file():
        return SavedModelClassifier(str(location))
    if location.is_file() and location.suffix == ".keras":
        return _load_keras_file(location)
    raise UserError(f"{path}: expected a .keras classifier file or a SavedModel directory "
                    "(with saved_model.pb)")


def _load_keras_file(location: Path) -> keras.Model:
    return load_keras_file(location, f"--classifier {location}")
