"""GAN losses on discriminator logits, in generator/discriminator pairs, and the gradient penalty.

Every function takes raw logits (no sigmoid anywhere: the BCE pair uses the stable
softplus form) and returns a float32 scalar, whatever dtype the logits came in.
E below is the batch mean.
"""

from typing import Callable, NamedTuple

import keras
import tensorflow as tf

GP_EPSILON = 1e-12  # inside the sqrt: a zero gradient would otherwise give NaN gradients


def _mean(x):
    return keras.ops.mean(keras.ops.cast(x, "float32"))


# WGAN (WaveGAN, SpecGAN): the critic's logit estimates the Wasserstein distance.
def wasserstein_discriminator_loss(real_logits, fake_logits):
    """E[D(G(z))] - E[D(x)]."""
    return _mean(fake_logits) - _mean(real_logits)


def wasserstein_generator_loss(fake_logits):
    """-E[D(G(z))]."""
    return -_mean(fake_logits)


# Non-saturating / binary cross-entropy (DCGAN). -log sigmoid(t) == softplus(-t).
def nonsaturating_discriminator_loss(real_logits, fake_logits):
    """BCE(D(x), real) + BCE(D(G(z)), fake)."""
    real = keras.ops.cast(real_logits, "float32")
    fake = keras.ops.cast(fake_logits, "float32")
    return _mean(keras.ops.softplus(-real)) + _mean(keras.ops.softplus(fake))


def nonsaturating_generator_loss(fake_logits):
    """BCE(D(G(z)), real): the generator maximises log D(G(z)) instead of minimising
    log(1 - D(G(z))), which saturates when D wins early."""
    return _mean(keras.ops.softplus(-keras.ops.cast(fake_logits, "float32")))


# Least squares (LSGAN, Wav2Pix): targets a (real), b (fake) for D and c for G. The LSGAN
# paper halves both terms; with Adam that only rescales the loss, so we use the plain sums.
def least_squares_discriminator_loss(real_logits, fake_logits, real_target=1.0,
                                     fake_target=0.0):
    """E[(D(x) - a)^2] + E[(D(G(z)) - b)^2]."""
    real = keras.ops.cast(real_logits, "float32")
    fake = keras.ops.cast(fake_logits, "float32")
    return _mean(keras.ops.square(real - real_target)) + _mean(keras.ops.square(fake - fake_target))


def least_squares_generator_loss(fake_logits, target=1.0):
    """E[(D(G(z)) - c)^2]."""
    return _mean(keras.ops.square(keras.ops.cast(fake_logits, "float32") - target))


# Hinge (SAGAN-style; face-to-music).
def hinge_discriminator_loss(real_logits, fake_logits):
    """E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]."""
    real = keras.ops.cast(real_logits, "float32")
    fake = keras.ops.cast(fake_logits, "float32")
    return _mean(keras.ops.relu(1.0 - real)) + _mean(keras.ops.relu(1.0 + fake))


def hinge_generator_loss(fake_logits):
    """-E[D(G(z))]."""
    return -_mean(fake_logits)


def gradient_penalty(critic_fn: Callable, real, fake, alpha):
    """E[(||grad_x D(x_hat)||_2 - 1)^2] with x_hat = real + alpha * (fake - real).

    `real` and `fake` are tensors or matching dicts of tensors (a generator with several
    outputs): every part of an example is interpolated with the same alpha, and the norm is
    over all of them. `alpha` is drawn by the caller, U[0, 1] with one value per example
    ([B] or [B, 1, ...]), so the caller's seeded generator decides it. Everything here is
    float32 even when the critic computes in float16/bfloat16: the interpolates are float32,
    the critic casts them itself, and its gradient is cast back before the norm. Call it
    inside the tape that differentiates the discriminator loss (second order).
    """
    alpha = keras.ops.reshape(keras.ops.cast(alpha, "float32"), (-1,))

    def interpolate(r, f):
        r, f = keras.ops.cast(r, "float32"), keras.ops.cast(f, "float32")
        weight = keras.ops.reshape(alpha, (-1,) + (1,) * (len(r.shape) - 1))
        return r + weight * (f - r)

    x_hat = tf.nest.map_structure(interpolate, real, fake)
    norms = keras.ops.sqrt(_squared_input_gradient_norms(critic_fn, x_hat) + GP_EPSILON)
    return _mean(keras.ops.square(norms - 1.0))


def r1_penalty(critic_fn: Callable, real):
    """E[||grad_x D(x)||_2^2] on real examples (Mescheder et al. 2018, "R1").

    A zero-centred penalty: it pushes the critic flat on the data rather than to slope 1
    between real and fake, as WGAN-GP does. The caller weighs it by gamma / 2. float32
    throughout, as `gradient_penalty`; call it inside the tape of the discriminator loss.
    """
    real = tf.nest.map_structure(lambda r: keras.ops.cast(r, "float32"), real)
    return _mean(_squared_input_gradient_norms(critic_fn, real))


def _squared_input_gradient_norms(critic_fn: Callable, x):
    """||grad_x D(x)||_2^2 per example (over all non-batch axes of every part of x), float32:
    the critic casts x to its own compute dtype, and its gradient is cast back first."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = keras.ops.cast(critic_fn(x), "float32")
    return squared_norms(tape.gradient(logits, x))


def squared_norms(gradients):
    """||g||_2^2 per example over all non-batch axes of every part of `gradients`, float32."""
    return sum(keras.ops.sum(keras.ops.square(keras.ops.cast(g, "float32")),
                             axis=tuple(range(1, len(g.shape))))
               for g in tf.nest.flatten(gradients))


def mean_squared_norm(gradients):
    """R1 from input gradients already taken: the mean over examples of `squared_norms`."""
    return _mean(squared_norms(gradients))


class GANLoss(NamedTuple):
    generator: Callable  # fake_logits -> scalar
    discriminator: Callable  # (real_logits, fake_logits) -> scalar
    uses_gradient_penalty: bool  # the pair is WGAN-GP's: the critic needs the penalty


# Recipe `loss` names (recipes.LOSSES) -> loss pair. WaveGAN's `wgan` with weight clipping
# is not offered: WGAN-GP replaces it.
LOSSES = {
    "wgan-gp": GANLoss(wasserstein_generator_loss, wasserstein_discriminator_loss, True),
    "dcgan": GANLoss(nonsaturating_generator_loss, nonsaturating_discriminator_loss, False),
    "lsgan": GANLoss(least_squares_generator_loss, least_squares_discriminator_loss, False),
    "hinge": GANLoss(hinge_generator_loss, hinge_discriminator_loss, False),
}


# The critic's loss on fakes alone, per loss: what a real example shown as a fake pair
# (a mismatched pair, GAN-CLS) adds to it.
FAKE_HALVES = {
    "wgan-gp": lambda logits: _mean(logits),
    "dcgan": lambda logits: _mean(keras.ops.softplus(keras.ops.cast(logits, "float32"))),
    "lsgan": lambda logits: _mean(keras.ops.square(keras.ops.cast(logits, "float32"))),
    "hinge": lambda logits: _mean(keras.ops.relu(1.0 + keras.ops.cast(logits, "float32"))),
}


def get_loss(name: str) -> GANLoss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(
            f"unknown loss {name!r}; valid names: {', '.join(sorted(LOSSES))}"
        ) from None
