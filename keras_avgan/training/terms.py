"""Loss terms that compose onto the adversarial pair of the GAN scheme.

A term sees what one critic or generator update saw (a `Critique`) and returns its weighted
share of that update's loss together with the unweighted values it reports. The scheme adds
every term's share to the adversarial loss; which terms a recipe trains with is decided in
`builders.py`, so a new term (feature matching, an L1 reconstruction, a mismatched-pair
critic) is one class here, not a copy of the training step.
"""

from dataclasses import dataclass
from typing import Any, Callable

import keras
import tensorflow as tf

from keras_avgan.training import losses, replicas


@dataclass
class Critique:
    """One update's tensors. `real` and `fake` are tensors or dicts of tensors (a generator
    with several outputs); the critic's outputs are dicts with a "logit" and, for critics
    with a class head, "classes". In a generator update `real_out` is None and `real` holds
    the real rows the update's conditions were drawn with."""

    real: Any
    fake: Any
    conditions: dict
    real_out: dict | None
    fake_out: dict
    critic: Callable  # x -> the critic's logit, in training mode, under the same conditions
    seed_generator: Any
    # (x, conditions=None) -> all the critic's outputs (a dict), likewise; `conditions`
    # replaces the update's own, for a term that judges fewer rows than the update's
    critic_outputs: Callable | None = None
    step: Any = None  # the critic's update count before this update (lazy regularisation)
    # heads -> the gradient of the sum of those outputs on `real` with respect to `real`,
    # taken through the update's own critic pass (no second forward pass); set when a term
    # `reads_real_gradient`
    real_gradient: Callable | None = None


class LossTerm:
    """A term reports `d_metrics` on critic updates and `g_metrics` on generator updates."""

    name = ""
    d_metrics: tuple[str, ...] = ()
    g_metrics: tuple[str, ...] = ()
    # A mean over examples splits over replicas exactly; a term of the batch as a whole
    # (batch means, pairs of examples) is computed on each replica's rows instead.
    couples_batch = False
    # True: the critic update records its pass on the real rows for `Critique.real_gradient`
    reads_real_gradient = False

    def on_discriminator(self, critique: Critique):
        """(weighted loss, {metric: value}) to add to the critic's loss, or None."""
        return None

    def on_generator(self, critique: Critique):
        """(weighted loss, {metric: value}) to add to the generator's loss, or None."""
        return None

    def get_config(self) -> dict:
        return {}


def _mean(x):
    return keras.ops.mean(keras.ops.cast(x, "float32"))


class GradientPenalty(LossTerm):
    """WGAN-GP (Gulrajani et al.): weight * E[(||grad D(x_hat)|| - 1)^2] at random points
    between each real and fake example (one U[0, 1] weight per example). Also reports the
    critic's Wasserstein estimate E[D(x)] - E[D(G(z))]."""

    name = "gradient_penalty"
    d_metrics = ("gp", "w_dist")

    def __init__(self, weight: float = 10.0):
        self.weight = float(weight)

    def on_discriminator(self, c: Critique):
        batch = keras.ops.shape(c.real_out["logit"])[0]
        # Drawn for the global batch: a replica keeps the weights of its own rows.
        alpha = replicas.own_rows(keras.random.uniform((batch * replicas.count(),),
                                                       seed=c.seed_generator))
        gp = losses.gradient_penalty(c.critic, c.real, c.fake, alpha)
        w_dist = _mean(c.real_out["logit"]) - _mean(c.fake_out["logit"])
        return self.weight * gp, {"gp": gp, "w_dist": w_dist}

    def get_config(self):
        return {"weight": self.weight}


