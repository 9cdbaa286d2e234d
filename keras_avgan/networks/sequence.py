"""A network that is a fixed sequence of its own layers, built without a forward pass."""

import keras

from keras_avgan.layers.minibatch_stddev import MinibatchStddev


def build_in_order(layers, input_shape):
    """Build each layer for the shape the previous one produces (no forward pass needed)."""
    shape = tuple(input_shape)
    for layer in layers:
        if not layer.built:
            layer.build(shape)
        shape = tuple(layer.compute_output_shape(shape))
    return shape


class SequenceModel(keras.Model):
    """Subclasses keep each layer as an attribute (tf.train.Checkpoint skips plain lists) and
    list them, in order, from `_sequence()`; `sample_shape` is the output without batch."""

    def _sequence(self):
        raise NotImplementedError

    def build(self, input_shape):
        build_in_order(self._sequence(), input_shape)
        self.built = True

    def call(self, inputs, training=False):
        x = inputs
        for layer in self._sequence():
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.sample_shape)


class CriticSequence(SequenceModel):
    """A critic whose sequence ends in one float32 logit per example: [optional minibatch
    stddev], flatten, linear Dense(1). Subclasses call `_add_head` in __init__ and end their
    `_sequence()` with `self._head()`."""

    sample_shape = (1,)  # one critic logit per example

    def _add_head(self, minibatch_stddev: int) -> None:
        self.minibatch_stddev = minibatch_stddev
        if minibatch_stddev:  # not in WaveGAN/SpecGAN: an option against dropped modes
            self.stddev = MinibatchStddev(minibatch_stddev, name="minibatch_stddev")
        self.flatten = keras.layers.Flatten(name="flatten")
        self.logit = keras.layers.Dense(1, dtype="float32", name="logit")

    def _head(self) -> list:
        return ([self.stddev] if self.minibatch_stddev else []) + [self.flatten, self.logit]
