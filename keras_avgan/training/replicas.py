"""Inside a train step: which share of the global batch this replica trains on.

Under a tf.distribute strategy each replica runs the step on its own rows of every chunk
(`distribute.py` deals them out). Random draws are made for the GLOBAL batch, from the
GAN's SeedGenerator, whose state every replica holds alike, and each replica keeps its own
rows of the draw: so replica r's latents and penalty weights are the rows that one device
would have drawn for those examples, and N replicas train as one device on the global batch
(up to float rounding in the gradient all-reduce). With no strategy (or one replica) every
function here is the identity, and the one-device step is unchanged, bit for bit.
"""

import tensorflow as tf


def count() -> int:
    """Replicas in sync: 1 outside a strategy."""
    context = tf.distribute.get_replica_context()
    return 1 if context is None else context.num_replicas_in_sync


def own_rows(tensor):
    """This replica's contiguous rows of a tensor made for the global batch (rows divisible
    by the replica count): replica r of N keeps rows [r * n, (r + 1) * n), n = rows / N."""
    total = count()
    if total == 1:
        return tensor
    index = tf.distribute.get_replica_context().replica_id_in_sync_group
    rows = tf.shape(tensor)[0] // total
    return tensor[index * rows:(index + 1) * rows]


def gather(tensor):
    """Every replica's rows of `tensor`, replica after replica (all_gather on axis 0)."""
    if count() == 1:
        return tensor
    return tf.distribute.get_replica_context().all_gather(tensor, axis=0)
