"""The audio metric phi(y) = [lambda1 * psi(y), lambda2 * MFCC(y)]: notes -> 505 values
whose distances say how alike two notes sound.

- psi: a convolutional embedding made of WaveGAN's critic blocks (Conv1D, kernel 25,
  stride 4, then batch norm and LeakyReLU 0.2; no phase shuffle), 8 to 128 channels over
  five blocks, then a Dense layer and L2 normalisation to a 128-d unit vector. It is
  trained with the batch-hard triplet loss (margin 1.0, plain L2 distances) on the notes'
  instrument family, on batches of 8 notes of each of 5 families. 20 % of each family's
  notes are held out: the accuracy reported is theirs by nearest family centroid (chance:
  the largest family's share), beside a verification accuracy as for faces (chance 0.5).
- MFCC: 13 coefficients of 29 frames (keras_avgan.embeddings.mfcc), flattened: 377 values.
- lambda1, lambda2: the reading taken of "normalisation factors set to the maximum distance
  between any two audio samples in the target dataset according to psi and MFCC": each part
  is divided by its largest pairwise distance over the notes phi is built from (all of
  them, held-out ones too), i.e. lambda = 1 / that distance. Both parts then span distances
  up to 1 on those notes, so neither drowns the other.

Input: float32 [B, 8192] audio in [-1, 1] at 16 kHz (squeeze a [B, 8192, 1] channel axis).
Output: float32 [B, 505]. phi is a frozen Keras model (batch norm in inference mode),
differentiable with respect to its input, so a generator can be trained through it.

    phi, info = audio_metric(notes, family_ids)        # trained once, then cached
    info["psi_scale"], info["mfcc_scale"]              # lambda1, lambda2
    phi.get_layer("psi")                               # psi alone, [B, 128]
    build_psi_classifier(k, AudioMetricSettings())     # psi's network with a softmax head
"""

from dataclasses import dataclass, field

import keras
import numpy as np

from keras_avgan.embeddings import cache, scores
from keras_avgan.embeddings.batches import split_per_class
from keras_avgan.embeddings.distances import max_pairwise_distance
from keras_avgan.embeddings.inputs import labelled_arrays
from keras_avgan.embeddings.mfcc import MFCC
from keras_avgan.embeddings.training import TripletTraining, embed, train_triplet
from keras_avgan.layers.noise_floor import RandomNoiseFloor
from keras_avgan.networks.judge import BN_MOMENTUM, EMBEDDING, LOGITS, float32_policy

KIND = "audio_metric"
PSI, MFCC_PART = "psi", "mfcc"


@dataclass(frozen=True)
class AudioMetricSettings:
    """Everything phi depends on besides the notes; part of its cache key."""

    clip_samples: int = 8192
    sample_rate: int = 16000
    model_dim: int = 8  # channels of the first block, doubling in each next one
    blocks: int = 5
    kernel_len: int = 25
    stride: int = 4
    dim: int = 128
    num_coefficients: int = 13
    training: TripletTraining = field(default_factory=lambda: TripletTraining(
        steps=200, classes_per_batch=5, per_class=8))
    held_out_percent: int = 20
    seed: int = 0


def _critic_blocks(x, settings: AudioMetricSettings):
    """[B, clip_samples, 1] -> flattened features of WaveGAN's critic blocks (no phase
    shuffle), initialised from settings.seed."""
    for i in range(settings.blocks):
        x = keras.layers.Conv1D(settings.model_dim * 2 ** i, settings.kernel_len,
                                strides=settings.stride, padding="same", use_bias=False,
                                kernel_initializer=keras.initializers.HeNormal(settings.seed + i),
                                name=f"down{i}")(x)
        x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"norm{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"leaky_relu{i}")(x)
    return keras.layers.Flatten(name="flatten")(x)


def build_psi(settings: AudioMetricSettings) -> keras.Model:
    """[B, clip_samples] -> [B, dim] unit vectors, initialised from settings.seed."""
    with float32_policy():
        audio = keras.Input((settings.clip_samples,), name="audio")
        x = keras.layers.Reshape((settings.clip_samples, 1), name="to_channels")(audio)
        x = keras.layers.Dense(settings.dim, name="project", kernel_initializer=(
            keras.initializers.GlorotUniform(settings.seed)))(_critic_blocks(x, settings))
        unit = keras.layers.UnitNormalization(name="l2_normalize")(x)
        return keras.Model(audio, unit, name=PSI)


