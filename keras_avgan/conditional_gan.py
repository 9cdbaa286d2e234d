"""AC-GAN training (Odena et al. 2017), as GANSynth trains its pitch-conditional GAN.

The generator takes `[z, labels]` (labels int class ids [B]); the discriminator returns
`(logit [B, 1], class_logits [B, num_classes])`. The schedule is the unconditional GAN's:
one `train_step` = `d_steps` D updates, each on its own fresh chunk of B real examples and
labels, then one G update; the data is `(real, labels)` with d_steps * B rows.

Losses (E = batch mean, CE = softmax cross-entropy from logits, all float32):
  L_D = adv_D(D(x), D(G(z, y))) + gp_weight * GP + drift * E[D(x)^2] + ac_weight * CE(x, y)
  L_G = adv_G(D(G(z, y'))) + ac_weight * CE(G(z, y'), y')
- adv is the recipe's loss pair; the gradient penalty uses the critic logit only.
- drift is PGGAN's term keeping the critic's output near 0 (GANSynth: 0.001).
- With `ac_on_fakes` (TF-GAN's AC-GAN loss, which GANSynth trains with) D's classifier
  also learns the fakes' labels: + ac_weight * CE(G(z, y), y) on L_D. Without it, it learns
  from real examples only, never from the labels of G's poor early samples.
- In a D update the fakes get the chunk's real labels: same class mix in both halves of
  D's batch, drawn in proportion to the data's label frequencies (as GANSynth does).
- The G update draws its labels by shuffling all d_steps * B labels of the step and taking
  B: a fresh draw from the same empirical distribution.
`d_loss` and `g_loss` report the totals above; `ac_loss_d`, `ac_loss_g` their CE parts.
"""

import keras
import tensorflow as tf

from keras_avgan import latents, losses
from keras_avgan.gan import GAN

LABEL_KEYS = ("pitch", "label", "labels")  # keys a dict batch may hold its labels under


def _cross_entropy(labels, logits):
    logits = keras.ops.cast(logits, "float32")
    return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(
        labels, logits, from_logits=True))


