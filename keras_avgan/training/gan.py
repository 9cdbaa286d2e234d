"""The GAN training scheme: a keras.Model whose train_step updates D then G, with loss terms.

One `train_step` is one generator update preceded by `d_steps` discriminator updates, each
on a FRESH real batch and a fresh z, as WaveGAN trains (5 D updates per G update). Under
Keras the input pipeline therefore yields d_steps * B real examples per step, and the step
splits them into d_steps chunks of B; a run's step counts G updates only, like the paper's
global step.

A batch is a dict: the generator's outputs (`outputs`, e.g. "audio", or "image" and "audio"
for a two-stream generator) and its conditions (`conditions`, e.g. "pitch" class ids).
Anything else in it is an error, never silently dropped. Conditions go to the generator as
`[z, *conditions]` (and to the critic as `[x, *critic_conditions]` when it takes any); a
generator with several outputs returns a dict of them, and the critic gets that dict.
In a D update the fakes get the chunk's own conditions, so both halves of D's batch have the
same class mix; the G update draws its B conditions by shuffling the step's d_steps * B rows.

Each D update runs D once on concat([real, fake]): one forward pass, one spectral-norm power
iteration if D has it, and one phase-shuffle shift shared by the real and fake halves. A
critic with batch normalisation (DCGAN's) is run on the real and the fake batch apart
instead, as DCGAN trains it: normalised together, the two halves' shared statistics tell
real from fake, and the generator's update, which shows D fakes alone, would see another
critic than the one that was trained.
The adversarial loss is a recipe's pair (`losses.LOSSES`); `terms` (terms.py) add the
gradient penalty, R1, drift or an auxiliary classifier to it. All randomness (z, penalty
interpolation weights, shuffles) comes from a SeedGenerator the GAN owns, whose state is in
the checkpoint, so a resumed run draws what the uninterrupted run would have.

Under a tf.distribute strategy (`distribute.py`) each replica gets its rows of every chunk
and draws its rows of the global batch's latents (`replicas.py`); gradients are of each
replica's mean loss over the replica count, summed by the optimizer across replicas: the
mean over the global batch, as on one device.

With `ema_decay` > 0 a second generator keeps an exponential moving average of the trained
one's weights (as GANSynth and PGGAN do); it is what previews, evaluation and exports use
(`inference_generator`), since the averaged weights swing less from step to step.
"""

import keras
import tensorflow as tf

from keras_avgan import latents
from keras_avgan.seeds import checkpointed_seed
from keras_avgan.training import losses, replicas
from keras_avgan.training import terms as terms_lib
from keras_avgan.training.batches import BatchLayout


