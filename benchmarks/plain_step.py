"""What a user would write instead of the project: keras.io's GAN steps, one tf.GradientTape
per network, on the same generator and critic, to time against the project's train step.

The WaveGAN step is keras.io's WGAN-GP example (`d_steps` critic updates, the critic called
on the real and the fake batch separately, the penalty on interpolates, then one generator
update); the DCGAN one is its DCGAN example's non-saturating loss with the critic called on
each batch apart. Same optimizers, same latent distribution, the same fresh real batch per
critic update; no moving average of the generator (the project's step keeps one when the
recipe asks for it: the row says so).
"""

import keras
import tensorflow as tf


def plain_step(generator, critic, d_optimizer, g_optimizer, recipe):
    """A tf.function(real [d_steps * B, ...]) -> d_loss, the keras.io way."""
    d_steps, gp_weight, latent_dim = recipe.d_steps, recipe.gp_weight, recipe.latent_dim
    wgan = recipe.loss == "wgan-gp"
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def logits(x):  # a critic with several outputs gives a dict: its realism logit
        out = critic(x, training=True)
        return out["logit"] if isinstance(out, dict) else out

    def latents(batch):
        return tf.random.uniform((batch, latent_dim), -1.0, 1.0)

    def penalty(real, fake):
        alpha = tf.random.uniform([tf.shape(real)[0]] + [1] * (len(real.shape) - 1))
        mixed = real + alpha * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            mixed_logits = logits(mixed)
        grads = tape.gradient(mixed_logits, mixed)
        norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=list(range(1, len(grads.shape))))
                        + 1e-12)
        return tf.reduce_mean(tf.square(norms - 1.0))

    @tf.function
    def step(real):
        batch = tf.shape(real)[0] // d_steps
        for i in range(d_steps):
            chunk = real[i * batch:(i + 1) * batch]
            with tf.GradientTape() as tape:
                fake = generator(latents(batch), training=True)
                real_logits = logits(chunk)
                fake_logits = logits(fake)
                if wgan:
                    d_loss = (tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)
                              + gp_weight * penalty(chunk, fake))
                else:
                    d_loss = (bce(tf.ones_like(real_logits), real_logits)
                              + bce(tf.zeros_like(fake_logits), fake_logits))
            grads = tape.gradient(d_loss, critic.trainable_variables)
            d_optimizer.apply_gradients(zip(grads, critic.trainable_variables, strict=True))
        with tf.GradientTape() as tape:
            fake_logits = logits(generator(latents(batch), training=True))
            g_loss = (-tf.reduce_mean(fake_logits) if wgan
                      else bce(tf.ones_like(fake_logits), fake_logits))
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_optimizer.apply_gradients(zip(grads, generator.trainable_variables, strict=True))
        return d_loss

    return step
