"""Modalities by data kind: what sound and pictures each need from the spine (base.py)."""

from keras_avgan.modalities.audio import AudioModality
from keras_avgan.modalities.audio_visual import AudioVisualModality
from keras_avgan.modalities.base import Modality
from keras_avgan.modalities.faces_notes import FacesNotesModality
from keras_avgan.modalities.image import ImageModality
from keras_avgan.modalities.speech_face import SpeechFaceModality

MODALITIES: dict[str, Modality] = {"audio": AudioModality(), "image": ImageModality(),
                                   "speech_face": SpeechFaceModality(),
                                   "audio_visual": AudioVisualModality(),
                                   "faces_notes": FacesNotesModality()}


def for_recipe(recipe) -> Modality:
    return MODALITIES[recipe.data_kind]


def resolve_data(recipe, data: str):
    """`demo` builds (once) and returns the recipe's demo dataset; anything else is a path."""
    from pathlib import Path

    from pipelines import demo

    if data == "demo":
        return Path(demo.ensure_demo(recipe.demo))
    return Path(data).expanduser()


def resolve_faces(recipe, faces: str | None, data: str):
    """The faces folder of a recipe that reads faces besides --data (face2music), or None.
    `--data demo` brings the demo faces with the demo notes; `--faces demo` asks for them."""
    from pathlib import Path

    from keras_avgan.errors import UserError
    from pipelines import demo

    if "faces" not in for_recipe(recipe).extra_inputs:
        if faces is not None:
            takers = sorted({name for name, m in MODALITIES.items() if "faces" in m.extra_inputs})
            raise UserError(f"--faces: recipe '{recipe.name}' reads no faces besides --data; "
                            f"drop --faces (recipes of the kind that do: {', '.join(takers)})")
        return None
    if faces == "demo" or (faces is None and data == "demo"):
        return Path(demo.ensure_demo("faces"))
    if faces is None:
        raise UserError(f"recipe '{recipe.name}' needs faces besides its notes: pass --faces "
                        "FOLDER (face images, labelled by identity in a labels.csv or by "
                        "folder), or --data demo for the demo notes and faces")
    path = Path(faces).expanduser()
    if not path.exists():
        raise UserError(f"--faces {faces}: no such folder; pass a folder of face images")
    return path