@keras.saving.register_keras_serializable(package="keras_avgan")
class GAN(keras.Model):
    def __init__(self, generator, discriminator, *, latent_dim: int, latent_dist: str = "uniform",
                 loss: str = "wgan-gp", d_steps: int = 5, gp_weight: float = 10.0, terms=(),
                 outputs=("x",), conditions=(), critic_conditions=(), passed=(),
                 seed: int | None = None, generator_ema=None, ema_decay: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        if (generator_ema is None) != (ema_decay == 0.0) or not 0.0 <= ema_decay < 1.0:
            raise ValueError("pass generator_ema (a second generator of the same architecture) "
                             f"together with 0 < ema_decay < 1; got ema_decay={ema_decay}")
        if latent_dist not in ("uniform", "normal"):
            raise ValueError(f"latent_dist must be 'uniform' or 'normal', got {latent_dist!r}")
        if d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {d_steps}")
        self.generator, self.discriminator = generator, discriminator
        self.generator_ema, self.ema_decay = generator_ema, float(ema_decay)
        self.latent_dim, self.latent_dist = int(latent_dim), latent_dist
        self.loss_name, self.d_steps, self.gp_weight = loss, int(d_steps), float(gp_weight)
        self.layout = BatchLayout(tuple(outputs), tuple(conditions), tuple(critic_conditions),
                                  tuple(passed))
        self.separate_passes = bool(batch_norm_layers(discriminator))
        pair = losses.get_loss(loss)
        self._g_loss_fn, self._d_loss_fn = pair.generator, pair.discriminator
        self.extra_terms = list(terms)  # what get_config keeps; the loss's own penalty is not
        penalty = [terms_lib.GradientPenalty(gp_weight)] if pair.uses_gradient_penalty else []
        self.terms = penalty + self.extra_terms
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.seed_checkpoint = checkpointed_seed(self.seed_generator)
        self.d_optimizer = None
        self.g_optimizer = None
        names = ["d_loss", "g_loss"] + [m for t in self.terms for m in t.d_metrics + t.g_metrics]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
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
        Conditional networks take several inputs whose shapes only they know: they must
        come built (functional models and the GANSynth networks do).
        """
        if not self.generator.built:
            if self.layout.conditions:
                raise ValueError("a conditional generator must be built before the GAN")
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
        return list(self.trackers.values())

    # --- sampling -------------------------------------------------------------------------
    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def sample_latents(self, batch_size):
        """Training latents from the GAN's own seeded stream."""
        shape = (batch_size, self.latent_dim)
        if self.latent_dist == "uniform":
            return keras.random.uniform(shape, minval=-1.0, maxval=1.0, seed=self.seed_generator)
        return keras.random.normal(shape, seed=self.seed_generator)

    def generate(self, z_or_n, conditions=None, seed: int = 0):
        """Generator output (inference mode) for given latents, or for `n` latents drawn
        from `seed` exactly as `keras_avgan generate --seed` draws them. `conditions` is a
        dict by name, or the values of a generator's only condition."""
        if isinstance(z_or_n, int):
            z_or_n = latents.sample_latents(z_or_n, self.latent_dim, self.latent_dist, seed)
        return self.layout.generator_call(self.inference_generator, z_or_n,
                                          self.layout.named_conditions(conditions), False)

    # --- training -------------------------------------------------------------------------
    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise RuntimeError("call gan.compile(d_optimizer=..., g_optimizer=...) before training")
        real, conditions = self.layout.split(data)
        chunks = self._split_real((real, conditions))
        if self.d_steps == 1 or tf.distribute.has_strategy() or self.jit_compile:
            # Unrolled: a distribution strategy cannot aggregate gradients inside a loop op,
            # and XLA on CPU runs a loop op's body about ten times slower than its unrolled
            # copies (make bench: first steps and steps apart), for a longer compile.
            for i in range(self.d_steps):
                self._discriminator_step(*_chunk(chunks, i))
        else:
            # A loop op rather than d_steps unrolled copies: the graph (and XLA's compile
            # time) stays the size of one D update whatever d_steps is.
            def one_update(i, carry):
                self._discriminator_step(*_chunk(chunks, i))
                return carry

            keras.ops.fori_loop(0, self.d_steps, one_update, 0)
        self._generator_step(*self._generator_rows(real, conditions))
        self._update_ema()
        results = {metric.name: metric.result() for metric in self.metrics}
        results["loss"] = results["d_loss"]  # Keras' TerminateOnNaN only watches `loss`
        return results

    def _split_real(self, structure):
        """Every [d_steps * B, ...] tensor -> [d_steps, B, ...]: one fresh batch per D update."""
        def split(tensor):
            rows = tensor.shape[0]
            if rows is not None and rows % self.d_steps:
                raise ValueError(
                    f"a training batch must hold d_steps * batch_size real examples (one "
                    f"fresh batch per D update); got {rows}, not a multiple of "
                    f"d_steps={self.d_steps}")
            return keras.ops.reshape(tensor, (self.d_steps, -1, *tensor.shape[1:]))
        return tf.nest.map_structure(split, structure)

    def _generator_rows(self, real, conditions):
        """The B (real, conditions) rows of the G update: a shuffled draw from the step's
        rows when the generator is conditioned, so its classes follow the data's mix."""
        rows = keras.ops.shape(tf.nest.flatten(real)[0])[0]
        batch = rows // self.d_steps
        if not conditions:
            return None, {}, batch
        if replicas.count() > 1:
            return (*self._replica_generator_rows(real, conditions, rows, batch), batch)
        picked = keras.random.shuffle(keras.ops.arange(rows), seed=self.seed_generator)[:batch]
        take = lambda t: keras.ops.take(t, picked, axis=0)  # noqa: E731
        return tf.nest.map_structure(take, real), {k: take(v) for k, v in conditions.items()}, \
            batch

    def _replica_generator_rows(self, real, conditions, rows, batch):
        """`_generator_rows` of one replica: the global draw one device makes over the step's
        N * rows rows, of which this replica keeps its B / N picks, read from every
        replica's rows (gathered: a pick may be another replica's row)."""
        total = replicas.count()
        picked = keras.random.shuffle(keras.ops.arange(rows * total),
                                      seed=self.seed_generator)[:batch * total]
        picked = replicas.own_rows(picked)
        # With b = `batch` (a replica's rows of a chunk): global row g is row j of replica
        # r's share of chunk i (g = i*b*N + r*b + j); the gather holds replica r's rows,
        # chunk after chunk, from r * rows on, so that row at r * rows + i * b + j.
        chunk, rest = picked // (batch * total), picked % (batch * total)
        where = (rest // batch) * rows + chunk * batch + rest % batch
        take = lambda t: keras.ops.take(replicas.gather(t), where, axis=0)  # noqa: E731
        return tf.nest.map_structure(take, real), {k: take(v) for k, v in conditions.items()}

    def _latents(self, batch):
        """This replica's `batch` rows of the latents drawn for the global batch."""
        return replicas.own_rows(self.sample_latents(batch * replicas.count()))

    def _loss_share(self, loss):
        # The optimizer sums gradients over replicas: a replica's mean over its rows, over
        # the replica count, is its share of the global batch's mean (what
        # tf.nn.compute_average_loss with the global batch size gives, as every replica
        # holds as many rows).
        return loss / tf.distribute.get_strategy().num_replicas_in_sync

    def _critique(self, real, fake, conditions, real_out, fake_out, real_gradient=None):
        def outputs(x, judged_conditions=None):
            return self.layout.critic_call(
                self.discriminator, x,
                conditions if judged_conditions is None else judged_conditions, True)
        return terms_lib.Critique(real, fake, conditions, real_out, fake_out,
                                  lambda x: outputs(x)["logit"], self.seed_generator, outputs,
                                  step=self.d_optimizer.iterations,
                                  real_gradient=real_gradient)

    def _discriminator_step(self, real, conditions):
        batch = keras.ops.shape(tf.nest.flatten(real)[0])[0]
        fake = self.layout.generator_call(self.generator, self._latents(batch), conditions,
                                          True)
        real = tf.nest.map_structure(lambda r, f: keras.ops.cast(r, f.dtype), real, fake)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_out, fake_out, real_gradient = self._judge(real, fake, conditions)
            d_loss = self._d_loss_fn(real_out["logit"], fake_out["logit"])
            critique = self._critique(real, fake, conditions, real_out, fake_out,
                                      real_gradient)
            reported = {}
            for term in self.terms:
                share, values = term.on_discriminator(critique) or (0.0, {})
                d_loss, reported = d_loss + share, {**reported, **values}
            scaled = self.d_optimizer.scale_loss(self._loss_share(d_loss))
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        self._track({"d_loss": d_loss, **reported})

    def _judge(self, real, fake, conditions):
        """`_critic_outputs` and, when a term reads it (R1), `Critique.real_gradient`: an
        inner tape watches the real rows through this very pass, so the input gradient
        costs a backward pass but no second forward one. Call it inside the update's tape,
        which then differentiates the gradient too (second order)."""
        readers = [term for term in self.terms if term.reads_real_gradient]
        if not readers:
            return (*self._critic_outputs(real, fake, conditions), None)
        (reader,) = readers  # one input gradient per pass: R1 is the only term that reads it
        judged = reader.judged_parts(real)
        with tf.GradientTape(watch_accessed_variables=False) as input_tape:
            input_tape.watch(judged)  # only what is judged: other parts' ops go unrecorded
            real_out, fake_out = self._critic_outputs(real, fake, conditions)

        def real_gradient(heads):
            # A list of targets is differentiated as their sum; the heads must be the
            # tensors the inner tape recorded, so they are summed by the tape, not here.
            return input_tape.gradient([real_out[head] for head in heads], judged)

        return real_out, fake_out, real_gradient

    def _critic_outputs(self, real, fake, conditions):
        """(outputs on real, outputs on fake): one pass over both, or two for a critic with
        batch norm (see the module docstring)."""
        def critic(x, given):
            return self.layout.critic_call(self.discriminator, x, given, True)

        if self.separate_passes:
            return critic(real, conditions), critic(fake, conditions)
        both = tf.nest.map_structure(lambda r, f: keras.ops.concatenate([r, f], 0), real, fake)
        doubled = {k: keras.ops.concatenate([conditions[k]] * 2, 0)
                   for k in self.layout.critic_conditions}
        halves = {k: keras.ops.split(v, 2, axis=0) for k, v in critic(both, doubled).items()}
        return {k: v[0] for k, v in halves.items()}, {k: v[1] for k, v in halves.items()}

    def _generator_step(self, real, conditions, batch):
        z = self._latents(batch)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.layout.generator_call(self.generator, z, conditions, True)
            fake_out = self.layout.critic_call(self.discriminator, fake, conditions, True)
            g_loss = self._g_loss_fn(fake_out["logit"])
            critique = self._critique(real, fake, conditions, None, fake_out)
            reported = {}
            for term in self.terms:
                share, values = term.on_generator(critique) or (0.0, {})
                g_loss, reported = g_loss + share, {**reported, **values}
            scaled = self.g_optimizer.scale_loss(self._loss_share(g_loss))
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        self._track({"g_loss": g_loss, **reported})

    def _track(self, values: dict) -> None:
        for name, value in values.items():
            self.trackers[name].update_state(value)

    # --- serialisation --------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim, "latent_dist": self.latent_dist,
            "loss": self.loss_name, "d_steps": self.d_steps, "gp_weight": self.gp_weight,
            "terms": [terms_lib.serialize(t) for t in self.extra_terms],
            "outputs": list(self.layout.outputs), "conditions": list(self.layout.conditions),
            "critic_conditions": list(self.layout.critic_conditions),
            "passed": list(self.layout.passed),
            "seed": self.seed, "ema_decay": self.ema_decay,
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
        config["terms"] = [terms_lib.deserialize(t) for t in config.get("terms", [])]
        return cls(generator, discriminator, **config)


def batch_norm_layers(network) -> list:
    """Every layer of `network`, however deep, that normalises over the batch."""
    return [layer for layer in network._flatten_layers(include_self=True, recursive=True)
            if isinstance(layer, keras.layers.BatchNormalization)]


def _chunk(chunks, i):
    """The i-th D update's (real, conditions) from the [d_steps, B, ...] split."""
    return tf.nest.map_structure(lambda t: t[i], chunks)
