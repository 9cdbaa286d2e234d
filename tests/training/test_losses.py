"""Golden values for every loss pair on fixed logits, and the gradient penalty's closed form."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_avgan.training import losses

REAL = np.array([2.0, -1.0, 0.5, 0.0], "float32")
FAKE = np.array([-2.0, 1.0, 0.0, 3.0], "float32")


def _f(x):
    return float(keras.ops.convert_to_numpy(x))


def _softplus(t):
    return math.log1p(math.exp(t))


def test_wasserstein():
    # E[fake] - E[real] = 0.5 - 0.375; G: -E[fake]
    assert _f(losses.wasserstein_discriminator_loss(REAL, FAKE)) == pytest.approx(0.125)
    assert _f(losses.wasserstein_generator_loss(FAKE)) == pytest.approx(-0.5)


def test_nonsaturating_is_bce_from_logits():
    # BCE(real=1) = softplus(-t); BCE(fake=0) = softplus(t).
    d = (sum(_softplus(-t) for t in REAL) + sum(_softplus(t) for t in FAKE)) / 4
    g = sum(_softplus(-t) for t in FAKE) / 4
    # softplus(-real) = .12693 1.31326 .47408 .69315; softplus(fake) = .12693 1.31326 .69315 3.04859
    assert d == pytest.approx(1.9473345, abs=1e-6)
    assert _f(losses.nonsaturating_discriminator_loss(REAL, FAKE)) == pytest.approx(d, abs=1e-5)
    assert _f(losses.nonsaturating_generator_loss(FAKE)) == pytest.approx(g, abs=1e-5)
    assert g == pytest.approx(0.7954811, abs=1e-6)


def test_nonsaturating_is_stable_for_large_logits():
    big = np.array([80.0, -80.0, 80.0, -80.0], "float32")
    assert np.isfinite(_f(losses.nonsaturating_discriminator_loss(big, -big)))
    assert _f(losses.nonsaturating_generator_loss(-big)) == pytest.approx(40.0, abs=1e-4)


def test_least_squares():
    # D: mean((real-1)^2) + mean(fake^2) = (1+4+0.25+1)/4 + (4+1+0+9)/4 = 1.5625 + 3.5
    assert _f(losses.least_squares_discriminator_loss(REAL, FAKE)) == pytest.approx(5.0625)
    # G: mean((fake-1)^2) = (9+0+1+4)/4
    assert _f(losses.least_squares_generator_loss(FAKE)) == pytest.approx(3.5)


def test_hinge():
    # D: mean(relu(1-real)) + mean(relu(1+fake)) = (0+2+0.5+1)/4 + (0+2+1+4)/4
    assert _f(losses.hinge_discriminator_loss(REAL, FAKE)) == pytest.approx(0.875 + 1.75)
    assert _f(losses.hinge_generator_loss(FAKE)) == pytest.approx(-0.5)


def test_losses_table_and_float16_logits_give_float32():
    assert set(losses.LOSSES) == {"wgan-gp", "dcgan", "lsgan", "hinge"}
    assert [name for name, pair in losses.LOSSES.items() if pair[2]] == ["wgan-gp"]
    for g_loss, d_loss, _ in losses.LOSSES.values():
        assert d_loss(REAL.astype("float16"), FAKE.astype("float16")).dtype == "float32"
        assert g_loss(FAKE.astype("float16")).dtype == "float32"


def _linear_critic(w):
    w = tf.constant(w)
    return lambda x: tf.reduce_sum(tf.cast(x, w.dtype) * w, axis=[1, 2])[:, None]


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(6, 2)).astype("float32")
    real, fake = (rng.normal(size=(3, 6, 2)).astype("float32") for _ in range(2))
    alpha = rng.uniform(size=(3, 1, 1)).astype("float32")
    gp = _f(losses.gradient_penalty(_linear_critic(w), real, fake, alpha))
    assert gp == pytest.approx((np.linalg.norm(w) - 1.0) ** 2, rel=1e-5)


def test_r1_penalty_of_a_quadratic_critic_is_the_mean_squared_norm_of_the_data():
    # D(x) = sum(x^2) / 2 has gradient x, so R1 = E[||x||^2]: 1+4+9 and 0+0+16 -> 15.
    def critic(x):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2])[:, None]

    real = np.array([[[1.0], [2.0], [3.0]], [[0.0], [0.0], [4.0]]], "float32")
    assert _f(losses.r1_penalty(critic, real)) == pytest.approx(15.0, rel=1e-6)


def test_r1_penalty_of_a_float16_linear_critic_is_float32_and_has_no_slope_target():
    w = np.full((4, 1), 0.25, "float16")  # ||w||^2 = 0.25, not (||w|| - 1)^2 as WGAN-GP
    r1 = losses.r1_penalty(_linear_critic(w), np.ones((2, 4, 1), "float32"))
    assert r1.dtype == "float32" and _f(r1) == pytest.approx(0.25, rel=1e-3)


def test_gradient_penalty_is_float32_for_a_float16_critic():
    w = np.full((4, 1), 0.25, "float16")  # ||w|| = 0.5 -> GP = 0.25
    x = np.ones((2, 4, 1), "float32")
    gp = losses.gradient_penalty(_linear_critic(w), x, -x, np.full((2, 1, 1), 0.5, "float32"))
    assert gp.dtype == "float32" and _f(gp) == pytest.approx(0.25, rel=1e-3)


def test_gradient_penalty_gradient_is_finite_when_critic_gradient_is_zero():
    scale = tf.Variable(0.0)  # critic scale * sum(x): its input gradient is exactly 0

    def critic(x):
        return scale * tf.reduce_sum(x, axis=[1, 2])[:, None]

    x = np.ones((2, 3, 1), "float32")
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(critic, x, 2 * x, np.full((2, 1, 1), 0.3, "float32"))
    grad = tape.gradient(gp, scale)
    assert _f(gp) == pytest.approx(1.0, abs=1e-5)  # (sqrt(0 + eps) - 1)^2
    assert np.isfinite(_f(grad))


def test_least_squares_targets_are_configurable():
    # a = -1, b = 1: mean((real+1)^2) + mean((fake-1)^2) = (9+0+2.25+1)/4 + (9+0+1+4)/4
    d = losses.least_squares_discriminator_loss(REAL, FAKE, real_target=-1.0, fake_target=1.0)
    assert _f(d) == pytest.approx(3.0625 + 3.5)
    # c = 0: mean(fake^2) = (4+1+0+9)/4
    assert _f(losses.least_squares_generator_loss(FAKE, target=0.0)) == pytest.approx(3.5)


def test_gradient_penalty_uses_one_alpha_per_example():
    # D(x) = 0.5 * sum(x^2) has gradient x_hat = alpha * fake (real = 0), whose norm over
    # the 4 non-batch values of ones is 2 * alpha: GP = mean((2 * alpha - 1)^2).
    alpha = np.array([0.0, 0.5, 1.0], "float32").reshape(3, 1, 1)
    fake = np.ones((3, 2, 2), "float32")

    def critic(x):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2])[:, None]

    gp = losses.gradient_penalty(critic, np.zeros_like(fake), fake, alpha)
    assert _f(gp) == pytest.approx((1.0 + 0.0 + 1.0) / 3, abs=1e-6)


def test_unknown_loss_names_the_valid_ones():
    with pytest.raises(ValueError, match="wgan-gp"):
        losses.get_loss("wgan")
