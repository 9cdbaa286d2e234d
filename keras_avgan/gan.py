"""The unconditional GAN training scheme: a keras.Model whose train_step updates D then G.

One `train_step` is one generator update preceded by `d_steps` discriminator updates, each
on a FRESH real batch and a fresh z, as WaveGAN trains (5 D updates per G update). Under
Keras the input pipeline therefore yields d_steps * B real examples per step, and the step
splits them into d_steps chunks of B; a run's step counts G updates only, like the paper's
global step.

Each D update runs D once on concat([real, fake]): one forward pass, one spectral-norm power
iteration if D has it, and one phase-shuffle shift shared by the real and fake halves (the
paper's code calls D twice, drawing a shift for each; both are valid random shifts).
All randomness (z, gradient-penalty alpha) comes from a SeedGenerator the GAN owns, whose
state is in the checkpoint, so a resumed run draws what the uninterrupted run would have.

With `r1_gamma` > 0 each D update also pays gamma / 2 times the R1 penalty, the squared
norm of D's input gradient on the real chunk (an extra D pass on it). Unlike WGAN-GP's
penalty it is zero-centred; with the non-saturating loss it is the regulariser
StyleGAN uses (see the README for what it did to WaveGAN on the demo notes).

With `ema_decay` > 0 a second generator keeps an exponential moving average of the trained
one's weights (as GANSynth and PGGAN do); it is what previews, evaluation and exports use
(`inference_generator`), since the averaged weights swing less from step to step.
"""

import keras
import tensorflow as tf

from keras_avgan import latents, losses
from keras_avgan.layers.phase_shuffle import checkpointed_seed


