"""What an audio recipe's networks see, and the way back to sound: the audio renderers.

`to_model` maps audio batches into the generator's output space (used by the data pipeline);
`to_audio` maps generator outputs back to clips [B, T] in TF ops, and `publish` clips them to
[-1, 1], so the very same function serves previews, `generate`, `evaluate`, the exported
SavedModel and the TFLite file.
Spectrogram recipes that train on peak-normalised clips peak-normalise what they invert:
magnitudes live on a log scale, where a small error of the generator is a large error of
loudness, and clipping such an output would hide what it learned.
SpecGAN's per-bin moments are measured on the training data once, when a run starts, and
kept in the run dir: a run inverts its spectrograms with its own data's statistics.
"""

import json
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_avgan import runs
from keras_avgan.errors import UserError
from keras_avgan.modalities.base import Renderer
from pipelines import audio
from pipelines.spectral import gansynth as spectral_gansynth
from pipelines.spectral import specgan as spectral

MOMENTS_FILE = "spectral_moments.json"
MOMENTS_BATCH = 32


class AudioRenderer(Renderer):
    def to_audio(self, outputs):
        raise NotImplementedError

    def publish(self, outputs) -> dict:
        clips = self.to_audio(tf.cast(outputs, tf.float32))
        return {"audio": tf.clip_by_value(clips, -1.0, 1.0)}


class Waveform(AudioRenderer):
    """WaveGAN: the generator makes the audio itself, [B, T, channels]; mono is published as
    [B, T], so JSON rows are plain lists of samples."""

    kind = "waveform"

    def to_model(self, clips):
        return clips

    def to_audio(self, outputs):
        return tf.squeeze(outputs, -1) if outputs.shape[-1] == 1 else outputs


class SpecGANSpectrogram(AudioRenderer):
    """SpecGAN: normalised log magnitude [B, T/128, 128, 1]; Griffin-Lim back to audio."""

    kind = "spectrogram"

    def __init__(self, mean, std, length: int, iterations: int, normalize: bool = False):
        self.mean, self.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        self.length, self.iterations, self.normalize = length, iterations, normalize

    def to_model(self, clips):
        return spectral.specgan_forward(clips, self.mean, self.std)

    def to_audio(self, outputs):
        clips = spectral.specgan_to_audio(outputs, self.mean, self.std, self.iterations,
                                          length=self.length)
        return audio.peak_normalize(clips, axis=-1) if self.normalize else clips


class GANSynthSpectrogram(AudioRenderer):
    """GANSynth: (log magnitude, instantaneous frequency) [B, T/hop, n_fft/2, 2], exact back."""

    kind = "spectrogram"

    def __init__(self, mel: bool, n_fft: int, hop: int, sample_rate: int,
                 if_floor_db: float | None = None, normalize: bool = False):
        self.options = {"mel": mel, "n_fft": n_fft, "hop": hop, "sample_rate": sample_rate}
        self.if_floor_db, self.normalize = if_floor_db, normalize

    def to_model(self, clips):
        return spectral_gansynth.gansynth_forward(clips, **self.options,
                                                  if_floor_db=self.if_floor_db)

    def to_audio(self, outputs):
        # wrap=False: the first frames' share of the window that circular framing took from
        # the tail is dropped, not added back onto it. For a note the tail is silent, so the
        # real clips come back as before; a generator's first frames spread its attack over
        # that share, which wrapped back is a click at the end louder than the note.
        clips = spectral_gansynth.gansynth_to_audio(outputs, **self.options, wrap=False)
        return audio.peak_normalize(clips, axis=-1) if self.normalize else clips


def prepare(recipe, run: runs.RunDir, files, first_slices=None, count=None) -> AudioRenderer:
    """The run's representation; measures and stores SpecGAN's moments on the first start,
    on each file's first slice: read from `files`, or, for `count` files, from
    `first_slices` (batch size -> batches of them, as shards give them)."""
    if recipe.representation == "specgan" and not _moments_path(run).is_file():
        batch_size = min(MOMENTS_BATCH, len(files) if first_slices is None else count)
        dataset = first_slices(batch_size) if first_slices is not None else audio.audio_dataset(
            files, sample_rate=recipe.sample_rate, slice_len=recipe.slice_len,
            slice_mode="first", pad_short=recipe.pad_short, normalize=recipe.normalize,
            batch_size=batch_size, seed=0, shuffle=False, repeat=False)
        mean, std = spectral.specgan_moments(dataset)
        runs.atomic_write_text(_moments_path(run), json.dumps(
            {"mean": mean.tolist(), "std": std.tolist()}) + "\n")
    return for_run(recipe, run.root)


def for_run(recipe, run_root) -> AudioRenderer:
    if recipe.representation == "waveform":
        return Waveform()
    if recipe.representation == "gansynth":
        floor = recipe.if_floor_db if recipe.if_floor_db < 0 else None
        return GANSynthSpectrogram(recipe.mel, recipe.n_fft, recipe.hop, recipe.sample_rate,
                                   floor, recipe.normalize)
    path = _moments_path(runs.RunDir(Path(run_root)))
    if not path.is_file():
        raise UserError(f"{path} is missing: SpecGAN inverts its spectrograms with the moments "
                        "measured when the run started; restore the file or retrain the run")
    moments = json.loads(path.read_text())
    return SpecGANSpectrogram(moments["mean"], moments["std"], recipe.slice_len,
                              recipe.griffin_lim_iters, recipe.normalize)


def _moments_path(run: runs.RunDir) -> Path:
    return run.root / MOMENTS_FILE
