"""A generator together with what turns its output into sound: latents (and class ids) in,
clips out. Previews, `generate`, `evaluate` and best-checkpoint selection all go through it,
so every recipe's samples reach them as audio [B, T] whatever the networks make."""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from keras_avgan.conditions import Conditions


@dataclass
class Synthesized:
    audio: np.ndarray  # [B, T] float32
    outputs: np.ndarray  # the generator's own output (waveform or spectrogram)
    ids: np.ndarray | None  # class ids used, for conditional generators


class Synthesizer:
    def __init__(self, generator, representation, conditions: Conditions | None = None,
                 batch_size: int = 32):
        self.generator, self.representation = generator, representation
        self.conditions, self.batch_size = conditions, batch_size
        # One traced graph per batch shape: Griffin-Lim unrolls, eager would be slow.
        self._to_audio = tf.function(representation.to_audio)

    @property
    def conditional(self) -> bool:
        return self.conditions is not None

    def __call__(self, z, ids=None) -> Synthesized:
        z = np.asarray(z, np.float32)
        if self.conditional and ids is None:
            ids = self.conditions.cycle(len(z))
        outputs, clips = [], []
        for i in range(0, len(z), self.batch_size):
            batch = tf.constant(z[i:i + self.batch_size])
            inputs = [batch, tf.constant(ids[i:i + self.batch_size], tf.int32)] \
                if self.conditional else batch
            out = tf.cast(self.generator(inputs, training=False), tf.float32)
            outputs.append(out.numpy())
            clips.append(self._to_audio(out).numpy())
        return Synthesized(np.concatenate(clips), np.concatenate(outputs),
                           None if ids is None else np.asarray(ids, np.int32))
