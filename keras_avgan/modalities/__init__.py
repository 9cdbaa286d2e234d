"""Modalities by data kind: what sound and pictures each need from the spine (base.py)."""

from keras_avgan.modalities.audio import AudioModality
from keras_avgan.modalities.audio_visual import AudioVisualModality
from keras_avgan.modalities.base import Modality
from keras_avgan.modalities.image import ImageModality
from keras_avgan.modalities.speech_face import SpeechFaceModality

MODALITIES: dict[str, Modality] = {"audio": AudioModality(), "image": ImageModality(),
                                   "speech_face": SpeechFaceModality(),
                                   "audio_visual": AudioVisualModality()}


def for_recipe(recipe) -> Modality:
    return MODALITIES[recipe.data_kind]


def resolve_data(recipe, data: str):
    """`demo` builds (once) and returns the recipe's demo dataset; anything else is a path."""
    from pathlib import Path

    from pipelines import demo

    if data == "demo":
        return Path(demo.ensure_demo(recipe.demo))
    return Path(data).expanduser()
