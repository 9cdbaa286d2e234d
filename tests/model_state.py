"""State checks shared by the GAN and network tests (imported by name: tests/ is on sys.path)."""

from pathlib import Path

import numpy as np
import tensorflow as tf


def checkpoint_values(run_dir) -> dict:
    """Every tensor of a run's newest checkpoint but the iterator's serialized state and the
    save counter: what two runs that trained the same steps must agree on."""
    reader = tf.train.load_checkpoint(str(Path(run_dir) / "checkpoints"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "iterator" not in name and "save_counter" not in name}


def gan_state(gan) -> list:
    """All state a resumed run needs: weights, seed states, both optimizers, the GAN's seed."""
    variables = (gan.generator.variables + gan.discriminator.variables
                 + gan.d_optimizer.variables + gan.g_optimizer.variables
                 + [gan.seed_generator.state])
    return [np.array(v) for v in variables]


def assert_same(left, right):
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        np.testing.assert_array_equal(a, b)


def assert_checkpoint_restores_every_weight(model, other, tmp_path):
    """`model` saved with tf.train.Checkpoint restores into `other` (same architecture, other
    weights) with nothing left over, weight for weight."""
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    tf.train.Checkpoint(model=other).restore(path).assert_consumed()
    assert_same([np.asarray(w) for w in model.weights], [np.asarray(w) for w in other.weights])
