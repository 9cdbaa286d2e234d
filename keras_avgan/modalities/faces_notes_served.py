"""What an exported face-to-music model takes: pictures and pitch ids, with the run's face
embedding f inside its graph, so that a client sends a face rather than a vector only this
run's f could have made:

    serving_default(image float32 [B, 64, 64, 3] RGB in [0, 1], pitch int32 [B] ids)
        -> {"audio": [B, 8192] in [-1, 1]}

Pictures are in [0, 1], as the images every export hands out are; the graph maps them to
the [-1, 1] f saw in training. A pitch id is MIDI - 24, the id GANSynth's export takes too:
the metadata's `classes` lists the MIDI pitch of each. A generator with latents
(`latent_dim` > 0; the paper's has none) takes `z` [B, latent_dim] as well.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_avgan import pitches
from keras_avgan.embeddings import run_embeddings
from keras_avgan.errors import UserError
from keras_avgan.modalities.faces_notes_data import FACE_SIZE

IMAGE_RANGE = (0.0, 1.0)


class FaceVectorInputs(keras.layers.Layer):
    """{"image", "pitch" (, "z")} -> the generator's [z, f(image), pitch]. A layer, so that
    the export tracks f's weights with the generator's."""

    def __init__(self, face_embedding: keras.Model, latent_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.face_embedding, self.latent_dim = face_embedding, int(latent_dim)
        self.built = True  # no weights of its own, and f is built: the exporter asks

    def call(self, inputs):
        image = tf.cast(inputs["image"], tf.float32) * 2.0 - 1.0
        vectors = self.face_embedding(image, training=False)
        z = inputs["z"] if self.latent_dim else tf.zeros([tf.shape(image)[0], 0])
        return [z, vectors, inputs["pitch"]]


def served_inputs(recipe, run_root):
    """({name: TensorSpec}, FaceVectorInputs) of a run, for the exporter."""
    kept = run_embeddings.load(run_root)
    if kept is None:
        raise UserError(f"{run_root} keeps no face2music embeddings "
                        f"({run_embeddings.RECORD_FILE}); train it with 'keras_avgan fit' first")
    specs = {"image": tf.TensorSpec([None, FACE_SIZE, FACE_SIZE, 3], tf.float32, name="image"),
             "pitch": tf.TensorSpec([None], tf.int32, name="pitch")}
    if recipe.latent_dim:
        specs["z"] = tf.TensorSpec([None, recipe.latent_dim], tf.float32, name="z")
    f = without_identity_resize(kept.face_embedding, FACE_SIZE)
    return specs, FaceVectorInputs(f, recipe.latent_dim, name="face_vector_inputs")


def served_description(recipe) -> tuple[dict, dict]:
    """(what keras_avgan.json adds to each input, {input: MIDI pitch of each id})."""
    notes = {"image": {"range": list(IMAGE_RANGE), "layout": "HWC RGB"}}
    return notes, {"pitch": pitches.class_names()}


def without_identity_resize(f: keras.Model, size: int) -> keras.Model:
    """f on pictures of `size` px without its resizing layers that resize to that size.

    The f trained here resizes to 64 px itself, antialiased, which is TF's ScaleAndTranslate:
    no TFLite builtin. At 64 px in it is the identity, so it is dropped; f is kept whole
    when it is not a Keras graph (a user's SavedModel) or the copy does not give f's
    vectors."""
    def clone(layer):
        if isinstance(layer, keras.layers.Resizing) and \
                (layer.height, layer.width) == (size, size):
            return keras.layers.Identity(name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    try:
        copy = keras.models.clone_model(f, input_tensors=keras.Input((size, size, 3)),
                                        clone_function=clone)
        copy.set_weights(f.get_weights())
    except (TypeError, ValueError, NotImplementedError):
        return f
    probe = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
    same = np.allclose(copy(probe, training=False), f(probe, training=False), atol=1e-6)
    copy.trainable = False
    return copy if same else f
