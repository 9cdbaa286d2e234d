"""The speech-to-face training scheme (Wav2Pix): a keras.Model whose train_step updates the
face critic, then the speech encoder, identity head and face decoder together.

A batch is a dict from `pipelines.paired.paired_dataset`: "audio" (the speech), "image" (the
face of the same pair), "identity" (its id) and "mismatched_image" (a face of another
identity). There is no z: the generator maps speech to a face, and dropout in its decoder
is its only randomness. The critic sees a face together with the speech embedding e.

Critic update (LSGAN with the real target `real_target`, 0.9 in Wav2Pix, plus GAN-CLS):
  E[(D(x, e) - 0.9)^2] + E[D(G(s), e)^2] + E[D(x_w, e)^2]
Generator update:
  E[(D(G(s), e) - 1)^2] + 100 feature matching + 50 L1(G(s), x) + 20 CE(identity(e), id)
The feature matching, L1 and mismatched-pair parts are loss terms (terms.py) with the
recipe's weights; the identity cross entropy trains the encoder's own head and is the
scheme's. In the critic update the embedding and the faces are constants: only the critic
learns from its loss (the reference lets the critic's gradient reach the encoder's
accumulated gradients; that is not reproduced).
"""

import keras
import tensorflow as tf

from keras_avgan.seeds import checkpointed_seed
from keras_avgan.training import losses
from keras_avgan.training import terms as terms_lib

BATCH_KEYS = ("audio", "image", "identity", "mismatched_image")


@keras.saving.register_keras_serializable(package="keras_avgan")
class SpeechToFaceGAN(keras.Model):
    def __init__(self, generator, discriminator, *, real_target: float = 0.9,
                 matching_weight: float = 100.0, l1_weight: float = 50.0,
                 identity_weight: float = 20.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.real_target, self.identity_weight = float(real_target), float(identity_weight)
        self.matching_weight, self.l1_weight = float(matching_weight), float(l1_weight)
        self.mismatched = terms_lib.MismatchedPair(1.0, loss="lsgan")
        self.g_terms = [terms_lib.FeatureMatching(matching_weight),
                        terms_lib.L1Reconstruction(l1_weight)]
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.seed_checkpoint = checkpointed_seed(self.seed_generator)
        self.d_optimizer = self.g_optimizer = None
        names = ["d_loss", "g_loss", "identity_loss", "identity_accuracy",
                 *self.mismatched.d_metrics, *(m for t in self.g_terms for m in t.g_metrics)]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    def compile(self, d_optimizer, g_optimizer, jit_compile=False, **kwargs):
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    def build_all(self):
        """Everything is built at construction (the networks) and compile (the optimizers)."""
        return self

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def inference_generator(self):
        return self.generator

    def call(self, speech, training=False):
        return self.generator(speech, training=training)

    def train_step(self, data):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise RuntimeError("call compile(d_optimizer=..., g_optimizer=...) before training")
        unknown = sorted(set(data) - set(BATCH_KEYS))
        missing = [key for key in BATCH_KEYS if key not in data]
        if unknown or missing:
            raise ValueError(f"a speech-to-face batch holds {', '.join(BATCH_KEYS)}; "
                             f"missing {missing}, unknown {unknown}")
        self._critic_step(data)
        self._generator_step(data)
        results = {metric.name: metric.result() for metric in self.metrics}
        results["loss"] = results["d_loss"]  # Keras' TerminateOnNaN only watches `loss`
        return results

    def _critic(self, face, embedding):
        return self.discriminator([face, embedding], training=True)

    def _critique(self, data, fake, embedding, real_out, fake_out):
        outputs = lambda x: self._critic(x, embedding)  # noqa: E731
        return terms_lib.Critique(
            real=keras.ops.cast(data["image"], "float32"), fake=fake,
            conditions={"mismatched_image": data["mismatched_image"]}, real_out=real_out,
            fake_out=fake_out, critic=lambda x: outputs(x)["logit"],
            seed_generator=self.seed_generator, critic_outputs=outputs)

    def _critic_step(self, data):
        embedding = keras.ops.stop_gradient(self.generator.embed(data["audio"], training=True))
        fake = keras.ops.stop_gradient(self.generator.decoder(embedding, training=True))
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_out = self._critic(data["image"], embedding)
            fake_out = self._critic(fake, embedding)
            d_loss = losses.least_squares_discriminator_loss(
                real_out["logit"], fake_out["logit"], real_target=self.real_target)
            share, reported = self.mismatched.on_discriminator(
                self._critique(data, fake, embedding, real_out, fake_out))
            d_loss = d_loss + share
            scaled = self.d_optimizer.scale_loss(d_loss)
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        self._track({"d_loss": d_loss, **reported})

    def _generator_step(self, data):
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            embedding = self.generator.embed(data["audio"], training=True)
            fake = self.generator.decoder(embedding, training=True)
            fake_out = self._critic(fake, embedding)
            g_loss = losses.least_squares_generator_loss(fake_out["logit"])
            critique = self._critique(data, fake, embedding, None, fake_out)
            reported = {}
            for term in self.g_terms:
                share, values = term.on_generator(critique)
                g_loss, reported = g_loss + share, {**reported, **values}
            logits = self.generator.classify(embedding, training=True)
            identity_loss = terms_lib.cross_entropy(data["identity"], logits)
            g_loss = g_loss + self.identity_weight * identity_loss
            scaled = self.g_optimizer.scale_loss(g_loss)
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        hits = keras.ops.equal(keras.ops.argmax(logits, axis=-1),
                               keras.ops.cast(data["identity"], "int64"))
        self._track({"g_loss": g_loss, "identity_loss": identity_loss,
                     "identity_accuracy": keras.ops.mean(keras.ops.cast(hits, "float32")),
                     **reported})

    def _track(self, values: dict) -> None:
        for name, value in values.items():
            self.trackers[name].update_state(value)

    def get_config(self):
        return {**super().get_config(),
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "real_target": self.real_target, "matching_weight": self.matching_weight,
                "l1_weight": self.l1_weight, "identity_weight": self.identity_weight,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
