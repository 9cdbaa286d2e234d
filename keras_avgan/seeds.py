"""Random state that travels with checkpoints."""

import tensorflow as tf


def checkpointed_seed(seed_generator):
    """A TF trackable holding a keras SeedGenerator's state, for `tf.train.Checkpoint`.

    A SeedGenerator is not a TF trackable, so a restored run would otherwise draw different
    random numbers than the run that saved it. Assigning the state variable itself as a layer
    attribute would make Keras count it as a weight (changing parameter counts); a tf.Module
    holding it is checkpointed by TF and ignored by Keras' own tracking.
    """
    holder = tf.Module()
    holder.state = seed_generator.state
    return holder
