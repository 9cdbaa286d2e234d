"""A face and its voice together (AVGAN): pairs to train on, a face PNG and a WAV per example
out, a sheet of faces beside their spectrograms, and judging by two judges at once.

The published view is a dict: "image" [B, S, S, 3] in [0, 1] and "audio" [B, T] in [-1, 1].
Each half is handled by its own modality (`faces`, `voices`): views of the same pairs that
read, write and judge only their half, so evaluation trains a face judge and a voice judge
on the real pairs and asks both about every generated pair.
"""

from pathlib import Path

import tensorflow as tf

from keras_avgan.media import audio as audio_files
from keras_avgan.media import images as image_files
from keras_avgan.media import plots
from keras_avgan.modalities.audio_representations import Waveform
from keras_avgan.modalities.base import Modality, Renderer, TrainingData
from keras_avgan.modalities.image import ImageRenderer
from keras_avgan.modalities.pairs import FacesOfPairs, PairedData, VoicesOfPairs


class FaceVoiceRenderer(Renderer):
    kind = "image+audio"

    def __init__(self):
        self.face, self.voice = ImageRenderer(), Waveform()

    def publish(self, outputs) -> dict:
        return {**self.face.publish(outputs["image"]), **self.voice.publish(outputs["audio"])}


class AudioVisualModality(PairedData, Modality):
    kind = "audio_visual"
    output_name = "image"  # the first of the two; output_names has both
    output_names = ("image", "audio")
    faces, voices = FacesOfPairs(), VoicesOfPairs()
    judged_in_halves = True
    score_notes = ("agreement: share of generated pairs whose voice the voice judge gives to "
                   "the identity the face judge sees in the face (real pairs: how often the "
                   "two judges agree on a real face and its own voice; chance 1/identities)",)

    def renderer(self, recipe, run_root):
        return FaceVoiceRenderer()

    def training_dataset(self, recipe, data: TrainingData, seed: int, renderer):
        ds = self.pair_batches(recipe, data, seed, mismatched=recipe.mismatched_weight > 0)
        condition = data.conditions.name if data.conditions is not None else None

        def named(batch):
            kept = {k: batch[k] for k in ("image", "audio", "mismatched_image") if k in batch}
            if condition:
                kept[condition] = batch["identity"]
            return kept

        return ds.map(named, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    # --- outputs ----------------------------------------------------------------------
    def output_specs(self, recipe) -> list:
        return [self.faces.output_spec(recipe), self.voices.output_spec(recipe)]

    def write(self, made, recipe, out_dir: Path, prefix: str, titles=None) -> dict:
        """`<prefix>_NN.png` and `<prefix>_NN.wav` per pair, and `<prefix>_sheet.png`."""
        width = max(2, len(str(len(made["image"]) - 1)))
        names = [out_dir / f"{prefix}_{i:0{width}d}" for i in range(len(made["image"]))]
        faces = [image_files.write_png(name.with_suffix(".png"), face)
                 for name, face in zip(names, made["image"], strict=True)]
        voices = [audio_files.write_wav(name.with_suffix(".wav"), clip, recipe.sample_rate)
                  for name, clip in zip(names, made["audio"], strict=True)]
        sheet = plots.face_voice_sheet(made["image"], made["audio"], recipe.sample_rate,
                                       out_dir / f"{prefix}_sheet.png", titles=titles)
        return {"files": [f for pair in zip(faces, voices, strict=True) for f in pair],
                "overview": sheet}

    def preview(self, made, recipe, out_dir: Path, name: str, titles=None) -> None:
        plots.face_voice_sheet(made["image"], made["audio"], recipe.sample_rate,
                               out_dir / f"{name}.png", titles=titles)

    def summarize(self, made, recipe, step: int) -> None:
        self.faces.summarize(made, recipe, step)
        self.voices.summarize(made, recipe, step)
