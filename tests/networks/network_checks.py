"""Checks every generator/critic pair gets: config round trip, a TF checkpoint holding every
weight, float32 samples and logits under mixed bfloat16, and one finite training step."""

import keras
import numpy as np
from model_state import assert_checkpoint_restores_every_weight

from keras_avgan.training import precision
from keras_avgan.training.gan import GAN


def assert_config_round_trip(net, x):
    """from_config(get_config()) with the same weights computes the same outputs."""
    clone = net.__class__.from_config(net.get_config())
    clone.set_weights(net.get_weights())
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(net(x)), rtol=1e-5, atol=1e-6)


def assert_checkpointed(build, tmp_path):
    """Two builds with other weights: a checkpoint of one restores into the other exactly."""
    keras.utils.set_random_seed(1)
    first = build()
    keras.utils.set_random_seed(2)
    assert_checkpoint_restores_every_weight(first, build(), tmp_path)


def assert_bfloat16_keeps_outputs_float32(build_pair, z):
    """Under mixed bfloat16 the layers compute in bfloat16, samples and logits stay float32."""
    precision.set_precision("bfloat16")
    try:
        generator, critic = build_pair()
        x = generator(z)
        assert x.dtype == "float32" and critic(x).dtype == "float32"
        assert "bfloat16" in {layer.compute_dtype for layer in generator.layers}
    finally:
        precision.set_precision("off")


def assert_one_step_trains(generator, critic, real, **gan_kwargs):
    """One train step on the pair: finite losses, both optimizers stepped, D weights moved."""
    gan = GAN(generator, critic, latent_dim=generator.latent_dim, seed=0,
              **gan_kwargs)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    before = [np.array(w) for w in critic.trainable_weights]
    logs = {k: float(v) for k, v in gan.train_step(real).items()}
    assert all(np.isfinite(v) for v in logs.values()), logs
    assert int(gan.g_optimizer.iterations) == 1
    assert any(not np.array_equal(b, np.array(w)) for b, w in
               zip(before, critic.trainable_weights, strict=True))
    return logs