class R1Penalty(LossTerm):
    """gamma / 2 * E[||grad D(x)||^2] on real examples (Mescheder et al. 2018), as StyleGAN
    regularises the non-saturating loss. A critic with several realism logits (`heads`,
    AVGAN's pair and half logits) is penalised on the gradient of their sum: one extra
    backward pass, not one per head. With `every` > 1 the penalty is lazy (StyleGAN2): it is
    computed on one critic update in `every`, weighted `every` times, and its double
    backward pass is skipped on the others (the reported r1 is 0 on those). With
    `batch_shrink` > 1 it is computed on every update but on the first B / batch_shrink real
    rows only (StyleGAN2-ADA shrinks its path-length batch so): the same mean over the
    examples, estimated from fewer of them, for about 1 / batch_shrink of the double backward
    pass's cost. The rows are a shuffled batch's, so the first ones are a random draw.

    Computed on every update over the whole batch, the gradient is taken through the
    update's own critic pass (`Critique.real_gradient`) rather than a second forward pass on
    the real rows: the same penalty (minibatch-stddev groups dividing the batch stay within
    its real or fake half, so the real half of a joint pass is the critic on the real rows;
    phase shuffle's shift and spectral norm's iteration are the pass's own), for one forward
    pass fewer per critic update.

    `inputs` names the parts of a dict-valued input (a two-stream generator's "image" and
    "audio") the gradient is taken with respect to; empty: all of them. On one part, the
    double backward pass skips the other part's tower."""

    name = "r1"
    d_metrics = ("r1",)

    def __init__(self, gamma: float, heads: tuple[str, ...] = ("logit",), every: int = 1,
                 batch_shrink: int = 1, inputs: tuple[str, ...] = ()):
        if gamma < 0:
            raise ValueError(f"r1_gamma must be 0 (off) or positive, got {gamma}")
        if every < 1:
            raise ValueError(f"r1_every must be at least 1, got {every}")
        if batch_shrink < 1:
            raise ValueError(f"r1_batch_shrink must be at least 1, got {batch_shrink}")
        self.gamma, self.heads, self.every = float(gamma), tuple(heads), int(every)
        self.batch_shrink, self.inputs = int(batch_shrink), tuple(inputs)

    def judged_parts(self, real):
        """The part of `real` the gradient is taken with respect to."""
        return real if not self.inputs else {name: real[name] for name in self.inputs}

    @property
    def reads_real_gradient(self):
        return self.every == 1 and self.batch_shrink == 1

    def on_discriminator(self, c: Critique):
        if self.reads_real_gradient and c.real_gradient is not None:
            r1 = losses.mean_squared_norm(c.real_gradient(self.heads))
        elif self.every == 1:
            r1 = self._second_pass(c)
        else:
            due = keras.ops.equal(keras.ops.mod(c.step, self.every), 0)
            r1 = tf.cond(due, lambda: self._second_pass(c), lambda: tf.constant(0.0))
        return 0.5 * self.gamma * self.every * r1, {"r1": r1}

    def _second_pass(self, c: Critique):
        """R1 from a critic pass of its own on the real rows (the first B / batch_shrink)."""
        real, conditions = c.real, None
        if self.batch_shrink > 1:
            rows = keras.ops.shape(tf.nest.flatten(c.real)[0])[0] // self.batch_shrink
            first = lambda t: t[:rows]  # noqa: E731
            real = tf.nest.map_structure(first, c.real)
            conditions = {key: first(value) for key, value in c.conditions.items()}

        def critic(judged):
            x = {**real, **judged} if self.inputs else judged  # the other parts held fixed
            if conditions is None:  # the update's own rows and conditions
                return c.critic(x) if self.heads == ("logit",) else \
                    sum(c.critic_outputs(x)[head] for head in self.heads)
            return sum(c.critic_outputs(x, conditions)[head] for head in self.heads)

        return losses.r1_penalty(critic, self.judged_parts(real))

    def get_config(self):
        config = {"gamma": self.gamma, "heads": list(self.heads)}
        if self.every != 1:
            config["every"] = self.every
        if self.batch_shrink != 1:
            config["batch_shrink"] = self.batch_shrink
        if self.inputs:
            config["inputs"] = list(self.inputs)
        return config


class HalfAdversarial(LossTerm):
    """The adversarial loss again on another realism logit of the critic (`head`): AVGAN's
    pair critic also says whether the face alone and the voice alone look and sound real,
    each with a loss of its own, so that a voice the critic already rejects does not
    saturate what it learns about faces (and the other way round)."""

    name = "half_adversarial"

    def __init__(self, head: str, loss: str = "dcgan"):
        self.head, self.loss = head, loss
        self._pair = losses.get_loss(loss)
        half = head.removesuffix("_logit")
        self.d_metrics, self.g_metrics = (f"d_loss_{half}",), (f"g_loss_{half}",)

    def on_discriminator(self, c: Critique):
        value = self._pair.discriminator(c.real_out[self.head], c.fake_out[self.head])
        return value, {self.d_metrics[0]: value}

    def on_generator(self, c: Critique):
        value = self._pair.generator(c.fake_out[self.head])
        return value, {self.g_metrics[0]: value}

    def get_config(self):
        return {"head": self.head, "loss": self.loss}


class Drift(LossTerm):
    """PGGAN's drift term, weight * E[D(x)^2]: keeps the critic's output near 0."""

    name = "drift"

    def __init__(self, weight: float):
        self.weight = float(weight)

    def on_discriminator(self, c: Critique):
        return self.weight * _mean(keras.ops.square(
            keras.ops.cast(c.real_out["logit"], "float32"))), {}

    def get_config(self):
        return {"weight": self.weight}


