"""A generator together with what publishes its output: latents (and class ids) in,
published examples out. Previews, `generate`, `evaluate` and best-checkpoint selection all go
through it, so every recipe's samples reach them in the published view (audio [B, T] in
[-1, 1], images [B, H, W, 3] in [0, 1]) whatever the networks make."""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from keras_avgan.modalities.conditions import Conditions


@dataclass
class Made:
    outputs: dict  # output name -> published float32 array with a batch axis
    raw: object  # the generator's own output (a waveform, spectrogram, image, or a dict)
    ids: np.ndarray | None  # class ids used, for conditional generators

    def __getitem__(self, name: str) -> np.ndarray:
        return self.outputs[name]


class Sampler:
    def __init__(self, generator, renderer, conditions: Conditions | None = None,
                 batch_size: int = 32):
        self.generator, self.renderer = generator, renderer
        self.conditions, self.batch_size = conditions, batch_size
        # One traced graph per batch shape: Griffin-Lim unrolls, eager would be slow.
        self._publish = tf.function(renderer.publish)

    @property
    def conditional(self) -> bool:
        return self.conditions is not None

    def __call__(self, z, ids=None) -> Made:
        """Published examples of latents `z` (and class ids), or of a tuple of the
        generator's inputs given whole (face-to-music's z, face vectors and pitch ids)."""
        given = isinstance(z, tuple)
        parts = [np.asarray(p) for p in z] if given else [np.asarray(z, np.float32)]
        if self.conditional and ids is None and not given:
            ids = self.conditions.cycle(len(parts[0]))
        raws, published = [], []
        for i in range(0, len(parts[0]), self.batch_size):
            batch = [tf.constant(p[i:i + self.batch_size]) for p in parts]
            if given:
                inputs = batch
            elif self.conditional:
                inputs = [batch[0], tf.constant(ids[i:i + self.batch_size], tf.int32)]
            else:
                inputs = batch[0]
            out = self.generator(inputs, training=False)
            raws.append(tf.nest.map_structure(lambda t: tf.cast(t, tf.float32).numpy(), out))
            published.append({k: v.numpy() for k, v in self._publish(out).items()})
        return Made({k: np.concatenate([p[k] for p in published]) for k in published[0]},
                    tf.nest.map_structure(lambda *parts: np.concatenate(parts), *raws),
                    None if ids is None else np.asarray(ids, np.int32))
