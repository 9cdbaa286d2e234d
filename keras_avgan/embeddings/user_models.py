"""A face embedding the user trained elsewhere, in place of the one trained here: a `.keras`
file (loaded in safe mode) or a SavedModel folder (its `serving_default` signature), mapping
images [B, H, W, 3] to vectors [B, d]. Its output is L2-normalised, and images of another
size are resized to the size its input declares.

The images it is given are what the embeddings take everywhere: float32 RGB in [-1, 1].
Anything wrong with the file is a UserError naming it (the CLI exits 2).
"""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_avgan.errors import UserError
from keras_avgan.keras_files import first_line, load_keras_file
from keras_avgan.networks.judge import float32_policy

PROBE_SIZE = 64  # the side of the test images for a model whose input takes any size


def _image_size(shape, where: str):
    """The (H, W) an input of `shape` [B, H, W, 3] declares (None where any), or an error."""
    if len(shape) != 4 or shape[-1] not in (3, None):
        raise UserError(f"face embedding {where}: its input has shape {list(shape)}; a face "
                        "embedding takes RGB images [batch, height, width, 3]")
    return shape[1], shape[2]


class SavedModelEmbedding(keras.Model):
    """A SavedModel's signature as a frozen Keras model: images -> unit vectors. It is
    rebuilt from the folder each time, never saved itself."""

    def __init__(self, directory: str, **kwargs):
        super().__init__(**kwargs)
        self.directory = directory
        self.loaded = tf.saved_model.load(directory)  # kept: the signature needs its variables
        self.signature = self.loaded.signatures["serving_default"]
        inputs = self.signature.structured_input_signature[1]
        self.input_name, spec = next(iter(inputs.items()))
        self.size = _image_size(spec.shape.as_list(), directory)
        outputs = self.signature.structured_outputs
        self.output_name = "embedding" if "embedding" in outputs else next(iter(outputs))
        self.trainable = False

    def call(self, images):
        images = tf.cast(images, tf.float32)
        # Not at its own size already: resizing to it changes nothing, and its op has no
        # TFLite builtin (an exported face2music model holds f).
        if None not in self.size and tuple(images.shape[1:3]) != tuple(self.size):
            images = tf.image.resize(images, self.size, antialias=True)
        vectors = self.signature(**{self.input_name: images})[self.output_name]
        return tf.math.l2_normalize(tf.cast(vectors, tf.float32), axis=-1)


def _load_saved_model(location: Path) -> keras.Model:
    try:
        loaded = tf.saved_model.load(str(location))
    except Exception as err:  # TF raises OSError, ValueError, DecodeError for bad folders
        raise UserError(f"face embedding {location}: the SavedModel cannot be loaded "
                        f"({first_line(err)})") from err
    if "serving_default" not in loaded.signatures:
        raise UserError(f"face embedding {location}: the SavedModel has no 'serving_default' "
                        "signature; export it with one taking images")
    signature = loaded.signatures["serving_default"]
    inputs, outputs = signature.structured_input_signature[1], signature.structured_outputs
    if len(inputs) != 1:
        raise UserError(f"face embedding {location}: 'serving_default' takes "
                        f"{len(inputs)} inputs ({', '.join(inputs)}); it must take one, "
                        "the images")
    if len(outputs) != 1 and "embedding" not in outputs:
        raise UserError(f"face embedding {location}: 'serving_default' returns "
                        f"{', '.join(sorted(outputs))}; it must return one output, or one "
                        "named 'embedding'")
    return SavedModelEmbedding(str(location), name="face_embedding")


def _load_keras_file(location: Path) -> tuple[keras.Model, tuple]:
    model = load_keras_file(location, f"face embedding {location}")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UserError(f"face embedding {location}: must hold a model with one input (the "
                        "images) and one output (the vectors)")
    height, width = _image_size(tuple(model.inputs[0].shape), str(location))
    with float32_policy():
        images = keras.Input((None, None, 3), name="image")
        x = images
        if height is not None and width is not None:
            x = keras.layers.Resizing(height, width, antialias=True, name="resize")(x)
        unit = keras.layers.UnitNormalization(name="l2_normalize")(model(x))
        wrapped = keras.Model(images, unit, name="face_embedding")
    wrapped.trainable = False
    return wrapped, (height, width)


def _probe(model: keras.Model, location: Path, size) -> int:
    """The output width, after checking the model maps two images to [2, d] finite values."""
    height, width = (s or PROBE_SIZE for s in size)
    images = np.zeros((2, height, width, 3), np.float32)
    try:
        out = np.asarray(model(images, training=False))
    except Exception as err:  # a model whose layers do not fit the images it says it takes
        raise UserError(f"face embedding {location}: fails on images [2, {height}, {width}, 3] "
                        f"({first_line(err)})") from err
    if out.ndim != 2 or out.shape[0] != 2 or out.shape[1] < 1:
        raise UserError(f"face embedding {location}: gives an output of shape "
                        f"{list(out.shape)} for 2 images; it must give [batch, d] vectors")
    if not np.all(np.isfinite(out)):
        raise UserError(f"face embedding {location}: gives NaN or Inf on black images")
    return int(out.shape[1])


def load_face_embedding(path) -> tuple[keras.Model, dict]:
    """(f, info) from a `.keras` file or a SavedModel folder: f maps float32 [B, H, W, 3] in
    [-1, 1] to [B, d] unit vectors and is frozen; info names the source, d and the image
    size its input declares (None: any)."""
    location = Path(path).expanduser()
    if location.is_dir() and (location / "saved_model.pb").is_file():
        model = _load_saved_model(location)
        size = model.size
    elif location.is_file() and location.suffix == ".keras":
        model, size = _load_keras_file(location)
    elif not location.exists():
        raise UserError(f"face embedding {location}: no such file or folder")
    else:
        raise UserError(f"face embedding {location}: expected a .keras file or a SavedModel "
                        "folder (with saved_model.pb)")
    dim = _probe(model, location, size)
    return model, {"kind": "face_embedding", "source": str(location), "dim": dim,
                   "image_size": None if None in size else list(size)}