def cross_entropy(labels, logits):
    """Mean sparse cross entropy of class ids against float32 logits."""
    return _mean(keras.losses.sparse_categorical_crossentropy(
        labels, keras.ops.cast(logits, "float32"), from_logits=True))


class AuxiliaryClassifier(LossTerm):
    """AC-GAN (Odena et al. 2017): the critic's class head learns the class of real examples
    (with `on_fakes`, as TF-GAN's loss that GANSynth trains with, also of generated ones),
    and the generator is rewarded when its examples are classified as the class it was asked
    for. Reports the unweighted cross entropies and the head's accuracy on real examples.
    `head` names the critic output it reads ("classes"; AVGAN's pair critic also has one
    per half, "face_classes" and "voice_classes", each a term of its own whose metrics carry
    the half's name)."""

    name = "auxiliary_classifier"

    def __init__(self, condition: str, weight: float = 10.0, on_fakes: bool = False,
                 head: str = "classes"):
        self.condition, self.weight, self.on_fakes = condition, float(weight), bool(on_fakes)
        self.head = head
        suffix = "" if head == "classes" else "_" + head.removesuffix("_classes")
        self.metric_names = {k: k + suffix for k in ("ac_loss_d", "aux_accuracy_real",
                                                     "ac_loss_g")}
        self.d_metrics = (self.metric_names["ac_loss_d"], self.metric_names["aux_accuracy_real"])
        self.g_metrics = (self.metric_names["ac_loss_g"],)

    def _labels(self, c: Critique):
        return keras.ops.reshape(keras.ops.cast(c.conditions[self.condition], "int32"), (-1,))

    def on_discriminator(self, c: Critique):
        labels, classes = self._labels(c), c.real_out[self.head]
        loss = cross_entropy(labels, classes)
        if self.on_fakes:
            loss = loss + cross_entropy(labels, c.fake_out[self.head])
        hits = keras.ops.equal(keras.ops.argmax(classes, axis=-1), labels)
        names = self.metric_names
        return self.weight * loss, {names["ac_loss_d"]: loss,
                                    names["aux_accuracy_real"]: _mean(hits)}

    def on_generator(self, c: Critique):
        loss = cross_entropy(self._labels(c), c.fake_out[self.head])
        return self.weight * loss, {self.metric_names["ac_loss_g"]: loss}

    def get_config(self):
        return {"condition": self.condition, "weight": self.weight, "on_fakes": self.on_fakes,
                "head": self.head}


def _output(x, name: str):
    """One output of a multi-output generator's dict (`name`), or the tensor itself."""
    return x[name] if isinstance(x, dict) else x


class L1Reconstruction(LossTerm):
    """weight * E|G(c) - x|: what the generator made from a pair's condition against the
    pair's own real example (Wav2Pix: the face from a speech clip against the face of that
    clip, weight 50). `output` picks one output of a multi-output generator."""

    name = "l1_reconstruction"
    g_metrics = ("l1",)

    def __init__(self, weight: float = 50.0, output: str = ""):
        self.weight, self.output = float(weight), output

    def on_generator(self, c: Critique):
        fake = keras.ops.cast(_output(c.fake, self.output), "float32")
        real = keras.ops.cast(_output(c.real, self.output), "float32")
        l1 = _mean(keras.ops.abs(fake - real))
        return self.weight * l1, {"l1": l1}

    def get_config(self):
        return {"weight": self.weight, "output": self.output}


class FeatureMatching(LossTerm):
    """Feature matching (Salimans et al. 2016) as Wav2Pix adds it, weight 100: the mean
    squared difference between the batch means of the critic's `features` on generated and
    on real examples; the real side is a target, not trained through."""

    name = "feature_matching"
    g_metrics = ("feature_matching",)
    couples_batch = True  # the gap between batch means

    def __init__(self, weight: float = 100.0, features: str = "features"):
        self.weight, self.features = float(weight), features

    def on_generator(self, c: Critique):
        if c.critic_outputs is None or self.features not in c.fake_out:
            raise ValueError(f"feature matching needs a critic that returns "
                             f"'{self.features}' beside its logit")
        fake = keras.ops.cast(c.fake_out[self.features], "float32")
        real = keras.ops.stop_gradient(
            keras.ops.cast(c.critic_outputs(c.real)[self.features], "float32"))
        gap = keras.ops.mean(fake, axis=0) - keras.ops.mean(real, axis=0)
        matching = _mean(keras.ops.square(gap))
        return self.weight * matching, {"feature_matching": matching}

    def get_config(self):
        return {"weight": self.weight, "features": self.features}