@keras.saving.register_keras_serializable(package="keras_avgan")
class GAN(keras.Model):
    def __init__(self, generator, discriminator, *, latent_dim: int, latent_dist: str = "uniform",
                 loss: str = "wgan-gp", d_steps: int = 5, gp_weight: float = 10.0,
                 seed: int | None = None, generator_ema=None, ema_decay: float = 0.0,
                 r1_gamma: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if (generator_ema is None) != (ema_decay == 0.0) or not 0.0 <= ema_decay < 1.0:
            raise ValueError("pass generator_ema (a second generator of the same architecture) "
                             f"together with 0 < ema_decay < 1; got ema_decay={ema_decay}")
        if latent_dist not in ("uniform", "normal"):
            raise ValueError(f"latent_dist must be 'uniform' or 'normal', got {latent_dist!r}")
        if d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {d_steps}")
        if r1_gamma < 0:
            raise ValueError(f"r1_gamma must be 0 (off) or positive, got {r1_gamma}")
        self.generator = generator
        self.discriminator = discriminator
        self.generator_ema, self.ema_decay = generator_ema, float(ema_decay)
        self.latent_dim, self.latent_dist = int(latent_dim), latent_dist
        self.loss_name, self.d_steps, self.gp_weight = loss, int(d_steps), float(gp_weight)
        pair = losses.get_loss(loss)
        self._g_loss_fn, self._d_loss_fn = pair.generator, pair.discriminator
        self.uses_gp = pair.uses_gradient_penalty
        self.r1_gamma = float(r1_gamma)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.seed_checkpoint = checkpointed_seed(self.seed_generator)
        self.d_optimizer = None
        self.g_optimizer = None
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.gp_tracker = keras.metrics.Mean(name="gp")
        self.w_dist_tracker = keras.metrics.Mean(name="w_dist")
        self.r1_tracker = keras.metrics.Mean(name="r1")
        self.build_all()
        if generator_ema is not None:
            for average, weight in zip(generator_ema.weights, generator.weights, strict=True):
                average.assign(weight)  # the average starts from the initial weights

    # --- setup --------------------------------------------------------------------------
    def compile(self, d_optimizer, g_optimizer, jit_compile=False, **kwargs):
        """Keras' compile with no optimizer of its own (a bare compile() would create an
        unused RMSprop), then the two optimizers, built so checkpoints can restore into them."""
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.build_all()

    def build_all(self):
        """Build G, D and (once compiled) both optimizers' slots; idempotent.

        Everything must exist before a checkpoint restore or the first step: restored values
        go straight into variables, `save_weights` works, and fit does not build lazily.
        """
        if not self.generator.built:
            self.generator.build((None, self.latent_dim))
        if not self.discriminator.built:
            self.discriminator.build(self.generator.compute_output_shape((None, self.latent_dim)))
        for optimizer, network in ((self.d_optimizer, self.discriminator),
                                   (self.g_optimizer, self.generator)):
            if optimizer is not None and not optimizer.built:
                optimizer.build(network.trainable_variables)
        self.built = True
        return self

    @property
    def inference_generator(self):
        """The generator users get: the moving average when the run keeps one."""
        return self.generator if self.generator_ema is None else self.generator_ema

    def _update_ema(self):
        """average <- d * average + (1 - d) * weight after each G update; d ramps up as
        (1 + t) / (10 + t) so early averages are not dominated by the random start."""
        if self.generator_ema is None:
            return
        t = keras.ops.cast(self.g_optimizer.iterations, "float32")
        decay = keras.ops.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for average, weight in zip(self.generator_ema.weights, self.generator.weights,
                                   strict=True):
            value = keras.ops.cast(weight, average.dtype)
            average.assign(average * decay + value * (1.0 - decay) if weight.trainable
                           else value)

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker]
        trackers += [self.gp_tracker, self.w_dist_tracker] if self.uses_gp else []
        return trackers + ([self.r1_tracker] if self.r1_gamma else [])

    # --- sampling -------------------------------------------------------------------------
    def call(self, z, training=False):
        return self.generator(z, training=training)

    def sample_latents(self, batch_size):
        """Training latents from the GAN's own seeded stream."""
        shape = (batch_size, self.latent_dim)
        if self.latent_dist == "uniform":
            return keras.random.uniform(shape, minval=-1.0, maxval=1.0, seed=self.seed_generator)
        return keras.random.normal(shape, seed=self.seed_generator)

    def generate(self, z_or_n, seed: int = 0):
        """Generator output (inference mode) for given latents, or for `n` latents drawn
        from `seed` exactly as `keras_avgan generate --seed` draws them."""
        if isinstance(z_or_n, int):
            z_or_n = latents.sample_latents(z_or_n, self.latent_dim, self.latent_dist, seed)
        return self.inference_generator(z_or_n, training=False)

    # --- training -------------------------------------------------------------------------
    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise RuntimeError("call gan.compile(d_optimizer=..., g_optimizer=...) before training")
        chunks = self._split_real(self._real_batch(data))
        if self.d_steps == 1 or tf.distribute.has_strategy():
            # Unrolled: a distribution strategy cannot aggregate gradients inside a loop op.
            for i in range(self.d_steps):
                self._discriminator_step(chunks[i])
        else:
            # A loop op rather than d_steps unrolled copies: the graph (and XLA's compile
            # time) stays the size of one D update whatever d_steps is.
            def one_update(i, carry):
                self._discriminator_step(chunks[i])
                return carry

            keras.ops.fori_loop(0, self.d_steps, one_update, 0)
        self._generator_step(keras.ops.shape(chunks)[1])
        self._update_ema()
        results = {metric.name: metric.result() for metric in self.metrics}
        results["loss"] = results["d_loss"]  # Keras' TerminateOnNaN only watches `loss`
        return results

    @staticmethod
    def _real_batch(data):
        if isinstance(data, dict):
            if len(data) != 1:
                raise ValueError(f"expected one real input, got keys {sorted(data)}")
            data = next(iter(data.values()))
        while isinstance(data, (tuple, list)):
            data = data[0]  # (x,) or (x, y) from a dataset: only x is used
        return data

    def _split_real(self, real):
        """[d_steps * B, ...] -> [d_steps, B, ...]: one fresh real batch per D update."""
        rows = real.shape[0]
        if rows is not None and rows % self.d_steps:
            raise ValueError(
                f"a training batch must hold d_steps * batch_size real examples (one fresh "
                f"batch per D update); got {rows}, not a multiple of d_steps={self.d_steps}"
            )
        return keras.ops.reshape(real, (self.d_steps, -1, *real.shape[1:]))

    def _loss_share(self, loss):
        # Under a distribution strategy gradients are summed over replicas.
        return loss / tf.distribute.get_strategy().num_replicas_in_sync

    def _discriminator_step(self, real):
        batch = keras.ops.shape(real)[0]
        fake = self.generator(self.sample_latents(batch), training=True)
        real = keras.ops.cast(real, fake.dtype)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            logits = self.discriminator(keras.ops.concatenate([real, fake], axis=0),
                                        training=True)
            real_logits, fake_logits = keras.ops.split(logits, 2, axis=0)
            d_loss = self._d_loss_fn(real_logits, fake_logits)
            if self.uses_gp:
                gp = self._gradient_penalty(real, fake, batch)
                d_loss = d_loss + self.gp_weight * gp
            if self.r1_gamma:
                r1 = losses.r1_penalty(lambda x: self.discriminator(x, training=True), real)
                d_loss = d_loss + 0.5 * self.r1_gamma * r1
            scaled = self.d_optimizer.scale_loss(self._loss_share(d_loss))
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        self.d_loss_tracker.update_state(d_loss)
        if self.r1_gamma:
            self.r1_tracker.update_state(r1)
        if self.uses_gp:
            self.gp_tracker.update_state(gp)
            self.w_dist_tracker.update_state(
                keras.ops.mean(real_logits) - keras.ops.mean(fake_logits))

    def _gradient_penalty(self, real, fake, batch):
        alpha_shape = (batch,) + (1,) * (len(real.shape) - 1)  # one alpha per example
        alpha = keras.random.uniform(alpha_shape, seed=self.seed_generator)
        return losses.gradient_penalty(
            lambda x: self.discriminator(x, training=True), real, fake, alpha)

    def _generator_step(self, batch):
        z = self.sample_latents(batch)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self._g_loss_fn(fake_logits)
            scaled = self.g_optimizer.scale_loss(self._loss_share(g_loss))
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        self.g_loss_tracker.update_state(g_loss)

    # --- serialisation --------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim, "latent_dist": self.latent_dist,
            "loss": self.loss_name, "d_steps": self.d_steps, "gp_weight": self.gp_weight,
            "seed": self.seed, "ema_decay": self.ema_decay, "r1_gamma": self.r1_gamma,
            "generator_ema": (None if self.generator_ema is None
                              else keras.saving.serialize_keras_object(self.generator_ema)),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop("discriminator"))
        if config.get("generator_ema") is not None:
            config["generator_ema"] = keras.saving.deserialize_keras_object(
                config["generator_ema"])
        return cls(generator, discriminator, **config)
