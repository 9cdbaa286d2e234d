"""The face embedding f(x): faces -> 128-d unit vectors, near for faces of one person.

Trained here, on the identities of the user's faces, since no published face-recognition
weights can be downloaded: a small convolutional network sized for a CPU (images resized
to 64 px, four blocks of 3 x 3 convolution with stride 2, batch norm and ReLU, 16 to 128
channels, then a Dense layer of `dim` units and L2 normalisation), trained with the
batch-hard triplet loss (margin 1.0, plain L2 distances) on batches of 8 identities x 4
faces. 20 % of each identity's faces are held out: the verification accuracy reported is on
pairs of them (same person or not), at the distance threshold that best separates the
training pairs; chance is 0.5. Beside it, their identity by nearest identity centroid
(chance: the largest identity's share).

Input: float32 [B, H, W, 3] RGB in [-1, 1] (the pipelines' model view), any H and W: the
network resizes to its `image_size` first. Output: float32 [B, dim] unit vectors.

    f, info = face_embedding(images, identity_ids)       # trained once, then cached
    info["held_out_verification"]                        # {"accuracy", "chance", ...}
    f(images)                                            # [B, 128]
"""

from dataclasses import dataclass, field

import keras
import numpy as np

from keras_avgan.embeddings import cache, scores
from keras_avgan.embeddings.batches import split_per_class
from keras_avgan.embeddings.inputs import labelled_arrays
from keras_avgan.embeddings.training import TripletTraining, embed, train_triplet
from keras_avgan.networks.judge import BN_MOMENTUM, float32_policy

KIND = "face_embedding"


@dataclass(frozen=True)
class FaceEmbeddingSettings:
    """Everything the trained embedding depends on besides the data; part of its cache key."""

    image_size: int = 64
    dim: int = 128
    widths: tuple[int, ...] = (16, 32, 64, 128)
    training: TripletTraining = field(default_factory=lambda: TripletTraining(
        steps=300, classes_per_batch=8, per_class=4))
    held_out_percent: int = 20
    seed: int = 0


def build_face_network(settings: FaceEmbeddingSettings) -> keras.Model:
    """[B, H, W, 3] in [-1, 1] -> [B, dim] unit vectors, initialised from settings.seed."""
    seed = settings.seed
    with float32_policy():
        images = keras.Input((None, None, 3), name="image")
        x = keras.layers.Resizing(settings.image_size, settings.image_size, antialias=True,
                                  name="resize")(images)
        for i, width in enumerate(settings.widths):
            x = keras.layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False,
                                    kernel_initializer=keras.initializers.HeNormal(seed + i),
                                    name=f"conv{i}")(x)
            x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"norm{i}")(x)
            x = keras.layers.ReLU(name=f"relu{i}")(x)
        # Flatten, not global pooling: where a feature sits (eyes, mouth, hair) tells faces
        # apart.
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(settings.dim, name="project",
                               kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
        unit = keras.layers.UnitNormalization(name="l2_normalize")(x)
        return keras.Model(images, unit, name="face_embedding")


def train_face_embedding(images, identities, settings: FaceEmbeddingSettings,
                         verbose: int = 0) -> tuple[keras.Model, dict]:
    """(frozen network, info) trained on all but the held-out faces (no cache)."""
    held = split_per_class(identities, settings.held_out_percent, settings.seed)
    network = build_face_network(settings)
    fitted = train_triplet(network, images[~held], identities[~held], settings.training,
                           settings.seed, verbose)
    network.trainable = False
    info = {"kind": KIND, "dim": settings.dim, "image_size": settings.image_size,
            "identities": int(len(np.unique(identities))),
            "train_examples": int((~held).sum()), "held_out_examples": int(held.sum()),
            "final_triplet_loss": fitted["loss"], "steps": fitted["steps"]}
    if held.any():
        info.update(scores.held_out_scores(
            embed(network, images[~held]), identities[~held], embed(network, images[held]),
            identities[held], settings.seed))
    return network, info


def face_embedding(images, identities=None, settings: FaceEmbeddingSettings | None = None,
                   log=print) -> tuple[keras.Model, dict]:
    """(f, info): the face embedding of these faces, trained on first use and cached.

    `images`: float32 [N, H, W, 3] in [-1, 1] with `identities` [N] (any integer ids), or
    a tf.data.Dataset of (image, id) with identities=None. The cache key covers every pixel
    and id and every setting, so other data or another setting trains a new embedding.
    """
    settings = settings or FaceEmbeddingSettings()
    images, identities = labelled_arrays(images, identities, kind="face", shape=(None, None, 3))
    key = cache.cache_key(KIND, cache.data_fingerprint(images, identities), settings)
    cached = cache.load_cached(KIND, key)
    if cached is not None:
        return cached
    path, _ = cache.cached_paths(KIND, key)
    log(f"training the face embedding on {len(images)} faces "
        f"({len(np.unique(identities))} identities); cached in {path.parent}")
    network, info = train_face_embedding(images, identities, settings)
    cache.save_cached(KIND, key, network, info)
    return network, info
