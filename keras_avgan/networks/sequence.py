"""A network that is a fixed sequence of its own layers, built without a forward pass."""

import keras


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