@keras.saving.register_keras_serializable(package="keras_avgan")
class ConditionalGAN(GAN):
    def __init__(self, generator, discriminator, *, latent_dim: int, latent_dist: str = "normal",
                 loss: str = "wgan-gp", d_steps: int = 5, gp_weight: float = 10.0,
                 seed: int | None = None, num_classes: int, ac_weight: float = 10.0,
                 drift: float = 0.0, ac_on_fakes: bool = False, **kwargs):
        super().__init__(generator, discriminator, latent_dim=latent_dim,
                         latent_dist=latent_dist, loss=loss, d_steps=d_steps,
                         gp_weight=gp_weight, seed=seed, **kwargs)
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        self.num_classes, self.ac_weight = int(num_classes), float(ac_weight)
        self.drift, self.ac_on_fakes = float(drift), bool(ac_on_fakes)
        self.ac_d_tracker = keras.metrics.Mean(name="ac_loss_d")
        self.ac_g_tracker = keras.metrics.Mean(name="ac_loss_g")
        self.accuracy_tracker = keras.metrics.Mean(name="aux_accuracy_real")

    @classmethod
    def from_recipe(cls, generator, discriminator, recipe, seed: int | None = None, **kwargs):
        """The scheme with every field it needs read from a recipe (builders.build_gan)."""
        return cls(generator, discriminator, **kwargs, latent_dim=recipe.latent_dim,
                   latent_dist=recipe.latent_dist, loss=recipe.loss, d_steps=recipe.d_steps,
                   gp_weight=recipe.gp_weight, seed=seed,
                   num_classes=int(getattr(recipe, "num_classes", 0) or generator.num_classes),
                   ac_weight=float(getattr(recipe, "ac_weight", 10.0)),
                   drift=float(getattr(recipe, "drift", 0.0)),
                   ac_on_fakes=bool(getattr(recipe, "ac_on_fakes", False)))

    # --- setup --------------------------------------------------------------------------
    def build_all(self):
        """As GAN.build_all, with the generator's two inputs."""
        if not self.generator.built:
            self.generator.build([(None, self.latent_dim), (None,)])
        if not self.discriminator.built:
            self.discriminator.build(self.generator.compute_output_shape(
                [(None, self.latent_dim), (None,)]))
        return super().build_all()

    @property
    def metrics(self):
        extra = [self.ac_d_tracker, self.ac_g_tracker, self.accuracy_tracker]
        return super().metrics + extra

    # --- sampling -------------------------------------------------------------------------
    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def generate(self, z_or_n, labels, seed: int = 0):
        """Generator output (inference mode) for class ids `labels` [B] and given latents,
        or `n` latents drawn from `seed` as `GAN.generate` draws them."""
        if isinstance(z_or_n, int):
            z_or_n = latents.sample_latents(z_or_n, self.latent_dim, self.latent_dist, seed)
        labels = keras.ops.cast(keras.ops.convert_to_tensor(labels), "int32")
        return self.inference_generator([z_or_n, labels], training=False)

    # --- training -------------------------------------------------------------------------
    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise RuntimeError("call gan.compile(d_optimizer=..., g_optimizer=...) before training")
        real, labels = self._labelled_batch(data)
        chunks, label_chunks = self._split_real(real), self._split_real(labels)
        if self.d_steps == 1 or tf.distribute.has_strategy():
            for i in range(self.d_steps):
                self._conditional_d_step(chunks[i], label_chunks[i])
        else:
            # A loop op, as in GAN.train_step: one D update's worth of graph.
            def one_update(i, carry):
                self._conditional_d_step(chunks[i], label_chunks[i])
                return carry

            keras.ops.fori_loop(0, self.d_steps, one_update, 0)
        batch = keras.ops.shape(chunks)[1]
        self._conditional_g_step(keras.random.shuffle(labels, seed=self.seed_generator)[:batch])
        self._update_ema()
        results = {metric.name: metric.result() for metric in self.metrics}
        results["loss"] = results["d_loss"]
        return results

    @staticmethod
    def _labelled_batch(data):
        """(real, int32 labels) from `(real, labels)` or a dict with a pitch/label key."""
        if isinstance(data, dict):
            keys = [k for k in data if k in LABEL_KEYS]
            if len(data) != 2 or len(keys) != 1:
                raise ValueError(f"expected one input and one of {LABEL_KEYS}, got {sorted(data)}")
            real = next(v for k, v in data.items() if k != keys[0])
            labels = data[keys[0]]
        elif isinstance(data, (tuple, list)) and len(data) >= 2:
            real, labels = data[0], data[1]
        else:
            raise ValueError("an AC-GAN batch must be (examples, labels)")
        return real, keras.ops.reshape(keras.ops.cast(labels, "int32"), (-1,))

    def _conditional_d_step(self, real, labels):
        batch = keras.ops.shape(real)[0]
        fake = self.generator([self.sample_latents(batch), labels], training=True)
        real = keras.ops.cast(real, fake.dtype)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            logits, class_logits = self.discriminator(
                keras.ops.concatenate([real, fake], axis=0), training=True)
            real_logits, fake_logits = keras.ops.split(logits, 2, axis=0)
            real_classes, fake_classes = keras.ops.split(class_logits, 2, axis=0)
            d_loss = self._d_loss_fn(real_logits, fake_logits)
            if self.uses_gp:
                gp = self._gradient_penalty(real, fake, batch)
                d_loss = d_loss + self.gp_weight * gp
            if self.drift:
                d_loss = d_loss + self.drift * keras.ops.mean(
                    keras.ops.square(keras.ops.cast(real_logits, "float32")))
            ac_loss = _cross_entropy(labels, real_classes)
            if self.ac_on_fakes:
                ac_loss = ac_loss + _cross_entropy(labels, fake_classes)
            d_loss = d_loss + self.ac_weight * ac_loss
            scaled = self.d_optimizer.scale_loss(self._loss_share(d_loss))
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        self._track_d(d_loss, ac_loss, real_logits, fake_logits, real_classes, labels,
                      gp if self.uses_gp else None)

    def _track_d(self, d_loss, ac_loss, real_logits, fake_logits, real_classes, labels, gp):
        self.d_loss_tracker.update_state(d_loss)
        self.ac_d_tracker.update_state(ac_loss)
        hits = keras.ops.equal(keras.ops.argmax(real_classes, axis=-1), labels)
        self.accuracy_tracker.update_state(keras.ops.mean(keras.ops.cast(hits, "float32")))
        if gp is not None:
            self.gp_tracker.update_state(gp)
            self.w_dist_tracker.update_state(
                keras.ops.mean(real_logits) - keras.ops.mean(fake_logits))

    def _gradient_penalty(self, real, fake, batch):
        # As GAN's penalty, but on the critic logit only: the class head is not a critic.
        alpha_shape = (batch,) + (1,) * (len(real.shape) - 1)
        alpha = keras.random.uniform(alpha_shape, seed=self.seed_generator)
        return losses.gradient_penalty(
            lambda x: self.discriminator(x, training=True)[0], real, fake, alpha)

    def _conditional_g_step(self, labels):
        z = self.sample_latents(keras.ops.shape(labels)[0])
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            logits, class_logits = self.discriminator(
                self.generator([z, labels], training=True), training=True)
            ac_loss = _cross_entropy(labels, class_logits)
            g_loss = self._g_loss_fn(logits) + self.ac_weight * ac_loss
            scaled = self.g_optimizer.scale_loss(self._loss_share(g_loss))
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        self.g_loss_tracker.update_state(g_loss)
        self.ac_g_tracker.update_state(ac_loss)

    # --- serialisation --------------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "ac_weight": self.ac_weight, "drift": self.drift, "ac_on_fakes": self.ac_on_fakes}
