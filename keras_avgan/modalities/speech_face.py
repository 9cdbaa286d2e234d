"""Speech in, a face out (Wav2Pix): pairs of a sound and a picture to train on, pictures to
write and judge. Everything about the output is the image modality's; the speech each face
is made from is this one's."""

from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_avgan.errors import UserError
from keras_avgan.modalities.base import TrainingData
from keras_avgan.modalities.pairs import FacesOfPairs
from pipelines import paired
from pipelines.audio import check_audio_files, decode_file, pad_to, peak_normalize


class SpeechFaceModality(FacesOfPairs):
    kind = "speech_face"
    output_name = "image"
    input_files = "speech"
    score_notes = ("face_detected: share of faces in which OpenCV's Haar frontal cascade "
                   "finds a face (a proxy for the paper's landmark detection, not the same); "
                   "generated faces are made from the held-out pairs' speech, one each, and "
                   "accuracy_identity is how often the judge sees the speaker",)

    def training_dataset(self, recipe, data: TrainingData, seed: int, renderer):
        return paired.paired_dataset(
            data.files, list(data.class_names), sample_rate=recipe.sample_rate,
            slice_len=recipe.slice_len, image_size=recipe.image_size,
            batch_size=recipe.batch_size, seed=seed)

    # --- judging ----------------------------------------------------------------------
    def evaluation_inputs(self, recipe, files) -> np.ndarray:
        return np.stack([speech_clip(pair.audio.path, recipe) for pair in files])

    def served_inputs(self, recipe):
        """`speech` [B, slice_len] at the recipe's rate, any scale: divided by its peak in
        the graph, as training and `generate --speech` do."""
        specs = {"speech": tf.TensorSpec([None, recipe.slice_len], tf.float32, name="speech")}
        return specs, lambda inputs: peak_normalize(inputs["speech"], axis=-1)[..., None]

    def inputs_from_files(self, recipe, paths) -> np.ndarray:
        """float32 [N, slice_len, 1]: each sound file read by content, mixed to mono,
        resampled, peak-normalised, cut or zero-padded to the clip the encoder hears."""
        scan = check_audio_files([str(Path(p).expanduser()) for p in paths], recipe.sample_rate)
        if scan.bad:
            path, reason = scan.bad[0]
            raise UserError(f"--speech {path}: {reason}; pass a sound file (WAV, FLAC, MP3, ...)")
        return np.stack([speech_clip(info.path, recipe) for info in scan.good])

    def preview_inputs(self, recipe, data: TrainingData, count: int, seed: int) -> np.ndarray:
        """Speech of `count` pairs, the identities in turn (fixed, so previews of
        successive steps compare): what previews make faces from."""
        groups: dict[int, list] = {}
        for pair, identity in zip(data.files, data.label_ids, strict=True):
            groups.setdefault(int(identity), []).append(pair)
        groups = [groups[k] for k in sorted(groups)]
        order = []
        for i in range(count):
            group = groups[i % len(groups)]
            order.append(group[i // len(groups) % len(group)])
        return np.stack([speech_clip(p.audio.path, recipe) for p in order])


def speech_clip(path, recipe) -> np.ndarray:
    """float32 [slice_len, 1]: a sound file as the training pipeline gives it."""
    clip = peak_normalize(tf.constant(decode_file(path, recipe.sample_rate)))
    return pad_to(clip, recipe.slice_len)[:recipe.slice_len].numpy()
