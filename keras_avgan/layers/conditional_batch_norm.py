"""Conditional batch normalisation (de Vries et al. 2017; Miyato & Koyama 2018): batch norm
whose scale and offset are looked up by class, so one generator can shape its features
differently for each class (face-to-music: each pitch) without the class entering as an
input vector."""

import keras


@keras.saving.register_keras_serializable(package="keras_avgan")
class ConditionalBatchNorm(keras.layers.Layer):
    """[x [B, ..., C], class ids [B]] -> gamma[id] * BN(x) + beta[id], with gamma starting
    at 1 and beta at 0 for every class (plain batch norm at the start)."""

    def __init__(self, num_classes: int, momentum: float = 0.99, epsilon: float = 1e-3,
                 **kwargs):
        super().__init__(**kwargs)
        if num_classes < 1:
            raise ValueError(f"num_classes must be at least 1, got {num_classes}")
        self.num_classes, self.momentum, self.epsilon = int(num_classes), momentum, epsilon
        # The shared normalisation has no affine part: the class's own replaces it.
        self.norm = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon,
                                                    center=False, scale=False, name="norm")

    def build(self, input_shape):
        x_shape = tuple(input_shape[0])
        self.norm.build(x_shape)
        rows = (self.num_classes, x_shape[-1])  # one scale and offset per class and channel
        self.gamma = self.add_weight(shape=rows, initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=rows, initializer="zeros", name="beta")
        self.built = True

    def call(self, inputs, training=False):
        x, label = inputs
        label = keras.ops.cast(keras.ops.reshape(label, (-1,)), "int32")
        normed = self.norm(x, training=training)
        # [B, C] -> [B, 1, ..., 1, C]: the same scale and offset at every position.
        expand = (-1,) + (1,) * (len(x.shape) - 2) + (x.shape[-1],)
        gamma = keras.ops.reshape(keras.ops.cast(keras.ops.take(self.gamma, label, axis=0),
                                                 normed.dtype), expand)
        beta = keras.ops.reshape(keras.ops.cast(keras.ops.take(self.beta, label, axis=0),
                                                normed.dtype), expand)
        return normed * gamma + beta

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "momentum": self.momentum, "epsilon": self.epsilon}
