"""A user's `.keras` file loaded in safe mode, with what is wrong with it in the message
(Keras says "File not found" for a file that exists but is no .keras archive)."""

import zipfile
from pathlib import Path

import keras

from keras_avgan.errors import UserError


def first_line(err: Exception) -> str:
    """An exception's first line (at most 200 characters), or its type when it says nothing."""
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


def load_keras_file(location: Path, what: str) -> keras.Model:
    """The model in `location`; `what` names it in errors ("--classifier x.keras")."""
    if location.stat().st_size == 0:
        raise UserError(f"{what}: the file is empty (0 bytes)")
    if not zipfile.is_zipfile(location):
        raise UserError(f"{what}: not a .keras archive (a .keras file is a zip written by "
                        "model.save); save the model again")
    try:
        model = keras.saving.load_model(str(location), safe_mode=True)
    except Exception as err:  # Keras raises ValueError/TypeError/KeyError for bad contents
        raise UserError(f"{what}: cannot be loaded ({first_line(err)}). Lambda layers are "
                        "refused: they would run code from the file; rebuild the model with "
                        "registered layers") from err
    if not isinstance(model, keras.Model):
        raise UserError(f"{what}: holds a {type(model).__name__}, not a model")
    return model
