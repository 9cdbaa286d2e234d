"""Small generators and export settings shared by the export, TFLite and REST client tests."""

import keras

from keras_avgan.modalities.audio_representations import Waveform
from keras_avgan.modalities.image import ImageRenderer

LATENT = 8
RATE = 16000
# export_generator's settings for each toy, publishing as the recipes' modalities do.
AUDIO = dict(publish=Waveform().publish, outputs={"audio": {"kind": "audio", "sample_rate": RATE}},
             latent_dim=LATENT, latent_dist="uniform")
IMAGE = dict(publish=ImageRenderer().publish, outputs={"image": {"kind": "image"}},
             latent_dim=LATENT, latent_dist="normal")


def audio_generator(cond_classes=0, latent_name="z"):
    """z [B, 8] (and pitch [B], as the first input) -> audio [B, 256, 1] in [-1, 1]; big
    enough that quantisation bites."""
    keras.utils.set_random_seed(1)
    z = keras.Input((LATENT,), name=latent_name)
    inputs, x = [z], z
    if cond_classes:
        pitch = keras.Input((), dtype="int32", name="pitch")
        inputs.insert(0, pitch)  # the export must follow the model's order, not its own
        x = keras.layers.Concatenate()([z, keras.ops.one_hot(pitch, cond_classes)])
    x = keras.layers.Reshape((16, 32))(keras.layers.Dense(16 * 32)(x))
    x = keras.layers.Conv1DTranspose(16, 25, strides=4, padding="same", activation="relu")(x)
    x = keras.layers.Conv1DTranspose(1, 25, strides=4, padding="same")(x)
    x = keras.layers.Activation("tanh", dtype="float32")(x)  # as recipes keep G's output
    return keras.Model(inputs if cond_classes else z, x)


def image_generator():
    """z [B, 8] -> image [B, 16, 16, 3] in [-1, 1]."""
    keras.utils.set_random_seed(2)
    z = keras.Input((LATENT,), name="z")
    x = keras.layers.Reshape((4, 4, 64))(keras.layers.Dense(4 * 4 * 64)(z))
    x = keras.layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(z, x)


def audio_visual_generator():
    """z [B, 8] -> {"image": [B, 4, 4, 3], "audio": [B, 64]}, both in [-1, 1]."""
    keras.utils.set_random_seed(3)
    z = keras.Input((LATENT,), name="z")
    h = keras.layers.Dense(32, activation="relu")(z)
    image = keras.layers.Reshape((4, 4, 3))(keras.layers.Dense(48, activation="tanh")(h))
    return keras.Model(z, {"image": image, "audio": keras.layers.Dense(64, activation="tanh")(h)})


def _publish_both(made):
    return {"image": (made["image"] + 1.0) * 0.5, "audio": made["audio"]}


AUDIO_VISUAL = dict(publish=_publish_both, latent_dim=LATENT, latent_dist="normal",
                    outputs={"image": {"kind": "image"},
                             "audio": {"kind": "audio", "sample_rate": 8000}})
