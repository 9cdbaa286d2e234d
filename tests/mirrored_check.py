"""Run as a script with KERAS_AVGAN_CPU_DEVICES=2: a tiny GAN with every part a replica
treats apart (class conditions drawn for the G update, batch norm in both networks, an
auxiliary classifier, a moving average of G) trains 2 steps on one device and under
--strategy mirrored on two logical CPUs; prints the largest difference of any variable and
of any metric as JSON. (A script: the logical devices must exist before TF starts.)

No R1 here: with batch norm in the critic its second-order gradients differ by design
(docs/distributed.md); the wavegan run of the test covers WGAN-GP's penalty."""

import json

import keras
import numpy as np
import tensorflow as tf

from keras_avgan.training import distribute
from keras_avgan.training.gan import GAN
from keras_avgan.training.terms import AuxiliaryClassifier

CLASSES, LATENT, ROWS, D_STEPS = 3, 3, 8, 2  # 2 chunks of 8: 4 rows each per replica


def dense(h):
    # No bias before batch norm (as DCGAN): its gradient is 0 but for rounding, which Adam
    # would blow up to whole steps that differ between any two summation orders.
    return keras.layers.Dense(8, use_bias=False)(h)


def networks(with_ema: bool):
    def generator():
        z, label = keras.Input((LATENT,)), keras.Input((), dtype="int32")
        h = keras.layers.Concatenate()([z, keras.layers.Embedding(CLASSES, 2)(label)])
        h = keras.layers.ReLU()(keras.layers.BatchNormalization()(dense(h)))
        return keras.Model([z, label], keras.layers.Dense(2)(h))

    x, label = keras.Input((2,)), keras.Input((), dtype="int32")
    h = keras.layers.Concatenate()([x, keras.layers.Embedding(CLASSES, 2)(label)])
    # A layer before the batch norm: right after it, D would not see a shift of all of
    # G's outputs, and the gradient of G's last bias would be rounding alone.
    h = keras.layers.Dense(8, activation="tanh")(h)
    h = keras.layers.LeakyReLU(0.2)(keras.layers.BatchNormalization()(dense(h)))
    critic = keras.Model([x, label], {"logit": keras.layers.Dense(1)(h),
                                      "classes": keras.layers.Dense(CLASSES)(h)})
    return generator(), critic, (generator() if with_ema else None)


def tiny_gan():
    keras.utils.set_random_seed(0)
    g, d, ema = networks(True)
    gan = GAN(g, d, latent_dim=LATENT, loss="dcgan", d_steps=D_STEPS, conditions=("label",),
              critic_conditions=("label",), terms=[AuxiliaryClassifier("label")],
              seed=3, generator_ema=ema, ema_decay=0.9)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    return gan


def batches():
    rng = np.random.default_rng(0)
    for _ in range(2):
        yield {"x": tf.constant(rng.normal(size=(ROWS * D_STEPS, 2)).astype("float32")),
               "label": tf.constant(rng.integers(0, CLASSES, ROWS * D_STEPS), tf.int32)}


def train(placement):
    with placement.strategy.scope():
        gan = tiny_gan()
    distribute.synchronize_batch_norm(placement, gan.generator, gan.discriminator,
                                      gan.generator_ema)
    step = distribute.step_function(placement, gan.train_step, jit=False, d_steps=D_STEPS)
    logs = []
    for batch in batches():
        for metric in gan.metrics:
            metric.reset_state()
        logs.append({k: float(v) for k, v in step(batch).items()})
    state = gan.weights + gan.d_optimizer.variables + gan.g_optimizer.variables
    return [np.asarray(v) for v in state], logs


def main():
    one, one_logs = train(distribute.place("default"))
    placement = distribute.place("mirrored")
    two, two_logs = train(placement)
    keras.utils.set_random_seed(0)
    start = [np.asarray(v) for v in tiny_gan().weights]
    print(json.dumps({
        "replicas": placement.replicas,
        "variables": len(one),
        "weights": max(float(np.max(np.abs(a - b))) if a.size else 0.0
                       for a, b in zip(one, two, strict=True)),
        "moved": max(float(np.max(np.abs(a - b))) if a.size else 0.0
                     for a, b in zip(one[:len(start)], start, strict=True)),
        "metrics": max(abs(a[k] - b[k]) for a, b in zip(one_logs, two_logs, strict=True)
                       for k in a),
    }))


if __name__ == "__main__":
    main()
