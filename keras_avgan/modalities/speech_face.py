"""Speech in, a face out (Wav2Pix): pairs of a sound and a picture to train on, pictures to
write and judge. Everything about the output is the image modality's; the speech each face
is made from is this one's."""

from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_avgan.errors import UserError
from keras_avgan.modalities.base import TrainingData
from keras_avgan.modalities.pairs import FacesOfPairs
from pipelines.audio import check_audio_files, eval_clips, peak_normalize


class SpeechFaceModality(FacesOfPairs):
    kind = "speech_face"
    output_name = "image"
    input_files = "speech"
    score_notes = ("face_detected: share of faces in which OpenCV's Haar frontal cascade "
                   "finds a face (a proxy for the paper's landmark detection, not the same); "
                   "generated faces are made from the held-out pairs' speech, one each, and "
                   "accuracy_identity is how often the judge sees the speaker",)

    def training_dataset(self, recipe, data: TrainingData, seed: int, renderer):
        return self.pair_batches(recipe, data, seed)

    # --- judging ----------------------------------------------------------------------
    def evaluation_inputs(self, recipe, files) -> np.ndarray:
        return speech_clips([pair.audio for pair in files], recipe)

    def served_inputs(self, recipe, run_root=None):
        """`speech` [B, slice_len] at the recipe's rate, any scale: divided by its peak in
        the graph, as training and `generate --speech` do."""
        specs = {"speech": tf.TensorSpec([None, recipe.slice_len], tf.float32, name="speech")}
        return specs, lambda inputs: peak_normalize(inputs["speech"], axis=-1)[..., None]

    def served_description(self, recipe) -> tuple[dict, dict]:
        # Speech must reach a served Wav2Pix at the rate it was trained on.
        return {"speech": {"sample_rate": recipe.sample_rate}}, {}

    def inputs_from_files(self, recipe, paths) -> np.ndarray:
        """float32 [N, slice_len, 1]: each sound file read by content, mixed to mono,
        resampled, peak-normalised, cut or zero-padded to the clip the encoder hears."""
        scan = check_audio_files([str(Path(p).expanduser()) for p in paths], recipe.sample_rate)
        if scan.bad:
            path, reason = scan.bad[0]
            raise UserError(f"--speech {path}: {reason}; pass a sound file (WAV, FLAC, MP3, ...)")
        return speech_clips(scan.good, recipe)

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
        return speech_clips([p.audio for p in order], recipe)


def speech_clips(files, recipe) -> np.ndarray:
    """float32 [N, slice_len, 1]: sound files (AudioFileInfo) as the training pipeline gives
    them: the first slice_len samples, peak-normalised, zero-padded."""
    return eval_clips(files, recipe.sample_rate, recipe.slice_len)[..., None]