class MismatchedPair(LossTerm):
    """GAN-CLS (Reed et al. 2016), as Wav2Pix trains its critic: a real example shown with
    another pair's condition is a fake pair, so the critic judges agreement and not only
    realism. Adds weight * the fake half of the critic's `loss` on the mismatched example,
    which the scheme passes in conditions[`key`] (Wav2Pix: a face of another identity). When
    examples are dicts (AVGAN's {"image", "audio"}), that face replaces the real example's
    "image", so the critic sees a real voice with a face that is not its speaker's."""

    name = "mismatched_pair"
    d_metrics = ("mismatched",)

    def __init__(self, weight: float = 1.0, loss: str = "lsgan", key: str = "mismatched_image"):
        if loss not in losses.FAKE_HALVES:
            raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(losses.FAKE_HALVES)}")
        self.weight, self.loss, self.key = float(weight), loss, key

    def on_discriminator(self, c: Critique):
        other = c.conditions[self.key]
        if isinstance(c.real, dict):
            other = {**c.real, "image": keras.ops.cast(other, c.real["image"].dtype)}
        value = losses.FAKE_HALVES[self.loss](c.critic(other))
        return self.weight * value, {"mismatched": value}

    def get_config(self):
        return {"weight": self.weight, "loss": self.loss, "key": self.key}


def _pair_distances(x):
    """[B, d] -> [B, B] Euclidean distances. The square root is taken of at least 1e-12: at
    0 (two equal rows) its gradient would be infinite."""
    x = keras.ops.cast(x, "float32")
    squared = keras.ops.sum(keras.ops.square(x[:, None, :] - x[None, :, :]), axis=-1)
    return keras.ops.sqrt(keras.ops.maximum(squared, 1e-12))


class DistancePreservation(LossTerm):
    """Face-to-music's distance loss (Kim et al. 2020): over the pairs i < j of a batch, the
    distance between the two faces' embeddings, ||e_i - e_j|| (conditions[`condition`]),
    against that between the audio metric of the two notes made from them, ||phi_i - phi_j||
    (the critic's output `metric` on the fakes), each standardised by its dataset's mean and
    standard deviation of pairwise distances. The generator's loss gains weight * the mean
    absolute difference of the two; reported are that mean (unweighted) and the Pearson
    correlation of the two distance vectors."""

    name = "distance_preservation"
    g_metrics = ("distance_loss", "distance_pc")
    couples_batch = True  # pairs of the batch's examples

    def __init__(self, weight: float, face_mean: float, face_std: float, note_mean: float,
                 note_std: float, condition: str = "face", metric: str = "metric"):
        if face_std <= 0 or note_std <= 0:
            raise ValueError(f"distance standard deviations must be positive, got "
                             f"{face_std} and {note_std}")
        self.weight = float(weight)
        self.face_mean, self.face_std = float(face_mean), float(face_std)
        self.note_mean, self.note_std = float(note_mean), float(note_std)
        self.condition, self.metric = condition, metric

    def on_generator(self, c: Critique):
        faces = (_pair_distances(c.conditions[self.condition]) - self.face_mean) / self.face_std
        notes = (_pair_distances(c.fake_out[self.metric]) - self.note_mean) / self.note_std
        batch = keras.ops.shape(faces)[0]
        # The pairs i < j: the upper triangle without the diagonal, as weights.
        pairs = keras.ops.triu(keras.ops.ones((batch, batch), "float32"), k=1)
        count = keras.ops.sum(pairs)

        def mean(x):
            return keras.ops.sum(x * pairs) / count

        loss = mean(keras.ops.abs(faces - notes))
        face_dev, note_dev = faces - mean(faces), notes - mean(notes)
        pc = mean(face_dev * note_dev) / keras.ops.sqrt(
            mean(keras.ops.square(face_dev)) * mean(keras.ops.square(note_dev)) + 1e-12)
        # pc is reported, never trained on: it only says how far the loss has come.
        return self.weight * loss, {"distance_loss": loss,
                                    "distance_pc": keras.ops.stop_gradient(pc)}

    def get_config(self):
        return {"weight": self.weight, "face_mean": self.face_mean, "face_std": self.face_std,
                "note_mean": self.note_mean, "note_std": self.note_std,
                "condition": self.condition, "metric": self.metric}


TERMS = {cls.name: cls for cls in (GradientPenalty, R1Penalty, HalfAdversarial, Drift,
                                   AuxiliaryClassifier, L1Reconstruction, FeatureMatching,
                                   MismatchedPair, DistancePreservation)}


def serialize(term: LossTerm) -> dict:
    return {"term": term.name, "config": term.get_config()}


def deserialize(data: dict) -> LossTerm:
    return TERMS[data["term"]](**data["config"])
