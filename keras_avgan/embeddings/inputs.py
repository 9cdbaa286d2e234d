"""What the embeddings train on: examples and their integer class ids, as numpy arrays,
from arrays or from a tf.data.Dataset of (example, id) elements (batched or not)."""

import numpy as np
import tensorflow as tf


def labelled_arrays(examples, labels=None, *, kind: str, shape: tuple):
    """(float32 examples [N, *shape], int32 ids [N]) with each class re-numbered 0..K-1 in
    order of its id. `examples` is an array with `labels` beside it, or a dataset of
    (example, id) pairs with labels=None. A None in `shape` takes any size."""
    if isinstance(examples, tf.data.Dataset):
        if labels is not None:
            raise ValueError("pass a dataset of (example, id) pairs, and no labels beside it")
        xs, ys = [], []
        for x, y in examples.as_numpy_iterator():
            batched = np.ndim(y) > 0
            xs.append(x if batched else x[None])
            ys.append(np.reshape(y, -1))
        examples, labels = (np.concatenate(xs), np.concatenate(ys)) if xs else ([], [])
    x = np.asarray(examples, np.float32)
    y = np.asarray(labels).reshape(-1)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need one class id per {kind} example, got {len(x)} examples and "
                         f"{len(y)} ids")
    if x.ndim != 1 + len(shape) or any(s is not None and d != s
                                       for d, s in zip(x.shape[1:], shape, strict=True)):
        raise ValueError(f"{kind} examples must have shape [N, "
                         f"{', '.join('any' if s is None else str(s) for s in shape)}], got "
                         f"{list(x.shape)}")
    if not np.all(np.isfinite(x)) or np.abs(x).max() > 1.0 + 1e-4:
        raise ValueError(f"{kind} examples must be finite and within [-1, 1]; got "
                         f"[{x.min():.3g}, {x.max():.3g}]")
    _, ids = np.unique(y, return_inverse=True)
    return x, ids.astype(np.int32)