def build_psi_classifier(num_classes: int, settings: AudioMetricSettings,
                         dropout: float = 0.3) -> keras.Model:
    """psi's network with a softmax head, as face-to-music's pitch and family judges are
    built (Kim, Port, Patel 2020): [B, clip_samples, 1] audio -> logits [B, num_classes].
    The "embedding" layer (the one before the classification layer, read for FD) is psi's
    projection with a LeakyReLU instead of the unit normalisation, which would cap the
    logits. In training a random noise floor is added first, as for every audio judge here
    (layers/noise_floor.py: clean synthesised notes otherwise teach it that silence counts)."""
    if num_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {num_classes}")
    with float32_policy():
        audio = keras.Input((settings.clip_samples, 1), name="audio")
        x = RandomNoiseFloor(seed=settings.seed, name="noise_floor")(audio)
        embedding = keras.layers.Dense(
            settings.dim, activation="leaky_relu", name=EMBEDDING,  # slope 0.2, as the blocks'
            kernel_initializer=keras.initializers.GlorotUniform(settings.seed))(
                _critic_blocks(x, settings))
        x = keras.layers.Dropout(dropout, seed=settings.seed)(embedding)
        logits = keras.layers.Dense(num_classes, name=LOGITS, kernel_initializer=(
            keras.initializers.GlorotUniform(settings.seed)))(x)
        return keras.Model(audio, logits, name="psi_classifier")


def build_mfcc(settings: AudioMetricSettings) -> keras.Model:
    """[B, clip_samples] -> [B, frames * num_coefficients] flattened MFCCs."""
    with float32_policy():
        audio = keras.Input((settings.clip_samples,), name="audio")
        coefficients = MFCC(settings.sample_rate, num_coefficients=settings.num_coefficients,
                            name="mfcc_frames")(audio)
        return keras.Model(audio, keras.layers.Flatten(name="flatten")(coefficients),
                           name=MFCC_PART)


def compose_phi(psi: keras.Model, mfcc: keras.Model, psi_scale: float,
                mfcc_scale: float) -> keras.Model:
    """[B, T] -> [B, psi dim + MFCC values]: [psi_scale * psi, mfcc_scale * MFCC], frozen."""
    with float32_policy():
        audio = keras.Input(psi.input_shape[1:], name="audio")
        parts = [keras.layers.Rescaling(psi_scale, name="psi_scaled")(psi(audio)),
                 keras.layers.Rescaling(mfcc_scale, name="mfcc_scaled")(mfcc(audio))]
        phi = keras.Model(audio, keras.layers.Concatenate(name="phi")(parts), name="phi")
    phi.trainable = False
    return phi


def train_audio_metric(notes, families, settings: AudioMetricSettings,
                       verbose: int = 0) -> tuple[keras.Model, dict]:
    """(frozen phi, info): psi trained on all but the held-out notes, the scales measured
    on every note (no cache)."""
    held = split_per_class(families, settings.held_out_percent, settings.seed)
    psi = build_psi(settings)
    fitted = train_triplet(psi, notes[~held], families[~held], settings.training,
                           settings.seed, verbose)
    psi.trainable = False
    mfcc = build_mfcc(settings)
    psi_all, mfcc_all = embed(psi, notes), embed(mfcc, notes)
    psi_max, mfcc_max = max_pairwise_distance(psi_all), max_pairwise_distance(mfcc_all)
    phi = compose_phi(psi, mfcc, 1.0 / psi_max, 1.0 / mfcc_max)
    info = {"kind": KIND, "dim": int(phi.output_shape[-1]), "psi_dim": settings.dim,
            "mfcc_dim": int(mfcc_all.shape[1]), "families": int(len(np.unique(families))),
            "psi_max_distance": psi_max, "mfcc_max_distance": mfcc_max,
            "psi_scale": 1.0 / psi_max, "mfcc_scale": 1.0 / mfcc_max,
            "train_examples": int((~held).sum()), "held_out_examples": int(held.sum()),
            "final_triplet_loss": fitted["loss"], "steps": fitted["steps"]}
    info.update(scores.held_out_scores(psi_all[~held], families[~held], psi_all[held],
                                       families[held], settings.seed))
    return phi, info


def audio_metric(notes, families=None, settings: AudioMetricSettings | None = None,
                 log=print) -> tuple[keras.Model, dict]:
    """(phi, info): the audio metric of these notes, trained on first use and cached.

    `notes`: float32 [N, 8192] in [-1, 1] with `families` [N] (any integer ids), or a
    tf.data.Dataset of (note, id) with families=None. The cache key covers every sample and
    id and every setting, so other notes or another setting train a new metric.
    """
    settings = settings or AudioMetricSettings()
    notes, families = labelled_arrays(notes, families, kind="note",
                                      shape=(settings.clip_samples,))
    key = cache.cache_key(KIND, cache.data_fingerprint(notes, families), settings)
    cached = cache.load_cached(KIND, key)
    if cached is not None:
        return cached
    path, _ = cache.cached_paths(KIND, key)
    log(f"training the audio metric's psi on {len(notes)} notes "
        f"({len(np.unique(families))} families); cached in {path.parent}")
    phi, info = train_audio_metric(notes, families, settings)
    cache.save_cached(KIND, key, phi, info)
    return phi, info
