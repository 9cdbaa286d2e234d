"""Minibatch standard deviation (Karras et al. 2018, PGGAN): a critic feature saying how much
the examples of a small group differ, so a generator that makes one sound over and over is
easy to tell apart from data, which varies.

Groups are `group_size` CONSECUTIVE rows. The GAN step runs the critic on concat([real, fake])
with B rows each; with B a multiple of the group size no group mixes real and fake, which
would hand the critic the answer. (PGGAN groups strided rows, which would mix them here.)
"""

import keras


@keras.saving.register_keras_serializable(package="keras_avgan")
class MinibatchStddev(keras.layers.Layer):
    """[B, ..., C] -> [B, ..., C + 1]: the group's mean feature std as one more channel."""

    def __init__(self, group_size: int = 4, **kwargs):
        super().__init__(**kwargs)
        if group_size < 2:
            raise ValueError(f"group_size must be at least 2, got {group_size}")
        self.group_size = int(group_size)

    def call(self, x):
        shape = keras.ops.shape(x)
        batch = shape[0]
        group = keras.ops.minimum(self.group_size, batch)
        grouped = keras.ops.reshape(x, (-1, group, *x.shape[1:]))
        std = keras.ops.sqrt(keras.ops.var(keras.ops.cast(grouped, "float32"), axis=1) + 1e-8)
        per_group = keras.ops.mean(std, axis=tuple(range(1, len(x.shape))), keepdims=True)
        feature = keras.ops.repeat(per_group, group, axis=0)  # [B, 1, ..., 1]
        feature = keras.ops.broadcast_to(feature, (*shape[:-1], 1))
        return keras.ops.concatenate([x, keras.ops.cast(feature, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}
