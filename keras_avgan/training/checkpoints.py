"""Checkpoints that make a killed run resume exactly.

One tf.train.Checkpoint holds the GAN (both networks, both optimizers with their slots, the
GAN's SeedGenerator state), the step counter and the tf.data iterator (its position and
shuffle buffers). CheckpointManager writes the data files first and the `checkpoint` index
last through a rename, so a kill mid-save leaves the previous checkpoint as the latest.
"""

from pathlib import Path

import tensorflow as tf


class RunCheckpoint:
    def __init__(self, directory: Path, gan, iterator=None, max_to_keep: int = 3):
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        objects = {"gan": gan, "step": self.step}
        if iterator is not None:
            objects["iterator"] = iterator
        self.checkpoint = tf.train.Checkpoint(**objects)
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, str(directory), max_to_keep=max_to_keep, checkpoint_name="ckpt"
        )

    @property
    def latest(self) -> str | None:
        return self.manager.latest_checkpoint

    def restore_latest(self) -> int:
        """Restore the newest checkpoint if there is one; returns the step it holds."""
        if self.latest:
            self.checkpoint.restore(self.latest).assert_existing_objects_matched()
        return int(self.step.numpy())

    def save(self, step: int) -> str:
        self.step.assign(step)
        return self.manager.save(checkpoint_number=step)


def restore_weights(gan, path: str) -> None:
    """Restore only the networks' weights (generation, export): optimizers and data are ignored."""
    tf.train.Checkpoint(gan=gan).restore(path).expect_partial()


def latest_in(directory: Path) -> str | None:
    return tf.train.latest_checkpoint(str(directory)) if directory.is_dir() else None
